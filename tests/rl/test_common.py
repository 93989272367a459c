"""GAE against a direct Python loop; episode statistics; the replay buffer's n-step/PER maths."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import buffers
from jaxml.rl.common import EpisodeStats, gae_advantages


def _gae_loop(r, v, nv, term, done, gamma, lam):
    T, N = r.shape
    adv = np.zeros((T, N))
    for n in range(N):
        running = 0.0
        for t in reversed(range(T)):
            delta = r[t, n] + gamma * (1 - term[t, n]) * nv[t, n] - v[t, n]
            running = delta + gamma * lam * (1 - done[t, n]) * running
            adv[t, n] = running
    return adv


def test_gae_matches_python_loop():
    rng = np.random.default_rng(0)
    T, N = 17, 3
    r, v, nv = rng.normal(size=(3, T, N)).astype(np.float32)
    term = rng.random((T, N)) < 0.1
    trunc = rng.random((T, N)) < 0.1
    done = term | trunc
    adv, target = jax.jit(gae_advantages, static_argnums=())(r, v, nv, term, done, 0.97, 0.9)
    want = _gae_loop(r, v, nv, term, done, 0.97, 0.9)
    np.testing.assert_allclose(adv, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(target, want + v, rtol=1e-5, atol=1e-5)
    eager, _ = gae_advantages(r, v, nv, term, done, 0.97, 0.9)
    np.testing.assert_allclose(eager, adv, atol=1e-6)
    assert adv.shape == (T, N) and adv.dtype == jnp.float32
    # λ = 1 and no episode ends: the discounted return minus the baseline
    nv = np.concatenate([v[1:], nv[-1:]])  # consistent successors: V(s'_t) = V(s_{t+1})
    lam1, _ = gae_advantages(r, v, nv, np.zeros_like(term), np.zeros_like(done), 0.9, 1.0)
    disc = 0.9 ** np.arange(T)
    mc0 = (disc[:, None] * r).sum(0) + 0.9 ** T * nv[-1] - v[0]
    np.testing.assert_allclose(lam1[0], mc0, rtol=1e-4, atol=1e-4)


def test_episode_stats():
    s = EpisodeStats.zeros(2)
    s = s.update(jnp.array([1.0, 1.0]), jnp.array([False, False]))
    s = s.update(jnp.array([1.0, 2.0]), jnp.array([True, False]))
    np.testing.assert_allclose(s.last_return, [2.0, 0.0])
    np.testing.assert_allclose(s.episode_return, [0.0, 3.0])
    np.testing.assert_array_equal(s.last_length, [2, 0])


def _filled_buffer(cap=6, steps=9, E=2):
    ex = buffers.StoredTransition(jnp.zeros((E, 1)), jnp.zeros(E, jnp.int32), jnp.zeros(E),
                                  jnp.zeros((E, 1)), jnp.zeros(E, bool), jnp.zeros(E, bool))
    buf = buffers.init(ex, cap)
    for t in range(steps):
        term = jnp.array([t % 3 == 2, False])
        trunc = jnp.array([False, t == 5])
        buf = buffers.add(buf, buffers.StoredTransition(
            jnp.full((E, 1), float(t)), jnp.full(E, t, jnp.int32),
            jnp.array([float(t), 10.0 + t]), jnp.full((E, 1), t + 1.0), term, term | trunc))
    return buf


@pytest.mark.parametrize("n_step", [1, 3])
def test_nstep_sampling_matches_brute_force(n_step):
    buf = _filled_buffer()
    gamma = 0.5
    s = buffers.sample(jax.random.PRNGKey(0), buf, 64, n_step=n_step, gamma=gamma)
    d = jax.tree.map(np.asarray, buf.data)
    cap = 6
    for b in range(64):
        slot, env = int(s.index[0][b]), int(s.index[1][b])
        t = int(d.obs[slot, env, 0])
        assert t >= 9 - cap and t + n_step - 1 <= 8  # inside the stored window
        G, disc, k = 0.0, 1.0, 0
        while True:
            sl = (slot + k) % cap
            G += disc * d.reward[sl, env]
            disc *= gamma
            k += 1
            if d.done[sl, env] or k == n_step:
                break
        disc *= 0.0 if d.terminated[sl, env] else 1.0
        assert float(s.reward[b]) == pytest.approx(G)
        assert float(s.discount[b]) == pytest.approx(disc)
        assert float(s.next_obs[b, 0]) == d.next_obs[sl, env, 0]


def test_prioritized_sampling_and_weights():
    buf = _filled_buffer()
    pri = jnp.zeros_like(buf.priorities).at[1, 0].set(1.0).at[2, 1].set(3.0)
    buf = buf._replace(priorities=pri)
    s = buffers.sample(jax.random.PRNGKey(1), buf, 4000, prioritized=True, alpha=1.0, beta=1.0)
    idx = np.asarray(s.index[0]) * 2 + np.asarray(s.index[1])
    frac = np.mean(idx == 5)  # slot 2, env 1
    assert frac == pytest.approx(0.75, abs=0.03)
    # w ∝ (N P)^-β normalised by the max: the rarer item has weight 1, the other 1/3
    w5 = np.asarray(s.weight)[idx == 5]
    w2 = np.asarray(s.weight)[idx == 2]
    np.testing.assert_allclose(w5, 1 / 3, rtol=1e-5)
    np.testing.assert_allclose(w2, 1.0, rtol=1e-5)
    new = buffers.update_priorities(buf, (jnp.array([0]), jnp.array([0])), jnp.array([-7.0]))
    assert float(new.priorities[0, 0]) == pytest.approx(7.0, rel=1e-5)
    assert float(new.max_priority) == pytest.approx(7.0, rel=1e-5)


def test_buffer_ring_and_errors():
    buf = _filled_buffer(cap=6, steps=9)
    assert int(buf.size) == 6 and int(buf.pos) == 3
    assert float(buf.data.obs[0, 0, 0]) == 6.0  # step 6 overwrote slot 0
    with pytest.raises(ValueError, match="capacity"):
        buffers.init(buf.data, 0)
