"""Tabular environments: tensors, gymnax API, and agreement with step-by-step sampling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import envs
from jaxml.rl.envs import tabular


def _empirical(params, n=4000, seed=0):
    """Frequencies of s' and the observed rewards from sampling env.step_env for every (s, a)."""
    env = envs.TabularEnv.for_params(params)
    S, A = params.num_states, params.num_actions

    def one(key, s, a):
        state = envs.TabularEnvState(s=s, time=jnp.zeros((), jnp.int32))
        s2, _, r, term, _ = env.step_env(key, state, a, params)
        return s2, r, term

    ss, aa = jnp.meshgrid(jnp.arange(S), jnp.arange(A), indexing="ij")
    keys = jax.random.split(jax.random.PRNGKey(seed), n)
    s2, r, term = jax.jit(jax.vmap(jax.vmap(jax.vmap(one, (None, 0, 0)), (None, 0, 0)),
                                   (0, None, None)))(keys, ss, aa)
    counts = jax.nn.one_hot(s2, S).mean(0)  # (S, A, S)
    return np.asarray(counts), np.asarray(s2), np.asarray(r), np.asarray(term)


@pytest.mark.parametrize("name", ["slippery_grid", "frozen_lake", "garnet"])
def test_transition_tensors_match_step_sampling(name):
    params = {
        "slippery_grid": lambda: envs.gridworld(envs.SIMPLE_GRID, slip=0.3),
        "frozen_lake": lambda: envs.frozen_lake(),
        "garnet": lambda: envs.garnet(jax.random.PRNGKey(3), 6, 3, branching=3),
    }[name]()
    n = 4000
    freq, s2, r, term = _empirical(params, n)
    P = np.asarray(params.P)
    se = np.sqrt(P * (1 - P) / n)
    assert np.all(np.abs(freq - P) <= 5 * se + 1e-3)
    # each sampled reward equals R[s, a, s'] and termination equals terminal[s']
    S, A = params.num_states, params.num_actions
    idx_s = np.broadcast_to(np.arange(S)[None, :, None], s2.shape)
    idx_a = np.broadcast_to(np.arange(A)[None, None, :], s2.shape)
    np.testing.assert_allclose(r, np.asarray(params.R)[idx_s, idx_a, s2], atol=1e-6)
    np.testing.assert_array_equal(term, np.asarray(params.terminal)[s2])


def test_gridworld_walls_slip_and_cliff():
    p = envs.gridworld(("S.#", "..G"), slip=0.2)
    cells = [tuple(c) for c in envs.grid_cells(("S.#", "..G"))]
    s = {c: k for k, c in enumerate(cells)}
    P = np.asarray(p.P)
    # from (0,1) moving right hits the wall: stay with 0.8, slip up (off-grid) 0.1 stays too
    assert P[s[(0, 1)], 1, s[(0, 1)]] == pytest.approx(0.9)
    assert P[s[(0, 1)], 1, s[(1, 1)]] == pytest.approx(0.1)
    np.testing.assert_allclose(P.sum(-1), 1.0, atol=1e-6)
    # goal is terminal and absorbing with zero reward
    g = s[(1, 2)]
    assert bool(p.terminal[g]) and P[g, :, g].min() == 1.0 and float(np.abs(p.R[g]).max()) == 0
    cliff = envs.cliff_walking()
    cells = [tuple(c) for c in envs.grid_cells(envs.CLIFF_WALKING)]
    start = cells.index((3, 0))
    assert float(cliff.P[start, 1, start]) == 1.0  # stepping right into the cliff → start
    assert float(cliff.R[start, 1, start]) == -100.0
    assert cliff.num_states == 48 and envs.four_rooms().num_states == 104


def test_gymnax_api_autoreset_and_truncation():
    p = envs.gridworld(("SG",), max_steps_in_episode=3)
    env = envs.TabularEnv.for_params(p)
    obs, state = env.reset(jax.random.PRNGKey(0), p)
    assert int(obs) == 0
    obs, state, r, term, trunc, info = env.step(jax.random.PRNGKey(1), state, 1, p)
    assert bool(term) and not bool(trunc) and float(r) == -1.0
    assert int(obs) == 0 and int(info["final_observation"]) == 1  # auto-reset
    for _ in range(3):
        obs, state, r, term, trunc, info = env.step(jax.random.PRNGKey(2), state, 3, p)
    assert bool(trunc) and not bool(term)
    assert env.action_space(p).n == 4 and env.observation_space(p).n == 2


def test_step_jit_matches_eager_and_is_deterministic():
    p = envs.frozen_lake()
    env = envs.TabularEnv.for_params(p)
    _, state = env.reset(jax.random.PRNGKey(0), p)
    key = jax.random.PRNGKey(5)
    eager = env.step_env(key, state, 2, p)
    jitted = jax.jit(env.step_env)(key, state, 2, p)
    assert int(eager[0]) == int(jitted[0]) and float(eager[2]) == float(jitted[2])
    again = env.step_env(key, state, 2, p)
    assert int(again[0]) == int(eager[0])


def test_params_dtypes_and_shapes():
    p = envs.garnet(jax.random.PRNGKey(0), 5, 2)
    assert p.P.shape == (5, 2, 5) and p.R.shape == (5, 2, 5) and p.init.shape == (5,)
    assert p.P.dtype == jnp.float32 and p.terminal.dtype == jnp.bool_
    assert p.expected_reward.shape == (5, 2)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="slip"):
        envs.gridworld(("SG",), slip=1.5)
    with pytest.raises(ValueError, match="unknown characters"):
        envs.gridworld(("SX",))
    with pytest.raises(ValueError, match="start"):
        envs.gridworld(("..G",))
    with pytest.raises(ValueError, match="P rows"):
        envs.make_params(np.ones((2, 1, 2)), np.zeros((2, 1, 2)), [1.0, 0.0])
    with pytest.raises(ValueError, match="init"):
        envs.make_params(np.full((2, 1, 2), 0.5), np.zeros((2, 1, 2)), [0.5, 0.6])
    with pytest.raises(ValueError, match="branching"):
        envs.garnet(jax.random.PRNGKey(0), 3, 2, branching=5)
    with pytest.raises(TypeError, match="layout"):
        tabular.gridworld("S.G")
