r"""The neural tangent kernel: empirical, analytic (infinite width), linearised dynamics.

**Empirical NTK (Jacot, Gabriel & Hongler 2018).** For a network f(θ, x) ∈ R^K,
Θ_θ(x, x′) = J(x) J(x′)ᵀ with J(x) = ∂f(θ, x)/∂θ ∈ R^{K × P}, summed over every parameter
leaf. :func:`empirical_ntk_fn` follows Neural Tangents' API (Novak et al. 2022,
"Fast finite width neural tangent kernel"): ``empirical_ntk_fn(apply_fn, trace_axes=(-1,),
vmap_axes=0, implementation=...)`` returns ``ntk_fn(x1, x2, params)``, where output axes in
``trace_axes`` are summed over (the trace Σ_k Θ_kk) and the result has shape
(N1, N2, *kept_out, *kept_out). Two implementations, equal up to rounding:

* ``"jacobian_contraction"``: per-example Jacobians (``vmap`` of ``jacrev`` when
  ``vmap_axes=0``; one batched ``jacrev`` when ``None``) contracted over parameters —
  memory O(N·K·P).
* ``"ntk_vector_products"``: column j of Θ is J₁(J₂ᵀe_j), one ``vjp`` then one ``jvp``
  per cotangent basis vector e_j, never materialising J — memory O(P) per column.

**Analytic infinite-width kernels (Neal 1996; Lee et al. 2018; Jacot et al. 2018; Arora
et al. 2019).** A fully connected net in NTK parameterisation, h^{l+1} = σ_w/√n_l ·
W^{l+1} φ(h^l) + σ_b b^{l+1} with W, b ~ N(0, 1), converges as the widths grow to a GP with
NNGP kernel Σ and its gradient-descent dynamics are governed by the deterministic NTK Θ:

    Σ¹(x, x′) = σ_w² x·x′/d + σ_b²,   Θ¹ = Σ¹,
    Σ^{l+1} = σ_w² E[φ(u)φ(v)] + σ_b²,   Θ^{l+1} = Σ^{l+1} + σ_w² E[φ′(u)φ′(v)] Θ^l,

(u, v) ~ N(0, [[Σ(x,x), Σ(x,x′)], [Σ(x,x′), Σ(x′,x′)]]). For ReLU (arc-cosine kernels, Cho &
Saul 2009), with cos θ = Σ(x,x′)/√(Σ(x,x)Σ(x′,x′)):
E[φφ] = √(Σ(x,x)Σ(x′,x′))·(sin θ + (π − θ) cos θ)/(2π), E[φ′φ′] = (π − θ)/(2π); for
erf (Williams 1997): E[φφ] = (2/π) arcsin(2Σ(x,x′)/√((1+2Σ(x,x))(1+2Σ(x′,x′)))),
E[φ′φ′] = (4/π)/√((1+2Σ(x,x))(1+2Σ(x′,x′)) − 4Σ(x,x′)²).

**Linearised training (Lee et al. 2019, "Wide neural networks of any depth evolve as
linear models under gradient descent").** f_lin(θ, x) = f(θ₀, x) + J₀(x)(θ − θ₀), a ``jvp``
at θ₀. Under gradient flow on L = ‖f(X) − Y‖²/(2N) with learning rate η,
f_t(X) = Y + e^{−ηtΘ/N}(f₀(X) − Y) and
f_t(x) = f₀(x) − Θ(x, X)Θ⁻¹(I − e^{−ηtΘ/N})(f₀(X) − Y) (:func:`gradient_flow_mse_predictor`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core import check_array, check_int, check_option, check_positive, check_X

IMPLEMENTATIONS = ("jacobian_contraction", "ntk_vector_products")
ACTIVATIONS = ("relu", "erf")

# ---------------------------------------------------------------------------------------
# Empirical NTK
# ---------------------------------------------------------------------------------------


def _split_out_axes(out_ndim: int, trace_axes: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Kept and traced output axes (1 … out_ndim−1; axis 0 is the batch)."""
    traced = []
    for a in trace_axes:
        a_pos = a + out_ndim if a < 0 else a
        if not 0 < a_pos < out_ndim:
            raise ValueError(f"trace_axes entry {a} is not a non-batch axis of an output "
                             f"with {out_ndim} dimensions")
        traced.append(a_pos)
    traced = tuple(sorted(set(traced)))
    kept = tuple(a for a in range(1, out_ndim) if a not in traced)
    return kept, traced


