r"""Linear models: least squares, ridge, lasso, elastic net, logistic and Bayesian regression.

Every model here predicts through an affine map :math:`\hat y = Xw + b` (or a softmax of
several such maps) and is fitted by minimising a convex objective. Each factory closes over
its hyperparameters and returns a :class:`jaxml.core.Regressor` or
:class:`jaxml.core.Classifier` of pure functions; continuous hyperparameters (``alpha``,
``C``, ``l1_ratio``, ...) may be traced, so a sweep is one ``jax.vmap``::

    alphas = jnp.logspace(-3, 3, 50)
    params = jax.vmap(lambda a: ridge(alpha=a).fit(X, y))(alphas)

**Intercept.** With ``fit_intercept=True`` the columns of ``X`` and ``y`` are centred
first; the slope is fitted on the centred data and :math:`b = \bar y - \bar x^\top w`,
which is exactly the minimiser when the intercept is not penalised.

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

**Elastic net** (Zou & Hastie, 2005) and the **lasso** (Tibshirani, 1996, ``l1_ratio=1``)
minimise scikit-learn's objective

.. math::
    \frac{1}{2n}\lVert y - Xw - b\rVert^2 + \alpha\rho\lVert w\rVert_1
        + \frac{\alpha(1-\rho)}{2}\lVert w\rVert^2

by cyclic coordinate descent (Friedman, Hastie & Tibshirani, 2010): with the partial
residual :math:`r_{-j}`, each coordinate has the closed-form update
:math:`w_j \leftarrow S(x_j^\top r_{-j}, n\alpha\rho) / (x_j^\top x_j + n\alpha(1-\rho))`,
:math:`S(z, t) = \operatorname{sign}(z)\max(|z| - t, 0)` the soft-threshold. Sweeps stop
when the duality gap of the (``n``-scaled) problem falls below ``tol`` times
:math:`\lVert y_c\rVert^2`; the gap is a certificate, :math:`P(w) - P(w^*) \le` gap. The
regularisation path starts at :math:`\alpha_{\max} = \lVert X_c^\top y_c\rVert_\infty /
(n\rho)`, the smallest :math:`\alpha` with :math:`w = 0`, and warm-starts each fit from
the previous one (``lax.scan``).

**Logistic regression** uses scikit-learn's objective, with sample weights :math:`s_i`
(from ``class_weight``):

.. math::
    C \sum_i s_i \,\ell(y_i, W x_i + b) + \tfrac12\lVert W\rVert_F^2
    \quad\text{or}\quad C \sum_i s_i\,\ell(y_i, W x_i + b) + \lVert W\rVert_1,

where :math:`\ell` is the binary log-loss :math:`\log(1 + e^{z}) - y z` on one logit
(two classes) or the multinomial loss :math:`\log\sum_k e^{z_k} - z_y` on ``K`` logits.
The intercept is not penalised. Its gradient is :math:`X^\top S (p - Y)` and Hessian
:math:`X^\top S\,(\operatorname{diag}(p) - pp^\top) X` blockwise, so Newton's method is
iteratively reweighted least squares (IRLS); ``"lbfgs"`` uses optax's L-BFGS
(Liu & Nocedal, 1989) with a zoom line search, and the L1 penalty uses FISTA
(Beck & Teboulle, 2009), a proximal gradient method whose proximal step is the
soft-threshold. For the multinomial model the loss is invariant to adding a constant to
all intercepts; we return the centred intercepts (the L2 penalty already makes
:math:`\sum_k W_k = 0` at the optimum).

**Bayesian linear regression** (Bishop, PRML §3.3): with prior
:math:`w \sim \mathcal N(0, \lambda^{-1} I)` and noise variance :math:`\sigma^2`, the
posterior is :math:`\mathcal N(m, S)`, :math:`S = (\lambda I + X_c^\top X_c/\sigma^2)^{-1}`,
:math:`m = S X_c^\top y_c / \sigma^2`, and the predictive distribution at :math:`x` is
:math:`\mathcal N(x_c^\top m,\ \sigma^2 + x_c^\top S x_c)`. :func:`bayesian_ridge` also
fits :math:`\lambda` and :math:`\sigma^2` by evidence maximisation with MacKay's (1992)
fixed-point updates, as scikit-learn's ``BayesianRidge`` does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.scipy.linalg import cho_factor, cho_solve, solve_triangular

from jaxml.core import (
    Classifier,
    Regressor,
    check_array,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_probability,
    check_same_length,
    check_X,
    check_X_y,
    is_traced,
    pytree_dataclass,
    static_field,
)

__all__ = [
    "LinearParams",
    "SparseLinearParams",
    "LogisticParams",
    "BayesianLinearParams",
    "ols",
    "ridge",
    "lasso",
    "elastic_net",
    "enet_path",
    "lasso_path",
    "logistic_regression",
    "bayesian_linear_regression",
    "bayesian_ridge",
    "newton_minimize",
    "infer_n_classes",
    "soft_threshold",
]


# ----------------------------------------------------------------------------- params


@pytree_dataclass
class LinearParams:
    """A fitted affine model ``y = X @ coef + intercept``.

    Attributes:
      coef: ``(n_features,)`` slopes.
      intercept: scalar offset.
      n_iter: iterations used by an iterative solver (0 for closed forms).
    """

    coef: jax.Array
    intercept: jax.Array
    n_iter: jax.Array


@pytree_dataclass
class SparseLinearParams:
    """A coordinate-descent fit: ``coef``, ``intercept``, sweeps used and final duality gap."""

    coef: jax.Array
    intercept: jax.Array
    n_iter: jax.Array
    dual_gap: jax.Array


@pytree_dataclass
class LogisticParams:
    """A fitted logistic model.

    Attributes:
      coef: ``(1, d)`` for a binary sigmoid model, ``(K, d)`` for a softmax model
        (scikit-learn's ``coef_`` layout).
      intercept: ``(1,)`` or ``(K,)``.
      n_iter: solver iterations.
      n_classes: number of classes (static).
    """

    coef: jax.Array
    intercept: jax.Array
    n_iter: jax.Array
    n_classes: int = static_field()


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


# ----------------------------------------------------------------------------- helpers


def _center(X: jax.Array, y: jax.Array, fit_intercept: bool):
    """Centred copies of ``X`` and ``y`` and their means (zeros without an intercept)."""
    if fit_intercept:
        x_mean = jnp.mean(X, axis=0)
        y_mean = jnp.mean(y, axis=0)
    else:
        x_mean = jnp.zeros(X.shape[1], X.dtype)
        y_mean = jnp.zeros((), X.dtype)
    return X - x_mean[None, :], y - y_mean, x_mean, y_mean


def _linear_predict(params, X: jax.Array) -> jax.Array:
    X = check_X(X)
    check_n_features(X, params.coef.shape[-1])
    return X @ params.coef + params.intercept


def soft_threshold(z: jax.Array, t: jax.Array) -> jax.Array:
    """``sign(z) * max(|z| - t, 0)``: the proximal operator of ``t * |z|``."""
    return jnp.sign(z) * jnp.maximum(jnp.abs(z) - t, 0.0)


def _check_fit_intercept(fit_intercept) -> bool:
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be a bool, got {fit_intercept!r}")
    return bool(fit_intercept)


def _check_tol(tol) -> None:
    check_positive(tol, "tol", strict=False)


# ----------------------------------------------------------------------------- OLS


def _ols_fit(X, y, *, method, fit_intercept, tol, max_iter):
    Xc, yc, x_mean, y_mean = _center(X, y, fit_intercept)
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
    fit_intercept = _check_fit_intercept(fit_intercept)
    _check_tol(tol)
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

    return Regressor(fit=fit, predict=_linear_predict)


# ----------------------------------------------------------------------------- ridge


def _check_sample_weight(sample_weight, X):
    """Non-negative per-sample weights ``(n,)`` with a positive sum."""
    sw = check_array(sample_weight, "sample_weight", ndim=1, dtype_kind="f")
    check_same_length(X, sw, "X", "sample_weight")
    if not is_traced(sw) and (bool(jnp.any(sw < 0)) or not float(jnp.sum(sw)) > 0):
        raise ValueError("sample_weight must be non-negative with a positive sum")
    return sw.astype(X.dtype)


def _weighted_center(X, y, sample_weight, fit_intercept):
    """Weighted centring, rows scaled by ``sqrt(s_i)`` (weighted LS = plain LS on these)."""
    if fit_intercept:
        total = jnp.sum(sample_weight)
        x_mean = sample_weight @ X / total
        y_mean = sample_weight @ y / total
    else:
        x_mean = jnp.zeros(X.shape[1], X.dtype)
        y_mean = jnp.zeros((), X.dtype)
    root = jnp.sqrt(sample_weight)
    return (X - x_mean[None, :]) * root[:, None], (y - y_mean) * root, x_mean, y_mean


def _ridge_fit(X, y, alpha, *, fit_intercept, sample_weight=None):
    if sample_weight is None:
        Xc, yc, x_mean, y_mean = _center(X, y, fit_intercept)
    else:
        Xc, yc, x_mean, y_mean = _weighted_center(X, y, sample_weight, fit_intercept)
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
    fit_intercept = _check_fit_intercept(fit_intercept)

    def fit(X, y, sample_weight=None) -> LinearParams:
        X, y = check_X_y(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        return _ridge_fit(X, y, alpha, fit_intercept=fit_intercept, sample_weight=sample_weight)

    return Regressor(fit=fit, predict=_linear_predict)


# ----------------------------------------------------------------------------- elastic net


def _enet_dual_gap(Xc, yc, w, resid, l1reg, l2reg):
    """Duality gap of ``0.5||r||² + l1reg ||w||_1 + 0.5 l2reg ||w||²`` (``r = y - Xw``).

    The dual point is the residual scaled into the dual-feasible set
    ``||Xᵀθ - l2reg w||_∞ <= l1reg``.
    """
    xta = Xc.T @ resid - l2reg * w
    dual_norm = jnp.max(jnp.abs(xta))
    r2 = resid @ resid
    w2 = w @ w
    const = jnp.where(dual_norm > l1reg, l1reg / jnp.maximum(dual_norm, 1e-300), 1.0)
    gap = 0.5 * r2 * (1.0 + const**2)
    gap = gap + l1reg * jnp.sum(jnp.abs(w)) - const * (resid @ yc)
    return gap + 0.5 * l2reg * (1.0 + const**2) * w2


def _enet_cd(Xc, yc, alpha, l1_ratio, w0, tol, max_iter):
    """Cyclic coordinate descent on centred data from ``w0``; returns (w, sweeps, gap)."""
    n, d = Xc.shape
    dtype = Xc.dtype
    l1reg = jnp.asarray(alpha * l1_ratio * n, dtype)
    l2reg = jnp.asarray(alpha * (1.0 - l1_ratio) * n, dtype)
    xt = Xc.T
    col_norms = jnp.sum(Xc * Xc, axis=0)
    tol_scaled = jnp.asarray(tol, dtype) * (yc @ yc)

    def coordinate(j, carry):
        w, resid = carry
        x_j = xt[j]
        w_j = w[j]
        rho = x_j @ resid + w_j * col_norms[j]
        denom = col_norms[j] + l2reg
        safe_denom = jnp.where(denom > 0, denom, 1.0)  # an all-zero column stays at 0
        new = jnp.where(denom > 0, soft_threshold(rho, l1reg) / safe_denom, 0.0)
        resid = resid + x_j * (w_j - new)
        return w.at[j].set(new), resid

    def cond(carry):
        _, _, it, gap = carry
        return (it < max_iter) & (gap > tol_scaled)

    def body(carry):
        w, resid, it, _ = carry
        w, resid = jax.lax.fori_loop(0, d, coordinate, (w, resid))
        resid = yc - Xc @ w  # refresh to stop rounding drift
        return w, resid, it + 1, _enet_dual_gap(Xc, yc, w, resid, l1reg, l2reg)

    resid0 = yc - Xc @ w0
    gap0 = _enet_dual_gap(Xc, yc, w0, resid0, l1reg, l2reg)
    w, _, it, gap = jax.lax.while_loop(cond, body, (w0, resid0, jnp.asarray(0), gap0))
    return w, it, gap


def _check_enet_args(alpha, l1_ratio, tol, max_iter):
    check_positive(alpha, "alpha", strict=False)
    check_probability(l1_ratio, "l1_ratio")
    _check_tol(tol)
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
    A ``lax.while_loop`` runs full sweeps until the duality gap is at most
    ``tol * ||y - ȳ||²`` or ``max_iter`` sweeps; ``params.dual_gap`` reports it.

    Args:
      alpha: overall penalty strength ``>= 0`` (traceable).
      l1_ratio: mix ``ρ`` in ``[0, 1]``: 1 is the lasso, 0 ridge (traceable).
      fit_intercept: fit an unpenalised intercept.
      tol: relative duality-gap tolerance.
      max_iter: maximum number of sweeps (static).
    """
    max_iter = _check_enet_args(alpha, l1_ratio, tol, max_iter)
    fit_intercept = _check_fit_intercept(fit_intercept)

    def fit(X, y) -> SparseLinearParams:
        X, y = check_X_y(X, y)
        Xc, yc, x_mean, y_mean = _center(X, y, fit_intercept)
        w0 = jnp.zeros(X.shape[1], X.dtype)
        w, it, gap = _enet_cd(Xc, yc, alpha, l1_ratio, w0, tol, max_iter)
        return SparseLinearParams(coef=w, intercept=y_mean - x_mean @ w, n_iter=it, dual_gap=gap)

    return Regressor(fit=fit, predict=_linear_predict)


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
    fit_intercept = _check_fit_intercept(fit_intercept)
    max_iter = _check_enet_args(0.0, l1_ratio, tol, max_iter)
    Xc, yc, x_mean, y_mean = _center(X, y, fit_intercept)
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


# ----------------------------------------------------------------------------- Newton


def newton_minimize(value_grad_hess, value_fn, theta0, *, tol, max_iter):
    """Damped Newton's method with backtracking (Armijo) line search.

    Args:
      value_grad_hess: ``theta -> (f, g, H)`` for a flat parameter vector.
      value_fn: ``theta -> f``.
      theta0: starting point.
      tol: stop when ``max|g| <= tol``.
      max_iter: Newton iteration cap.

    Returns:
      ``(theta, n_iter)``. Stops early when the line search cannot decrease ``f``, or
      after one full (unsearched) step once the Newton decrement ``gᵀH⁻¹g`` is within
      ``64·eps·(1 + |f|)``, the rounding level of ``f`` (without this, rounding can
      make the Armijo test fail and backtracking run its whole course — under a
      ``vmap`` every batch member pays for it). The Newton system is solved with a
      tiny ridge so flat directions of ``H`` (e.g. a softmax's shared intercept shift,
      along which the gradient is also zero) do not make it singular.
    """
    dtype = theta0.dtype
    jitter = jnp.asarray(1e-10 if dtype == jnp.float64 else 1e-6, dtype)
    eps = jnp.finfo(dtype).eps

    def cond(carry):
        _, it, gnorm, stalled = carry
        return (it < max_iter) & (gnorm > tol) & ~stalled

    def body(carry):
        theta, it, _, _ = carry
        f, g, h = value_grad_hess(theta)
        scale = 1.0 + jnp.max(jnp.abs(jnp.diag(h)))
        step = jnp.linalg.solve(h + jitter * scale * jnp.eye(h.shape[0], dtype=dtype), -g)
        slope = g @ step
        # Newton decrement at the rounding level of f: no line search can tell a
        # decrease from rounding, so take the full (polishing) step and stop
        floor = -slope <= 64 * eps * (1.0 + jnp.abs(f))

        def ls_cond(ls):
            t, f_new, k = ls
            return (f_new > f + 1e-4 * t * slope) & (k < 40) & ~floor

        def ls_body(ls):
            t, _, k = ls
            t = 0.5 * t
            return t, value_fn(theta + t * step), k + 1

        t, f_new, _ = jax.lax.while_loop(
            ls_cond, ls_body, (jnp.asarray(1.0, dtype), value_fn(theta + step), 0)
        )
        accept = (f_new <= f) | floor
        theta_new = jnp.where(accept, theta + t * step, theta)
        _, g_new, _ = value_grad_hess(theta_new)
        return theta_new, it + 1, jnp.max(jnp.abs(g_new)), ~accept | (f_new >= f) | floor

    _, g0, _ = value_grad_hess(theta0)
    theta, it, _, _ = jax.lax.while_loop(
        cond, body, (theta0, jnp.asarray(0), jnp.max(jnp.abs(g0)), jnp.asarray(False))
    )
    return theta, it


# ----------------------------------------------------------------------------- logistic


def _augment(X, fit_intercept):
    if fit_intercept:
        return jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)
    return X


