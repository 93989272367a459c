"""The training state and the pure functions of one optimisation step.

A :class:`TrainState` holds everything that changes during training, as arrays, so it
can be jitted, vmapped over seeds and checkpointed:

* ``params`` — the model's ``"params"`` collection;
* ``model_state`` — the other collections (e.g. BatchNorm's ``"batch_stats"``), ``{}`` if none;
* ``opt_state`` — the optax state;
* ``step`` / ``epoch`` — counters;
* ``key`` — a raw PRNG key; epoch e uses ``fold_in(key, e)`` for shuffling and dropout,
  so a resumed run draws exactly the numbers an uninterrupted one would.

One step minimises the empirical risk
:math:`\\hat R(θ) = \\frac1B \\sum_{i∈\\text{batch}} ℓ(f_θ(x_i), y_i)` with
:math:`θ ← θ + \\text{tx.update}(∇_θ \\hat R)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jaxml.core.pytree import pytree_dataclass
from jaxml.core.random import as_key
from jaxml.core.validation import check_option

TASKS = ("classification", "regression")


@pytree_dataclass
class TrainState:
    params: Any
    model_state: Any
    opt_state: Any
    step: jax.Array
    epoch: jax.Array
    key: jax.Array


def cross_entropy_loss(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy with integer labels: −(1/B) Σ log softmax(z_i)[y_i]."""
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def squared_error_loss(outputs: jax.Array, targets: jax.Array) -> jax.Array:
    """Mean squared error (1/B) Σ ‖f(x_i) − y_i‖²; a 1-D target matches a single output."""
    if targets.ndim == 1:
        outputs = outputs.reshape(targets.shape)
    return jnp.mean(jnp.sum(((outputs - targets) ** 2).reshape(targets.shape[0], -1), axis=-1))


def default_loss(task: str) -> Callable[[jax.Array, jax.Array], jax.Array]:
    check_option(task, "task", TASKS)
    return cross_entropy_loss if task == "classification" else squared_error_loss


def create_train_state(key: jax.Array, model: nn.Module, tx: optax.GradientTransformation,
                       sample_x: jax.Array) -> TrainState:
    """Initialise parameters from ``key`` and the optimiser state."""
    key = as_key(key)
    init_key, train_key = jax.random.split(key)
    variables = model.init(init_key, sample_x, train=False)
    params = variables["params"]
    model_state = {k: v for k, v in variables.items() if k != "params"}
    return TrainState(params=params, model_state=model_state, opt_state=tx.init(params),
                      step=jnp.zeros((), jnp.int32), epoch=jnp.zeros((), jnp.int32),
                      key=train_key)


def apply_model(model: nn.Module, state: TrainState, x: jax.Array, *, train: bool,
                key: jax.Array | None = None, params: Any = None):
    """Forward pass; returns ``(outputs, new_model_state)``."""
    params = state.params if params is None else params
    variables = {"params": params, **state.model_state}
    rngs = {"dropout": key} if key is not None else None
    mutable = list(state.model_state) if (train and state.model_state) else False
    if mutable:
        out, updates = model.apply(variables, x, train=train, rngs=rngs, mutable=mutable)
        return out, {**state.model_state, **updates}
    return model.apply(variables, x, train=train, rngs=rngs), state.model_state


def batch_metrics(outputs: jax.Array, y: jax.Array, loss: jax.Array, task: str) -> dict:
    metrics = {"loss": loss}
    if task == "classification":
        metrics["accuracy"] = jnp.mean(jnp.argmax(outputs, axis=-1) == y)
    return metrics


def _loss_and_grads(model: nn.Module, loss_fn, state: TrainState, x: jax.Array, y: jax.Array, key: jax.Array):
    def objective(params):
        outputs, model_state = apply_model(model, state, x, train=True, key=key, params=params)
        return loss_fn(outputs, y), (outputs, model_state)

    return jax.value_and_grad(objective, has_aux=True)(state.params)


def _accumulated_loss_and_grads(model: nn.Module, loss_fn, state: TrainState, x: jax.Array, y: jax.Array,
                                key: jax.Array, steps: int):
    """The batch split into ``steps`` equal micro-batches, run one after another (a
    ``lax.scan``, so only one micro-batch's activations are alive at a time): the mean of
    their losses and gradients, which for a mean loss is the whole batch's. Model state
    (BatchNorm statistics) is threaded through the micro-batches; micro-batch j draws its
    dropout from ``fold_in(key, j)``."""
    if x.shape[0] % steps:
        raise ValueError(f"the batch ({x.shape[0]} examples) must split into accumulation_steps={steps} "
                         "equal micro-batches")
    micro = lambda a: a.reshape(steps, a.shape[0] // steps, *a.shape[1:])  # noqa: E731

    def body(carry, inputs):
        grad_sum, model_state = carry
        j, xm, ym = inputs
        (loss, (outputs, model_state)), grads = _loss_and_grads(
            model, loss_fn, state.replace(model_state=model_state), xm, ym, jax.random.fold_in(key, j))
        return (jax.tree.map(jnp.add, grad_sum, grads), model_state), (loss, outputs)

    zeros = jax.tree.map(jnp.zeros_like, state.params)
    (grad_sum, model_state), (losses, outputs) = jax.lax.scan(
        body, (zeros, state.model_state), (jnp.arange(steps), micro(x), micro(y)))
    grads = jax.tree.map(lambda g: g / steps, grad_sum)
    return (losses.mean(), (outputs.reshape(x.shape[0], *outputs.shape[2:]), model_state)), grads


def train_step(model: nn.Module, tx: optax.GradientTransformation, loss_fn, task: str,
               state: TrainState, batch: tuple[jax.Array, jax.Array],
               key: jax.Array, accumulation_steps: int = 1) -> tuple[TrainState, dict]:
    """One gradient step on ``batch = (x, y)``; returns the new state and batch metrics.
    With ``accumulation_steps`` = k > 1 the gradient is accumulated over k micro-batches
    (:func:`_accumulated_loss_and_grads`) before the one update."""
    x, y = batch
    if accumulation_steps == 1:
        (loss, (outputs, model_state)), grads = _loss_and_grads(model, loss_fn, state, x, y, key)
    else:
        (loss, (outputs, model_state)), grads = _accumulated_loss_and_grads(
            model, loss_fn, state, x, y, key, accumulation_steps)
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    new_state = state.replace(params=params, opt_state=opt_state, model_state=model_state,
                              step=state.step + 1)
    return new_state, batch_metrics(outputs, y, loss, task)


def evaluate(model: nn.Module, loss_fn, task: str, state: TrainState, x: jax.Array,
             y: jax.Array) -> dict:
    """Loss (and accuracy for classification) of the model in eval mode on ``(x, y)``."""
    outputs, _ = apply_model(model, state, x, train=False)
    return batch_metrics(outputs, y, loss_fn(outputs, y), task)
