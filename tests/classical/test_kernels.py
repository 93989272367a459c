"""Kernels vs sklearn.metrics.pairwise, jit agreement, Mercer check, bad input."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.metrics import pairwise

from jaxml.classical import kernels

RNG = np.random.default_rng(0)
X = RNG.normal(size=(7, 3))
Z = RNG.normal(size=(5, 3))

CASES = [
    ("linear", {}, pairwise.linear_kernel, {}),
    ("poly", {"degree": 3, "gamma": 0.5, "coef0": 1.5}, pairwise.polynomial_kernel,
     {"degree": 3, "gamma": 0.5, "coef0": 1.5}),
    ("poly", {}, pairwise.polynomial_kernel, {}),
    ("rbf", {"gamma": 0.7}, pairwise.rbf_kernel, {"gamma": 0.7}),
    ("rbf", {}, pairwise.rbf_kernel, {}),
    ("sigmoid", {"gamma": 0.3, "coef0": -0.5}, pairwise.sigmoid_kernel,
     {"gamma": 0.3, "coef0": -0.5}),
]


@pytest.mark.parametrize("name, ours_kw, oracle, oracle_kw", CASES)
def test_kernels_match_sklearn_float64(name, ours_kw, oracle, oracle_kw):
    with jax.enable_x64(True):
        K = kernels.KERNELS[name](X, Z, **ours_kw)
        K_self = kernels.KERNELS[name](X, **ours_kw)
        assert K.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(K), oracle(X, Z, **oracle_kw), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(np.asarray(K_self), oracle(X, **oracle_kw), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["linear", "poly", "rbf", "sigmoid"])
def test_kernels_float32_shape_dtype_and_jit(name):
    K = kernels.pairwise_kernel(X, Z, kernel=name, gamma=0.4, coef0=0.5)
    chex.assert_shape(K, (7, 5))
    assert K.dtype == jnp.float32
    oracle = pairwise.pairwise_kernels(X, Z, metric=name, filter_params=True,
                                       gamma=0.4, coef0=0.5, degree=3)
    np.testing.assert_allclose(np.asarray(K), oracle, rtol=1e-5, atol=1e-5)
    jitted = jax.jit(lambda a, b, g: kernels.pairwise_kernel(a, b, kernel=name, gamma=g, coef0=0.5))
    np.testing.assert_allclose(np.asarray(jitted(X, Z, 0.4)), np.asarray(K), rtol=1e-6, atol=1e-6)


def test_gamma_is_traced_for_vmap():
    gammas = jnp.array([0.1, 1.0, 3.0])
    Ks = jax.vmap(lambda g: kernels.rbf_kernel(X, gamma=g))(gammas)
    chex.assert_shape(Ks, (3, 7, 7))
    for g, K in zip(gammas, Ks):
        np.testing.assert_allclose(np.asarray(K), pairwise.rbf_kernel(X, gamma=float(g)), atol=1e-5)


def test_is_mercer_psd_kernels_pass():
    data = RNG.normal(size=(20, 4))
    for K in (kernels.linear_kernel(data), kernels.rbf_kernel(data, gamma=0.5),
              kernels.polynomial_kernel(data, degree=2, coef0=1.0)):
        assert bool(kernels.is_mercer(K))
    assert bool(jax.jit(kernels.is_mercer)(kernels.rbf_kernel(data)))


def test_sigmoid_kernel_is_not_always_psd():
    data = RNG.normal(size=(20, 4))
    K = kernels.sigmoid_kernel(data, gamma=2.0, coef0=-1.0)
    assert not bool(kernels.is_mercer(K))
    assert float(kernels.min_eigenvalue(K)) < -1e-2
    eig_oracle = np.linalg.eigvalsh(pairwise.sigmoid_kernel(data, gamma=2.0, coef0=-1.0))
    np.testing.assert_allclose(float(kernels.min_eigenvalue(K)), eig_oracle[0], rtol=1e-4)


def test_is_mercer_rejects_asymmetric_and_negative_definite():
    assert not bool(kernels.is_mercer(jnp.array([[1.0, 0.5], [0.0, 1.0]])))
    assert not bool(kernels.is_mercer(-jnp.eye(3)))
    assert bool(kernels.is_mercer(jnp.zeros((3, 3))))


def test_deterministic():
    a = kernels.rbf_kernel(X, Z, gamma=0.3)
    b = kernels.rbf_kernel(X, Z, gamma=0.3)
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_bad_input():
    with pytest.raises(ValueError, match="same number of features"):
        kernels.rbf_kernel(X, Z[:, :2])
    with pytest.raises(ValueError, match="X must have rank 2"):
        kernels.linear_kernel(X[0])
    with pytest.raises(ValueError, match="X must be finite"):
        kernels.rbf_kernel(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="gamma"):
        kernels.rbf_kernel(X, gamma=-1.0)
    with pytest.raises(ValueError, match="degree"):
        kernels.polynomial_kernel(X, degree=-1)
    with pytest.raises(ValueError, match="kernel"):
        kernels.pairwise_kernel(X, kernel="laplacian")
    with pytest.raises(ValueError, match="K must be square"):
        kernels.is_mercer(np.ones((2, 3)))
