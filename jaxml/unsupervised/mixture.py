"""Gaussian mixture models fitted by EM, with four covariance structures.

**Model.** :math:`p(x) = \\sum_{j=1}^k \\pi_j\\, \\mathcal N(x; \\mu_j, \\Sigma_j)`, with
``covariance_type``

* ``"full"``: each component its own :math:`\\Sigma_j` ``(k, d, d)``;
* ``"tied"``: one shared :math:`\\Sigma` ``(d, d)``;
* ``"diag"``: :math:`\\Sigma_j = \\operatorname{diag}(\\sigma_j^2)` ``(k, d)``;
* ``"spherical"``: :math:`\\Sigma_j = \\sigma_j^2 I` ``(k,)``.

**Log densities via Cholesky factors of the precisions**, as scikit-learn: with
:math:`\\Sigma_j = C_j C_j^\\top` (Cholesky) take :math:`U_j = C_j^{-\\top}`, so
:math:`\\Sigma_j^{-1} = U_j U_j^\\top` and

.. math::  \\log \\mathcal N(x; \\mu_j, \\Sigma_j) = -\\tfrac12\\big(d \\log 2\\pi
           + \\lVert U_j^\\top (x - \\mu_j) \\rVert^2\\big) + \\sum_i \\log (U_j)_{ii},

which needs no matrix inverse and no determinant of :math:`\\Sigma_j`.

**EM** (Dempster, Laird & Rubin 1977; Bishop, PRML §9.2), run by
:func:`jaxml.bayes.em.em`:

* E-step: responsibilities :math:`r_{ij} = \\exp(\\ell_{ij} - \\operatorname{logsumexp}_m
  \\ell_{im})`, :math:`\\ell_{ij} = \\log \\pi_j + \\log\\mathcal N(x_i; \\mu_j, \\Sigma_j)`,
  all in log space, and the mean log-likelihood
  :math:`\\frac1n \\sum_i \\operatorname{logsumexp}_j \\ell_{ij}`;
* M-step: :math:`N_j = \\sum_i r_{ij}` (plus :math:`10\\varepsilon`),
  :math:`\\pi_j = N_j / \\sum_m N_m`, :math:`\\mu_j = \\sum_i r_{ij} x_i / N_j`,
  :math:`\\Sigma_j = \\sum_i r_{ij} (x_i - \\mu_j)(x_i - \\mu_j)^\\top / N_j +`
  ``reg_covar`` :math:`\\cdot I` (tied: the :math:`N`-weighted average of these; diag: the
  diagonal; spherical: the mean of the diagonal).

The mean log-likelihood never decreases (the E-step makes the EM bound tight, the
M-step maximises it). EM stops when its change is below ``tol`` (scikit-learn tests
``|change| < tol``; :func:`jaxml.bayes.em.em` tests ``change < tol``, the same for a
non-decreasing sequence) or after ``max_iter`` iterations. As in scikit-learn,
``lower_bound`` is the mean log-likelihood of the E-step of the last iteration (the
parameters before its M-step); the returned parameters are those after it.

**Model selection.** With :math:`p` free parameters (:math:`k - 1` weights, :math:`kd`
means and the covariance entries: full :math:`k d(d+1)/2`, tied :math:`d(d+1)/2`, diag
:math:`kd`, spherical :math:`k`) and :math:`\\hat L` the total log-likelihood,
:math:`\\mathrm{BIC} = -2\\hat L + p \\log n` and :math:`\\mathrm{AIC} = -2 \\hat L + 2p`.

**Initialisation**: ``"kmeans"`` (hard responsibilities from one k-means++ / Lloyd run,
as scikit-learn), ``"random"`` (uniform random responsibilities, normalised) — both
followed by an M-step — or explicit :class:`GaussianMixtureParams` from
:func:`mixture_params`. ``n_init`` random starts run in one ``vmap``; the one with the
largest lower bound is kept.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from jaxml.bayes.em import em
from jaxml.core import (
    check_array,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    pytree_dataclass,
    static_field,
)
from jaxml.unsupervised.kmeans import kmeans

__all__ = [
    "COVARIANCE_TYPES",
    "GaussianMixture",
    "GaussianMixtureParams",
    "gaussian_mixture",
    "mixture_params",
    "n_parameters",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


@pytree_dataclass
class GaussianMixtureParams:
    """A Gaussian mixture (fitted, or initial when built by :func:`mixture_params`).

    Attributes:
      weights: ``(k,)`` mixing proportions.
      means: ``(k, d)``.
      covariances: full ``(k, d, d)``, tied ``(d, d)``, diag ``(k, d)``, spherical ``(k,)``.
      precisions_cholesky: the factors :math:`U` with :math:`\\Sigma^{-1} = U U^\\top`, in the
        shape of ``covariances``.
      lower_bound: the final mean log-likelihood (NaN for initial parameters).
      n_iter: EM iterations run.
      converged: whether the change dropped below ``tol``.
      log_likelihood_history: ``(max_iter,)`` mean log-likelihood per iteration, NaN after
        the last one.
      covariance_type: static.
    """

    weights: jax.Array
    means: jax.Array
    covariances: jax.Array
    precisions_cholesky: jax.Array
    lower_bound: jax.Array
    n_iter: jax.Array
    converged: jax.Array
    log_likelihood_history: jax.Array
    covariance_type: str = static_field()


class GaussianMixture(NamedTuple):
    """``fit(key, X) -> params``; ``predict``/``predict_proba``/``score_samples``/
    ``score``/``bic``/``aic`` take ``(params, X)``; ``sample(key, params, n) -> (n, d)``."""

    fit: Callable[..., GaussianMixtureParams]
    predict: Callable[..., Any]
    predict_proba: Callable[..., Any]
    score_samples: Callable[..., Any]
    score: Callable[..., Any]
    sample: Callable[..., Any]
    bic: Callable[..., Any]
    aic: Callable[..., Any]


class _Gaussians(NamedTuple):
    weights: jax.Array
    means: jax.Array
    covariances: jax.Array
    precisions_cholesky: jax.Array


# ----------------------------------------------------------------------------- covariances


def _chol_of_precision_from_covariance(cov: jax.Array) -> jax.Array:
    """``U = C^{-T}`` for ``cov = C C^T``; ``cov`` is ``(d, d)``."""
    C = jnp.linalg.cholesky(cov)
    return solve_triangular(C, jnp.eye(cov.shape[-1], dtype=cov.dtype), lower=True).T


def _precisions_cholesky(cov: jax.Array, covariance_type: str) -> jax.Array:
    if covariance_type == "full":
        return jax.vmap(_chol_of_precision_from_covariance)(cov)
    if covariance_type == "tied":
        return _chol_of_precision_from_covariance(cov)
    return 1.0 / jnp.sqrt(cov)


def _covariances(X, resp, nk, means, reg_covar, covariance_type: str) -> jax.Array:
    d = X.shape[1]
    if covariance_type == "full":
        diff = X[None, :, :] - means[:, None, :]  # (k, n, d)
        cov = jnp.einsum("kn,kni,knj->kij", resp.T, diff, diff) / nk[:, None, None]
        return cov + reg_covar * jnp.eye(d, dtype=X.dtype)
    if covariance_type == "tied":
        cov = (X.T @ X - (nk[:, None] * means).T @ means) / jnp.sum(nk)
        return cov + reg_covar * jnp.eye(d, dtype=X.dtype)
    diag = resp.T @ (X * X) / nk[:, None] - means * means + reg_covar
    return diag if covariance_type == "diag" else jnp.mean(diag, axis=1)


def _m_step(resp, X, reg_covar, covariance_type: str) -> _Gaussians:
    nk = jnp.sum(resp, axis=0) + 10 * jnp.finfo(resp.dtype).eps
    means = resp.T @ X / nk[:, None]
    cov = _covariances(X, resp, nk, means, reg_covar, covariance_type)
    return _Gaussians(weights=nk / jnp.sum(nk), means=means, covariances=cov,
                      precisions_cholesky=_precisions_cholesky(cov, covariance_type))


# ----------------------------------------------------------------------------- densities


def _log_gaussian(X, means, prec_chol, covariance_type: str) -> jax.Array:
    """``(n, k)`` of ``log N(x_i; mu_j, Sigma_j)``."""
    d = X.shape[1]
    if covariance_type == "full":
        y = jnp.einsum("ni,kij->nkj", X, prec_chol) - jnp.einsum("ki,kij->kj", means,
                                                                 prec_chol)[None]
        maha = jnp.sum(y * y, axis=-1)
        log_det = jnp.sum(jnp.log(jnp.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
    elif covariance_type == "tied":
        y = (X @ prec_chol)[:, None, :] - (means @ prec_chol)[None, :, :]
        maha = jnp.sum(y * y, axis=-1)
        log_det = jnp.sum(jnp.log(jnp.diag(prec_chol)))
    else:
        prec = prec_chol ** 2
        if covariance_type == "spherical":
            prec = jnp.broadcast_to(prec[:, None], means.shape)
            log_det = d * jnp.log(prec_chol)
        else:
            log_det = jnp.sum(jnp.log(prec_chol), axis=1)
        diff = X[:, None, :] - means[None, :, :]
        maha = jnp.sum(diff * diff * prec[None], axis=-1)
    return -0.5 * (d * math.log(2 * math.pi) + maha) + log_det


@functools.partial(jax.jit, static_argnums=(2,))
def _weighted_log_prob(g: _Gaussians, X, covariance_type: str) -> jax.Array:
    return (_log_gaussian(X, g.means, g.precisions_cholesky, covariance_type)
            + jnp.log(g.weights)[None, :])


@functools.partial(jax.jit, static_argnums=(2,))
def _e_step(g: _Gaussians, X, covariance_type: str):
    lp = _weighted_log_prob(g, X, covariance_type)
    norm = jax.nn.logsumexp(lp, axis=1)
    return jnp.exp(lp - norm[:, None]), jnp.mean(norm)


# ----------------------------------------------------------------------------- parameters


def _covariance_shape(covariance_type: str, k: int, d: int) -> tuple[int, ...]:
    return {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[
        covariance_type]


def mixture_params(weights: Any, means: Any, *, covariance_type: str = "full",
                   covariances: Any = None, precisions: Any = None) -> GaussianMixtureParams:
    """Initial (or hand-made) mixture parameters from weights, means and either the
    covariances or the precisions (inverse covariances; scikit-learn's
    ``precisions_init``), shaped as ``covariance_type`` requires."""
    check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    means = check_array(means, "means", ndim=2, dtype_kind="f")
    k, d = means.shape
    weights = check_array(weights, "weights", ndim=1, dtype_kind="f").astype(means.dtype)
    if weights.shape != (k,):
        raise ValueError(f"weights must have shape ({k},), got {weights.shape}")
    if (covariances is None) == (precisions is None):
        raise ValueError("give exactly one of covariances and precisions")
    name, given = ("covariances", covariances) if precisions is None else (
        "precisions", precisions)
    given = check_array(given, name, dtype_kind="f").astype(means.dtype)
    want = _covariance_shape(covariance_type, k, d)
    if given.shape != want:
        raise ValueError(f"{name} must have shape {want} for covariance_type="
                         f"{covariance_type!r}, got {given.shape}")
    if covariance_type in ("full", "tied"):
        if precisions is None:
            cov = given
            prec_chol = _precisions_cholesky(cov, covariance_type)
        else:
            cov = jnp.linalg.inv(given)
            prec_chol = jnp.linalg.cholesky(given)
    else:
        cov = given if precisions is None else 1.0 / given
        prec_chol = 1.0 / jnp.sqrt(cov)
    nan = jnp.asarray(jnp.nan, means.dtype)
    return GaussianMixtureParams(weights=weights, means=means, covariances=cov,
                                 precisions_cholesky=prec_chol, lower_bound=nan,
                                 n_iter=jnp.asarray(0), converged=jnp.asarray(False),
                                 log_likelihood_history=nan[None],
                                 covariance_type=covariance_type)


def n_parameters(covariance_type: str, k: int, d: int) -> int:
    """Free parameters of a ``k``-component mixture in ``d`` dimensions."""
    cov = {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d,
           "spherical": k}[check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)]
    return cov + k * d + k - 1


def _as_gaussians(p: GaussianMixtureParams) -> _Gaussians:
    return _Gaussians(p.weights, p.means, p.covariances, p.precisions_cholesky)


# ----------------------------------------------------------------------------- the factory


def gaussian_mixture(k: int, *, covariance_type: str = "full", reg_covar: Any = 1e-6,
                     max_iter: int = 100, tol: Any = 1e-3, n_init: int = 1,
                     init: Any = "kmeans") -> GaussianMixture:
    """A Gaussian mixture fitted by EM (scikit-learn's ``GaussianMixture``).

    Args:
      k: number of components (static).
      covariance_type: ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"`` (static).
      reg_covar: added to the covariance diagonals in every M-step (traced).
      max_iter: the most EM iterations (static).
      tol: convergence threshold on the change of the mean log-likelihood (traced).
      n_init: random starts (static); must be 1 for explicit initial parameters.
      init: ``"kmeans"``, ``"random"`` or :class:`GaussianMixtureParams` (e.g. from
        :func:`mixture_params`) with the same ``covariance_type``.

    Returns:
      :class:`GaussianMixture` of pure functions.
    """
    k = check_int(k, "k", minimum=1)
    check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    check_positive(reg_covar, "reg_covar", strict=False)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_positive(tol, "tol", strict=False)
    n_init = check_int(n_init, "n_init", minimum=1)
    if isinstance(init, str):
        check_option(init, "init", ("kmeans", "random"))
    elif isinstance(init, GaussianMixtureParams):
        if init.covariance_type != covariance_type:
            raise ValueError(f"init has covariance_type={init.covariance_type!r}, "
                             f"expected {covariance_type!r}")
        if init.means.shape[0] != k:
            raise ValueError(f"init must have k={k} components, got {init.means.shape[0]}")
        if n_init != 1:
            raise ValueError(f"n_init must be 1 when init is given parameters, got {n_init}")
    else:
        raise TypeError("init must be 'kmeans', 'random' or GaussianMixtureParams, "
                         f"got {type(init).__name__}")

    def start(key, X) -> _Gaussians:
        if not isinstance(init, str):
            return _as_gaussians(init)
        if init == "kmeans":
            labels = kmeans(k, n_init=1).fit(key, X).labels
            resp = jax.nn.one_hot(labels, k, dtype=X.dtype)
        else:
            resp = jax.random.uniform(key, (X.shape[0], k), X.dtype)
            resp = resp / jnp.sum(resp, axis=1, keepdims=True)
        return _m_step(resp, X, reg_covar, covariance_type)

    @jax.jit
    def one_run(key, X):
        result = em(lambda g, x: _e_step(g, x, covariance_type),
                    lambda r, x: _m_step(r, x, reg_covar, covariance_type),
                    start(key, X), X, max_iter=max_iter, tol=tol)
        g = result.params
        lower = result.log_likelihood[result.n_iter - 1]
        return GaussianMixtureParams(
            weights=g.weights, means=g.means, covariances=g.covariances,
            precisions_cholesky=g.precisions_cholesky, lower_bound=lower,
            n_iter=result.n_iter, converged=result.converged,
            log_likelihood_history=result.log_likelihood, covariance_type=covariance_type)

    def fit(key, X) -> GaussianMixtureParams:
        X = check_X(X)
        if k > X.shape[0]:
            raise ValueError(f"k must be <= n_samples, got k={k} with "
                             f"n_samples={X.shape[0]}")
        if not isinstance(init, str):
            check_n_features(init.means, X.shape[1], "init.means")
            return one_run(key, X)
        return restarts(key, X)

    @jax.jit
    def restarts(key, X):
        runs = jax.vmap(one_run, in_axes=(0, None))(jax.random.split(key, n_init), X)
        best = jnp.argmax(runs.lower_bound)
        return jax.tree.map(lambda a: a[best], runs)

    def _checked(params, X):
        X = check_X(X)
        check_n_features(X, params.means.shape[1])
        return X

    def score_samples(params, X):
        X = _checked(params, X)
        return jax.nn.logsumexp(
            _weighted_log_prob(_as_gaussians(params), X, covariance_type), axis=1)

    def predict_proba(params, X):
        X = _checked(params, X)
        return _e_step(_as_gaussians(params), X, covariance_type)[0]

    def predict(params, X):
        X = _checked(params, X)
        lp = _weighted_log_prob(_as_gaussians(params), X, covariance_type)
        return jnp.argmax(lp, axis=1).astype(jnp.int32)

    def score(params, X):
        return jnp.mean(score_samples(params, X))

    def _penalised(params, X, per_parameter):
        X = _checked(params, X)
        n, d = X.shape
        total = jnp.sum(score_samples(params, X))
        return -2.0 * total + per_parameter(n) * n_parameters(covariance_type, k, d)

    def bic(params, X):
        return _penalised(params, X, math.log)

    def aic(params, X):
        return _penalised(params, X, lambda n: 2.0)

    def sample(key, params, n: int):
        n = check_int(n, "n", minimum=1)
        key_c, key_z = jax.random.split(key)
        comp = jax.random.categorical(key_c, jnp.log(params.weights), shape=(n,))
        d = params.means.shape[1]
        z = jax.random.normal(key_z, (n, d), params.means.dtype)
        cov = params.covariances
        if covariance_type == "full":
            noise = jnp.einsum("nij,nj->ni", jnp.linalg.cholesky(cov)[comp], z)
        elif covariance_type == "tied":
            noise = z @ jnp.linalg.cholesky(cov).T
        elif covariance_type == "diag":
            noise = z * jnp.sqrt(cov[comp])
        else:
            noise = z * jnp.sqrt(cov[comp])[:, None]
        return params.means[comp] + noise

    return GaussianMixture(fit=fit, predict=predict, predict_proba=predict_proba,
                           score_samples=score_samples, score=score, sample=sample,
                           bic=bic, aic=aic)
