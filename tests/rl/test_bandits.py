"""Bandits: statistics updates, regret growth rates, the Lai–Robbins constant."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import bandits

MEANS = np.array([0.9, 0.6, 0.5])


def test_epsilon_greedy_regret_is_linear_with_the_predicted_slope():
    cfg = bandits.BanditConfig("epsilon_greedy", horizon=3000, epsilon=0.2)
    curves = np.asarray(bandits.regret_curves(jax.random.PRNGKey(0), cfg, MEANS, 100)).mean(0)
    slope = (curves[-1] - curves[1499]) / 1500
    # explore w.p. ε uniformly over K arms: regret rate ε·mean(gaps) once greedy is right
    predicted = 0.2 * np.mean(MEANS.max() - MEANS)
    assert slope == pytest.approx(predicted, rel=0.25)


@pytest.mark.parametrize("algorithm", ["ucb1", "thompson"])
def test_ucb_and_thompson_regret_is_sublinear(algorithm):
    cfg = bandits.BanditConfig(algorithm, horizon=3000)
    curves = np.asarray(bandits.regret_curves(jax.random.PRNGKey(1), cfg, MEANS, 100)).mean(0)
    first, second = curves[1499] - curves[749], curves[2999] - curves[1499]
    # logarithmic growth: doubling T adds a constant, far below the linear rate's doubling
    assert second < 1.3 * first + 1.0
    eps = bandits.BanditConfig("epsilon_greedy", horizon=3000, epsilon=0.1)
    eps_curves = np.asarray(bandits.regret_curves(jax.random.PRNGKey(1), eps, MEANS, 100))
    assert curves[-1] < eps_curves.mean(0)[-1]


def test_update_statistics_and_gradient_bandit_rule():
    cfg = bandits.BanditConfig("gradient", alpha=0.5)
    state = bandits.BanditState(jnp.zeros(3), jnp.zeros(3), jnp.array([0.0, 1.0, 0.0]),
                                jnp.asarray(0.5), jnp.asarray(2.0))
    new = bandits.update(state, jnp.asarray(1), jnp.asarray(1.0), cfg)
    pi = np.exp([0.0, 1.0, 0.0]) / np.exp([0.0, 1.0, 0.0]).sum()
    expect = np.array([0.0, 1.0, 0.0]) + 0.5 * (1.0 - 0.5) * (np.eye(3)[1] - pi)
    np.testing.assert_allclose(new.prefs, expect, rtol=1e-6)
    np.testing.assert_allclose(new.counts, [0, 1, 0])
    np.testing.assert_allclose(new.sums, [0, 1, 0])
    assert float(new.baseline) == pytest.approx(0.75) and float(new.t) == 3.0


def test_ucb_pulls_each_arm_first_and_thompson_posterior():
    cfg = bandits.BanditConfig("ucb1", horizon=3)
    state, m = bandits.make_train(cfg, MEANS)(jax.random.PRNGKey(0))
    assert sorted(np.asarray(m["action"]).tolist()) == [0, 1, 2]
    np.testing.assert_array_equal(state.counts, [1, 1, 1])
    # Beta posterior after many successes on arm 2 concentrates Thompson on arm 2
    ts = bandits.BanditConfig("thompson")
    state = bandits.BanditState(jnp.array([50.0, 50.0, 50.0]), jnp.array([10.0, 20.0, 45.0]),
                                jnp.zeros(3), jnp.zeros(()), jnp.asarray(151.0))
    acts = jax.vmap(lambda k: bandits.select_action(k, state, ts))(
        jax.random.split(jax.random.PRNGKey(0), 500))
    assert np.mean(np.asarray(acts) == 2) > 0.95


def test_lai_robbins_constant_by_hand():
    kl = lambda p, q: p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))  # noqa: E731
    want = 0.3 / kl(0.6, 0.9) + 0.4 / kl(0.5, 0.9)
    assert bandits.lai_robbins_constant(MEANS) == pytest.approx(want)
    g = bandits.lai_robbins_constant(MEANS, reward="gaussian", sigma=1.0)
    assert g == pytest.approx(2 / 0.3 + 2 / 0.4)


@pytest.mark.parametrize("algorithm", bandits.ALGORITHMS)
def test_jit_matches_eager(algorithm):
    reward = "gaussian" if algorithm == "thompson" else "bernoulli"
    train = bandits.make_train(bandits.BanditConfig(algorithm, reward=reward, horizon=25), MEANS)
    _, eager = train(jax.random.PRNGKey(4))
    _, jitted = jax.jit(train)(jax.random.PRNGKey(4))
    np.testing.assert_array_equal(eager["action"], jitted["action"])
    np.testing.assert_allclose(eager["reward"], jitted["reward"], rtol=1e-6)
    assert eager["regret"].dtype == jnp.float32


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="algorithm"):
        bandits.BanditConfig("exp3")
    with pytest.raises(ValueError, match="epsilon"):
        bandits.BanditConfig(epsilon=1.5)
    with pytest.raises(ValueError, match="means"):
        bandits.regret_curves(jax.random.PRNGKey(0), bandits.BanditConfig(), [0.5])
    with pytest.raises(ValueError, match="means"):
        bandits.regret_curves(jax.random.PRNGKey(0), bandits.BanditConfig(), [0.5, 1.5])
    with pytest.raises(ValueError, match="num_runs"):
        bandits.regret_curves(jax.random.PRNGKey(0), bandits.BanditConfig(), MEANS, 0)
    with pytest.raises(ValueError, match="means"):
        bandits.make_train(bandits.BanditConfig(), [0.5, float("nan")])
    with pytest.raises(TypeError, match="config"):
        bandits.make_train({"algorithm": "ucb1"}, MEANS)
