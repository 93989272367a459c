"""scikit-learn-compatible linear models over :mod:`jaxml.classical.linear` and ``glm``.

Each class follows scikit-learn's estimator contract: ``__init__`` only stores its
keyword arguments; ``fit`` validates with ``sklearn.utils.validation.validate_data``,
fits the pure jaxml estimator **in float64** (inside ``jax.enable_x64``) and stores the
fitted values as NumPy attributes ending in ``_`` (so estimators pickle and clone);
``predict`` checks ``check_is_fitted`` and the feature count. They work in ``Pipeline``,
``GridSearchCV`` and ``cross_val_score``.

Differences from scikit-learn: ``LogisticRegression`` takes ``penalty`` in
``{"l2", "l1", None}`` and ``solver`` in ``{"newton", "lbfgs"}`` (``"l1"`` always uses
FISTA), and its ``tol`` bounds the max-norm of the gradient of the objective divided by
``C·Σsᵢ``; ``Lasso``/``ElasticNet`` use a duality-gap tolerance like scikit-learn's.
No estimator accepts ``sample_weight``.
"""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxml.classical import glm, linear

__all__ = [
    "LinearRegression",
    "Ridge",
    "Lasso",
    "ElasticNet",
    "LogisticRegression",
    "PoissonRegressor",
    "BayesianRidge",
]


def _hashable(value):
    """A hashable stand-in for a hyperparameter value (arrays and lists become tuples)."""
    if isinstance(value, (np.ndarray, list, tuple)):
        return tuple(_hashable(v) for v in np.asarray(value, dtype=object).tolist()) \
            if np.ndim(value) else value.item()
    return value


def config_key(config: dict) -> tuple:
    """The hashable cache key of a hyperparameter dict: sorted ``(name, value)`` pairs."""
    return tuple(sorted((name, _hashable(value)) for name, value in config.items()))


@functools.lru_cache(maxsize=256)
def _jitted_fit(factory, config):
    return jax.jit(factory(**dict(config)).fit)


def fit_x64(factory, X, y, **config):
    """``factory(**config).fit(X, y)`` in float64; every array leaf of the result as NumPy.

    The jitted fit is cached per (factory, hyperparameters), and ``jax.jit`` keeps one
    executable per input shape, so refitting the same configuration (cross-validation,
    scikit-learn's check suite) compiles the solver's loops once instead of retracing
    them on every call. Value checks that need concrete inputs are the wrapper's
    (``validate_data``) and the factory's (hyperparameters); see
    :func:`jaxml.core.checked` for the checks that run under ``jit``.
    """
    with jax.enable_x64(True):
        params = _jitted_fit(factory, config_key(config))(jnp.asarray(X, jnp.float64), jnp.asarray(y))
        return jax.tree.map(np.asarray, params)


def call_x64(fn, *args):
    """Run a jaxml function in float64 and return NumPy arrays."""
    with jax.enable_x64(True):
        out = fn(*args)
        return jax.tree.map(np.asarray, out)


