r"""Ordinary least squares and ridge regression.

**Ordinary least squares as maximum likelihood.** Assume :math:`y_i = x_i^\top w + b +
\varepsilon_i` with :math:`\varepsilon_i \sim \mathcal N(0, \sigma^2)` i.i.d. The
log-likelihood is

.. math::
    \log p(y \mid X, w, b, \sigma^2) = -\frac n2 \log(2\pi\sigma^2)
        - \frac{1}{2\sigma^2} \lVert y - Xw - b\mathbf 1 \rVert^2 ,

so for any :math:`\sigma^2` maximising it over :math:`(w, b)` minimises the residual sum
of squares. Setting the gradient :math:`-X_c^\top (y_c - X_c w)/\sigma^2` to zero gives the
normal equations :math:`X_c^\top X_c w = X_c^\top y_c` (centred data), and the MLE of the
noise is :math:`\hat\sigma^2 = \lVert y_c - X_c \hat w\rVert^2 / n`. Geometrically,
:math:`X_c \hat w` is the orthogonal projection of :math:`y_c` onto the column space of
:math:`X_c`: the residual is orthogonal to every column. Three solvers reach it: the
normal equations (Cholesky of :math:`X^\top X`, fastest, squares the condition number),
a QR factorisation :math:`X_c = QR \Rightarrow Rw = Q^\top y_c` (numerically stabler), and
gradient descent with step :math:`1/L`, :math:`L = \lambda_{\max}(X_c^\top X_c)/n`.

**Ridge** (Hoerl & Kennard, 1970) adds :math:`\alpha \lVert w\rVert^2`:
:math:`w = (X_c^\top X_c + \alpha I)^{-1} X_c^\top y_c`, or in the dual form
:math:`w = X_c^\top (X_c X_c^\top + \alpha I)^{-1} y_c` when :math:`d > n`. It is the MAP
estimate under the prior :math:`w \sim \mathcal N(0, (\sigma^2/\alpha) I)`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

from jaxml.classical.linear.common import (
    LinearParams,
    center,
    check_fit_intercept,
    check_sample_weight,
    check_tol,
    predict_affine,
    weighted_center,
)
from jaxml.core import Regressor, check_int, check_option, check_positive, check_X_y

__all__ = ["ols", "ridge"]


def _ols_fit(X, y, *, method, fit_intercept, tol, max_iter):
    Xc, yc, x_mean, y_mean = center(X, y, fit_intercept)
    n = X.shape[0]
    if method == "normal":
        factor = cho_factor(Xc.T @ Xc)
        coef = cho_solve(factor, Xc.T @ yc)
        n_iter = jnp.asarray(0)
    elif method == "lstsq":
        coef = jnp.linalg.lstsq(Xc, yc)[0]
        n_iter = jnp.asarray(0)
    elif method == "qr":
        q, r = jnp.linalg.qr(Xc, mode="reduced")
        coef = solve_triangular(r, q.T @ yc, lower=False)
        n_iter = jnp.asarray(0)
    else:
        gram = Xc.T @ Xc / n
        xty = Xc.T @ yc / n
        lipschitz = jnp.linalg.eigvalsh(gram)[-1]
        scale = 1.0 + jnp.max(jnp.abs(xty))

        def grad(w):
            return gram @ w - xty

        def cond(carry):
            w, it = carry
            return (it < max_iter) & (jnp.max(jnp.abs(grad(w))) > tol * scale)

        def body(carry):
            w, it = carry
            return w - grad(w) / lipschitz, it + 1

        coef, n_iter = jax.lax.while_loop(
            cond, body, (jnp.zeros(X.shape[1], X.dtype), jnp.asarray(0))
        )
    return LinearParams(coef=coef, intercept=y_mean - x_mean @ coef, n_iter=n_iter)


def ols(
    *, method: str = "qr", fit_intercept: bool = True, tol: float = 1e-6, max_iter: int = 10_000
) -> Regressor:
    """Ordinary least squares: minimise ``||y - Xw - b||²``.

    Args:
      method: ``"normal"`` (Cholesky of the Gram matrix), ``"qr"`` (QR of the centred
        design; needs ``n >= d`` and full column rank), ``"lstsq"`` (SVD; the
        minimum-norm solution, also for rank-deficient designs) or ``"gradient"`` (gradient
        descent with step ``1/L`` until the gradient's max-norm is below
        ``tol * (1 + ||Xᵀy/n||_∞)``).
      fit_intercept: fit ``b`` (centre the data) or force ``b = 0``.
      tol: gradient tolerance of ``"gradient"``.
      max_iter: iteration cap of ``"gradient"``.

    Returns:
      ``Regressor(fit(X, y) -> LinearParams, predict(params, X) -> y_hat)``.

    See the module docstring for the maximum-likelihood derivation.
    """
    check_option(method, "method", ("normal", "qr", "lstsq", "gradient"))
    fit_intercept = check_fit_intercept(fit_intercept)
    check_tol(tol)
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    def fit(X, y) -> LinearParams:
        X, y = check_X_y(X, y)
        if method == "qr" and X.shape[0] < X.shape[1]:
            raise ValueError(
                f"method='qr' needs n_samples >= n_features, got X of shape {X.shape}"
            )
        return _ols_fit(
            X, y, method=method, fit_intercept=fit_intercept, tol=tol, max_iter=max_iter
        )

    return Regressor(fit=fit, predict=predict_affine)


def _ridge_fit(X, y, alpha, *, fit_intercept, sample_weight=None):
    if sample_weight is None:
        Xc, yc, x_mean, y_mean = center(X, y, fit_intercept)
    else:
        Xc, yc, x_mean, y_mean = weighted_center(X, y, sample_weight, fit_intercept)
    n, d = X.shape
    alpha = jnp.asarray(alpha, X.dtype)
    if d <= n:
        gram = Xc.T @ Xc + alpha * jnp.eye(d, dtype=X.dtype)
        coef = cho_solve(cho_factor(gram), Xc.T @ yc)
    else:
        kernel = Xc @ Xc.T + alpha * jnp.eye(n, dtype=X.dtype)
        coef = Xc.T @ cho_solve(cho_factor(kernel), yc)
    return LinearParams(coef=coef, intercept=y_mean - x_mean @ coef, n_iter=jnp.asarray(0))


def ridge(alpha=1.0, *, fit_intercept: bool = True) -> Regressor:
    """Ridge regression: minimise ``||y - Xw - b||² + alpha ||w||²`` in closed form.

    Solved by a Cholesky factorisation of ``XᵀX + αI`` (primal, ``d <= n``) or of
    ``XXᵀ + αI`` (dual, ``d > n``). ``alpha`` may be traced::

        jax.vmap(lambda a: ridge(alpha=a).fit(X, y))(alphas)

    ``fit(X, y, sample_weight=None)`` minimises ``Σ sᵢ (yᵢ - xᵢᵀw - b)² + α||w||²`` when
    weights are given (zero weights drop rows, e.g. to mask cross-validation folds).

    Args:
      alpha: L2 penalty ``>= 0`` (``alpha = 0`` is OLS and needs full column rank).
      fit_intercept: fit an unpenalised intercept.
    """
    check_positive(alpha, "alpha", strict=False)
    fit_intercept = check_fit_intercept(fit_intercept)

    def fit(X, y, sample_weight=None) -> LinearParams:
        X, y = check_X_y(X, y)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        return _ridge_fit(X, y, alpha, fit_intercept=fit_intercept, sample_weight=sample_weight)

    return Regressor(fit=fit, predict=predict_affine)
