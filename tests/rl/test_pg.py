"""REINFORCE and A2C: returns-to-go and losses against direct computations; short runs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import a2c, reinforce
from jaxml.rl.common import ActorCritic


def test_reward_to_go_matches_loop():
    rng = np.random.default_rng(0)
    r = rng.normal(size=(9, 2)).astype(np.float32)
    valid = np.ones((9, 2), bool)
    valid[6:, 1] = False
    G = np.asarray(reinforce.reward_to_go(jnp.asarray(r), jnp.asarray(valid), 0.9))
    for n in range(2):
        g = 0.0
        for t in reversed(range(9)):
            g = r[t, n] + 0.9 * g if valid[t, n] else 0.0
            assert G[t, n] == pytest.approx(g, rel=1e-5, abs=1e-5)


def test_reinforce_and_a2c_losses_match_direct_computation():
    net = ActorCritic(2, (8,))
    rng = np.random.default_rng(1)
    obs = jnp.asarray(rng.normal(size=(10, 4)), jnp.float32)
    params = net.init(jax.random.PRNGKey(0), obs)
    action = jnp.asarray(rng.integers(0, 2, 10))
    G = jnp.asarray(rng.normal(size=10), jnp.float32)
    valid = jnp.asarray(np.arange(10) < 7)
    logits, value = map(np.asarray, net.apply(params, obs))
    logp = (logits - np.log(np.exp(logits).sum(-1, keepdims=True)))[np.arange(10), action]
    w = np.asarray(valid, float)
    for baseline in (False, True):
        loss, (pl, vl, _) = reinforce.reinforce_loss(params, net, obs, action, G, valid,
                                                     baseline=baseline, vf_coef=0.5,
                                                     ent_coef=0.0)
        adv = np.asarray(G) - (value if baseline else 0.0)
        assert float(pl) == pytest.approx(-(w * logp * adv).sum() / 7, rel=1e-4)
        want_vl = 0.5 * (w * (value - np.asarray(G)) ** 2).sum() / 7 if baseline else 0.0
        assert float(vl) == pytest.approx(want_vl, rel=1e-4, abs=1e-7)
    loss, (pl, vl, ent) = a2c.a2c_loss(params, net, obs, action, G, G, 0.5, 0.0, False)
    assert float(pl) == pytest.approx(-np.mean(logp * np.asarray(G)), rel=1e-4)


def test_reinforce_short_run_reports_gradient_variance():
    cfg = reinforce.ReinforceConfig(num_episodes=4, max_steps=100, num_updates=6, hidden=(16,))
    _, m = jax.jit(reinforce.make_train(cfg))(jax.random.PRNGKey(0))
    var = np.asarray(m["grad_variance"])
    assert var.shape == (6,) and np.all(var > 0) and np.all(np.isfinite(var))
    steps = np.asarray(m["env_steps"])
    assert np.all(np.diff(steps) > 0) and steps[-1] <= 6 * 4 * 100


def test_a2c_short_run_is_finite():
    cfg = a2c.A2CConfig(num_envs=4, num_steps=8, total_timesteps=640, hidden=(16,))
    _, m = jax.jit(a2c.make_train(cfg))(jax.random.PRNGKey(0))
    assert m["loss"].shape == (20,) and np.all(np.isfinite(np.asarray(m["loss"])))


def test_config_validation():
    with pytest.raises(ValueError, match="num_episodes"):
        reinforce.ReinforceConfig(num_episodes=1)
    with pytest.raises(ValueError, match="lr"):
        a2c.A2CConfig(lr=0.0)
    with pytest.raises(TypeError, match="config"):
        a2c.make_train(reinforce.ReinforceConfig())
