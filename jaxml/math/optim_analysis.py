r"""Numerical checks of convexity, Lipschitz constants and Jensen's inequality.

* **Second-order convexity**: a twice-differentiable :math:`f` is convex on a convex
  set iff :math:`∇^2 f(x) ⪰ 0` everywhere on it. :func:`hessian_min_eigenvalue` samples
  points in a box and returns the smallest Hessian eigenvalue seen: a negative value
  *proves* non-convexity (with a witness point); a non-negative one is evidence only.
* **Midpoint convexity**: :math:`f(\frac{x+y}{2}) ≤ \frac{f(x)+f(y)}{2}` for all pairs
  (for continuous :math:`f` equivalent to convexity). :func:`midpoint_convexity_violation`
  returns the largest violation over random pairs.
* **Lipschitz constants**: :math:`|f(x) - f(y)| ≤ L\|x - y\|` with
  :math:`L = \sup\|∇f\|` (:func:`lipschitz_estimate`, a lower bound from samples); the
  gradient's Lipschitz constant (smoothness) :math:`\sup λ_{\max}(∇^2 f)` for convex
  :math:`f` (:func:`smoothness_estimate`); for a linear map :math:`x ↦ Wx` the constant
  is the spectral norm :math:`σ_{\max}(W)`, found by power iteration on :math:`W^⊤W`
  (:func:`spectral_norm`).
* **Jensen's inequality**: :math:`f(\mathbb E X) ≤ \mathbb E f(X)` for convex :math:`f`
  (reversed for concave); :func:`jensen_gap` estimates :math:`\mathbb E f(X) - f(\mathbb E X)`
  from samples, e.g. :math:`\mathbb E e^X - e^{\mathbb E X} = e^{μ}(e^{σ^2/2} - 1)` for
  :math:`X \sim N(μ, σ^2)`.

Reference: Boyd & Vandenberghe, *Convex Optimization* (2004), §3.1; Nesterov,
*Lectures on Convex Optimization* (2018), §1.2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core import check_array, check_int, is_traced

__all__ = [
    "ConvexityCheck",
    "hessian_min_eigenvalue",
    "midpoint_convexity_violation",
    "lipschitz_estimate",
    "smoothness_estimate",
    "spectral_norm",
    "jensen_gap",
]


def _box_samples(key, lower, upper, num):
    lower = check_array(lower, "lower", ndim=1, dtype_kind="f")
    upper = check_array(upper, "upper", ndim=1, dtype_kind="f")
    if lower.shape != upper.shape:
        raise ValueError(f"lower and upper must have the same shape, got {lower.shape} and "
                         f"{upper.shape}")
    if not (is_traced(lower) or is_traced(upper)) and not bool(jnp.all(upper > lower)):
        raise ValueError("upper must be > lower in every coordinate")
    num = check_int(num, "num_samples", minimum=1)
    u = jax.random.uniform(key, (num, lower.shape[0]), lower.dtype)
    return lower + u * (upper - lower)


class ConvexityCheck(NamedTuple):
    """The worst value found and the point (or pair) where it occurs."""

    value: jax.Array
    witness: jax.Array


def hessian_min_eigenvalue(key: jax.Array, fun: Callable, lower, upper, *,
                           num_samples: int = 256) -> ConvexityCheck:
    """Smallest eigenvalue of :math:`∇^2 f` over uniform samples in ``[lower, upper]``.

    Returns ``ConvexityCheck(value, witness)``; ``value < 0`` (beyond round-off) shows
    ``fun`` is not convex on the box, at ``witness``.
    """
    xs = _box_samples(key, lower, upper, num_samples)
    eig = jax.vmap(lambda x: jnp.linalg.eigvalsh(jax.hessian(fun)(x))[0])(xs)
    i = jnp.argmin(eig)
    return ConvexityCheck(value=eig[i], witness=xs[i])


def midpoint_convexity_violation(key: jax.Array, fun: Callable, lower, upper, *,
                                 num_samples: int = 1024) -> ConvexityCheck:
    """Largest :math:`f(\\frac{x+y}{2}) - \\frac{f(x)+f(y)}{2}` over random pairs in the box.

    ``value > 0`` proves non-convexity; ``witness`` is the ``(2, d)`` pair.
    """
    k1, k2 = jax.random.split(key)
    xs = _box_samples(k1, lower, upper, num_samples)
    ys = _box_samples(k2, lower, upper, num_samples)
    f = jax.vmap(fun)
    gap = f(0.5 * (xs + ys)) - 0.5 * (f(xs) + f(ys))
    i = jnp.argmax(gap)
    return ConvexityCheck(value=gap[i], witness=jnp.stack([xs[i], ys[i]]))


def lipschitz_estimate(key: jax.Array, fun: Callable, lower, upper, *,
                       num_samples: int = 1024) -> jax.Array:
    """:math:`\\max_i \\|∇f(x_i)\\|_2` over uniform samples: a lower bound on the Lipschitz
    constant of ``fun`` on the box (equal to it when the sup is attained near a sample).
    """
    xs = _box_samples(key, lower, upper, num_samples)
    return jnp.max(jax.vmap(lambda x: jnp.linalg.norm(jax.grad(fun)(x)))(xs))


def smoothness_estimate(key: jax.Array, fun: Callable, lower, upper, *,
                        num_samples: int = 256) -> jax.Array:
    """:math:`\\max_i \\|∇^2 f(x_i)\\|_2` over samples: the gradient's Lipschitz constant
    (the ``L`` of "L-smooth", which sets the safe gradient step ``1/L``)."""
    xs = _box_samples(key, lower, upper, num_samples)
    return jnp.max(jax.vmap(lambda x: jnp.max(jnp.abs(jnp.linalg.eigvalsh(
        jax.hessian(fun)(x)))))(xs))


def spectral_norm(key: jax.Array, W, *, num_iters: int = 100) -> jax.Array:
    """:math:`σ_{\\max}(W)` by power iteration on :math:`W^⊤W` from a random start.

    This is the Lipschitz constant of :math:`x ↦ Wx` in the ℓ2 norm (as used for
    spectral normalisation, Miyato et al. 2018). Converges at the rate
    :math:`(σ_2/σ_1)^{2k}`.
    """
    W = check_array(W, "W", ndim=2, dtype_kind="f")
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    v0 = jax.random.normal(key, (W.shape[1],), W.dtype)

    def body(_, v):
        u = W.T @ (W @ v)
        return u / jnp.linalg.norm(u)

    v = jax.lax.fori_loop(0, num_iters, body, v0 / jnp.linalg.norm(v0))
    return jnp.linalg.norm(W @ v)


def jensen_gap(fun: Callable, samples) -> jax.Array:
    """:math:`\\frac1n\\sum_i f(x_i) - f(\\bar x)`: ≥ 0 for convex ``fun`` (exactly, for
    the empirical distribution), ≤ 0 for concave.

    Args:
      fun: function of one sample (scalar or vector).
      samples: ``(n,)`` or ``(n, d)`` draws of :math:`X`.
    """
    samples = check_array(samples, "samples", ndim=(1, 2), dtype_kind="f")
    return jnp.mean(jax.vmap(fun)(samples)) - fun(jnp.mean(samples, axis=0))
