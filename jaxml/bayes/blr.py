"""Bayesian linear regression: a NumPyro model and its conjugate closed forms.

Model (no intercept; append a column of ones to ``X`` for one):

.. math::
    y_i \\mid w, \\sigma^2 \\sim \\mathcal N(x_i^\\top w, \\sigma^2).

**Known noise** (``noise_scale=σ`` given), prior :math:`w \\sim \\mathcal N(0, \\tau^2 I)`:

.. math::
    \\Sigma_n = (X^\\top X / \\sigma^2 + I / \\tau^2)^{-1}, \\qquad
    \\mu_n = \\Sigma_n X^\\top y / \\sigma^2,

and the predictive at :math:`x^*` is :math:`\\mathcal N(x^{*\\top}\\mu_n,\\ \\sigma^2 +
x^{*\\top}\\Sigma_n x^*)` (Bishop, PRML §3.3).

**Unknown noise**, Normal–Inverse-Gamma prior :math:`\\sigma^2 \\sim \\mathrm{IG}(a_0, b_0)`,
:math:`w \\mid \\sigma^2 \\sim \\mathcal N(0, \\sigma^2 \\tau^2 I)`:

.. math::
    V_n = (I/\\tau^2 + X^\\top X)^{-1},\\quad m_n = V_n X^\\top y,\\quad
    a_n = a_0 + n/2,\\quad b_n = b_0 + \\tfrac12 (y^\\top y - m_n^\\top V_n^{-1} m_n),

so :math:`\\sigma^2 \\mid \\mathcal D \\sim \\mathrm{IG}(a_n, b_n)` and marginally
:math:`w \\mid \\mathcal D \\sim t_{2a_n}(m_n, (b_n/a_n) V_n)`, with mean :math:`m_n` and
covariance :math:`b_n/(a_n-1)\\, V_n` (Murphy, *Machine Learning: a Probabilistic
Perspective*, §7.6.3).

NUTS (:func:`jaxml.bayes.inference.run_nuts`) and SVI with a full-rank Gaussian guide
(:func:`fit_svi`) on :func:`model` recover these posteriors up to Monte Carlo error.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.infer.autoguide import AutoMultivariateNormal

from jaxml.bayes.inference import SVIFit, run_nuts, run_svi
from jaxml.core import check_positive, check_X, check_X_y, pytree_dataclass

__all__ = [
    "model",
    "GaussianPosterior",
    "NIGPosterior",
    "posterior_known_noise",
    "posterior_nig",
    "predict_known_noise",
    "fit_nuts",
    "fit_svi",
]


def model(X: jax.Array, y: jax.Array | None = None, *, prior_scale: float = 1.0,
          noise_scale: float | None = None, a0: float = 2.0, b0: float = 1.0) -> None:
    """NumPyro model of Bayesian linear regression.

    Args:
      X: design matrix ``(n, d)``.
      y: targets ``(n,)``; ``None`` to sample predictions (site ``"y"``).
      prior_scale: τ, the prior standard deviation of each weight (scaled by σ in the
        unknown-noise model).
      noise_scale: known noise standard deviation σ; ``None`` puts the conjugate
        inverse-gamma prior ``IG(a0, b0)`` on σ² (site ``"sigma2"``).
      a0, b0: shape and scale of the inverse-gamma prior.

    Sites: ``"w"`` (d,), ``"sigma2"`` (unknown-noise only), ``"mean"`` (deterministic
    ``Xw``), ``"y"``.
    """
    d = X.shape[1]
    if noise_scale is None:
        sigma2 = numpyro.sample("sigma2", dist.InverseGamma(a0, b0))
        w_scale = prior_scale * jnp.sqrt(sigma2)
    else:
        sigma2 = jnp.square(noise_scale)
        w_scale = prior_scale
    w = numpyro.sample("w", dist.Normal(jnp.zeros(d), w_scale).to_event(1))
    mean = numpyro.deterministic("mean", X @ w)
    with numpyro.plate("data", X.shape[0]):
        numpyro.sample("y", dist.Normal(mean, jnp.sqrt(sigma2)), obs=y)


@pytree_dataclass
class GaussianPosterior:
    """``w | D ~ N(mean, cov)``."""

    mean: jax.Array
    cov: jax.Array


@pytree_dataclass
class NIGPosterior:
    """Normal–inverse-gamma posterior: ``σ² ~ IG(a, b)``, ``w | σ² ~ N(mean, σ² V)``."""

    mean: jax.Array
    V: jax.Array
    a: jax.Array
    b: jax.Array

    @property
    def weight_cov(self) -> jax.Array:
        """Marginal covariance of ``w`` (Student-t): ``b/(a-1) · V`` (needs ``a > 1``)."""
        return self.b / (self.a - 1.0) * self.V

    @property
    def sigma2_mean(self) -> jax.Array:
        """Posterior mean of σ²: ``b/(a-1)``."""
        return self.b / (self.a - 1.0)

    @property
    def sigma2_var(self) -> jax.Array:
        """Posterior variance of σ²: ``b²/((a-1)²(a-2))`` (needs ``a > 2``)."""
        return self.b**2 / ((self.a - 1.0) ** 2 * (self.a - 2.0))


def _spd_inverse(A: jax.Array) -> jax.Array:
    chol = jnp.linalg.cholesky(A)
    eye = jnp.eye(A.shape[0], dtype=A.dtype)
    inv_chol = jax.scipy.linalg.solve_triangular(chol, eye, lower=True)
    return inv_chol.T @ inv_chol


def posterior_known_noise(X: Any, y: Any, *, prior_scale: float = 1.0,
                          noise_scale: float = 1.0) -> GaussianPosterior:
    """Exact posterior of :func:`model` with known noise (see module docstring)."""
    X, y = check_X_y(X, y)
    check_positive(prior_scale, "prior_scale")
    check_positive(noise_scale, "noise_scale")
    precision = X.T @ X / noise_scale**2 + jnp.eye(X.shape[1]) / prior_scale**2
    cov = _spd_inverse(precision)
    return GaussianPosterior(mean=cov @ (X.T @ y) / noise_scale**2, cov=cov)


def posterior_nig(X: Any, y: Any, *, prior_scale: float = 1.0, a0: float = 2.0,
                  b0: float = 1.0) -> NIGPosterior:
    """Exact normal–inverse-gamma posterior of :func:`model` with unknown noise."""
    X, y = check_X_y(X, y)
    for value, name in ((prior_scale, "prior_scale"), (a0, "a0"), (b0, "b0")):
        check_positive(value, name)
    precision = jnp.eye(X.shape[1]) / prior_scale**2 + X.T @ X
    V = _spd_inverse(precision)
    mean = V @ (X.T @ y)
    a = a0 + X.shape[0] / 2.0
    b = b0 + 0.5 * (y @ y - mean @ precision @ mean)
    return NIGPosterior(mean=mean, V=V, a=jnp.asarray(a), b=b)


def predict_known_noise(posterior: GaussianPosterior, X_new: Any, *,
                        noise_scale: float = 1.0) -> tuple[jax.Array, jax.Array]:
    """Predictive mean and variance ``(x·μ, σ² + xᵀΣx)`` at the rows of ``X_new``."""
    X_new = check_X(X_new, "X_new")
    if X_new.shape[1] != posterior.mean.shape[0]:
        raise ValueError(f"X_new must have {posterior.mean.shape[0]} columns, "
                         f"got {X_new.shape[1]}")
    mean = X_new @ posterior.mean
    var = noise_scale**2 + jnp.einsum("nd,de,ne->n", X_new, posterior.cov, X_new)
    return mean, var


def fit_nuts(key: Any, X: Any, y: Any, *, num_warmup: int = 500, num_samples: int = 1000,
             **hyper: Any) -> dict[str, jax.Array]:
    """NUTS samples of ``w`` (and ``sigma2``) for :func:`model`; ``hyper`` as in the model."""
    X, y = check_X_y(X, y)
    return run_nuts(key, model, X, y, num_warmup=num_warmup, num_samples=num_samples, **hyper)


def fit_svi(key: Any, X: Any, y: Any, *, num_steps: int = 3000, learning_rate: float = 0.02,
            **hyper: Any) -> SVIFit:
    """SVI with a full-rank Gaussian guide (``AutoMultivariateNormal``) for :func:`model`.

    With known noise the posterior is Gaussian, so the guide family contains it and the
    optimum is exact.
    """
    X, y = check_X_y(X, y)
    guide = AutoMultivariateNormal(model)
    return run_svi(key, model, guide, X, y, num_steps=num_steps, learning_rate=learning_rate,
                   **hyper)
