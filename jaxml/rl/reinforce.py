"""REINFORCE (Williams 1992), with or without a learned state-value baseline.

Each update samples ``num_envs`` complete episodes (a ``lax.scan`` of ``num_steps``
vectorised steps; steps after an episode ends are masked out and not counted) and
follows the score-function estimate

    ∇J(θ) ≈ (1/|𝒟|) Σ_{t∈𝒟} ∇ log π_θ(a_t|s_t) (G_t − b(s_t)),
    G_t = Σ_{k≥t} γ^{k−t} r_{k+1},

where b ≡ 0 without a baseline and b = V_φ (fit by least squares to G_t) with one. The
baseline leaves the estimator unbiased and reduces its variance (Greensmith et al. 2004).
Every update reports that variance: the per-episode estimates g_i (a ``vmap`` of
``grad``) give ``grad_variance`` = Σ_params Var_i(g_i) / num_envs, the total variance of
the averaged estimate (``num_envs`` ≥ 2 episodes per update, so that variance exists).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from jaxml.rl.common import (
    NONNEGATIVE,
    POSITIVE,
    ActorCritic,
    AgentConfig,
    Interval,
    adam,
    categorical_entropy,
    categorical_log_prob,
    make_env,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReinforceConfig(AgentConfig):
    """REINFORCE hyperparameters (the shared block is :class:`~jaxml.rl.common.AgentConfig`).

    Budget: each update runs ``num_envs`` episodes from fresh resets, each truncated at
    ``num_steps`` steps, so an update reserves ``num_envs * num_steps`` steps of
    ``total_timesteps`` (the most it can use) and the run has
    ``num_updates = total_timesteps // (num_envs * num_steps)`` updates. Episodes that end
    early use fewer steps; ``metrics["env_steps"]`` counts the steps actually taken, so
    it never exceeds the budget. The defaults give 200 updates of 8 CartPole episodes.
    """

    num_envs: int = 8
    num_steps: int = 500
    total_timesteps: int = 800_000
    lr: float = 1e-3
    baseline: bool = True
    vf_coef: float = 0.5
    ent_coef: float = 0.0
    max_grad_norm: float = 1.0

    RANGES = {**AgentConfig.RANGES, "num_envs": Interval(2.0, low_open=False),
              "vf_coef": NONNEGATIVE, "ent_coef": NONNEGATIVE, "max_grad_norm": POSITIVE}


class Episodes(NamedTuple):
    """``(max_steps, num_episodes)`` arrays; ``valid`` masks steps after termination."""

    obs: jax.Array
    action: jax.Array
    reward: jax.Array
    valid: jax.Array


def sample_episodes(key, network, params, env, env_params, num_episodes: int,
                    max_steps: int) -> Episodes:
    """Run ``num_episodes`` episodes of the current policy from fresh resets."""
    k_reset, k_run = jax.random.split(key)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(
        jax.random.split(k_reset, num_episodes), env_params)

    def step(carry, key):
        obs, state, done = carry
        k_act, k_env = jax.random.split(key)
        logits = network.apply(params, obs, method=ActorCritic.logits)
        action = jax.random.categorical(k_act, logits)
        obs2, state2, reward, term, trunc, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(k_env, num_episodes), state, action, env_params)
        out = Episodes(obs, action, reward, ~done)
        return (obs2, state2, done | term | trunc), out

    init = (obs, state, jnp.zeros(num_episodes, bool))
    _, eps = jax.lax.scan(step, init, jax.random.split(k_run, max_steps))
    return eps


def reward_to_go(reward: jax.Array, valid: jax.Array, gamma) -> jax.Array:
    """G_t over axis 0, zero on masked steps."""
    def back(g, x):
        r, v = x
        g = jnp.where(v, r + gamma * g, 0.0)
        return g, g

    _, G = jax.lax.scan(back, jnp.zeros_like(reward[0]), (reward, valid), reverse=True)
    return G


def reinforce_loss(params, network, obs, action, returns, valid, *, baseline: bool,
                   vf_coef, ent_coef):
    """Surrogate whose gradient is the REINFORCE estimate (plus baseline regression).

    All inputs are per-step arrays of one batch (any leading shape); averages run over
    valid steps. Returns ``(loss, (policy_loss, value_loss, entropy))``.
    """
    logits, value = network.apply(params, obs)
    logp = categorical_log_prob(logits, action)
    w = valid.astype(logp.dtype)
    n = jnp.maximum(w.sum(), 1.0)
    adv = returns - jax.lax.stop_gradient(value) if baseline else returns
    policy_loss = -jnp.sum(w * logp * adv) / n
    value_loss = 0.5 * jnp.sum(w * (value - returns) ** 2) / n if baseline else jnp.zeros(())
    entropy = jnp.sum(w * categorical_entropy(logits)) / n
    loss = policy_loss + vf_coef * value_loss - ent_coef * entropy
    return loss, (policy_loss, value_loss, entropy)


class _Carry(NamedTuple):
    params: object
    opt_state: object
    key: jax.Array


def make_train(config: ReinforceConfig):
    """Build ``train(key, **hyper) -> (params, metrics)``.

    ``hyper`` overrides any float field of ``config`` with a scalar array (one compile per
    sweep). ``metrics`` holds ``(num_updates,)`` arrays: ``episode_return`` (mean over the
    batch's episodes), ``loss``, ``policy_loss``, ``value_loss``, ``entropy``,
    ``grad_variance``, ``env_steps`` (cumulative steps actually taken).
    """
    if not isinstance(config, ReinforceConfig):
        raise TypeError(f"config must be ReinforceConfig, got {type(config).__name__}")
    env, env_params = make_env(config.env_name)
    network = ActorCritic(env.action_space(env_params).n, tuple(config.hidden), config.activation)

    def policy_grad_flat(params, obs, action, returns, valid):
        g = jax.grad(lambda p: reinforce_loss(p, network, obs, action, returns, valid,
                                              baseline=config.baseline, vf_coef=0.0,
                                              ent_coef=0.0)[0])(params)
        return ravel_pytree(g["params"]["actor"])[0]

    def update_step(hp, tx, carry: _Carry, _):
        key, k_ep = jax.random.split(carry.key)
        eps = sample_episodes(k_ep, network, carry.params, env, env_params,
                              config.num_envs, config.num_steps)
        G = reward_to_go(eps.reward, eps.valid, hp["gamma"])
        (loss, (pl, vl, ent)), grads = jax.value_and_grad(reinforce_loss, has_aux=True)(
            carry.params, network, eps.obs, eps.action, G, eps.valid,
            baseline=config.baseline, vf_coef=hp["vf_coef"], ent_coef=hp["ent_coef"])
        # per-episode policy-gradient estimates (episode axis is 1) → their variance
        per_ep = jax.vmap(policy_grad_flat, in_axes=(None, 1, 1, 1, 1))(
            carry.params, eps.obs, eps.action, G, eps.valid)
        grad_var = jnp.sum(jnp.var(per_ep, axis=0, ddof=1)) / config.num_envs
        updates, opt_state = tx.update(grads, carry.opt_state, carry.params)
        params = optax.apply_updates(carry.params, updates)
        ep_return = jnp.sum(eps.reward * eps.valid, axis=0).mean()
        metrics = {"episode_return": ep_return, "loss": loss, "policy_loss": pl,
                   "value_loss": vl, "entropy": ent, "grad_variance": grad_var,
                   "batch_steps": jnp.sum(eps.valid)}
        return _Carry(params, opt_state, key), metrics

    def train(key: jax.Array, **hyper):
        hp = config.hyperparameters(**hyper)
        tx = adam(hp["lr"], max_grad_norm=hp["max_grad_norm"])
        k_init, k_run = jax.random.split(key)
        obs_shape = tuple(env.observation_space(env_params).shape)
        params = network.init(k_init, jnp.zeros((1,) + obs_shape))
        carry, metrics = jax.lax.scan(functools.partial(update_step, hp, tx),
                                      _Carry(params, tx.init(params), k_run), None,
                                      length=config.num_updates)
        metrics["env_steps"] = jnp.cumsum(metrics.pop("batch_steps"))
        return carry.params, metrics

    return train


__all__ = ["Episodes", "ReinforceConfig", "make_train", "reinforce_loss", "reward_to_go",
           "sample_episodes"]
