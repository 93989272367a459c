"""The shapes of estimators: NamedTuples of pure functions.

Following optax's ``GradientTransformation(init, update)``, an estimator is built by a
factory that closes over its hyperparameters and returns a NamedTuple of pure
functions. Fitted parameters are pytrees (``flax.struct.dataclass``), so every function
can be ``jax.jit``-ed and ``jax.vmap``-ed over hyperparameters, folds or seeds::

    est = linear.ridge(alpha=1.0)           # Regressor(fit, predict)
    params = est.fit(X, y)
    y_hat = est.predict(params, X_new)

Stochastic estimators take ``key`` first: ``est.fit(key, X, y)``.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

Params = Any


class Regressor(NamedTuple):
    """``fit(X, y) -> params``; ``predict(params, X) -> y_hat``."""

    fit: Callable[..., Params]
    predict: Callable[..., Any]


class Classifier(NamedTuple):
    """Adds ``predict_proba(params, X) -> (n, n_classes)`` probabilities."""

    fit: Callable[..., Params]
    predict: Callable[..., Any]
    predict_proba: Callable[..., Any]


class Transformer(NamedTuple):
    """``fit(X) -> params``; ``transform(params, X) -> Z``; ``inverse_transform`` may be None."""

    fit: Callable[..., Params]
    transform: Callable[..., Any]
    inverse_transform: Callable[..., Any] | None = None


class DensityModel(NamedTuple):
    """``fit(X) -> params``; ``score_samples(params, X) -> log p(x)``; ``sample(key, params, n)``."""

    fit: Callable[..., Params]
    score_samples: Callable[..., Any]
    sample: Callable[..., Any] | None = None


class Clusterer(NamedTuple):
    """``fit(key, X) -> params``; ``predict(params, X) -> labels``."""

    fit: Callable[..., Params]
    predict: Callable[..., Any]


Estimator = Regressor | Classifier | Transformer | DensityModel | Clusterer
