"""Exact DP: VI/PI/linear solve agree, Bellman fixed points, brute-force optimality."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import envs, mdp


def _np_policy_value(P, R, terminal, pi, gamma):
    """Independent float64 oracle: iterate v ← r_π + γ P_π v to convergence."""
    P = np.array(P, np.float64) * (1 - np.asarray(terminal, float))[:, None, None]
    r = (np.asarray(P, np.float64) * np.asarray(R, np.float64)).sum(-1)
    r_pi = (pi * r).sum(-1)
    P_pi = np.einsum("sa,sak->sk", pi, P)
    v = np.zeros(len(r_pi))
    for _ in range(20_000):
        v_new = r_pi + gamma * P_pi @ v
        if np.max(np.abs(v_new - v)) < 1e-12:
            break
        v = v_new
    return v


@pytest.fixture(scope="module")
def mdps():
    return {
        "grid": (envs.gridworld(envs.SIMPLE_GRID, slip=0.2), 0.95),
        "frozen": (envs.frozen_lake(), 0.9),
        "garnet": (envs.garnet(jax.random.PRNGKey(0), 8, 3), 0.9),
    }


@pytest.mark.parametrize("name", ["grid", "frozen", "garnet"])
def test_vi_pi_and_exact_solve_agree(mdps, name):
    p, gamma = mdps[name]
    vi = mdp.value_iteration(p, gamma, tol=1e-7)
    pi = mdp.policy_iteration(p, gamma)
    np.testing.assert_allclose(vi.v, pi.v, atol=1e-3)
    greedy = jax.nn.one_hot(vi.policy, p.num_actions)
    exact = mdp.policy_evaluation(p, greedy, gamma)
    np.testing.assert_allclose(exact, vi.v, atol=1e-3)
    # Bellman fixed points: T v* = v*, T_π v_π = v_π
    assert float(vi.residual) < 1e-4 and float(pi.residual) < 1e-4
    assert float(mdp.bellman_residual(p, exact, gamma, policy=greedy)) < 1e-4


def test_policy_evaluation_matches_numpy_iteration(mdps):
    p, gamma = mdps["grid"]
    rng = np.random.default_rng(0)
    pi = rng.dirichlet(np.ones(p.num_actions), size=p.num_states)
    ours = mdp.policy_evaluation(p, jnp.asarray(pi, jnp.float32), gamma)
    oracle = _np_policy_value(p.P, p.R, p.terminal, pi, gamma)
    np.testing.assert_allclose(ours, oracle, rtol=1e-4, atol=1e-3)


def test_optimal_value_beats_every_deterministic_policy():
    p = envs.garnet(jax.random.PRNGKey(1), 4, 2, branching=2)
    gamma = 0.8
    vi = mdp.value_iteration(p, gamma, tol=1e-8)
    best = np.full(4, -np.inf)
    for actions in itertools.product(range(2), repeat=4):
        pi = np.eye(2)[list(actions)]
        best = np.maximum(best, _np_policy_value(p.P, p.R, p.terminal, pi, gamma))
    np.testing.assert_allclose(vi.v, best, atol=1e-4)


def test_cliff_walking_optimal_value_is_minus_13():
    p = envs.cliff_walking()
    sol = mdp.value_iteration(p, 1.0)
    start = int(jnp.argmax(p.init))
    assert float(sol.v[start]) == pytest.approx(-13.0)
    pi_sol = mdp.policy_iteration(p, 1.0)
    assert float(pi_sol.v[start]) == pytest.approx(-13.0, abs=1e-3)


def test_jit_matches_eager(mdps):
    p, gamma = mdps["frozen"]
    eager = mdp.value_iteration(p, gamma)
    jitted = jax.jit(lambda q: mdp.value_iteration(q, gamma))(p)
    np.testing.assert_allclose(eager.v, jitted.v, atol=1e-6)
    assert eager.v.shape == (16,) and eager.q.shape == (16, 4) and eager.v.dtype == jnp.float32
    assert eager.policy.dtype == jnp.int32


def test_epsilon_greedy_policy_rows():
    q = jnp.array([[1.0, 2.0, 0.0], [0.0, 0.0, 5.0]])
    pi = mdp.epsilon_greedy_policy(q, 0.3)
    np.testing.assert_allclose(pi.sum(-1), 1.0, atol=1e-6)
    assert float(pi[0, 1]) == pytest.approx(0.8)


def test_bad_inputs_raise(mdps):
    p, _ = mdps["frozen"]
    with pytest.raises(ValueError, match="gamma"):
        mdp.value_iteration(p, 1.5)
    with pytest.raises(ValueError, match="policy"):
        mdp.policy_evaluation(p, jnp.ones((3, 4)) / 4, 0.9)
    with pytest.raises(TypeError, match="params"):
        mdp.value_iteration(np.ones((2, 2, 2)), 0.9)
    with pytest.raises(ValueError, match="tol"):
        mdp.value_iteration(p, 0.9, tol=0.0)
