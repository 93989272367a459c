"""Convexity checks, Lipschitz / smoothness estimates and Jensen's inequality."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.math import optim, optim_analysis as oa

LO, HI = jnp.array([-2.0, -2.0]), jnp.array([2.0, 2.0])


def test_hessian_check_separates_convex_and_nonconvex():
    key = jax.random.key(0)
    convex = lambda x: jnp.logaddexp(x[0], x[1]) + 0.5 * x @ x  # noqa: E731
    res = oa.hessian_min_eigenvalue(key, convex, LO, HI, num_samples=64)
    assert float(res.value) > 0.99  # ∇² ⪰ I since logsumexp is convex
    res = oa.hessian_min_eigenvalue(key, optim.himmelblau, LO, HI, num_samples=64)
    assert float(res.value) < 0
    # the witness is a real certificate: the Hessian there has a negative eigenvalue
    np.testing.assert_allclose(
        jnp.linalg.eigvalsh(jax.hessian(optim.himmelblau)(res.witness))[0], res.value,
        rtol=1e-4)
    assert res.witness.shape == (2,)


def test_midpoint_convexity_and_determinism():
    key = jax.random.key(1)
    quad = lambda x: optim.ill_conditioned_quadratic(x, 10.0)  # noqa: E731
    assert float(oa.midpoint_convexity_violation(key, quad, LO, HI).value) <= 1e-6
    res = oa.midpoint_convexity_violation(key, optim.rosenbrock, LO, HI)
    x, y = res.witness
    lhs = optim.rosenbrock(0.5 * (x + y))
    np.testing.assert_allclose(lhs - 0.5 * (optim.rosenbrock(x) + optim.rosenbrock(y)),
                               res.value, rtol=1e-5)
    assert float(res.value) > 0
    again = oa.midpoint_convexity_violation(key, optim.rosenbrock, LO, HI)
    np.testing.assert_array_equal(res.witness, again.witness)


def test_lipschitz_and_smoothness_estimates_vs_closed_forms():
    key = jax.random.key(2)
    a = jnp.array([3.0, -4.0])
    # f(x) = ||x||: Lipschitz constant 1; f(x) = a·x: |a| = 5
    np.testing.assert_allclose(oa.lipschitz_estimate(key, lambda x: a @ x, LO, HI), 5.0,
                               rtol=1e-6)
    np.testing.assert_allclose(oa.lipschitz_estimate(key, jnp.linalg.norm, LO, HI), 1.0,
                               rtol=1e-5)
    # quadratic ½(x0² + κ x1²): gradient Lipschitz constant κ; Lipschitz on the box κ·2·...
    quad = lambda x: optim.ill_conditioned_quadratic(x, 25.0)  # noqa: E731
    np.testing.assert_allclose(oa.smoothness_estimate(key, quad, LO, HI, num_samples=8), 25.0,
                               rtol=1e-5)
    est = oa.lipschitz_estimate(key, quad, LO, HI, num_samples=4096)
    exact = float(jnp.hypot(2.0, 25.0 * 2.0))  # attained at a corner
    assert 0.9 * exact <= float(est) <= exact + 1e-4


def test_spectral_norm_power_iteration():
    W = jax.random.normal(jax.random.key(3), (6, 4))
    est = oa.spectral_norm(jax.random.key(4), W, num_iters=200)
    np.testing.assert_allclose(est, jnp.linalg.norm(W, 2), rtol=1e-5)
    np.testing.assert_allclose(jax.jit(oa.spectral_norm)(jax.random.key(4), W), est, rtol=1e-5)
    # the Lipschitz constant of x ↦ Wx bounds all ratios
    x, y = jax.random.normal(jax.random.key(5), (2, 100, 4))
    ratios = jnp.linalg.norm((x - y) @ W.T, axis=1) / jnp.linalg.norm(x - y, axis=1)
    assert float(jnp.max(ratios)) <= float(est) * (1 + 1e-5)


def test_jensen_gap_signs_and_lognormal_closed_form():
    mu, sigma = 0.3, 0.5
    z = mu + sigma * jax.random.normal(jax.random.key(6), (200_000,))
    gap = oa.jensen_gap(jnp.exp, z)
    np.testing.assert_allclose(gap, np.exp(mu) * (np.exp(sigma**2 / 2) - 1), rtol=0.05)
    assert float(oa.jensen_gap(jnp.exp, z[:50])) >= 0  # exact for any sample
    assert float(oa.jensen_gap(jnp.log, jnp.exp(z[:50]))) <= 0  # concave: reversed
    vecs = jax.random.normal(jax.random.key(7), (30, 3))
    assert float(oa.jensen_gap(lambda v: v @ v, vecs)) >= 0


def test_bad_input_raises():
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="upper"):
        oa.lipschitz_estimate(key, jnp.sum, HI, LO)
    with pytest.raises(ValueError, match="same shape"):
        oa.hessian_min_eigenvalue(key, jnp.sum, jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match="num_samples"):
        oa.midpoint_convexity_violation(key, jnp.sum, LO, HI, num_samples=0)
    with pytest.raises(ValueError, match="W"):
        oa.spectral_norm(key, jnp.ones(3))
    with pytest.raises(ValueError, match="samples"):
        oa.jensen_gap(jnp.exp, jnp.ones((2, 2, 2)))
