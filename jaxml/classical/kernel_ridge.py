"""Kernel ridge regression: ridge regression in a reproducing-kernel Hilbert space.

Minimising :math:`\\sum_i (y_i - f(x_i))^2 + \\alpha \\lVert f \\rVert_{\\mathcal H}^2` over
:math:`f \\in \\mathcal H` gives, by the representer theorem,
:math:`f(x) = \\sum_i a_i k(x_i, x)` with dual coefficients

.. math::  a = (K + \\alpha I)^{-1} y,

solved here by a Cholesky factorisation when :math:`K + \\alpha I` is positive definite
and by an LU solve otherwise (e.g. the indefinite sigmoid kernel), as scikit-learn's
``KernelRidge`` does. There is no intercept (centre ``y`` yourself, or add a constant to
the kernel). ``y`` may be ``(n,)`` or ``(n, n_targets)``.

Reference: Saunders, Gammerman & Vovk, "Ridge regression learning algorithm in dual
variables", ICML 1998; Murphy, *Probabilistic Machine Learning*, §17.3.9.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jaxml.classical.kernels import KERNELS, pairwise_kernel
from jaxml.core import (
    Regressor,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    check_X_y,
    pytree_dataclass,
)

__all__ = ["KernelRidgeParams", "kernel_ridge", "kernel_ridge_dual_coef"]


@pytree_dataclass
class KernelRidgeParams:
    """Fitted kernel ridge: ``f(x) = k(x, X_fit) @ dual_coef``."""

    X_fit: jax.Array
    dual_coef: jax.Array


def kernel_ridge_dual_coef(K: jax.Array, y: jax.Array, alpha: Any) -> jax.Array:
    """``(K + alpha I)^{-1} y``: Cholesky when it succeeds, otherwise LU."""
    A = K + alpha * jnp.eye(K.shape[0], dtype=K.dtype)
    L = jnp.linalg.cholesky(A)
    chol = jax.scipy.linalg.cho_solve((L, True), y)
    ok = jnp.all(jnp.isfinite(chol))
    return jax.lax.cond(ok, lambda: chol, lambda: jnp.linalg.solve(A, y))


def kernel_ridge(
    alpha: Any = 1.0,
    *,
    kernel: str = "linear",
    gamma: Any = None,
    degree: int = 3,
    coef0: Any = 1.0,
) -> Regressor:
    """Kernel ridge regression with scikit-learn's ``KernelRidge`` defaults.

    Args:
      alpha: ridge penalty (traced; ``vmap`` over it for a regularisation path).
      kernel: ``"linear"``, ``"poly"``, ``"rbf"`` or ``"sigmoid"`` (static).
      gamma: kernel scale; ``None`` = 1/n_features (traced).
      degree: polynomial degree (static).
      coef0: offset of the polynomial and sigmoid kernels (traced).

    Returns:
      ``Regressor(fit, predict)``; ``fit(X, y) -> KernelRidgeParams``.
    """
    check_option(kernel, "kernel", KERNELS)
    check_positive(alpha, "alpha")
    check_int(degree, "degree", minimum=0)

    def gram(X, Z):
        return pairwise_kernel(X, Z, kernel=kernel, gamma=gamma, degree=degree, coef0=coef0)

    def fit(X: Any, y: Any) -> KernelRidgeParams:
        X, y = check_X_y(X, y, y_ndim=(1, 2))
        y = y.astype(X.dtype)
        return KernelRidgeParams(X, kernel_ridge_dual_coef(gram(X, None), y, alpha))

    def predict(params: KernelRidgeParams, X: Any) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.X_fit.shape[1])
        return gram(X, params.X_fit) @ params.dual_coef

    return Regressor(fit, predict)
