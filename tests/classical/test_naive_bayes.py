"""Naive Bayes vs scikit-learn, log-space stability, bad input."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn import naive_bayes as sk

from jaxml.classical import naive_bayes as nb


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 90).astype(np.int32)
    X = rng.normal(size=(90, 4)) + y[:, None] * np.array([[1.0, -0.5, 0.0, 0.3]])
    counts = rng.poisson(1.0 + y[:, None] * np.array([[0.0, 1.0, 2.0, 0.5, 0.0, 1.0]]))
    return X, counts.astype(np.float64), y


CASES = [
    ("gaussian", lambda: nb.gaussian_nb(var_smoothing=1e-3), lambda: sk.GaussianNB(var_smoothing=1e-3)),
    (
        "gaussian_priors",
        lambda: nb.gaussian_nb(priors=np.array([0.2, 0.3, 0.5])),
        lambda: sk.GaussianNB(priors=np.array([0.2, 0.3, 0.5])),
    ),
    ("multinomial", lambda: nb.multinomial_nb(alpha=0.5), lambda: sk.MultinomialNB(alpha=0.5)),
    (
        "multinomial_uniform",
        lambda: nb.multinomial_nb(alpha=1.0, fit_prior=False),
        lambda: sk.MultinomialNB(alpha=1.0, fit_prior=False),
    ),
    (
        "bernoulli",
        lambda: nb.bernoulli_nb(alpha=0.7, binarize=1.5),
        lambda: sk.BernoulliNB(alpha=0.7, binarize=1.5),
    ),
]


@pytest.mark.parametrize("name,ours,ref", CASES, ids=[c[0] for c in CASES])
def test_naive_bayes_matches_sklearn(data, name, ours, ref):
    X, counts, y = data
    Xs = X if name.startswith("gaussian") else counts
    est = ours()
    with jax.enable_x64(True):
        p = est.fit(Xs, y)
        proba = np.asarray(est.predict_proba(p, Xs))
        pred = np.asarray(est.predict(p, Xs))
    r = ref().fit(Xs, y)
    np.testing.assert_allclose(proba, r.predict_proba(Xs), atol=1e-12)
    np.testing.assert_array_equal(pred, r.predict(Xs))
    if name.startswith("gaussian"):
        np.testing.assert_allclose(p.var, r.var_, rtol=1e-12)
        np.testing.assert_allclose(p.theta, r.theta_, rtol=1e-12)
    else:
        np.testing.assert_allclose(p.feature_log_prob, r.feature_log_prob_, rtol=1e-12)


def test_naive_bayes_float32_jit_shapes_determinism(data):
    X, _, y = data
    est = nb.gaussian_nb()
    p = est.fit(X, y)
    proba = est.predict_proba(p, X)
    chex.assert_shape(proba, (90, 3))
    assert proba.dtype == jnp.float32
    chex.assert_trees_all_close(jax.jit(est.predict_proba)(p, X), proba, atol=1e-6)
    chex.assert_trees_all_equal(est.fit(X, y), p)
    np.testing.assert_allclose(proba, sk.GaussianNB().fit(X, y).predict_proba(X), atol=1e-5)
    # jitted fit with a traced y needs n_classes
    est3 = nb.gaussian_nb(n_classes=3)
    chex.assert_trees_all_close(jax.jit(est3.fit)(X, y), p, rtol=1e-5)


def test_log_space_survives_extreme_likelihoods():
    """Joint log-likelihoods near -1e4: naive exp() would underflow to 0/0."""
    X = np.array([[0.0], [0.1], [100.0], [100.1]])
    y = np.array([0, 0, 1, 1], np.int32)
    est = nb.gaussian_nb()
    p = est.fit(X, y)
    proba = np.asarray(est.predict_proba(p, np.array([[50.05], [-30.0]])))
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-6)
    assert proba[1, 0] == pytest.approx(1.0)
    counts = np.array([[500.0, 0.0], [0.0, 500.0]])
    mest = nb.multinomial_nb()
    mp = mest.fit(counts, np.array([0, 1], np.int32))
    mproba = np.asarray(mest.predict_proba(mp, counts))
    assert np.all(np.isfinite(mproba)) and mproba[0, 0] > 0.999


def test_naive_bayes_bad_input(data):
    X, counts, y = data
    with pytest.raises(ValueError, match="non-negative"):
        nb.multinomial_nb().fit(-counts, y)
    with pytest.raises(ValueError, match="alpha"):
        nb.bernoulli_nb(alpha=-1.0)
    with pytest.raises(ValueError, match="var_smoothing"):
        nb.gaussian_nb(var_smoothing=-1.0)
    with pytest.raises(ValueError, match="class_prior"):
        nb.multinomial_nb(class_prior=np.array([0.5, 0.6, 0.1])).fit(counts, y)
    with pytest.raises(ValueError, match="same number of rows"):
        nb.gaussian_nb().fit(X, y[:-1])
    with pytest.raises(TypeError, match="fit_prior"):
        nb.multinomial_nb(fit_prior="yes")
    est = nb.gaussian_nb()
    with pytest.raises(ValueError, match="features"):
        est.predict(est.fit(X, y), X[:, :2])
