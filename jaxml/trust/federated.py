"""Federated learning: non-IID client splits, FedAvg / FedProx / DP-FedAvg, secure aggregation.

Client splits are ``ClientSplit(index, mask)``: row k of the ``(K, M)`` matrix ``index``
lists client k's examples, padded to the largest client size M and marked valid by
``mask``, so every client has the same static shape and clients can be ``vmap``-ed.

* ``iid_split``: a random permutation cut into K near-equal parts.
* ``quantity_skew_split``: sizes from q ~ Dir(α·1_K) (only the amount of data differs).
* ``dirichlet_split``: label skew; for every class c, draw p_c ~ Dir(α·1_K) and give
  client k a fraction p_{c,k} of class c (Hsu et al. 2019). α → ∞ is IID, α → 0 gives
  each class to a single client.

Training (``make_federated_train``) runs R rounds. In round t the server samples S of the
K clients without replacement; each starts from the global w_t and takes E minibatch
SGD steps (learning rate η) on

    F_k(w) = L_k(w) + (μ/2)‖w − w_t‖²        (μ = 0: FedAvg; μ > 0: FedProx, Li et al. 2020),

giving Δ_k = w_k − w_t. FedAvg (McMahan et al. 2017) sets w_{t+1} = w_t + Σ_k n_k Δ_k / Σ_k n_k
with n_k the client sizes. DP-FedAvg (McMahan et al. 2018) clips every
Δ_k ← Δ_k · min(1, C/‖Δ_k‖), averages uniformly and adds N(0, (σC/S)² I):
w_{t+1} = w_t + (1/S) Σ_k clip(Δ_k) + N(0, (σC/S)²).

Secure aggregation (Bonawitz et al. 2017): clients i < j share a key k_ij and the mask
r_ij = PRG(k_ij); client i uploads x_i + Σ_{j>i} r_ij − Σ_{j<i} r_ji (mod 2^32). Every r_ij
enters once with + and once with −, so the uploads sum to Σ_i x_i exactly in Z/2^32Z,
while each upload alone is uniformly distributed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core.validation import check_int, check_option, check_positive

ALGORITHMS = ("fedavg", "fedprox")


class ClientSplit(NamedTuple):
    """``index`` (K, M) int32 example indices, ``mask`` (K, M) bool (valid entries)."""

    index: jax.Array
    mask: jax.Array

    @property
    def sizes(self) -> jax.Array:
        """n_k, the number of examples of each client."""
        return self.mask.sum(axis=1)


def _pack(parts: list[np.ndarray]) -> ClientSplit:
    width = max(1, max(len(p) for p in parts))
    index = np.zeros((len(parts), width), np.int32)
    mask = np.zeros((len(parts), width), bool)
    for k, part in enumerate(parts):
        index[k, : len(part)] = part
        mask[k, : len(part)] = True
    return ClientSplit(jnp.asarray(index), jnp.asarray(mask))


def _cut(order: np.ndarray, proportions: np.ndarray) -> list[np.ndarray]:
    """Split ``order`` into consecutive parts of sizes ≈ proportions · len(order)."""
    cuts = np.round(np.cumsum(proportions)[:-1] * len(order)).astype(int)
    return np.split(order, cuts)


def _check_split_args(num_clients: int, alpha: Any = None) -> None:
    check_int(num_clients, "num_clients", minimum=1)
    if alpha is not None:
        check_positive(alpha, "alpha")


def iid_split(key: jax.Array, n: int, num_clients: int) -> ClientSplit:
    """A uniformly random partition of ``range(n)`` into ``num_clients`` parts of size
    ⌊n/K⌋ or ⌈n/K⌉."""
    check_int(n, "n", minimum=1)
    _check_split_args(num_clients)
    order = np.asarray(jax.random.permutation(key, n))
    return _pack(np.array_split(order, num_clients))


def quantity_skew_split(key: jax.Array, n: int, num_clients: int, alpha: float) -> ClientSplit:
    """Random partition of ``range(n)`` with client sizes n_k ≈ q_k n, q ~ Dir(α·1_K)."""
    check_int(n, "n", minimum=1)
    _check_split_args(num_clients, alpha)
    k_order, k_q = jax.random.split(key)
    order = np.asarray(jax.random.permutation(k_order, n))
    q = np.asarray(jax.random.dirichlet(k_q, jnp.full(num_clients, float(alpha))), np.float64)
    return _pack(_cut(order, q / q.sum()))


def dirichlet_split(key: jax.Array, y: Any, num_clients: int, alpha: float) -> ClientSplit:
    """Label-skewed partition: client k receives a fraction p_{c,k} of class c, with
    p_c ~ Dir(α·1_K) drawn independently for every class. ``y`` must be concrete (the
    padded width M is a static shape)."""
    _check_split_args(num_clients, alpha)
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise TypeError(f"y must be a 1-D integer label array, got shape {y.shape} dtype {y.dtype}")
    classes = np.unique(y)
    parts: list[list[np.ndarray]] = [[] for _ in range(num_clients)]
    for c, k_c in zip(classes, jax.random.split(key, len(classes))):
        k_order, k_p = jax.random.split(k_c)
        members = np.asarray(jax.random.permutation(k_order, np.flatnonzero(y == c)))
        p = np.asarray(jax.random.dirichlet(k_p, jnp.full(num_clients, float(alpha))), np.float64)
        for k, chunk in enumerate(_cut(members, p / p.sum())):
            parts[k].append(chunk)
    return _pack([np.concatenate(p) for p in parts])


def _tree_sq_norm(tree: Any) -> jax.Array:
    return sum(jnp.sum(leaf ** 2) for leaf in jax.tree.leaves(tree))


def _tree_norm(tree: Any) -> jax.Array:
    return jnp.sqrt(_tree_sq_norm(tree))


def make_federated_train(
    apply_fn: Callable[[Any, jax.Array], jax.Array],
    loss_fn: Callable[[jax.Array, jax.Array], jax.Array],
    *,
    learning_rate: float,
    rounds: int,
    local_steps: int,
    clients_per_round: int,
    batch_size: int,
    algorithm: str = "fedavg",
    mu: float = 0.0,
    dp_clip: float | None = None,
    dp_noise: float = 0.0,
    metrics_fn: Callable[[Any], dict[str, jax.Array]] | None = None,
) -> Callable:
    """Build ``train(key, params, X, y, split) -> (params, metrics)``, one jitted
    ``lax.scan`` over rounds with the sampled clients trained in parallel by ``vmap``.

    Args:
      apply_fn: ``apply_fn(params, x_batch) -> outputs`` (e.g. ``model.apply``).
      loss_fn: mean loss ``loss_fn(outputs, labels)``; it is applied per example so that
        padded entries can be weighted out.
      learning_rate: η of the clients' local SGD.
      rounds: R communication rounds.
      local_steps: E local minibatch steps per round.
      clients_per_round: S clients sampled per round (≤ K, checked when called).
      batch_size: B examples per local step, drawn without replacement from the client
        (the whole client when n_k ≤ B).
      algorithm: ``"fedavg"`` or ``"fedprox"`` (proximal weight ``mu``).
      mu: μ ≥ 0 of FedProx; must be 0 for ``"fedavg"``.
      dp_clip: C, the client-delta clipping norm; ``None`` disables DP-FedAvg.
      dp_noise: σ, the noise multiplier (needs ``dp_clip``).
      metrics_fn: optional ``metrics_fn(params) -> dict`` of scalars, recorded after
        every round (e.g. held-out accuracy).

    ``metrics`` holds per-round arrays (R,): ``client_loss`` (size-weighted mean local
    minibatch loss of the sampled clients), ``update_norm`` ‖w_{t+1} − w_t‖ and the
    entries of ``metrics_fn``.
    """
    check_positive(learning_rate, "learning_rate")
    rounds = check_int(rounds, "rounds", minimum=1)
    local_steps = check_int(local_steps, "local_steps", minimum=1)
    clients_per_round = check_int(clients_per_round, "clients_per_round", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_option(algorithm, "algorithm", ALGORITHMS)
    check_positive(mu, "mu", strict=False)
    if algorithm == "fedavg" and mu != 0:
        raise ValueError(f"mu must be 0 for algorithm='fedavg' (use 'fedprox'), got {mu}")
    if dp_clip is not None:
        check_positive(dp_clip, "dp_clip")
    check_positive(dp_noise, "dp_noise", strict=False)
    if dp_noise > 0 and dp_clip is None:
        raise ValueError("dp_noise > 0 needs dp_clip (the noise scale is dp_noise * dp_clip)")

    def example_losses(params, x, t):
        out = apply_fn(params, x)
        return jax.vmap(lambda o, ti: loss_fn(o[None], ti[None]))(out, t)

    def local_objective(params, anchor, x, t, w):
        data = jnp.sum(w * example_losses(params, x, t)) / jnp.maximum(w.sum(), 1.0)
        diff = jax.tree.map(lambda a, b: a - b, params, anchor)
        return data + 0.5 * mu * _tree_sq_norm(diff), data

    def client_update(key, anchor, X, y, index, mask):
        b = min(batch_size, index.shape[0])

        def step(params, k):
            # valid entries first, in random order; take the first b
            pos = jnp.argsort(jnp.where(mask, jax.random.uniform(k, mask.shape), 2.0))[:b]
            rows, w = index[pos], mask[pos].astype(jnp.float32)
            grads, data_loss = jax.grad(local_objective, has_aux=True)(params, anchor, X[rows], y[rows], w)
            params = jax.tree.map(lambda p, g: p - learning_rate * g, params, grads)
            return params, data_loss

        params, losses = jax.lax.scan(step, anchor, jax.random.split(key, local_steps))
        return jax.tree.map(lambda a, b: a - b, params, anchor), losses.mean()

    def aggregate(key, deltas, sizes):
        if dp_clip is None:
            weights = sizes / jnp.maximum(sizes.sum(), 1.0)
            return jax.tree.map(lambda d: jnp.tensordot(weights, d, axes=1), deltas)
        norms = jax.vmap(_tree_norm)(deltas)
        scale = jnp.minimum(1.0, dp_clip / jnp.maximum(norms, 1e-12))
        mean = jax.tree.map(lambda d: jnp.tensordot(scale, d, axes=1) / clients_per_round, deltas)
        leaves, treedef = jax.tree.flatten(mean)
        noise_keys = jax.random.split(key, len(leaves))
        std = dp_noise * dp_clip / clients_per_round
        return treedef.unflatten([leaf + std * jax.random.normal(k, leaf.shape, leaf.dtype)
                                  for leaf, k in zip(leaves, noise_keys)])

    @jax.jit
    def run(key, params, X, y, index, mask):
        sizes_all = mask.sum(axis=1).astype(jnp.float32)

        def one_round(params, key):
            k_pick, k_local, k_noise = jax.random.split(key, 3)
            picked = jax.random.choice(k_pick, index.shape[0], (clients_per_round,), replace=False)
            deltas, losses = jax.vmap(client_update, in_axes=(0, None, None, None, 0, 0))(
                jax.random.split(k_local, clients_per_round), params, X, y, index[picked], mask[picked])
            sizes = sizes_all[picked]
            update = aggregate(k_noise, deltas, sizes)
            params = jax.tree.map(lambda p, u: p + u, params, update)
            metrics = {"client_loss": jnp.sum(sizes * losses) / jnp.maximum(sizes.sum(), 1.0),
                       "update_norm": _tree_norm(update)}
            if metrics_fn is not None:
                metrics.update(metrics_fn(params))
            return params, metrics

        return jax.lax.scan(one_round, params, jax.random.split(key, rounds))

    def train(key: jax.Array, params: Any, X: Any, y: Any, split: ClientSplit):
        """Run the R rounds from ``params``; returns ``(params, metrics)``."""
        num_clients = split.index.shape[0]
        if clients_per_round > num_clients:
            raise ValueError(f"clients_per_round must be <= the number of clients {num_clients}, "
                             f"got {clients_per_round}")
        return run(key, params, jnp.asarray(X), jnp.asarray(y), split.index, split.mask)

    return train


def secure_aggregation_masks(key: jax.Array, num_clients: int, shape: tuple[int, ...]) -> jax.Array:
    """Per-client uint32 masks m_i = Σ_{j>i} r_ij − Σ_{j<i} r_ji (mod 2^32), with
    r_ij = PRG(k_ij) from the pair key k_ij (i < j); Σ_i m_i = 0 exactly. Shape (K, *shape)."""
    check_int(num_clients, "num_clients", minimum=1)
    shape = tuple(shape)

    def pair_mask(i, j):
        lo, hi = jnp.minimum(i, j), jnp.maximum(i, j)
        r = jax.random.bits(jax.random.fold_in(jax.random.fold_in(key, lo), hi), shape, jnp.uint32)
        sign = jnp.where(i < j, jnp.uint32(1), jnp.where(i > j, jnp.uint32(0xFFFFFFFF), jnp.uint32(0)))
        return sign * r  # multiplying by 2^32 − 1 is negation mod 2^32

    ids = jnp.arange(num_clients)
    pairs = jax.vmap(lambda i: jax.vmap(lambda j: pair_mask(i, j))(ids))(ids)
    return pairs.sum(axis=1, dtype=jnp.uint32)


def secure_sum(key: jax.Array, updates: Any, *, fractional_bits: int = 16) -> jax.Array:
    """Σ_i updates[i] computed from masked uploads only.

    Each client encodes q_i = round(x_i · 2^f) as a 32-bit integer, uploads
    u_i = q_i + m_i (mod 2^32); the server decodes (Σ_i u_i mod 2^32) / 2^f as a signed
    integer. Exact for inputs on the 2^-f grid while |Σ_i q_i| < 2^31.
    """
    updates = jnp.asarray(updates, jnp.float32)
    if updates.ndim < 1:
        raise ValueError(f"updates must have a leading client axis, got shape {updates.shape}")
    fractional_bits = check_int(fractional_bits, "fractional_bits", minimum=0)
    scale = 2.0 ** fractional_bits
    q = jnp.round(updates * scale).astype(jnp.int32).view(jnp.uint32)
    uploads = q + secure_aggregation_masks(key, updates.shape[0], updates.shape[1:])
    total = uploads.sum(axis=0, dtype=jnp.uint32).view(jnp.int32)
    return total.astype(jnp.float32) / scale
