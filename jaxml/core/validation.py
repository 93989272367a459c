"""Input validation at the Python boundary, before tracing.

Every public entry point calls these on its arguments so that bad input raises a
``ValueError``/``TypeError`` that names the argument and says what was expected, instead
of returning silently wrong numbers. Checks that need concrete values (NaN/inf, label
sets) are skipped when the argument is a tracer, so the same functions can be called
inside ``jax.jit``; rank and shape checks always run, because shapes are static.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def is_traced(x: Any) -> bool:
    """True when ``x`` is an abstract value inside ``jit``/``vmap``/``grad``."""
    return isinstance(x, jax.core.Tracer)


def check_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtype_kind: str | None = None,
    allow_empty: bool = False,
    finite: bool = True,
) -> jax.Array:
    """Convert ``x`` to a JAX array and check it.

    Args:
      x: array-like.
      name: the argument's name, used in error messages.
      ndim: required rank, or a tuple of allowed ranks.
      dtype_kind: ``"f"`` (float; ints are promoted), ``"i"`` (integer) or ``None``.
      allow_empty: whether a zero-size array is acceptable.
      finite: reject NaN and ±inf (skipped under tracing).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    try:
        arr = x if isinstance(x, jax.Array) else jnp.asarray(np.asarray(x))
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be array-like of numbers: {err}") from None
    if arr.dtype == object or not (
        jnp.issubdtype(arr.dtype, jnp.number) or jnp.issubdtype(arr.dtype, jnp.bool_)
    ):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have rank {want}, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if dtype_kind == "f" and not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    elif dtype_kind == "i" and not jnp.issubdtype(arr.dtype, jnp.integer):
        if not is_traced(arr) and not np.all(np.asarray(arr) == np.round(np.asarray(arr))):
            raise ValueError(f"{name} must hold integers, got non-integral values")
        arr = arr.astype(jnp.int32)
    if finite and jnp.issubdtype(arr.dtype, jnp.inexact) and not is_traced(arr):
        # NumPy, not jnp: a concrete array closed over by a function being traced would
        # otherwise turn into a tracer here.
        if not np.isfinite(np.asarray(arr)).all():
            raise ValueError(f"{name} must be finite, found NaN or inf")
    return arr


def check_X(X: Any, name: str = "X", **kwargs: Any) -> jax.Array:
    """A 2-D float design matrix ``(n_samples, n_features)``."""
    return check_array(X, name, ndim=2, dtype_kind="f", **kwargs)


def check_X_y(
    X: Any, y: Any, *, y_ndim: int | tuple[int, ...] = 1, y_kind: str | None = "f"
) -> tuple[jax.Array, jax.Array]:
    """``X`` of shape ``(n, d)`` and ``y`` with the same number of rows."""
    X = check_X(X)
    y = check_array(y, "y", ndim=y_ndim, dtype_kind=y_kind)
    check_same_length(X, y, "X", "y")
    return X, y


def check_same_length(a: jax.Array, b: jax.Array, name_a: str, name_b: str) -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of rows, "
            f"got {a.shape[0]} and {b.shape[0]}"
        )


def check_n_features(X: jax.Array, n_features: int, name: str = "X") -> None:
    """``X`` has the number of columns seen at fit time."""
    if X.shape[-1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[-1]} features, but the model was fitted with {n_features}"
        )


def check_option(value: Any, name: str, options: Iterable[Any]) -> Any:
    """``value`` is one of ``options``; the error lists them."""
    options = tuple(options)
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_positive(value: Any, name: str, *, strict: bool = True) -> Any:
    """A positive (or non-negative) scalar; skipped for traced values."""
    if is_traced(value):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or arr.ndim != 0 or not np.isfinite(arr):
        raise TypeError(f"{name} must be a finite real scalar, got {value!r}")
    if (arr <= 0) if strict else (arr < 0):
        raise ValueError(f"{name} must be {'>' if strict else '>='} 0, got {value!r}")
    return value


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """A Python integer (static hyperparameter) with an optional lower bound."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_probability(value: Any, name: str) -> Any:
    """A scalar in [0, 1]; skipped for traced values."""
    if is_traced(value):
        return value
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "iuf" or not (0.0 <= float(arr) <= 1.0):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return value


def check_labels(y: Any, name: str = "y", *, min_classes: int = 2) -> tuple[jax.Array, np.ndarray]:
    """Integer-encode class labels; returns ``(codes, classes)``.

    ``classes`` is the sorted array of distinct labels (as scikit-learn's ``classes_``),
    ``codes`` are indices into it. Raises if fewer than ``min_classes`` distinct labels.
    """
    y_np = np.asarray(y)
    if y_np.ndim != 1:
        raise ValueError(f"{name} must have rank 1, got shape {y_np.shape}")
    if y_np.size == 0:
        raise ValueError(f"{name} must not be empty")
    classes, codes = np.unique(y_np, return_inverse=True)
    if classes.size < min_classes:
        raise ValueError(
            f"{name} must contain at least {min_classes} classes, got {classes.size}: {classes}"
        )
    return jnp.asarray(codes, dtype=jnp.int32), classes
