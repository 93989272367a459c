"""DP-SGD (Abadi et al. 2016) and membership-inference attacks.

One DP-SGD step with Poisson subsampling at rate q over N examples, clip norm C and
noise multiplier σ:

    B ∼ Poisson(q):  every example enters independently with probability q,
    g̃ = (1 / qN) · ( Σ_{i∈B} g_i · min(1, C / ‖g_i‖₂) + N(0, σ²C² I) ),
    (params, opt_state) ← optimiser update with g̃.

g_i = ∇_θ ℓ(θ; x_i, y_i) is computed for every example at once by ``vmap(grad)``; ‖g_i‖
is the norm of the whole per-example gradient pytree (flat clipping). Dividing by the
*expected* batch size qN (as Opacus does) keeps the noise independent of the private |B|.

Static shapes under ``jit``: |B| ∼ Binomial(N, q) is drawn first, then a uniformly random
set of ``capacity`` distinct indices of which the first |B| are kept (a mask). A uniformly
random |B|-subset with |B| ∼ Binomial(N, q) *is* Poisson sampling. The default capacity
qN + 8√(qN(1 − q)) + 8 makes |B| > capacity (then |B| is cut to ``capacity``) an event of
probability below 10⁻¹⁴ per step; :func:`capacity_overflow_probability` gives it exactly.

Membership inference: the loss-threshold attack (Yeom et al. 2018) scores an example by
−ℓ(θ; x, y), members having lower loss; its AUC between training members and held-out
non-members is 0.5 for a model that leaks nothing. The shadow-model attack (Shokri et al.
2017) trains shadow models on random halves of attacker-owned data and fits a logistic
regression on the in/out shadow examples' features (the sorted softmax vector and the
loss), then scores the target model's members and non-members.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import flax.linen as nn
import numpy as np
import optax
from flax import traverse_util
from scipy import stats

from jaxml.classical.linear import logistic_regression
from jaxml.classical.metrics import roc_auc
from jaxml.core.validation import check_int, check_range
from jaxml.nn.models import Conv1D, conv1d_patches

LossFn = Callable[[Any, jax.Array, jax.Array], jax.Array]
NormsFn = Callable[[Any, jax.Array, jax.Array], jax.Array]
ClippedSumFn = Callable[[Any, jax.Array, jax.Array, jax.Array, Any], tuple[Any, jax.Array, jax.Array]]


def _check_clip(clip_norm: Any) -> None:
    check_range(clip_norm, "clip_norm", low=0.0, low_open=True, expected="> 0")


def _check_rate(sampling_rate: Any) -> float:
    return float(check_range(sampling_rate, "sampling_rate", low=0.0, high=1.0, low_open=True,
                             expected="a sampling rate in (0, 1]"))


def _check_noise(noise_multiplier: Any) -> None:
    check_range(noise_multiplier, "noise_multiplier", low=0.0, expected=">= 0 and finite")


def per_example_grads(loss_fn: LossFn, params: Any, x: jax.Array, y: jax.Array) -> Any:
    """g_i = ∇_θ ℓ(θ; x_i, y_i) for every row i: a pytree like ``params`` with a leading
    batch axis. ``loss_fn(params, x_i, y_i)`` sees one example (no batch axis)."""
    return jax.vmap(jax.grad(loss_fn), in_axes=(None, 0, 0))(params, x, y)


def global_norms(grads: Any) -> jax.Array:
    """‖g_i‖₂ over all leaves of a batched gradient pytree, ``(batch,)``."""
    leaves = jax.tree.leaves(grads)
    return jnp.sqrt(sum(jnp.sum(jnp.reshape(g, (g.shape[0], -1)) ** 2, axis=1) for g in leaves))


def clip_per_example(grads: Any, clip_norm: Any) -> tuple[Any, jax.Array]:
    """g_i · min(1, C/‖g_i‖₂) and the unclipped norms ‖g_i‖₂."""
    _check_clip(clip_norm)
    norms = global_norms(grads)
    scale = jnp.minimum(1.0, clip_norm / jnp.maximum(norms, 1e-12))
    return jax.tree.map(lambda g: g * scale.reshape((-1,) + (1,) * (g.ndim - 1)), grads), norms


def default_capacity(n: int, sampling_rate: float) -> int:
    """qN + 8√(qN(1 − q)) + 8, at most N: the padded batch of :func:`poisson_batch`."""
    q = _check_rate(sampling_rate)
    n = check_int(n, "n", minimum=1)
    return int(min(n, math.ceil(q * n + 8 * math.sqrt(q * n * (1 - q)) + 8)))


def capacity_overflow_probability(n: int, sampling_rate: float, capacity: int) -> float:
    """P(Binomial(N, q) > capacity): how often a padded batch cuts the Poisson batch."""
    return float(stats.binom.sf(capacity, n, _check_rate(sampling_rate)))


def poisson_batch(key: jax.Array, n: int, sampling_rate: Any, capacity: int) -> tuple[jax.Array, jax.Array]:
    """``(indices (capacity,), mask (capacity,))``: a Poisson(q) subset of ``range(n)``
    (module docstring); masked-out slots hold valid but unused indices."""
    k_size, k_pick = jax.random.split(key)
    size = jax.random.binomial(k_size, n, sampling_rate)
    indices = jax.random.choice(k_pick, n, (capacity,), replace=False)
    return indices, jnp.arange(capacity) < size


def private_gradient(key: jax.Array, loss_fn: LossFn, params: Any, x: jax.Array, y: jax.Array,
                     mask: jax.Array, *, clip_norm: Any, noise_multiplier: Any,
                     expected_batch_size: Any, norms_fn: NormsFn | None = None,
                     clipped_sum_fn: ClippedSumFn | None = None) -> tuple[Any, dict]:
    """g̃ = (Σ_i mask_i · clip(g_i) + N(0, σ²C²I)) / expected_batch_size, and
    ``{"grad_norms": ‖g_i‖ (unclipped), "losses": ℓ_i, "batch_size": Σ mask}``.

    By default two passes: the per-example norms ‖g_i‖ (``norms_fn(params, x, y)``; by
    default from the stored per-example gradients of ``vmap(grad)``, or e.g.
    :func:`ghost_norms`), then Σ_i w_i g_i as the gradient of Σ_i w_i ℓ_i with the fixed
    weights w_i = mask_i · min(1, C/‖g_i‖) — one ordinary batched backward pass. A
    ``clipped_sum_fn`` (e.g. :func:`ghost_clipped_sum`) returns the clipped sum, the norms
    and the losses at once instead."""
    if norms_fn is not None and clipped_sum_fn is not None:
        raise ValueError("pass norms_fn or clipped_sum_fn, not both")
    if clipped_sum_fn is not None:
        summed, norms, losses = clipped_sum_fn(params, x, y, mask, clip_norm)
    else:
        if norms_fn is None:
            norms = global_norms(per_example_grads(loss_fn, params, x, y))
        else:
            norms = norms_fn(params, x, y)
        w = mask.astype(norms.dtype) * jnp.minimum(1.0, clip_norm / jnp.maximum(norms, 1e-12))

        def weighted(p):
            losses = jax.vmap(loss_fn, in_axes=(None, 0, 0))(p, x, y)
            return jnp.sum(w * losses), losses

        summed, losses = jax.grad(weighted, has_aux=True)(params)
    leaves, treedef = jax.tree.flatten(summed)
    keys = jax.random.split(key, len(leaves))
    noisy = [(g + noise_multiplier * clip_norm * jax.random.normal(k, g.shape, g.dtype)) / expected_batch_size
             for g, k in zip(leaves, keys)]
    return treedef.unflatten(noisy), {"grad_norms": norms, "losses": losses, "batch_size": mask.sum()}


def _layer_norms_sq(a: jax.Array, delta: jax.Array, use_bias: bool) -> jax.Array:
    """Σ over the kernel (and bias) of the squared per-example gradient of one linear layer
    with input rows a_i (B, T, d_in) and output gradients δ_i (B, T, d_out):
    ‖Σ_t a_it δ_itᵀ‖²_F (= ‖a_i‖²‖δ_i‖² when T = 1) plus ‖Σ_t δ_it‖²."""
    t, d_in, d_out = a.shape[1], a.shape[2], delta.shape[2]
    if t == 1:
        kernel = jnp.sum(a[:, 0] ** 2, -1) * jnp.sum(delta[:, 0] ** 2, -1)
    elif t * t <= d_in * d_out:  # ghost norm: Σ_{t,s} (a_t·a_s)(δ_t·δ_s)
        kernel = jnp.sum(jnp.einsum("btd,bsd->bts", a, a) * jnp.einsum("bte,bse->bts", delta, delta), (1, 2))
    else:
        kernel = jnp.sum(jnp.einsum("btd,bte->bde", a, delta) ** 2, (1, 2))
    bias = jnp.sum(jnp.sum(delta, 1) ** 2, -1) if use_bias else 0.0
    return kernel + bias


class _Layer(NamedTuple):
    """What one linear layer saw in a batched forward/backward pass: its input rows
    ``a`` (B, T, d_in) — a Dense layer's inputs, a Conv1D layer's receptive fields — the
    loss gradients ``delta`` (B, T, d_out) at its outputs, and its kernel's shape."""

    a: jax.Array
    delta: jax.Array
    use_bias: bool
    kernel_shape: tuple


