"""DQN family: C51 projection and the TD target against direct computations; all switches run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import buffers, dqn


def test_categorical_projection_matches_brute_force():
    rng = np.random.default_rng(0)
    atoms = np.linspace(-2.0, 3.0, 11)
    p = rng.dirichlet(np.ones(11), size=4)
    r = np.array([0.3, -5.0, 10.0, 0.0])
    d = np.array([0.9, 0.5, 0.9, 0.0])
    out = np.asarray(dqn.categorical_projection(jnp.asarray(p, jnp.float32), jnp.asarray(r),
                                                jnp.asarray(d), jnp.asarray(atoms)))
    dz = atoms[1] - atoms[0]
    want = np.zeros_like(p)
    for b in range(4):
        for j in range(11):
            tz = np.clip(r[b] + d[b] * atoms[j], atoms[0], atoms[-1])
            pos = (tz - atoms[0]) / dz
            lo = int(np.floor(pos + 1e-9))
            frac = pos - lo
            if lo >= 10 or frac < 1e-6:
                want[b, min(lo, 10)] += p[b, j]
            else:
                want[b, lo] += p[b, j] * (1 - frac)
                want[b, lo + 1] += p[b, j] * frac
    np.testing.assert_allclose(out, want, atol=1e-5)
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)


def _batch(rng, B=16):
    return buffers.Sample(
        obs=jnp.asarray(rng.normal(size=(B, 4)), jnp.float32),
        action=jnp.asarray(rng.integers(0, 2, B), jnp.int32),
        reward=jnp.asarray(rng.normal(size=B), jnp.float32),
        next_obs=jnp.asarray(rng.normal(size=(B, 4)), jnp.float32),
        discount=jnp.asarray(rng.choice([0.0, 0.99], B), jnp.float32),
        index=(jnp.zeros(B, jnp.int32), jnp.zeros(B, jnp.int32)), weight=jnp.ones(B))


@pytest.mark.parametrize("double", [False, True])
def test_td_target_matches_direct_computation(double):
    rng = np.random.default_rng(1)
    cfg = dqn.DQNConfig(double=double, dueling=True, hidden=(16, 8))
    net = dqn.QNetwork(2, (16, 8), dueling=True)
    batch = _batch(rng)
    online = net.init(jax.random.PRNGKey(0), batch.obs)
    target = net.init(jax.random.PRNGKey(1), batch.obs)
    loss, (per, _) = dqn.dqn_loss(online, target, batch, jax.random.PRNGKey(2),
                                  network=net, config=cfg)
    q = np.asarray(net.apply(online, batch.obs))
    qn_t = np.asarray(net.apply(target, batch.next_obs))
    qn_o = np.asarray(net.apply(online, batch.next_obs))
    a_star = (qn_o if double else qn_t).argmax(-1)
    y = np.asarray(batch.reward) + np.asarray(batch.discount) * qn_t[np.arange(16), a_star]
    want = (q[np.arange(16), np.asarray(batch.action)] - y) ** 2
    np.testing.assert_allclose(per, want, rtol=1e-4, atol=1e-5)
    assert float(loss) == pytest.approx(want.mean(), rel=1e-4)


def test_dueling_head_and_noisy_layer():
    net = dqn.QNetwork(3, (8, 8), dueling=True, num_atoms=5, noisy=True)
    x = jnp.ones((2, 4))
    params = net.init({"params": jax.random.PRNGKey(0), "noise": jax.random.PRNGKey(1)}, x)
    a = net.apply(params, x, rngs={"noise": jax.random.PRNGKey(2)})
    b = net.apply(params, x, rngs={"noise": jax.random.PRNGKey(3)})
    assert a.shape == (2, 3, 5)
    assert not np.allclose(a, b)  # fresh noise, different outputs
    np.testing.assert_array_equal(a, net.apply(params, x, rngs={"noise": jax.random.PRNGKey(2)}))


@pytest.mark.parametrize("rainbow", [False, True])
def test_short_runs_are_finite(rainbow):
    flags = dict(double=True, dueling=True, prioritized=True, n_step=3, distributional=True,
                 noisy=True) if rainbow else {}
    cfg = dqn.DQNConfig(num_envs=4, total_timesteps=4_000, buffer_size=1_000, batch_size=32,
                        learning_starts=400, hidden=(16, 16), **flags)
    params, m = jax.jit(dqn.make_train(cfg))(jax.random.PRNGKey(0))
    loss = np.asarray(m["loss"])
    assert loss.shape == (cfg.num_updates,)
    assert np.isnan(loss[0]) and np.all(np.isfinite(loss[cfg.learning_starts // 4:]))
    eps = np.asarray(m["epsilon"])
    assert (eps == 0).all() if rainbow else (eps[0] == 1.0 and eps[-1] < 0.2)


def test_config_validation():
    with pytest.raises(ValueError, match="n_step"):
        dqn.DQNConfig(n_step=0)
    with pytest.raises(ValueError, match="v_max"):
        dqn.DQNConfig(distributional=True, v_min=1.0, v_max=0.0)
    with pytest.raises(ValueError, match="buffer_size"):
        dqn.DQNConfig(buffer_size=5)


def test_dqn_learns_cartpole_and_acts_greedily():
    """Training return after 15k steps, 3 seeds (a random policy returns ≈ 22); the greedy
    actor of ``make_act`` is the argmax of the trained Q-network."""
    cfg = dqn.DQNConfig(num_envs=4, total_timesteps=15_000, buffer_size=10_000, batch_size=64,
                        learning_starts=1_000, target_update_interval=25, lr=1e-3,
                        eps_fraction=0.6, hidden=(64, 64))
    params, m = jax.jit(jax.vmap(dqn.make_train(cfg)))(
        jax.random.split(jax.random.PRNGKey(0), 3))
    ret = np.asarray(m["episode_return"])
    late = ret[:, -(ret.shape[1] // 10):].mean(1)  # measured: 236, 196, 219
    assert late.min() > 90 and late.mean() > 120, late
    first = jax.tree.map(lambda x: x[0], params)
    obs = jnp.asarray(np.random.default_rng(0).normal(size=(5, 4)), jnp.float32)
    q = dqn.QNetwork(2, cfg.hidden).apply(first, obs)
    np.testing.assert_array_equal(dqn.make_act(cfg)(first, jax.random.PRNGKey(0), obs),
                                  np.argmax(q, -1))
