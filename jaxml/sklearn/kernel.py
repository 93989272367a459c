"""scikit-learn-compatible kernel machines over jaxml's pure estimators.

``SVC``, ``SVR``, ``KernelRidge``, ``GaussianProcessRegressor`` and
``GaussianProcessClassifier`` follow scikit-learn's estimator contract (``__init__``
only stores its arguments, ``fit`` returns ``self``, ``validate_data`` and
``check_is_fitted``, learned attributes end in ``_``, ``n_features_in_``/``classes_``,
picklable fitted state held as NumPy arrays) and pass ``parametrize_with_checks``.

The numerical work is done by :mod:`jaxml.classical.svm`, :mod:`~jaxml.classical.kernel_ridge`
and :mod:`~jaxml.classical.gp`, jit-compiled once per input shape and static
hyperparameters. The classes compute in float64 (``jax.enable_x64``) to follow
scikit-learn's numerical behaviour; the pure functions default to float32.

Differences from scikit-learn: the Gaussian-process classes take their RBF kernel as
``length_scale``/``signal_variance``/``noise_variance`` numbers (the kernel
``C(signal_variance) * RBF(length_scale) + WhiteKernel(noise_variance)``) instead of a
kernel object; ``optimizer`` is ``"lbfgs"`` or ``None``. ``SVC``/``SVR`` have no
``class_weight``/``sample_weight``/``shrinking``/``cache_size``. ``SVC(probability=True)``
uses deterministic stratified folds for Platt scaling (libsvm's are random), so its
probabilities are close to, not equal to, scikit-learn's.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxml.classical import gp, kernel_ridge, svm
from jaxml.core import check_bool

__all__ = [
    "SVC",
    "SVR",
    "KernelRidge",
    "GaussianProcessRegressor",
    "GaussianProcessClassifier",
]

_NO_LIMIT = 10_000_000


def _to_numpy(tree):
    return jax.tree.map(np.asarray, tree)


def _svm_gamma(gamma, X: np.ndarray) -> float:
    """scikit-learn's ``_gamma``: ``"scale"`` = 1/(d Var X), ``"auto"`` = 1/d."""
    if isinstance(gamma, str):
        if gamma == "scale":
            var = X.var()
            return 1.0 / (X.shape[1] * var) if var != 0 else 1.0
        if gamma == "auto":
            return 1.0 / X.shape[1]
        raise ValueError(f"gamma must be 'scale', 'auto' or a positive float, got {gamma!r}")
    gamma = float(gamma)
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    return gamma


def _check_max_iter(max_iter) -> int:
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)):
        raise TypeError(f"max_iter must be an int, got {type(max_iter).__name__}")
    if max_iter == -1:
        return _NO_LIMIT
    if max_iter < 1:
        raise ValueError(f"max_iter must be -1 (no limit) or >= 1, got {max_iter}")
    return int(max_iter)


def _check_classes(y):
    check_classification_targets(y)
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"The number of classes has to be greater than one; got {classes.size} class"
        )
    return classes, codes.astype(np.int32)


# --------------------------------------------------------------------------- jitted cores


@functools.partial(
    jax.jit, static_argnames=("kernel", "degree", "max_iter", "n_classes", "probability")
)
def _svc_fit(X, y, C, gamma, coef0, tol, *, kernel, degree, max_iter, n_classes, probability):
    est = svm.svc(
        C, kernel=kernel, gamma=gamma, degree=degree, coef0=coef0, tol=tol,
        max_iter=max_iter, n_classes=n_classes, probability=probability,
    )
    return est.fit(X, y)


@functools.partial(jax.jit, static_argnames=("kernel", "degree", "max_iter"))
def _svr_fit(X, y, C, epsilon, gamma, coef0, tol, *, kernel, degree, max_iter):
    est = svm.svr(
        C, epsilon=epsilon, kernel=kernel, gamma=gamma, degree=degree, coef0=coef0,
        tol=tol, max_iter=max_iter,
    )
    return est.fit(X, y)