def _finish(theta: jax.Array, kept_shape: tuple[int, ...]) -> jax.Array:
    """(N1, N2, Kk, Kk) → (N1, N2, *kept_shape, *kept_shape)."""
    return theta.reshape(theta.shape[:2] + kept_shape + kept_shape)


def empirical_ntk_fn(apply_fn: Callable[..., jax.Array], *, trace_axes: Sequence[int] = (-1,),
                     vmap_axes: int | None = 0,
                     implementation: str = "jacobian_contraction",
                     vmap_batch: int | None = None) -> Callable[..., jax.Array]:
    """Build ``ntk_fn(x1, x2, params)``, the empirical NTK of ``apply_fn(params, x)``.

    Args:
      apply_fn: ``(params, x) -> out`` with ``out`` of shape (N, *O) — e.g. a Flax Linen
        ``model.apply`` (then ``params`` is the variables dict).
      trace_axes: output axes summed over (``(-1,)``: the trace over logits). ``()``
        keeps the full (K × K) block per pair of inputs.
      vmap_axes: ``0`` when examples are independent (per-example Jacobians by ``vmap``),
        ``None`` to differentiate the batched function as a whole (same result for
        networks without cross-example interaction, more memory).
      implementation: ``"jacobian_contraction"`` or ``"ntk_vector_products"``.
      vmap_batch: ``ntk_vector_products`` only: cotangent basis vectors processed at once
        (``None`` = all; smaller saves memory for wide networks).

    Returns:
      ``ntk_fn(x1, x2, params)`` (``x2=None`` means ``x1``) returning an array of shape
      (N1, N2, *kept, *kept).
    """
    if not callable(apply_fn):
        raise TypeError(f"apply_fn must be callable, got {type(apply_fn).__name__}")
    check_option(implementation, "implementation", IMPLEMENTATIONS)
    check_option(vmap_axes, "vmap_axes", (0, None))
    trace_axes = tuple(int(a) for a in trace_axes)
    if vmap_batch is not None:
        check_int(vmap_batch, "vmap_batch", minimum=1)

    def jacobian(params, x):
        if vmap_axes == 0:
            single = lambda p, xi: apply_fn(p, xi[None])[0]  # noqa: E731
            return jax.vmap(jax.jacrev(single), (None, 0))(params, x)
        return jax.jacrev(apply_fn)(params, x)

    def contraction(x1, x2, params):
        out_shape = jax.eval_shape(apply_fn, params, x1).shape
        kept, traced = _split_out_axes(len(out_shape), trace_axes)
        kept_shape = tuple(out_shape[a] for a in kept)
        order = (0, *kept, *traced)
        j1, j2 = jacobian(params, x1), jacobian(params, x2)
        theta = 0.0
        for a, b in zip(jax.tree.leaves(j1), jax.tree.leaves(j2)):
            nd = len(out_shape)

            def prep(j, n):
                j = j.reshape(j.shape[:nd] + (-1,))
                j = jnp.transpose(j, order + (nd,))
                return j.reshape(n, int(np.prod(kept_shape, dtype=int)), -1, j.shape[-1])

            theta = theta + jnp.einsum("akti,bsti->abks", prep(a, x1.shape[0]), prep(b, x2.shape[0]))
        return _finish(theta, kept_shape)

    def vector_products(x1, x2, params):
        out2, vjp2 = jax.vjp(lambda p: apply_fn(p, x2), params)
        out_shape = out2.shape
        kept, traced = _split_out_axes(len(out_shape), trace_axes)
        kept_shape = tuple(out_shape[a] for a in kept)
        size = out2.size
        basis = jnp.eye(size, dtype=out2.dtype).reshape((size,) + out_shape)

        def column(ct):
            (v,) = vjp2(ct)
            return jax.jvp(lambda p: apply_fn(p, x1), (params,), (v,))[1]

        cols = jax.lax.map(column, basis, batch_size=vmap_batch or size)  # (N2·O, N1, *O)
        nd = len(out_shape)
        cols = cols.reshape(out_shape + (x1.shape[0],) + out_shape[1:])
        # axes: [n2, o2..., n1, o1...] -> [n1, kept1, traced1, n2, kept2, traced2]
        o2 = tuple(range(nd))
        o1 = tuple(range(nd, 2 * nd))
        perm = (o1[0], *(o1[a] for a in kept), *(o1[a] for a in traced),
                o2[0], *(o2[a] for a in kept), *(o2[a] for a in traced))
        cols = jnp.transpose(cols, perm)
        kk = int(np.prod(kept_shape, dtype=int))
        kt = int(np.prod([out_shape[a] for a in traced], dtype=int))
        cols = cols.reshape(x1.shape[0], kk, kt, x2.shape[0], kk, kt)
        theta = jnp.einsum("aktbst->abks", cols)
        return _finish(theta, kept_shape)

    impl = contraction if implementation == "jacobian_contraction" else vector_products

    def ntk_fn(x1: Any, x2: Any, params: Any) -> jax.Array:
        x1 = jnp.asarray(x1)
        x2 = x1 if x2 is None else jnp.asarray(x2)
        if x1.ndim < 1 or x2.ndim < 1 or x1.shape[1:] != x2.shape[1:]:
            raise ValueError(f"x1 and x2 must be batches of the same input shape, got "
                             f"{x1.shape} and {x2.shape}")
        return impl(x1, x2, params)

    return ntk_fn