def _linear_input(module: nn.Module, h: jax.Array) -> jax.Array | None:
    """(B, T, d_in) rows on which ``module`` acts as out = a @ W + b, or None if it is
    not a layer of that form."""
    if isinstance(module, nn.Dense):
        return h.reshape(h.shape[0], -1, h.shape[-1])
    if isinstance(module, Conv1D):
        return conv1d_patches(h, module.kernel_size, stride=module.stride, padding=module.padding)
    return None


def _linear_layers(model: nn.Module, example_losses: Callable, params: Any, x: jax.Array,
                   y: jax.Array) -> tuple[jax.Array, dict]:
    """Per-example losses ℓ_i and a :class:`_Layer` for every ``nn.Dense`` and
    :class:`~jaxml.nn.models.Conv1D` layer of ``model``, from one forward pass and one
    backward pass of Σ_i ℓ_i to zero probes added to the layer outputs (the probes'
    gradients are the δ_i; no parameter gradient is formed)."""
    records: dict[tuple, tuple] = {}  # static facts, recorded while tracing

    def run(probes):
        inputs = {}

        def interceptor(next_fun, args, kwargs, ctx):
            out = next_fun(*args, **kwargs)
            a = _linear_input(ctx.module, args[0]) if ctx.method_name == "__call__" else None
            if a is not None:
                path = ctx.module.path
                if path in inputs:
                    raise ValueError(f"ghost clipping needs each Dense/Conv1D layer called once; {path} is shared")
                inputs[path] = a
                records[path] = (out.shape, out.dtype, bool(getattr(ctx.module, "use_bias", True)))
                if probes is not None:
                    out = out + probes[path]
            return out

        with nn.intercept_methods(interceptor):
            losses = example_losses(model.apply(params, x), y)
        return jnp.sum(losses), (losses, inputs)

    jax.eval_shape(lambda: run(None))
    probes = {path: jnp.zeros(shape, dtype) for path, (shape, dtype, _) in records.items()}
    deltas, (losses, inputs) = jax.grad(run, has_aux=True)(probes)
    flat = traverse_util.flatten_dict(params)
    layers = {}
    for path, (shape, _, use_bias) in records.items():
        delta = deltas[path].reshape(shape[0], -1, shape[-1])
        layers[path] = _Layer(inputs[path], delta, use_bias, flat[("params", *path, "kernel")].shape)
    return losses, layers


