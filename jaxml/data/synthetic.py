"""Synthetic data generators (pure JAX, key first).

* ``make_regression``: y = X w + ε with X ~ N(0, I), w ~ N(0, I), ε ~ N(0, noise²).
* ``make_blobs``: isotropic Gaussian clusters around centres drawn in [-10, 10]^d.
* ``make_moons``: two interleaved half circles (scikit-learn's parameterisation).
* ``make_spirals``: ``n_arms`` interleaved Archimedean spirals r = θ.
* ``sample_density2d``: the 2-D densities used to test generative models
  ("two_moons", "eight_gaussians", "checkerboard", "ring").
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int, check_option, check_positive

DENSITIES = ("two_moons", "eight_gaussians", "checkerboard", "ring")


def make_regression(key: jax.Array, n: int, d: int, *, noise: float = 0.1):
    """``(X (n, d), y (n,), w (d,))`` of a linear model with Gaussian noise."""
    check_int(n, "n", minimum=1)
    check_int(d, "d", minimum=1)
    check_positive(noise, "noise", strict=False)
    kx, kw, ke = jax.random.split(key, 3)
    X = jax.random.normal(kx, (n, d))
    w = jax.random.normal(kw, (d,))
    y = X @ w + noise * jax.random.normal(ke, (n,))
    return X, y, w


def make_blobs(key: jax.Array, n: int, *, centers: int = 3, d: int = 2, std: float = 1.0):
    """``(X (n, d), y (n,))``: ``centers`` Gaussian clusters, labels balanced round-robin."""
    check_int(n, "n", minimum=1)
    check_int(centers, "centers", minimum=1)
    check_int(d, "d", minimum=1)
    check_positive(std, "std")
    kc, kx = jax.random.split(key)
    means = jax.random.uniform(kc, (centers, d), minval=-10.0, maxval=10.0)
    y = jnp.arange(n) % centers
    X = means[y] + std * jax.random.normal(kx, (n, d))
    return X, y.astype(jnp.int32)


def make_moons(key: jax.Array, n: int, *, noise: float = 0.1):
    """``(X (n, 2), y (n,))``: upper half circle (label 0) and shifted lower one (label 1)."""
    check_int(n, "n", minimum=2)
    check_positive(noise, "noise", strict=False)
    n_out = n // 2
    t_out = jnp.linspace(0.0, jnp.pi, n_out)
    t_in = jnp.linspace(0.0, jnp.pi, n - n_out)
    outer = jnp.stack([jnp.cos(t_out), jnp.sin(t_out)], axis=1)
    inner = jnp.stack([1.0 - jnp.cos(t_in), 0.5 - jnp.sin(t_in)], axis=1)
    X = jnp.concatenate([outer, inner]) + noise * jax.random.normal(key, (n, 2))
    y = jnp.concatenate([jnp.zeros(n_out, jnp.int32), jnp.ones(n - n_out, jnp.int32)])
    return X, y


def make_spirals(key: jax.Array, n: int, *, n_arms: int = 2, noise: float = 0.1):
    """``(X (n, 2), y (n,))``: arm k is r = θ rotated by 2πk / n_arms, θ ∈ [0.5, 3π]."""
    check_int(n, "n", minimum=1)
    check_int(n_arms, "n_arms", minimum=2)
    check_positive(noise, "noise", strict=False)
    kt, ke = jax.random.split(key)
    y = jnp.arange(n) % n_arms
    theta = jax.random.uniform(kt, (n,), minval=0.5, maxval=3 * jnp.pi)
    phase = 2 * jnp.pi * y / n_arms
    X = jnp.stack([theta * jnp.cos(theta + phase), theta * jnp.sin(theta + phase)], axis=1)
    return X / (3 * jnp.pi) + noise * jax.random.normal(ke, (n, 2)), y.astype(jnp.int32)


def sample_density2d(key: jax.Array, name: str, n: int) -> jax.Array:
    """``n`` samples (n, 2) from a named 2-D density."""
    check_option(name, "name", DENSITIES)
    check_int(n, "n", minimum=1)
    k1, k2 = jax.random.split(key)
    if name == "two_moons":
        return make_moons(k1, n, noise=0.05)[0]
    if name == "eight_gaussians":
        angles = 2 * jnp.pi * jax.random.randint(k1, (n,), 0, 8) / 8
        centres = 2.0 * jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=1)
        return centres + 0.1 * jax.random.normal(k2, (n, 2))
    if name == "checkerboard":
        u = jax.random.uniform(k1, (n, 2), minval=0.0, maxval=1.0)
        cell = jax.random.randint(k2, (n, 2), 0, 4)
        # squares where (column + row) is even, on a 4x4 board over [-2, 2]^2
        row = (cell[:, 1] + (cell[:, 0] % 2)) % 4
        row = row - (row % 2) + (cell[:, 0] % 2)
        return jnp.stack([cell[:, 0] + u[:, 0], row + u[:, 1]], axis=1) - 2.0
    radius = 2.0 + 0.1 * jax.random.normal(k1, (n,))
    angle = jax.random.uniform(k2, (n,), minval=0.0, maxval=2 * jnp.pi)
    return jnp.stack([radius * jnp.cos(angle), radius * jnp.sin(angle)], axis=1)
