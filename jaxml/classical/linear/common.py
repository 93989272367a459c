"""What every linear model shares: the fitted affine map, intercept handling by centring,
the soft-threshold and the checks of the common arguments.

Centring: for the objective :math:`\\lVert y - Xw - b\\mathbf 1\\rVert^2 + \\text{pen}(w)` the
optimal unpenalised intercept is :math:`b = \\bar y - \\bar x^\\top w`; substituting it
leaves the same problem in :math:`w` on the centred data :math:`X_c = X - \\mathbf 1\\bar
x^\\top`, :math:`y_c = y - \\bar y`. With sample weights :math:`s_i` the means are weighted
and the rows scaled by :math:`\\sqrt{s_i}`, which turns weighted least squares into plain
least squares.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxml.core import (
    check_array,
    check_bool,
    check_n_features,
    check_positive,
    check_same_length,
    check_X,
    is_traced,
    pytree_dataclass,
)

__all__ = [
    "LinearParams",
    "center",
    "weighted_center",
    "augment",
    "predict_affine",
    "soft_threshold",
    "check_fit_intercept",
    "check_tol",
    "check_sample_weight",
]


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


def center(X: jax.Array, y: jax.Array, fit_intercept: bool):
    """Centred copies of ``X`` and ``y`` and their means (zeros without an intercept)."""
    if fit_intercept:
        x_mean = jnp.mean(X, axis=0)
        y_mean = jnp.mean(y, axis=0)
    else:
        x_mean = jnp.zeros(X.shape[1], X.dtype)
        y_mean = jnp.zeros((), X.dtype)
    return X - x_mean[None, :], y - y_mean, x_mean, y_mean


def weighted_center(X, y, sample_weight, fit_intercept):
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


def augment(X: jax.Array, fit_intercept: bool) -> jax.Array:
    """``[X, 1]`` when an intercept is fitted as a parameter (GLMs), else ``X``."""
    if fit_intercept:
        return jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)
    return X


def predict_affine(params, X: jax.Array) -> jax.Array:
    """``X @ params.coef + params.intercept`` after checking ``X``."""
    X = check_X(X)
    check_n_features(X, params.coef.shape[-1])
    return X @ params.coef + params.intercept


def soft_threshold(z: jax.Array, t: jax.Array) -> jax.Array:
    """``sign(z) * max(|z| - t, 0)``: the proximal operator of ``t * |z|``."""
    return jnp.sign(z) * jnp.maximum(jnp.abs(z) - t, 0.0)


def check_fit_intercept(fit_intercept) -> bool:
    """``fit_intercept`` must be a real bool (a string such as ``"no"`` is refused)."""
    return check_bool(fit_intercept, "fit_intercept")


def check_tol(tol) -> None:
    """A solver tolerance ``>= 0``."""
    check_positive(tol, "tol", strict=False)


def check_sample_weight(sample_weight, X):
    """Non-negative per-sample weights ``(n,)`` with a positive sum, in ``X``'s dtype."""
    sw = check_array(sample_weight, "sample_weight", ndim=1, dtype_kind="f")
    check_same_length(X, sw, "X", "sample_weight")
    if not is_traced(sw) and (bool(jnp.any(sw < 0)) or not float(jnp.sum(sw)) > 0):
        raise ValueError("sample_weight must be non-negative with a positive sum")
    return sw.astype(X.dtype)