class _LinearRegressorBase(RegressorMixin, BaseEstimator):
    """Shared ``fit``/``predict`` for models with ``coef_`` and ``intercept_``."""

    def _estimator(self):
        """``(factory, hyperparameters)`` of the jaxml estimator to fit."""
        raise TypeError("subclasses define _estimator")

    def fit(self, X, y):
        """Fit the model; returns ``self``."""
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        factory, config = self._estimator()
        params = fit_x64(factory, X, y, **config)
        self.coef_ = params.coef
        self.intercept_ = float(params.intercept)
        self._after_fit(params)
        return self

    def _after_fit(self, params):
        self.n_iter_ = int(params.n_iter)

    def predict(self, X):
        """Linear predictions ``X @ coef_ + intercept_``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_


class LinearRegression(_LinearRegressorBase):
    """Ordinary least squares (minimum-norm solution via SVD, :func:`linear.ols`)."""

    def __init__(self, *, fit_intercept=True):
        self.fit_intercept = fit_intercept

    def _estimator(self):
        return linear.ols, dict(method="lstsq", fit_intercept=self.fit_intercept)

    def _after_fit(self, params):
        pass


class Ridge(_LinearRegressorBase):
    """Ridge regression in closed form (:func:`linear.ridge`)."""

    def __init__(self, alpha=1.0, *, fit_intercept=True):
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def _estimator(self):
        return linear.ridge, dict(alpha=self.alpha, fit_intercept=self.fit_intercept)

    def _after_fit(self, params):
        pass


class ElasticNet(_LinearRegressorBase):
    """Elastic net by coordinate descent (:func:`linear.elastic_net`)."""

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, max_iter=1000, tol=1e-4):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def _estimator(self):
        return linear.elastic_net, dict(
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
        )

    def _after_fit(self, params):
        self.n_iter_ = int(params.n_iter)
        self.dual_gap_ = float(params.dual_gap)
        if self.n_iter_ >= self.max_iter:
            warnings.warn(
                f"Coordinate descent did not converge in {self.max_iter} sweeps "
                f"(duality gap {self.dual_gap_:.3g}); increase max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )


class Lasso(ElasticNet):
    """The lasso: elastic net with ``l1_ratio = 1``."""

    def __init__(self, alpha=1.0, *, fit_intercept=True, max_iter=1000, tol=1e-4):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def _estimator(self):
        return linear.lasso, dict(
            alpha=self.alpha, fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter
        )


class PoissonRegressor(_LinearRegressorBase):
    """Poisson regression with log link (:func:`glm.poisson_regression`), Newton solver."""

    def __init__(self, *, alpha=1.0, fit_intercept=True, max_iter=100, tol=1e-8):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def _estimator(self):
        return glm.poisson_regression, dict(
            alpha=self.alpha, fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter
        )

    def fit(self, X, y):
        """Fit the model; ``y`` must be non-negative. Returns ``self``."""
        y_arr = np.asarray(y) if not hasattr(y, "iloc") else y.to_numpy()
        if y_arr.dtype.kind in "iuf" and np.any(y_arr < 0):
            raise ValueError("Some value(s) of y are out of the valid range: y must be >= 0")
        return super().fit(X, y)

    def predict(self, X):
        """Predicted means ``exp(X @ coef_ + intercept_)``."""
        return np.exp(super().predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags


class BayesianRidge(_LinearRegressorBase):
    """Bayesian ridge regression with evidence maximisation (:func:`linear.bayesian_ridge`).

    Same hyperpriors, initialisation, MacKay updates and stopping rule as scikit-learn's
    ``BayesianRidge``; ``alpha_`` is the noise precision, ``lambda_`` the weight precision,
    ``sigma_`` the posterior covariance. ``predict(X, return_std=True)`` also returns the
    predictive standard deviation.
    """

    def __init__(
        self,
        *,
        max_iter=300,
        tol=1e-3,
        alpha_1=1e-6,
        alpha_2=1e-6,
        lambda_1=1e-6,
        lambda_2=1e-6,
        alpha_init=None,
        lambda_init=None,
        fit_intercept=True,
    ):
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_1 = alpha_1
        self.alpha_2 = alpha_2
        self.lambda_1 = lambda_1
        self.lambda_2 = lambda_2
        self.alpha_init = alpha_init
        self.lambda_init = lambda_init
        self.fit_intercept = fit_intercept

    def _estimator(self):
        return linear.bayesian_ridge, dict(
            max_iter=self.max_iter,
            tol=self.tol,
            alpha_1=self.alpha_1,
            alpha_2=self.alpha_2,
            lambda_1=self.lambda_1,
            lambda_2=self.lambda_2,
            alpha_init=self.alpha_init,
            lambda_init=self.lambda_init,
            fit_intercept=self.fit_intercept,
        )

    def _after_fit(self, params):
        self.n_iter_ = int(params.n_iter)
        self.alpha_ = float(1.0 / params.noise_var)
        self.lambda_ = float(params.prior_precision)
        self.sigma_ = params.cov
        self.X_offset_ = params.x_offset

    def predict(self, X, return_std=False):
        """Predictive mean, and with ``return_std`` the predictive standard deviation."""
        mean = super().predict(X)
        if not return_std:
            return mean
        Xc = validate_data(self, X, dtype=np.float64, reset=False) - self.X_offset_[None, :]
        var = np.sum((Xc @ self.sigma_) * Xc, axis=1) + 1.0 / self.alpha_
        return mean, np.sqrt(var)


def encode_labels(estimator, y, *, min_classes: int = 1):
    """Check classification targets, set ``classes_`` and return integer codes.

    Fewer than ``min_classes`` distinct labels raise scikit-learn's error message.
    """
    check_classification_targets(y)
    estimator.classes_, codes = np.unique(y, return_inverse=True)
    if estimator.classes_.size < min_classes:
        raise ValueError(
            f"This solver needs samples of at least {min_classes} classes in the data, but "
            f"the data contains only one class: {estimator.classes_[0]!r}"
        )
    return codes.astype(np.int32)


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression (:func:`linear.logistic_regression`): sigmoid or softmax.

    Args:
      penalty: ``"l2"``, ``"l1"`` or None.
      C: inverse regularisation strength.
      solver: ``"newton"`` (IRLS) or ``"lbfgs"``.
      fit_intercept: fit unpenalised intercepts.
      class_weight: None, ``"balanced"`` or a dict ``{label: weight}``.
      tol: gradient tolerance (see the module docstring).
      max_iter: iteration cap (None: the solver's default).
    """

    def __init__(
        self,
        penalty="l2",
        *,
        C=1.0,
        solver="newton",
        fit_intercept=True,
        class_weight=None,
        tol=1e-8,
        max_iter=None,
    ):
        self.penalty = penalty
        self.C = C
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y):
        """Fit the model; returns ``self``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        codes = encode_labels(self, y, min_classes=2)
        class_weight = self.class_weight
        if isinstance(class_weight, dict):
            class_weight = np.array([float(class_weight.get(c, 1.0)) for c in self.classes_])
        params = fit_x64(
            linear.logistic_regression,
            X,
            codes,
            C=self.C,
            penalty=self.penalty,
            solver=self.solver,
            fit_intercept=self.fit_intercept,
            class_weight=class_weight,
            n_classes=int(self.classes_.size),
            tol=self.tol,
            max_iter=self.max_iter,
        )
        self.coef_ = params.coef
        self.intercept_ = params.intercept
        self.n_iter_ = np.array([int(params.n_iter)])
        return self

    def decision_function(self, X):
        """Logits: ``(n,)`` for two classes (positive favours ``classes_[1]``), else ``(n, K)``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        z = X @ self.coef_.T + self.intercept_[None, :]
        return z[:, 0] if z.shape[1] == 1 else z

    def predict_proba(self, X):
        """Class probabilities ``(n, K)`` in the order of ``classes_``."""
        z = self.decision_function(X)
        if z.ndim == 1:
            p1 = 1.0 / (1.0 + np.exp(-z))
            return np.stack([1.0 - p1, p1], axis=1)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class label."""
        z = self.decision_function(X)
        codes = (z > 0).astype(int) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[codes]
