r"""Normalisation and dropout layers written out, and early stopping.

Variable names follow ``flax.linen`` (``params``: ``scale``, ``bias``; ``batch_stats``:
``mean``, ``var``), so trained variables move between these layers and Flax's.

* **BatchNorm** (Ioffe & Szegedy 2015) over every axis but the last (features): in
  training :math:`y = \gamma\,(x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon} + \beta` with the
  batch's mean and biased variance, and the running statistics move as
  :math:`r \leftarrow m\,r + (1 - m)\,\text{batch statistic}`; in evaluation the running
  mean and variance replace the batch's, so a prediction does not depend on the rest of
  its batch.
* **LayerNorm** (Ba et al. 2016) over the last axis of each example, the same in training
  and evaluation: :math:`y = \gamma\,(x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta`.
* **Dropout** (inverted; Srivastava et al. 2014): in training
  :math:`y = x \odot M/(1 - p)` with :math:`M_i \sim \text{Bernoulli}(1 - p)`, so
  E[y] = x and evaluation is the identity.
* **Early stopping**: stop at the first epoch that is ``patience`` epochs after the best
  validation loss so far (an improvement must beat the best by more than ``min_delta``);
  the model to keep is the one from the best epoch.
"""

from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int, check_positive, check_range


class BatchNorm(nn.Module):
    """Batch normalisation; ``train=True`` normalises by the batch and updates ``batch_stats``."""

    momentum: float = 0.99
    epsilon: float = 1e-5

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_range(self.momentum, "momentum", low=0.0, high=1.0)
        check_positive(self.epsilon, "epsilon")
        features = x.shape[-1]
        scale = self.param("scale", nn.initializers.ones, (features,))
        bias = self.param("bias", nn.initializers.zeros, (features,))
        running_mean = self.variable("batch_stats", "mean", jnp.zeros, (features,))
        running_var = self.variable("batch_stats", "var", jnp.ones, (features,))
        if train:
            axes = tuple(range(x.ndim - 1))
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            if not self.is_initializing():
                running_mean.value = self.momentum * running_mean.value + (1 - self.momentum) * mean
                running_var.value = self.momentum * running_var.value + (1 - self.momentum) * var
        else:
            mean, var = running_mean.value, running_var.value
        return scale * (x - mean) / jnp.sqrt(var + self.epsilon) + bias


class LayerNorm(nn.Module):
    """Layer normalisation over the last axis."""

    epsilon: float = 1e-6

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_positive(self.epsilon, "epsilon")
        features = x.shape[-1]
        scale = self.param("scale", nn.initializers.ones, (features,))
        bias = self.param("bias", nn.initializers.zeros, (features,))
        mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
        return scale * (x - mean) / jnp.sqrt(var + self.epsilon) + bias


class Dropout(nn.Module):
    """Inverted dropout with rate p, drawing its mask from the ``"dropout"`` RNG stream."""

    rate: float

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_range(self.rate, "rate", low=0.0, high=1.0, high_open=True)
        if not train or self.rate == 0.0:
            return x
        keep = jax.random.bernoulli(self.make_rng("dropout"), 1.0 - self.rate, x.shape)
        return jnp.where(keep, x / (1.0 - self.rate), 0.0)


class EarlyStop(NamedTuple):
    """``best_epoch``: the epoch with the lowest validation loss (0-based);
    ``stop_epoch``: the epoch after which training stops (the last epoch when it never
    triggers); ``stopped``: whether it triggered."""

    best_epoch: jax.Array
    stop_epoch: jax.Array
    stopped: jax.Array


def early_stopping(val_losses: jax.Array, *, patience: int, min_delta: float = 0.0) -> EarlyStop:
    """Early stopping read off a validation-loss curve (traceable: ``vmap`` it over the
    seeds of :func:`jaxml.train.fit_seeds`'s history)."""
    patience = check_int(patience, "patience", minimum=1)
    check_positive(min_delta, "min_delta", strict=False)
    losses = jnp.asarray(val_losses)
    if losses.ndim != 1 or losses.shape[0] == 0:
        raise ValueError(f"val_losses must be a non-empty 1-D curve (one loss per epoch), got shape {losses.shape}")

    def body(carry, inputs):
        best, best_epoch, stop_epoch, stopped = carry
        epoch, loss = inputs
        improved = jnp.logical_and(~stopped, loss < best - min_delta)
        best, best_epoch = jnp.where(improved, loss, best), jnp.where(improved, epoch, best_epoch)
        trigger = jnp.logical_and(~stopped, epoch - best_epoch >= patience)
        return (best, best_epoch, jnp.where(trigger, epoch, stop_epoch), stopped | trigger), None

    last = losses.shape[0] - 1
    init = (losses[0], jnp.asarray(0), jnp.asarray(last), jnp.asarray(False))
    (_, best_epoch, stop_epoch, stopped), _ = jax.lax.scan(body, init, (jnp.arange(1, last + 1), losses[1:]))
    return EarlyStop(best_epoch, stop_epoch, stopped)
