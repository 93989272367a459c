"""TRPO: conjugate gradient against a direct solve; the KL constraint holds in a short run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.rl import trpo


def test_conjugate_gradient_matches_direct_solve():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(12, 12))
    A = M @ M.T + 0.5 * np.eye(12)
    b = rng.normal(size=12)
    A32, b32 = jnp.asarray(A, jnp.float32), jnp.asarray(b, jnp.float32)
    x = jax.jit(lambda bb: trpo.conjugate_gradient(lambda v: A32 @ v, bb, 40))(b32)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-3, atol=1e-3)
    eager = trpo.conjugate_gradient(lambda v: A32 @ v, b32, 40)
    np.testing.assert_allclose(eager, x, rtol=1e-5, atol=1e-5)
    # n iterations suffice for an n×n system with n distinct eigenvalues
    D = jnp.diag(jnp.array([1.0, 2.0, 5.0]))
    x3 = trpo.conjugate_gradient(lambda v: D @ v, jnp.ones(3), 3)
    np.testing.assert_allclose(x3, [1.0, 0.5, 0.2], rtol=1e-5)


def test_short_run_respects_kl_and_learns():
    cfg = trpo.TRPOConfig(num_envs=4, num_steps=128, total_timesteps=512 * 12)
    _, m = jax.jit(trpo.make_train(cfg))(jax.random.PRNGKey(0))
    kl = np.asarray(m["kl"])
    assert np.all(kl <= cfg.max_kl + 1e-6) and kl.max() > 0
    assert np.all(np.asarray(m["step_fraction"]) >= 0)
    ret = np.asarray(m["episode_return"])
    assert ret[-3:].mean() > ret[1:4].mean()


def test_config_validation():
    with pytest.raises(ValueError, match="max_kl"):
        trpo.TRPOConfig(max_kl=0.0)
    with pytest.raises(ValueError, match="value_minibatches"):
        trpo.TRPOConfig(num_envs=3, num_steps=5, value_minibatches=4)
