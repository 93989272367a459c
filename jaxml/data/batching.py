"""Keyed minibatch iteration.

``batches(key, (X, y), batch_size)`` yields tuples of minibatches in an order fixed by
``key``: the same key gives the same batches. Inside jitted training loops, use
:func:`epoch_batches` instead, which reshapes a permuted dataset into a static
``(n_batches, batch_size, ...)`` array for ``lax.scan``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core.validation import check_int


def _check_arrays(arrays: Sequence) -> int:
    if not isinstance(arrays, (tuple, list)) or not arrays:
        raise TypeError("arrays must be a non-empty tuple of arrays with equal first dimension")
    lengths = {int(np.shape(a)[0]) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(f"arrays must share their first dimension, got lengths {sorted(lengths)}")
    return lengths.pop()


def batches(key: jax.Array, arrays: Sequence, batch_size: int, *,
            drop_last: bool = True) -> Iterator[tuple]:
    """Yield shuffled minibatches (one tuple per batch) of ``arrays``."""
    n = _check_arrays(arrays)
    check_int(batch_size, "batch_size", minimum=1)
    if batch_size > n and drop_last:
        raise ValueError(f"batch_size ({batch_size}) exceeds the number of examples ({n})")
    order = np.asarray(jax.random.permutation(key, n))
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield tuple(a[idx] for a in arrays)


def epoch_batches(key: jax.Array, arrays: Sequence, batch_size: int) -> tuple:
    """One epoch as stacked batches ``(n // batch_size, batch_size, ...)`` (remainder dropped).

    Traceable: use it inside ``jit``/``scan`` with a static ``batch_size``.
    """
    n = _check_arrays(arrays)
    n_batches = n // batch_size
    if n_batches == 0:
        raise ValueError(f"batch_size ({batch_size}) exceeds the number of examples ({n})")
    order = jax.random.permutation(key, n)[: n_batches * batch_size]
    return tuple(
        jnp.asarray(a)[order].reshape((n_batches, batch_size) + tuple(jnp.shape(a)[1:]))
        for a in arrays
    )