@functools.partial(jax.jit, static_argnames=("kernel", "degree"))
def _svm_decision(params, X, *, kernel, degree):
    est = svm.svc(kernel=kernel, degree=degree)
    return est.decision_function(params, X)


@functools.partial(jax.jit, static_argnames=("kernel", "degree"))
def _svc_proba(params, X, *, kernel, degree):
    return svm.svc(kernel=kernel, degree=degree).predict_proba(params, X)


@functools.partial(jax.jit, static_argnames=("kernel", "degree"))
def _svr_predict(params, X, *, kernel, degree):
    return svm.svr(kernel=kernel, degree=degree).predict(params, X)


@functools.partial(jax.jit, static_argnames=("kernel", "degree"))
def _krr_fit(X, y, alpha, gamma, coef0, *, kernel, degree):
    return kernel_ridge.kernel_ridge(
        alpha, kernel=kernel, gamma=gamma, degree=degree, coef0=coef0
    ).fit(X, y)


@functools.partial(jax.jit, static_argnames=("kernel", "degree"))
def _krr_predict(params, X, gamma, coef0, *, kernel, degree):
    return kernel_ridge.kernel_ridge(
        1.0, kernel=kernel, gamma=gamma, degree=degree, coef0=coef0
    ).predict(params, X)


@functools.partial(jax.jit, static_argnames=("optimize", "max_steps", "normalize_y"))
def _gpr_fit(X, y, length_scale, signal, noise, jitter, *, optimize, max_steps, normalize_y):
    est = gp.gp_regression(
        length_scale, signal, noise, optimize=optimize, max_steps=max_steps,
        jitter=jitter, normalize_y=normalize_y,
    )
    return est.fit(X, y)


@jax.jit
def _gpr_predict(params, X):
    est = gp.gp_regression()
    return est.predict(params, X), est.predict_std(params, X)


@functools.partial(jax.jit, static_argnames=("optimize", "max_steps", "max_newton", "n_classes"))
def _gpc_fit(X, y, length_scale, signal, *, optimize, max_steps, max_newton, n_classes):
    est = gp.gp_classification(
        length_scale, signal, optimize=optimize, max_steps=max_steps,
        max_newton=max_newton, n_classes=n_classes,
    )
    return est.fit(X, y)


@jax.jit
def _gpc_proba(params, X):
    return gp.gp_classification().predict_proba(params, X)


# --------------------------------------------------------------------------- SVM


class _BaseSVM(BaseEstimator):
    def _kernel_args(self, X):
        if self.kernel not in ("linear", "poly", "rbf", "sigmoid"):
            raise ValueError(
                f"kernel must be one of 'linear', 'poly', 'rbf', 'sigmoid', got {self.kernel!r}"
            )
        if not float(self.C) > 0:
            raise ValueError(f"C must be > 0, got {self.C}")
        if not float(self.tol) > 0:
            raise ValueError(f"tol must be > 0, got {self.tol}")
        if isinstance(self.degree, bool) or not isinstance(self.degree, (int, np.integer)):
            raise TypeError(f"degree must be an int, got {type(self.degree).__name__}")
        if self.degree < 0:
            raise ValueError(f"degree must be >= 0, got {self.degree}")
        self._gamma = _svm_gamma(self.gamma, X)
        max_iter = _check_max_iter(self.max_iter)
        return dict(kernel=self.kernel, degree=int(self.degree), max_iter=max_iter)

    def _set_support(self, dual_coef):
        used = np.any(dual_coef != 0, axis=0)
        self.support_ = np.flatnonzero(used).astype(np.int32)
        self.support_vectors_ = self._params.X_fit[self.support_]
        self.dual_coef_ = dual_coef[:, self.support_]

    def _decision(self, X):
        check_is_fitted(self, "_params")
        X = validate_data(self, X, reset=False)
        with jax.enable_x64(True):
            dec = _svm_decision(self._params, X, kernel=self.kernel, degree=int(self.degree))
        return np.asarray(dec)


