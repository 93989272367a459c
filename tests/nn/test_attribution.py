import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.nn.attribution import gradient_times_input, integrated_gradients, saliency, smoothgrad
from jaxml.nn.backprop import init_mlp, mlp_forward

X = jax.random.normal(jax.random.PRNGKey(0), (6, 5))
W = jnp.array([0.5, -1.0, 2.0, 0.0, 1.5])
A = jax.random.normal(jax.random.PRNGKey(1), (5, 5))


def test_saliency_equals_the_analytic_gradient():
    f = lambda x: W @ jnp.tanh(A @ x)  # noqa: E731
    expected = jax.vmap(lambda x: A.T @ (W * (1 - jnp.tanh(A @ x) ** 2)))(X)
    np.testing.assert_allclose(saliency(f, X), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gradient_times_input(lambda x: W @ x, X), X * W, rtol=1e-6)


def test_integrated_gradients_closed_forms():
    linear = integrated_gradients(lambda x: W @ x, X, baseline=jnp.ones(5), steps=4)
    np.testing.assert_allclose(linear.attributions, (X - 1.0) * W, rtol=1e-5, atol=1e-6)
    c = jnp.array([1.0, -2.0, 0.5, 3.0, 0.0])
    quadratic = integrated_gradients(lambda x: c @ x**2, X, baseline=0.5 * X, steps=3)  # trapezoid exact
    np.testing.assert_allclose(quadratic.attributions, c * (X**2 - (0.5 * X) ** 2), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(quadratic.completeness_gap, 0.0, atol=1e-4)


def test_integrated_gradients_completeness_within_one_percent_on_an_mlp():
    params = init_mlp(jax.random.PRNGKey(2), (5, 32, 32, 3))
    f = lambda x: mlp_forward(params, x[None], activation="tanh")[0][0, 1]  # noqa: E731
    result = integrated_gradients(f, 2.0 * X, steps=64)
    change = jax.vmap(f)(2.0 * X) - f(jnp.zeros(5))
    assert np.all(np.abs(result.completeness_gap) <= 0.01 * np.abs(change)), (result.completeness_gap, change)
    coarse = integrated_gradients(f, 2.0 * X, steps=1)  # one trapezoid: the gap is visible
    assert np.abs(coarse.completeness_gap).max() > np.abs(result.completeness_gap).max()


def test_smoothgrad_of_a_sine_is_the_damped_cosine():
    """f(x) = Σ sin x_j: E ∇f(x + ε) = cos(x)·exp(−s²/2) for ε ~ N(0, s²), s = σ(x_max − x_min)."""
    x = jnp.array([[-1.0, 0.0, 0.5, 2.0]])
    ours = smoothgrad(jax.random.PRNGKey(3), lambda x: jnp.sin(x).sum(), x, n_samples=20000, noise_level=0.2)
    s = 0.2 * 3.0
    np.testing.assert_allclose(ours[0], np.cos(x[0]) * np.exp(-s**2 / 2), atol=4 / np.sqrt(20000))


def test_bad_input():
    with pytest.raises(ValueError, match="f must return a scalar"):
        saliency(lambda x: A @ x, X)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        integrated_gradients(lambda x: W @ x, X, steps=0)
    with pytest.raises(ValueError, match="noise_level"):
        smoothgrad(jax.random.PRNGKey(0), lambda x: W @ x, X, noise_level=0.0)
