"""Positive-definite kernels as pure Gram-matrix functions, and a Mercer check.

A kernel :math:`k(x, z) = \\langle \\phi(x), \\phi(z) \\rangle` is an inner product in a
feature space; its Gram matrix :math:`K_{ij} = k(x_i, z_j)` is all that kernel methods
(SVM, kernel ridge, Gaussian processes) ever need. The parameterisation follows
``sklearn.metrics.pairwise`` exactly:

* linear      :math:`k(x, z) = x^\\top z`
* polynomial  :math:`k(x, z) = (\\gamma\\, x^\\top z + c_0)^{d}`
* RBF         :math:`k(x, z) = \\exp(-\\gamma \\lVert x - z \\rVert^2)`
* sigmoid     :math:`k(x, z) = \\tanh(\\gamma\\, x^\\top z + c_0)`

``gamma=None`` means :math:`1 / n_{\\text{features}}` (scikit-learn's default).

Mercer's theorem: ``k`` is a valid (reproducing) kernel iff every Gram matrix is
symmetric positive semi-definite. :func:`is_mercer` checks one Gram matrix through its
smallest eigenvalue. Linear, polynomial (``c_0 >= 0``) and RBF kernels always pass; the
sigmoid kernel is *not* positive semi-definite in general (Lin & Lin, 2003), e.g. for a
large ``gamma`` with ``c_0 < 0``, which the tests demonstrate.

References:
  Schölkopf & Smola, *Learning with Kernels*, MIT Press 2002, ch. 2.
  Lin & Lin, "A study on sigmoid kernels for SVM and the training of non-PSD kernels
  by SMO-type methods", Tech. report, National Taiwan University, 2003.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from jaxml.core import check_array, check_int, check_option, check_positive, is_traced

__all__ = [
    "KERNELS",
    "linear_kernel",
    "polynomial_kernel",
    "rbf_kernel",
    "sigmoid_kernel",
    "squared_distances",
    "pairwise_kernel",
    "is_mercer",
    "min_eigenvalue",
]


def _check_pair(X: Any, Z: Any) -> tuple[jax.Array, jax.Array]:
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    Z = X if Z is None else check_array(Z, "Z", ndim=2, dtype_kind="f")
    if X.shape[1] != Z.shape[1]:
        raise ValueError(
            f"X and Z must have the same number of features, got {X.shape[1]} and {Z.shape[1]}"
        )
    dtype = jnp.result_type(X.dtype, Z.dtype)
    return X.astype(dtype), Z.astype(dtype)


def _gamma(gamma: Any, X: jax.Array) -> Any:
    if gamma is None:
        return 1.0 / X.shape[1]
    check_positive(gamma, "gamma")
    return gamma


def squared_distances(X: jax.Array, Z: jax.Array, z_sq: jax.Array | None = None) -> jax.Array:
    """``D_ij = ||x_i - z_j||²`` of ``X (m, d)`` and ``Z (n, d)`` by one matmul.

    ``||x||² + ||z||² - 2 x·z`` cancels catastrophically for nearby points, so values at
    or below the rounding floor ``4 ε (||x||² + ||z||²)`` are set to exactly 0 (identical
    rows get distance 0, an RBF diagonal exactly 1). ``z_sq`` may pass precomputed
    ``||z_j||²`` when ``Z`` is queried many times (nearest neighbours).
    """
    if z_sq is None:
        z_sq = jnp.sum(Z * Z, axis=1)
    x_sq = jnp.sum(X * X, axis=1)[:, None]
    d2 = x_sq - 2.0 * (X @ Z.T) + z_sq[None, :]
    floor = 4.0 * jnp.finfo(d2.dtype).eps * (x_sq + z_sq[None, :])
    return jnp.where(d2 <= floor, 0.0, d2)


def linear_kernel(X: Any, Z: Any = None) -> jax.Array:
    """Gram matrix ``X Z^T`` of shape ``(n_X, n_Z)``; ``Z=None`` means ``Z = X``."""
    X, Z = _check_pair(X, Z)
    return X @ Z.T


def polynomial_kernel(
    X: Any, Z: Any = None, *, degree: int = 3, gamma: Any = None, coef0: Any = 1.0
) -> jax.Array:
    """``(gamma X Z^T + coef0) ** degree``; ``degree`` is a static int >= 0."""
    X, Z = _check_pair(X, Z)
    degree = check_int(degree, "degree", minimum=0)
    gamma = _gamma(gamma, X)
    return jax.lax.integer_pow(gamma * (X @ Z.T) + coef0, degree)


def rbf_kernel(X: Any, Z: Any = None, *, gamma: Any = None) -> jax.Array:
    """``exp(-gamma ||x - z||^2)``."""
    X, Z = _check_pair(X, Z)
    gamma = _gamma(gamma, X)
    return jnp.exp(-gamma * squared_distances(X, Z))


def sigmoid_kernel(X: Any, Z: Any = None, *, gamma: Any = None, coef0: Any = 1.0) -> jax.Array:
    """``tanh(gamma X Z^T + coef0)`` (not positive semi-definite in general)."""
    X, Z = _check_pair(X, Z)
    gamma = _gamma(gamma, X)
    return jnp.tanh(gamma * (X @ Z.T) + coef0)


KERNELS: dict[str, Callable[..., jax.Array]] = {
    "linear": linear_kernel,
    "poly": polynomial_kernel,
    "rbf": rbf_kernel,
    "sigmoid": sigmoid_kernel,
}
"""Kernel names as scikit-learn spells them (``SVC(kernel=...)``)."""

_KERNEL_PARAMS = {
    "linear": (),
    "poly": ("degree", "gamma", "coef0"),
    "rbf": ("gamma",),
    "sigmoid": ("gamma", "coef0"),
}


def pairwise_kernel(
    X: Any,
    Z: Any = None,
    *,
    kernel: str = "rbf",
    gamma: Any = None,
    degree: int = 3,
    coef0: Any = 1.0,
) -> jax.Array:
    """Gram matrix of the named kernel; parameters a kernel does not use are ignored."""
    check_option(kernel, "kernel", KERNELS)
    given = {"gamma": gamma, "degree": degree, "coef0": coef0}
    params = {name: given[name] for name in _KERNEL_PARAMS[kernel]}
    return KERNELS[kernel](X, Z, **params)


def min_eigenvalue(K: Any) -> jax.Array:
    """Smallest eigenvalue of the symmetric part of a square matrix ``K``."""
    K = check_array(K, "K", ndim=2, dtype_kind="f")
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be square, got shape {K.shape}")
    return jnp.linalg.eigvalsh(0.5 * (K + K.T))[0]


def is_mercer(K: Any, tol: Any = 1e-6) -> jax.Array:
    """Whether a Gram matrix is symmetric positive semi-definite (Mercer's condition).

    ``K`` passes when it is symmetric up to ``tol`` (relative to its largest entry) and
    :math:`\\lambda_{\\min}(K) \\ge -\\mathrm{tol} \\cdot \\max(1, |\\lambda_{\\max}(K)|)`;
    the relative tolerance absorbs rounding in the eigensolver. Returns a boolean scalar
    array (jittable).
    """
    K = check_array(K, "K", ndim=2, dtype_kind="f")
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be square, got shape {K.shape}")
    if not is_traced(tol):
        check_positive(tol, "tol", strict=False)
    scale = jnp.maximum(1.0, jnp.max(jnp.abs(K)))
    symmetric = jnp.max(jnp.abs(K - K.T)) <= tol * scale
    eig = jnp.linalg.eigvalsh(0.5 * (K + K.T))
    psd = eig[0] >= -tol * jnp.maximum(1.0, jnp.abs(eig[-1]))
    return symmetric & psd
