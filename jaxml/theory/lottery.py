"""Lottery tickets: magnitude pruning masks, iterative magnitude pruning, rewinding, controls.

A *mask* is a pytree shaped like the parameters holding 0/1 (float) entries; the masked
network is f(x; m ⊙ θ). Weight matrices are pruned (leaves named ``kernel`` with two
or more axes); biases too with ``prune_bias=True`` (each ranked with its layer's kernel,
as the MNIST-1D notebook does); other leaves keep a mask of ones. Sparsities
(:func:`sparsity`, :func:`layer_sparsities`) count weight-matrix entries only.

**Magnitude pruning.** One round at rate p ∈ (0, 1) removes, in each prunable layer l,
the k_l = round(p · n_l) surviving weights of smallest |θ| (n_l = surviving weights of
layer l; ties broken by position), so the surviving fraction after r rounds is
(1 − p)^r up to rounding and the sparsity is s_r = 1 − (1 − p)^r; reaching sparsity s
takes r = ln(1 − s) / ln(1 − p) rounds (20 % per round: 10.3 rounds for 90 %).
The output layer is pruned at ``output_rate`` (default p / 2, Frankle & Carbin 2019).
``scope="global"`` ranks the surviving weights of all hidden layers together (one
threshold for all of them, k = round(p · Σ_l n_l)) and prunes the output layer on its own.

**Iterative magnitude pruning (IMP).** Train θ₀ → θ_T; repeat: prune m ← prune(θ_T, m),
reset θ ← m ⊙ θ_reset, train with the mask held fixed (masked weights get zero updates,
so they stay exactly 0). θ_reset = θ₀ is Frankle & Carbin (2019); θ_reset = θ_k, the
dense run's weights after k iterations, is rewinding (Frankle et al. 2019, "Stabilizing
the lottery ticket hypothesis"). *One-shot* pruning removes the same fraction from θ_T in
one round: rate 1 − (1 − p)^r (:func:`equivalent_rate`).

**Controls.** Random re-initialisation keeps the winning mask m and draws a fresh θ₀′;
a random mask permutes each layer's mask entries uniformly, keeping every layer's
sparsity exactly (:func:`random_mask_like`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxml.core.validation import check_int, check_option

SCOPES = ("layer", "global")


def _path_name(path) -> str:
    return "/".join(str(getattr(p, "key", getattr(p, "idx", p))) for p in path)


def _natural(name: str) -> tuple:
    """Sort key that orders ``Dense_2`` before ``Dense_10``."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def prunable_names(params: Any) -> list[str]:
    """Paths ``"Dense_0/kernel"`` of the prunable leaves (``kernel`` with ndim ≥ 2), in layer order."""
    names = [_path_name(path) for path, leaf in jax.tree_util.tree_leaves_with_path(params)
             if _path_name(path).endswith("kernel") and jnp.ndim(leaf) >= 2]
    if not names:
        raise ValueError("params must contain at least one weight matrix (a 'kernel' leaf with ndim >= 2)")
    return sorted(names, key=_natural)


def _map_named(fn: Callable, *trees: Any) -> Any:
    """``tree_map`` passing the leaf's path name first."""
    return jax.tree_util.tree_map_with_path(lambda p, *x: fn(_path_name(p), *x), *trees)


def dense_mask(params: Any) -> Any:
    """The all-ones mask (nothing pruned)."""
    prunable_names(params)
    return jax.tree.map(lambda p: jnp.ones(jnp.shape(p), jnp.float32), params)


def apply_mask(params: Any, mask: Any) -> Any:
    """m ⊙ θ, leaf by leaf."""
    return jax.tree.map(lambda p, m: p * m.astype(p.dtype), params, mask)


def masked_updates(mask: Any) -> optax.GradientTransformation:
    """An optax transform multiplying the updates by the mask (chain it after the
    optimiser): pruned weights then receive exactly zero updates and stay at 0."""
    def init(params):
        del params
        return optax.EmptyState()

    def update(updates, state, params=None):
        del params
        return apply_mask(updates, mask), state

    return optax.GradientTransformation(init, update)


