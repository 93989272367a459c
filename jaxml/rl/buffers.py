"""Replay buffers as pure pytrees (uniform and prioritised, with n-step returns).

The buffer stores transitions time-major in a ring of ``capacity`` slots × ``num_envs``
(the vectorised environments write one row per step), so consecutive slots of a column
are consecutive steps of one environment and n-step returns can be assembled at
sampling time:

    G_t^{(n)} = Σ_{k<m} γ^k r_{t+k},   m = min(n, 1 + first k with done_{t+k}),
    bootstrap from s'_{t+m−1} with discount γ^m (1 − terminated_{t+m−1}).

Prioritised experience replay (Schaul et al. 2016, proportional variant):
P(i) = p_i^α / Σ_j p_j^α, importance weights w_i = (N P(i))^{−β} / max_j w_j, new
transitions get the current maximum priority. Sampling is one ``jax.random.choice`` over
the (masked) priorities — O(capacity) per batch, which is cheap at replay sizes used
with classic-control tasks and keeps the buffer a plain pytree (no sum-tree).

Every function is pure: ``init → add → sample → update_priorities`` return new buffers.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class ReplayBuffer(NamedTuple):
    """Ring buffer: ``data`` leaves have leading axes ``(capacity, num_envs)``."""

    data: object
    priorities: jax.Array
    pos: jax.Array
    size: jax.Array
    max_priority: jax.Array


class Sample(NamedTuple):
    """A sampled batch with n-step targets assembled.

    ``obs``/``action`` at t, ``reward`` = n-step discounted sum, ``next_obs`` the bootstrap
    state, ``discount`` = γ^m (1 − terminated); ``index`` = (slot, env) for priority
    updates; ``weight`` the importance weights (ones when uniform).
    """

    obs: jax.Array
    action: jax.Array
    reward: jax.Array
    next_obs: jax.Array
    discount: jax.Array
    index: tuple
    weight: jax.Array


class StoredTransition(NamedTuple):
    """One vectorised step as stored: leaves ``(num_envs, ...)``."""

    obs: jax.Array
    action: jax.Array
    reward: jax.Array
    next_obs: jax.Array
    terminated: jax.Array
    done: jax.Array


def init(example: StoredTransition, capacity: int) -> ReplayBuffer:
    """An empty buffer shaped like ``example`` (leaves ``(num_envs, ...)``)."""
    if capacity < 1:
        raise ValueError(f"capacity must be >= 1, got {capacity}")
    data = jax.tree.map(lambda x: jnp.zeros((capacity,) + x.shape, x.dtype), example)
    num_envs = jax.tree.leaves(example)[0].shape[0]
    return ReplayBuffer(data, jnp.zeros((capacity, num_envs)), jnp.zeros((), jnp.int32),
                        jnp.zeros((), jnp.int32), jnp.ones(()))


def capacity_of(buffer: ReplayBuffer) -> int:
    return buffer.priorities.shape[0]


def add(buffer: ReplayBuffer, step: StoredTransition) -> ReplayBuffer:
    """Write one vectorised step at ``pos`` (overwriting the oldest when full)."""
    cap = capacity_of(buffer)
    data = jax.tree.map(lambda d, x: d.at[buffer.pos].set(x), buffer.data, step)
    pri = buffer.priorities.at[buffer.pos].set(buffer.max_priority)
    return ReplayBuffer(data, pri, (buffer.pos + 1) % cap, jnp.minimum(buffer.size + 1, cap),
                        buffer.max_priority)


def _valid_slots(buffer: ReplayBuffer, n_step: int) -> jax.Array:
    """Slots whose n-step window lies inside the stored data."""
    cap = capacity_of(buffer)
    oldest = (buffer.pos - buffer.size) % cap
    rel = (jnp.arange(cap) - oldest) % cap
    return rel <= buffer.size - n_step


def sample(key: jax.Array, buffer: ReplayBuffer, batch_size: int, *, n_step: int = 1,
           gamma: float = 0.99, prioritized: bool = False, alpha: float = 0.6,
           beta: float = 0.4) -> Sample:
    """Draw ``batch_size`` transitions (uniformly or by priority) with n-step targets.

    The buffer must hold at least ``n_step`` steps (callers gate on ``size``).
    """
    cap, num_envs = buffer.priorities.shape
    if prioritized:
        valid = jnp.broadcast_to(_valid_slots(buffer, n_step)[:, None], (cap, num_envs))
        logits = jnp.where(valid, alpha * jnp.log(jnp.maximum(buffer.priorities, 1e-12)),
                           -jnp.inf)
        probs = jax.nn.softmax(logits.reshape(-1))
        flat = jax.random.choice(key, cap * num_envs, (batch_size,), p=probs)
        slot, env = flat // num_envs, flat % num_envs
        w = (jnp.sum(valid) * probs[flat]) ** (-beta)
        weight = w / jnp.max(w)
    else:
        k_slot, k_env = jax.random.split(key)
        oldest = (buffer.pos - buffer.size) % cap
        rel = jax.random.randint(k_slot, (batch_size,), 0, buffer.size - n_step + 1)
        slot = (oldest + rel) % cap
        env = jax.random.randint(k_env, (batch_size,), 0, num_envs)
        weight = jnp.ones(batch_size)

    d = buffer.data
    ks = jnp.arange(n_step)
    slots = (slot[:, None] + ks[None, :]) % cap  # (B, n)
    rewards = d.reward[slots, env[:, None]]
    dones = d.done[slots, env[:, None]].astype(jnp.float32)
    # alive_k = Π_{j<k} (1 − done_j): steps after an episode end are excluded
    alive = jnp.cumprod(jnp.concatenate([jnp.ones((batch_size, 1)), 1.0 - dones[:, :-1]], 1), 1)
    G = jnp.sum(alive * (gamma ** ks)[None, :] * rewards, axis=1)
    m = jnp.sum(alive, axis=1).astype(jnp.int32)  # steps actually used
    last = (slot + m - 1) % cap
    discount = gamma ** m * (1.0 - d.terminated[last, env].astype(jnp.float32))
    return Sample(d.obs[slot, env], d.action[slot, env], G, d.next_obs[last, env], discount,
                  (slot, env), weight)


def update_priorities(buffer: ReplayBuffer, index: tuple, priorities: jax.Array,
                      eps: float = 1e-6) -> ReplayBuffer:
    """Set p_i = |δ_i| + eps for the sampled indices and track the maximum."""
    p = jnp.abs(priorities) + eps
    pri = buffer.priorities.at[index].set(p)
    return buffer._replace(priorities=pri, max_priority=jnp.maximum(buffer.max_priority,
                                                                    jnp.max(p)))


__all__ = ["ReplayBuffer", "Sample", "StoredTransition", "add", "init", "sample",
           "update_priorities"]
