"""Input validation at the Python boundary, and a checked path for jitted code.

Every public entry point calls these on its arguments so that bad input raises a
``ValueError``/``TypeError`` that names the argument and says what was expected, instead
of returning silently wrong numbers.

**Which checks run where.** Types, ranks, shapes, emptiness, option names and static
integers (``check_int``, ``check_bool``, ``check_option``) only need static information,
so they run always — eagerly and while ``jax.jit``/``jax.vmap`` trace the function.
Checks on *values* — finiteness, integrality, sign and range of a scalar, probability
vectors and stochastic matrices, class codes and the number of distinct classes — need
concrete numbers:

* on concrete inputs (the eager call, or a concrete array closed over by a traced
  function) they raise at once;
* on tracers they are skipped under a plain ``jax.jit``/``jax.vmap``, so jitted code
  pays nothing for them — and ``jax.jit(ridge().fit)(X_nan, y)`` returns NaN silently;
* under :func:`checked` they are emitted as ``jax.experimental.checkify`` checks, so
  ``checked(jax.jit(ridge().fit))(X_nan, y)`` raises the eager path's ``ValueError``
  ("X must be finite, found NaN or inf") after the compiled call.

A comparison with NaN is false, so every range check tests the *acceptance*
condition (``0 < v``, not ``v <= 0``) and NaN is rejected with the other bad values;
finiteness is checked before any cast to an integer type (a cast would turn ±inf and
NaN into arbitrary integers).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

_EMIT_CHECKS = contextvars.ContextVar("jaxml_emit_checks", default=False)


def is_traced(x: Any) -> bool:
    """True when ``x`` is an abstract value inside ``jit``/``vmap``/``grad``."""
    return isinstance(x, jax.core.Tracer)


def _require(ok: Any, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``ok``; for a traced ``ok``, emit a checkify
    check under :func:`checked` and skip it otherwise."""
    if is_traced(ok):
        if _EMIT_CHECKS.get():
            checkify.check(ok, message.replace("{", "{{").replace("}", "}}"))
        return
    if not bool(ok):
        raise ValueError(message)


def checked(fn: Callable, *, static_argnames: Iterable[str] = ()) -> Callable:
    """A jitted ``fn`` whose value checks run inside the compiled program.

    ``checked(est.fit)(X, y)`` (or ``checked(jax.jit(est.fit))``: a jitted function is
    unwrapped and jitted again, with ``static_argnames``) traces ``fn`` with the value
    checks of this module turned into ``checkify`` checks, runs it, and raises the first
    failed check as a ``ValueError`` with the eager path's message. The checks cost a
    reduction per checked array, so the unchecked ``jax.jit(fn)`` stays the fast path.
    """
    inner = fn.__wrapped__ if hasattr(fn, "lower") else fn  # a jax.jit-wrapped function

    def emitting(*args, **kwargs):
        token = _EMIT_CHECKS.set(True)
        try:
            return inner(*args, **kwargs)
        finally:
            _EMIT_CHECKS.reset(token)

    program = jax.jit(checkify.checkify(emitting, errors=checkify.user_checks),
                      static_argnames=tuple(static_argnames))

    @functools.wraps(inner)
    def run(*args, **kwargs):
        error, out = program(*args, **kwargs)
        message = error.get()
        if message is not None:
            raise ValueError(message.removesuffix(" (`check` failed)"))
        return out

    return run


def _all_finite(arr: jax.Array) -> Any:
    # NumPy for concrete arrays: a concrete array closed over by a function being traced
    # would otherwise turn into a tracer here.
    if is_traced(arr):
        return jnp.all(jnp.isfinite(arr))
    return np.isfinite(np.asarray(arr)).all()


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
      dtype_kind: ``"f"`` (float; ints are promoted), ``"i"`` (integer; integral floats
        are cast to int32 after the finiteness check) or ``None``.
      allow_empty: whether a zero-size array is acceptable.
      finite: reject NaN and ±inf (a value check; see the module docstring).
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
    inexact = jnp.issubdtype(arr.dtype, jnp.inexact)
    if (finite or dtype_kind == "i") and inexact:
        _require(_all_finite(arr), f"{name} must be finite, found NaN or inf")
    if dtype_kind == "f" and not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    elif dtype_kind == "i" and not jnp.issubdtype(arr.dtype, jnp.integer):
        if is_traced(arr):
            integral = jnp.all(arr == jnp.round(arr))
        else:
            values = np.asarray(arr)
            integral = np.all(values == np.round(values))
        _require(integral, f"{name} must hold integers, got non-integral values")
        arr = arr.astype(jnp.int32)
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


