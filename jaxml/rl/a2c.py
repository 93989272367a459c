"""Advantage actor-critic (A2C; Mnih et al. 2016, synchronous variant) with GAE.

Each update collects ``num_steps`` steps from ``num_envs`` environments and takes ONE
gradient step on

    L(θ) = −E[log π_θ(a_t|s_t) Â_t] + c_v E[½ (V_θ(s_t) − V̂_t)²] − c_e E[H(π_θ(·|s_t))],

with Â_t the GAE(γ, λ) advantages (λ = 1 gives the n-step return advantage of the
original A2C) and V̂_t = Â_t + V(s_t). The whole run is one ``lax.scan``.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxml.rl.common import (
    NONNEGATIVE,
    POSITIVE,
    UNIT,
    ActorCritic,
    AgentConfig,
    adam,
    RolloutState,
    categorical_entropy,
    categorical_log_prob,
    collect_rollout,
    flatten_steps,
    gae_advantages,
    make_env,
    reset_envs,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class A2CConfig(AgentConfig):
    """A2C hyperparameters (the shared block is :class:`~jaxml.rl.common.AgentConfig`)."""

    num_envs: int = 16
    num_steps: int = 8
    lr: float = 1e-3
    gae_lambda: float = 0.95
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    anneal_lr: bool = True
    normalize_advantages: bool = True

    RANGES = {**AgentConfig.RANGES, "gae_lambda": UNIT, "ent_coef": NONNEGATIVE,
              "vf_coef": NONNEGATIVE, "max_grad_norm": POSITIVE}


class _Carry(NamedTuple):
    params: object
    opt_state: object
    rollout: RolloutState
    key: jax.Array


def a2c_loss(params, network, obs, action, advantage, target, vf_coef, ent_coef,
             normalize: bool):
    """Actor-critic loss; returns ``(loss, (policy_loss, value_loss, entropy))``."""
    logits, value = network.apply(params, obs)
    logp = categorical_log_prob(logits, action)
    adv = advantage
    if normalize:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    policy_loss = -jnp.mean(logp * jax.lax.stop_gradient(adv))
    value_loss = 0.5 * jnp.mean((value - target) ** 2)
    entropy = jnp.mean(categorical_entropy(logits))
    return policy_loss + vf_coef * value_loss - ent_coef * entropy, (policy_loss, value_loss,
                                                                      entropy)


def make_train(config: A2CConfig):
    """Build ``train(key, **hyper) -> (params, metrics)``.

    ``hyper`` overrides any float field of ``config`` with a scalar array (one compile per
    sweep). ``metrics`` holds ``(num_updates,)`` arrays: ``episode_return``, ``loss``,
    ``policy_loss``, ``value_loss``, ``entropy``, ``env_steps`` (cumulative).
    """
    if not isinstance(config, A2CConfig):
        raise TypeError(f"config must be A2CConfig, got {type(config).__name__}")
    env, env_params = make_env(config.env_name)
    network = ActorCritic(env.action_space(env_params).n, tuple(config.hidden), config.activation)

    def update_step(hp, tx, carry: _Carry, _):
        key, k_roll = jax.random.split(carry.key)
        rollout, traj = collect_rollout(k_roll, network, carry.params, env, env_params,
                                        carry.rollout, config.num_steps)
        adv, target = gae_advantages(traj.reward, traj.value, traj.next_value,
                                     traj.terminated, traj.done, hp["gamma"],
                                     hp["gae_lambda"])
        obs, action, adv, target = flatten_steps((traj.obs, traj.action, adv, target))
        (loss, (pl, vl, ent)), grads = jax.value_and_grad(a2c_loss, has_aux=True)(
            carry.params, network, obs, action, adv, target, hp["vf_coef"], hp["ent_coef"],
            config.normalize_advantages)
        updates, opt_state = tx.update(grads, carry.opt_state, carry.params)
        params = optax.apply_updates(carry.params, updates)
        metrics = {"episode_return": rollout.stats.last_return.mean(), "loss": loss,
                   "policy_loss": pl, "value_loss": vl, "entropy": ent}
        return _Carry(params, opt_state, rollout, key), metrics

    def train(key: jax.Array, **hyper):
        hp = config.hyperparameters(**hyper)
        tx = adam(hp["lr"], max_grad_norm=hp["max_grad_norm"], eps=1e-5,
                  decay_steps=config.num_updates if config.anneal_lr else None)
        k_init, k_env, k_run = jax.random.split(key, 3)
        obs_shape = tuple(env.observation_space(env_params).shape)
        params = network.init(k_init, jnp.zeros((1,) + obs_shape))
        carry = _Carry(params, tx.init(params),
                       reset_envs(k_env, env, env_params, config.num_envs), k_run)
        carry, metrics = jax.lax.scan(functools.partial(update_step, hp, tx), carry, None,
                                      length=config.num_updates)
        metrics["env_steps"] = jnp.arange(1, config.num_updates + 1) * config.steps_per_update
        return carry.params, metrics

    return train


__all__ = ["A2CConfig", "a2c_loss", "make_train"]
