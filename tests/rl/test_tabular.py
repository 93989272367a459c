"""Tabular learning: MC/TD identities, convergence to v_π and q* (vmap over seeds, determinism
and metric shapes: tests/contracts/test_agents.py)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import envs, mdp, tabular

CHAIN = ("S....G",)


@pytest.fixture(scope="module")
def chain():
    p = envs.gridworld(CHAIN, slip=0.4, max_steps_in_episode=200)
    pi = jnp.tile(jnp.array([[0.1, 0.5, 0.1, 0.3]]), (p.num_states, 1))
    return p, pi


def test_offline_td1_equals_every_visit_mc(chain):
    p, pi = chain
    base = tabular.TabularConfig("td_lambda", num_episodes=30, max_steps=200, alpha=0.05,
                                 gamma=0.9, lam=1.0, offline=True)
    td_values, td = jax.jit(tabular.make_train(base, p, pi))(jax.random.PRNGKey(0))
    mc_cfg = dataclasses.replace(base, algorithm="mc_every_visit")
    _, mc = jax.jit(tabular.make_train(mc_cfg, p, pi))(jax.random.PRNGKey(0))
    assert bool(jnp.all(td["episode_length"] < 200))  # every episode terminated
    np.testing.assert_allclose(td["value_history"], mc["value_history"], atol=1e-4)
    assert float(jnp.abs(td_values).max()) > 0.5


def test_returns_and_first_visit_mask_match_python_loops(chain):
    p, pi = chain
    env = envs.TabularEnv.for_params(p)
    traj = tabular.rollout(jax.random.PRNGKey(3), env, p, pi, 60)
    G = np.asarray(tabular.discounted_returns(traj, 0.9))
    r, valid, s = map(np.asarray, (traj.reward, traj.valid, traj.state))
    g, expect = 0.0, np.zeros(60)
    for t in reversed(range(60)):
        g = r[t] + 0.9 * g if valid[t] else 0.0
        expect[t] = g
    np.testing.assert_allclose(G, expect, rtol=1e-5, atol=1e-5)
    first = np.asarray(tabular.first_visit_mask(traj))
    seen, want = set(), []
    for t in range(60):
        want.append(bool(valid[t]) and s[t] not in seen)
        if valid[t]:
            seen.add(s[t])
    np.testing.assert_array_equal(first, want)


@pytest.mark.parametrize("algorithm", [pytest.param("mc_first_visit", marks=pytest.mark.slow),
                                       "td0",
                                       pytest.param("td_lambda", marks=pytest.mark.slow)])
def test_prediction_converges_to_exact_value(chain, algorithm):
    p, pi = chain
    cfg = tabular.TabularConfig(algorithm, num_episodes=1500, max_steps=200, alpha=0.01,
                                gamma=0.9, lam=0.5)
    values, _ = jax.jit(jax.vmap(tabular.make_train(cfg, p, pi)))(
        jax.random.split(jax.random.PRNGKey(1), 4))
    exact = mdp.policy_evaluation(p, pi, 0.9)
    err = jnp.abs(values.mean(0) - exact)
    assert float(err.max()) < 0.35, err


def test_q_learning_optimal_and_sarsa_safe_on_cliff():
    p = envs.cliff_walking()
    cells = envs.grid_cells(envs.CLIFF_WALKING)
    out = {}
    for alg in ("q_learning", "sarsa"):
        cfg = tabular.TabularConfig(alg, num_episodes=300, max_steps=200, alpha=0.5,
                                    epsilon=0.1)
        q, _ = jax.jit(tabular.make_train(cfg, p))(jax.random.PRNGKey(0))
        path = np.asarray(tabular.greedy_path(p, q, 60))
        rows = cells[path[path >= 0]][:, 0]
        out[alg] = (len(rows) - 1, rows.min() if len(rows) > 2 else None)
    assert out["q_learning"][0] == 13  # the optimal path along the cliff edge
    assert out["sarsa"][0] > 13 and out["sarsa"][1] <= 1  # the safe path, away from the edge


def test_epsilon_greedy_breaks_ties_uniformly():
    keys = jax.random.split(jax.random.PRNGKey(0), 4000)
    acts = jax.vmap(lambda k: tabular.epsilon_greedy(k, jnp.array([1.0, 1.0, 0.0]), 0.0))(keys)
    counts = np.bincount(np.asarray(acts), minlength=3) / 4000
    assert abs(counts[0] - 0.5) < 0.05 and counts[2] == 0.0


def test_bad_config_raises(chain):
    p, pi = chain
    with pytest.raises(ValueError, match="algorithm"):
        tabular.TabularConfig("dyna")
    with pytest.raises(ValueError, match="alpha"):
        tabular.TabularConfig(alpha=0.0)
    with pytest.raises(ValueError, match="policy"):
        tabular.make_train(tabular.TabularConfig("td0"), p)
    with pytest.raises(ValueError, match="policy"):
        tabular.make_train(tabular.TabularConfig("td0"), p, jnp.ones((2, 4)))
    with pytest.raises(TypeError, match="params"):
        tabular.make_train(tabular.TabularConfig(), "grid")