def _class_sample_weights(codes, n_classes, class_weight, dtype):
    """Per-sample weights ``s_i = class_weight[y_i]``, normalised to mean 1 later."""
    if class_weight is None:
        return jnp.ones(codes.shape[0], dtype)
    if isinstance(class_weight, str):
        counts = jnp.bincount(codes, length=n_classes).astype(dtype)
        per_class = codes.shape[0] / (n_classes * jnp.maximum(counts, 1.0))
    else:
        per_class = jnp.asarray(class_weight, dtype)
    return per_class[codes]


def infer_n_classes(y, n_classes: int | None) -> int:
    """``n_classes`` if given, else ``max(y) + 1`` from concrete integer codes ``y``.

    Also checks that concrete codes lie in ``[0, n_classes)``. Call it on the raw ``y``
    before converting it, so a NumPy ``y`` closed over by a jitted function still counts
    as concrete.
    """
    if is_traced(y):
        if n_classes is None:
            raise ValueError("n_classes must be given when y is traced (e.g. under jax.jit)")
        return n_classes
    y_np = np.asarray(y)
    if y_np.size == 0:
        raise ValueError("y must not be empty")
    if y_np.dtype.kind not in "iub" and not np.all(y_np == np.round(y_np)):
        raise ValueError("y must hold integer class codes")
    lo, hi = int(np.min(y_np)), int(np.max(y_np))
    if n_classes is None:
        n_classes = hi + 1
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"y must hold class codes in [0, {n_classes}), got range [{lo}, {hi}]")
    return n_classes


