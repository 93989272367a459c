"""Proximal Policy Optimization (Schulman et al. 2017), PureJaxRL-style.

With ratio ρ_t(θ) = π_θ(a_t|s_t) / π_old(a_t|s_t) and normalised GAE advantages Â_t,
the loss minimised on each minibatch is

    L(θ) = −E[min(ρ_t Â_t, clip(ρ_t, 1−ε, 1+ε) Â_t)]
           + c_v · E[½ (V_θ(s_t) − V̂_t)²] − c_e · E[H(π_θ(·|s_t))].

One update = ``num_steps`` steps of ``num_envs`` environments, GAE, then ``update_epochs``
passes over ``num_minibatches`` shuffled minibatches (Adam, global-norm clipping, optional
linear learning-rate annealing). The whole run — environment included — is a single
``lax.scan`` over updates, so ``jax.jit(jax.vmap(make_train(config)))(keys)`` trains many
seeds in one compiled program. Defaults follow PureJaxRL's CartPole configuration.
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
    Transition,
    categorical_entropy,
    categorical_log_prob,
    collect_rollout,
    flatten_steps,
    gae_advantages,
    make_env,
    reset_envs,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PPOConfig(AgentConfig):
    """PPO hyperparameters (the shared block is :class:`~jaxml.rl.common.AgentConfig`)."""

    update_epochs: int = 4
    num_minibatches: int = 4
    gae_lambda: float = 0.95
    clip_eps: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    anneal_lr: bool = True

    RANGES = {**AgentConfig.RANGES, "gae_lambda": UNIT, "clip_eps": POSITIVE,
              "ent_coef": NONNEGATIVE, "vf_coef": NONNEGATIVE, "max_grad_norm": POSITIVE}

    def __post_init__(self):
        super().__post_init__()
        if self.steps_per_update % self.num_minibatches:
            raise ValueError(f"num_minibatches must divide num_envs * num_steps = "
                             f"{self.steps_per_update}, got {self.num_minibatches}")

    @property
    def minibatch_size(self) -> int:
        return self.steps_per_update // self.num_minibatches


class PPOBatch(NamedTuple):
    """What the loss needs per sample."""

    obs: jax.Array
    action: jax.Array
    log_prob: jax.Array
    advantage: jax.Array
    target: jax.Array


class TrainCarry(NamedTuple):
    params: object
    opt_state: object
    rollout: RolloutState
    key: jax.Array


def ppo_loss(params, network: ActorCritic, batch: PPOBatch, clip_eps, vf_coef, ent_coef):
    """The clipped surrogate loss; returns ``(loss, (policy_loss, value_loss, entropy,
    approx_kl, clip_fraction))``. Advantages are normalised within the minibatch."""
    logits, value = network.apply(params, batch.obs)
    logp = categorical_log_prob(logits, batch.action)
    log_ratio = logp - batch.log_prob
    ratio = jnp.exp(log_ratio)
    adv = (batch.advantage - batch.advantage.mean()) / (batch.advantage.std() + 1e-8)
    policy_loss = -jnp.mean(jnp.minimum(ratio * adv,
                                        jnp.clip(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv))
    value_loss = 0.5 * jnp.mean((value - batch.target) ** 2)
    entropy = jnp.mean(categorical_entropy(logits))
    loss = policy_loss + vf_coef * value_loss - ent_coef * entropy
    approx_kl = jnp.mean((ratio - 1.0) - log_ratio)  # Schulman's k3 estimator of KL(old‖new)
    clip_frac = jnp.mean((jnp.abs(ratio - 1.0) > clip_eps).astype(jnp.float32))
    return loss, (policy_loss, value_loss, entropy, approx_kl, clip_frac)


def make_train(config: PPOConfig):
    """Build ``train(key, **hyper) -> (params, metrics)``.

    ``hyper`` overrides any float field of ``config`` (``lr``, ``ent_coef``, ``gamma``, ...)
    with a scalar array, so ``jax.vmap(train)(keys, lr=lrs)`` is one compiled sweep.
    ``metrics`` holds ``(num_updates,)`` arrays: ``episode_return`` (mean over envs of the
    last finished episode), ``loss``, ``policy_loss``, ``value_loss``, ``entropy``,
    ``approx_kl``, ``clip_fraction``, ``env_steps`` (cumulative).
    """
    if not isinstance(config, PPOConfig):
        raise TypeError(f"config must be PPOConfig, got {type(config).__name__}")
    env, env_params = make_env(config.env_name)
    network = ActorCritic(env.action_space(env_params).n, tuple(config.hidden), config.activation)
    grad_steps = config.num_updates * config.update_epochs * config.num_minibatches

    def update_minibatch(hp, tx, carry, batch):
        params, opt_state = carry
        grads, aux = jax.grad(ppo_loss, has_aux=True)(
            params, network, batch, hp["clip_eps"], hp["vf_coef"], hp["ent_coef"])
        updates, opt_state = tx.update(grads, opt_state, params)
        loss_terms = jnp.stack([aux[0] + hp["vf_coef"] * aux[1] - hp["ent_coef"] * aux[2],
                                *aux])
        return (optax.apply_updates(params, updates), opt_state), loss_terms

    def update_epoch(hp, tx, carry, key):
        params, opt_state, batch = carry
        perm = jax.random.permutation(key, config.steps_per_update)
        mbs = jax.tree.map(lambda x: x[perm].reshape(
            (config.num_minibatches, config.minibatch_size) + x.shape[1:]), batch)
        (params, opt_state), terms = jax.lax.scan(functools.partial(update_minibatch, hp, tx),
                                                  (params, opt_state), mbs)
        return (params, opt_state, batch), terms

    def update_step(hp, tx, carry: TrainCarry, _):
        key, k_roll, k_epochs = jax.random.split(carry.key, 3)
        rollout, traj = collect_rollout(k_roll, network, carry.params, env, env_params,
                                        carry.rollout, config.num_steps)
        adv, target = gae_advantages(traj.reward, traj.value, traj.next_value,
                                     traj.terminated, traj.done, hp["gamma"],
                                     hp["gae_lambda"])
        batch = flatten_steps(PPOBatch(traj.obs, traj.action, traj.log_prob, adv, target))
        (params, opt_state, _), terms = jax.lax.scan(
            functools.partial(update_epoch, hp, tx), (carry.params, carry.opt_state, batch),
            jax.random.split(k_epochs, config.update_epochs))
        terms = terms.reshape(-1, terms.shape[-1]).mean(0)
        metrics = {
            "episode_return": rollout.stats.last_return.mean(),
            "loss": terms[0], "policy_loss": terms[1], "value_loss": terms[2],
            "entropy": terms[3], "approx_kl": terms[4], "clip_fraction": terms[5],
        }
        return TrainCarry(params, opt_state, rollout, key), metrics

    def train(key: jax.Array, **hyper):
        hp = config.hyperparameters(**hyper)
        tx = adam(hp["lr"], max_grad_norm=hp["max_grad_norm"], eps=1e-5,
                  decay_steps=grad_steps if config.anneal_lr else None)
        k_init, k_env, k_run = jax.random.split(key, 3)
        obs_shape = env.observation_space(env_params).shape
        params = network.init(k_init, jnp.zeros((1,) + tuple(obs_shape)))
        rollout = reset_envs(k_env, env, env_params, config.num_envs)
        carry = TrainCarry(params, tx.init(params), rollout, k_run)
        carry, metrics = jax.lax.scan(functools.partial(update_step, hp, tx), carry, None,
                                      length=config.num_updates)
        metrics["env_steps"] = jnp.arange(1, config.num_updates + 1) * config.steps_per_update
        return carry.params, metrics

    return train


__all__ = ["PPOBatch", "PPOConfig", "Transition", "make_train", "ppo_loss"]
