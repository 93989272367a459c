"""Epochs under ``lax.scan``, many seeds under ``vmap``, progress and exact resumption.

``fit(key, model, tx, train=(X, y), eval=(X_test, y_test), epochs=..., batch_size=...)``
trains one model; ``fit_seeds(keys, ...)`` trains ``len(keys)`` independent models at once
with ``jax.vmap`` (one compilation, one program). Both run the epochs in chunks: each chunk
is one jitted call that scans over epochs, and each epoch scans over minibatches
(the data sits on the device, shuffled with ``fold_in(state.key, epoch)``). Between
chunks the loop updates a tqdm bar and, with ``checkpoint_dir``, saves an orbax
checkpoint of the state and the history so far; a later call with the same arguments
resumes from it and produces bit-for-bit the result of an uninterrupted run.

History: a dict of arrays of shape ``(epochs,)`` (or ``(n_seeds, epochs)``):
``train_loss`` (mean minibatch loss over the epoch), ``eval_loss`` and, for
classification, ``train_accuracy`` (minibatch running accuracy) and ``eval_accuracy``
— the eval entries are computed after each epoch on ``eval`` (or on ``train`` if no
eval set is given).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from jaxml.core.random import as_key
from jaxml.core.validation import (
    check_array,
    check_class_codes,
    check_int,
    check_option,
    check_same_length,
)
from jaxml.data.batching import epoch_batches
from jaxml.train import checkpoint as ckpt
from jaxml.train.state import TASKS, TrainState, create_train_state, default_loss, evaluate, train_step


class FitResult(NamedTuple):
    state: TrainState
    history: dict[str, np.ndarray]


class Trainer(NamedTuple):
    """The pure pieces of a training run (all jittable).

    ``init(key, sample_x) -> state``; ``step(state, batch, key) -> (state, metrics)``;
    ``epoch(state, train) -> (state, metrics)``; ``evaluate(state, x, y) -> metrics``;
    ``run_epochs(state, train, eval, n_epochs) -> (state, history)`` with ``n_epochs`` static.
    """

    init: Any
    step: Any
    epoch: Any
    evaluate: Any
    run_epochs: Any
    metric_names: tuple[str, ...]


def make_trainer(model: nn.Module, tx: optax.GradientTransformation, *, batch_size: int,
                 task: str = "classification", loss_fn=None, accumulation_steps: int = 1) -> Trainer:
    """Assemble the pure training functions for ``model`` and optimiser ``tx``. With
    ``accumulation_steps`` = k, every step of ``batch_size`` examples accumulates the
    gradient over k micro-batches of ``batch_size // k`` (same update as the large batch,
    a k-th of the activation memory)."""
    check_option(task, "task", TASKS)
    check_int(batch_size, "batch_size", minimum=1)
    accumulation_steps = check_int(accumulation_steps, "accumulation_steps", minimum=1)
    if batch_size % accumulation_steps:
        raise ValueError(f"batch_size ({batch_size}) must be a multiple of accumulation_steps ({accumulation_steps})")
    loss_fn = default_loss(task) if loss_fn is None else loss_fn
    step = functools.partial(train_step, model, tx, loss_fn, task, accumulation_steps=accumulation_steps)
    evaluate_fn = functools.partial(evaluate, model, loss_fn, task)

    def init(key, sample_x):
        return create_train_state(key, model, tx, sample_x)

    def epoch(state: TrainState, train: tuple[jax.Array, jax.Array]):
        epoch_key = jax.random.fold_in(state.key, state.epoch)
        shuffle_key, dropout_key = jax.random.split(epoch_key)
        xb, yb = epoch_batches(shuffle_key, train, batch_size)

        def body(state, inputs):
            i, x, y = inputs
            return step(state, (x, y), jax.random.fold_in(dropout_key, i))

        state, metrics = jax.lax.scan(body, state, (jnp.arange(xb.shape[0]), xb, yb))
        return state.replace(epoch=state.epoch + 1), jax.tree.map(jnp.mean, metrics)

    def run_epochs(state, train, eval_data, n_epochs: int):
        def body(state, _):
            state, train_metrics = epoch(state, train)
            eval_metrics = evaluate_fn(state, *eval_data)
            row = {f"train_{k}": v for k, v in train_metrics.items()}
            row.update({f"eval_{k}": v for k, v in eval_metrics.items()})
            return state, row

        return jax.lax.scan(body, state, None, length=n_epochs)

    names = ("loss", "accuracy") if task == "classification" else ("loss",)
    metric_names = tuple(f"{p}_{n}" for p in ("train", "eval") for n in names)
    return Trainer(init, step, epoch, evaluate_fn, run_epochs, metric_names)


def _check_data(data: Any, name: str, task: str) -> tuple[jax.Array, jax.Array]:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (X, y)")
    X = check_array(data[0], f"{name}[0] (X)", ndim=(2, 3, 4), dtype_kind="f")  # vectors, sequences, images
    if task == "classification":
        y = check_array(data[1], f"{name}[1] (y)", ndim=(1, 2, 3), dtype_kind="i")  # a class per example or pixel
        check_class_codes(y.reshape(-1), f"{name}[1] (y)", min_classes=1)
    else:
        y = check_array(data[1], f"{name}[1] (y)", ndim=(1, 2), dtype_kind="f")
    check_same_length(X, y, f"{name}[0] (X)", f"{name}[1] (y)")
    return X, y


def _output_size(model: nn.Module, sample_x: jax.Array) -> int:
    """The size of the model's last output axis, from shapes alone (no compilation)."""
    def outputs(key, x):
        return model.apply(model.init(key, x, train=False), x, train=False)

    return jax.eval_shape(outputs, jax.random.PRNGKey(0), sample_x).shape[-1]