class SVC(ClassifierMixin, _BaseSVM):
    """C-support vector classification by SMO (one-vs-one multiclass), as ``sklearn.svm.SVC``.

    Args:
      C, kernel, degree, gamma, coef0, tol, max_iter: as in scikit-learn (``max_iter=-1``
        means no limit).
      probability: fit Platt scaling on 5-fold cross-validated decision values.
      decision_function_shape: ``"ovr"`` or ``"ovo"`` (multiclass only).

    Attributes:
      classes_, n_features_in_, support_, support_vectors_, n_support_, intercept_,
      n_iter_, dual_coef_ (``y_t alpha_t`` per one-vs-one problem, over ``support_``;
      scikit-learn packs the same numbers differently), probA_, probB_.
    """

    def __init__(
        self,
        C=1.0,
        kernel="rbf",
        degree=3,
        gamma="scale",
        coef0=0.0,
        probability=False,
        tol=1e-3,
        max_iter=-1,
        decision_function_shape="ovr",
    ):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.probability = probability
        self.tol = tol
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        if self.decision_function_shape not in ("ovr", "ovo"):
            raise ValueError(
                "decision_function_shape must be 'ovr' or 'ovo', "
                f"got {self.decision_function_shape!r}"
            )
        static = self._kernel_args(X)
        self.classes_, codes = _check_classes(y)
        with jax.enable_x64(True):
            params = _svc_fit(
                X, codes, float(self.C), self._gamma, float(self.coef0), float(self.tol),
                n_classes=len(self.classes_), probability=check_bool(self.probability, "probability"), **static,
            )
        self._params = _to_numpy(params)
        self._set_support(self._params.dual_coef)
        n_classes = len(self.classes_)
        self.n_support_ = np.array(
            [np.sum(codes[self.support_] == c) for c in range(n_classes)], dtype=np.int32
        )
        self.intercept_ = self._params.intercept
        self.n_iter_ = self._params.n_iter
        if self.probability:
            self.probA_ = self._params.prob_a
            self.probB_ = self._params.prob_b
        return self

    def decision_function(self, X):
        """Binary: ``(n,)``, positive for ``classes_[1]``; multiclass: ``"ovr"`` or ``"ovo"``."""
        dec = self._decision(X)
        n_classes = len(self.classes_)
        if n_classes == 2:
            return dec[:, 0]
        if self.decision_function_shape == "ovr":
            with jax.enable_x64(True):
                return np.asarray(svm.ovr_decision(dec, n_classes))
        return -dec

    def predict(self, X):
        dec = self._decision(X)
        n_classes = len(self.classes_)
        first, second = np.triu_indices(n_classes, k=1)
        votes = np.zeros((dec.shape[0], n_classes), dtype=np.int64)
        np.add.at(votes.T, second, (dec > 0).T)
        np.add.at(votes.T, first, (dec <= 0).T)
        return self.classes_[np.argmax(votes, axis=1)]

    def _has_proba(self):
        if not self.probability:
            raise AttributeError("predict_proba is available only when probability=True")
        return True

    @available_if(_has_proba)
    def predict_proba(self, X):
        check_is_fitted(self, "_params")
        X = validate_data(self, X, reset=False)
        with jax.enable_x64(True):
            proba = _svc_proba(self._params, X, kernel=self.kernel, degree=int(self.degree))
        return np.asarray(proba)

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))