# Below this many elements of the (n, D²) table of row outer products, the Hessian is one
# matrix product with that table (see _logistic_parts); 2^23 float32 = 32 MiB.
_OUTER_TABLE_MAX = 2**23


def _logistic_parts(Xa, codes, sw, n_out, *, hessian=True):
    """Loss pieces on the augmented design: returns f(theta), grad and Hessian builders
    (``hessian=False`` when the solver never asks for the Hessian).

    The Hessian ``Σᵢ vᵢ xᵢxᵢᵀ`` (per class pair for softmax) is, when it fits in memory,
    one product of the curvature weights ``v`` with a precomputed ``(n, D²)`` table of
    row outer products ``xᵢ ⊗ xᵢ``. Without a ``vmap`` that costs the same n·D² flops as
    ``Xᵀ diag(v) X``; under a ``vmap`` over hyperparameters or fold masks (the table
    depends on ``X`` only, so it is shared) the batch becomes a single
    ``(batch, n) × (n, D²)`` GEMM instead of materialising a ``(batch, n, D)`` copy of
    ``X`` every iteration — about 10× faster for cross-validation grids.
    """
    n, D = Xa.shape
    onehot = jax.nn.one_hot(codes, max(n_out, 2), dtype=Xa.dtype)
    K = n_out
    outer = None
    if hessian and n * D * D <= _OUTER_TABLE_MAX:
        outer = (Xa[:, :, None] * Xa[:, None, :]).reshape(n, D * D)

    def logits(theta):
        return Xa @ theta.reshape(n_out, D).T

    def loss(theta):
        z = logits(theta)
        if n_out == 1:
            per = jax.nn.softplus(z[:, 0]) - onehot[:, 1] * z[:, 0]
        else:
            per = jax.nn.logsumexp(z, axis=1) - jnp.sum(onehot * z, axis=1)
        return sw @ per

    def grad_hess(theta):
        z = logits(theta)
        if n_out == 1:
            p = jax.nn.sigmoid(z[:, 0])
            g = Xa.T @ (sw * (p - onehot[:, 1]))
            v = sw * p * (1.0 - p)
            h = (v @ outer).reshape(D, D) if outer is not None else Xa.T @ (v[:, None] * Xa)
            return g, h
        p = jax.nn.softmax(z, axis=1)
        g = ((p - onehot) * sw[:, None]).T @ Xa  # (K, D)
        if outer is not None:
            # v[i, k, m] = s_i p_ik (δ_km - p_im): the (k, m) Hessian block is Σᵢ v[i,k,m] xᵢxᵢᵀ
            v = (sw[:, None] * p)[:, :, None] * (jnp.eye(K, dtype=Xa.dtype)[None] - p[:, None, :])
            h = (v.reshape(n, K * K).T @ outer).reshape(K, K, D, D).transpose(0, 2, 1, 3)
            return g.reshape(-1), h.reshape(K * D, K * D)
        spx = (sw[:, None] * p)[:, :, None] * Xa[:, None, :]  # (n, K, D)
        px = p[:, :, None] * Xa[:, None, :]
        block = jnp.einsum("nkd,ne->kde", spx, Xa)
        h = jnp.einsum("kde,km->kdme", block, jnp.eye(n_out, dtype=Xa.dtype))
        h = h - jnp.einsum("nkd,nme->kdme", spx, px)
        return g.reshape(-1), h.reshape(n_out * D, n_out * D)

    return loss, grad_hess


