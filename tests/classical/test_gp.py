"""Gaussian processes vs sklearn.gaussian_process (fixed and fitted hyperparameters)."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, WhiteKernel
from sklearn.gaussian_process.kernels import ConstantKernel as Const

from jaxml.classical import gp

RNG = np.random.default_rng(0)
X = RNG.uniform(-3, 3, (30, 2))
y = np.sin(X[:, 0]) + 0.3 * X[:, 1] + 0.1 * RNG.normal(size=30)
Xt = RNG.uniform(-3, 3, (8, 2))
yc = (X[:, 0] + 0.5 * X[:, 1] + 0.7 * RNG.normal(size=30) > 0).astype(int)
yc3 = np.digitize(X[:, 0] + 0.3 * RNG.normal(size=30), [-1.0, 1.0])


def sk_regression_kernel(ell, signal, noise):
    return Const(signal) * RBF(ell) + WhiteKernel(noise)


def hyper(ell, signal, noise=1.0):
    logs = (jnp.log(jnp.asarray(v, jnp.float64)) for v in (ell, signal, noise))
    return gp.GPHyperparameters(*logs)


def test_gpr_fixed_hyperparameters_match_sklearn():
    sk = GaussianProcessRegressor(sk_regression_kernel(0.8, 1.5, 0.05), optimizer=None,
                                  alpha=1e-10).fit(X, y)
    mean_sk, std_sk = sk.predict(Xt, return_std=True)
    with jax.enable_x64(True):
        est = gp.gp_regression(0.8, 1.5, 0.05, optimize=False)
        params = est.fit(X, y)
        mean = est.predict(params, Xt)
        std = est.predict_std(params, Xt)
        latent_std = est.predict_std(params, Xt, include_noise=False)
    np.testing.assert_allclose(float(params.log_marginal_likelihood),
                               sk.log_marginal_likelihood_value_, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(mean), mean_sk, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(np.asarray(std), std_sk, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(np.asarray(latent_std) ** 2, std_sk**2 - 0.05, rtol=1e-6)


def test_gpr_lml_and_gradient_match_sklearn():
    sk = GaussianProcessRegressor(sk_regression_kernel(1.0, 1.0, 0.1), optimizer=None).fit(X, y)
    with jax.enable_x64(True):
        for ell, signal, noise in [(0.5, 2.0, 0.01), (2.0, 0.3, 0.5)]:
            h = hyper(ell, signal, noise)
            lml, grad = jax.value_and_grad(gp.log_marginal_likelihood)(h, X, y, 1e-10)
            theta = np.log([signal, ell, noise])  # sklearn orders C, RBF, White
            sk_lml, sk_grad = sk.log_marginal_likelihood(theta, eval_gradient=True)
            np.testing.assert_allclose(float(lml), sk_lml, rtol=1e-9)
            ours_grad = [grad.log_signal_variance, grad.log_length_scale, grad.log_noise_variance]
            np.testing.assert_allclose(np.asarray(ours_grad), sk_grad, rtol=1e-6, atol=1e-8)


def test_gpr_fitted_hyperparameters_reach_sklearn_lml_float32():
    sk = GaussianProcessRegressor(sk_regression_kernel(1.0, 1.0, 0.1), alpha=1e-10).fit(X, y)
    est = gp.gp_regression(1.0, 1.0, 0.1, jitter=1e-6)
    params = est.fit(X.astype(np.float32), y.astype(np.float32))
    assert params.alpha.dtype == jnp.float32
    # Evaluate our fitted hyperparameters with sklearn's own likelihood (float64).
    theta = np.log([float(params.hyper.signal_variance), float(params.hyper.length_scale),
                    float(params.hyper.noise_variance)])
    ours = sk.log_marginal_likelihood(theta)
    assert ours >= sk.log_marginal_likelihood_value_ - 1e-2
    pred = np.asarray(est.predict(params, Xt.astype(np.float32)))
    chex.assert_shape(pred, (8,))
    np.testing.assert_allclose(pred, sk.predict(Xt), atol=2e-2)


def test_gpr_jit_matches_eager_and_is_deterministic():
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    est = gp.gp_regression(0.7, 1.2, 0.1, optimize=False, normalize_y=True, jitter=1e-6)
    eager = est.fit(X32, y32)
    jitted = jax.jit(est.fit)(X32, y32)
    again = est.fit(X32, y32)
    chex.assert_trees_all_close(eager, jitted, rtol=1e-5, atol=1e-5)
    assert np.array_equal(np.asarray(eager.alpha), np.asarray(again.alpha))
    sk = GaussianProcessRegressor(sk_regression_kernel(0.7, 1.2, 0.1), optimizer=None,
                                  normalize_y=True, alpha=1e-6).fit(X, y)
    np.testing.assert_allclose(np.asarray(est.predict(jitted, Xt)), sk.predict(Xt), atol=1e-4)


def test_gpc_fixed_kernel_matches_sklearn():
    sk = GaussianProcessClassifier(Const(2.0) * RBF(1.2), optimizer=None).fit(X, yc)
    with jax.enable_x64(True):
        est = gp.gp_classification(1.2, 2.0, optimize=False)
        params = est.fit(X, yc)
        proba = est.predict_proba(params, Xt)
        probit = gp.gp_classification(1.2, 2.0, optimize=False, predictive="probit")
        proba_probit = probit.predict_proba(params, Xt)
        pred = est.predict(params, Xt)
    chex.assert_shape(proba, (8, 2))
    np.testing.assert_allclose(float(params.log_marginal_likelihood[0]),
                               sk.log_marginal_likelihood_value_, rtol=1e-7)
    np.testing.assert_allclose(np.asarray(proba), sk.predict_proba(Xt), atol=1e-3)
    np.testing.assert_allclose(np.asarray(proba_probit), sk.predict_proba(Xt), atol=2e-2)
    np.testing.assert_array_equal(np.asarray(pred), sk.predict(Xt))


def test_gpc_laplace_gradient_matches_sklearn():
    sk = GaussianProcessClassifier(Const(1.0) * RBF(1.0), optimizer=None).fit(X, yc)
    with jax.enable_x64(True):
        h = hyper(0.7, 3.0)
        lml, grad = jax.value_and_grad(gp.laplace_log_marginal_likelihood)(h, X, yc.astype(float))
    sk_lml, sk_grad = sk.log_marginal_likelihood(np.log([3.0, 0.7]), eval_gradient=True)
    np.testing.assert_allclose(float(lml), sk_lml, rtol=1e-7)
    np.testing.assert_allclose([float(grad.log_signal_variance), float(grad.log_length_scale)],
                               sk_grad, rtol=1e-5)
    assert float(grad.log_noise_variance) == 0.0


def test_gpc_fitted_hyperparameters_reach_sklearn_lml():
    sk = GaussianProcessClassifier(Const(1.0) * RBF(1.0)).fit(X, yc)
    with jax.enable_x64(True):
        est = gp.gp_classification(1.0, 1.0)
        params = est.fit(X, yc)
        acc_ours = np.mean(np.asarray(est.predict(params, X)) == yc)
    assert float(params.log_marginal_likelihood[0]) >= sk.log_marginal_likelihood_value_ - 1e-3
    assert acc_ours >= sk.score(X, yc) - 0.05


def test_gpc_multiclass_one_vs_rest_matches_sklearn():
    sk = GaussianProcessClassifier(Const(1.0) * RBF(1.0), optimizer=None).fit(X, yc3)
    est = gp.gp_classification(1.0, 1.0, optimize=False, n_classes=3)
    params = jax.jit(est.fit)(X.astype(np.float32), yc3)
    proba = np.asarray(est.predict_proba(params, Xt.astype(np.float32)))
    chex.assert_shape(proba, (8, 3))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(proba, sk.predict_proba(Xt), atol=2e-3)
    mean, var = gp.latent_predictive(params, Xt.astype(np.float32))
    chex.assert_shape((mean, var), ((8, 3), (8, 3)))
    assert np.all(np.asarray(var) >= 0)


def test_gp_bad_input():
    with pytest.raises(ValueError, match="length_scale must be > 0"):
        gp.gp_regression(length_scale=-1.0)
    with pytest.raises(ValueError, match="noise_variance must be > 0"):
        gp.gp_regression(noise_variance=0.0)
    with pytest.raises(ValueError, match="predictive must be one of"):
        gp.gp_classification(predictive="mc")
    with pytest.raises(ValueError, match="at least 2 classes"):
        gp.gp_classification(optimize=False).fit(X, np.zeros(30, dtype=int))
    with pytest.raises(ValueError, match="y must be finite"):
        gp.gp_regression(optimize=False).fit(X, np.full(30, np.nan))
    with pytest.raises(ValueError, match="X must have rank 2"):
        gp.gp_regression(optimize=False).fit(X[:, 0], y)
    est = gp.gp_regression(optimize=False)
    params = est.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(params, Xt[:, :1])
