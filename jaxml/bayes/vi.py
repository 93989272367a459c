"""KL divergences between Gaussians, the reparameterised ELBO and Gaussian VI.

Closed-form KL (Murphy, *Probabilistic Machine Learning: Advanced Topics* §5.1):

.. math::
    \\mathrm{KL}(\\mathcal N(\\mu_q, \\Sigma_q)\\,\\|\\,\\mathcal N(\\mu_p, \\Sigma_p)) =
    \\tfrac12\\big[\\operatorname{tr}(\\Sigma_p^{-1}\\Sigma_q) + (\\mu_p-\\mu_q)^\\top
    \\Sigma_p^{-1}(\\mu_p-\\mu_q) - d + \\log\\det\\Sigma_p - \\log\\det\\Sigma_q\\big],

which for diagonal covariances is a sum of 1-D terms
:math:`\\log(\\sigma_p/\\sigma_q) + (\\sigma_q^2 + (\\mu_q-\\mu_p)^2)/(2\\sigma_p^2) - \\tfrac12`.

ELBO of a mean-field Gaussian :math:`q(z) = \\mathcal N(\\mu, \\mathrm{diag}(\\sigma^2))`,
with :math:`z = \\mu + \\sigma \\odot \\epsilon`, :math:`\\epsilon\\sim\\mathcal N(0, I)`
(reparameterisation trick; Kingma & Welling 2014):

.. math::
    \\mathcal L(\\mu, \\sigma) = \\mathbb E_\\epsilon[\\log p(x, \\mu + \\sigma\\odot\\epsilon)]
    + \\mathcal H[q], \\qquad \\mathcal H[q] = \\sum_i \\log\\sigma_i + \\tfrac d2 \\log(2\\pi e),

a lower bound on :math:`\\log p(x)` with equality iff :math:`q` is the posterior. Its
gradient flows through the samples, so :func:`fit_gaussian_vi` maximises it with Adam.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxml.core import as_key, check_array, check_int, check_positive

__all__ = ["kl_diag_gaussians", "kl_gaussians", "kl_monte_carlo", "DiagGaussian", "elbo",
           "fit_gaussian_vi"]


def kl_diag_gaussians(mu_q: Any, sigma_q: Any, mu_p: Any, sigma_p: Any) -> jax.Array:
    """``KL(N(μ_q, diag σ_q²) ‖ N(μ_p, diag σ_p²))`` summed over the last axis."""
    mu_q = check_array(mu_q, "mu_q", dtype_kind="f")
    sigma_q = check_array(sigma_q, "sigma_q", dtype_kind="f")
    mu_p = check_array(mu_p, "mu_p", dtype_kind="f")
    sigma_p = check_array(sigma_p, "sigma_p", dtype_kind="f")
    for s, name in ((sigma_q, "sigma_q"), (sigma_p, "sigma_p")):
        if not isinstance(s, jax.core.Tracer) and bool(jnp.any(s <= 0)):
            raise ValueError(f"{name} must be positive")
    if not (mu_q.shape == sigma_q.shape == mu_p.shape == sigma_p.shape):
        raise ValueError("mu_q, sigma_q, mu_p, sigma_p must have the same shape, got "
                         f"{mu_q.shape}, {sigma_q.shape}, {mu_p.shape}, {sigma_p.shape}")
    terms = (jnp.log(sigma_p / sigma_q)
             + (sigma_q**2 + (mu_q - mu_p) ** 2) / (2 * sigma_p**2) - 0.5)
    return terms.sum(-1)


def kl_gaussians(mu_q: Any, cov_q: Any, mu_p: Any, cov_p: Any) -> jax.Array:
    """``KL(N(μ_q, Σ_q) ‖ N(μ_p, Σ_p))`` for full covariances, via Cholesky factors."""
    mu_q = check_array(mu_q, "mu_q", ndim=1, dtype_kind="f")
    mu_p = check_array(mu_p, "mu_p", ndim=1, dtype_kind="f")
    cov_q = check_array(cov_q, "cov_q", ndim=2, dtype_kind="f")
    cov_p = check_array(cov_p, "cov_p", ndim=2, dtype_kind="f")
    d = mu_q.shape[0]
    for c, name in ((cov_q, "cov_q"), (cov_p, "cov_p")):
        if c.shape != (d, d):
            raise ValueError(f"{name} must be ({d}, {d}), got {c.shape}")
    if mu_p.shape != (d,):
        raise ValueError(f"mu_p must have shape ({d},), got {mu_p.shape}")
    chol_q = jnp.linalg.cholesky(cov_q)
    chol_p = jnp.linalg.cholesky(cov_p)
    if not isinstance(chol_q, jax.core.Tracer):
        for c, name in ((chol_q, "cov_q"), (chol_p, "cov_p")):
            if not bool(jnp.all(jnp.isfinite(c))):
                raise ValueError(f"{name} must be symmetric positive definite")
    solve = functools.partial(jax.scipy.linalg.solve_triangular, chol_p, lower=True)
    m = solve(mu_p - mu_q)
    trace = jnp.sum(solve(chol_q) ** 2)
    logdet_p = 2 * jnp.sum(jnp.log(jnp.diag(chol_p)))
    logdet_q = 2 * jnp.sum(jnp.log(jnp.diag(chol_q)))
    return 0.5 * (trace + m @ m - d + logdet_p - logdet_q)


def kl_monte_carlo(key: Any, log_q: Callable, log_p: Callable, sample_q: Callable,
                   num_samples: int) -> tuple[jax.Array, jax.Array]:
    """Monte Carlo ``KL(q‖p) ≈ mean(log q(z) - log p(z))``, ``z ~ q``.

    Returns:
      ``(estimate, standard error)``.
    """
    num_samples = check_int(num_samples, "num_samples", minimum=2)
    z = sample_q(as_key(key), num_samples)
    diffs = jax.vmap(log_q)(z) - jax.vmap(log_p)(z)
    return diffs.mean(), diffs.std(ddof=1) / jnp.sqrt(num_samples)


class DiagGaussian(NamedTuple):
    """Variational parameters of ``q = N(loc, diag(exp(log_scale)²))``."""

    loc: jax.Array
    log_scale: jax.Array


def elbo(key: Any, log_joint: Callable[[jax.Array], jax.Array], q: DiagGaussian, *,
         num_samples: int = 1) -> jax.Array:
    """Reparameterised ELBO estimate ``mean_s log p(x, μ + σ ε_s) + H[q]``.

    Args:
      key: PRNG key for ε.
      log_joint: ``z (d,) -> log p(x, z)`` (data closed over).
      q: the variational Gaussian.
      num_samples: Monte Carlo samples of ε (static).
    """
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    eps = jax.random.normal(as_key(key), (num_samples,) + q.loc.shape, q.loc.dtype)
    z = q.loc[None] + jnp.exp(q.log_scale)[None] * eps
    entropy = jnp.sum(q.log_scale) + 0.5 * q.loc.shape[0] * jnp.log(2 * jnp.pi * jnp.e)
    return jax.vmap(log_joint)(z).mean() + entropy


def fit_gaussian_vi(key: Any, log_joint: Callable[[jax.Array], jax.Array], dim: int, *,
                    num_steps: int = 2000, learning_rate: float = 0.05,
                    num_samples: int = 8) -> tuple[DiagGaussian, jax.Array]:
    """Maximise :func:`elbo` over a mean-field Gaussian with Adam (one ``lax.scan``).

    Returns:
      ``(q, elbo_history (num_steps,))``.
    """
    dim = check_int(dim, "dim", minimum=1)
    num_steps = check_int(num_steps, "num_steps", minimum=1)
    check_positive(learning_rate, "learning_rate")
    tx = optax.adam(learning_rate)
    q0 = DiagGaussian(jnp.zeros(dim), jnp.zeros(dim))

    def loss(q, k):
        return -elbo(k, log_joint, q, num_samples=num_samples)

    def step(carry, k):
        q, opt_state = carry
        value, grads = jax.value_and_grad(loss)(q, k)
        updates, opt_state = tx.update(grads, opt_state, q)
        return (optax.apply_updates(q, updates), opt_state), -value

    keys = jax.random.split(as_key(key), num_steps)
    (q, _), history = jax.lax.scan(step, (q0, tx.init(q0)), keys)
    return q, history