def _other_grads(model: nn.Module, example_losses: Callable, params: Any, x: jax.Array, y: jax.Array,
                 layers: dict) -> dict:
    """Per-example gradients (``vmap(grad)``, flat keys) of the parameters outside the
    linear layers (e.g. normalisation scales); empty when there are none."""
    flat = traverse_util.flatten_dict(params)
    linear = {("params", *path, leaf) for path in layers for leaf in ("kernel", "bias")}
    others = {k: v for k, v in flat.items() if k not in linear}
    if not others:
        return {}
    fixed = {k: v for k, v in flat.items() if k in linear}

    def one(rest, xi, yi):
        merged = traverse_util.unflatten_dict({**fixed, **rest})
        return example_losses(model.apply(merged, xi[None]), yi[None])[0]

    return jax.vmap(jax.grad(one), in_axes=(None, 0, 0))(others, x, y)


def _norms(layers: dict, others: dict) -> jax.Array:
    total = sum(_layer_norms_sq(layer.a, layer.delta, layer.use_bias) for layer in layers.values())
    if others:
        total = total + global_norms(others) ** 2
    return jnp.sqrt(total)


def ghost_norms(model: nn.Module, example_losses: Callable[[jax.Array, jax.Array], jax.Array]) -> NormsFn:
    """``norms_fn(params, x, y) -> ‖g_i‖₂`` for a Flax ``model`` without storing the
    per-example gradients of its ``nn.Dense`` and :class:`~jaxml.nn.models.Conv1D` layers
    (ghost norms; Goodfellow 2015, Li et al. 2022).

    Such a layer computes out_it = W a_it + b at positions t (one position for a Dense
    layer on vectors; the receptive fields a_it of :func:`~jaxml.nn.models.conv1d_patches`
    for a convolution), so its per-example kernel gradient is Σ_t a_it δ_itᵀ with
    δ_it = ∂ℓ_i/∂out_it, whose squared norm is Σ_{t,s} (a_it·a_is)(δ_it·δ_is) — or the
    gradient itself is formed when that is cheaper. The δ of every layer come from one
    backward pass of Σ_i ℓ_i with respect to zero probes added to the layer outputs
    (method interception). Parameters outside these layers get their per-example
    gradients from ``vmap(grad)``. ``example_losses(logits, y)`` returns the ``(B,)``
    per-example losses of a batch; the model must treat examples independently (no batch
    statistics) and call each such layer once."""

    def norms_fn(params, x, y):
        _, layers = _linear_layers(model, example_losses, params, x, y)
        return _norms(layers, _other_grads(model, example_losses, params, x, y, layers))

    return norms_fn