def logistic_regression(
    C=1.0,
    *,
    penalty: str | None = "l2",
    solver: str = "newton",
    fit_intercept: bool = True,
    class_weight=None,
    multi_class: str = "auto",
    n_classes: int | None = None,
    tol: float = 1e-6,
    max_iter: int | None = None,
) -> Classifier:
    """Logistic regression with scikit-learn's objective (binary sigmoid or softmax).

    Minimises ``C Σᵢ sᵢ ℓ(yᵢ, Wxᵢ + b) + ½||W||²`` (``penalty="l2"``), ``C Σ sᵢ ℓ + ||W||₁``
    (``"l1"``) or ``Σ sᵢ ℓ`` (``None``); see the module docstring. Internally the
    objective is divided by ``C·Σsᵢ`` so ``tol`` is relative to a mean loss.

    Args:
      C: inverse regularisation strength ``> 0`` (traceable).
      penalty: ``"l2"``, ``"l1"`` or ``None``.
      solver: ``"newton"`` (IRLS with line search) or ``"lbfgs"`` (optax). ``"l1"`` always
        uses FISTA.
      fit_intercept: fit unpenalised intercepts.
      class_weight: None, ``"balanced"`` (``n / (K · count_k)``) or an array of ``K``
        per-class weights (traceable).
      multi_class: ``"auto"`` (sigmoid for two classes, softmax otherwise) or
        ``"multinomial"`` (always softmax with ``K`` logits).
      n_classes: number of classes; inferred as ``max(y) + 1`` when ``y`` is concrete.
      tol: stop when the max-norm of the (scaled) gradient, or FISTA's gradient
        mapping, is below ``tol``.
      max_iter: iteration cap (default 100 for Newton, 1000 for L-BFGS, 20000 for FISTA).

    Returns:
      ``Classifier(fit(X, y, sample_weight=None) -> LogisticParams, predict,
      predict_proba)``; ``y`` holds integer class codes in ``[0, n_classes)``; optional
      per-sample weights multiply the class weights (zeros mask samples out).
    """
    check_positive(C, "C")
    if penalty is not None:
        check_option(penalty, "penalty", ("l2", "l1"))
    check_option(solver, "solver", ("newton", "lbfgs"))
    fit_intercept = _check_fit_intercept(fit_intercept)
    check_option(multi_class, "multi_class", ("auto", "multinomial"))
    if isinstance(class_weight, str):
        check_option(class_weight, "class_weight", ("balanced",))
    if n_classes is not None:
        n_classes = check_int(n_classes, "n_classes", minimum=2)
    _check_tol(tol)
    if max_iter is None:
        max_iter = 20_000 if penalty == "l1" else (100 if solver == "newton" else 1000)
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    def fit(X, y, sample_weight=None) -> LogisticParams:
        K = infer_n_classes(y, n_classes)
        if K < 2:
            raise ValueError(f"y must contain at least 2 classes, got n_classes={K}")
        X, y = check_X_y(X, y, y_kind="i")
        if class_weight is not None and not isinstance(class_weight, str):
            cw = jnp.asarray(class_weight)
            if cw.shape != (K,):
                raise ValueError(f"class_weight must have shape ({K},), got {cw.shape}")
        n_out = 1 if (K == 2 and multi_class == "auto") else K
        dtype = X.dtype
        Xa = _augment(X, fit_intercept)
        D = Xa.shape[1]
        sw_raw = _class_sample_weights(y, K, class_weight, dtype)
        if sample_weight is not None:
            sw_raw = sw_raw * _check_sample_weight(sample_weight, X)
        total = jnp.sum(sw_raw)
        sw = sw_raw / total
        if penalty is None:
            reg = jnp.zeros((), dtype)
        else:
            reg = 1.0 / (jnp.asarray(C, dtype) * total)
        mask = jnp.tile(
            jnp.concatenate([jnp.ones(X.shape[1], dtype), jnp.zeros(D - X.shape[1], dtype)]), n_out
        )
        loss, grad_hess = _logistic_parts(
            Xa, y, sw, n_out, hessian=penalty != "l1" and solver == "newton"
        )
        theta0 = jnp.zeros(n_out * D, dtype)

        if penalty == "l1":
            theta, it = _fista(loss, Xa, sw, n_out, reg, mask, theta0, tol, max_iter)
        else:

            def objective(theta):
                return loss(theta) + 0.5 * reg * jnp.sum(mask * theta**2)

            if solver == "newton":

                def value_grad_hess(theta):
                    g, h = grad_hess(theta)
                    return (
                        objective(theta),
                        g + reg * mask * theta,
                        h + jnp.diag(reg * mask),
                    )

                theta, it = newton_minimize(
                    value_grad_hess, objective, theta0, tol=tol, max_iter=max_iter
                )
            else:
                theta, it = _lbfgs(objective, theta0, tol, max_iter)

        W = theta.reshape(n_out, D)
        coef = W[:, : X.shape[1]]
        if fit_intercept:
            intercept = W[:, -1]
            if n_out > 1:
                intercept = intercept - jnp.mean(intercept)
        else:
            intercept = jnp.zeros(n_out, dtype)
        return LogisticParams(coef=coef, intercept=intercept, n_iter=it, n_classes=K)

    def decision_function(params, X):
        X = check_X(X)
        check_n_features(X, params.coef.shape[1])
        return X @ params.coef.T + params.intercept[None, :]

    def predict_proba(params, X):
        z = decision_function(params, X)
        if z.shape[1] == 1:
            p1 = jax.nn.sigmoid(z[:, 0])
            return jnp.stack([1.0 - p1, p1], axis=1)
        return jax.nn.softmax(z, axis=1)

    def predict(params, X):
        z = decision_function(params, X)
        if z.shape[1] == 1:
            return (z[:, 0] > 0).astype(jnp.int32)
        return jnp.argmax(z, axis=1).astype(jnp.int32)

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)


