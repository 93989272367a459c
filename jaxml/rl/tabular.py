"""Tabular prediction and control: Monte Carlo, TD(0), TD(λ), SARSA, Expected SARSA, Q-learning.

Prediction (evaluate a fixed policy π, learn V ≈ v_π), one episode at a time:

* Monte Carlo (first-visit / every-visit, constant α): with returns
  G_t = Σ_{k≥t} γ^{k−t} R_{k+1}, the episode's increment is
  ΔV(s) = α Σ_t w_t 1[S_t=s] (G_t − V(s)), w_t = 1 for every-visit and 1 on the first
  occurrence of S_t for first-visit (Singh & Sutton 1996). Increments use the values at
  the start of the episode (offline).
* TD(0): V(S_t) ← V(S_t) + α δ_t, δ_t = R_{t+1} + γ V(S_{t+1}) − V(S_t) (online).
* TD(λ) with accumulating eligibility traces e_t = γλ e_{t−1} + 1[S_t = ·]:
  V ← V + α δ_t e_t (online), or the increments summed over the episode with V fixed
  (``offline=True``). Offline TD(1) equals every-visit Monte Carlo exactly (Sutton &
  Barto 2018, §12.1–12.2), which the tests check.

Control (learn Q ≈ q*, behaviour ε-greedy with random tie-breaking), online per step with
target y_t and Q(S_t,A_t) ← Q(S_t,A_t) + α (y_t − Q(S_t,A_t)):

* SARSA: y_t = R + γ Q(S', A') with A' the next behaviour action (Rummery & Niranjan 1994).
* Expected SARSA: y_t = R + γ Σ_a π_ε(a|S') Q(S', a) (van Seijen et al. 2009).
* Q-learning: y_t = R + γ max_a Q(S', a) (Watkins & Dayan 1992).

Terminal successors contribute 0. ``make_train(config, params, policy)`` returns
``train(key) -> (values, metrics)``, the shape of every agent here (PureJaxRL's): the
whole run is one ``lax.scan`` over episodes wrapping a ``lax.scan`` over steps, so
``jax.jit(jax.vmap(train))(keys)`` runs many seeds at once.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.rl.common import UNIT, UNIT_NONZERO, CheckedConfig
from jaxml.rl.envs.tabular import TabularEnv, TabularEnvParams

PREDICTION = ("mc_first_visit", "mc_every_visit", "td0", "td_lambda")
CONTROL = ("sarsa", "expected_sarsa", "q_learning")


@dataclasses.dataclass(frozen=True)
class TabularConfig(CheckedConfig):
    """Hyperparameters of a tabular learning run (checked at construction; the float
    fields are continuous hyperparameters that ``train(key, **hyper)`` can override).

    Attributes:
      algorithm: one of :data:`PREDICTION` or :data:`CONTROL`.
      num_episodes: episodes per run (the outer scan length).
      max_steps: steps per episode (the inner scan length; the episode is truncated).
      alpha: step size, in (0, 1].
      gamma: discount, in [0, 1].
      epsilon: exploration rate of the ε-greedy behaviour policy (control), in [0, 1].
      lam: trace decay λ (``td_lambda``), in [0, 1].
      offline: ``td_lambda`` only — apply the summed increments at the end of the episode.
    """

    algorithm: str = "q_learning"
    num_episodes: int = 500
    max_steps: int = 100
    alpha: float = 0.1
    gamma: float = 1.0
    epsilon: float = 0.1
    lam: float = 0.9
    offline: bool = False

    RANGES = {"alpha": UNIT_NONZERO, "gamma": UNIT, "epsilon": UNIT, "lam": UNIT}
    OPTIONS = {"algorithm": PREDICTION + CONTROL}


class Trajectory(NamedTuple):
    """One episode of length ``max_steps`` (steps after the end have ``valid = False``)."""

    state: jax.Array
    action: jax.Array
    reward: jax.Array
    next_state: jax.Array
    terminated: jax.Array
    valid: jax.Array


def epsilon_greedy(key: jax.Array, q_row: jax.Array, epsilon) -> jax.Array:
    """ε-greedy action from one row of Q, ties among maxima broken uniformly at random."""
    k_explore, k_random, k_tie = jax.random.split(key, 3)
    noise = jax.random.uniform(k_tie, q_row.shape)
    greedy = jnp.argmax(jnp.where(q_row >= jnp.max(q_row), noise, -1.0))
    random = jax.random.randint(k_random, (), 0, q_row.shape[0])
    return jnp.where(jax.random.uniform(k_explore) < epsilon, random, greedy)


def rollout(key: jax.Array, env: TabularEnv, params: TabularEnvParams, policy: jax.Array,
            max_steps: int) -> Trajectory:
    """Sample one episode of the fixed policy ``policy`` ((S, A) probabilities)."""
    k_reset, k_steps = jax.random.split(key)
    _, state = env.reset_env(k_reset, params)

    def step(carry, key):
        state, done = carry
        k_act, k_env = jax.random.split(key)
        a = jax.random.choice(k_act, policy.shape[1], p=policy[state.s])
        s2, new_state, r, term, _ = env.step_env(k_env, state, a, params)
        out = Trajectory(state.s, a, r, s2, term, ~done)
        return (new_state, done | term), out

    _, traj = jax.lax.scan(step, (state, jnp.asarray(False)), jax.random.split(k_steps, max_steps))
    return traj


def discounted_returns(traj: Trajectory, gamma) -> jax.Array:
    """G_t = R_{t+1} + γ G_{t+1} by a reverse scan (zero after the episode ends)."""
    def back(g, x):
        r, valid = x
        g = jnp.where(valid, r + gamma * g, 0.0)
        return g, g

    _, G = jax.lax.scan(back, jnp.zeros(()), (traj.reward, traj.valid), reverse=True)
    return G


def first_visit_mask(traj: Trajectory) -> jax.Array:
    """True at t when S_t does not occur at any earlier valid step."""
    T = traj.state.shape[0]
    same = traj.state[:, None] == traj.state[None, :]
    earlier = jnp.tril(jnp.ones((T, T), bool), k=-1)
    return traj.valid & ~jnp.any(same & earlier & traj.valid[None, :], axis=1)


def mc_update(v: jax.Array, traj: Trajectory, alpha, gamma, *, first_visit: bool) -> jax.Array:
    """Constant-α Monte Carlo increment for one episode (values from the episode start)."""
    G = discounted_returns(traj, gamma)
    w = first_visit_mask(traj) if first_visit else traj.valid
    err = jnp.where(w, G - v[traj.state], 0.0)
    return v + alpha * jnp.zeros_like(v).at[traj.state].add(err)


def td_lambda_update(v: jax.Array, traj: Trajectory, alpha, gamma, lam, *,
                     offline: bool) -> jax.Array:
    """TD(λ) with accumulating traces over one episode (λ = 0 gives TD(0))."""
    S = v.shape[0]

    def step(carry, x):
        v_cur, dv, e = carry
        s, r, s2, term, valid = x
        v_used = v if offline else v_cur
        delta = r + gamma * jnp.where(term, 0.0, v_used[s2]) - v_used[s]
        e = gamma * lam * e + jax.nn.one_hot(s, S, dtype=v.dtype)
        inc = jnp.where(valid, alpha * delta, 0.0) * e
        if offline:
            return (v_cur, dv + inc, e), None
        return (v_cur + inc, dv, e), None

    zeros = jnp.zeros_like(v)
    xs = (traj.state, traj.reward, traj.next_state, traj.terminated, traj.valid)
    (v_new, dv, _), _ = jax.lax.scan(step, (v, zeros, zeros), xs)
    return v_new + dv


def _control_episode(key, q, env, params, config: TabularConfig, hp):
    k_reset, k_act, k_steps = jax.random.split(key, 3)
    _, state = env.reset_env(k_reset, params)
    a0 = epsilon_greedy(k_act, q[state.s], hp["epsilon"])
    A = q.shape[1]

    def step(carry, key):
        q, state, a, done, ret, length = carry
        k_env, k_act = jax.random.split(key)
        s2, new_state, r, term, _ = env.step_env(k_env, state, a, params)
        a2 = epsilon_greedy(k_act, q[s2], hp["epsilon"])
        if config.algorithm == "sarsa":
            boot = q[s2, a2]
        elif config.algorithm == "expected_sarsa":
            greedy = jnp.argmax(q[s2])
            pi = hp["epsilon"] / A + (1.0 - hp["epsilon"]) * jax.nn.one_hot(greedy, A)
            boot = jnp.sum(pi * q[s2])
        else:
            boot = jnp.max(q[s2])
        target = r + hp["gamma"] * jnp.where(term, 0.0, boot)
        valid = ~done
        q = q.at[state.s, a].add(jnp.where(valid, hp["alpha"] * (target - q[state.s, a]), 0.0))
        ret = ret + jnp.where(valid, r, 0.0)
        length = length + valid.astype(jnp.int32)
        return (q, new_state, a2, done | term, ret, length), None

    init = (q, state, a0, jnp.asarray(False), jnp.zeros(()), jnp.zeros((), jnp.int32))
    (q, _, _, _, ret, length), _ = jax.lax.scan(step, init,
                                                jax.random.split(k_steps, config.max_steps))
    return q, ret, length


def make_train(config: TabularConfig, params: TabularEnvParams,
               policy: jax.Array | None = None):
    """Build ``train(key, **hyper) -> (values, metrics)`` for one tabular run.

    Args:
      config: :class:`TabularConfig`.
      params: the MDP (from :mod:`jaxml.rl.envs`).
      policy: ``(S, A)`` policy to evaluate; required for prediction algorithms.

    ``hyper`` overrides ``alpha``, ``gamma``, ``epsilon`` or ``lam`` with scalar arrays (one
    compile per sweep). ``values`` is the final ``(S,)`` V (prediction) or ``(S, A)`` Q
    (control); ``metrics`` holds ``value_history`` ``(num_episodes, S[, A])`` (the values
    after each episode), ``episode_return`` and ``episode_length`` ``(num_episodes,)``
    (undiscounted return and steps of each episode).
    """
    if not isinstance(config, TabularConfig):
        raise TypeError(f"config must be TabularConfig, got {type(config).__name__}")
    if not isinstance(params, TabularEnvParams):
        raise TypeError(f"params must be TabularEnvParams, got {type(params).__name__}")
    env = TabularEnv.for_params(params)
    S, A = params.num_states, params.num_actions
    prediction = config.algorithm in PREDICTION
    if prediction:
        if policy is None:
            raise ValueError(f"policy is required for prediction algorithm {config.algorithm!r}")
        policy = jnp.asarray(policy)
        if policy.shape != (S, A):
            raise ValueError(f"policy must have shape {(S, A)}, got {policy.shape}")

    def episode_prediction(hp, v, key):
        traj = rollout(key, env, params, policy, config.max_steps)
        if config.algorithm in ("mc_first_visit", "mc_every_visit"):
            v = mc_update(v, traj, hp["alpha"], hp["gamma"],
                          first_visit=config.algorithm == "mc_first_visit")
        else:
            lam = 0.0 if config.algorithm == "td0" else hp["lam"]
            v = td_lambda_update(v, traj, hp["alpha"], hp["gamma"], lam,
                                 offline=config.offline and config.algorithm == "td_lambda")
        ret = jnp.sum(jnp.where(traj.valid, traj.reward, 0.0))
        return v, (v, ret, jnp.sum(traj.valid.astype(jnp.int32)))

    def episode_control(hp, q, key):
        q, ret, length = _control_episode(key, q, env, params, config, hp)
        return q, (q, ret, length)

    def train(key: jax.Array, **hyper):
        hp = config.hyperparameters(**hyper)
        keys = jax.random.split(key, config.num_episodes)
        if prediction:
            episode, init = episode_prediction, jnp.zeros(S)
        else:
            episode, init = episode_control, jnp.zeros((S, A))
        values, (hist, ret, length) = jax.lax.scan(functools.partial(episode, hp), init, keys)
        return values, {"value_history": hist, "episode_return": ret, "episode_length": length}

    return train


def greedy_path(params: TabularEnvParams, q: jax.Array, max_steps: int = 100) -> jax.Array:
    """States visited by the deterministic greedy policy from the most likely start state
    when every transition takes its most likely successor; ``-1`` after termination."""
    P = jnp.asarray(params.P)
    s0 = jnp.argmax(params.init)

    def step(carry, _):
        s, done = carry
        s2 = jnp.argmax(P[s, jnp.argmax(q[s])])
        out = jnp.where(done, -1, s)
        return (s2, done | params.terminal[s]), out

    _, path = jax.lax.scan(step, (s0, jnp.asarray(False)), None, length=max_steps)
    return path


__all__ = [
    "CONTROL",
    "PREDICTION",
    "TabularConfig",
    "Trajectory",
    "discounted_returns",
    "epsilon_greedy",
    "first_visit_mask",
    "greedy_path",
    "make_train",
    "mc_update",
    "rollout",
    "td_lambda_update",
]
