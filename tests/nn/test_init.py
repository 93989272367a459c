import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxml.nn.init import (INITIALIZERS, activation_std_per_layer, fans, glorot_normal, glorot_uniform, he_normal,
                           he_uniform, lecun_normal, naive_normal, orthogonal)

SHAPE = (3, 3, 48, 96)  # a convolution kernel: fan_in = 9·48, fan_out = 9·96
FAN_IN, FAN_OUT = 9 * 48, 9 * 96


def test_fans_of_dense_and_convolution_kernels():
    assert fans((20, 30)) == (20, 30)
    assert fans(SHAPE) == (FAN_IN, FAN_OUT)
    with pytest.raises(ValueError, match="at least 2 axes"):
        fans((5,))


@pytest.mark.parametrize("init, variance, distribution", [
    (naive_normal(0.5), 0.25, "normal"),
    (glorot_normal(), 2 / (FAN_IN + FAN_OUT), "normal"),
    (glorot_uniform(), 2 / (FAN_IN + FAN_OUT), "uniform"),
    (he_normal(), 2 / FAN_IN, "normal"),
    (he_uniform(), 2 / FAN_IN, "uniform"),
    (lecun_normal(), 1 / FAN_IN, "normal"),
], ids=["naive", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal"])
def test_samples_follow_the_formula(init, variance, distribution):
    w = np.asarray(init(jax.random.PRNGKey(0), SHAPE)).ravel()
    assert w.shape == (math.prod(SHAPE),)
    np.testing.assert_allclose(w.var(), variance, rtol=0.02)  # sd of the estimate ≈ 0.4%
    reference = (stats.norm(0, math.sqrt(variance)) if distribution == "normal"
                 else stats.uniform(-math.sqrt(3 * variance), 2 * math.sqrt(3 * variance)))
    assert stats.kstest(w[:20000], reference.cdf).pvalue > 1e-3


def test_same_distribution_as_jax_variance_scaling():
    key = jax.random.PRNGKey(1)
    ours = np.asarray(he_normal()(key, SHAPE)).ravel()[:20000]
    theirs = np.asarray(jax.nn.initializers.variance_scaling(2.0, "fan_in", "normal")(key, SHAPE)).ravel()[:20000]
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-3


@pytest.mark.parametrize("shape", [(64, 16), (16, 64), (3, 3, 4, 8)])
def test_orthogonal_has_orthonormal_columns_or_rows(shape):
    w = np.asarray(orthogonal(gain=2.0)(jax.random.PRNGKey(2), shape), np.float64).reshape(-1, shape[-1])
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-5)


def test_orthogonal_is_haar_distributed():
    """For Q Haar on O(n): E tr Q = 0 and E (tr Q)² = 1. Without the sign fix of the QR
    factor the trace is biased."""
    init = jax.jit(lambda k: orthogonal()(k, (8, 8)))
    traces = np.array([float(jnp.trace(init(k))) for k in jax.random.split(jax.random.PRNGKey(3), 400)])
    assert abs(traces.mean()) < 4 / math.sqrt(400)
    assert abs((traces**2).mean() - 1) < 0.35


def _slope(stds):
    """Mean change of log std per layer."""
    logs = np.log(np.asarray(stds, np.float64))
    return (logs[-1] - logs[0]) / (len(logs) - 1)


def test_relu_variance_propagation_follows_the_theory():
    """Var z_{l+1} = width · Var W · Var z_l / 2 for ReLU: He keeps it, Xavier (square)
    halves it, N(0, 1) multiplies it by width/2."""
    key, width = jax.random.PRNGKey(4), 256
    he = activation_std_per_layer(key, he_normal(), "relu", depth=30, width=width)
    xavier = activation_std_per_layer(key, glorot_normal(), "relu", depth=30, width=width)
    naive = activation_std_per_layer(key, naive_normal(1.0), "relu", depth=8, width=width)
    assert abs(_slope(he)) < 0.03
    assert abs(_slope(xavier) - math.log(math.sqrt(0.5))) < 0.03
    assert abs(_slope(naive) - math.log(math.sqrt(width / 2))) < 0.05


def test_orthogonal_linear_layers_preserve_norms_exactly_and_naive_tanh_saturates():
    key, width = jax.random.PRNGKey(5), 64
    stds = np.asarray(activation_std_per_layer(key, orthogonal(), "identity", depth=50, width=width))
    np.testing.assert_allclose(stds, stds[0], rtol=2e-3)
    saturated = np.asarray(activation_std_per_layer(key, naive_normal(1.0), "tanh", depth=10, width=width))
    np.testing.assert_allclose(saturated[2:], math.sqrt(width), rtol=0.1)  # |tanh| ≈ 1: z ~ Σ of 64 ±W


def test_registry_and_bad_input():
    assert set(INITIALIZERS) >= {"glorot_normal", "he_normal", "orthogonal"}
    with pytest.raises(ValueError, match="stddev"):
        naive_normal(-1.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        activation_std_per_layer(jax.random.PRNGKey(0), he_normal(), "rellu")
    with pytest.raises(TypeError, match="depth"):
        activation_std_per_layer(jax.random.PRNGKey(0), he_normal(), "relu", depth=2.5)