# ---------------------------------------------------------------------------------------
# Analytic infinite-width kernels of fully connected networks
# ---------------------------------------------------------------------------------------


def _relu_expectations(s12, s11, s22):
    norm = jnp.sqrt(s11 * s22)
    cos = jnp.clip(s12 / norm, -1.0, 1.0)
    theta = jnp.arccos(cos)
    e_phi = norm * (jnp.sin(theta) + (jnp.pi - theta) * cos) / (2 * jnp.pi)
    e_dphi = (jnp.pi - theta) / (2 * jnp.pi)
    return e_phi, e_dphi, s11 / 2, s22 / 2


def _erf_expectations(s12, s11, s22):
    a, b = 1 + 2 * s11, 1 + 2 * s22
    e_phi = 2 / jnp.pi * jnp.arcsin(jnp.clip(2 * s12 / jnp.sqrt(a * b), -1.0, 1.0))
    e_dphi = 4 / jnp.pi / jnp.sqrt(a * b - 4 * s12 ** 2)
    return e_phi, e_dphi, 2 / jnp.pi * jnp.arcsin(2 * s11 / a), 2 / jnp.pi * jnp.arcsin(2 * s22 / b)


def analytic_fc_kernels(x1: Any, x2: Any = None, *, depth: int, activation: str = "relu",
                        sigma_w: float = float(np.sqrt(2.0)),
                        sigma_b: float = 0.0) -> tuple[jax.Array, jax.Array]:
    """Infinite-width NNGP Σ and NTK Θ of a ``depth``-hidden-layer network's outputs.

    Args:
      x1: (N1, d) inputs.
      x2: (N2, d) inputs (``None`` = ``x1``).
      depth: number of hidden layers (≥ 0; 0 is a linear model).
      activation: ``"relu"`` or ``"erf"``.
      sigma_w, sigma_b: weight and bias standard deviations of the NTK parameterisation.

    Returns:
      ``(nngp, ntk)``, each (N1, N2), per output unit (the K-output kernel is ⊗ I_K).
    """
    x1 = check_X(x1, "x1")
    x2 = x1 if x2 is None else check_X(x2, "x2")
    if x1.shape[1] != x2.shape[1]:
        raise ValueError(f"x1 and x2 must have the same number of features, got "
                         f"{x1.shape[1]} and {x2.shape[1]}")
    depth = check_int(depth, "depth", minimum=0)
    check_option(activation, "activation", ACTIVATIONS)
    check_positive(sigma_w, "sigma_w")
    check_positive(sigma_b, "sigma_b", strict=False)
    return _analytic(x1, x2, depth, activation, float(sigma_w), float(sigma_b))


@jax.jit(static_argnames=("depth", "activation", "sigma_w", "sigma_b"))
def _analytic(x1, x2, depth, activation, sigma_w, sigma_b):
    d = x1.shape[1]
    sw2, sb2 = sigma_w ** 2, sigma_b ** 2
    s12 = sw2 * (x1 @ x2.T) / d + sb2
    s11 = (sw2 * jnp.sum(x1 ** 2, 1) / d + sb2)[:, None]
    s22 = (sw2 * jnp.sum(x2 ** 2, 1) / d + sb2)[None, :]
    theta = s12
    expect = _relu_expectations if activation == "relu" else _erf_expectations
    for _ in range(depth):
        e_phi, e_dphi, e11, e22 = expect(s12, s11, s22)
        s12, s11, s22 = sw2 * e_phi + sb2, sw2 * e11 + sb2, sw2 * e22 + sb2
        theta = s12 + sw2 * e_dphi * theta
    return s12, theta


# ---------------------------------------------------------------------------------------
# NTK-parameterised MLP (Flax Linen)
# ---------------------------------------------------------------------------------------


