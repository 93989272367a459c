"""BNNs: a network with no hidden layer is Bayesian linear regression, so NUTS and both
SVI guides can be checked against the conjugate posterior; uncertainty decompositions
against direct numpy computations."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.bayes import bnn
from jaxml.bayes.inference import sample_guide

NOISE = 0.3
TAU = 1.0


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2)).astype(np.float32)
    y = (X @ np.array([0.8, -0.5]) + 0.2 + NOISE * rng.normal(size=30)).astype(np.float32)
    return X, y


def _conjugate(X, y):
    Z = np.hstack([X, np.ones((X.shape[0], 1))]).astype(float)
    prior_var = np.array([TAU**2 / X.shape[1]] * X.shape[1] + [TAU**2])
    precision = Z.T @ Z / NOISE**2 + np.diag(1 / prior_var)
    cov = np.linalg.inv(precision)
    return cov @ Z.T @ y / NOISE**2, cov, precision


def _flat(samples):
    return np.hstack([np.asarray(samples["w0"]).reshape(-1, 2),
                      np.asarray(samples["b0"]).reshape(-1, 1)])


@pytest.fixture(scope="module")
def nuts_linear(data):
    X, y = data
    return bnn.fit_nuts(0, X, y, hidden=(), noise_scale=NOISE, prior_scale=TAU,
                        num_warmup=150, num_samples=400)


def test_nuts_linear_bnn_matches_conjugate(data, nuts_linear):
    mean, cov, _ = _conjugate(*data)
    flat = _flat(nuts_linear.samples)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_array_less(np.abs(flat.mean(0) - mean), 0.3 * sd)
    np.testing.assert_allclose(flat.std(0), sd, rtol=0.25)
    assert nuts_linear.samples["w0"].shape == (400, 2, 1)


def test_svi_guides_match_conjugate(data):
    """Mean-field: exact means, variances 1/diag(precision); low rank: full covariance."""
    X, y = data
    mean, cov, precision = _conjugate(X, y)
    for guide, target_var in (("normal", 1 / np.diag(precision)), ("lowrank", np.diag(cov))):
        post = bnn.fit_svi(1, X, y, hidden=(), noise_scale=NOISE, prior_scale=TAU,
                           guide=guide, rank=2, num_steps=1500, learning_rate=0.02,
                           init_scale=0.1)
        flat = _flat(sample_guide(2, post.fit, X, num_samples=4000))
        np.testing.assert_allclose(flat.mean(0), mean, atol=0.3 * np.sqrt(np.diag(cov)).max())
        np.testing.assert_allclose(flat.var(0), target_var, rtol=0.3)


def test_predict_samples_regression(data, nuts_linear):
    X, y = data
    f, noise_var = bnn.predict_samples(0, nuts_linear, X[:5], num_samples=50, chunk_size=16)
    assert f.shape == (50, 5) and noise_var.shape == (50,)
    np.testing.assert_allclose(noise_var, NOISE**2)
    direct = (np.einsum("nd,sdo->sno", X[:5], np.asarray(nuts_linear.samples["w0"][:50]))[..., 0]
              + np.asarray(nuts_linear.samples["b0"][:50]))
    np.testing.assert_allclose(f, direct, rtol=1e-4, atol=1e-5)
    again, _ = bnn.predict_samples(0, nuts_linear, X[:5], num_samples=50, chunk_size=50)
    np.testing.assert_allclose(again, f, atol=1e-6)


@pytest.mark.slow
def test_svi_classification_end_to_end():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int32)
    post = bnn.fit_svi(0, X, y, hidden=(4,), likelihood="categorical", num_classes=2,
                       num_steps=400, learning_rate=0.05)
    probs, none = bnn.predict_samples(1, post, X, num_samples=30)
    assert none is None and probs.shape == (30, 40, 2)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert float((probs.mean(0).argmax(-1) == y).mean()) > 0.85
    probs2, _ = bnn.predict_samples(1, post, X, num_samples=30)
    np.testing.assert_array_equal(probs, probs2)


def test_uncertainty_decompositions():
    rng = np.random.default_rng(2)
    f = rng.normal(size=(20, 6)).astype(np.float32)
    nv = rng.uniform(0.1, 1.0, size=20).astype(np.float32)
    mean, alea, epi = bnn.regression_uncertainty(f, nv)
    np.testing.assert_allclose(mean, f.mean(0), rtol=1e-5)
    np.testing.assert_allclose(alea, np.full(6, nv.mean()), rtol=1e-5)
    np.testing.assert_allclose(epi, f.var(0), rtol=1e-4)
    p = rng.dirichlet(np.ones(3), size=(20, 6)).astype(np.float32)
    total, alea, epi = bnn.classification_uncertainty(p)
    pbar = p.mean(0)
    np.testing.assert_allclose(total, -(pbar * np.log(pbar)).sum(-1), rtol=1e-5)
    np.testing.assert_allclose(alea, -(p * np.log(p)).sum(-1).mean(0), rtol=1e-5)
    assert np.all(np.asarray(epi) >= -1e-6)


def test_bad_input(data):
    X, y = data
    with pytest.raises(ValueError, match="likelihood"):
        bnn.fit_svi(0, X, y, likelihood="poisson")
    with pytest.raises(ValueError, match="y"):
        bnn.fit_svi(0, X, np.array([0, 5] * 15), likelihood="categorical", num_classes=2)
    with pytest.raises(ValueError, match="guide"):
        bnn.fit_svi(0, X, y, guide="full")
    with pytest.raises(ValueError, match="rows"):
        bnn.fit_nuts(0, X, y[:-1])
    with pytest.raises(TypeError, match="posterior"):
        bnn.predict_samples(0, {"w0": jnp.zeros(1)}, X)
