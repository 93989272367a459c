"""PRNG helpers: explicit keys everywhere.

No function in jaxml draws randomness from global state: anything random takes ``key``
first. These helpers turn integer seeds into keys and split keys for the usual patterns
(one key per seed for ``vmap``, one per named purpose).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


def as_key(seed_or_key: Any) -> jax.Array:
    """An int seed or an existing key (typed or raw ``uint32[2]``) as a raw key.

    Raw ``uint32`` keys are used internally because they are plain arrays that every
    checkpoint format stores.
    """
    if isinstance(seed_or_key, (int,)) and not isinstance(seed_or_key, bool):
        return jax.random.PRNGKey(seed_or_key)
    key = jnp.asarray(seed_or_key) if not isinstance(seed_or_key, jax.Array) else seed_or_key
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return jax.random.key_data(key)
    if key.dtype != jnp.uint32 or key.shape[-1:] != (2,):
        raise TypeError(
            f"key must be an int seed or a PRNG key, got dtype {key.dtype} shape {key.shape}"
        )
    return key


def seed_keys(seed: int, n: int) -> jax.Array:
    """``n`` independent raw keys from one integer seed, stacked for ``jax.vmap``."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return jax.random.split(jax.random.PRNGKey(seed), n)


def split_named(key: jax.Array, *names: str) -> dict[str, jax.Array]:
    """Split ``key`` into one sub-key per purpose: ``split_named(k, "init", "data")``."""
    subkeys = jax.random.split(as_key(key), len(names))
    return dict(zip(names, subkeys))
