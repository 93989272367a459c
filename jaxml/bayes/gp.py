"""Gaussian-process regression in NumPyro with hyperpriors on the kernel.

Kernel: a scaled squared exponential, :math:`k(x, x') = s^2 \\exp(-\\lVert x - x'
\\rVert^2 / 2\\ell^2)`, observation noise variance :math:`\\sigma^2`. The marginal
likelihood :math:`y \\sim \\mathcal N(0, K + \\sigma^2 I)` is the NumPyro model
(:func:`model`); log-normal priors on :math:`s, \\ell, \\sigma` let NUTS sample the
hyperparameters (Rasmussen & Williams 2006, ch. 2 and 5).

For one hyperparameter setting the predictive of the latent :math:`f^*` is

.. math::
    \\mu^* = K_{*X} (K + \\sigma^2 I)^{-1} y, \\qquad
    \\Sigma^* = K_{**} - K_{*X} (K + \\sigma^2 I)^{-1} K_{X*},

computed with a Cholesky factor (Algorithm 2.1 of R&W). The fully Bayesian predictive
mixes these over the hyperparameter posterior: mean :math:`\\mathbb E[\\mu^*]`, variance
:math:`\\mathbb E[\\Sigma^*_{ii}] + \\mathrm{Var}[\\mu^*_i]` (+ :math:`\\mathbb E\\sigma^2`
for a new noisy observation), evaluated ``chunk_size`` samples at a time with
``lax.map`` so memory stays bounded. :func:`gp_nuts` packages NUTS and this predictive as
an estimator.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from jaxml.bayes.inference import run_nuts
from jaxml.classical import kernels
from jaxml.core import (
    Regressor,
    as_key,
    check_int,
    check_n_features,
    check_X,
    check_X_y,
    pytree_dataclass,
)
from jaxml.core.estimator import PredictiveSamples

__all__ = ["rbf_kernel", "model", "predict", "fit_nuts", "GPPrediction",
           "posterior_predictive", "GPPosterior", "gp_nuts"]


def rbf_kernel(X1: jax.Array, X2: jax.Array, amplitude: Any, lengthscale: Any) -> jax.Array:
    """``s² exp(-|x - x'|² / (2ℓ²))`` between the rows of ``X1`` and ``X2``: the canonical
    :func:`jaxml.classical.kernels.rbf_kernel` with ``γ = 1/2`` on inputs scaled by ``1/ℓ``."""
    scaled = 1.0 / lengthscale
    return amplitude**2 * kernels.rbf_kernel(X1 * scaled, X2 * scaled, gamma=0.5)


def model(X: jax.Array, y: jax.Array | None = None, *, jitter: float = 1e-6,
          amplitude_prior: tuple[float, float] = (0.0, 1.0),
          lengthscale_prior: tuple[float, float] = (0.0, 1.0),
          noise_prior: tuple[float, float] = (-2.0, 1.0)) -> None:
    """NumPyro GP regression model with log-normal hyperpriors.

    Args:
      X: inputs ``(n, d)``.
      y: targets ``(n,)`` or ``None`` (then ``y`` is sampled from the prior marginal).
      jitter: added to the diagonal for numerical stability.
      amplitude_prior, lengthscale_prior, noise_prior: ``(loc, scale)`` of the log-normal
        priors on ``amplitude`` s, ``lengthscale`` ℓ and ``noise`` σ.
    """
    amplitude = numpyro.sample("amplitude", dist.LogNormal(*amplitude_prior))
    lengthscale = numpyro.sample("lengthscale", dist.LogNormal(*lengthscale_prior))
    noise = numpyro.sample("noise", dist.LogNormal(*noise_prior))
    n = X.shape[0]
    cov = rbf_kernel(X, X, amplitude, lengthscale) + (noise**2 + jitter) * jnp.eye(n)
    numpyro.sample("y", dist.MultivariateNormal(jnp.zeros(n), covariance_matrix=cov), obs=y)


def _predict(X, y, X_new, amplitude, lengthscale, noise, jitter):
    k_xx = rbf_kernel(X, X, amplitude, lengthscale) + (noise**2 + jitter) * jnp.eye(X.shape[0])
    chol = jnp.linalg.cholesky(k_xx)
    k_xs = rbf_kernel(X, X_new, amplitude, lengthscale)
    alpha = jax.scipy.linalg.cho_solve((chol, True), y)
    mean = k_xs.T @ alpha
    v = jax.scipy.linalg.solve_triangular(chol, k_xs, lower=True)
    var = amplitude**2 - jnp.sum(v**2, axis=0)
    return mean, jnp.maximum(var, 0.0)


def predict(X: Any, y: Any, X_new: Any, *, amplitude: Any, lengthscale: Any, noise: Any,
            jitter: float = 1e-6) -> tuple[jax.Array, jax.Array]:
    """Latent predictive mean and variance at ``X_new`` for fixed hyperparameters.

    Equals scikit-learn's ``GaussianProcessRegressor(kernel=ConstantKernel(s²) *
    RBF(ℓ), alpha=σ² + jitter, optimizer=None)``: ``predict(X_new, return_std=True)``.
    Add ``noise**2`` to the variance for a new noisy observation.
    """
    X, y = check_X_y(X, y)
    X_new = check_X(X_new, "X_new")
    if X_new.shape[1] != X.shape[1]:
        raise ValueError(f"X_new must have {X.shape[1]} columns, got {X_new.shape[1]}")
    return _predict(X, y, X_new, amplitude, lengthscale, noise, jitter)


def fit_nuts(key: Any, X: Any, y: Any, *, num_warmup: int = 500, num_samples: int = 500,
             **hyper: Any) -> dict[str, jax.Array]:
    """NUTS samples of ``amplitude``, ``lengthscale``, ``noise`` under :func:`model`."""
    X, y = check_X_y(X, y)
    return run_nuts(key, model, X, y, num_warmup=num_warmup, num_samples=num_samples, **hyper)


class GPPrediction(NamedTuple):
    """Fully Bayesian GP predictive.

    Attributes:
      mean: ``(m,)`` predictive mean.
      variance: ``(m,)`` predictive variance of a new noisy observation.
      latent_variance: ``(m,)`` predictive variance of the latent function.
      samples: ``(S, m)`` draws of ``f*`` (one joint draw per hyperparameter sample,
        marginal per point) — or ``None`` when not requested.
    """

    mean: jax.Array
    variance: jax.Array
    latent_variance: jax.Array
    samples: jax.Array | None


def posterior_predictive(key: Any, samples: dict, X: Any, y: Any, X_new: Any, *,
                         chunk_size: int = 50, jitter: float = 1e-6,
                         return_samples: bool = True) -> GPPrediction:
    """Mix the fixed-hyperparameter predictive over NUTS hyperparameter samples.

    Per-sample means/variances are computed with ``lax.map(..., batch_size=chunk_size)``
    (vectorised within a chunk, sequential across chunks).
    """
    X, y = check_X_y(X, y)
    X_new = check_X(X_new, "X_new")
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    for name in ("amplitude", "lengthscale", "noise"):
        if name not in samples:
            raise ValueError(f"samples must contain {name!r}")
    hyper = (samples["amplitude"], samples["lengthscale"], samples["noise"])
    means, variances = jax.lax.map(
        lambda h: _predict(X, y, X_new, h[0], h[1], h[2], jitter), hyper,
        batch_size=chunk_size)
    mean = means.mean(0)
    latent_var = variances.mean(0) + means.var(0)
    noise_var = jnp.mean(samples["noise"] ** 2)
    draws = None
    if return_samples:
        eps = jax.random.normal(as_key(key), means.shape)
        draws = means + jnp.sqrt(variances) * eps
    return GPPrediction(mean=mean, variance=latent_var + noise_var,
                        latent_variance=latent_var, samples=draws)


@pytree_dataclass
class GPPosterior:
    """Training data and NUTS samples ``{amplitude, lengthscale, noise}`` of :func:`model`."""

    X_fit: jax.Array
    y_fit: jax.Array
    samples: dict


def gp_nuts(*, num_warmup: int = 500, num_samples: int = 500, jitter: float = 1e-6,
            chunk_size: int = 50, amplitude_prior: tuple[float, float] = (0.0, 1.0),
            lengthscale_prior: tuple[float, float] = (0.0, 1.0),
            noise_prior: tuple[float, float] = (-2.0, 1.0)) -> Regressor:
    """Fully Bayesian GP regression: NUTS over the hyperparameters of :func:`model`.

    Args:
      num_warmup, num_samples: NUTS budget (static); ``num_samples`` is also S, the
        number of predictive draws.
      jitter, amplitude_prior, lengthscale_prior, noise_prior: as in :func:`model`.
      chunk_size: hyperparameter samples evaluated together at prediction.

    Returns:
      ``Regressor(fit, predict, predict_std, predict_samples)``: ``fit(key, X, y) ->
      GPPosterior``; ``predict`` the mixture mean; ``predict_std`` the standard deviation
      of a new noisy observation (:class:`GPPrediction`'s ``variance``);
      ``predict_samples(key, params, X)`` one draw of ``f*`` per hyperparameter sample
      with that sample's ``noise²``.
    """
    num_warmup = check_int(num_warmup, "num_warmup", minimum=1)
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    priors = dict(amplitude_prior=amplitude_prior, lengthscale_prior=lengthscale_prior,
                  noise_prior=noise_prior)

    def fit(key: Any, X: Any, y: Any) -> GPPosterior:
        X, y = check_X_y(X, y)
        samples = fit_nuts(key, X, y, num_warmup=num_warmup, num_samples=num_samples,
                           jitter=jitter, **priors)
        return GPPosterior(X, y, samples)

    def _predictive(key, params: GPPosterior, X: Any, draws: bool) -> GPPrediction:
        X = check_X(X)
        check_n_features(X, params.X_fit.shape[1])
        return posterior_predictive(key, params.samples, params.X_fit, params.y_fit, X,
                                    chunk_size=chunk_size, jitter=jitter,
                                    return_samples=draws)

    def predict(params: GPPosterior, X: Any) -> jax.Array:
        return _predictive(0, params, X, False).mean

    def predict_std(params: GPPosterior, X: Any) -> jax.Array:
        return jnp.sqrt(_predictive(0, params, X, False).variance)

    def predict_samples(key: Any, params: GPPosterior, X: Any) -> PredictiveSamples:
        pred = _predictive(key, params, X, True)
        noise = jnp.broadcast_to(jnp.square(params.samples["noise"])[:, None],
                                 pred.samples.shape)
        return PredictiveSamples(pred.samples, noise)

    return Regressor(fit, predict, predict_std, predict_samples)