def _check_rate(rate: Any, name: str) -> float:
    rate = float(rate)
    if not 0.0 < rate < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {rate}")
    return rate


def _prune_flat(score: jax.Array, alive: jax.Array, rate: float) -> jax.Array:
    """Keep-mask after removing round(rate · #alive) alive entries of smallest score."""
    k = jnp.round(rate * alive.sum()).astype(jnp.int32)
    score = jnp.where(alive > 0, score, jnp.inf)  # dead weights sort last and stay dead
    rank = jnp.argsort(jnp.argsort(score, stable=True), stable=True)
    removed_alive = (rank < k) & (alive > 0)
    return jnp.where(removed_alive, 0.0, alive).astype(jnp.float32)


def _groups(tree: Any, prune_bias: bool) -> list[list[str]]:
    """The leaves ranked together, one group per layer in layer order: its kernel, and
    with ``prune_bias`` its ``bias`` next to it (``"Dense_0/bias"`` for ``"Dense_0/kernel"``)."""
    names = set(_named_leaves(tree)[0])
    groups = []
    for kernel in prunable_names(tree):
        bias = kernel[:-len("kernel")] + "bias"
        groups.append([kernel, bias] if prune_bias and bias in names else [kernel])
    return groups


def _flat(leaves: dict, names: list[str]) -> jax.Array:
    return jnp.concatenate([jnp.ravel(leaves[n]) for n in names])


def _unflat(flat: jax.Array, names: list[str], like: dict) -> dict:
    out, start = {}, 0
    for n in names:
        size = like[n].size
        out[n] = flat[start:start + size].reshape(like[n].shape)
        start += size
    return out


def magnitude_prune(params: Any, mask: Any, rate: float, *, output_rate: float | None = None,
                    scope: str = "layer", prune_bias: bool = False) -> Any:
    """One pruning round: remove a fraction ``rate`` of each layer's surviving weights
    with the smallest |θ| (``output_rate``, default ``rate / 2``, for the output layer:
    the last weight matrix in layer order, :func:`prunable_names`).

    Args:
      params: the trained parameters θ_T whose magnitudes rank the weights.
      mask: the current mask (same structure; :func:`dense_mask` at the start).
      rate, output_rate: fractions in (0, 1) of the *surviving* weights to remove.
      scope: ``"layer"`` (per-layer threshold) or ``"global"`` (one threshold over all
        hidden layers; the output layer still pruned on its own).
      prune_bias: also prune each layer's bias, ranked together with its kernel (one
        threshold for the layer's n_l = #kernel + #bias entries, as in the MNIST-1D
        notebook); by default biases keep a mask of ones.

    Returns:
      The new mask. Jittable and vmappable (rates, scope and prune_bias static).
    """
    rate = _check_rate(rate, "rate")
    output_rate = rate / 2 if output_rate is None else _check_rate(output_rate, "output_rate")
    check_option(scope, "scope", SCOPES)
    if jax.tree.structure(params) != jax.tree.structure(mask):
        raise ValueError("mask must have the same tree structure as params")
    groups = _groups(params, bool(prune_bias))
    scores = {n: jnp.abs(x) for n, x in zip(*_named_leaves(params))}
    masks = dict(zip(*_named_leaves(mask)))
    hidden, output = groups[:-1], groups[-1]
    blocks = [(output, output_rate)]
    if scope == "layer":
        blocks += [(g, rate) for g in hidden]
    elif hidden:
        blocks.append(([n for g in hidden for n in g], rate))
    new = {}
    for names, r in blocks:
        new.update(_unflat(_prune_flat(_flat(scores, names), _flat(masks, names), r), names, masks))
    return _map_named(lambda name, m: new.get(name, m), mask)


def _named_leaves(tree: Any) -> tuple[list[str], list[Any]]:
    pairs = jax.tree_util.tree_leaves_with_path(tree)
    return [_path_name(p) for p, _ in pairs], [x for _, x in pairs]


