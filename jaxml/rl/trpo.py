"""Trust Region Policy Optimization (Schulman et al. 2015) with GAE.

Each update maximises the surrogate L(θ) = E[π_θ(a|s)/π_old(a|s) Â] subject to
E_s[KL(π_old(·|s) ‖ π_θ(·|s))] ≤ δ:

1. g = ∇_θ L at θ_old;
2. solve F x = g by conjugate gradient (:func:`conjugate_gradient`), where the Fisher
   matrix F = ∇²_θ KL(π_old‖π_θ)|_{θ_old} is only touched through Hessian-vector products
   (forward-over-reverse ``jax.jvp`` of ``jax.grad``), plus damping·I;
3. full step s = √(2δ / xᵀF x) · x;
4. backtracking line search θ = θ_old + βᵏ s, k = 0..K−1: the first candidate with
   KL ≤ δ and surrogate improvement > 0 is taken (else θ_old). All K candidates are
   evaluated in one ``vmap``, which is jit-friendly.

The critic is fit separately by Adam on ½(V − V̂)² over ``value_epochs`` minibatch epochs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from jaxml.rl.common import (
    NONNEGATIVE,
    POSITIVE,
    UNIT,
    ActorCritic,
    AgentConfig,
    Interval,
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
class TRPOConfig(AgentConfig):
    """TRPO hyperparameters (the shared block is :class:`~jaxml.rl.common.AgentConfig`;
    its ``lr`` is the critic's Adam learning rate — the policy step is set by ``max_kl``)."""

    num_envs: int = 8
    num_steps: int = 256
    lr: float = 1e-3
    gae_lambda: float = 0.95
    max_kl: float = 0.01
    cg_iters: int = 10
    cg_damping: float = 0.1
    line_search_steps: int = 10
    backtrack: float = 0.5
    value_epochs: int = 5
    value_minibatches: int = 8

    RANGES = {**AgentConfig.RANGES, "gae_lambda": UNIT, "max_kl": POSITIVE,
              "cg_damping": NONNEGATIVE, "backtrack": Interval(0.0, 1.0)}

    def __post_init__(self):
        super().__post_init__()
        if self.steps_per_update % self.value_minibatches:
            raise ValueError(f"value_minibatches must divide num_envs * num_steps = "
                             f"{self.steps_per_update}, got {self.value_minibatches}")


def conjugate_gradient(matvec: Callable[[jax.Array], jax.Array], b: jax.Array,
                       iters: int, tol: float = 1e-10) -> jax.Array:
    """Solve A x = b for symmetric positive-definite A given only x ↦ A x.

    Hestenes & Stiefel (1952): ``iters`` steps of x ← x + α p, r ← r − α A p,
    p ← r + (r·r)_{new}/(r·r)_{old} p; updates stop once ‖r‖² < tol (so the result is
    exact after n steps in exact arithmetic for an n×n system).
    """
    def body(_, c):
        x, r, p, rr = c
        active = rr > tol
        Ap = matvec(p)
        alpha = jnp.where(active, rr / jnp.maximum(jnp.vdot(p, Ap), 1e-30), 0.0)
        x = x + alpha * p
        r = r - alpha * Ap
        rr_new = jnp.vdot(r, r)
        p = jnp.where(active, r + rr_new / jnp.maximum(rr, 1e-30) * p, p)
        return x, r, p, jnp.where(active, rr_new, rr)

    x0 = jnp.zeros_like(b)
    x, *_ = jax.lax.fori_loop(0, iters, body, (x0, b, b, jnp.vdot(b, b)))
    return x


class _Carry(NamedTuple):
    params: object
    value_opt_state: object
    rollout: RolloutState
    key: jax.Array


def make_train(config: TRPOConfig):
    """Build ``train(key, **hyper) -> (params, metrics)``.

    ``hyper`` overrides any float field of ``config`` with a scalar array (one compile per
    sweep). ``metrics`` holds ``(num_updates,)`` arrays: ``episode_return``, ``kl``,
    ``surrogate_gain``, ``step_fraction`` (accepted βᵏ, 0 if rejected), ``value_loss``,
    ``entropy``, ``env_steps`` (cumulative).
    """
    if not isinstance(config, TRPOConfig):
        raise TypeError(f"config must be TRPOConfig, got {type(config).__name__}")
    env, env_params = make_env(config.env_name)
    network = ActorCritic(env.action_space(env_params).n, tuple(config.hidden), config.activation)
    def policy_update(hp, params, obs, action, old_logp, adv):
        actor = params["params"]["actor"]
        flat0, unravel = ravel_pytree(actor)
        old_logits = jax.lax.stop_gradient(network.apply(params, obs, method=ActorCritic.logits))
        old_logq = jax.nn.log_softmax(old_logits)

        def with_actor(flat):
            p = {"params": {**params["params"], "actor": unravel(flat)}}
            return network.apply(p, obs, method=ActorCritic.logits)

        def surrogate(flat):
            logp = categorical_log_prob(with_actor(flat), action)
            return jnp.mean(jnp.exp(logp - old_logp) * adv)

        def kl(flat):
            logq = jax.nn.log_softmax(with_actor(flat))
            return jnp.mean(jnp.sum(jnp.exp(old_logq) * (old_logq - logq), axis=-1))

        def fisher_vp(v):
            return jax.jvp(jax.grad(kl), (flat0,), (v,))[1] + hp["cg_damping"] * v

        g = jax.grad(surrogate)(flat0)
        x = conjugate_gradient(fisher_vp, g, config.cg_iters)
        shs = jnp.vdot(x, fisher_vp(x))
        full_step = jnp.sqrt(2.0 * hp["max_kl"] / jnp.maximum(shs, 1e-12)) * x
        fractions = hp["backtrack"] ** jnp.arange(config.line_search_steps)
        base = surrogate(flat0)
        cands = flat0[None, :] + fractions[:, None] * full_step[None, :]
        gains = jax.vmap(surrogate)(cands) - base
        kls = jax.vmap(kl)(cands)
        ok = (kls <= hp["max_kl"]) & (gains > 0)
        idx = jnp.argmax(ok)
        accepted = ok[idx]
        new_flat = jnp.where(accepted, cands[idx], flat0)
        new_params = {"params": {**params["params"], "actor": unravel(new_flat)}}
        return new_params, (jnp.where(accepted, kls[idx], 0.0),
                            jnp.where(accepted, gains[idx], 0.0),
                            jnp.where(accepted, fractions[idx], 0.0))

    def value_loss_fn(critic, params, obs, target):
        p = {"params": {**params["params"], "critic": critic}}
        v = network.apply(p, obs, method=ActorCritic.value)
        return 0.5 * jnp.mean((v - target) ** 2)

    def value_update(vtx, params, opt_state, obs, target, key):
        mb = config.steps_per_update // config.value_minibatches

        def minibatch(c, idx):
            critic, opt_state = c
            loss, grads = jax.value_and_grad(value_loss_fn)(critic, params, obs[idx], target[idx])
            updates, opt_state = vtx.update(grads, opt_state, critic)
            return (optax.apply_updates(critic, updates), opt_state), loss

        def epoch(c, key):
            perm = jax.random.permutation(key, config.steps_per_update)
            return jax.lax.scan(minibatch, c, perm.reshape(config.value_minibatches, mb))

        (critic, opt_state), losses = jax.lax.scan(
            epoch, (params["params"]["critic"], opt_state),
            jax.random.split(key, config.value_epochs))
        return {"params": {**params["params"], "critic": critic}}, opt_state, losses.mean()

    def update_step(hp, vtx, carry: _Carry, _):
        key, k_roll, k_val = jax.random.split(carry.key, 3)
        rollout, traj = collect_rollout(k_roll, network, carry.params, env, env_params,
                                        carry.rollout, config.num_steps)
        adv, target = gae_advantages(traj.reward, traj.value, traj.next_value,
                                     traj.terminated, traj.done, hp["gamma"],
                                     hp["gae_lambda"])
        obs, action, logp, adv, target = flatten_steps(
            (traj.obs, traj.action, traj.log_prob, adv, target))
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        params, (kl, gain, frac) = policy_update(hp, carry.params, obs, action, logp, adv)
        params, vopt, vloss = value_update(vtx, params, carry.value_opt_state, obs, target,
                                           k_val)
        entropy = jnp.mean(categorical_entropy(
            network.apply(params, obs, method=ActorCritic.logits)))
        metrics = {"episode_return": rollout.stats.last_return.mean(), "kl": kl,
                   "surrogate_gain": gain, "step_fraction": frac, "value_loss": vloss,
                   "entropy": entropy}
        return _Carry(params, vopt, rollout, key), metrics

    def train(key: jax.Array, **hyper):
        hp = config.hyperparameters(**hyper)
        vtx = adam(hp["lr"])
        k_init, k_env, k_run = jax.random.split(key, 3)
        obs_shape = tuple(env.observation_space(env_params).shape)
        params = network.init(k_init, jnp.zeros((1,) + obs_shape))
        carry = _Carry(params, vtx.init(params["params"]["critic"]),
                       reset_envs(k_env, env, env_params, config.num_envs), k_run)
        carry, metrics = jax.lax.scan(functools.partial(update_step, hp, vtx), carry, None,
                                      length=config.num_updates)
        metrics["env_steps"] = jnp.arange(1, config.num_updates + 1) * config.steps_per_update
        return carry.params, metrics

    return train


__all__ = ["TRPOConfig", "conjugate_gradient", "make_train"]
