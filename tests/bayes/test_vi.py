"""Closed-form Gaussian KLs against Monte Carlo; the reparameterised ELBO and Gaussian VI."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxml.bayes import vi


def test_kl_diag_against_monte_carlo_and_scipy():
    mu_q, s_q = jnp.array([0.5, -1.0, 0.0]), jnp.array([0.8, 1.5, 0.3])
    mu_p, s_p = jnp.array([0.0, 0.0, 1.0]), jnp.array([1.0, 2.0, 0.5])
    exact = vi.kl_diag_gaussians(mu_q, s_q, mu_p, s_p)

    def log_q(z):
        return jnp.sum(jax.scipy.stats.norm.logpdf(z, mu_q, s_q))

    def log_p(z):
        return jnp.sum(jax.scipy.stats.norm.logpdf(z, mu_p, s_p))

    def sample_q(key, n):
        return mu_q + s_q * jax.random.normal(key, (n, 3))

    est, se = vi.kl_monte_carlo(0, log_q, log_p, sample_q, 20000)
    assert abs(float(est - exact)) < 4 * float(se)
    full = vi.kl_gaussians(mu_q, jnp.diag(s_q**2), mu_p, jnp.diag(s_p**2))
    np.testing.assert_allclose(exact, full, rtol=1e-5)
    assert exact.shape == ()


def test_kl_full_against_monte_carlo():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    cov_q = a @ a.T + 0.5 * np.eye(3)
    cov_p = b @ b.T + 1.0 * np.eye(3)
    mu_q, mu_p = rng.normal(size=3), rng.normal(size=3)
    exact = vi.kl_gaussians(mu_q, cov_q, mu_p, cov_p)
    z = stats.multivariate_normal(mu_q, cov_q).rvs(40000, random_state=1)
    diffs = (stats.multivariate_normal(mu_q, cov_q).logpdf(z)
             - stats.multivariate_normal(mu_p, cov_p).logpdf(z))
    assert abs(float(exact) - diffs.mean()) < 4 * diffs.std() / np.sqrt(len(z))
    np.testing.assert_allclose(vi.kl_gaussians(mu_q, cov_q, mu_q, cov_q), 0.0, atol=1e-5)
    jitted = jax.jit(vi.kl_gaussians)(mu_q, cov_q, mu_p, cov_p)
    np.testing.assert_allclose(jitted, exact, rtol=1e-5)


def _conjugate():
    """z ~ N(0, I_2), x_i ~ N(z, 0.5² I): the posterior and evidence are Gaussian."""
    x = jnp.array([[0.3, -0.2], [1.0, 0.4], [0.7, 0.1]])
    n, s2 = x.shape[0], 0.25
    post_var = 1.0 / (1.0 + n / s2)
    post_mean = post_var * x.sum(0) / s2

    def log_joint(z):
        prior = jnp.sum(jax.scipy.stats.norm.logpdf(z, 0.0, 1.0))
        return prior + jnp.sum(jax.scipy.stats.norm.logpdf(x, z[None, :], 0.5))

    cov = s2 * np.eye(n) + np.ones((n, n))  # marginal of one coordinate's n observations
    evidence = sum(stats.multivariate_normal(np.zeros(n), cov).logpdf(np.asarray(x[:, j]))
                   for j in range(2))
    return log_joint, post_mean, post_var, evidence


def test_elbo_equals_evidence_at_posterior_and_bounds_it():
    log_joint, mean, var, evidence = _conjugate()
    q = vi.DiagGaussian(mean, jnp.full(2, 0.5 * jnp.log(var)))
    value = vi.elbo(0, log_joint, q, num_samples=20000)  # MC error of E_q log p is ~1e-2
    np.testing.assert_allclose(value, evidence, atol=0.03)
    worse = vi.DiagGaussian(mean + 0.5, q.log_scale)
    assert float(vi.elbo(0, log_joint, worse, num_samples=2000)) < evidence
    np.testing.assert_array_equal(vi.elbo(1, log_joint, worse), vi.elbo(1, log_joint, worse))


def test_fit_gaussian_vi_recovers_posterior():
    log_joint, mean, var, evidence = _conjugate()
    q, history = vi.fit_gaussian_vi(0, log_joint, 2, num_steps=800, learning_rate=0.05)
    np.testing.assert_allclose(q.loc, mean, atol=0.05)
    np.testing.assert_allclose(jnp.exp(2 * q.log_scale), var, rtol=0.2)
    assert history.shape == (800,) and float(history[-50:].mean()) > float(history[0])


def test_bad_input():
    with pytest.raises(ValueError, match="sigma_q"):
        vi.kl_diag_gaussians(jnp.zeros(2), jnp.array([1.0, -1.0]), jnp.zeros(2), jnp.ones(2))
    with pytest.raises(ValueError, match="same shape"):
        vi.kl_diag_gaussians(jnp.zeros(2), jnp.ones(3), jnp.zeros(2), jnp.ones(2))
    with pytest.raises(ValueError, match="cov_p"):
        vi.kl_gaussians(jnp.zeros(2), jnp.eye(2), jnp.zeros(2), -jnp.eye(2))
    with pytest.raises(ValueError, match="num_samples"):
        vi.kl_monte_carlo(0, None, None, None, 1)
