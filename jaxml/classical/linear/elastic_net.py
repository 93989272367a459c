r"""The lasso and the elastic net by cyclic coordinate descent, and their paths.

The elastic net (Zou & Hastie, 2005) and the **lasso** (Tibshirani, 1996, ``l1_ratio=1``)
minimise scikit-learn's objective

.. math::
    P(w, b) = \frac{1}{2n}\lVert y - Xw - b\rVert^2 + \alpha\rho\lVert w\rVert_1
        + \frac{\alpha(1-\rho)}{2}\lVert w\rVert^2

by cyclic coordinate descent (Friedman, Hastie & Tibshirani, 2010). The intercept is
removed by centring (:mod:`~jaxml.classical.linear.common`); on the centred data and in
the ``n``-scaled form :math:`\tfrac12\lVert r\rVert^2 + \lambda_1\lVert w\rVert_1 +
\tfrac{\lambda_2}{2}\lVert w\rVert^2` (:math:`\lambda_1 = n\alpha\rho`,
:math:`\lambda_2 = n\alpha(1-\rho)`), each coordinate has the closed-form update

.. math::
    w_j \leftarrow \frac{S(x_j^\top r_{-j}, \lambda_1)}{x_j^\top x_j + \lambda_2},
    \qquad S(z, t) = \operatorname{sign}(z)\max(|z| - t, 0),

with :math:`r_{-j}` the residual without feature :math:`j`.

**Stopping rule** (scikit-learn's, so that the same ``tol`` stops at the same point):
after a sweep, if the largest coordinate change is at most ``tol`` times the largest
:math:`|w_j|` (or :math:`w = 0`), check the duality gap; stop once it is at most ``tol``
times :math:`\lVert y_c\rVert^2`. The gap is a certificate: with the dual point
:math:`\theta = s\,r`, :math:`s = \min(1, \lambda_1/\lVert X_c^\top r - \lambda_2
w\rVert_\infty)` (scaled into the dual-feasible set),

.. math::
    G(w) = \tfrac12 \lVert r\rVert^2(1 + s^2) + \lambda_1\lVert w\rVert_1
        + \tfrac{\lambda_2}{2}(1 + s^2)\lVert w\rVert^2 - s\, r^\top y_c
    \;\ge\; n\,(P(w) - P(w^*)).

``params.dual_gap`` reports :math:`G/n`, the gap of :math:`P` itself (scikit-learn's
``dual_gap_``).

**Regularisation path.** :math:`\alpha_{\max} = \lVert X_c^\top y_c\rVert_\infty / (n\rho)`
is the smallest :math:`\alpha` with :math:`w = 0`; :func:`enet_path` fits a decreasing
grid down from it, each fit warm-started from the previous one (``lax.scan``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxml.classical.linear.common import (
    center,
    check_fit_intercept,
    check_tol,
    predict_affine,
    soft_threshold,
)
from jaxml.core import (
    Regressor,
    check_int,
    check_positive,
    check_probability,
    check_X_y,
    is_traced,
    pytree_dataclass,
)

__all__ = ["SparseLinearParams", "elastic_net", "lasso", "enet_path", "lasso_path"]


@pytree_dataclass
class SparseLinearParams:
    """A coordinate-descent fit: ``coef``, ``intercept``, sweeps used and the final duality
    gap of the objective ``P`` (see the module docstring)."""

    coef: jax.Array
    intercept: jax.Array
    n_iter: jax.Array
    dual_gap: jax.Array


def _enet_dual_gap(Xc, yc, w, resid, l1reg, l2reg):
    """Duality gap ``G`` of ``0.5||r||² + l1reg ||w||_1 + 0.5 l2reg ||w||²`` (``r = y - Xw``)."""
    xta = Xc.T @ resid - l2reg * w
    dual_norm = jnp.max(jnp.abs(xta))
    r2 = resid @ resid
    w2 = w @ w
    const = jnp.where(dual_norm > l1reg, l1reg / jnp.maximum(dual_norm, 1e-300), 1.0)
    gap = 0.5 * r2 * (1.0 + const**2)
    gap = gap + l1reg * jnp.sum(jnp.abs(w)) - const * (resid @ yc)
    return gap + 0.5 * l2reg * (1.0 + const**2) * w2


def _enet_cd(Xc, yc, alpha, l1_ratio, w0, tol, max_iter):
    """Cyclic coordinate descent on centred data from ``w0``; returns (w, sweeps, G / n)."""
    n, d = Xc.shape
    dtype = Xc.dtype
    l1reg = jnp.asarray(alpha * l1_ratio * n, dtype)
    l2reg = jnp.asarray(alpha * (1.0 - l1_ratio) * n, dtype)
    xt = Xc.T
    col_norms = jnp.sum(Xc * Xc, axis=0)
    tol = jnp.asarray(tol, dtype)
    gap_tol = tol * (yc @ yc)

    def coordinate(j, carry):
        w, resid, max_change = carry
        x_j = xt[j]
        w_j = w[j]
        rho = x_j @ resid + w_j * col_norms[j]
        denom = col_norms[j] + l2reg
        safe_denom = jnp.where(denom > 0, denom, 1.0)  # an all-zero column stays at 0
        new = jnp.where(denom > 0, soft_threshold(rho, l1reg) / safe_denom, 0.0)
        resid = resid + x_j * (w_j - new)
        return w.at[j].set(new), resid, jnp.maximum(max_change, jnp.abs(new - w_j))

    def cond(carry):
        _, _, it, gap, small_update = carry
        return (it < max_iter) & ~(small_update & (gap <= gap_tol))

    def body(carry):
        w, resid, it, _, _ = carry
        zero = jnp.zeros((), dtype)
        w, resid, max_change = jax.lax.fori_loop(0, d, coordinate, (w, resid, zero))
        resid = yc - Xc @ w  # refresh to stop rounding drift
        w_max = jnp.max(jnp.abs(w))
        small_update = (w_max == 0) | (max_change <= tol * w_max)
        return w, resid, it + 1, _enet_dual_gap(Xc, yc, w, resid, l1reg, l2reg), small_update

    resid0 = yc - Xc @ w0
    gap0 = _enet_dual_gap(Xc, yc, w0, resid0, l1reg, l2reg)
    init = (w0, resid0, jnp.asarray(0), gap0, jnp.asarray(True))
    w, _, it, gap, _ = jax.lax.while_loop(cond, body, init)
    return w, it, gap / n


def _check_enet_args(alpha, l1_ratio, tol, max_iter):
    check_positive(alpha, "alpha", strict=False)
    check_probability(l1_ratio, "l1_ratio")
    check_tol(tol)
    return check_int(max_iter, "max_iter", minimum=1)


def elastic_net(
    alpha=1.0,
    l1_ratio=0.5,
    *,
    fit_intercept: bool = True,
    tol: float = 1e-4,
    max_iter: int = 1000,
) -> Regressor:
    """Elastic net by cyclic coordinate descent (scikit-learn's ``ElasticNet`` objective).

    Minimises ``1/(2n)||y - Xw - b||² + α·ρ||w||₁ + α(1-ρ)/2 ||w||²`` with ``ρ = l1_ratio``.
    A ``lax.while_loop`` runs full sweeps until scikit-learn's stopping rule holds (largest
    coordinate change ``<= tol · max|w|`` and duality gap ``<= tol · ||y - ȳ||²`` in the
    ``n``-scaled problem) or ``max_iter`` sweeps; ``params.dual_gap`` reports the gap.

    Args:
      alpha: overall penalty strength ``>= 0`` (traceable).
      l1_ratio: mix ``ρ`` in ``[0, 1]``: 1 is the lasso, 0 ridge (traceable).
      fit_intercept: fit an unpenalised intercept.
      tol: relative tolerance of the stopping rule.
      max_iter: maximum number of sweeps (static).
    """
    max_iter = _check_enet_args(alpha, l1_ratio, tol, max_iter)
    fit_intercept = check_fit_intercept(fit_intercept)

    def fit(X, y) -> SparseLinearParams:
        X, y = check_X_y(X, y)
        Xc, yc, x_mean, y_mean = center(X, y, fit_intercept)
        w0 = jnp.zeros(X.shape[1], X.dtype)
        w, it, gap = _enet_cd(Xc, yc, alpha, l1_ratio, w0, tol, max_iter)
        return SparseLinearParams(coef=w, intercept=y_mean - x_mean @ w, n_iter=it, dual_gap=gap)

    return Regressor(fit=fit, predict=predict_affine)


def lasso(
    alpha=1.0, *, fit_intercept: bool = True, tol: float = 1e-4, max_iter: int = 1000
) -> Regressor:
    """The lasso: :func:`elastic_net` with ``l1_ratio = 1``.

    Minimises ``1/(2n)||y - Xw - b||² + α||w||₁``.
    """
    return elastic_net(alpha, 1.0, fit_intercept=fit_intercept, tol=tol, max_iter=max_iter)


def enet_path(
    X,
    y,
    *,
    l1_ratio=0.5,
    alphas=None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    fit_intercept: bool = True,
    tol: float = 1e-4,
    max_iter: int = 1000,
):
    """The elastic-net regularisation path, warm-started from large to small ``alpha``.

    Args:
      X, y: data ``(n, d)`` and ``(n,)``.
      l1_ratio: elastic-net mix in ``(0, 1]`` when ``alphas`` is None, else ``[0, 1]``.
      alphas: explicit penalties (fitted in the given order), or None for ``n_alphas``
        values log-spaced from ``α_max = ||X_cᵀ y_c||_∞ / (n ρ)`` down to ``eps · α_max``.
      n_alphas: number of automatic penalties (static).
      eps: ratio ``α_min / α_max``.
      fit_intercept, tol, max_iter: as in :func:`elastic_net`.

    Returns:
      ``(alphas, coefs, intercepts, dual_gaps)`` with ``coefs`` of shape ``(n_alphas, d)``.
    """
    X, y = check_X_y(X, y)
    fit_intercept = check_fit_intercept(fit_intercept)
    max_iter = _check_enet_args(0.0, l1_ratio, tol, max_iter)
    Xc, yc, x_mean, y_mean = center(X, y, fit_intercept)
    n = X.shape[0]
    if alphas is None:
        n_alphas = check_int(n_alphas, "n_alphas", minimum=1)
        check_positive(eps, "eps")
        if not is_traced(l1_ratio) and float(l1_ratio) == 0.0:
            raise ValueError("l1_ratio must be > 0 when alphas is None (alpha_max is infinite)")
        alpha_max = jnp.max(jnp.abs(Xc.T @ yc)) / (n * l1_ratio)
        alphas = alpha_max * jnp.logspace(0.0, jnp.log10(eps), n_alphas, dtype=X.dtype)
    else:
        alphas = jnp.asarray(alphas, X.dtype)
        if alphas.ndim != 1 or alphas.size == 0:
            raise ValueError(f"alphas must be a non-empty 1-D array, got shape {alphas.shape}")
        if not is_traced(alphas) and bool(jnp.any(alphas < 0)):
            raise ValueError("alphas must be >= 0")

    def step(w, alpha):
        w, _, gap = _enet_cd(Xc, yc, alpha, l1_ratio, w, tol, max_iter)
        return w, (w, gap)

    _, (coefs, gaps) = jax.lax.scan(step, jnp.zeros(X.shape[1], X.dtype), alphas)
    intercepts = y_mean - coefs @ x_mean
    return alphas, coefs, intercepts, gaps


def lasso_path(X, y, **kwargs):
    """:func:`enet_path` with ``l1_ratio = 1``."""
    return enet_path(X, y, l1_ratio=1.0, **kwargs)
