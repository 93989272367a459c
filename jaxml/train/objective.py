"""Minibatch minimisation of an arbitrary keyed objective, one jittable function.

:func:`jaxml.train.fit` trains a Flax module on ``loss(outputs, y)``. Objectives that
need the parameters and a key themselves — adversarial training (the attack runs against
the current θ), certified training by interval bounds, noise augmentation — go through
:func:`minimize` instead::

    θ_{t+1} = θ_t + tx.update(∇_θ objective(k_t, θ_t, batch_t))

where epoch e visits the training set in the order ``permutation(fold_in(key, e))`` in
batches of ``batch_size`` (the remainder dropped, as in ``fit``) and ``k_t`` is a fresh key
per step. The whole run is one ``lax.scan`` over epochs of a ``lax.scan`` over batches, so
``jax.vmap(minimize-closure)(keys)`` trains several seeds in one program.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from jaxml.core.validation import check_int
from jaxml.data.batching import epoch_batches


def minimize(key: jax.Array, objective: Callable[[jax.Array, Any, tuple], jax.Array], params: Any,
             tx: optax.GradientTransformation, data: Sequence, *, epochs: int,
             batch_size: int) -> tuple[Any, jax.Array]:
    """Minimise ``objective(key, params, batch) -> scalar`` over minibatches of ``data``.

    Args:
      key: PRNG key for the batch order and the per-step keys handed to ``objective``.
      objective: differentiable in ``params``; ``batch`` is a tuple of rows of ``data``.
      params: initial parameters (any pytree).
      tx: optax optimiser.
      data: tuple of arrays sharing their first dimension (e.g. ``(X, y)``).
      epochs, batch_size: static budget.

    Returns:
      ``(params, losses)`` with ``losses[e]`` the mean objective over epoch ``e``'s batches
      (each evaluated before its update).
    """
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    data = tuple(jnp.asarray(a) for a in data)
    if batch_size > data[0].shape[0]:
        raise ValueError(f"batch_size ({batch_size}) exceeds the number of examples ({data[0].shape[0]})")
    grad_fn = jax.value_and_grad(objective, argnums=1)

    def step(carry, inputs):
        params, opt_state = carry
        k, batch = inputs
        loss, grads = grad_fn(k, params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    def epoch(carry, e):
        k_order, k_steps = jax.random.split(jax.random.fold_in(key, e))
        stacked = epoch_batches(k_order, data, batch_size)
        step_keys = jax.random.split(k_steps, stacked[0].shape[0])
        carry, losses = jax.lax.scan(step, carry, (step_keys, stacked))
        return carry, losses.mean()

    (params, _), losses = jax.lax.scan(epoch, (params, tx.init(params)), jnp.arange(epochs))
    return params, losses
