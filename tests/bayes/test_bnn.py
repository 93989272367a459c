"""BNNs: a network with no hidden layer is Bayesian linear regression, so the MAP starts,
NUTS and both SVI guides (at T = 1 and tempered) are checked against the conjugate
posterior; uncertainty decompositions against direct numpy computations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.bayes import bnn
from jaxml.core import Classifier, Regressor

# One worker runs the whole module, so its module-scoped fixtures (fitted models)
# are computed once, not once per xdist worker.
pytestmark = pytest.mark.xdist_group("bnn")

NOISE = 0.3
TAU = 1.0


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2)).astype(np.float32)
    y = (X @ np.array([0.8, -0.5]) + 0.2 + NOISE * rng.normal(size=30)).astype(np.float32)
    return X, y


def _design(X):
    return np.hstack([X, np.ones((X.shape[0], 1))]).astype(float)


def _conjugate(X, y, temperature=1.0):
    """Posterior of (w, b) with the likelihood raised to 1/T: noise variance T·σ²."""
    Z = _design(X)
    prior_var = np.array([TAU**2 / X.shape[1]] * X.shape[1] + [TAU**2])
    noise_var = temperature * NOISE**2
    precision = Z.T @ Z / noise_var + np.diag(1 / prior_var)
    cov = np.linalg.inv(precision)
    return cov @ Z.T @ y / noise_var, cov, precision


def _flat(samples):
    return np.hstack([np.asarray(samples["w0"]).reshape(-1, 2),
                      np.asarray(samples["b0"]).reshape(-1, 1)])


def _linear(**kwargs):
    return dict(hidden=(), noise_scale=NOISE, prior_scale=TAU, **kwargs)


@pytest.fixture(scope="module")
def nuts_linear(data):
    est = bnn.bnn_nuts(**_linear(num_warmup=150, num_samples=200, num_chains=2,
                                 map_steps=50))
    return est, est.fit(0, *data)


def test_map_starts_reach_the_posterior_mode(data):
    X, y = data
    mean, _, _ = _conjugate(X, y)
    spec = bnn.BNNSpec(hidden=(), prior_scale=TAU, noise_scale=NOISE)
    starts = bnn.map_starts(0, spec, jnp.asarray(X), jnp.asarray(y), num_starts=3,
                            num_steps=1500, learning_rate=0.05)
    assert starts["w0"].shape == (3, 2, 1) and starts["b0"].shape == (3, 1)
    for i in range(3):
        np.testing.assert_allclose(_flat({k: v[i] for k, v in starts.items()})[0], mean,
                                   atol=2e-3)


def test_nuts_linear_bnn_matches_conjugate(data, nuts_linear):
    mean, cov, _ = _conjugate(*data)
    _, post = nuts_linear
    flat = _flat(post.samples)
    sd = np.sqrt(np.diag(cov))
    assert post.samples["w0"].shape == (400, 2, 1)
    np.testing.assert_array_less(np.abs(flat.mean(0) - mean), 0.3 * sd)
    np.testing.assert_allclose(flat.std(0), sd, rtol=0.25)


@pytest.mark.parametrize("temperature", [1.0, 0.25])
def test_svi_guides_match_conjugate(data, temperature):
    """The predictive draws f = Zθ at training inputs: mean Zμ for both guides; variance
    Σ_j z_j² / Λ_jj (mean field: the reverse-KL optimum keeps the precision diagonal) or
    diag(Z Σ Zᵀ) (low rank 2 = full rank here) — at T = 1 and for the tempered posterior."""
    X, y = data
    mean, cov, precision = _conjugate(X, y, temperature)
    Z = _design(X[:6])
    for guide, var in (("normal", Z**2 @ (1 / np.diag(precision))),
                       ("lowrank", np.einsum("ij,jk,ik->i", Z, cov, Z))):
        est = bnn.bnn_svi(**_linear(temperature=temperature, guide=guide, rank=2,
                                    num_steps=1500, learning_rate=0.02, init_scale=0.1,
                                    num_samples=4000, chunk_size=4000))
        draws, noise = est.predict_samples(2, est.fit(1, X, y), X[:6])
        assert draws.shape == noise.shape == (4000, 6)
        np.testing.assert_allclose(draws.mean(0), Z @ mean, atol=0.3 * np.sqrt(var).max())
        np.testing.assert_allclose(draws.var(0), var, rtol=0.3)


def test_predict_samples_regression(data, nuts_linear):
    X, _ = data
    est, post = nuts_linear
    assert isinstance(est, Regressor)
    f, noise_var = est.predict_samples(0, post, X[:5])
    assert f.shape == noise_var.shape == (400, 5)
    np.testing.assert_allclose(noise_var, NOISE**2, rtol=1e-6)
    direct = (np.einsum("nd,sdo->sno", X[:5], np.asarray(post.samples["w0"]))[..., 0]
              + np.asarray(post.samples["b0"]))
    np.testing.assert_allclose(f, direct, rtol=1e-4, atol=1e-5)
    one_chunk = bnn.bnn_nuts(**_linear(num_warmup=150, num_samples=200, num_chains=2,
                                       chunk_size=400))
    np.testing.assert_allclose(one_chunk.predict_samples(0, post, X[:5]).draws, f, atol=1e-6)
    np.testing.assert_allclose(est.predict(post, X[:5]), direct.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(est.predict_std(post, X[:5]),
                               np.sqrt(NOISE**2 + direct.var(0)), rtol=1e-4)


def test_classification_end_to_end():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int32)
    for est in (bnn.bnn_svi(task="classification", num_classes=2, hidden=(4,),
                            prior_scale=3.0, num_steps=300, learning_rate=0.05,
                            map_steps=200, num_samples=30),
                bnn.bnn_nuts(task="classification", num_classes=2, hidden=(4,),
                             prior_scale=3.0, num_warmup=60, num_samples=15, num_chains=2,
                             max_tree_depth=4, map_steps=200)):
        assert isinstance(est, Classifier)
        params = est.fit(0, X, y)
        probs, none = est.predict_samples(1, params, X)
        assert none is None and probs.shape == (30, 40, 2)
        np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(est.predict_proba(params, X),
                                   est.predict_samples(params.predict_key, params, X).draws
                                   .mean(0), atol=1e-6)
        assert est.predict(params, X).dtype == jnp.int32
        assert float((est.predict(params, X) == y).mean()) > 0.85
    again = est.fit(0, X, y)  # determinism under a key
    jax.tree.map(np.testing.assert_array_equal, again, params)


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


def test_bad_input(data, nuts_linear):
    X, y = data
    with pytest.raises(ValueError, match="task"):
        bnn.bnn_svi(task="poisson")
    with pytest.raises(TypeError, match="num_classes"):
        bnn.bnn_svi(task="classification")
    with pytest.raises(ValueError, match="temperature"):
        bnn.bnn_nuts(temperature=0.0)
    with pytest.raises(ValueError, match="prior_scale"):
        bnn.bnn_nuts(prior_scale=float("nan"))
    with pytest.raises(ValueError, match="map_steps"):
        bnn.bnn_nuts(map_steps=-1)
    with pytest.raises(TypeError, match="hidden"):
        bnn.bnn_svi(hidden=16)
    with pytest.raises(ValueError, match="guide"):
        bnn.bnn_svi(guide="full")
    classifier = bnn.bnn_svi(task="classification", num_classes=2)
    with pytest.raises(ValueError, match="y"):
        classifier.fit(0, X, np.array([0, 5] * 15))
    with pytest.raises(ValueError, match="y"):
        bnn.bnn_nuts().fit(0, X, y[:-1])
    with pytest.raises(ValueError, match="X"):
        bnn.bnn_nuts().fit(0, np.full_like(X, np.nan), y)
    est, post = nuts_linear
    with pytest.raises(TypeError, match="params"):
        est.predict_samples(0, {"w0": jnp.zeros(1)}, X)
    with pytest.raises(ValueError, match="X"):
        est.predict_samples(0, post, X[:, :1])