class NTKDense(nn.Module):
    """Dense layer in NTK parameterisation: y = σ_w/√fan_in · xW + σ_b b, W, b ~ N(0, 1)."""

    features: int
    sigma_w: float = float(np.sqrt(2.0))
    sigma_b: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        fan_in = x.shape[-1]
        w = self.param("kernel", nn.initializers.normal(1.0), (fan_in, self.features))
        b = self.param("bias", nn.initializers.normal(1.0), (self.features,))
        return self.sigma_w / np.sqrt(fan_in) * (x @ w) + self.sigma_b * b


class NTKMLP(nn.Module):
    """Fully connected net in NTK parameterisation with hidden ``widths`` and ReLU/erf.

    As every width → ∞ its NNGP and NTK tend to :func:`analytic_fc_kernels` with
    ``depth=len(widths)`` and the same σ_w, σ_b, activation.
    """

    widths: Sequence[int]
    num_outputs: int = 1
    activation: str = "relu"
    sigma_w: float = float(np.sqrt(2.0))
    sigma_b: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        phi = jax.nn.relu if self.activation == "relu" else jax.scipy.special.erf
        h = x.reshape(x.shape[0], -1)
        for width in self.widths:
            h = phi(NTKDense(width, self.sigma_w, self.sigma_b)(h))
        return NTKDense(self.num_outputs, self.sigma_w, self.sigma_b)(h)


# ---------------------------------------------------------------------------------------
# Linearisation, gradient descent, closed-form dynamics, kernel regression
# ---------------------------------------------------------------------------------------


def linearize(apply_fn: Callable[..., jax.Array], params0: Any) -> Callable[..., jax.Array]:
    """f_lin(θ, x) = f(θ₀, x) + J_θ f(θ₀, x)(θ − θ₀), the first-order Taylor model (a jvp)."""
    if not callable(apply_fn):
        raise TypeError(f"apply_fn must be callable, got {type(apply_fn).__name__}")

    def f_lin(params: Any, x: jax.Array) -> jax.Array:
        delta = jax.tree.map(lambda p, p0: p - p0, params, params0)
        out0, dout = jax.jvp(lambda p: apply_fn(p, x), (params0,), (delta,))
        return out0 + dout

    return f_lin


def mse_gd(apply_fn: Callable[..., jax.Array], params: Any, x: Any, y: Any, *, lr: float,
           steps: int, x_eval: Any, record_every: int = 1, batch_size: int | None = None,
           key: jax.Array | None = None) -> tuple[Any, jax.Array]:
    """Gradient descent on L(θ) = ‖f(θ, X) − Y‖²/(2N), full-batch or minibatch SGD.

    With ``batch_size`` = B each step uses the gradient of ‖f(θ, X_b) − Y_b‖²/(2B) on B
    rows drawn without replacement from a key-determined stream, so a network and its
    linearisation trained with the same ``key`` see the same minibatches.

    Args:
      apply_fn: ``(params, x) -> (N, K)`` outputs (a network or its :func:`linearize`).
      params: initial parameters.
      x, y: training inputs and (N, K) targets.
      lr: learning rate η.
      steps: number of GD steps (a multiple of ``record_every``).
      x_eval: inputs whose outputs are recorded.
      record_every: steps between recordings.
      batch_size: minibatch size (``None``: full batch).
      key: PRNG key for the minibatches (required with ``batch_size``).

    Returns:
      ``(params, outputs)`` with outputs of shape (steps // record_every + 1, M, K); row 0
      is at initialisation.
    """
    x = check_array(x, "x", dtype_kind="f")
    y = check_array(y, "y", ndim=2, dtype_kind="f")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows, got {x.shape[0]} and {y.shape[0]}")
    check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    if steps % record_every:
        raise ValueError(f"steps ({steps}) must be a multiple of record_every ({record_every})")
    n = x.shape[0]
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        if batch_size > n:
            raise ValueError(f"batch_size must be <= the number of rows ({n}), got {batch_size}")
        if key is None:
            raise ValueError("key is required when batch_size is given")

    def loss(p, xb, yb):
        return 0.5 * jnp.sum((apply_fn(p, xb) - yb) ** 2) / xb.shape[0]

    def step(t, p):
        if batch_size is None:
            xb, yb = x, y
        else:
            idx = jax.random.permutation(jax.random.fold_in(key, t), n)[:batch_size]
            xb, yb = x[idx], y[idx]
        return jax.tree.map(lambda a, g: a - lr * g, p, jax.grad(loss)(p, xb, yb))

    def segment(p, start):
        p = jax.lax.fori_loop(start, start + record_every, step, p)
        return p, apply_fn(p, x_eval)

    out0 = apply_fn(params, x_eval)
    params, outs = jax.lax.scan(segment, params, jnp.arange(0, steps, record_every))
    return params, jnp.concatenate([out0[None], outs])


