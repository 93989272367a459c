r"""Generalised linear models: Poisson regression (log link) and softmax regression.

A GLM models :math:`\mathbb E[y \mid x] = g^{-1}(x^\top w + b)` with :math:`y` from an
exponential family (Nelder & Wedderburn, 1972). For counts, the Poisson family with the
canonical log link gives :math:`\mu = e^{\eta}`, :math:`\eta = x^\top w + b`, and the
negative log-likelihood per sample is :math:`\mu - y\eta + \log y!`. scikit-learn's
``PoissonRegressor`` minimises the mean half deviance plus an L2 penalty,

.. math::
    \frac{1}{n}\sum_i \big(y_i \log(y_i/\mu_i) - y_i + \mu_i\big)
    + \frac{\alpha}{2}\lVert w\rVert^2 ,

which equals :math:`\frac1n\sum_i(\mu_i - y_i\eta_i) + \frac\alpha2\lVert w\rVert^2` up to a
constant. Its gradient is :math:`\tilde X^\top(\mu - y)/n + \alpha w` and its Hessian
:math:`\tilde X^\top \operatorname{diag}(\mu)\tilde X / n + \alpha I_w` (positive definite),
so Newton's method (Fisher scoring = IRLS for a canonical link;
:func:`jaxml.math.optim_second_order.newton` given this Hessian) converges quadratically.
The intercept is unpenalised and starts at :math:`\log \bar y`.

Softmax (multinomial logistic) regression is the GLM of a categorical response with the
canonical (softmax) link; :func:`softmax_regression` is
:func:`jaxml.classical.linear.logistic_regression` forced to ``K`` logits.
"""

from __future__ import annotations

import jax.numpy as jnp

from jaxml.classical.linear.common import (
    LinearParams,
    augment,
    check_fit_intercept,
    check_tol,
)
from jaxml.classical.linear.logistic import logistic_regression
from jaxml.core import (
    Classifier,
    Regressor,
    check_int,
    check_n_features,
    check_positive,
    check_X,
    check_X_y,
    is_traced,
)
from jaxml.math.optim_second_order import newton

__all__ = ["poisson_regression", "softmax_regression"]


def poisson_regression(
    alpha=1.0, *, fit_intercept: bool = True, tol: float = 1e-8, max_iter: int = 100
) -> Regressor:
    """Poisson regression with a log link (scikit-learn's ``PoissonRegressor`` objective).

    Args:
      alpha: L2 penalty ``>= 0`` on the slopes (traceable).
      fit_intercept: fit an unpenalised intercept.
      tol: Newton stops when the gradient's max-norm is below ``tol``.
      max_iter: Newton iteration cap.

    Returns:
      ``Regressor(fit(X, y) -> LinearParams, predict(params, X) -> exp(Xw + b))``; ``y``
      must be non-negative.
    """
    check_positive(alpha, "alpha", strict=False)
    fit_intercept = check_fit_intercept(fit_intercept)
    check_tol(tol)
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    def fit(X, y) -> LinearParams:
        X, y = check_X_y(X, y)
        if not is_traced(y):
            if bool(jnp.any(y < 0)):
                raise ValueError("y must be non-negative for Poisson regression")
        dtype = X.dtype
        n, d = X.shape
        Xa = augment(X, fit_intercept)
        D = Xa.shape[1]
        reg = jnp.asarray(alpha, dtype)
        mask = jnp.concatenate([jnp.ones(d, dtype), jnp.zeros(D - d, dtype)])

        def objective(theta):
            eta = Xa @ theta
            return jnp.mean(jnp.exp(eta) - y * eta) + 0.5 * reg * jnp.sum(mask * theta**2)

        def hessian(theta):
            mu = jnp.exp(Xa @ theta)
            return Xa.T @ ((mu / n)[:, None] * Xa) + jnp.diag(reg * mask)

        theta0 = jnp.zeros(D, dtype)
        if fit_intercept:
            # log ȳ, floored so an all-zero y starts at a tiny rate instead of -inf.
            theta0 = theta0.at[-1].set(jnp.log(jnp.maximum(jnp.mean(y), 1e-10)))
        result = newton(objective, theta0, hessian=hessian, gtol=tol, max_iter=max_iter)
        theta, it = result.x, result.num_iter
        intercept = theta[-1] if fit_intercept else jnp.zeros((), dtype)
        return LinearParams(coef=theta[:d], intercept=intercept, n_iter=it)

    def predict(params, X):
        X = check_X(X)
        check_n_features(X, params.coef.shape[0])
        return jnp.exp(X @ params.coef + params.intercept)

    return Regressor(fit=fit, predict=predict)


def softmax_regression(
    C=1.0,
    *,
    solver: str = "newton",
    fit_intercept: bool = True,
    class_weight=None,
    n_classes: int | None = None,
    tol: float = 1e-6,
    max_iter: int | None = None,
) -> Classifier:
    """Multinomial (softmax) regression with an L2 penalty, ``K`` logits even when ``K = 2``.

    Minimises ``C Σᵢ sᵢ (log Σ_k exp(z_ik) - z_{i,yᵢ}) + ½||W||²``. With two classes the
    symmetric softmax equals a sigmoid model with ``coef = W₁ - W₀`` fitted at ``2C``.
    Arguments as in :func:`jaxml.classical.linear.logistic_regression`.
    """
    return logistic_regression(
        C,
        penalty="l2",
        solver=solver,
        fit_intercept=fit_intercept,
        class_weight=class_weight,
        multi_class="multinomial",
        n_classes=n_classes,
        tol=tol,
        max_iter=max_iter,
    )

