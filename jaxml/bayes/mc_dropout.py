"""Monte Carlo dropout: dropout at test time as approximate Bayesian inference.

Gal & Ghahramani (2016) show that a network trained with dropout (and weight decay)
approximately minimises the KL to the posterior of a deep Gaussian process, the
variational family being "each unit's weights are either kept or zeroed". Keeping dropout
*on* at prediction time samples from that approximate posterior: with masks
:math:`m_s`,

.. math::
    p(y^* \\mid x^*) \\approx \\frac1S \\sum_{s=1}^S p(y^* \\mid x^*, W \\odot m_s).

:func:`mc_dropout` is an estimator factory: ``fit(key, X, y)`` trains a
:class:`jaxml.nn.MLP` with dropout (:func:`jaxml.bayes.training.train_mlp`);
``predict_samples(key, params, X)`` draws the S stochastic forward passes (``vmap`` over S
dropout keys); ``predict``/``predict_std``/``predict_proba`` are the moments of that
mixture with the masks drawn from ``params.predict_key`` (split from the fit key), so
they are deterministic functions of ``(params, X)``.
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
    check_range,
    check_X,
    pytree_dataclass,
)
from jaxml.core.estimator import PredictiveSamples

__all__ = ["DropoutParams", "mc_dropout"]


@pytree_dataclass
class DropoutParams:
    """A trained MC-dropout network.

    Attributes:
      params: the network's parameters.
      predict_key: the key whose dropout masks ``predict``/``predict_proba`` average over.
      losses: mean training loss of every epoch ``(epochs,)``.
    """

    params: Any
    predict_key: jax.Array
    losses: jax.Array


def mc_dropout(*, task: str = "regression", num_classes: int | None = None,
               features: Sequence[int] = (64, 64), dropout_rate: float = 0.1,
               epochs: int = 100, batch_size: int = 64, learning_rate: Any = 1e-3,
               weight_decay: Any = 1e-4, num_samples: int = 100) -> Regressor | Classifier:
    """An MLP trained with dropout, predicting with dropout on.

    Args:
      task: ``"regression"`` (heteroscedastic Gaussian head) or ``"classification"``
        (static).
      num_classes: number of classes (classification; static).
      features: hidden widths (static).
      dropout_rate: p in (0, 1) (static).
      epochs, batch_size: training budget (static).
      learning_rate, weight_decay: AdamW hyperparameters (traced).
      num_samples: S, the dropout masks per prediction (static).

    Returns:
      Regression: ``Regressor(fit, predict, predict_std, predict_samples)``, where
      ``predict_std`` is the mixture's standard deviation (noise + epistemic);
      classification: ``Classifier(fit, predict, predict_proba, None,
      predict_samples)``. ``fit(key, X, y) -> DropoutParams``;
      ``predict_samples(key, params, X)`` returns per-mask means and noise variances
      ``(S, n)`` (regression) or probabilities ``(S, n, C)``.
    """
    num_outputs = training.check_task(task, num_classes)
    check_range(dropout_rate, "dropout_rate", low=0.0, high=1.0, low_open=True,
                high_open=True)
    module = training.network(features, num_outputs, dropout_rate)
    epochs, batch_size = training.check_budget(epochs, batch_size, learning_rate, weight_decay)
    num_samples = check_int(num_samples, "num_samples", minimum=1)

    def fit(key: Any, X: Any, y: Any) -> DropoutParams:
        X, y = training.check_training_data(X, y, task, num_classes, batch_size)
        k_train, k_predict = jax.random.split(as_key(key))
        params, losses = training.train_mlp(k_train, X, y, learning_rate, weight_decay,
                                            module=module, task=task, epochs=epochs,
                                            batch_size=batch_size)
        return DropoutParams(params=params, predict_key=k_predict, losses=losses)

    def predict_samples(key: Any, params: DropoutParams, X: Any) -> PredictiveSamples:
        X = check_X(X)
        check_n_features(X, params.params["Dense_0"]["kernel"].shape[0])
        return _predict_samples(as_key(key), params.params, X, module=module, task=task,
                                num_samples=num_samples)

    def mixture(params: DropoutParams, X: Any) -> PredictiveSamples:
        return predict_samples(params.predict_key, params, X)

    if task == "regression":
        def predict(params: DropoutParams, X: Any) -> jax.Array:
            return mixture(params, X).draws.mean(0)

        def predict_std(params: DropoutParams, X: Any) -> jax.Array:
            draws, noise = mixture(params, X)
            return jnp.sqrt(noise.mean(0) + draws.var(0))

        return Regressor(fit, predict, predict_std, predict_samples)

    def predict_proba(params: DropoutParams, X: Any) -> jax.Array:
        return mixture(params, X).draws.mean(0)

    def predict_class(params: DropoutParams, X: Any) -> jax.Array:
        return jnp.argmax(predict_proba(params, X), axis=1).astype(jnp.int32)

    return Classifier(fit, predict_class, predict_proba, None, predict_samples)


@functools.partial(jax.jit, static_argnames=("module", "task", "num_samples"))
def _predict_samples(key, params, X, *, module, task, num_samples) -> PredictiveSamples:
    def one(k):
        return module.apply({"params": params}, X, train=True, rngs={"dropout": k})

    outputs = jax.vmap(one)(jax.random.split(key, num_samples))
    if task == "classification":
        return PredictiveSamples(jax.nn.softmax(outputs, axis=-1), None)
    return PredictiveSamples(*jax.vmap(training.gaussian_head)(outputs))
