r"""Bayesian linear regression: the closed-form posterior and evidence maximisation.

Bishop, PRML §3.3: with prior :math:`w \sim \mathcal N(0, \lambda^{-1} I)` and noise
variance :math:`\sigma^2`, the posterior is :math:`\mathcal N(m, S)`,
:math:`S = (\lambda I + X_c^\top X_c/\sigma^2)^{-1}`, :math:`m = S X_c^\top y_c / \sigma^2`,
and the predictive distribution at :math:`x` is
:math:`\mathcal N(x_c^\top m,\ \sigma^2 + x_c^\top S x_c)` (the intercept has a flat
prior and is removed by centring). :func:`bayesian_ridge` also fits :math:`\lambda` and
:math:`\sigma^2` by evidence maximisation with MacKay's (1992) fixed-point updates, as
scikit-learn's ``BayesianRidge`` does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_factor, cho_solve

from jaxml.classical.linear.common import center, check_fit_intercept, check_tol
from jaxml.core import (
    Regressor,
    check_int,
    check_n_features,
    check_positive,
    check_X,
    check_X_y,
    pytree_dataclass,
)

__all__ = ["BayesianLinearParams", "bayesian_linear_regression", "bayesian_ridge"]


@pytree_dataclass
class BayesianLinearParams:
    """Gaussian posterior over the slopes of a linear model.

    Attributes:
      coef: posterior mean ``m`` of the slopes, ``(d,)``.
      intercept: ``ȳ - x̄ᵀm``.
      cov: posterior covariance ``S``, ``(d, d)``.
      x_offset: column means used to centre inputs, ``(d,)``.
      noise_var: noise variance ``σ²``.
      prior_precision: prior precision ``λ`` of the slopes.
      n_iter: evidence-maximisation iterations (0 when hyperparameters are fixed).
    """

    coef: jax.Array
    intercept: jax.Array
    cov: jax.Array
    x_offset: jax.Array
    noise_var: jax.Array
    prior_precision: jax.Array
    n_iter: jax.Array


def _blr_posterior(Xc, yc, prior_precision, noise_var):
    d = Xc.shape[1]
    precision = prior_precision * jnp.eye(d, dtype=Xc.dtype) + Xc.T @ Xc / noise_var
    factor = cho_factor(precision)
    cov = cho_solve(factor, jnp.eye(d, dtype=Xc.dtype))
    mean = cho_solve(factor, Xc.T @ yc) / noise_var
    return mean, cov


def _blr_predict(params: BayesianLinearParams, X, return_std: bool = False):
    X = check_X(X)
    check_n_features(X, params.coef.shape[0])
    mean = X @ params.coef + params.intercept
    if not return_std:
        return mean
    Xc = X - params.x_offset[None, :]
    var = jnp.sum((Xc @ params.cov) * Xc, axis=1) + params.noise_var
    return mean, jnp.sqrt(var)


def bayesian_linear_regression(
    alpha_prior=1.0, noise_var=1.0, *, fit_intercept: bool = True
) -> Regressor:
    """Bayesian linear regression with fixed prior precision and noise variance.

    Prior ``w ~ N(0, α⁻¹ I)`` (``α = alpha_prior``), likelihood ``y ~ N(Xw + b, σ²)``
    (``σ² = noise_var``), flat prior on the intercept (handled by centring). The posterior
    ``N(m, S)`` is closed form; ``predict(params, X, return_std=True)`` gives the
    predictive mean ``x_cᵀm + ȳ`` and standard deviation ``sqrt(σ² + x_cᵀ S x_c)``.

    Args:
      alpha_prior: prior precision of the slopes ``> 0`` (traceable).
      noise_var: observation noise variance ``> 0`` (traceable).
      fit_intercept: centre the data and fit an intercept.
    """
    check_positive(alpha_prior, "alpha_prior")
    check_positive(noise_var, "noise_var")
    fit_intercept = check_fit_intercept(fit_intercept)

    def fit(X, y) -> BayesianLinearParams:
        X, y = check_X_y(X, y)
        Xc, yc, x_mean, y_mean = center(X, y, fit_intercept)
        lam = jnp.asarray(alpha_prior, X.dtype)
        s2 = jnp.asarray(noise_var, X.dtype)
        mean, cov = _blr_posterior(Xc, yc, lam, s2)
        return BayesianLinearParams(
            coef=mean,
            intercept=y_mean - x_mean @ mean,
            cov=cov,
            x_offset=x_mean,
            noise_var=s2,
            prior_precision=lam,
            n_iter=jnp.asarray(0),
        )

    return Regressor(fit=fit, predict=_blr_predict)


def bayesian_ridge(
    *,
    max_iter: int = 300,
    tol: float = 1e-3,
    alpha_1: float = 1e-6,
    alpha_2: float = 1e-6,
    lambda_1: float = 1e-6,
    lambda_2: float = 1e-6,
    alpha_init=None,
    lambda_init=None,
    fit_intercept: bool = True,
) -> Regressor:
    """Bayesian linear regression whose hyperparameters maximise the evidence.

    scikit-learn's ``BayesianRidge`` parameterisation: noise precision ``α = 1/σ²`` with a
    ``Gamma(alpha_1, alpha_2)`` hyperprior, weight precision ``λ`` with
    ``Gamma(lambda_1, lambda_2)``. With the eigenvalues ``e_i`` of ``X_cᵀX_c``, each
    iteration computes the posterior mean ``m`` for the current ``(α, λ)``, then MacKay's
    updates ``γ = Σ αe_i/(λ + αe_i)``, ``λ ← (γ + 2λ₁)/(||m||² + 2λ₂)``,
    ``α ← (n - γ + 2α₁)/(||y_c - X_c m||² + 2α₂)``, stopping when ``||Δm||₁ < tol``.
    The posterior is then recomputed at the final ``(α, λ)``.

    Args:
      max_iter: iteration cap (static).
      tol: convergence threshold on the L1 change of ``m``.
      alpha_1, alpha_2, lambda_1, lambda_2: Gamma hyperprior shape/rate parameters.
      alpha_init: initial noise precision (default ``1/Var(y)``).
      lambda_init: initial weight precision (default 1).
      fit_intercept: centre the data and fit an intercept.

    Returns:
      ``Regressor`` whose params are :class:`BayesianLinearParams` (``noise_var = 1/α``,
      ``prior_precision = λ``); ``predict(params, X, return_std=True)`` as in
      :func:`bayesian_linear_regression`.
    """
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_tol(tol)
    for name, value in (
        ("alpha_1", alpha_1),
        ("alpha_2", alpha_2),
        ("lambda_1", lambda_1),
        ("lambda_2", lambda_2),
    ):
        check_positive(value, name, strict=False)
    if alpha_init is not None:
        check_positive(alpha_init, "alpha_init")
    if lambda_init is not None:
        check_positive(lambda_init, "lambda_init")
    fit_intercept = check_fit_intercept(fit_intercept)

    def fit(X, y) -> BayesianLinearParams:
        X, y = check_X_y(X, y)
        dtype = X.dtype
        n, d = X.shape
        Xc, yc, x_mean, y_mean = center(X, y, fit_intercept)
        _, s, vt = jnp.linalg.svd(Xc, full_matrices=n < d)
        eig = s**2
        eig_full = jnp.zeros(d, dtype).at[: eig.shape[0]].set(eig)
        vty = vt @ (Xc.T @ yc)  # (d,)
        eps = np.finfo(np.float64).eps
        alpha0 = (
            1.0 / (jnp.var(y) + eps)
            if alpha_init is None
            else jnp.asarray(alpha_init, dtype)
        )
        lam0 = jnp.asarray(1.0 if lambda_init is None else lambda_init, dtype)

        def posterior_mean(alpha, lam):
            return vt.T @ (vty / (eig_full + lam / alpha))

        def update(carry):
            alpha, lam, coef_old, it, _ = carry
            coef = posterior_mean(alpha, lam)
            resid = yc - Xc @ coef
            sse = resid @ resid
            gamma = jnp.sum(alpha * eig / (lam + alpha * eig))
            lam_new = (gamma + 2 * lambda_1) / (coef @ coef + 2 * lambda_2)
            alpha_new = (n - gamma + 2 * alpha_1) / (sse + 2 * alpha_2)
            converged = (it > 0) & (jnp.sum(jnp.abs(coef_old - coef)) < tol)
            return alpha_new, lam_new, coef, it + 1, converged

        def cond(carry):
            _, _, _, it, converged = carry
            return (it < max_iter) & ~converged

        init = (alpha0, lam0, jnp.zeros(d, dtype), jnp.asarray(0), jnp.asarray(False))
        alpha, lam, _, it, _ = jax.lax.while_loop(cond, update, init)
        coef = posterior_mean(alpha, lam)
        cov = (vt.T / (alpha * eig_full + lam)[None, :]) @ vt
        return BayesianLinearParams(
            coef=coef,
            intercept=y_mean - x_mean @ coef,
            cov=cov,
            x_offset=x_mean,
            noise_var=1.0 / alpha,
            prior_precision=lam,
            n_iter=it,
        )

    return Regressor(fit=fit, predict=_blr_predict)
