"""Shared pieces of the RL agents: validated configs, networks, trajectories, GAE, episode statistics.

**Configs.** Every agent's hyperparameters are a frozen dataclass derived from
:class:`CheckedConfig`, which checks each field at construction: integer counts are
``int`` ≥ 1 (or the bound in ``RANGES``), flags are ``bool``, floats lie in the interval
that ``RANGES`` gives (NaN is rejected explicitly, since comparisons with NaN are false),
and string options are among ``OPTIONS``. Errors name the field and the expected range.
:class:`AgentConfig` adds the block the deep agents (A2C, PPO, TRPO, REINFORCE, DQN)
share — environment, ``num_envs`` × ``num_steps`` environment steps per update, one
budget ``total_timesteps`` (so ``num_updates = total_timesteps // (num_envs·num_steps)``),
γ, learning rate, network width and activation.

**Traced hyperparameters.** Every ``float`` field of a config is a *continuous
hyperparameter*: ``train(key, **hyper)`` accepts any of them as a scalar (JAX array or
number) overriding the config's value, so a sweep is one compiled program::

    train = ppo.make_train(PPOConfig(...))
    params, metrics = jax.jit(jax.vmap(train))(keys, lr=lrs, ent_coef=coefs)

Integers, flags and strings change shapes or control flow and stay static in the config.
Concrete overrides are range-checked like config fields; traced ones (inside ``jit``/
``vmap``) cannot be checked and are used as given.

**GAE** (Schulman et al. 2016) with separate termination and truncation flags (gymnax 1.x
auto-resets, so the value of the *true* next state ``info["final_observation"]`` is
stored with every transition):

    δ_t = r_t + γ (1 − terminated_t) V(s'_t) − V(s_t),
    Â_t = δ_t + γλ (1 − done_t) Â_{t+1},        done_t = terminated_t ∨ truncated_t,

so a time-limit truncation bootstraps from V(s'_t) instead of treating the state as
terminal (Pardo et al. 2018). The value targets are Â_t + V(s_t).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import typing
from collections.abc import Mapping, Sequence
from typing import ClassVar, NamedTuple

import flax.linen as nn
import gymnax
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.linen.initializers import constant, orthogonal

from jaxml.core.validation import is_traced

ACTIVATIONS = {"tanh": nn.tanh, "relu": nn.relu}


@dataclasses.dataclass(frozen=True)
class Interval:
    """Admissible values of a numeric field: from ``low`` to ``high``, each end open or closed."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = True
    high_open: bool = True

    def __contains__(self, value) -> bool:
        v = float(value)
        if math.isnan(v):
            return False
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return above and below

    def __str__(self) -> str:
        return (f"{'(' if self.low_open else '['}{self.low:g}, "
                f"{self.high:g}{')' if self.high_open else ']'}")


UNIT = Interval(0.0, 1.0, low_open=False, high_open=False)   # [0, 1]: γ, λ, probabilities
UNIT_NONZERO = Interval(0.0, 1.0, high_open=False)           # (0, 1]: fractions, step sizes
POSITIVE = Interval(0.0)                                     # (0, ∞)
NONNEGATIVE = Interval(0.0, low_open=False)                  # [0, ∞)
COUNT = Interval(1.0, low_open=False)                        # integers ≥ 1 (the default)
FINITE = Interval()                                          # any finite number


