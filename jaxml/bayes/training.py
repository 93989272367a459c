"""A small network and training loop for MC dropout and deep ensembles.

The network is an MLP (Flax Linen) with dropout after every hidden activation. For
regression it has two outputs, a mean and a variance
:math:`\\sigma^2(x) = \\mathrm{softplus}(o_2) + \\epsilon`, trained with the Gaussian
negative log-likelihood

.. math::
    \\ell(x, y) = \\tfrac12 \\log(2\\pi\\sigma^2(x)) + \\frac{(y - \\mu(x))^2}{2\\sigma^2(x)},

as in deep ensembles (Lakshminarayanan et al. 2017); for classification it has one logit
per class and the cross-entropy loss. :func:`train_network` runs AdamW on minibatches
drawn with replacement, the whole run one ``lax.scan``; being a pure function of its key
it can be ``vmap``-ed over keys to train an ensemble at once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jaxml.core import (
    as_key,
    check_array,
    check_int,
    check_option,
    check_same_length,
    check_X,
)

__all__ = ["MLPNet", "gaussian_head", "loss_fn", "train_network", "check_training_data",
           "MIN_VARIANCE"]

MIN_VARIANCE = 1e-6


class MLPNet(nn.Module):
    """MLP: ``Dense → relu → Dropout`` per hidden layer, then a linear readout.

    Attributes:
      features: hidden widths.
      num_outputs: 2 for heteroscedastic regression (mean, raw variance), C for classes.
      dropout_rate: dropout probability (active only with ``train=True``).
    """

    features: Sequence[int]
    num_outputs: int
    dropout_rate: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        h = x
        for width in self.features:
            h = nn.relu(nn.Dense(width)(h))
            if self.dropout_rate > 0:
                h = nn.Dropout(self.dropout_rate, deterministic=not train)(h)
        return nn.Dense(self.num_outputs)(h)


def gaussian_head(outputs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Split regression outputs ``(n, 2)`` into mean ``(n,)`` and variance ``(n,)``."""
    return outputs[:, 0], jax.nn.softplus(outputs[:, 1]) + MIN_VARIANCE


def loss_fn(outputs: jax.Array, y: jax.Array, task: str) -> jax.Array:
    """Mean Gaussian NLL (``task="regression"``) or cross-entropy (``"classification"``)."""
    if task == "regression":
        mean, var = gaussian_head(outputs)
        return jnp.mean(0.5 * (jnp.log(2 * jnp.pi * var) + (y - mean) ** 2 / var))
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(outputs, y))


@functools.partial(jax.jit, static_argnames=("module", "task", "num_steps", "batch_size"))
def train_network(key: Any, module: MLPNet, X: jax.Array, y: jax.Array, *, task: str,
                  num_steps: int, batch_size: int, learning_rate: float = 1e-3,
                  weight_decay: float = 1e-4) -> tuple[Any, jax.Array]:
    """Train ``module`` from a fresh initialisation drawn from ``key``.

    Args:
      key: PRNG key; split into the init key and one key per step (minibatch indices
        and dropout masks).
      module: the network (static).
      X, y: training data ``(n, d)``, ``(n,)``.
      task: ``"regression"`` or ``"classification"`` (static).
      num_steps, batch_size: optimisation length and minibatch size (static).
      learning_rate, weight_decay: AdamW hyperparameters (traced).

    Returns:
      ``(params, losses (num_steps,))``.
    """
    key = as_key(key)
    k_init, k_steps = jax.random.split(key)
    params = module.init(k_init, X[:1])["params"]
    tx = optax.adamw(learning_rate, weight_decay=weight_decay)
    n = X.shape[0]

    def step(carry, k):
        params, opt_state = carry
        k_idx, k_drop = jax.random.split(k)
        idx = jax.random.randint(k_idx, (batch_size,), 0, n)

        def objective(p):
            out = module.apply({"params": p}, X[idx], train=True, rngs={"dropout": k_drop})
            return loss_fn(out, y[idx], task)

        loss, grads = jax.value_and_grad(objective)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    (params, _), losses = jax.lax.scan(step, (params, tx.init(params)),
                                       jax.random.split(k_steps, num_steps))
    return params, losses


def check_training_data(X: Any, y: Any, task: str,
                        num_classes: int | None) -> tuple[jax.Array, jax.Array, int]:
    """Validate ``(X, y)`` for :func:`train_network`; returns ``(X, y, num_outputs)``."""
    check_option(task, "task", ("regression", "classification"))
    X = check_X(X)
    if task == "regression":
        y = check_array(y, "y", ndim=1, dtype_kind="f")
        num_outputs = 2
    else:
        y = check_array(y, "y", ndim=1, dtype_kind="i")
        num_outputs = check_int(num_classes, "num_classes", minimum=2)
        if int(y.min()) < 0 or int(y.max()) >= num_outputs:
            raise ValueError(f"y must hold labels in [0, {num_outputs}), got range "
                             f"[{int(y.min())}, {int(y.max())}]")
    check_same_length(X, y, "X", "y")
    return X, y, num_outputs
