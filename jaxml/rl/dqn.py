"""Deep Q-networks and the Rainbow components, switchable in one config.

DQN (Mnih et al. 2015): ε-greedy behaviour, replay, a target network θ⁻, and the loss
(Q_θ(s,a) − y)², y = r + γ max_a' Q_θ⁻(s', a'). Options (Hessel et al. 2018, "Rainbow"):

* ``double``: y = r + γ Q_θ⁻(s', argmax_a' Q_θ(s', a'))  (van Hasselt et al. 2016).
* ``dueling``: Q(s,a) = V(s) + A(s,a) − mean_a A(s,a)  (Wang et al. 2016).
* ``prioritized``: proportional PER with importance weights  (Schaul et al. 2016).
* ``n_step``: n-step bootstrapped targets from the replay buffer  (Sutton 1988).
* ``distributional`` (C51): Z(s,a) on N atoms z_i ∈ [v_min, v_max]; the target
  distribution r + γ^n z projected back onto the support; cross-entropy loss
  (Bellemare et al. 2017).
* ``noisy``: factorised-Gaussian NoisyNet layers replace ε-greedy exploration
  (Fortunato et al. 2018): W = μ_W + σ_W ⊙ f(ε_out) f(ε_in)ᵀ, f(x) = sign(x)√|x|.

One update = ``train_frequency`` vectorised environment steps written to the buffer, then
one gradient step once ``learning_starts`` steps are stored; the target network is
copied every ``target_update_interval`` updates. The whole run is one ``lax.scan``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxml.rl import buffers
from jaxml.rl.common import (
    ACTIVATIONS,
    NONNEGATIVE,
    POSITIVE,
    UNIT,
    UNIT_NONZERO,
    AgentConfig,
    EpisodeStats,
    Interval,
    adam,
    make_env,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DQNConfig(AgentConfig):
    """DQN/Rainbow hyperparameters (defaults: PureJaxRL-like CartPole DQN; the shared block
    is :class:`~jaxml.rl.common.AgentConfig`, whose ``num_steps`` is the number of
    vectorised environment steps between gradient steps, CleanRL's ``train_frequency``).

    ε decays linearly from ``eps_start`` to ``eps_end`` over the first
    ``eps_fraction · total_timesteps`` steps, ``eps_fraction`` ∈ (0, 1]; ε = 0 is a valid
    (greedy) endpoint.
    """

    num_envs: int = 10
    num_steps: int = 1
    lr: float = 2.5e-4
    hidden: Sequence[int] = (120, 84)
    activation: str = "relu"
    buffer_size: int = 10_000
    batch_size: int = 128
    learning_starts: int = 10_000
    target_update_interval: int = 50
    max_grad_norm: float = 10.0
    eps_start: float = 1.0
    eps_end: float = 0.05
    eps_fraction: float = 0.5
    double: bool = False
    dueling: bool = False
    prioritized: bool = False
    per_alpha: float = 0.6
    per_beta_start: float = 0.4
    n_step: int = 1
    distributional: bool = False
    num_atoms: int = 51
    v_min: float = 0.0
    v_max: float = 100.0
    noisy: bool = False
    noisy_sigma: float = 0.5

    RANGES = {**AgentConfig.RANGES, "learning_starts": Interval(0.0, low_open=False),
              "max_grad_norm": POSITIVE, "eps_start": UNIT, "eps_end": UNIT,
              "eps_fraction": UNIT_NONZERO, "per_alpha": NONNEGATIVE, "per_beta_start": UNIT,
              "num_atoms": Interval(2.0, low_open=False), "noisy_sigma": POSITIVE}

    def __post_init__(self):
        super().__post_init__()
        if self.buffer_size < self.num_envs * (self.n_step + 1):
            raise ValueError(f"buffer_size must be >= num_envs * (n_step + 1) = "
                             f"{self.num_envs * (self.n_step + 1)}, got {self.buffer_size}")
        if self.distributional and self.v_max <= self.v_min:
            raise ValueError(f"v_max must be > v_min for distributional, got v_min="
                             f"{self.v_min}, v_max={self.v_max}")

    @property
    def capacity(self) -> int:
        return self.buffer_size // self.num_envs


class NoisyDense(nn.Module):
    """Factorised-Gaussian noisy linear layer (noise from the ``"noise"`` RNG stream)."""

    features: int
    sigma0: float = 0.5

    @nn.compact
    def __call__(self, x):
        n_in = x.shape[-1]
        bound = 1.0 / np.sqrt(n_in)
        uni = nn.initializers.uniform(2 * bound)
        mu_w = self.param("mu_w", lambda k, s: uni(k, s) - bound, (n_in, self.features))
        mu_b = self.param("mu_b", lambda k, s: uni(k, s) - bound, (self.features,))
        sig = self.sigma0 / np.sqrt(n_in)
        sigma_w = self.param("sigma_w", nn.initializers.constant(sig), (n_in, self.features))
        sigma_b = self.param("sigma_b", nn.initializers.constant(sig), (self.features,))
        k_in, k_out = jax.random.split(self.make_rng("noise"))
        f = lambda e: jnp.sign(e) * jnp.sqrt(jnp.abs(e))  # noqa: E731
        e_in = f(jax.random.normal(k_in, (n_in,)))
        e_out = f(jax.random.normal(k_out, (self.features,)))
        w = mu_w + sigma_w * jnp.outer(e_in, e_out)
        b = mu_b + sigma_b * e_out
        return x @ w + b


class QNetwork(nn.Module):
    """MLP Q-network; returns ``(..., A)`` values or ``(..., A, atoms)`` logits (C51)."""

    num_actions: int
    hidden: Sequence[int] = (120, 84)
    dueling: bool = False
    num_atoms: int = 1
    noisy: bool = False
    noisy_sigma: float = 0.5
    activation: str = "relu"

    def _head(self, features, name):
        if self.noisy:
            return NoisyDense(features, self.noisy_sigma, name=name)
        return nn.Dense(features, name=name)

    @nn.compact
    def __call__(self, x):
        act = ACTIVATIONS[self.activation]
        for h in self.hidden[:-1]:
            x = act(nn.Dense(h)(x))
        x = act(self._head(self.hidden[-1], "last_hidden")(x))
        A, N = self.num_actions, self.num_atoms
        adv = self._head(A * N, "advantage")(x).reshape(x.shape[:-1] + (A, N))
        if self.dueling:
            val = self._head(N, "value")(x).reshape(x.shape[:-1] + (1, N))
            out = val + adv - adv.mean(axis=-2, keepdims=True)
        else:
            out = adv
        return out[..., 0] if N == 1 else out


def categorical_projection(next_probs: jax.Array, reward: jax.Array, discount: jax.Array,
                           atoms: jax.Array) -> jax.Array:
    """Project the distribution of r + discount·Z (Z on ``atoms``) onto ``atoms``.

    Args:
      next_probs: ``(B, N)`` probabilities of Z(s', a*).
      reward, discount: ``(B,)``.
      atoms: ``(N,)`` evenly spaced support.
    Returns ``(B, N)`` target probabilities (C51's Φ T̂ Z; Bellemare et al. 2017, Alg. 1).
    """
    v_min, v_max = atoms[0], atoms[-1]
    dz = atoms[1] - atoms[0]
    tz = jnp.clip(reward[:, None] + discount[:, None] * atoms[None, :], v_min, v_max)
    b = (tz - v_min) / dz
    lo = jnp.floor(b)
    hi = jnp.ceil(b)
    n = atoms.shape[0]
    w_lo = next_probs * (hi - b + (lo == hi))
    w_hi = next_probs * (b - lo)
    lo_oh = jax.nn.one_hot(lo.astype(jnp.int32), n)
    hi_oh = jax.nn.one_hot(hi.astype(jnp.int32), n)
    return jnp.einsum("bj,bjk->bk", w_lo, lo_oh) + jnp.einsum("bj,bjk->bk", w_hi, hi_oh)


def _apply(network, config, params, obs, key):
    return network.apply(params, obs, rngs={"noise": key} if config.noisy else None)


def _q_values(config, atoms, out):
    return jnp.sum(jax.nn.softmax(out, -1) * atoms, -1) if config.distributional else out


def _take(x, a):
    """x[b, a[b], ...]."""
    return jnp.take_along_axis(x, a.reshape(a.shape + (1,) * (x.ndim - 1)), axis=1)[:, 0]


def dqn_loss(params, target_params, batch: buffers.Sample, key, *, network: QNetwork,
             config: DQNConfig, atoms: jax.Array | None = None):
    """Importance-weighted squared TD error or C51 cross-entropy for one sampled batch.

    ``atoms`` is the C51 support (default: ``num_atoms`` points from ``config.v_min`` to
    ``config.v_max``; ``train`` passes its possibly traced one). Returns
    ``(loss, (per_sample_loss, mean_q_taken))``; the per-sample losses are the new PER
    priorities.
    """
    if atoms is None:
        atoms = jnp.linspace(config.v_min, config.v_max, config.num_atoms)
    k_on, k_next, k_tgt = jax.random.split(key, 3)
    out = _apply(network, config, params, batch.obs, k_on)
    out_next_t = _apply(network, config, target_params, batch.next_obs, k_tgt)
    if config.double:
        online_next = _apply(network, config, params, batch.next_obs, k_next)
        a_star = jnp.argmax(_q_values(config, atoms, online_next), -1)
    else:
        a_star = jnp.argmax(_q_values(config, atoms, out_next_t), -1)
    if config.distributional:
        next_probs = jax.nn.softmax(_take(out_next_t, a_star), -1)
        target = jax.lax.stop_gradient(
            categorical_projection(next_probs, batch.reward, batch.discount, atoms))
        logp = jax.nn.log_softmax(_take(out, batch.action), -1)
        per_sample = -jnp.sum(target * logp, -1)
        q_taken = jnp.sum(jnp.exp(logp) * atoms, -1)
    else:
        y = batch.reward + batch.discount * _take(out_next_t, a_star)
        q_taken = _take(out, batch.action)
        per_sample = (q_taken - jax.lax.stop_gradient(y)) ** 2
    loss = jnp.mean(batch.weight * per_sample)
    return loss, (per_sample, q_taken.mean())


class _Carry(NamedTuple):
    params: object
    target_params: object
    opt_state: object
    buffer: buffers.ReplayBuffer
    env_state: object
    obs: jax.Array
    stats: EpisodeStats
    update: jax.Array
    key: jax.Array


def _network(config: DQNConfig, num_actions: int, noisy_sigma) -> QNetwork:
    num_atoms = config.num_atoms if config.distributional else 1
    return QNetwork(num_actions, tuple(config.hidden), config.dueling, num_atoms, config.noisy,
                    noisy_sigma, config.activation)


def make_train(config: DQNConfig):
    """Build ``train(key, **hyper) -> (params, metrics)``.

    ``hyper`` overrides any float field of ``config`` with a scalar array (one compile per
    sweep). ``metrics`` holds ``(num_updates,)`` arrays: ``episode_return``, ``loss`` (NaN
    before ``learning_starts``), ``q_mean``, ``epsilon``, ``env_steps`` (cumulative). Act
    with the trained parameters through :func:`make_act`.
    """
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be DQNConfig, got {type(config).__name__}")
    env, env_params = make_env(config.env_name)
    A = env.action_space(env_params).n

    def epsilon_at(hp, step):
        if config.noisy:
            return jnp.zeros(())
        explore_steps = jnp.maximum(1.0, hp["eps_fraction"] * config.total_timesteps)
        frac = jnp.minimum(step / explore_steps, 1.0)
        return hp["eps_start"] + frac * (hp["eps_end"] - hp["eps_start"])

    def env_step(hp, network, atoms, carry, key):
        params, buffer, env_state, obs, stats, step = carry
        k_net, k_eps, k_rand, k_env = jax.random.split(key, 4)
        out = _apply(network, config, params, obs, k_net)
        greedy = jnp.argmax(_q_values(config, atoms, out), -1)
        explore = jax.random.uniform(k_eps, greedy.shape) < epsilon_at(hp, step)
        action = jnp.where(explore, jax.random.randint(k_rand, greedy.shape, 0, A), greedy)
        obs2, env_state, reward, term, trunc, info = jax.vmap(
            env.step, in_axes=(0, 0, 0, None))(jax.random.split(k_env, config.num_envs),
                                               env_state, action, env_params)
        done = term | trunc
        buffer = buffers.add(buffer, buffers.StoredTransition(
            obs, action, reward, info["final_observation"], term, done))
        stats = stats.update(reward, done)
        return (params, buffer, env_state, obs2, stats, step + config.num_envs), None

    def update_step(hp, network, atoms, tx, carry: _Carry, _):
        key, k_env, k_sample, k_loss = jax.random.split(carry.key, 4)
        env_steps = carry.update * config.steps_per_update
        (_, buffer, env_state, obs, stats, _), _ = jax.lax.scan(
            functools.partial(env_step, hp, network, atoms),
            (carry.params, carry.buffer, carry.env_state, carry.obs, carry.stats, env_steps),
            jax.random.split(k_env, config.num_steps))
        frac = jnp.minimum(carry.update / config.num_updates, 1.0)
        beta = hp["per_beta_start"] + frac * (1.0 - hp["per_beta_start"])
        batch = buffers.sample(k_sample, buffer, config.batch_size, n_step=config.n_step,
                               gamma=hp["gamma"], prioritized=config.prioritized,
                               alpha=hp["per_alpha"], beta=beta)
        (loss, (per_sample, q_mean)), grads = jax.value_and_grad(dqn_loss, has_aux=True)(
            carry.params, carry.target_params, batch, k_loss, network=network, config=config,
            atoms=atoms)
        updates, opt_state = tx.update(grads, carry.opt_state, carry.params)
        learn = (env_steps + config.steps_per_update) >= config.learning_starts
        sel = lambda new, old: jax.tree.map(  # noqa: E731
            lambda a, b: jnp.where(learn, a, b), new, old)
        params = sel(optax.apply_updates(carry.params, updates), carry.params)
        opt_state = sel(opt_state, carry.opt_state)
        if config.prioritized:
            buffer = sel(buffers.update_priorities(buffer, batch.index, per_sample), buffer)
        refresh = (carry.update + 1) % config.target_update_interval == 0
        target = jax.tree.map(lambda p, t: jnp.where(refresh, p, t), params,
                              carry.target_params)
        metrics = {"episode_return": stats.last_return.mean(),
                   "loss": jnp.where(learn, loss, jnp.nan), "q_mean": q_mean,
                   "epsilon": epsilon_at(hp, env_steps)}
        return _Carry(params, target, opt_state, buffer, env_state, obs, stats,
                      carry.update + 1, key), metrics

    def train(key: jax.Array, **hyper):
        hp = config.hyperparameters(**hyper)
        network = _network(config, A, hp["noisy_sigma"])
        atoms = jnp.linspace(hp["v_min"], hp["v_max"], config.num_atoms)
        tx = adam(hp["lr"], max_grad_norm=hp["max_grad_norm"])
        k_init, k_noise, k_env, k_run = jax.random.split(key, 4)
        obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(
            jax.random.split(k_env, config.num_envs), env_params)
        params = network.init({"params": k_init, "noise": k_noise}, obs)
        example = buffers.StoredTransition(obs, jnp.zeros(config.num_envs, jnp.int32),
                                           jnp.zeros(config.num_envs), obs,
                                           jnp.zeros(config.num_envs, bool),
                                           jnp.zeros(config.num_envs, bool))
        carry = _Carry(params, params, tx.init(params), buffers.init(example, config.capacity),
                       env_state, obs, EpisodeStats.zeros(config.num_envs),
                       jnp.zeros((), jnp.int32), k_run)
        carry, metrics = jax.lax.scan(functools.partial(update_step, hp, network, atoms, tx),
                                      carry, None, length=config.num_updates)
        metrics["env_steps"] = jnp.arange(1, config.num_updates + 1) * config.steps_per_update
        return carry.params, metrics

    return train


def make_act(config: DQNConfig):
    """``act(params, key, obs) -> actions``: the greedy action of the trained Q-network for
    a batch of observations (with NoisyNets, under one noise sample drawn from ``key``)."""
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be DQNConfig, got {type(config).__name__}")
    env, env_params = make_env(config.env_name)
    network = _network(config, env.action_space(env_params).n, config.noisy_sigma)
    atoms = jnp.linspace(config.v_min, config.v_max, config.num_atoms)

    def act(params, key: jax.Array, obs: jax.Array) -> jax.Array:
        return jnp.argmax(_q_values(config, atoms, _apply(network, config, params, obs, key)), -1)

    return act


__all__ = ["DQNConfig", "NoisyDense", "QNetwork", "categorical_projection", "dqn_loss", "make_act",
           "make_train"]
