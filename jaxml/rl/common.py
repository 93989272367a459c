"""Shared pieces of the deep-RL agents: networks, trajectories, GAE, episode statistics.

Generalised advantage estimation (Schulman et al. 2016) with separate termination and
truncation flags (gymnax 1.x auto-resets, so the value of the *true* next state
``info["final_observation"]`` is stored with every transition):

    δ_t = r_t + γ (1 − terminated_t) V(s'_t) − V(s_t),
    Â_t = δ_t + γλ (1 − done_t) Â_{t+1},        done_t = terminated_t ∨ truncated_t,

so a time-limit truncation bootstraps from V(s'_t) instead of treating the state as
terminal (Pardo et al. 2018). The value targets are Â_t + V(s_t).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import flax.linen as nn
import gymnax
import jax
import jax.numpy as jnp
import numpy as np
from flax.linen.initializers import constant, orthogonal

ACTIVATIONS = {"tanh": nn.tanh, "relu": nn.relu}


class Transition(NamedTuple):
    """One vectorised environment step (leading axes ``(num_steps, num_envs)``).

    ``next_value`` is V(s'_t) of the true successor (before auto-reset).
    """

    obs: jax.Array
    action: jax.Array
    reward: jax.Array
    terminated: jax.Array
    done: jax.Array
    value: jax.Array
    next_value: jax.Array
    log_prob: jax.Array


class EpisodeStats(NamedTuple):
    """Running per-env return/length, and those of the last completed episode."""

    episode_return: jax.Array
    episode_length: jax.Array
    last_return: jax.Array
    last_length: jax.Array

    @classmethod
    def zeros(cls, num_envs: int) -> "EpisodeStats":
        z = jnp.zeros(num_envs)
        return cls(z, jnp.zeros(num_envs, jnp.int32), z, jnp.zeros(num_envs, jnp.int32))

    def update(self, reward: jax.Array, done: jax.Array) -> "EpisodeStats":
        ret = self.episode_return + reward
        length = self.episode_length + 1
        return EpisodeStats(
            episode_return=jnp.where(done, 0.0, ret),
            episode_length=jnp.where(done, 0, length),
            last_return=jnp.where(done, ret, self.last_return),
            last_length=jnp.where(done, length, self.last_length),
        )


def make_env(env_name: str):
    """``(env, env_params)`` of a gymnax environment, with a clear error for bad names."""
    if env_name not in gymnax.registered_envs:
        raise ValueError(f"env_name {env_name!r} is not a gymnax environment")
    return gymnax.make(env_name)


def _dense(features, scale):
    return nn.Dense(features, kernel_init=orthogonal(scale), bias_init=constant(0.0))


class MLP(nn.Module):
    """Hidden layers with orthogonal(√2) init; a final Dense of ``out`` units (scale given)."""

    hidden: Sequence[int]
    out: int
    out_scale: float = 1.0
    activation: str = "tanh"

    @nn.compact
    def __call__(self, x):
        act = ACTIVATIONS[self.activation]
        for h in self.hidden:
            x = act(_dense(h, np.sqrt(2.0))(x))
        return _dense(self.out, self.out_scale)(x)


class ActorCritic(nn.Module):
    """Separate actor (logits) and critic (value) MLPs, as in SB3's and PureJaxRL's PPO.

    Params are ``{"actor": ..., "critic": ...}`` so TRPO can update the actor alone.
    """

    num_actions: int
    hidden: Sequence[int] = (64, 64)
    activation: str = "tanh"

    def setup(self):
        self.actor = MLP(self.hidden, self.num_actions, 0.01, self.activation)
        self.critic = MLP(self.hidden, 1, 1.0, self.activation)

    def __call__(self, obs):
        return self.actor(obs), jnp.squeeze(self.critic(obs), -1)

    def value(self, obs):
        return jnp.squeeze(self.critic(obs), -1)

    def logits(self, obs):
        return self.actor(obs)


def categorical_log_prob(logits: jax.Array, action: jax.Array) -> jax.Array:
    """log π(a|s) from unnormalised logits."""
    logp = jax.nn.log_softmax(logits)
    return jnp.take_along_axis(logp, action[..., None].astype(jnp.int32), axis=-1)[..., 0]


def categorical_entropy(logits: jax.Array) -> jax.Array:
    """H(π) = −Σ_a π(a) log π(a)."""
    logp = jax.nn.log_softmax(logits)
    return -jnp.sum(jnp.exp(logp) * logp, axis=-1)


def gae_advantages(reward, value, next_value, terminated, done, gamma, lam):
    """GAE(γ, λ) by a reverse ``lax.scan`` over time (axis 0).

    Returns ``(advantages, targets)`` with ``targets = advantages + value``.
    """
    def back(gae, x):
        r, v, nv, term, d = x
        delta = r + gamma * (1.0 - term) * nv - v
        gae = delta + gamma * lam * (1.0 - d) * gae
        return gae, gae

    xs = (reward, value, next_value, terminated.astype(value.dtype), done.astype(value.dtype))
    _, adv = jax.lax.scan(back, jnp.zeros_like(value[0]), xs, reverse=True)
    return adv, adv + value


class RolloutState(NamedTuple):
    """Environment side of an on-policy run."""

    env_state: object
    obs: jax.Array
    stats: EpisodeStats


def reset_envs(key: jax.Array, env, env_params, num_envs: int) -> RolloutState:
    obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(
        jax.random.split(key, num_envs), env_params)
    return RolloutState(env_state, obs, EpisodeStats.zeros(num_envs))


def collect_rollout(key: jax.Array, network: ActorCritic, params, env, env_params,
                    rollout: RolloutState, num_steps: int):
    """``num_steps`` vectorised steps of the current policy → (RolloutState, Transition)."""
    num_envs = rollout.obs.shape[0]

    def step(ro: RolloutState, key):
        k_act, k_env = jax.random.split(key)
        logits, value = network.apply(params, ro.obs)
        action = jax.random.categorical(k_act, logits)
        obs, env_state, reward, term, trunc, info = jax.vmap(
            env.step, in_axes=(0, 0, 0, None))(jax.random.split(k_env, num_envs),
                                               ro.env_state, action, env_params)
        done = term | trunc
        next_value = network.apply(params, info["final_observation"], method=ActorCritic.value)
        tr = Transition(ro.obs, action, reward, term, done, value, next_value,
                        categorical_log_prob(logits, action))
        return RolloutState(env_state, obs, ro.stats.update(reward, done)), tr

    return jax.lax.scan(step, rollout, jax.random.split(key, num_steps))


def flatten_steps(tree):
    """Merge the leading ``(num_steps, num_envs)`` axes into one batch axis."""
    return jax.tree.map(lambda x: x.reshape((-1,) + x.shape[2:]), tree)


def evaluate_policy(key: jax.Array, act_fn, env, env_params, *, num_episodes: int = 10,
                    max_steps: int = 500) -> jax.Array:
    """Undiscounted return of ``num_episodes`` fresh episodes (first episode per env only).

    ``act_fn(key, obs) -> action`` for a batch of observations; use greedy actions for the
    deterministic evaluation that Stable-Baselines3's ``evaluate_policy`` does by default.
    """
    k_reset, k_run = jax.random.split(key)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(
        jax.random.split(k_reset, num_episodes), env_params)

    def step(carry, key):
        obs, state, ret, done = carry
        k_act, k_env = jax.random.split(key)
        action = act_fn(k_act, obs)
        obs, state, reward, term, trunc, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(k_env, num_episodes), state, action, env_params)
        ret = ret + jnp.where(done, 0.0, reward)
        return (obs, state, ret, done | term | trunc), None

    init = (obs, state, jnp.zeros(num_episodes), jnp.zeros(num_episodes, bool))
    (_, _, ret, _), _ = jax.lax.scan(step, init, jax.random.split(k_run, max_steps))
    return ret