def _lbfgs(objective, theta0, tol, max_iter):
    """Minimise ``objective`` with optax's L-BFGS inside a ``lax.while_loop``."""
    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(objective)

    def cond(carry):
        _, state, gnorm = carry
        it = optax.tree_utils.tree_get(state, "count")
        return (it == 0) | ((it < max_iter) & (gnorm > tol))

    def body(carry):
        theta, state, _ = carry
        value, grad = value_and_grad(theta, state=state)
        updates, state = opt.update(grad, state, theta, value=value, grad=grad, value_fn=objective)
        theta = optax.apply_updates(theta, updates)
        return theta, state, jnp.max(jnp.abs(jax.grad(objective)(theta)))

    init = (theta0, opt.init(theta0), jnp.asarray(jnp.inf, theta0.dtype))
    theta, state, _ = jax.lax.while_loop(cond, body, init)
    return theta, optax.tree_utils.tree_get(state, "count")


def _fista(loss, Xa, sw, n_out, reg, mask, theta0, tol, max_iter):
    """FISTA with gradient-based adaptive restart for ``loss + reg ||mask ⊙ θ||₁``.

    The step is ``1/L`` with ``L = c · max(s) · ||X̃||₂²`` (``c = 1/4`` for the sigmoid,
    ``1/2`` for the softmax, Böhning's bound on the loss curvature).
    """
    curvature = 0.25 if n_out == 1 else 0.5
    lipschitz = curvature * jnp.max(sw) * jnp.linalg.norm(Xa, ord=2) ** 2
    step = 1.0 / lipschitz
    grad = jax.grad(loss)

    def prox(v):
        return jnp.where(mask > 0, soft_threshold(v, step * reg), v)

    def cond(carry):
        _, _, _, it, err = carry
        return (it < max_iter) & (err > tol)

    def body(carry):
        theta, momentum_point, t, it, _ = carry
        theta_new = prox(momentum_point - step * grad(momentum_point))
        restart = (momentum_point - theta_new) @ (theta_new - theta) > 0
        t_new = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * t * t))
        t_new = jnp.where(restart, 1.0, t_new)
        beta = jnp.where(restart, 0.0, (t - 1.0) / t_new)
        y_new = theta_new + beta * (theta_new - theta)
        err = jnp.max(jnp.abs(theta_new - prox(theta_new - step * grad(theta_new)))) * lipschitz
        return theta_new, y_new, t_new, it + 1, err

    one = jnp.asarray(1.0, theta0.dtype)
    init = (theta0, theta0, one, jnp.asarray(0), jnp.asarray(jnp.inf, theta0.dtype))
    theta, _, _, it, _ = jax.lax.while_loop(cond, body, init)
    return theta, it


# ----------------------------------------------------------------------------- Bayesian


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
    fit_intercept = _check_fit_intercept(fit_intercept)

    def fit(X, y) -> BayesianLinearParams:
        X, y = check_X_y(X, y)
        Xc, yc, x_mean, y_mean = _center(X, y, fit_intercept)
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
    _check_tol(tol)
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
    fit_intercept = _check_fit_intercept(fit_intercept)

    def fit(X, y) -> BayesianLinearParams:
        X, y = check_X_y(X, y)
        dtype = X.dtype
        n, d = X.shape
        Xc, yc, x_mean, y_mean = _center(X, y, fit_intercept)
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