class SVR(RegressorMixin, _BaseSVM):
    """epsilon-support vector regression by SMO, as ``sklearn.svm.SVR``.

    Attributes:
      n_features_in_, support_, support_vectors_, dual_coef_ (``(1, n_SV)``,
      ``alpha - alpha*``), intercept_, n_iter_.
    """

    def __init__(
        self,
        kernel="rbf",
        degree=3,
        gamma="scale",
        coef0=0.0,
        tol=1e-3,
        C=1.0,
        epsilon=0.1,
        max_iter=-1,
    ):
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.C = C
        self.epsilon = epsilon
        self.max_iter = max_iter

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True)
        static = self._kernel_args(X)
        if not float(self.epsilon) >= 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon}")
        with jax.enable_x64(True):
            params = _svr_fit(
                X, y.astype(np.float64), float(self.C), float(self.epsilon), self._gamma,
                float(self.coef0), float(self.tol), **static,
            )
        self._params = _to_numpy(params)
        self._set_support(self._params.dual_coef[None, :])
        self.intercept_ = np.atleast_1d(self._params.intercept)
        self.n_iter_ = int(self._params.n_iter)
        return self

    def predict(self, X):
        check_is_fitted(self, "_params")
        X = validate_data(self, X, reset=False)
        with jax.enable_x64(True):
            pred = _svr_predict(self._params, X, kernel=self.kernel, degree=int(self.degree))
        return np.asarray(pred)


# --------------------------------------------------------------------------- kernel ridge


class KernelRidge(RegressorMixin, BaseEstimator):
    """Kernel ridge regression, as ``sklearn.kernel_ridge.KernelRidge``.

    ``kernel`` is one of ``"linear"``, ``"poly"``/``"polynomial"``, ``"rbf"``,
    ``"sigmoid"``; ``gamma=None`` means 1/n_features. Multi-output ``y`` is supported.

    Attributes:
      dual_coef_, X_fit_, n_features_in_.
    """

    def __init__(self, alpha=1.0, *, kernel="linear", gamma=None, degree=3, coef0=1):
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _static(self):
        kernel = "poly" if self.kernel == "polynomial" else self.kernel
        if kernel not in ("linear", "poly", "rbf", "sigmoid"):
            raise ValueError(
                "kernel must be one of 'linear', 'poly', 'polynomial', 'rbf', 'sigmoid', "
                f"got {self.kernel!r}"
            )
        return dict(kernel=kernel, degree=int(self.degree))

    def _gamma_value(self):
        return 1.0 / self.n_features_in_ if self.gamma is None else float(self.gamma)

    def fit(self, X, y):
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True)
        static = self._static()
        if not float(self.alpha) > 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha}")
        with jax.enable_x64(True):
            params = _krr_fit(
                X, y.astype(np.float64), float(self.alpha), self._gamma_value(),
                float(self.coef0), **static,
            )
        self._params = _to_numpy(params)
        self.dual_coef_ = self._params.dual_coef
        self.X_fit_ = self._params.X_fit
        return self

    def predict(self, X):
        check_is_fitted(self, "_params")
        X = validate_data(self, X, reset=False)
        with jax.enable_x64(True):
            pred = _krr_predict(
                self._params, X, self._gamma_value(), float(self.coef0), **self._static()
            )
        return np.asarray(pred)


# --------------------------------------------------------------------------- Gaussian processes


def _check_optimizer(optimizer) -> bool:
    if optimizer not in ("lbfgs", None):
        raise ValueError(f"optimizer must be 'lbfgs' or None, got {optimizer!r}")
    return optimizer is not None


