"""Kernel ridge regression vs sklearn.kernel_ridge.KernelRidge and the closed form."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.kernel_ridge import KernelRidge

from jaxml.classical import kernel_ridge

RNG = np.random.default_rng(3)
X = RNG.normal(size=(30, 3))
y = np.sin(X[:, 0]) + 0.5 * X[:, 1] + 0.1 * RNG.normal(size=30)
Xt = RNG.normal(size=(6, 3))


@pytest.mark.parametrize(
    "kw",
    [
        {"kernel": "linear"},
        {"kernel": "rbf", "gamma": 0.5},
        {"kernel": "poly", "degree": 2, "gamma": 0.3, "coef0": 1.0},
        {"kernel": "sigmoid", "gamma": 0.1, "coef0": 0.0},
    ],
)
def test_kernel_ridge_matches_sklearn(kw):
    sk = KernelRidge(alpha=0.3, **kw).fit(X, y)
    with jax.enable_x64(True):
        est = kernel_ridge.kernel_ridge(0.3, **kw)
        params = est.fit(X, y)
        pred = est.predict(params, Xt)
    np.testing.assert_allclose(np.asarray(params.dual_coef), sk.dual_coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(np.asarray(pred), sk.predict(Xt), rtol=1e-7, atol=1e-8)


def test_kernel_ridge_float32_multi_output_and_closed_form():
    Y = np.stack([y, -2 * y + 1], axis=1).astype(np.float32)
    est = kernel_ridge.kernel_ridge(1.0, kernel="rbf", gamma=0.5)
    params = est.fit(X, Y)
    chex.assert_shape(params.dual_coef, (30, 2))
    assert params.dual_coef.dtype == jnp.float32
    K = np.exp(-0.5 * ((X[:, None] - X[None]) ** 2).sum(-1))
    closed = np.linalg.solve(K + np.eye(30), Y)
    np.testing.assert_allclose(np.asarray(params.dual_coef), closed, rtol=1e-3, atol=1e-4)
    sk = KernelRidge(alpha=1.0, kernel="rbf", gamma=0.5).fit(X, Y)
    np.testing.assert_allclose(np.asarray(est.predict(params, Xt)), sk.predict(Xt), atol=1e-4)


def test_kernel_ridge_jit_vmap_over_alpha():
    alphas = jnp.array([0.1, 1.0, 10.0])

    @jax.jit
    @chex.assert_max_traces(n=1)
    def path(a):
        return jax.vmap(lambda al: kernel_ridge.kernel_ridge(al, kernel="rbf").fit(X, y))(a)

    params = path(alphas)
    chex.assert_shape(params.dual_coef, (3, 30))
    for a, coef in zip([0.1, 1.0, 10.0], params.dual_coef):
        sk = KernelRidge(alpha=a, kernel="rbf").fit(X, y)
        np.testing.assert_allclose(np.asarray(coef), sk.dual_coef_, rtol=2e-3, atol=1e-4)
    eager = kernel_ridge.kernel_ridge(1.0, kernel="rbf").fit(X, y)
    np.testing.assert_allclose(np.asarray(params.dual_coef[1]), np.asarray(eager.dual_coef),
                               rtol=1e-5, atol=1e-5)


def test_kernel_ridge_deterministic():
    est = kernel_ridge.kernel_ridge(0.5, kernel="poly")
    a = est.fit(X, y).dual_coef
    b = est.fit(X, y).dual_coef
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_kernel_ridge_bad_input():
    with pytest.raises(ValueError, match="alpha must be > 0"):
        kernel_ridge.kernel_ridge(0.0)
    with pytest.raises(ValueError, match="kernel must be one of"):
        kernel_ridge.kernel_ridge(kernel="cosine")
    est = kernel_ridge.kernel_ridge()
    with pytest.raises(ValueError, match="same number of rows"):
        est.fit(X, y[:5])
    with pytest.raises(ValueError, match="y must be finite"):
        est.fit(X, np.full(30, np.inf))
    with pytest.raises(ValueError, match="features"):
        est.predict(est.fit(X, y), Xt[:, :2])
