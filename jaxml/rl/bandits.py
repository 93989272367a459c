"""Multi-armed bandits: ε-greedy, decaying ε, UCB1, Thompson sampling, gradient bandit.

A K-armed bandit has reward distributions ν_1..ν_K with means μ_a; the pseudo-regret after
T pulls is  Regret(T) = Σ_{t≤T} (μ* − μ_{A_t}),  μ* = max_a μ_a.

* ε-greedy (fixed ε): explores forever, so regret grows linearly, ≈ ε·T·mean gap.
* Decaying ε: ε_t = min(1, c K / (d² t)) with d the smallest gap (Auer et al. 2002, ε_n-greedy).
* UCB1 (Auer, Cesa-Bianchi & Fischer 2002): pull each arm once, then
  A_t = argmax_a  μ̂_a + c √(2 ln t / N_a); regret O(Σ_a ln T / Δ_a).
* Thompson sampling: Beta(1,1)–Bernoulli posterior Beta(1+S_a, 1+N_a−S_a); Gaussian with
  known noise σ and prior N(0, σ₀²): posterior N(m_a, s_a²), s_a² = (1/σ₀² + N_a/σ²)⁻¹,
  m_a = s_a² Σ rewards_a / σ² (Agrawal & Goyal 2012; Russo et al. 2018).
* Gradient bandit (Sutton & Barto 2018, §2.8): softmax preferences H,
  H ← H + α (R − R̄)(1[a=A] − π), R̄ the running average reward baseline.

Lai & Robbins (1985): any consistent policy has
  liminf Regret(T)/ln T ≥ Σ_{a: Δ_a>0} Δ_a / KL(ν_a, ν*),
with KL the Bernoulli divergence kl(μ_a, μ*) (or Δ_a²/(2σ²) for Gaussian arms);
:func:`lai_robbins_constant` returns that constant.

``make_train(config, means) -> train(key)``, ``train(key) -> (state, metrics)`` (the
shape of every agent here), runs one bandit for ``horizon`` steps inside a ``lax.scan``;
:func:`regret_curves` vmaps it over runs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.rl.common import NONNEGATIVE, POSITIVE, UNIT, CheckedConfig, Interval

ALGORITHMS = ("epsilon_greedy", "decaying_epsilon", "ucb1", "thompson", "gradient")
REWARDS = ("bernoulli", "gaussian")


@dataclasses.dataclass(frozen=True)
class BanditConfig(CheckedConfig):
    """Hyperparameters, checked at construction; the float fields are continuous
    hyperparameters that ``train(key, **hyper)`` can override with arrays.

    Attributes:
      algorithm: one of :data:`ALGORITHMS`.
      reward: ``"bernoulli"`` or ``"gaussian"`` (unit-variance noise ``sigma``).
      horizon: pulls per run.
      epsilon: ε for ``epsilon_greedy``.
      decay_c: c in ε_t = min(1, cK/(d²t)) for ``decaying_epsilon``.
      min_gap: d in that schedule (the smallest gap, assumed known as in Auer et al.).
      ucb_c: exploration multiplier c of UCB1.
      alpha: step size of the gradient bandit.
      sigma: Gaussian reward noise (also the Thompson likelihood's σ).
      prior_std: σ₀ of the Gaussian Thompson prior.
    """

    algorithm: str = "ucb1"
    reward: str = "bernoulli"
    horizon: int = 1000
    epsilon: float = 0.1
    decay_c: float = 5.0
    min_gap: float = 0.1
    ucb_c: float = 1.0
    alpha: float = 0.1
    sigma: float = 1.0
    prior_std: float = 1.0

    RANGES = {"horizon": Interval(1.0, low_open=False), "epsilon": UNIT, "decay_c": POSITIVE,
              "min_gap": POSITIVE, "ucb_c": NONNEGATIVE, "alpha": POSITIVE, "sigma": POSITIVE,
              "prior_std": POSITIVE}
    OPTIONS = {"algorithm": ALGORITHMS, "reward": REWARDS}


class BanditState(NamedTuple):
    """Sufficient statistics: pull counts, reward sums, preferences and baseline."""

    counts: jax.Array
    sums: jax.Array
    prefs: jax.Array
    baseline: jax.Array
    t: jax.Array


def _argmax_random(key, x):
    noise = jax.random.uniform(key, x.shape)
    return jnp.argmax(jnp.where(x >= jnp.max(x), noise, -1.0))


def select_action(key: jax.Array, state: BanditState, config: BanditConfig,
                  hp: Mapping[str, jax.Array] | None = None) -> jax.Array:
    """The algorithm's action given the statistics so far (t counts from 1); ``hp`` are the
    continuous hyperparameters (default: ``config.hyperparameters()``)."""
    hp = config.hyperparameters() if hp is None else hp
    K = state.counts.shape[0]
    k1, k2, k3 = jax.random.split(key, 3)
    means = state.sums / jnp.maximum(state.counts, 1.0)
    untried = state.counts == 0
    if config.algorithm in ("epsilon_greedy", "decaying_epsilon"):
        if config.algorithm == "epsilon_greedy":
            eps = hp["epsilon"]
        else:
            eps = jnp.minimum(1.0, hp["decay_c"] * K / (hp["min_gap"] ** 2 * state.t))
        greedy = _argmax_random(k1, means)
        return jnp.where(jax.random.uniform(k2) < eps, jax.random.randint(k3, (), 0, K), greedy)
    if config.algorithm == "ucb1":
        bonus = hp["ucb_c"] * jnp.sqrt(2.0 * jnp.log(state.t) / jnp.maximum(state.counts, 1.0))
        return _argmax_random(k1, jnp.where(untried, jnp.inf, means + bonus))
    if config.algorithm == "thompson":
        if config.reward == "bernoulli":
            theta = jax.random.beta(k1, 1.0 + state.sums, 1.0 + state.counts - state.sums)
        else:
            var = 1.0 / (1.0 / hp["prior_std"] ** 2 + state.counts / hp["sigma"] ** 2)
            mean = var * state.sums / hp["sigma"] ** 2
            theta = mean + jnp.sqrt(var) * jax.random.normal(k1, (K,))
        return jnp.argmax(theta)
    # gradient bandit
    return jax.random.categorical(k1, state.prefs)


def update(state: BanditState, action: jax.Array, reward: jax.Array,
           config: BanditConfig, hp: Mapping[str, jax.Array] | None = None) -> BanditState:
    """Add one observation to the statistics (and the gradient-bandit preferences)."""
    hp = config.hyperparameters() if hp is None else hp
    K = state.counts.shape[0]
    onehot = jax.nn.one_hot(action, K)
    prefs = state.prefs
    if config.algorithm == "gradient":
        pi = jax.nn.softmax(prefs)
        prefs = prefs + hp["alpha"] * (reward - state.baseline) * (onehot - pi)
    baseline = state.baseline + (reward - state.baseline) / state.t
    return BanditState(state.counts + onehot, state.sums + onehot * reward, prefs, baseline,
                       state.t + 1.0)


def sample_reward(key: jax.Array, means: jax.Array, action: jax.Array,
                  config: BanditConfig, hp: Mapping[str, jax.Array] | None = None) -> jax.Array:
    """One reward from arm ``action``: Bernoulli(μ_a) or N(μ_a, σ²)."""
    hp = config.hyperparameters() if hp is None else hp
    mu = means[action]
    if config.reward == "bernoulli":
        return jax.random.bernoulli(key, mu).astype(jnp.float32)
    return mu + hp["sigma"] * jax.random.normal(key)


def _check_means(means, config: BanditConfig) -> jax.Array:
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 1 or means.size < 2:
        raise ValueError(f"means must be a 1-D array of >= 2 arm means, got shape {means.shape}")
    if not np.isfinite(means).all():
        raise ValueError("means must be finite, found NaN or inf")
    if config.reward == "bernoulli" and ((means < 0) | (means > 1)).any():
        raise ValueError("means must lie in [0, 1] for Bernoulli arms")
    return jnp.asarray(means, jnp.float32)


def make_train(config: BanditConfig, means):
    """Build ``train(key, **hyper) -> (state, metrics)`` for the bandit with arm ``means``.

    ``hyper`` overrides any float field of ``config`` with a scalar array (one compile per
    sweep). ``state`` is the final :class:`BanditState`; ``metrics`` holds ``(horizon,)``
    arrays ``action``, ``reward`` and ``regret`` (the instantaneous pseudo-regret
    Δ_{A_t} = μ* − μ_{A_t}). Jittable and vmappable.
    """
    if not isinstance(config, BanditConfig):
        raise TypeError(f"config must be BanditConfig, got {type(config).__name__}")
    means = _check_means(means, config)
    K = means.shape[0]
    gaps = jnp.max(means) - means

    def step(hp, state, key):
        k_act, k_rew = jax.random.split(key)
        a = select_action(k_act, state, config, hp)
        r = sample_reward(k_rew, means, a, config, hp)
        return update(state, a, r, config, hp), {"action": a, "reward": r, "regret": gaps[a]}

    def train(key: jax.Array, **hyper):
        hp = config.hyperparameters(**hyper)
        state = BanditState(jnp.zeros(K), jnp.zeros(K), jnp.zeros(K), jnp.zeros(()),
                            jnp.ones(()))
        return jax.lax.scan(functools.partial(step, hp), state,
                            jax.random.split(key, config.horizon))

    return train


def regret_curves(key: jax.Array, config: BanditConfig, means, num_runs: int = 100) -> jax.Array:
    """Cumulative pseudo-regret curves, ``(num_runs, horizon)``, one vmapped jit."""
    if isinstance(num_runs, bool) or not isinstance(num_runs, (int, np.integer)):
        raise TypeError(f"num_runs must be an int, got {num_runs!r}")
    if num_runs < 1:
        raise ValueError(f"num_runs must be >= 1, got {num_runs}")
    train = make_train(config, means)
    _, metrics = jax.jit(jax.vmap(train))(jax.random.split(key, num_runs))
    return jnp.cumsum(metrics["regret"], axis=-1)


def bernoulli_kl(p, q) -> np.ndarray:
    """kl(p, q) = p ln(p/q) + (1−p) ln((1−p)/(1−q)), clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, float), 1e-12, 1 - 1e-12)
    q = np.clip(np.asarray(q, float), 1e-12, 1 - 1e-12)
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def lai_robbins_constant(means, *, reward: str = "bernoulli", sigma: float = 1.0) -> float:
    """Σ_{a: Δ_a>0} Δ_a / KL(ν_a, ν*): the asymptotic lower-bound slope in ln T."""
    means = np.asarray(means, float)
    best = means.max()
    sub = means < best
    gaps = best - means[sub]
    if reward == "bernoulli":
        kl = bernoulli_kl(means[sub], best)
    elif reward == "gaussian":
        kl = gaps ** 2 / (2 * sigma ** 2)
    else:
        raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
    return float(np.sum(gaps / kl))


__all__ = [
    "ALGORITHMS",
    "BanditConfig",
    "BanditState",
    "bernoulli_kl",
    "lai_robbins_constant",
    "make_train",
    "regret_curves",
    "sample_reward",
    "select_action",
    "update",
]
