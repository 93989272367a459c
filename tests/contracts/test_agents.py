"""The agent contract: every agent in ``AGENTS`` passes the same checks.

Each entry gives a config factory at a tiny budget (compile-dominated, a few seconds),
its ``make_train`` (``train(key, **hyper) -> (state, metrics)``), the documented length of
its metric arrays, and field values its config must reject. The checks:

* config validation: each bad value raises ValueError/TypeError naming the field;
* ``jax.vmap`` over seeds, with every continuous hyperparameter passed as an array,
  equals a Python loop over seeds of runs whose config holds those values (so a sweep
  is one compile, and no ``config.<float>`` is read behind the traced value's back);
* every metric is an array of the documented length;
* the same key gives the same run, bit for bit.

A new agent joins ``AGENTS`` and gets these tests for free. Learning on each agent's
oracle environment (CartPole-v1 for the deep agents, exact MDP values and regret rates
for the tabular learners and bandits) is tested in ``tests/rl``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import a2c, bandits, dqn, envs, ppo, reinforce, tabular, trpo

NAN = math.nan
SEEDS = 2


class Agent(NamedTuple):
    name: str
    config: Callable[[], object]          # a config at a tiny budget
    make_train: Callable[[object], Callable]
    length: Callable[[object], int]       # documented length of every metric array
    bad: dict                             # field -> a value the config must reject


DEEP_BAD = {"gamma": 2.0, "lr": NAN, "activation": "gelu", "num_envs": 0,
            "total_timesteps": 10.5, "env_name": "Nope-v0", "hidden": ()}

FROZEN_LAKE = envs.frozen_lake()
UNIFORM = jnp.full((FROZEN_LAKE.num_states, FROZEN_LAKE.num_actions),
                   1.0 / FROZEN_LAKE.num_actions)
BANDIT_MEANS = (0.2, 0.5, 0.7)


def _deep(name, config, make_train, **bad):
    return Agent(name, config, make_train, lambda c: c.num_updates, {**DEEP_BAD, **bad})


def _tabular(algorithm):
    def make(config):
        policy = UNIFORM if config.algorithm in tabular.PREDICTION else None
        return tabular.make_train(config, FROZEN_LAKE, policy)

    return Agent(f"tabular_{algorithm}",
                 lambda: tabular.TabularConfig(algorithm, num_episodes=5, max_steps=12,
                                               alpha=0.5, gamma=0.9, epsilon=0.2),
                 make, lambda c: c.num_episodes,
                 {"gamma": 2.0, "alpha": NAN, "epsilon": -0.1, "lam": 1.5,
                  "num_episodes": 0, "algorithm": "dyna", "offline": "yes"})


def _bandit(algorithm, reward="bernoulli"):
    return Agent(f"bandit_{algorithm}_{reward}",
                 lambda: bandits.BanditConfig(algorithm, reward=reward, horizon=12),
                 lambda c: bandits.make_train(c, BANDIT_MEANS), lambda c: c.horizon,
                 {"epsilon": 1.5, "alpha": NAN, "ucb_c": -1.0, "sigma": 0.0,
                  "horizon": 0, "algorithm": "exp3", "reward": "poisson"})


TINY_DQN = dict(num_envs=2, total_timesteps=64, buffer_size=32, batch_size=8,
                learning_starts=16, target_update_interval=4, hidden=(8, 8))

AGENTS = [
    _deep("ppo", lambda: ppo.PPOConfig(num_envs=2, num_steps=16, total_timesteps=64,
                                       num_minibatches=2, update_epochs=1, hidden=(8,)),
          ppo.make_train, clip_eps=0.0, gae_lambda=1.5, anneal_lr="no"),
    _deep("a2c", lambda: a2c.A2CConfig(num_envs=2, num_steps=8, total_timesteps=48,
                                       hidden=(8,)),
          a2c.make_train, gae_lambda=-0.5, max_grad_norm=0.0),
    _deep("trpo", lambda: trpo.TRPOConfig(num_envs=2, num_steps=16, total_timesteps=64,
                                          value_minibatches=2, value_epochs=1, cg_iters=3,
                                          line_search_steps=3, hidden=(8,)),
          trpo.make_train, max_kl=0.0, backtrack=1.0, cg_iters=0),
    _deep("reinforce", lambda: reinforce.ReinforceConfig(num_envs=2, num_steps=20,
                                                         total_timesteps=80, hidden=(8,)),
          reinforce.make_train, num_envs=1, ent_coef=-0.1),
    _deep("reinforce_nobaseline",
          lambda: reinforce.ReinforceConfig(num_envs=2, num_steps=20, total_timesteps=80,
                                            hidden=(8,), baseline=False),
          reinforce.make_train, baseline=1),
    _deep("dqn", lambda: dqn.DQNConfig(**TINY_DQN), dqn.make_train,
          eps_fraction=0.0, eps_start=1.5, n_step=0, learning_starts=-1),
    _deep("dqn_rainbow",
          lambda: dqn.DQNConfig(**TINY_DQN, double=True, dueling=True, prioritized=True,
                                n_step=2, distributional=True, num_atoms=5, noisy=True),
          dqn.make_train, eps_fraction=0.0, num_atoms=1, noisy_sigma=NAN, v_max=-1.0),
    *[_tabular(a) for a in tabular.PREDICTION + tabular.CONTROL],
    *[_bandit(a) for a in bandits.ALGORITHMS],
    _bandit("thompson", "gaussian"),
]
BY_NAME = {a.name: a for a in AGENTS}
NAMES = list(BY_NAME)
# the tests that read one agent's cached runs go to one xdist worker, so each agent is
# compiled and run once per session instead of once per test
RUN_NAMES = [pytest.param(n, marks=pytest.mark.xdist_group(f"agent_runs_{n}")) for n in NAMES]


def _perturbed(config) -> dict[str, float]:
    """A different valid value for every continuous hyperparameter (halved, or 0.01 for 0)."""
    return {n: getattr(config, n) / 2 if getattr(config, n) else 0.01
            for n in type(config).hyperparameter_names()}


class Runs(NamedTuple):
    batched: tuple      # jit(vmap(train))(keys, **hyper arrays)
    looped: list        # [jit(make_train(config with those values))(key) for key in keys]
    again: tuple        # the first looped run repeated
    config: object


@functools.cache
def _runs(name: str) -> Runs:
    agent = BY_NAME[name]
    config = agent.config()
    new = _perturbed(config)
    keys = jax.random.split(jax.random.PRNGKey(7), SEEDS)
    hyper = {n: jnp.full(SEEDS, v) for n, v in new.items()}
    batched = jax.jit(jax.vmap(agent.make_train(config)))(keys, **hyper)
    single = jax.jit(agent.make_train(dataclasses.replace(config, **new)))
    looped = [single(k) for k in keys]
    return Runs(batched, looped, single(keys[0]), config)


BAD_CASES = [(a.name, field, value) for a in AGENTS for field, value in a.bad.items()]


@pytest.mark.parametrize("name,field,value", BAD_CASES,
                         ids=[f"{n}-{f}" for n, f, _ in BAD_CASES])
def test_config_rejects_bad_values_naming_the_field(name, field, value):
    config = BY_NAME[name].config()
    with pytest.raises((ValueError, TypeError), match=field):
        dataclasses.replace(config, **{field: value})


@pytest.mark.parametrize("name", NAMES)
def test_unknown_or_out_of_range_hyperparameter_override_raises(name):
    agent = BY_NAME[name]
    config = agent.config()
    train = agent.make_train(config)
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        train(jax.random.PRNGKey(0), not_a_field=1.0)
    field = type(config).hyperparameter_names()[0]
    with pytest.raises(ValueError, match=field):
        train(jax.random.PRNGKey(0), **{field: NAN})


@pytest.mark.parametrize("name", RUN_NAMES)
def test_vmap_over_seeds_with_array_hyperparameters_equals_loop(name):
    runs = _runs(name)
    for i, single in enumerate(runs.looped):
        chex.assert_trees_all_close(jax.tree.map(lambda x: x[i], runs.batched), single,
                                    rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", RUN_NAMES)
def test_metrics_are_arrays_of_the_documented_length(name):
    runs = _runs(name)
    length = BY_NAME[name].length(runs.config)
    _, metrics = runs.looped[0]
    assert isinstance(metrics, dict) and metrics
    for key, value in metrics.items():
        assert isinstance(value, jax.Array), key
        assert value.shape[0] == length, (key, value.shape, length)
    _, batched_metrics = runs.batched
    chex.assert_tree_shape_prefix(batched_metrics, (SEEDS, length))


@pytest.mark.parametrize("name", RUN_NAMES)
def test_same_key_same_run(name):
    runs = _runs(name)
    chex.assert_trees_all_equal(runs.again, runs.looped[0])
    first, second = (jax.tree.leaves(run) for run in runs.looped)
    assert any(not np.array_equal(x, y) for x, y in zip(first, second)), "seeds gave equal runs"
