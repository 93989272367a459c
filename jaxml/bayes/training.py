"""What MC dropout and deep ensembles share: the Gaussian head, its loss, one training run.

The network is :class:`jaxml.nn.MLP` (ReLU, dropout after every hidden activation when
``dropout_rate > 0``). For regression it has two outputs, a mean and a variance
:math:`\\sigma^2(x) = \\mathrm{softplus}(o_2) + \\epsilon`, trained with the Gaussian
negative log-likelihood

.. math::
    \\ell(x, y) = \\tfrac12 \\log(2\\pi\\sigma^2(x)) + \\frac{(y - \\mu(x))^2}{2\\sigma^2(x)},

as in deep ensembles (Lakshminarayanan et al. 2017); for classification it has one logit
per class and the cross-entropy loss. :func:`train_mlp` runs AdamW through
:func:`jaxml.train.make_trainer` (shuffled minibatches, one dropout key per step), the
epochs one ``lax.scan``; being a pure function of its key it can be ``vmap``-ed over keys
to train an ensemble at once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from jaxml.core import check_class_codes, check_int, check_option, check_positive, check_X_y
from jaxml.nn import MLP
from jaxml.train.loop import make_trainer
from jaxml.train.state import TASKS, cross_entropy_loss

__all__ = ["MIN_VARIANCE", "gaussian_head", "gaussian_nll_loss", "network", "train_mlp",
           "check_task", "check_budget", "check_training_data"]

MIN_VARIANCE = 1e-6


def gaussian_head(outputs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Split regression outputs ``(n, 2)`` into mean ``(n,)`` and variance ``(n,)``."""
    return outputs[:, 0], jax.nn.softplus(outputs[:, 1]) + MIN_VARIANCE


def gaussian_nll_loss(outputs: jax.Array, y: jax.Array) -> jax.Array:
    """Mean Gaussian negative log-likelihood of ``y`` under :func:`gaussian_head`."""
    mean, var = gaussian_head(outputs)
    return jnp.mean(0.5 * (jnp.log(2 * jnp.pi * var) + (y - mean) ** 2 / var))


def check_task(task: str, num_classes: int | None) -> int:
    """Validate ``task``/``num_classes``; returns the network's number of outputs."""
    check_option(task, "task", TASKS)
    if task == "regression":
        return 2
    return check_int(num_classes, "num_classes", minimum=2)


def network(features: Sequence[int], num_outputs: int, dropout_rate: float = 0.0) -> MLP:
    """The ReLU :class:`jaxml.nn.MLP` with hidden widths ``features``."""
    if isinstance(features, (str, bytes)) or not isinstance(features, Sequence) or not features:
        raise TypeError(f"features must be a non-empty sequence of ints, got {features!r}")
    widths = tuple(check_int(f, "features", minimum=1) for f in features)
    return MLP(features=widths, num_outputs=num_outputs, dropout_rate=float(dropout_rate))


def check_training_data(X: Any, y: Any, task: str, num_classes: int | None,
                        batch_size: int) -> tuple[jax.Array, jax.Array]:
    """Validate ``(X, y)``: float targets (regression) or class codes in
    ``[0, num_classes)`` (classification; traceable), and at least one minibatch."""
    if task == "regression":
        X, y = check_X_y(X, y)
    else:
        X, y = check_X_y(X, y, y_kind="i")
        check_class_codes(y, n_classes=num_classes)
    if batch_size > X.shape[0]:
        raise ValueError(f"batch_size ({batch_size}) exceeds the number of training "
                         f"examples ({X.shape[0]})")
    return X, y


@functools.partial(jax.jit, static_argnames=("module", "task", "epochs", "batch_size"))
def train_mlp(key: jax.Array, X: jax.Array, y: jax.Array, learning_rate: Any,
              weight_decay: Any, *, module: MLP, task: str, epochs: int,
              batch_size: int) -> tuple[Any, jax.Array]:
    """Train ``module`` from a fresh initialisation drawn from ``key``.

    Args:
      key: PRNG key: initialisation, per-epoch shuffling and dropout masks.
      X, y: training data ``(n, d)``, ``(n,)``.
      learning_rate, weight_decay: AdamW hyperparameters (traced).
      module: the network (static).
      task: ``"regression"`` (:func:`gaussian_nll_loss`) or ``"classification"``.
      epochs, batch_size: budget (static); the last partial batch of an epoch is dropped.

    Returns:
      ``(params, losses (epochs,))``, the mean minibatch loss of every epoch.
    """
    loss_fn = gaussian_nll_loss if task == "regression" else cross_entropy_loss
    tx = optax.adamw(learning_rate, weight_decay=weight_decay)
    trainer = make_trainer(module, tx, batch_size=batch_size, task=task, loss_fn=loss_fn)
    state = trainer.init(key, X[:1])

    def one_epoch(state, _):
        state, metrics = trainer.epoch(state, (X, y))
        return state, metrics["loss"]

    state, losses = jax.lax.scan(one_epoch, state, None, length=epochs)
    return state.params, losses


def check_budget(epochs: Any, batch_size: Any, learning_rate: Any,
                 weight_decay: Any) -> tuple[int, int]:
    """Validate the optimisation hyperparameters; returns the static ``(epochs, batch_size)``."""
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_positive(learning_rate, "learning_rate")
    check_positive(weight_decay, "weight_decay", strict=False)
    return epochs, batch_size

