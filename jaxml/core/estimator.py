"""The shapes of estimators: NamedTuples of pure functions.

Following optax's ``GradientTransformation(init, update)``, an estimator is built by a
factory that closes over its hyperparameters and returns a NamedTuple of pure
functions. Fitted parameters are pytrees (``flax.struct.dataclass``), so every function
can be ``jax.jit``-ed and ``jax.vmap``-ed over hyperparameters, folds or seeds::

    est = linear.ridge(alpha=1.0)           # Regressor(fit, predict)
    params = est.fit(X, y)
    y_hat = est.predict(params, X_new)

Stochastic estimators take ``key`` first: ``est.fit(key, X, y)``.

Optional outputs are trailing fields that default to ``None`` (so ``Regressor(fit,
predict)`` still builds a plain regressor): ``predict_std`` for models with a predictive
distribution, ``decision_function`` for margin classifiers, and ``predict_samples`` for
methods that represent their predictive by ``S`` draws (posterior samples, dropout masks,
ensemble members), returning :class:`PredictiveSamples`. ``S`` is a static factory
hyperparameter; a method whose draws are deterministic still takes (and ignores) the key,
so every method is called the same way.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

Params = Any


class PredictiveSamples(NamedTuple):
    """``S`` draws of a predictive distribution at ``n`` inputs.

    Attributes:
      draws: per-draw predictive means ``(S, n)`` (regression) or class probabilities
        ``(S, n, C)`` (classification).
      noise_variance: per-draw observation-noise variances ``(S, n)`` (regression), or
        ``None`` (classification), so the predictive variance splits as
        ``mean(noise_variance) + var(draws)`` (law of total variance).
    """

    draws: Any
    noise_variance: Any = None


class Regressor(NamedTuple):
    """``fit(X, y) -> params``; ``predict(params, X) -> y_hat``.

    Optional: ``predict_std(params, X) -> (n,)``, the standard deviation of the
    predictive distribution of a new observation at ``X`` (each model documents whether
    observation noise is included); ``predict_samples(key, params, X) ->
    PredictiveSamples``.
    """

    fit: Callable[..., Params]
    predict: Callable[..., Any]
    predict_std: Callable[..., Any] | None = None
    predict_samples: Callable[..., PredictiveSamples] | None = None


class Classifier(NamedTuple):
    """Adds ``predict_proba(params, X) -> (n, n_classes)`` probabilities.

    Optional: ``decision_function(params, X)`` (margins; their shape is documented by the
    model) and ``predict_samples(key, params, X) -> PredictiveSamples``.
    """

    fit: Callable[..., Params]
    predict: Callable[..., Any]
    predict_proba: Callable[..., Any]
    decision_function: Callable[..., Any] | None = None
    predict_samples: Callable[..., PredictiveSamples] | None = None


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
    """``fit(key, X) -> params`` where the fit is random (k-means, GMM, spectral), else
    ``fit(X) -> params`` (DBSCAN, OPTICS, agglomerative); ``predict(params, X) -> labels``."""

    fit: Callable[..., Params]
    predict: Callable[..., Any]


Estimator = Regressor | Classifier | Transformer | DensityModel | Clusterer