def ghost_clipped_sum(model: nn.Module, example_losses: Callable[[jax.Array, jax.Array], jax.Array]) -> ClippedSumFn:
    """``clipped_sum_fn(params, x, y, mask, clip_norm) -> (Σ_i w_i g_i, ‖g_i‖₂, ℓ_i)`` with
    w_i = mask_i · min(1, C/‖g_i‖) in one forward and one backward pass (book-keeping;
    Bu et al. 2023): the norms as in :func:`ghost_norms`, then each linear layer's clipped
    sum Σ_i w_i Σ_t a_it δ_itᵀ (bias Σ_i w_i Σ_t δ_it) straight from the stored a and δ,
    without the second backward pass of :func:`private_gradient`. Same conditions on the
    model as :func:`ghost_norms`."""

    def clipped_sum_fn(params, x, y, mask, clip_norm):
        losses, layers = _linear_layers(model, example_losses, params, x, y)
        others = _other_grads(model, example_losses, params, x, y, layers)
        norms = _norms(layers, others)
        w = mask.astype(norms.dtype) * jnp.minimum(1.0, clip_norm / jnp.maximum(norms, 1e-12))
        flat = {k: jnp.tensordot(w, g, axes=1) for k, g in others.items()}
        for path, layer in layers.items():
            weighted = layer.delta * w[:, None, None]
            flat[("params", *path, "kernel")] = jnp.einsum("btd,bte->de", layer.a, weighted).reshape(layer.kernel_shape)
            if layer.use_bias:
                flat[("params", *path, "bias")] = jnp.sum(weighted, (0, 1))
        return traverse_util.unflatten_dict(flat), norms, losses

    return clipped_sum_fn


def make_dp_sgd(loss_fn: LossFn, tx: optax.GradientTransformation, *, n: int, sampling_rate: Any,
                clip_norm: Any, noise_multiplier: Any, steps: int, capacity: int | None = None,
                norms_fn: NormsFn | None = None, clipped_sum_fn: ClippedSumFn | None = None) -> Callable:
    """``train(key, params, X, y) -> (params, metrics)``: ``steps`` DP-SGD steps in one
    jitted ``lax.scan`` (module docstring; ``norms_fn`` and ``clipped_sum_fn`` as in
    :func:`private_gradient`).
    ``metrics``: per-step ``loss`` (mean over the
    sampled batch, before the update), ``batch_size`` and ``clipped_fraction``.

    Privacy is accounted separately: ``jaxml.trust.accountant.Accountant().step(q, σ,
    steps)`` (capacity overflow aside, whose probability
    :func:`capacity_overflow_probability` reports)."""
    if norms_fn is not None and clipped_sum_fn is not None:
        raise ValueError("pass norms_fn or clipped_sum_fn, not both")
    n = check_int(n, "n", minimum=1)
    q = _check_rate(sampling_rate)
    _check_clip(clip_norm)
    _check_noise(noise_multiplier)
    steps = check_int(steps, "steps", minimum=1)
    capacity = default_capacity(n, q) if capacity is None else check_int(capacity, "capacity", minimum=1)
    if capacity > n:
        raise ValueError(f"capacity must be <= n ({n}), got {capacity}")

    @jax.jit
    def train(key, params, X, y):
        if X.shape[0] != n or y.shape[0] != n:
            raise ValueError(f"X and y must have n={n} rows, got {X.shape[0]} and {y.shape[0]}")

        def step(carry, k):
            params, opt_state = carry
            k_batch, k_noise = jax.random.split(k)
            idx, mask = poisson_batch(k_batch, n, q, capacity)
            xb, yb = X[idx], y[idx]
            grad, info = private_gradient(k_noise, loss_fn, params, xb, yb, mask, clip_norm=clip_norm,
                                          noise_multiplier=noise_multiplier, expected_batch_size=q * n,
                                          norms_fn=norms_fn, clipped_sum_fn=clipped_sum_fn)
            losses = info["losses"]
            w = mask.astype(losses.dtype)
            updates, opt_state = tx.update(grad, opt_state, params)
            metrics = {"loss": jnp.sum(w * losses) / jnp.maximum(w.sum(), 1.0), "batch_size": info["batch_size"],
                       "clipped_fraction": jnp.sum(w * (info["grad_norms"] > clip_norm)) / jnp.maximum(w.sum(), 1.0)}
            return (optax.apply_updates(params, updates), opt_state), metrics

        (params, _), metrics = jax.lax.scan(step, (params, tx.init(params)), jax.random.split(key, steps))
        return params, metrics

    return train


