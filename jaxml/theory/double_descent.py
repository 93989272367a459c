r"""Double descent: exact min-norm least-squares risk, random features, masked width sweeps.

**Min-norm least squares (Hastie, Montanari, Rosset & Tibshirani 2022, "Surprises in
high-dimensional ridgeless least squares interpolation", Ann. Statist., Thm 1).**
y = xᵀβ + ε with x ~ N(0, I_p), ‖β‖² = r², Var ε = σ², n samples, γ = p/n and
β̂ = X⁺y (the minimum-ℓ₂-norm interpolator once p > n). The excess risk
R = E‖β̂ − β‖² has, for finite Gaussian designs (inverse-Wishart moments
E tr (XᵀX)⁻¹ = p/(n−p−1), and E‖(I − P_row(X))β‖² = r²(1 − n/p) by rotation invariance)

    R = σ² p/(n − p − 1)                          p < n − 1,
    R = r²(1 − n/p) + σ² n/(p − n − 1)            p > n + 1,

and in the proportional limit n, p → ∞, p/n → γ

    R(γ) = σ² γ/(1 − γ)                           γ < 1,
    R(γ) = r²(1 − 1/γ) + σ²/(γ − 1)               γ > 1,

which blows up at the interpolation threshold γ = 1. Ridge β̂_λ = (XᵀX + nλI)⁻¹Xᵀy with
the optimal λ* = σ²γ/r² (Dobriban & Wager 2018) has no peak.

Every p of a sweep shares one compiled program: the design is drawn at the maximal width
p_max and features j ≥ p are masked to zero, so the solution of the masked problem is the
solution of the p-feature problem padded with zeros (:func:`masked_ridge_solution`).

**Random features (Belkin, Hsu, Ma & Mandal 2019, "Reconciling modern machine-learning
practice and the classical bias–variance trade-off", PNAS).** Features
φ(x) = √(2/N)·cos(ωᵀx/ℓ + b) (random Fourier, ω ~ N(0, I), b ~ U[0, 2π)) or
φ(x) = √(2/N)·max(0, ωᵀx/√d + b) (random ReLU) with min-norm least squares: test error
and ‖β‖ peak at N = n. The sweep over N scans over blocks of features, carrying the
kernel K_N = Φ_N Φ_Nᵀ, so all N cost one pass; the min-norm fit at each N is
α = K_N⁺ Y keeping the top min(n, N) eigenvalues, β = Φ_Nᵀα, ‖β‖² = tr αᵀK_Nα.

**Model-wise / epoch-wise / sample-wise deep double descent (Nakkiran et al. 2019,
"Deep double descent"; Greydanus & Kobak 2024, MNIST-1D).** Networks of every width are
padded to the largest width and hidden units (MLP) or channels (CNN) beyond the width are
masked to zero after the activation; masked units get zero gradient, so the padded network
trains exactly as the narrow one, and one compiled program trains a group of widths,
sample sizes and seeds at once with ``vmap`` (:func:`sgd_width_sweep`; groups of similar
width keep the padding waste bounded). Initialisation follows
PyTorch's default, U(±1/√fan_in) for weights and biases, with fan_in the *active* width.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

from jaxml.core import check_array, check_int, check_option, check_positive, check_X
from jaxml.nn import conv1d_matmuls

# ---------------------------------------------------------------------------------------
# Min-norm least squares: closed forms
# ---------------------------------------------------------------------------------------


def minnorm_risk_finite(n: Any, p: Any, *, r2: float = 1.0, sigma2: float = 1.0) -> jax.Array:
    """Exact E‖X⁺y − β‖² for a Gaussian design with n rows and p columns.

    σ²p/(n−p−1) for p < n−1, r²(1−n/p) + σ²n/(p−n−1) for p > n+1, NaN in between (the
    expectation is infinite there).
    """
    n = jnp.asarray(n, jnp.float32)
    p = jnp.asarray(p, jnp.float32)
    under = sigma2 * p / jnp.where(p < n - 1, n - p - 1, 1.0)
    over = r2 * (1 - n / p) + sigma2 * n / jnp.where(p > n + 1, p - n - 1, 1.0)
    return jnp.where(p < n - 1, under, jnp.where(p > n + 1, over, jnp.nan))


def minnorm_risk_asymptotic(gamma: Any, *, r2: float = 1.0, sigma2: float = 1.0) -> jax.Array:
    """Hastie et al. (2022) limit R(γ): σ²γ/(1−γ) below 1, r²(1−1/γ) + σ²/(γ−1) above."""
    gamma = jnp.asarray(gamma, jnp.float32)
    safe = jnp.where(gamma == 1, 2.0, gamma)
    under = sigma2 * safe / (1 - safe)
    over = r2 * (1 - 1 / safe) + sigma2 / (safe - 1)
    return jnp.where(gamma < 1, under, jnp.where(gamma > 1, over, jnp.inf))


def optimal_ridge_lambda(gamma: Any, *, r2: float = 1.0, sigma2: float = 1.0) -> jax.Array:
    """λ* = σ²γ/r², the risk-optimal penalty of (XᵀX + nλI)⁻¹Xᵀy for isotropic β."""
    return sigma2 * jnp.asarray(gamma, jnp.float32) / r2


# ---------------------------------------------------------------------------------------
# Min-norm / ridge least squares on a masked design (one compile for every p)
# ---------------------------------------------------------------------------------------


def spd_solve(A: jax.Array, b: jax.Array) -> jax.Array:
    """Solve A x = b for symmetric positive-definite A by Gauss–Jordan elimination.

    Plain ``jnp`` operations in a ``fori_loop`` (no pivoting is needed for SPD matrices).
    Used instead of the LAPACK-backed ``jnp.linalg.solve`` because large vmapped batches
    of LAPACK solves were seen to deadlock the CPU runtime of this JAX version.
    """
    vec = b.ndim == 1
    B = b[:, None] if vec else b

    def eliminate(i, carry):
        A, B = carry
        row_a, row_b = A[i] / A[i, i], B[i] / A[i, i]
        col = A[:, i].at[i].set(0.0)
        A = (A - col[:, None] * row_a[None, :]).at[i].set(row_a)
        B = (B - col[:, None] * row_b[None, :]).at[i].set(row_b)
        return A, B

    _, X = jax.lax.fori_loop(0, A.shape[0], eliminate, (A, B))
    return X[:, 0] if vec else X


def masked_ridge_solution(X: jax.Array, y: jax.Array, num_active: Any,
                          lam: Any = 0.0) -> jax.Array:
    """Ridge (λ > 0) or min-norm (λ = 0) least squares on the first ``num_active`` columns.

    Solves β̂ = argmin ‖y − X_p β‖² + nλ‖β‖² (min-norm among the minimisers when λ = 0),
    where X_p keeps the first p = ``num_active`` columns of X and zeroes the rest; the
    returned β̂ has X's full width with zeros beyond p. ``num_active`` and ``lam`` may be
    traced, so ``vmap`` over them reuses one compiled program.

    Below the threshold (p < n) the primal system on the first min(n, p_max) columns,
    (X_pᵀX_p + nλI + diag(1 − mask))β = X_pᵀy, is solved; otherwise the dual
    β̂ = X_pᵀ(X_pX_pᵀ + nλI)⁻¹y, which is the pseudo-inverse solution for p ≥ n.

    Args:
      X: (n, p_max) design.
      y: (n,) or (n, k) targets.
      num_active: number of active leading columns p (1 ≤ p ≤ p_max).
      lam: ridge penalty λ ≥ 0 (scaled by n).

    Returns:
      β̂ of shape (p_max,) or (p_max, k).
    """
    n, p_max = X.shape
    mask = (jnp.arange(p_max) < num_active).astype(X.dtype)
    Xm = X * mask
    k = min(n, p_max)
    Xs, ms = Xm[:, :k], mask[:k]
    gram = Xs.T @ Xs + jnp.diag(n * lam + (1 - ms))
    under = spd_solve(gram, Xs.T @ y)
    under = jnp.concatenate([under, jnp.zeros((p_max - k,) + under.shape[1:], X.dtype)], 0)
    # The branch not selected gets an identity shift so that it stays well posed.
    shift = n * lam + jnp.where(num_active < n, 1.0, 0.0)
    kernel = Xm @ Xm.T + shift * jnp.eye(n, dtype=X.dtype)
    over = Xm.T @ spd_solve(kernel, y)
    return jnp.where(num_active < n, under, over)


def _risk_one_design(key: jax.Array, n: int, p_max: int, ps: jax.Array, lams: jax.Array,
                     r2: float, sigma2: float) -> jax.Array:
    """‖β̂ − β‖² for every (p, λ) on one shared draw of (X, direction, noise)."""
    kx, kb, ke = jax.random.split(key, 3)
    X = jax.random.normal(kx, (n, p_max))
    g = jax.random.normal(kb, (p_max,))
    eps = jax.random.normal(ke, (n,))

    def one(p, lam):
        mask = (jnp.arange(p_max) < p).astype(X.dtype)
        beta = jnp.sqrt(r2) * g * mask / jnp.linalg.norm(g * mask)
        y = X @ beta + jnp.sqrt(sigma2) * eps
        beta_hat = masked_ridge_solution(X, y, p, lam)
        return jnp.sum((beta_hat - beta) ** 2)

    return jax.vmap(one)(ps, lams)


@jax.jit(static_argnames=("n", "p_max", "r2", "sigma2"))
def _risk_designs(keys, ps, lams, *, n, p_max, r2, sigma2):
    return jax.vmap(lambda k: _risk_one_design(k, n, p_max, ps, lams, r2, sigma2))(keys)


class RiskMC(NamedTuple):
    """Monte Carlo estimate of E‖β̂ − β‖²: per-p mean, standard error and all draws."""

    mean: jax.Array
    stderr: jax.Array
    draws: jax.Array


def least_squares_risk_mc(key: jax.Array, n: int, ps: Any, *, r2: float = 1.0,
                          sigma2: float = 1.0, lam: Any = 0.0, num_trials: int = 200,
                          trial_batch: int = 50) -> RiskMC:
    """Monte Carlo excess risk E‖β̂ − β‖² of min-norm (λ = 0) or ridge least squares.

    Each trial draws X ~ N(0, 1)^{n × p_max} (p_max = max ps), one direction and one noise
    vector, and evaluates every p (nested designs, features masked) in one ``vmap``; trials
    run in chunks of ``trial_batch`` (one compiled program per chunk size). β has ‖β‖² = r² on the first p coordinates.

    Args:
      key: PRNG key.
      n: number of samples.
      ps: 1-D integer array of widths p ≥ 1.
      r2: signal strength ‖β‖².
      sigma2: noise variance.
      lam: scalar or per-p array of ridge penalties (0 = min-norm).
      num_trials: Monte Carlo repetitions.
      trial_batch: trials evaluated together (memory/speed trade-off).

    Returns:
      :class:`RiskMC` with ``mean`` and ``stderr`` of shape (len(ps),) and ``draws``
      (num_trials, len(ps)).
    """
    n = check_int(n, "n", minimum=2)
    ps_np, num_trials, trial_batch = _check_mc_args(ps, "ps", r2, sigma2, num_trials, trial_batch)
    lams = jnp.broadcast_to(jnp.asarray(lam, jnp.float32), ps_np.shape)
    if not jnp.all(lams >= 0):
        raise ValueError("lam must be >= 0")
    p_max = int(ps_np.max())
    ps_j = jnp.asarray(ps_np, jnp.int32)
    return _chunked_trials(lambda keys: _risk_designs(keys, ps_j, lams, n=n, p_max=p_max, r2=float(r2),
                                                      sigma2=float(sigma2)),
                           jax.random.split(key, num_trials), trial_batch)


def _check_mc_args(sizes, name, r2, sigma2, num_trials, trial_batch):
    """Validate the arguments shared by the two risk Monte Carlo functions."""
    sizes_np = np.asarray(sizes)
    if sizes_np.ndim != 1 or sizes_np.size == 0 or sizes_np.dtype.kind not in "iu" or sizes_np.min() < 1:
        raise ValueError(f"{name} must be a non-empty 1-D array of integers >= 1, got {sizes!r}")
    check_positive(r2, "r2")
    check_positive(sigma2, "sigma2", strict=False)
    return (sizes_np, check_int(num_trials, "num_trials", minimum=2),
            check_int(trial_batch, "trial_batch", minimum=1))


def _chunked_trials(draw_fn, keys, trial_batch) -> RiskMC:
    # Chunks run one after another (blocking on each): concurrent executions of batched
    # LAPACK solves were seen to deadlock the CPU runtime under heavy load.
    draws = jnp.concatenate([jax.block_until_ready(draw_fn(keys[i:i + trial_batch]))
                             for i in range(0, keys.shape[0], trial_batch)])
    return RiskMC(draws.mean(0), draws.std(0, ddof=1) / np.sqrt(keys.shape[0]), draws)


def _risk_one_design_rows(key, p, n_max, ns, r2, sigma2):
    """‖X_n⁺y_n − β‖² for every n in ``ns`` on one draw, X_n = the first n rows.

    Rows ≥ n are zeroed in X and y: zero rows change neither the residual nor the
    pseudo-inverse solution. n ≥ p solves the (masked) normal equations, n < p the dual
    system with an identity block on the masked rows.
    """
    kx, kb, ke = jax.random.split(key, 3)
    X = jax.random.normal(kx, (n_max, p))
    g = jax.random.normal(kb, (p,))
    beta = jnp.sqrt(r2) * g / jnp.linalg.norm(g)
    y = X @ beta + jnp.sqrt(sigma2) * jax.random.normal(ke, (n_max,))

    k = min(p, n_max)  # the dual is only used for n < p, where rows ≥ p are all masked

    def one(n):
        rows = (jnp.arange(n_max) < n).astype(X.dtype)
        Xm, ym = X * rows[:, None], y * rows
        primal = spd_solve(Xm.T @ Xm + jnp.where(n >= p, 0.0, 1.0) * jnp.eye(p), Xm.T @ ym)
        Xd, rd = Xm[:k], rows[:k]
        gram = Xd @ Xd.T + jnp.diag(1 - rd) + jnp.where(n >= p, 1.0, 0.0) * jnp.eye(k)
        dual = Xd.T @ spd_solve(gram, ym[:k])
        beta_hat = jnp.where(n >= p, primal, dual)
        return jnp.sum((beta_hat - beta) ** 2)

    return jax.vmap(one)(ns)


@jax.jit(static_argnames=("p", "n_max", "r2", "sigma2"))
def _risk_designs_rows(keys, ns, *, p, n_max, r2, sigma2):
    return jax.vmap(lambda k: _risk_one_design_rows(k, p, n_max, ns, r2, sigma2))(keys)


def least_squares_risk_mc_samples(key: jax.Array, p: int, ns: Any, *, r2: float = 1.0,
                                  sigma2: float = 1.0, num_trials: int = 200,
                                  trial_batch: int = 50) -> RiskMC:
    """Monte Carlo risk E‖β̂ − β‖² of min-norm least squares vs the *sample size* n.

    Sample-wise double descent (Nakkiran 2019, "More data can hurt for linear
    regression"): with p fixed, the risk r²(1 − n/p) + σ²n/(p − n − 1) *grows* with n
    below p when σ² is large enough, blows up at n = p, and falls as σ²p/(n − p − 1)
    above. Each trial draws X ~ N(0, 1)^{n_max × p}, β with ‖β‖² = r² and the noise once
    and evaluates every n on the nested designs of its first n rows (rows masked, one
    compiled program).

    Args:
      key: PRNG key.
      p: number of features.
      ns: 1-D integer array of sample sizes n ≥ 1.
      r2, sigma2, num_trials, trial_batch: as in :func:`least_squares_risk_mc`.

    Returns:
      :class:`RiskMC` over ``ns``.
    """
    p = check_int(p, "p", minimum=1)
    ns_np, num_trials, trial_batch = _check_mc_args(ns, "ns", r2, sigma2, num_trials, trial_batch)
    ns_j = jnp.asarray(ns_np, jnp.int32)
    return _chunked_trials(lambda keys: _risk_designs_rows(keys, ns_j, p=p, n_max=int(ns_np.max()),
                                                           r2=float(r2), sigma2=float(sigma2)),
                           jax.random.split(key, num_trials), trial_batch)


# ---------------------------------------------------------------------------------------
# Random features + min-norm least squares
# ---------------------------------------------------------------------------------------


def random_features(key: jax.Array, X: Any, num_features: int, *, kind: str = "fourier",
                    bandwidth: float = 1.0) -> jax.Array:
    """Random Fourier or ReLU features Φ (n, N), normalised so ΦΦᵀ → a fixed kernel.

    Fourier: φ_j(x) = √(2/N) cos(ω_jᵀx/ℓ + b_j), ω_j ~ N(0, I_d), b_j ~ U[0, 2π) (Rahimi &
    Recht 2007; the kernel is the Gaussian exp(−‖x − x′‖²/(2ℓ²))). ReLU:
    φ_j(x) = √(2/N) max(0, ω_jᵀx/(ℓ√d) + b_j), b_j ~ N(0, 1). The same ``key`` gives the
    same features, so call it once for training and once for test inputs.
    """
    X = check_X(X)
    num_features = check_int(num_features, "num_features", minimum=1)
    check_option(kind, "kind", ("fourier", "relu"))
    check_positive(bandwidth, "bandwidth")
    d = X.shape[1]
    kw, kb = jax.random.split(key)
    omega = jax.random.normal(kw, (d, num_features))
    if kind == "fourier":
        b = jax.random.uniform(kb, (num_features,), maxval=2 * jnp.pi)
        feats = jnp.cos(X @ omega / bandwidth + b)
    else:
        b = jax.random.normal(kb, (num_features,))
        feats = jax.nn.relu(X @ omega / (bandwidth * np.sqrt(d)) + b)
    return jnp.sqrt(2.0 / num_features) * feats


class FeatureSweep(NamedTuple):
    """Min-norm least squares on the first N features, for every N of the grid."""

    num_features: jax.Array   # (G,) N
    train_mse: jax.Array      # (G,)
    test_mse: jax.Array       # (G,)
    train_err: jax.Array      # (G,) zero-one error of argmax predictions
    test_err: jax.Array       # (G,)
    norm: jax.Array           # (G,) ‖β‖ (Frobenius over outputs), features rescaled by √(N_max/N)


def minnorm_feature_sweep(phi_train: Any, y_train: Any, phi_test: Any, y_test: Any,
                          *, block: int) -> FeatureSweep:
    """Min-norm least squares on the first N columns of Φ for N = block, 2·block, …, N_max.

    A ``lax.scan`` over feature blocks carries K = Φ_NΦ_Nᵀ and K_test = Φ_test,NΦ_Nᵀ; at each
    N the fit is α = K⁺Y with the top min(n, N) eigenvalues kept (exact rank), predictions
    K_test α, and ‖β‖² = Σ_k α_kᵀKα_k. Features from :func:`random_features` are scaled by
    √(2/N_max); the norm is reported for the √(2/N) scaling of an N-feature model.

    Args:
      phi_train: (n, N_max) features; N_max a multiple of ``block``.
      y_train: (n,) int class labels; targets are one-hot.
      phi_test: (m, N_max) features.
      y_test: (m,) int labels.
      block: grid spacing.
    """
    phi_train = check_X(phi_train, "phi_train")
    phi_test = check_X(phi_test, "phi_test")
    y_train = check_array(y_train, "y_train", ndim=1, dtype_kind="i")
    y_test = check_array(y_test, "y_test", ndim=1, dtype_kind="i")
    block = check_int(block, "block", minimum=1)
    n, n_max = phi_train.shape
    if phi_test.shape[1] != n_max:
        raise ValueError(f"phi_test must have {n_max} columns, got {phi_test.shape[1]}")
    if n_max % block:
        raise ValueError(f"block must divide the number of features {n_max}, got {block}")
    if y_train.shape[0] != n or y_test.shape[0] != phi_test.shape[0]:
        raise ValueError("y_train/y_test must match the rows of phi_train/phi_test")
    num_classes = int(max(int(y_train.max()), int(y_test.max()))) + 1
    return _feature_sweep(phi_train, y_train, phi_test, y_test, block, num_classes)


@jax.jit(static_argnames=("block", "num_classes"))
def _feature_sweep(phi_train, y_train, phi_test, y_test, block, num_classes):
    n, n_max = phi_train.shape
    Y = jax.nn.one_hot(y_train, num_classes)
    Yt = jax.nn.one_hot(y_test, num_classes)
    nb = n_max // block
    blocks_tr = phi_train.reshape(n, nb, block).transpose(1, 0, 2)
    blocks_te = phi_test.reshape(phi_test.shape[0], nb, block).transpose(1, 0, 2)

    def step(carry, inp):
        K, Kt = carry
        i, btr, bte = inp
        K = K + btr @ btr.T
        Kt = Kt + bte @ btr.T
        N = (i + 1) * block
        rank = jnp.minimum(n, N)
        evals, evecs = jnp.linalg.eigh(K)
        keep = jnp.arange(n) >= n - rank
        inv = jnp.where(keep, 1.0 / jnp.where(keep, evals, 1.0), 0.0)
        alpha = evecs @ (inv[:, None] * (evecs.T @ Y))
        pred_tr, pred_te = K @ alpha, Kt @ alpha
        norm2 = jnp.sum(alpha * pred_tr) * N / n_max
        out = (N, jnp.mean(jnp.sum((pred_tr - Y) ** 2, -1)), jnp.mean(jnp.sum((pred_te - Yt) ** 2, -1)),
               jnp.mean(pred_tr.argmax(-1) != y_train), jnp.mean(pred_te.argmax(-1) != y_test),
               jnp.sqrt(jnp.maximum(norm2, 0.0)))
        return (K, Kt), out

    init = (jnp.zeros((n, n)), jnp.zeros((phi_test.shape[0], n)))
    _, outs = jax.lax.scan(step, init, (jnp.arange(nb), blocks_tr, blocks_te))
    return FeatureSweep(*outs)


# ---------------------------------------------------------------------------------------
# Deep double descent: width-masked networks and a vmapped SGD sweep
# ---------------------------------------------------------------------------------------


def _torch_uniform(key: jax.Array, shape: tuple[int, ...], fan_in: Any) -> jax.Array:
    """U(−1/√fan_in, 1/√fan_in), PyTorch's default for Linear/Conv weights and biases.

    Entry (i, j, ...) is drawn from ``key`` folded with its own index, so the leading block
    of a padded tensor is the same whatever the padding: a width-h network starts from
    the same weights however wide the program that trains it.
    """
    index = jnp.indices(shape).reshape(len(shape), -1).T

    def draw(ix):
        k = key
        for d in range(len(shape)):
            k = jax.random.fold_in(k, ix[d])
        return jax.random.uniform(k, minval=-1.0, maxval=1.0)

    return jax.vmap(draw)(index).reshape(shape) / jnp.sqrt(fan_in)


def init_masked_mlp(key: jax.Array, width: Any, *, in_features: int, max_width: int,
                    num_outputs: int, depth: int = 2) -> list[dict[str, jax.Array]]:
    """Parameters of a ``depth``-hidden-layer ReLU MLP padded to ``max_width`` units.

    Layer l has weights ``w`` (fan_in, fan_out) and bias ``b``; the entries that the active
    ``width`` (traceable) uses are distributed as in an unpadded width-``width`` PyTorch
    MLP, U(±1/√fan_in) with fan_in = ``in_features`` or ``width``.
    """
    keys = jax.random.split(key, 2 * (depth + 1))
    dims = [in_features] + [max_width] * depth + [num_outputs]
    fan_ins = [in_features] + [width] * depth
    return [{"w": _torch_uniform(keys[2 * i], (dims[i], dims[i + 1]), fan_ins[i]),
             "b": _torch_uniform(keys[2 * i + 1], (dims[i + 1],), fan_ins[i])}
            for i in range(depth + 1)]


def masked_mlp_apply(params: list[dict[str, jax.Array]], x: jax.Array, width: Any) -> jax.Array:
    """Logits of the padded MLP with hidden units ≥ ``width`` masked to zero.

    Equals the unpadded width-``width`` network whose weights are the leading blocks of
    ``params`` (tested), and masked units receive zero gradient.
    """
    h = x.reshape(x.shape[0], -1)
    for layer in params[:-1]:
        mask = (jnp.arange(layer["w"].shape[1]) < width).astype(h.dtype)
        h = jax.nn.relu(h @ layer["w"] + layer["b"]) * mask
    return h @ params[-1]["w"] + params[-1]["b"]


CNN_KERNELS = (5, 3, 3)  # the MNIST-1D CNN: three stride-2, padding-1 convolutions


def _conv_out_length(length: int) -> int:
    for k in CNN_KERNELS:
        length = (length + 2 - k) // 2 + 1
    return length


def init_masked_cnn(key: jax.Array, channels: Any, *, length: int, max_width: int,
                    num_outputs: int) -> list[dict[str, jax.Array]]:
    """The MNIST-1D CNN (Conv1d kernels 5, 3, 3, stride 2, padding 1, ReLU; flatten;
    linear) with ``max_width`` channels of which the first ``channels`` are active.

    Conv weights are (kernel, in, out) ("WIO"); the readout is (out_length·max_width,
    num_outputs) in (position, channel) order. PyTorch default initialisation with fan_in
    of the active channels.
    """
    keys = jax.random.split(key, 2 * (len(CNN_KERNELS) + 1))
    params, c_in, fan_c = [], 1, 1
    for i, k in enumerate(CNN_KERNELS):
        params.append({"w": _torch_uniform(keys[2 * i], (k, c_in, max_width), fan_c * k),
                       "b": _torch_uniform(keys[2 * i + 1], (max_width,), fan_c * k)})
        c_in, fan_c = max_width, channels
    out_len = _conv_out_length(length)
    readout = _torch_uniform(keys[-2], (out_len, max_width, num_outputs), out_len * channels)
    params.append({"w": readout.reshape(out_len * max_width, num_outputs),
                   "b": _torch_uniform(keys[-1], (num_outputs,), out_len * channels)})
    return params


def masked_cnn_apply(params: list[dict[str, jax.Array]], x: jax.Array, channels: Any) -> jax.Array:
    """Logits of the padded MNIST-1D CNN with channels ≥ ``channels`` masked to zero."""
    h = x.reshape(x.shape[0], -1)[..., None]
    for layer in params[:-1]:
        h = conv1d_matmuls(h, layer["w"], stride=2, padding=1) + layer["b"]
        mask = (jnp.arange(h.shape[-1]) < channels).astype(h.dtype)
        h = jax.nn.relu(h) * mask
    return h.reshape(h.shape[0], -1) @ params[-1]["w"] + params[-1]["b"]


def corrupt_labels(key: jax.Array, y: Any, fraction: float, num_classes: int) -> jax.Array:
    """Replace a random ``fraction`` of labels by a uniformly drawn *different* class."""
    y = check_array(y, "y", ndim=1, dtype_kind="i")
    num_classes = check_int(num_classes, "num_classes", minimum=2)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    k_pick, k_new = jax.random.split(key)
    n = y.shape[0]
    flip = jnp.zeros(n, bool).at[jax.random.permutation(k_pick, n)[: int(round(fraction * n))]].set(True)
    shift = jax.random.randint(k_new, (n,), 1, num_classes)
    return jnp.where(flip, (y + shift) % num_classes, y)


class SweepHistory(NamedTuple):
    """Metrics of a width sweep at every evaluation, shape (configs, seeds, evals)."""

    step: jax.Array
    train_loss: jax.Array
    train_err: jax.Array
    test_loss: jax.Array
    test_err: jax.Array


def _chunked_metrics(apply_fn, params, width, x, y, weight, chunk):
    """Weighted mean cross-entropy and zero-one error over (x, y) in chunks (low memory)."""
    m = x.shape[0]
    nc = -(-m // chunk)
    pad = nc * chunk - m
    xs = jnp.concatenate([x, jnp.zeros((pad,) + x.shape[1:], x.dtype)]).reshape((nc, chunk) + x.shape[1:])
    ys = jnp.concatenate([y, jnp.zeros(pad, y.dtype)]).reshape(nc, chunk)
    ws = jnp.concatenate([weight, jnp.zeros(pad, weight.dtype)]).reshape(nc, chunk)

    def one(args):
        xb, yb, wb = args
        logits = apply_fn(params, xb, width)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, yb)
        return jnp.sum(wb * loss), jnp.sum(wb * (logits.argmax(-1) != yb))

    loss, err = jax.lax.map(one, (xs, ys, ws))
    total = jnp.sum(weight)
    return loss.sum() / total, err.sum() / total


def width_buckets(widths: Any, max_ratio: float) -> list[np.ndarray]:
    """Group config indices so that, within a group, max width / min width ≤ ``max_ratio``.

    Widths are taken in increasing order and a new group starts whenever adding the next
    width would break the ratio; ``max_ratio=1`` gives one group per distinct width and
    ``max_ratio=inf`` a single group. Padding every config of a group to its largest width
    wastes at most a factor ``max_ratio`` (``max_ratio``² for square hidden layers).
    """
    widths = np.asarray(widths, dtype=float)
    if not max_ratio >= 1.0:
        raise ValueError(f"max_ratio must be >= 1, got {max_ratio}")
    order = np.argsort(widths, kind="stable")
    groups, current = [], [order[0]]
    for i in order[1:]:
        if widths[i] <= max_ratio * widths[current[0]]:
            current.append(i)
        else:
            groups.append(np.asarray(current))
            current = [i]
    groups.append(np.asarray(current))
    return groups


def sgd_width_sweep(key: jax.Array, init_fn: Callable[..., Any],
                    apply_fn: Callable[[Any, jax.Array, Any], jax.Array], widths: Any,
                    num_train: Any, train: tuple[Any, Any], test: tuple[Any, Any], *,
                    num_seeds: int, steps: int, eval_every: int, batch_size: int = 100,
                    lr: float = 0.01, momentum: float = 0.9, eval_chunk: int = 2000,
                    max_width_ratio: float = 1.0, progress: bool | None = None) -> SweepHistory:
    """Train one masked network per (width, training-set size, seed) with SGD + momentum,
    seeds and configs ``vmap``-ed inside compiled programs.

    Config c trains ``init_fn(key, widths[c], max_width=M)`` /
    ``apply_fn(params, x, widths[c])`` on the first ``num_train[c]`` training examples with
    minibatches of ``batch_size`` drawn uniformly (with replacement) from them,
    cross-entropy loss, for ``steps`` steps; every ``eval_every`` steps it records loss and
    zero-one error on those training examples and on the whole test set.

    Configs are grouped by :func:`width_buckets` (``max_width_ratio``); each group is one
    compiled, vmapped program padded to its largest width M. ``max_width_ratio=1`` (the
    default) compiles once per distinct width and wastes no compute on padding;
    ``inf`` trains everything in one program. Each config's key depends only on its
    index, so the grouping does not change the randomness (results agree to float
    rounding).

    Args:
      key: PRNG key (split into one key per config and seed).
      init_fn: ``(key, width, *, max_width) -> params`` with ``width`` traceable (e.g. a
        partial of :func:`init_masked_mlp` binding ``in_features`` and ``num_outputs``).
      apply_fn: ``(params, x, width) -> logits``.
      widths: (C,) active widths.
      num_train: (C,) training-set sizes (≤ len(train x)), or a scalar for all configs.
      train, test: ``(x, y)`` arrays with integer labels.
      num_seeds: independent initialisations/minibatch orders per config.
      steps: SGD steps (a multiple of ``eval_every``).
      eval_every: steps between evaluations.
      max_width_ratio: largest width ratio padded into one program (≥ 1).
      progress: tqdm bar over the groups (None: only on a terminal).

    Returns:
      :class:`SweepHistory`; metric arrays are (C, num_seeds, steps // eval_every).
    """
    x_tr = check_array(train[0], "train x", ndim=(2, 3), dtype_kind="f")
    y_tr = check_array(train[1], "train y", ndim=1, dtype_kind="i")
    x_te = check_array(test[0], "test x", ndim=(2, 3), dtype_kind="f")
    y_te = check_array(test[1], "test y", ndim=1, dtype_kind="i")
    if x_tr.shape[0] != y_tr.shape[0] or x_te.shape[0] != y_te.shape[0]:
        raise ValueError("train/test x and y must have the same number of rows")
    widths = np.asarray(check_array(widths, "widths", ndim=1))
    if widths.size == 0 or widths.min() < 1:
        raise ValueError(f"widths must be a non-empty array of values >= 1, got {widths}")
    num_train = np.broadcast_to(np.asarray(check_array(num_train, "num_train", ndim=(0, 1), dtype_kind="i")),
                                widths.shape)
    if int(num_train.min()) < 1 or int(num_train.max()) > x_tr.shape[0]:
        raise ValueError(f"num_train must be in [1, {x_tr.shape[0]}], got {num_train}")
    num_seeds = check_int(num_seeds, "num_seeds", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    eval_every = check_int(eval_every, "eval_every", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if steps % eval_every:
        raise ValueError(f"steps ({steps}) must be a multiple of eval_every ({eval_every})")
    check_positive(lr, "lr")
    tx = optax.sgd(lr, momentum=momentum)
    num_evals = steps // eval_every
    chunk = min(eval_chunk, x_te.shape[0])

    def train_one(k, width, n_active, max_width):
        k_init, k_data = jax.random.split(k)
        params = init_fn(k_init, width, max_width=max_width)

        def loss_fn(p, xb, yb):
            logits = apply_fn(p, xb, width)
            return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

        def sgd_step(carry, kb):
            p, opt = carry
            idx = jax.random.randint(kb, (batch_size,), 0, n_active)
            grads = jax.grad(loss_fn)(p, x_tr[idx], y_tr[idx])
            updates, opt = tx.update(grads, opt, p)
            return (optax.apply_updates(p, updates), opt), None

        def segment(carry, ks):
            carry, _ = jax.lax.scan(sgd_step, carry, jax.random.split(ks, eval_every))
            w_tr = (jnp.arange(x_tr.shape[0]) < n_active).astype(x_tr.dtype)
            tr = _chunked_metrics(apply_fn, carry[0], width, x_tr, y_tr, w_tr, chunk)
            te = _chunked_metrics(apply_fn, carry[0], width, x_te, y_te,
                                  jnp.ones(x_te.shape[0], x_te.dtype), chunk)
            return carry, (*tr, *te)

        _, hist = jax.lax.scan(segment, (params, tx.init(params)),
                               jax.random.split(k_data, num_evals))
        return hist

    @functools.partial(jax.jit, static_argnums=3)
    def run_group(keys, group_widths, group_train, max_width):
        per_seed = jax.vmap(train_one, (0, None, None, None))
        return jax.vmap(per_seed, (0, 0, 0, None))(keys, group_widths, group_train, max_width)

    keys = jax.random.split(key, (widths.shape[0], num_seeds))
    out = np.zeros((4, widths.shape[0], num_seeds, num_evals), np.float32)
    for group in tqdm(width_buckets(widths, max_width_ratio), desc="width sweep", 
                      disable=None if progress is None else not progress):
        hist = run_group(keys[group], jnp.asarray(widths[group], jnp.float32),
                         jnp.asarray(num_train[group]), int(np.ceil(widths[group].max())))
        out[:, group] = np.stack([np.asarray(h) for h in hist])
    step = np.arange(1, num_evals + 1) * eval_every
    return SweepHistory(jnp.asarray(step), *(jnp.asarray(a) for a in out))