def _check_labels_fit_outputs(model, train, eval) -> None:
    """Class indices must address the model's logits: a label ``>= n_outputs`` would index
    past them and turn the cross-entropy into NaN."""
    n_outputs = _output_size(model, train[0][:1])
    for name, (_, y) in (("train", train), ("eval", eval)):
        if int(y.max()) >= n_outputs:
            raise ValueError(f"{name}[1] (y) holds class index {int(y.max())}, but the model "
                             f"has {n_outputs} outputs (class indices must be < {n_outputs})")


def _fit(keys, model, tx, train, eval, *, epochs, batch_size, task, loss_fn, chunk_epochs,
         checkpoint_dir, progress, vmapped: bool, accumulation_steps: int = 1) -> FitResult:
    check_option(task, "task", TASKS)
    check_int(epochs, "epochs", minimum=1)
    check_int(batch_size, "batch_size", minimum=1)
    train = _check_data(train, "train", task)
    eval = train if eval is None else _check_data(eval, "eval", task)
    if task == "classification" and loss_fn is None:
        _check_labels_fit_outputs(model, train, eval)
    if batch_size > train[0].shape[0]:
        raise ValueError(
            f"batch_size ({batch_size}) exceeds the number of training examples "
            f"({train[0].shape[0]})")
    chunk = check_int(chunk_epochs or max(1, epochs // 20), "chunk_epochs", minimum=1)

    trainer = make_trainer(model, tx, batch_size=batch_size, task=task, loss_fn=loss_fn,
                           accumulation_steps=accumulation_steps)
    init = trainer.init
    run = trainer.run_epochs
    if vmapped:
        init = jax.vmap(init, in_axes=(0, None))
        run = jax.vmap(run, in_axes=(0, None, None, None))
    run = jax.jit(run, static_argnums=3)
    state = jax.jit(init)(keys, train[0][:1])

    shape = (keys.shape[0], epochs) if vmapped else (epochs,)
    history = {name: np.full(shape, np.nan, np.float32) for name in trainer.metric_names}
    manager = ckpt.CheckpointStore(checkpoint_dir) if checkpoint_dir is not None else None
    done = 0
    if manager is not None and manager.latest_epoch() is not None:
        state, history, done = manager.restore(state, history)

    with tqdm(total=epochs, initial=done, desc=type(model).__name__, unit="epoch",
              disable=None if progress is None else not progress, leave=False) as bar:
        while done < epochs:
            n = min(chunk, epochs - done)
            state, rows = run(state, train, eval, n)
            for name, values in rows.items():
                history[name][..., done:done + n] = np.asarray(values)
            done += n
            if manager is not None:
                manager.save(done, state, history)
            bar.update(n)
            bar.set_postfix({k: float(np.mean(v[..., done - 1])) for k, v in history.items()})
    if manager is not None:
        manager.close()
    return FitResult(state, history)


def fit(key, model: nn.Module, tx: optax.GradientTransformation, train, eval=None, *,
        epochs: int, batch_size: int, task: str = "classification", loss_fn=None,
        chunk_epochs: int | None = None, checkpoint_dir: str | Path | None = None,
        progress: bool | None = None, accumulation_steps: int = 1) -> FitResult:
    """Train one model.

    Args:
      key: PRNG key or int seed (initialisation, shuffling, dropout).
      model: a Flax Linen module called as ``model(x, train=...)``.
      tx: optax optimiser.
      train: ``(X, y)``; the whole set lives on the device.
      eval: ``(X, y)`` evaluated after every epoch (defaults to ``train``).
      epochs, batch_size: the budget; the last partial batch of an epoch is dropped.
      task: ``"classification"`` (integer labels, cross-entropy) or ``"regression"`` (MSE).
      loss_fn: ``loss_fn(outputs, y) -> scalar`` replacing the task's default.
      chunk_epochs: epochs per jitted call (progress and checkpoint granularity).
      checkpoint_dir: save after every chunk and resume from the latest checkpoint.
      progress: show a tqdm bar (``None``: only on a terminal).
      accumulation_steps: split every batch into this many micro-batches and accumulate
        their gradients before the update (:func:`make_trainer`).

    Returns:
      ``FitResult(state, history)``.
    """
    return _fit(as_key(key), model, tx, train, eval, epochs=epochs, batch_size=batch_size,
                task=task, loss_fn=loss_fn, chunk_epochs=chunk_epochs,
                checkpoint_dir=checkpoint_dir, progress=progress, vmapped=False,
                accumulation_steps=accumulation_steps)


def fit_seeds(keys, model: nn.Module, tx: optax.GradientTransformation, train, eval=None, *,
              epochs: int, batch_size: int, task: str = "classification", loss_fn=None,
              chunk_epochs: int | None = None, checkpoint_dir: str | Path | None = None,
              progress: bool | None = None, accumulation_steps: int = 1) -> FitResult:
    """Train ``len(keys)`` models at once, ``jax.vmap``-ed over the keys.

    Same arguments as :func:`fit` except ``keys``: a stack of keys (e.g.
    ``jaxml.core.seed_keys(0, 5)``). Every state leaf and history array gains a leading
    seed axis. Each member equals ``fit(keys[i], ...)``.
    """
    keys = as_key(keys)
    if keys.ndim != 2:
        raise ValueError(f"keys must be a stack of keys with shape (n_seeds, 2), got {keys.shape}")
    return _fit(keys, model, tx, train, eval, epochs=epochs, batch_size=batch_size, task=task,
                loss_fn=loss_fn, chunk_epochs=chunk_epochs, checkpoint_dir=checkpoint_dir,
                progress=progress, vmapped=True, accumulation_steps=accumulation_steps)
