"""scikit-learn-compatible k-nearest-neighbour estimators over :mod:`jaxml.classical.neighbors`.

``algorithm="brute"`` (and ``"auto"``) runs the jitted JAX brute-force search in float64;
``"kd_tree"`` and ``"ball_tree"`` build jaxml's host-side NumPy trees at ``fit`` and query
them exactly. Only the Euclidean metric is supported. ``fit`` stores the data (like
scikit-learn it does not check ``n_neighbors`` against the sample count; ``predict`` does).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxml.classical import neighbors
from jaxml.core import check_int, check_option
from jaxml.sklearn.linear import call_x64, encode_labels

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor"]


class _NeighborsBase(BaseEstimator):
    def __init__(self, n_neighbors=5, *, weights="uniform", algorithm="auto", leaf_size=30):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.algorithm = algorithm
        self.leaf_size = leaf_size

    def _fit_data(self, X):
        check_int(self.n_neighbors, "n_neighbors", minimum=1)
        check_option(self.weights, "weights", ("uniform", "distance"))
        check_option(self.algorithm, "algorithm", ("auto", "brute", "kd_tree", "ball_tree"))
        self._fit_X = X
        self.n_samples_fit_ = X.shape[0]
        self._fit_method = "brute" if self.algorithm == "auto" else self.algorithm
        if self._fit_method == "kd_tree":
            self._tree = neighbors.kd_tree(X, leaf_size=self.leaf_size)
        elif self._fit_method == "ball_tree":
            self._tree = neighbors.ball_tree(X, leaf_size=self.leaf_size)

    def kneighbors(self, X, n_neighbors=None, return_distance=True):
        """Distances and indices of the ``n_neighbors`` nearest training samples."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if k > self.n_samples_fit_:
            raise ValueError(
                f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {k}, "
                f"n_samples_fit = {self.n_samples_fit_}, n_samples = {X.shape[0]}"
            )
        if self._fit_method == "brute":
            dist, idx = call_x64(lambda a, b: neighbors.kneighbors(a, b, k), self._fit_X, X)
        else:
            dist, idx = neighbors.tree_query(self._tree, X, k)
        return (dist, idx) if return_distance else idx


class KNeighborsClassifier(ClassifierMixin, _NeighborsBase):
    """k-nearest-neighbour vote (uniform or ``1/d`` weights), Euclidean distance."""

    def fit(self, X, y):
        """Store the training data; returns ``self``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        self._y = encode_labels(self, y)
        self._fit_data(X)
        return self

    def predict_proba(self, X):
        """Normalised (weighted) neighbour votes ``(n, K)``."""
        dist, idx = self.kneighbors(X)
        return call_x64(
            lambda d, lab: neighbors.knn_vote(d, lab, int(self.classes_.size), self.weights),
            dist,
            self._y[idx],
        )

    def predict(self, X):
        """The class with the largest vote (ties: the first in ``classes_``)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class KNeighborsRegressor(RegressorMixin, _NeighborsBase):
    """k-nearest-neighbour (weighted) average, Euclidean distance."""

    def fit(self, X, y):
        """Store the training data; returns ``self``."""
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        self._y = y
        self._fit_data(X)
        return self

    def predict(self, X):
        """Mean (or ``1/d``-weighted mean) of the neighbours' targets."""
        dist, idx = self.kneighbors(X)
        return call_x64(lambda d, t: neighbors.knn_average(d, t, self.weights), dist, self._y[idx])
