"""Gaussian mixtures by EM vs scikit-learn's GaussianMixture; monotone EM; BIC selection."""

import jax
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture

from jaxml.unsupervised import mixture as mx

K, D = 3, 3


@pytest.fixture(scope="module")
def data():
    X, _ = make_blobs(300, n_features=D, centers=K, cluster_std=[1.0, 1.5, 0.7],
                      random_state=1)
    rng = np.random.default_rng(0)
    # anisotropic: stretch one axis so full/tied/diag/spherical genuinely differ
    X = X @ np.array([[1.0, 0.4, 0.0], [0.0, 1.0, 0.0], [0.0, 0.3, 2.0]])
    return X, np.array([0.3, 0.3, 0.4]), X[rng.choice(len(X), K, replace=False)]


PRECISIONS = {"full": np.stack([np.eye(D) * 0.5] * K), "tied": np.eye(D) * 0.5,
              "diag": np.full((K, D), 0.5), "spherical": np.full(K, 0.5)}


@pytest.mark.parametrize("covariance_type", mx.COVARIANCE_TYPES)
def test_em_matches_sklearn_from_same_init(data, covariance_type):
    X, w0, m0 = data
    prec = PRECISIONS[covariance_type]
    ref = GaussianMixture(K, covariance_type=covariance_type, weights_init=w0,
                          means_init=m0, precisions_init=prec, max_iter=100, tol=1e-3,
                          reg_covar=1e-6).fit(X)
    init = mx.mixture_params(w0, m0, covariance_type=covariance_type, precisions=prec)
    gm = mx.gaussian_mixture(K, covariance_type=covariance_type, init=init, max_iter=100,
                             tol=1e-3, reg_covar=1e-6)
    p = gm.fit(jax.random.key(0), X)
    assert int(p.n_iter) == ref.n_iter_ and bool(p.converged) == ref.converged_
    np.testing.assert_allclose(np.asarray(p.weights), ref.weights_, atol=1e-5)
    np.testing.assert_allclose(np.asarray(p.means), ref.means_, atol=1e-4)
    np.testing.assert_allclose(np.asarray(p.covariances), ref.covariances_, atol=2e-4,
                               rtol=1e-4)
    np.testing.assert_allclose(float(p.lower_bound), ref.lower_bound_, rtol=1e-5)
    np.testing.assert_allclose(float(gm.bic(p, X)), ref.bic(X), rtol=1e-5)
    np.testing.assert_allclose(float(gm.aic(p, X)), ref.aic(X), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(gm.score_samples(p, X)), ref.score_samples(X),
                               rtol=5e-5, atol=1e-4)
    np.testing.assert_allclose(np.asarray(gm.predict_proba(p, X)), ref.predict_proba(X),
                               atol=1e-4)
    np.testing.assert_array_equal(np.asarray(gm.predict(p, X)), ref.predict(X))
    assert mx.n_parameters(covariance_type, K, D) == ref._n_parameters()


def test_log_likelihood_never_decreases(data):
    X, _, _ = data
    p = mx.gaussian_mixture(4, covariance_type="full", init="random", max_iter=60,
                            tol=1e-7).fit(jax.random.key(2), X)
    n = int(p.n_iter)
    hist = np.asarray(p.log_likelihood_history)
    assert n > 5 and np.all(np.isnan(hist[n:]))
    assert np.all(np.diff(hist[:n]) >= -1e-6), np.diff(hist[:n]).min()
    assert hist[n - 1] > hist[0] + 0.1
    np.testing.assert_allclose(float(p.lower_bound), hist[n - 1])


def test_bic_selects_true_number_of_components():
    X, _ = make_blobs(400, n_features=2, centers=[[-8, 0], [0, 8], [8, 0]], cluster_std=1.0,
                      random_state=5)
    bics = []
    ks = (2, 3, 4)
    for k in ks:
        gm = mx.gaussian_mixture(k, covariance_type="diag")
        bics.append(float(gm.bic(gm.fit(jax.random.key(k), X), X)))
    assert ks[int(np.argmin(bics))] == 3, bics


def test_kmeans_init_and_restarts_reach_sklearn_optimum(data):
    X, _, _ = data
    p = mx.gaussian_mixture(K, n_init=2).fit(jax.random.key(0), X)
    ref = GaussianMixture(K, n_init=2, random_state=0).fit(X)
    np.testing.assert_allclose(float(p.lower_bound), ref.lower_bound_, atol=1e-3)


def test_sample_moments_match_mixture():
    w = np.array([0.25, 0.75])
    mu = np.array([[0.0, 0.0], [3.0, -1.0]])
    cov = np.array([[[1.0, 0.6], [0.6, 2.0]], [[0.5, -0.2], [-0.2, 0.3]]])
    gm = mx.gaussian_mixture(2)
    p = mx.mixture_params(w, mu, covariance_type="full", covariances=cov)
    S = np.asarray(gm.sample(jax.random.key(0), p, 40_000))
    mean = w @ mu
    second = sum(w[j] * (cov[j] + np.outer(mu[j], mu[j])) for j in range(2))
    np.testing.assert_allclose(S.mean(0), mean, atol=0.03)
    np.testing.assert_allclose(np.cov(S.T, bias=True), second - np.outer(mean, mean),
                               atol=0.05)
    # score_samples against the closed-form mixture density
    from scipy.stats import multivariate_normal as mvn
    Q = S[:20]
    dens = sum(w[j] * mvn(mu[j], cov[j]).pdf(Q) for j in range(2))
    np.testing.assert_allclose(np.asarray(gm.score_samples(p, Q)), np.log(dens), atol=1e-4)


def test_bad_input(data):
    X, w0, m0 = data
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="covariance_type"):
        mx.gaussian_mixture(2, covariance_type="banded")
    with pytest.raises(ValueError, match="k must be <= n_samples"):
        mx.gaussian_mixture(5).fit(key, X[:4])
    with pytest.raises(ValueError, match="k must be >= 1"):
        mx.gaussian_mixture(0)
    Xn = X.copy()
    Xn[0, 0] = np.inf
    with pytest.raises(ValueError, match="X must be finite"):
        mx.gaussian_mixture(2).fit(key, Xn)
    with pytest.raises(ValueError, match="init"):
        mx.gaussian_mixture(2, init="k-means++")
    with pytest.raises(ValueError, match="reg_covar"):
        mx.gaussian_mixture(2, reg_covar=-1.0)
    init = mx.mixture_params(w0, m0, covariance_type="diag", precisions=PRECISIONS["diag"])
    with pytest.raises(ValueError, match="covariance_type"):
        mx.gaussian_mixture(K, covariance_type="full", init=init)
    with pytest.raises(ValueError, match="precisions must have shape"):
        mx.mixture_params(w0, m0, covariance_type="full", precisions=PRECISIONS["diag"])