def equivalent_rate(rate: float, rounds: int) -> float:
    """The one-shot rate that matches ``rounds`` rounds at ``rate``: 1 − (1 − rate)^rounds."""
    rate = _check_rate(rate, "rate")
    rounds = check_int(rounds, "rounds", minimum=1)
    return 1.0 - (1.0 - rate) ** rounds


def random_mask_like(key: jax.Array, mask: Any, *, prune_bias: bool = False) -> Any:
    """A uniformly random mask with exactly the same number of zeros in every prunable
    layer as ``mask`` (each layer's entries permuted with its own key; with
    ``prune_bias`` a layer's kernel and bias entries are permuted together, as they are
    pruned together by :func:`magnitude_prune`). Vmappable over keys."""
    groups = _groups(mask, bool(prune_bias))
    masks = dict(zip(*_named_leaves(mask)))
    new = {}
    for k, names in zip(jax.random.split(key, len(groups)), groups):
        new.update(_unflat(jax.random.permutation(k, _flat(masks, names)), names, masks))
    return _map_named(lambda name, m: new.get(name, m), mask)


def sparsity(mask: Any) -> jax.Array:
    """Fraction of pruned entries over all prunable weights: 1 − Σ m / Σ n."""
    names = set(prunable_names(mask))
    ms = [m for n, m in zip(*_named_leaves(mask)) if n in names]
    return 1.0 - sum(m.sum() for m in ms) / sum(m.size for m in ms)


def layer_sparsities(mask: Any) -> dict[str, jax.Array]:
    """Fraction pruned in each prunable layer, keyed by its path name."""
    names = set(prunable_names(mask))
    return {n: 1.0 - m.mean() for n, m in zip(*_named_leaves(mask)) if n in names}


class Round(NamedTuple):
    mask: Any  # the mask trained in this round
    params: Any  # the parameters after training with it


def iterative_magnitude_pruning(train_fn: Callable[[Any, Any], Any], trained: Any, reset_params: Any,
                                *, rounds: int, rate: float, output_rate: float | None = None,
                                scope: str = "layer", prune_bias: bool = False,
                                batched: bool = False) -> list[Round]:
    """IMP from a trained dense network.

    Each round r = 1..rounds: m_r = prune(θ_{r−1}, m_{r−1}); θ_r = train_fn(m_r ⊙ θ_reset, m_r).
    ``reset_params`` = θ₀ resets (Frankle & Carbin 2019); θ_k rewinds (Frankle et al. 2019).

    Args:
      train_fn: ``train_fn(params, mask) -> trained params``; it must keep pruned weights
        at zero (e.g. chain :func:`masked_updates` after the optimiser).
      trained: the dense network after training (θ_T of round 0).
      reset_params: the weights every round restarts from.
      rounds, rate, output_rate, scope, prune_bias: see :func:`magnitude_prune`.
      batched: the parameter leaves carry a leading axis of independent runs (seeds,
        reset points); pruning is vmapped over it and ``train_fn`` gets the batch.

    Returns:
      One :class:`Round` per round.
    """
    rounds = check_int(rounds, "rounds", minimum=1)
    _check_rate(rate, "rate")
    if output_rate is not None:
        _check_rate(output_rate, "output_rate")
    check_option(scope, "scope", SCOPES)
    if jax.tree.structure(trained) != jax.tree.structure(reset_params):
        raise ValueError("reset_params must have the same tree structure as trained")

    def prune(p, m):
        return magnitude_prune(p, m, rate, output_rate=output_rate, scope=scope, prune_bias=prune_bias)

    prune = jax.jit(jax.vmap(prune) if batched else prune)
    mask = jax.tree.map(lambda p: jnp.ones(jnp.shape(p), jnp.float32), trained)
    prunable_names(trained)
    out = []
    for _ in range(rounds):
        mask = prune(trained, mask)
        trained = train_fn(apply_mask(reset_params, mask), mask)
        out.append(Round(mask, trained))
    return out
