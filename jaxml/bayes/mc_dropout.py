"""Monte Carlo dropout: dropout at test time as approximate Bayesian inference.

Gal & Ghahramani (2016) show that a network trained with dropout (and weight decay)
approximately minimises the KL to the posterior of a deep Gaussian process, the
variational family being "each unit's weights are either kept or zeroed". Keeping dropout
*on* at prediction time samples from that approximate posterior: with masks
:math:`m_s`,

.. math::
    p(y^* \\mid x^*) \\approx \\frac1S \\sum_{s=1}^S p(y^* \\mid x^*, W \\odot m_s).

:func:`fit` trains a :class:`jaxml.bayes.training.MLPNet` with dropout;
:func:`predict_samples` draws S stochastic forward passes (key first, ``vmap`` over S
dropout keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax

from jaxml.bayes.training import MLPNet, check_training_data, gaussian_head, train_network
from jaxml.core import as_key, check_int, check_n_features, check_positive, check_X

__all__ = ["DropoutFit", "fit", "predict_samples"]


class DropoutFit(NamedTuple):
    """Trained MC-dropout network: ``params``, the ``module`` and the ``task``."""

    params: Any
    module: MLPNet
    task: str
    losses: jax.Array


def fit(key: Any, X: Any, y: Any, *, task: str = "regression", num_classes: int | None = None,
        features: Sequence[int] = (64, 64), dropout_rate: float = 0.1, num_steps: int = 2000,
        batch_size: int = 64, learning_rate: float = 1e-3,
        weight_decay: float = 1e-4) -> DropoutFit:
    """Train an MLP with dropout (see :func:`jaxml.bayes.training.train_network`).

    Args:
      key: PRNG key (init, minibatches, dropout masks).
      X, y: data; ``y`` floats (regression, heteroscedastic Gaussian head) or int labels.
      task: ``"regression"`` or ``"classification"``.
      num_classes: number of classes (classification).
      features: hidden widths.
      dropout_rate: p in (0, 1).
      num_steps, batch_size, learning_rate, weight_decay: optimisation.
    """
    X, y, num_outputs = check_training_data(X, y, task, num_classes)
    if not 0.0 < float(dropout_rate) < 1.0:
        raise ValueError(f"dropout_rate must be in (0, 1), got {dropout_rate}")
    num_steps = check_int(num_steps, "num_steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_positive(learning_rate, "learning_rate")
    module = MLPNet(features=tuple(check_int(f, "features", minimum=1) for f in features),
                    num_outputs=num_outputs, dropout_rate=float(dropout_rate))
    params, losses = train_network(as_key(key), module, X, y, task=task, num_steps=num_steps,
                                   batch_size=batch_size, learning_rate=learning_rate,
                                   weight_decay=weight_decay)
    return DropoutFit(params=params, module=module, task=task, losses=losses)


def predict_samples(key: Any, fit: DropoutFit, X_new: Any, *, num_samples: int = 100
                    ) -> tuple[jax.Array, jax.Array | None]:
    """S stochastic forward passes with dropout on.

    Returns:
      Regression: ``(means (S, m), variances (S, m))``; classification:
      ``(probs (S, m, C), None)``.
    """
    X_new = check_X(X_new, "X_new")
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    check_n_features(X_new, fit.params["Dense_0"]["kernel"].shape[0], "X_new")
    return _predict(as_key(key), fit.params, X_new, module=fit.module, task=fit.task,
                    num_samples=num_samples)


def _predict_impl(key, params, X_new, *, module, task, num_samples):
    def one(k):
        return module.apply({"params": params}, X_new, train=True, rngs={"dropout": k})

    outputs = jax.vmap(one)(jax.random.split(key, num_samples))
    if task == "classification":
        return jax.nn.softmax(outputs, axis=-1), None
    return jax.vmap(gaussian_head)(outputs)


_predict = jax.jit(_predict_impl, static_argnames=("module", "task", "num_samples"))
