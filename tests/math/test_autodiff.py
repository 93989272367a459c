"""Forward (dual numbers) and reverse (tape) engines vs jax.jvp / jax.grad / HVPs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.math import autodiff as ad

N = 4


def _random_expression(rng, depth):
    """A random expression tree over ``x`` of shape (N,), returned as ``f(x) -> (N,)``.

    Unary nodes keep values in safe ranges (exp of tanh, log of 1 + square); binary nodes
    include division by ``1 + b²``, a matrix product with a fixed matrix and a
    scalar-times-vector broadcast through ``reduce_sum``.
    """
    if depth == 0 or rng.uniform() < 0.2:
        if rng.uniform() < 0.75:
            return lambda x: x
        c = jnp.asarray(rng.normal(size=N), jnp.float32)
        return lambda x: x * c
    kind = rng.choice(["exp", "log", "sin", "tanh", "neg", "add", "sub", "mul", "div",
                       "matmul", "sumscale"])
    a = _random_expression(rng, depth - 1)
    if kind == "exp":
        return lambda x: ad.exp(ad.tanh(a(x)))
    if kind == "log":
        return lambda x: ad.log(1.0 + a(x) * a(x))
    if kind == "sin":
        return lambda x: ad.sin(a(x))
    if kind == "tanh":
        return lambda x: ad.tanh(a(x))
    if kind == "neg":
        return lambda x: -a(x)
    if kind == "matmul":
        w = jnp.asarray(rng.normal(size=(N, N)) / np.sqrt(N), jnp.float32)
        if rng.uniform() < 0.5:
            return lambda x: ad.matmul(w, a(x))
        return lambda x: ad.matmul(a(x), w)
    b = _random_expression(rng, depth - 1)
    if kind == "add":
        return lambda x: a(x) + b(x)
    if kind == "sub":
        return lambda x: a(x) - b(x)
    if kind == "mul":
        return lambda x: a(x) * b(x)
    if kind == "div":
        return lambda x: a(x) / (1.0 + b(x) * b(x))
    return lambda x: ad.reduce_sum(a(x)) * ad.tanh(b(x))  # sumscale


def _scalar(g):
    return lambda x: ad.reduce_sum(ad.sin(g(x)) * g(x))


def _cases(n=100):
    rng = np.random.default_rng(1234)
    out = []
    for _ in range(n):
        g = _random_expression(rng, depth=4)
        x = jnp.asarray(rng.normal(size=N), jnp.float32)
        v = jnp.asarray(rng.normal(size=N), jnp.float32)
        out.append((g, x, v))
    return out


CASES = _cases()


def test_forward_mode_matches_jax_jvp_on_100_random_trees():
    for g, x, v in CASES:
        y, t = ad.jvp(g, (x,), (v,))
        y_ref, t_ref = jax.jvp(g, (x,), (v,))
        np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(t, t_ref, rtol=1e-4, atol=1e-4)


def test_reverse_mode_matches_jax_grad_on_100_random_trees():
    for g, x, _ in CASES:
        f = _scalar(g)
        val, grad = ad.value_and_grad(f)(x)
        np.testing.assert_allclose(val, f(x), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(grad, jax.grad(f)(x), rtol=1e-4, atol=1e-4)


def test_hvp_forward_over_reverse_matches_jax_on_100_random_trees():
    for g, x, v in CASES:
        f = _scalar(g)
        ours = ad.hvp(f, x, v)
        ref = jax.jvp(jax.grad(f), (x,), (v,))[1]
        np.testing.assert_allclose(ours, ref, rtol=2e-3, atol=2e-3)


def test_matmul_all_ranks_and_broadcasting():
    rng = np.random.default_rng(0)
    a = jnp.asarray(rng.normal(size=(3, 4)), jnp.float32)
    b = jnp.asarray(rng.normal(size=(4, 2)), jnp.float32)
    row = jnp.asarray(rng.normal(size=(1, 2)), jnp.float32)
    v = jnp.asarray(rng.normal(size=3), jnp.float32)

    def f(m):  # (3,4) -> scalar via mat@mat, vec@mat, mat@vec, vec@vec and (1,2) broadcast
        p = ad.matmul(m, b) * row
        q = ad.matmul(v, m)
        return ad.reduce_sum(ad.tanh(p)) + ad.matmul(q, ad.matmul(m.T, v)) \
            + ad.reduce_sum(ad.reduce_sum(p, axis=0) * 2.0)

    np.testing.assert_allclose(ad.grad(f)(a), jax.grad(f)(a), rtol=1e-5, atol=1e-5)
    _, t = ad.jvp(f, (a,), (jnp.ones_like(a),))
    np.testing.assert_allclose(t, jax.jvp(f, (a,), (jnp.ones_like(a),))[1], rtol=1e-5)
    h = ad.hvp(f, a, jnp.ones_like(a))
    assert h.shape == a.shape and h.dtype == jnp.float32
    np.testing.assert_allclose(h, jax.jvp(jax.grad(f), (a,), (jnp.ones_like(a),))[1],
                               rtol=1e-4, atol=1e-4)


def test_engine_functions_run_on_plain_arrays_and_under_jit():
    f = lambda x: ad.reduce_sum(ad.exp(x) / (1.0 + x * x))  # noqa: E731
    x = jnp.array([0.1, -0.5, 2.0])
    np.testing.assert_allclose(f(x), jax.jit(f)(x), rtol=1e-6)
    np.testing.assert_allclose(ad.grad(f)(x), ad.grad(f)(x))  # deterministic


def test_gradient_of_constant_function_is_zero():
    g = ad.grad(lambda x: jnp.asarray(3.0))(jnp.ones(3))
    np.testing.assert_array_equal(g, jnp.zeros(3))


def test_bad_input_raises():
    with pytest.raises(ValueError, match="scalar"):
        ad.grad(lambda x: ad.sin(x))(jnp.ones(3))
    with pytest.raises(ValueError, match="tangent"):
        ad.jvp(ad.sin, (jnp.ones(3),), (jnp.ones(2),))
    with pytest.raises(ValueError, match="same length"):
        ad.jvp(ad.sin, (jnp.ones(3),), ())
    with pytest.raises(ValueError, match="v must have the shape"):
        ad.hvp(lambda x: ad.reduce_sum(x), jnp.ones(3), jnp.ones(2))
    with pytest.raises(TypeError, match="float"):
        ad.grad(lambda x: ad.reduce_sum(x))(jnp.arange(3))
    with pytest.raises(ValueError, match="rank 1 or 2"):
        ad.matmul(jnp.ones((2, 2, 2)), jnp.ones(2))