@functools.cache
def _field_types(cls) -> dict[str, type]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _check_field(name: str, value, kind, interval: Interval | None, options) -> None:
    if kind is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {value!r}")
    elif kind is int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {value!r}")
        interval = interval or COUNT
        if value not in interval:
            raise ValueError(f"{name} must be an integer in {interval}, got {value}")
    elif kind is float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{name} must be a real number, got {value!r}")
        interval = interval or FINITE
        if value not in interval:
            raise ValueError(f"{name} must be in {interval}, got {value}")
    elif kind is str:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, got {value!r}")
        if options is not None and value not in options:
            raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class CheckedConfig:
    """A frozen config whose fields are checked at construction (see the module docstring).

    Subclasses list the interval of each numeric field in ``RANGES`` (ints default to
    ≥ 1, floats to any finite value) and the allowed strings in ``OPTIONS``.
    """

    RANGES: ClassVar[Mapping[str, Interval]] = {}
    OPTIONS: ClassVar[Mapping[str, Sequence[str]]] = {}

    def __post_init__(self):
        for name, kind in _field_types(type(self)).items():
            _check_field(name, getattr(self, name), kind, self.RANGES.get(name),
                         self.OPTIONS.get(name))

    @classmethod
    def hyperparameter_names(cls) -> tuple[str, ...]:
        """The continuous hyperparameters: every ``float`` field."""
        return tuple(n for n, kind in _field_types(cls).items() if kind is float)

    def hyperparameters(self, **overrides) -> dict[str, jax.Array]:
        """Every continuous hyperparameter as a scalar array, ``overrides`` replacing the
        config's values (see "Traced hyperparameters" in the module docstring)."""
        names = self.hyperparameter_names()
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise ValueError(f"unknown hyperparameter(s) {unknown}; those of "
                             f"{type(self).__name__} are {names}")
        for name, value in overrides.items():
            if jnp.ndim(value) != 0:
                raise ValueError(f"hyperparameter {name} must be a scalar (vmap to sweep "
                                 f"several), got shape {jnp.shape(value)}")
        concrete = {n: float(v) for n, v in overrides.items() if not is_traced(v)}
        if concrete:
            dataclasses.replace(self, **concrete)  # the range checks, on concrete values
        dtype = jnp.result_type(float)
        return {n: jnp.asarray(overrides.get(n, getattr(self, n)), dtype) for n in names}


@dataclasses.dataclass(frozen=True, kw_only=True)
class AgentConfig(CheckedConfig):
    """The hyperparameters every deep agent (A2C, PPO, TRPO, REINFORCE, DQN) shares.

    Attributes:
      env_name: a gymnax environment with a discrete action space.
      num_envs: environments stepped in parallel.
      num_steps: steps of each environment per update (the rollout length).
      total_timesteps: the budget of environment steps; the run has
        ``num_updates = total_timesteps // (num_envs * num_steps)`` updates.
      gamma: discount γ ∈ [0, 1].
      lr: the (Adam) learning rate, > 0.
      hidden: widths of the hidden layers.
      activation: one of :data:`ACTIVATIONS`.
    """

    env_name: str = "CartPole-v1"
    num_envs: int = 4
    num_steps: int = 128
    total_timesteps: int = 500_000
    gamma: float = 0.99
    lr: float = 2.5e-4
    hidden: Sequence[int] = (64, 64)
    activation: str = "tanh"

    RANGES = {"gamma": UNIT, "lr": POSITIVE}
    OPTIONS = {"activation": tuple(ACTIVATIONS)}

    def __post_init__(self):
        super().__post_init__()
        if self.env_name not in gymnax.registered_envs:
            raise ValueError(f"env_name {self.env_name!r} is not a gymnax environment "
                             "(see gymnax.registered_envs)")
        hidden = tuple(self.hidden) if isinstance(self.hidden, Sequence) else ()
        if not hidden or not all(isinstance(h, int) and h >= 1 for h in hidden):
            raise ValueError(f"hidden must be a non-empty sequence of ints >= 1, "
                             f"got {self.hidden!r}")
        if self.total_timesteps < self.steps_per_update:
            raise ValueError(f"total_timesteps must be >= num_envs * num_steps = "
                             f"{self.steps_per_update}, got {self.total_timesteps}")

    @property
    def steps_per_update(self) -> int:
        return self.num_envs * self.num_steps

    @property
    def num_updates(self) -> int:
        return self.total_timesteps // self.steps_per_update


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
    """``(env, env_params)`` of a gymnax environment with discrete actions; clear errors for
    unknown names and continuous action spaces."""
    if env_name not in gymnax.registered_envs:
        raise ValueError(f"env_name {env_name!r} is not a gymnax environment")
    env, env_params = gymnax.make(env_name)
    if not hasattr(env.action_space(env_params), "n"):
        raise ValueError(f"env_name {env_name!r} has a continuous action space; the agents "
                         "here need discrete actions")
    return env, env_params


def adam(lr, *, max_grad_norm=None, decay_steps: int | None = None, eps: float = 1e-8):
    """Adam (optionally after global-norm clipping at ``max_grad_norm``), its learning rate
    decaying linearly from ``lr`` to 0 over ``decay_steps`` gradient steps when given."""
    schedule = optax.linear_schedule(lr, 0.0, decay_steps) if decay_steps else lr
    opt = optax.adam(schedule, eps=eps)
    return opt if max_grad_norm is None else optax.chain(
        optax.clip_by_global_norm(max_grad_norm), opt)


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