# ----------------------------------------------------------------------------- membership inference
def loss_threshold_auc(member_losses: Any, nonmember_losses: Any) -> float:
    """AUC of the score −ℓ for telling members (label 1) from non-members (label 0):
    P(ℓ_member < ℓ_nonmember) + ½ P(tie)."""
    member_losses, nonmember_losses = np.asarray(member_losses), np.asarray(nonmember_losses)
    if member_losses.size == 0 or nonmember_losses.size == 0:
        raise ValueError("member_losses and nonmember_losses must both be non-empty")
    labels = np.concatenate([np.ones(member_losses.size), np.zeros(nonmember_losses.size)])
    scores = -np.concatenate([member_losses.ravel(), nonmember_losses.ravel()])
    return float(roc_auc(labels, scores))


def attack_features(logits: jax.Array, y: jax.Array) -> jax.Array:
    """Shadow-attack features of each example: its softmax vector sorted in decreasing
    order, and its cross-entropy loss."""
    probs = jax.nn.softmax(logits, axis=-1)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return jnp.concatenate([-jnp.sort(-probs, axis=-1), loss[:, None]], axis=-1)


def shadow_model_attack(key: jax.Array, train_fn: Callable, X_shadow: Any, y_shadow: Any, *,
                        num_shadows: int = 4) -> Callable:
    """Train ``num_shadows`` shadow models, each on a random half of (X_shadow, y_shadow)
    with ``train_fn(key, X, y) -> logits_fn``; fit a logistic-regression attack on the
    features (:func:`attack_features`) of the shadow members (label 1) and non-members
    (label 0). Returns ``score(logits, y) -> P(member)`` for the target model's outputs."""
    num_shadows = check_int(num_shadows, "num_shadows", minimum=1)
    X_shadow, y_shadow = jnp.asarray(X_shadow), jnp.asarray(y_shadow)
    n = X_shadow.shape[0]
    if n < 4:
        raise ValueError(f"X_shadow must have at least 4 rows, got {n}")
    features, labels = [], []
    for k in jax.random.split(key, num_shadows):
        k_split, k_train = jax.random.split(k)
        order = jax.random.permutation(k_split, n)
        inside, outside = order[: n // 2], order[n // 2:]
        logits_fn = train_fn(k_train, X_shadow[inside], y_shadow[inside])
        for rows, label in ((inside, 1), (outside, 0)):
            features.append(attack_features(logits_fn(X_shadow[rows]), y_shadow[rows]))
            labels.append(np.full(len(rows), label))
    attack = logistic_regression(C=1.0)
    params = attack.fit(jnp.concatenate(features), jnp.asarray(np.concatenate(labels)))

    def score(logits, y):
        return attack.predict_proba(params, attack_features(logits, y))[:, 1]

    return score


def attack_auc(score_fn: Callable, member_logits: Any, member_y: Any, nonmember_logits: Any,
               nonmember_y: Any) -> float:
    """AUC of an attack's membership scores on the target's members vs non-members."""
    s_in = np.asarray(score_fn(jnp.asarray(member_logits), jnp.asarray(member_y)))
    s_out = np.asarray(score_fn(jnp.asarray(nonmember_logits), jnp.asarray(nonmember_y)))
    labels = np.concatenate([np.ones(s_in.size), np.zeros(s_out.size)])
    return float(roc_auc(labels, np.concatenate([s_in, s_out])))
