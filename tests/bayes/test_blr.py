"""Bayesian linear regression: NUTS and SVI against the conjugate closed forms."""

import jax
import numpy as np
import pytest
from sklearn.linear_model import Ridge

from jaxml.bayes import blr
from jaxml.bayes.inference import sample_guide


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=40)).astype(np.float32)
    return X, y


def test_known_noise_mean_is_ridge(data):
    X, y = data
    post = blr.posterior_known_noise(X, y, prior_scale=0.5, noise_scale=0.3)
    ridge = Ridge(alpha=0.3**2 / 0.5**2, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(post.mean, ridge.coef_, rtol=1e-4, atol=1e-5)
    cov = np.linalg.inv(X.T.astype(float) @ X / 0.09 + np.eye(3) / 0.25)
    np.testing.assert_allclose(post.cov, cov, rtol=1e-4, atol=1e-7)
    assert post.mean.shape == (3,) and post.cov.shape == (3, 3)


def test_nig_closed_form_against_numpy(data):
    X, y = data
    post = blr.posterior_nig(X, y, prior_scale=2.0, a0=3.0, b0=2.0)
    Xd, yd = X.astype(float), y.astype(float)
    prec = np.eye(3) / 4.0 + Xd.T @ Xd
    mean = np.linalg.solve(prec, Xd.T @ yd)
    b = 2.0 + 0.5 * (yd @ yd - mean @ prec @ mean)
    np.testing.assert_allclose(post.mean, mean, rtol=1e-4)
    np.testing.assert_allclose(post.b, b, rtol=1e-3)
    np.testing.assert_allclose(post.a, 3.0 + 20.0)
    np.testing.assert_allclose(post.weight_cov, b / 22.0 * np.linalg.inv(prec), rtol=1e-3)


def test_predict_known_noise(data):
    X, y = data
    post = blr.posterior_known_noise(X, y, noise_scale=0.3)
    mean, var = blr.predict_known_noise(post, X[:5], noise_scale=0.3)
    np.testing.assert_allclose(mean, X[:5] @ np.asarray(post.mean), rtol=1e-5)
    expected = 0.09 + np.einsum("nd,de,ne->n", X[:5], np.asarray(post.cov), X[:5])
    np.testing.assert_allclose(var, expected, rtol=1e-5)
    with pytest.raises(ValueError, match="X_new"):
        blr.predict_known_noise(post, X[:, :2], noise_scale=0.3)


def test_jit_matches_eager(data):
    X, y = data
    eager = blr.posterior_nig(X, y)
    jitted = jax.jit(lambda a, b: blr.posterior_nig(a, b))(X, y)
    np.testing.assert_allclose(eager.mean, jitted.mean, rtol=1e-5)
    np.testing.assert_allclose(eager.b, jitted.b, rtol=1e-5)


def test_bad_input(data):
    X, y = data
    with pytest.raises(ValueError, match="y"):
        blr.posterior_known_noise(X, y[:-1])
    with pytest.raises(ValueError, match="noise_scale"):
        blr.posterior_known_noise(X, y, noise_scale=-1.0)
    with pytest.raises(ValueError, match="X"):
        blr.fit_nuts(0, X[0], y)


def test_nuts_matches_conjugate_nig(data):
    """NUTS on the unknown-noise model: posterior moments within Monte Carlo error."""
    X, y = data
    samples = blr.fit_nuts(0, X, y, num_warmup=200, num_samples=800, a0=2.0, b0=1.0)
    post = blr.posterior_nig(X, y, a0=2.0, b0=1.0)
    sd = np.sqrt(np.diag(post.weight_cov))
    # effective sample size is a few hundred: 4 s.e. of the mean is < 0.25 sd
    np.testing.assert_array_less(np.abs(samples["w"].mean(0) - post.mean), 0.25 * sd)
    np.testing.assert_allclose(samples["w"].var(0), np.diag(post.weight_cov), rtol=0.3)
    np.testing.assert_allclose(samples["sigma2"].mean(), post.sigma2_mean, rtol=0.1)
    assert samples["w"].shape == (800, 3) and samples["sigma2"].shape == (800,)
    again = blr.fit_nuts(0, X, y, num_warmup=200, num_samples=800, a0=2.0, b0=1.0)
    np.testing.assert_array_equal(samples["w"], again["w"])


def test_svi_matches_conjugate_known_noise(data):
    X, y = data
    fit = blr.fit_svi(1, X, y, noise_scale=0.3, num_steps=2000, learning_rate=0.01)
    draws = sample_guide(2, fit, X, num_samples=4000, noise_scale=0.3)
    post = blr.posterior_known_noise(X, y, noise_scale=0.3)
    sd = np.sqrt(np.diag(post.cov))
    np.testing.assert_array_less(np.abs(draws["w"].mean(0) - post.mean), 0.5 * sd)
    np.testing.assert_allclose(draws["w"].std(0), sd, rtol=0.3)
    assert fit.losses.shape == (2000,)