def gradient_flow_mse_predictor(ntk_train: Any, ntk_test_train: Any, y_train: Any,
                                f0_train: Any, f0_test: Any, t: Any, *, lr: float) -> tuple[jax.Array, jax.Array]:
    """Closed-form outputs after gradient flow for time t (≈ t GD steps of size ``lr``).

    With a fixed kernel Θ (the linearised network), L = ‖f(X) − Y‖²/(2N):
    f_t(X) = Y + e^{−ηtΘ/N}(f₀(X) − Y) and
    f_t(x) = f₀(x) − Θ(x, X)Θ⁻¹(I − e^{−ηtΘ/N})(f₀(X) − Y), via the eigendecomposition of Θ.

    Args:
      ntk_train: (N, N) kernel on the training inputs (applied to each output column).
      ntk_test_train: (M, N) kernel between test and training inputs.
      y_train: (N, K) targets.
      f0_train, f0_test: (N, K) and (M, K) outputs at initialisation.
      t: scalar or (T,) array of times (number of steps).
      lr: learning rate η.

    Returns:
      ``(f_train, f_test)`` of shapes (T, N, K) and (T, M, K) (T = 1 for scalar t).
    """
    ntk_train = check_array(ntk_train, "ntk_train", ndim=2, dtype_kind="f")
    ntk_test_train = check_array(ntk_test_train, "ntk_test_train", ndim=2, dtype_kind="f")
    y_train = check_array(y_train, "y_train", ndim=2, dtype_kind="f")
    n = ntk_train.shape[0]
    if ntk_train.shape != (n, n) or ntk_test_train.shape[1] != n or y_train.shape[0] != n:
        raise ValueError("ntk_train must be (N, N), ntk_test_train (M, N) and y_train (N, K)")
    check_positive(lr, "lr")
    t = jnp.atleast_1d(jnp.asarray(t, jnp.float32))
    evals, evecs = jnp.linalg.eigh(ntk_train)
    evals = jnp.maximum(evals, 0.0)
    resid0 = evecs.T @ (jnp.asarray(f0_train) - y_train)          # (N, K) in eigenbasis
    decay = jnp.exp(-lr * t[:, None] * evals[None, :] / n)          # (T, N)
    f_train = y_train + jnp.einsum("ij,tj,jk->tik", evecs, decay, resid0)
    # Θ⁻¹(I − e^{−ηtΘ/N}) on the eigenbasis; → ηt/N as an eigenvalue → 0.
    safe = jnp.where(evals > 0, evals, 1.0)
    gain = jnp.where(evals > 0, (1 - decay) / safe, lr * t[:, None] / n)
    f_test = jnp.asarray(f0_test) - jnp.einsum("mi,ij,tj,jk->tmk", ntk_test_train, evecs, gain, resid0)
    return f_train, f_test


def kernel_regression(k_train: Any, k_test_train: Any, y_train: Any, *,
                      ridge: float = 0.0) -> jax.Array:
    """Kernel (ridge) regression predictions K(x, X)(K + λ·mean(diag K)·I)⁻¹Y.

    With the NTK and λ = 0 this is the mean infinite-time, infinite-width network trained
    by gradient flow on MSE; with the NNGP it is the GP posterior mean.
    """
    k_train = check_array(k_train, "k_train", ndim=2, dtype_kind="f")
    k_test_train = check_array(k_test_train, "k_test_train", ndim=2, dtype_kind="f")
    y_train = check_array(y_train, "y_train", ndim=(1, 2), dtype_kind="f")
    n = k_train.shape[0]
    if k_train.shape != (n, n) or k_test_train.shape[1] != n or y_train.shape[0] != n:
        raise ValueError("k_train must be (N, N), k_test_train (M, N) and y_train (N, …)")
    check_positive(ridge, "ridge", strict=False)
    reg = ridge * jnp.mean(jnp.diag(k_train))
    return k_test_train @ jnp.linalg.solve(k_train + reg * jnp.eye(n, dtype=k_train.dtype), y_train)


def relative_frobenius(a: Any, b: Any) -> jax.Array:
    """‖a − b‖_F / ‖b‖_F."""
    a, b = jnp.asarray(a), jnp.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return jnp.linalg.norm((a - b).ravel()) / jnp.linalg.norm(b.ravel())
