"""The pytree dataclass convention.

Fitted parameters and states are ``flax.struct.dataclass`` classes: immutable, registered
as pytrees (so ``jit``, ``vmap`` and orbax see their array leaves), with static fields
marked ``field(pytree_node=False)`` for things that fix shapes or control flow::

    @pytree_dataclass
    class RidgeParams:
        coef: jax.Array
        intercept: jax.Array

Use ``.replace(...)`` to get an updated copy.
"""

from flax.struct import dataclass as pytree_dataclass
from flax.struct import field

__all__ = ["pytree_dataclass", "field", "static_field"]


def static_field(**kwargs):
    """A dataclass field that is part of the pytree's structure, not a leaf."""
    return field(pytree_node=False, **kwargs)