def check_bool(value: Any, name: str) -> bool:
    """A Python or NumPy bool (a flag); strings, ints and arrays are rejected, because
    ``bool("False")`` is ``True``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def _real_scalar(value: Any, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real scalar, got {value!r}")
    return arr


def check_range(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False,
                expected: str | None = None) -> Any:
    """A finite real scalar between ``low`` and ``high`` (closed ends unless
    ``low_open``/``high_open``); NaN and ±inf are rejected. ``expected`` replaces the
    interval in the error message. A value check (see the module docstring)."""
    if expected is None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        expected = (f"a finite number in {left}{'-inf' if low is None else low}, "
                    f"{'inf' if high is None else high}{right}")
    if is_traced(value):
        v, ok = value, jnp.isfinite(value)
        message = f"{name} must be {expected}"
    else:
        v = float(_real_scalar(value, name))
        ok = bool(np.isfinite(v))
        message = f"{name} must be {expected}, got {value!r}"
    if low is not None:
        ok = ok & ((v > low) if low_open else (v >= low))
    if high is not None:
        ok = ok & ((v < high) if high_open else (v <= high))
    _require(ok, message)
    return value


def check_positive(value: Any, name: str, *, strict: bool = True) -> Any:
    """A finite scalar ``> 0`` (``>= 0`` with ``strict=False``); NaN is rejected."""
    return check_range(value, name, low=0.0, low_open=strict,
                       expected=f"{'>' if strict else '>='} 0 and finite")


def check_probability(value: Any, name: str) -> Any:
    """A scalar in [0, 1]; NaN is rejected."""
    return check_range(value, name, low=0.0, high=1.0, expected="a probability in [0, 1]")


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """A Python integer (static hyperparameter, e.g. an iteration count with
    ``minimum=1``) with an optional lower bound; bools are rejected."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _sum_tolerance(dtype: Any, atol: float | None) -> float:
    return float(np.sqrt(np.finfo(dtype).eps)) if atol is None else atol


def check_stochastic_matrix(P: Any, name: str, *, ndim: int = 2,
                            atol: float | None = None) -> jax.Array:
    """Rows of probabilities: finite, non-negative, each summing to 1 within ``atol``.

    ``ndim=1`` checks a single probability vector. The default tolerance is the square
    root of the dtype's machine epsilon (3.5e-4 in float32, 1.5e-8 in float64).
    """
    P = check_array(P, name, ndim=ndim, dtype_kind="f")
    tol = _sum_tolerance(P.dtype, atol)
    what = "a probability vector" if ndim == 1 else "a stochastic matrix"
    if is_traced(P):
        non_negative = jnp.all(P >= 0)
        sums_to_one = jnp.all(jnp.abs(P.sum(axis=-1) - 1) <= tol)
    else:
        values = np.asarray(P)
        non_negative = np.all(values >= 0)
        sums_to_one = np.all(np.abs(values.sum(axis=-1) - 1) <= tol)
    _require(non_negative, f"{name} must be {what}: found negative entries")
    rows = "" if ndim == 1 else " in every row"
    _require(sums_to_one, f"{name} must be {what}: entries must sum to 1{rows} "
                          f"(within {tol:.1e})")
    return P


def check_probability_vector(p: Any, name: str, *, atol: float | None = None) -> jax.Array:
    """A finite non-negative vector summing to 1 within ``atol``."""
    return check_stochastic_matrix(p, name, ndim=1, atol=atol)


def check_class_codes(y: Any, name: str = "y", *, n_classes: int | None = None,
                      min_classes: int = 2) -> int:
    """Integer class codes in ``[0, n_classes)`` with at least ``min_classes`` distinct
    labels present; returns ``n_classes`` (``max(y) + 1`` when not given).

    The number of classes present is counted from the distinct labels, not from
    ``max(y) + 1`` (``y = [3, 3, 3]`` holds one class, not four). Under tracing
    ``n_classes`` must be given; the range and count checks are value checks.
    """
    if n_classes is not None:
        n_classes = check_int(n_classes, "n_classes", minimum=min_classes)
    codes = check_array(y, name, ndim=1, dtype_kind="i")
    # Decide on the input, not the converted array: under jit, converting a concrete
    # NumPy array with jnp yields a tracer, yet its values are known here.
    if is_traced(y):
        if n_classes is None:
            raise ValueError(f"n_classes must be given when {name} is traced (e.g. under "
                             "jax.jit or jax.vmap)")
        in_range = (jnp.min(codes) >= 0) & (jnp.max(codes) < n_classes)
        _require(in_range, f"{name} must hold class codes in [0, {n_classes})")
        sorted_codes = jnp.sort(codes)
        present = 1 + jnp.sum(sorted_codes[1:] != sorted_codes[:-1])
        _require(present >= min_classes,
                 f"{name} must contain at least {min_classes} distinct classes")
        return n_classes
    present = np.unique(np.asarray(y).astype(np.int64))
    if present.size < min_classes:
        raise ValueError(f"{name} must contain at least {min_classes} distinct classes, "
                         f"got {present.size}: {present}")
    lo, hi = int(present[0]), int(present[-1])
    k = hi + 1 if n_classes is None else n_classes
    if lo < 0 or hi >= k:
        raise ValueError(f"{name} must hold class codes in [0, {k}), got range [{lo}, {hi}]")
    return k


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
    if y_np.dtype.kind == "f" and not np.isfinite(y_np).all():
        raise ValueError(f"{name} must be finite, found NaN or inf")
    classes, codes = np.unique(y_np, return_inverse=True)
    if classes.size < min_classes:
        raise ValueError(
            f"{name} must contain at least {min_classes} classes, got {classes.size}: {classes}"
        )
    return jnp.asarray(codes, dtype=jnp.int32), classes
