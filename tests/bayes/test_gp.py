"""GP regression: fixed-hyperparameter predictive vs scikit-learn; NUTS over hyperparameters."""

import jax
import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel

from jaxml.bayes import gp


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (15, 1)).astype(np.float32)
    y = (np.sin(X[:, 0]) + 0.1 * rng.normal(size=15)).astype(np.float32)
    X_new = np.linspace(-4, 4, 20, dtype=np.float32)[:, None]
    return X, y, X_new


def _sklearn(X, y, X_new, amp, ls, noise):
    kernel = ConstantKernel(amp**2, "fixed") * RBF(ls, "fixed")
    ref = GaussianProcessRegressor(kernel, alpha=noise**2 + 1e-6, optimizer=None)
    return ref.fit(X.astype(float), y.astype(float)).predict(X_new.astype(float),
                                                              return_std=True)


def test_predict_matches_sklearn(data):
    X, y, X_new = data
    mean, var = gp.predict(X, y, X_new, amplitude=1.3, lengthscale=0.8, noise=0.1)
    ref_mean, ref_std = _sklearn(X, y, X_new, 1.3, 0.8, 0.1)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-4)
    np.testing.assert_allclose(np.sqrt(var), ref_std, atol=1e-4)
    assert mean.shape == (20,) and var.shape == (20,)
    jitted = jax.jit(lambda a: gp.predict(X, y, X_new, amplitude=a, lengthscale=0.8,
                                          noise=0.1))(1.3)
    np.testing.assert_allclose(jitted[0], mean, atol=1e-4)


def test_rbf_kernel_matches_sklearn(data):
    X, _, X_new = data
    ref = (ConstantKernel(2.0**2) * RBF(0.7))(X.astype(float), X_new.astype(float))
    np.testing.assert_allclose(gp.rbf_kernel(X, X_new, 2.0, 0.7), ref, rtol=1e-5, atol=1e-6)


def test_nuts_with_tight_hyperpriors_reduces_to_fixed_gp(data):
    """Hyperpriors concentrated at (1.3, 0.8, 0.1): the Bayesian predictive must equal the
    fixed-hyperparameter one (the data barely move such tight priors)."""
    X, y, X_new = data
    tight = dict(amplitude_prior=(float(np.log(1.3)), 0.01),
                 lengthscale_prior=(float(np.log(0.8)), 0.01),
                 noise_prior=(float(np.log(0.1)), 0.01))
    est = gp.gp_nuts(num_warmup=100, num_samples=100, chunk_size=32, **tight)
    params = est.fit(0, X, y)
    samples = params.samples
    assert set(samples) == {"amplitude", "lengthscale", "noise"}
    np.testing.assert_allclose(samples["lengthscale"].mean(), 0.8, rtol=0.03)
    pred = gp.posterior_predictive(1, samples, X, y, X_new, chunk_size=32)
    ref_mean, ref_std = _sklearn(X, y, X_new, 1.3, 0.8, 0.1)
    np.testing.assert_allclose(pred.mean, ref_mean, atol=0.05)
    np.testing.assert_allclose(np.sqrt(pred.latent_variance), ref_std, atol=0.05)
    np.testing.assert_allclose(pred.variance - pred.latent_variance,
                               np.mean(np.asarray(samples["noise"]) ** 2), rtol=1e-5)
    assert pred.samples.shape == (100, 20)
    np.testing.assert_allclose(est.predict(params, X_new), pred.mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(est.predict_std(params, X_new) ** 2, pred.variance, rtol=1e-5)
    draws, noise = est.predict_samples(1, params, X_new)
    np.testing.assert_allclose(draws, pred.samples, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(noise[:, 0], np.asarray(samples["noise"]) ** 2, rtol=1e-6)
    again = gp.posterior_predictive(1, samples, X, y, X_new, chunk_size=7)
    np.testing.assert_allclose(again.mean, pred.mean, atol=1e-5)
    np.testing.assert_array_equal(again.samples.shape, pred.samples.shape)


def test_bad_input(data):
    X, y, X_new = data
    with pytest.raises(ValueError, match="X_new"):
        gp.predict(X, y, np.zeros((3, 2)), amplitude=1.0, lengthscale=1.0, noise=0.1)
    with pytest.raises(ValueError, match="y"):
        gp.fit_nuts(0, X, y[:-2])
    with pytest.raises(ValueError, match="num_samples"):
        gp.gp_nuts(num_samples=0)
    with pytest.raises(ValueError, match="lengthscale"):
        gp.posterior_predictive(0, {"amplitude": np.ones(3)}, X, y, X_new)
