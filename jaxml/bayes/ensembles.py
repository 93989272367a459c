"""Deep ensembles: M networks from independent initialisations, trained at once.

Lakshminarayanan, Pritzel & Blundell (2017): train M networks that differ only in their
random initialisation and minibatch order, each with a proper scoring rule (Gaussian NLL
with a variance head for regression, cross-entropy for classification), and predict with
the uniform mixture. For regression the mixture's mean and variance are

.. math::
    \\mu_*(x) = \\frac1M\\sum_m \\mu_m(x), \\qquad
    \\sigma_*^2(x) = \\frac1M\\sum_m \\big(\\sigma_m^2(x) + \\mu_m^2(x)\\big) - \\mu_*^2(x).

Because :func:`jaxml.bayes.training.train_network` is a pure function of its key,
:func:`fit` trains all members in one ``jax.vmap`` over M keys; the members' parameters are
stacked along a leading axis. (The paper's optional adversarial-training term is not
used.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax

from jaxml.bayes.training import MLPNet, check_training_data, gaussian_head, train_network
from jaxml.core import as_key, check_int, check_n_features, check_positive, check_X

__all__ = ["EnsembleFit", "member_keys", "fit", "predict_samples"]


class EnsembleFit(NamedTuple):
    """Trained ensemble: ``params`` stacked ``(M, ...)``, the shared ``module``, ``task``,
    and the training losses ``(M, num_steps)``."""

    params: Any
    module: MLPNet
    task: str
    losses: jax.Array


def member_keys(key: Any, num_members: int) -> jax.Array:
    """The M per-member keys :func:`fit` uses (``jax.random.split(key, M)``)."""
    num_members = check_int(num_members, "num_members", minimum=1)
    return jax.random.split(as_key(key), num_members)


def fit(key: Any, X: Any, y: Any, *, num_members: int = 5, task: str = "regression",
        num_classes: int | None = None, features: Sequence[int] = (64, 64),
        num_steps: int = 2000, batch_size: int = 64, learning_rate: float = 1e-3,
        weight_decay: float = 1e-4) -> EnsembleFit:
    """Train ``num_members`` networks with ``vmap`` over :func:`member_keys`.

    Member ``m`` equals ``train_network(member_keys(key, M)[m], module, X, y, ...)``.
    """
    X, y, num_outputs = check_training_data(X, y, task, num_classes)
    num_steps = check_int(num_steps, "num_steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_positive(learning_rate, "learning_rate")
    module = MLPNet(features=tuple(check_int(f, "features", minimum=1) for f in features),
                    num_outputs=num_outputs)

    def train_one(k):
        return train_network(k, module, X, y, task=task, num_steps=num_steps,
                             batch_size=batch_size, learning_rate=learning_rate,
                             weight_decay=weight_decay)

    params, losses = jax.vmap(train_one)(member_keys(key, num_members))
    return EnsembleFit(params=params, module=module, task=task, losses=losses)


def predict_samples(fit: EnsembleFit, X_new: Any) -> tuple[jax.Array, jax.Array | None]:
    """Every member's prediction (deterministic; no key needed).

    Returns:
      Regression: ``(means (M, m), variances (M, m))``; classification:
      ``(probs (M, m, C), None)``.
    """
    X_new = check_X(X_new, "X_new")
    check_n_features(X_new, fit.params["Dense_0"]["kernel"].shape[1], "X_new")
    return _predict(fit.params, X_new, module=fit.module, task=fit.task)


def _predict_impl(params, X_new, *, module, task):
    outputs = jax.vmap(lambda p: module.apply({"params": p}, X_new))(params)
    if task == "classification":
        return jax.nn.softmax(outputs, axis=-1), None
    return jax.vmap(gaussian_head)(outputs)


_predict = jax.jit(_predict_impl, static_argnames=("module", "task"))
