"""Deep ensembles: M networks from independent initialisations, trained at once.

Lakshminarayanan, Pritzel & Blundell (2017): train M networks that differ only in their
random initialisation and minibatch order, each with a proper scoring rule (Gaussian NLL
with a variance head for regression, cross-entropy for classification), and predict with
the uniform mixture. For regression the mixture's mean and variance are

.. math::
    \\mu_*(x) = \\frac1M\\sum_m \\mu_m(x), \\qquad
    \\sigma_*^2(x) = \\frac1M\\sum_m \\big(\\sigma_m^2(x) + \\mu_m^2(x)\\big) - \\mu_*^2(x).

Because :func:`jaxml.bayes.training.train_mlp` is a pure function of its key,
:func:`deep_ensemble`'s ``fit`` trains all members in one ``jax.vmap`` over M keys; the
members' parameters are stacked along a leading axis. (The paper's optional
adversarial-training term is not used.)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jaxml.bayes import training
from jaxml.core import (
    Classifier,
    Regressor,
    as_key,
    check_int,
    check_n_features,
    check_X,
    pytree_dataclass,
)
from jaxml.core.estimator import PredictiveSamples

__all__ = ["EnsembleParams", "member_keys", "deep_ensemble"]


@pytree_dataclass
class EnsembleParams:
    """A trained ensemble: ``params`` stacked ``(M, ...)``, training losses ``(M, epochs)``."""

    params: Any
    losses: jax.Array


def member_keys(key: Any, num_members: int) -> jax.Array:
    """The M per-member keys ``fit`` uses (``jax.random.split(key, M)``)."""
    num_members = check_int(num_members, "num_members", minimum=1)
    return jax.random.split(as_key(key), num_members)


def deep_ensemble(*, task: str = "regression", num_classes: int | None = None,
                  num_members: int = 5, features: Sequence[int] = (64, 64),
                  epochs: int = 100, batch_size: int = 64, learning_rate: Any = 1e-3,
                  weight_decay: Any = 1e-4) -> Regressor | Classifier:
    """A deep ensemble of ReLU MLPs.

    Args:
      task: ``"regression"`` or ``"classification"`` (static).
      num_classes: number of classes (classification; static).
      num_members: M (static).
      features: hidden widths (static).
      epochs, batch_size: training budget per member (static).
      learning_rate, weight_decay: AdamW hyperparameters (traced).

    Returns:
      Regression: ``Regressor(fit, predict, predict_std, predict_samples)`` (mixture mean
      and standard deviation); classification: ``Classifier(fit, predict, predict_proba,
      None, predict_samples)``. ``fit(key, X, y) -> EnsembleParams``, member ``m``
      trained by ``train_mlp(member_keys(key, M)[m], ...)``; ``predict_samples(key,
      params, X)`` returns every member's prediction (the key is unused: members are
      deterministic).
    """
    num_outputs = training.check_task(task, num_classes)
    num_members = check_int(num_members, "num_members", minimum=1)
    module = training.network(features, num_outputs)
    epochs, batch_size = training.check_budget(epochs, batch_size, learning_rate, weight_decay)

    def fit(key: Any, X: Any, y: Any) -> EnsembleParams:
        X, y = training.check_training_data(X, y, task, num_classes, batch_size)

        def train_one(k):
            return training.train_mlp(k, X, y, learning_rate, weight_decay, module=module,
                                      task=task, epochs=epochs, batch_size=batch_size)

        params, losses = jax.vmap(train_one)(member_keys(key, num_members))
        return EnsembleParams(params=params, losses=losses)

    def members(params: EnsembleParams, X: Any) -> PredictiveSamples:
        X = check_X(X)
        check_n_features(X, params.params["Dense_0"]["kernel"].shape[1])
        return _members(params.params, X, module=module, task=task)

    def predict_samples(key: Any, params: EnsembleParams, X: Any) -> PredictiveSamples:
        del key  # the members are the samples
        return members(params, X)

    if task == "regression":
        def predict(params: EnsembleParams, X: Any) -> jax.Array:
            return members(params, X).draws.mean(0)

        def predict_std(params: EnsembleParams, X: Any) -> jax.Array:
            draws, noise = members(params, X)
            return jnp.sqrt(noise.mean(0) + draws.var(0))

        return Regressor(fit, predict, predict_std, predict_samples)

    def predict_proba(params: EnsembleParams, X: Any) -> jax.Array:
        return members(params, X).draws.mean(0)

    def predict_class(params: EnsembleParams, X: Any) -> jax.Array:
        return jnp.argmax(predict_proba(params, X), axis=1).astype(jnp.int32)

    return Classifier(fit, predict_class, predict_proba, None, predict_samples)


@functools.partial(jax.jit, static_argnames=("module", "task"))
def _members(params, X, *, module, task) -> PredictiveSamples:
    outputs = jax.vmap(lambda p: module.apply({"params": p}, X))(params)
    if task == "classification":
        return PredictiveSamples(jax.nn.softmax(outputs, axis=-1), None)
    return PredictiveSamples(*jax.vmap(training.gaussian_head)(outputs))
