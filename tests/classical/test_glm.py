"""Poisson and softmax regression vs scikit-learn."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, PoissonRegressor

from jaxml.classical import glm


@pytest.fixture(scope="module")
def count_data():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 4))
    y = rng.poisson(np.exp(0.4 * X[:, 0] - 0.3 * X[:, 1] + 0.5)).astype(np.float64)
    return X, y


@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
def test_poisson_regression_matches_sklearn(count_data, alpha):
    X, y = count_data
    with jax.enable_x64(True):
        est = glm.poisson_regression(alpha)
        p = est.fit(X, y)
        pred = np.asarray(est.predict(p, X))
    ref = PoissonRegressor(alpha=alpha, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(p.coef, ref.coef_, atol=1e-8)
    np.testing.assert_allclose(p.intercept, ref.intercept_, atol=1e-8)
    np.testing.assert_allclose(pred, ref.predict(X), rtol=1e-7)


def test_poisson_vmap_jit_and_shapes_float32(count_data):
    X, y = count_data
    alphas = jnp.asarray([0.01, 0.1, 1.0])
    params = jax.jit(jax.vmap(lambda a: glm.poisson_regression(a).fit(X, y)))(alphas)
    chex.assert_shape(params.coef, (3, 4))
    assert params.coef.dtype == jnp.float32
    for i, a in enumerate(np.asarray(alphas)):
        ref = PoissonRegressor(alpha=float(a), tol=1e-10).fit(X, y)
        np.testing.assert_allclose(params.coef[i], ref.coef_, atol=1e-4)
    # stronger penalties shrink the slopes
    norms = np.linalg.norm(np.asarray(params.coef), axis=1)
    assert norms[0] > norms[1] > norms[2]


def test_softmax_regression_two_classes_equals_sigmoid_at_2C(count_data):
    X, y = count_data
    yb = (y > np.median(y)).astype(np.int32)
    with jax.enable_x64(True):
        est = glm.softmax_regression(C=0.5, tol=1e-10)
        p = est.fit(X, yb)
        proba = np.asarray(est.predict_proba(p, X))
    ref = LogisticRegression(C=1.0, tol=1e-12, max_iter=1000).fit(X, yb)
    chex.assert_shape(p.coef, (2, 4))
    np.testing.assert_allclose(p.coef[1] - p.coef[0], ref.coef_[0], atol=1e-7)
    np.testing.assert_allclose(proba, ref.predict_proba(X), atol=1e-8)


def test_softmax_regression_multiclass_matches_sklearn(count_data):
    X, y = count_data
    y3 = np.minimum(y, 2).astype(np.int32)
    with jax.enable_x64(True):
        est = glm.softmax_regression(C=1.5, solver="lbfgs", tol=1e-10)
        p = est.fit(X, y3)
        proba = np.asarray(est.predict_proba(p, X))
    ref = LogisticRegression(C=1.5, tol=1e-12, max_iter=1000).fit(X, y3)
    np.testing.assert_allclose(proba, ref.predict_proba(X), atol=1e-7)


def test_poisson_bad_input(count_data):
    X, y = count_data
    with pytest.raises(ValueError, match="non-negative"):
        glm.poisson_regression().fit(X, -y)
    with pytest.raises(ValueError, match="alpha"):
        glm.poisson_regression(alpha=-0.1)
    yi = y.copy()
    yi[3] = np.inf
    with pytest.raises(ValueError, match="y must be finite"):
        glm.poisson_regression().fit(X, yi)
    est = glm.poisson_regression()
    p = est.fit(X, y)
    chex.assert_trees_all_equal(p, est.fit(X, y))  # deterministic
    with pytest.raises(ValueError, match="features"):
        est.predict(p, X[:, :2])
