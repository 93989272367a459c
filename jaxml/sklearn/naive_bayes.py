"""scikit-learn-compatible naive Bayes classifiers over :mod:`jaxml.classical.naive_bayes`.

``GaussianNB``, ``MultinomialNB`` and ``BernoulliNB`` follow scikit-learn's contract
(``__init__`` stores arguments, ``validate_data``, ``check_is_fitted``, ``classes_``,
``n_features_in_``, NumPy attributes so they pickle) and fit/predict in float64 through
the pure jaxml estimators. Fitted attributes use scikit-learn's names (``theta_``,
``var_``, ``class_prior_``, ``feature_log_prob_``, ``class_log_prior_``, ...). No
``partial_fit`` and no ``sample_weight``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxml.classical import naive_bayes
from jaxml.sklearn.linear import call_x64, encode_labels, fit_x64

__all__ = ["GaussianNB", "MultinomialNB", "BernoulliNB"]


class _NaiveBayesBase(ClassifierMixin, BaseEstimator):
    def _spec(self, n_classes):
        """``(factory, hyperparameters)`` of the jaxml estimator."""
        raise TypeError("subclasses define _spec")

    def _estimator(self, n_classes):
        factory, config = self._spec(n_classes)
        return factory(**config)

    def _check_X(self, X, *, reset):
        return validate_data(self, X, dtype=np.float64, reset=reset)

    def fit(self, X, y):
        """Fit the class-conditional models; returns ``self``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        codes = encode_labels(self, y, min_classes=2)
        self._fit_checks(X)
        factory, config = self._spec(int(self.classes_.size))
        self.params_ = fit_x64(factory, X, codes, **config)
        self._set_attributes(self.params_)
        return self

    def _fit_checks(self, X):
        pass

    def predict_proba(self, X):
        """Posterior class probabilities ``(n, K)`` (softmax of joint log-likelihoods)."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        est = self._estimator(int(self.classes_.size))
        return call_x64(est.predict_proba, self.params_, X)

    def predict_log_proba(self, X):
        """Log posterior class probabilities."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The maximum a posteriori class."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        est = self._estimator(int(self.classes_.size))
        return self.classes_[call_x64(est.predict, self.params_, X)]


class GaussianNB(_NaiveBayesBase):
    """Gaussian naive Bayes with scikit-learn's ``var_smoothing`` rule."""

    def __init__(self, *, priors=None, var_smoothing=1e-9):
        self.priors = priors
        self.var_smoothing = var_smoothing

    def _spec(self, n_classes):
        return naive_bayes.gaussian_nb, dict(
            var_smoothing=self.var_smoothing, priors=self.priors, n_classes=n_classes
        )

    def _set_attributes(self, params):
        self.theta_ = params.theta
        self.var_ = params.var
        self.epsilon_ = float(params.epsilon)
        self.class_count_ = params.class_count
        self.class_prior_ = np.exp(params.class_log_prior)


class _DiscreteNBBase(_NaiveBayesBase):
    def __sklearn_tags__(self):
        # As scikit-learn tags its own MultinomialNB/BernoulliNB: the generic check data
        # (Gaussian blobs) are not counts, so the accuracy bar does not apply.
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _set_attributes(self, params):
        self.feature_log_prob_ = params.feature_log_prob
        self.class_log_prior_ = params.class_log_prior
        self.class_count_ = params.class_count
        self.feature_count_ = params.feature_count


class MultinomialNB(_DiscreteNBBase):
    """Multinomial naive Bayes for non-negative counts, additive smoothing ``alpha``."""

    def __init__(self, *, alpha=1.0, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _spec(self, n_classes):
        return naive_bayes.multinomial_nb, dict(
            alpha=self.alpha,
            fit_prior=self.fit_prior,
            class_prior=self.class_prior,
            n_classes=n_classes,
        )

    def _check_X(self, X, *, reset):
        X = super()._check_X(X, reset=reset)
        self._fit_checks(X)
        return X

    def _fit_checks(self, X):
        if np.any(X < 0):
            raise ValueError("Negative values in data passed to MultinomialNB (input X)")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


class BernoulliNB(_DiscreteNBBase):
    """Bernoulli naive Bayes; features are binarised at ``binarize`` (None: already 0/1)."""

    def __init__(self, *, alpha=1.0, binarize=0.0, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.binarize = binarize
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _spec(self, n_classes):
        return naive_bayes.bernoulli_nb, dict(
            alpha=self.alpha,
            binarize=self.binarize,
            fit_prior=self.fit_prior,
            class_prior=self.class_prior,
            n_classes=n_classes,
        )