class GaussianProcessRegressor(RegressorMixin, BaseEstimator):
    """GP regression with kernel ``C(signal_variance) * RBF(length_scale) + White(noise_variance)``.

    Hyperparameters start at the given values and, with ``optimizer="lbfgs"``, maximise
    the log marginal likelihood (log space, bounds [1e-5, 1e5]).

    Attributes:
      X_train_, y_train_, length_scale_, signal_variance_, noise_variance_,
      log_marginal_likelihood_value_, n_features_in_.
    """

    def __init__(
        self,
        length_scale=1.0,
        signal_variance=1.0,
        noise_variance=1e-2,
        *,
        alpha=1e-10,
        optimizer="lbfgs",
        normalize_y=False,
        max_optimizer_steps=200,
    ):
        self.length_scale = length_scale
        self.signal_variance = signal_variance
        self.noise_variance = noise_variance
        self.alpha = alpha
        self.optimizer = optimizer
        self.normalize_y = normalize_y
        self.max_optimizer_steps = max_optimizer_steps

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True)
        optimize = _check_optimizer(self.optimizer)
        for name in ("length_scale", "signal_variance", "noise_variance"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not float(self.alpha) >= 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha}")
        with jax.enable_x64(True):
            params = _gpr_fit(
                X.astype(np.float64), y.astype(np.float64), float(self.length_scale),
                float(self.signal_variance), float(self.noise_variance), float(self.alpha),
                optimize=optimize,
                max_steps=int(self.max_optimizer_steps), normalize_y=check_bool(self.normalize_y, "normalize_y"),
            )
        self._params = _to_numpy(params)
        hyper = self._params.hyper
        self.X_train_ = self._params.X_fit
        self.y_train_ = np.asarray(y)
        self.length_scale_ = float(np.exp(hyper.log_length_scale))
        self.signal_variance_ = float(np.exp(hyper.log_signal_variance))
        self.noise_variance_ = float(np.exp(hyper.log_noise_variance))
        self.log_marginal_likelihood_value_ = float(self._params.log_marginal_likelihood)
        return self

    def predict(self, X, return_std=False):
        """Predictive mean, and with ``return_std`` the std of a noisy observation."""
        check_is_fitted(self, "_params")
        X = validate_data(self, X, reset=False)
        with jax.enable_x64(True):
            mean, std = _gpr_predict(self._params, X.astype(np.float64))
        if return_std:
            return np.asarray(mean), np.asarray(std)
        return np.asarray(mean)


class GaussianProcessClassifier(ClassifierMixin, BaseEstimator):
    """Laplace-approximated GP classification (one-vs-rest for >2 classes).

    Kernel ``C(signal_variance) * RBF(length_scale)``, logistic likelihood; with
    ``optimizer="lbfgs"`` both maximise the Laplace evidence of each binary problem.

    Attributes:
      classes_, n_features_in_, length_scale_, signal_variance_ (one per binary
      problem), log_marginal_likelihood_value_ (mean over binary problems, as scikit-learn).
    """

    def __init__(
        self,
        length_scale=1.0,
        signal_variance=1.0,
        *,
        optimizer="lbfgs",
        max_iter_predict=100,
        max_optimizer_steps=100,
    ):
        self.length_scale = length_scale
        self.signal_variance = signal_variance
        self.optimizer = optimizer
        self.max_iter_predict = max_iter_predict
        self.max_optimizer_steps = max_optimizer_steps

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        optimize = _check_optimizer(self.optimizer)
        for name in ("length_scale", "signal_variance"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        self.classes_, codes = _check_classes(y)
        with jax.enable_x64(True):
            params = _gpc_fit(
                X.astype(np.float64), codes, float(self.length_scale),
                float(self.signal_variance), optimize=optimize, max_steps=int(self.max_optimizer_steps),
                max_newton=int(self.max_iter_predict), n_classes=len(self.classes_),
            )
        self._params = _to_numpy(params)
        hyper = self._params.hyper
        self.length_scale_ = np.exp(hyper.log_length_scale)
        self.signal_variance_ = np.exp(hyper.log_signal_variance)
        self.log_marginal_likelihood_value_ = float(np.mean(self._params.log_marginal_likelihood))
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "_params")
        X = validate_data(self, X, reset=False)
        with jax.enable_x64(True):
            proba = _gpc_proba(self._params, X.astype(np.float64))
        return np.asarray(proba)

    def predict(self, X):
        check_is_fitted(self, "_params")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
