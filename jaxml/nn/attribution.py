r"""Gradient attributions of a scalar model output f(x) (e.g. one class's logit).

* **Saliency** (Simonyan et al. 2014): :math:`\nabla_x f(x)` (its absolute value is the
  usual map).
* **Gradient × input**: :math:`x \odot \nabla_x f(x)`.
* **SmoothGrad** (Smilkov et al. 2017): the saliency averaged over noisy copies,
  :math:`\frac1n\sum_{i=1}^n \nabla_x f(x + \epsilon_i)`,
  :math:`\epsilon_i \sim \mathcal N(0, (\sigma\,(x_{max} - x_{min}))^2 I)` with σ the
  ``noise_level``.
* **Integrated gradients** (Sundararajan et al. 2017) from a baseline x′:
  :math:`\mathrm{IG}_j = (x_j - x'_j)\int_0^1 \partial_j f(x' + \alpha(x - x'))\,d\alpha`,
  by the trapezoidal rule on ``steps`` intervals. It satisfies *completeness*,
  :math:`\sum_j \mathrm{IG}_j = f(x) - f(x')` (the fundamental theorem of calculus on the
  path), up to the quadrature error; :func:`integrated_gradients` returns that gap so a
  caller can raise ``steps`` until it is small.

Each function takes ``f`` mapping one example (no batch axis) to a scalar and ``vmap`` s
over examples itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int, check_positive

ScalarFn = Callable[[jax.Array], jax.Array]


def _scalar_grad(f: ScalarFn) -> ScalarFn:
    def grad(x):
        value = f(x)
        if jnp.ndim(value) != 0:
            raise ValueError(f"f must return a scalar for one example, got shape {jnp.shape(value)}; "
                             "select one output, e.g. lambda x: model(x)[label]")
        return jax.grad(f)(x)

    return grad


def saliency(f: ScalarFn, x: jax.Array) -> jax.Array:
    """∇ₓ f for every example in the batch ``x``."""
    return jax.vmap(_scalar_grad(f))(jnp.asarray(x))


def gradient_times_input(f: ScalarFn, x: jax.Array) -> jax.Array:
    x = jnp.asarray(x)
    return x * saliency(f, x)


def smoothgrad(key: jax.Array, f: ScalarFn, x: jax.Array, *, n_samples: int = 50,
               noise_level: float = 0.15) -> jax.Array:
    """Mean gradient over ``n_samples`` noisy copies of each example (module docstring)."""
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    check_positive(noise_level, "noise_level")
    x = jnp.asarray(x)
    grad = _scalar_grad(f)

    def one(key, example):
        sigma = noise_level * (example.max() - example.min())
        noise = sigma * jax.random.normal(key, (n_samples, *example.shape), example.dtype)
        return jax.vmap(grad)(example + noise).mean(axis=0)

    return jax.vmap(one)(jax.random.split(key, x.shape[0]), x)


class IntegratedGradients(NamedTuple):
    """``attributions`` (shape of x) and ``completeness_gap`` = Σ IG − (f(x) − f(x′)) per example."""

    attributions: jax.Array
    completeness_gap: jax.Array


def integrated_gradients(f: ScalarFn, x: jax.Array, baseline: jax.Array | None = None, *,
                         steps: int = 64) -> IntegratedGradients:
    """Integrated gradients along the straight path from ``baseline`` (zeros by default,
    one baseline for all examples or one per example) to each example."""
    steps = check_int(steps, "steps", minimum=1)
    x = jnp.asarray(x)
    baseline = jnp.zeros_like(x) if baseline is None else jnp.broadcast_to(jnp.asarray(baseline, x.dtype), x.shape)
    grad = _scalar_grad(f)
    alphas = jnp.linspace(0.0, 1.0, steps + 1, dtype=x.dtype)
    weights = jnp.full(steps + 1, 1.0 / steps, x.dtype).at[jnp.array([0, steps])].set(0.5 / steps)  # trapezoid

    def one(example, base):
        path = base + alphas.reshape(-1, *([1] * example.ndim)) * (example - base)
        mean_grad = jnp.tensordot(weights, jax.vmap(grad)(path), axes=1)
        attributions = (example - base) * mean_grad
        return attributions, attributions.sum() - (f(example) - f(base))

    attributions, gap = jax.vmap(one)(x, baseline)
    return IntegratedGradients(attributions, gap)
