"""scikit-learn-compatible scalers over :mod:`jaxml.classical.preprocessing`.

``StandardScaler``, ``MinMaxScaler`` and ``RobustScaler`` follow scikit-learn's
transformer contract: ``__init__`` stores keyword arguments only; ``fit`` validates with
``validate_data``, fits the pure jaxml transformer in float64 (inside
``jax.enable_x64``) and stores NumPy attributes ending in ``_``; ``transform`` and
``inverse_transform`` preserve float32/float64 input dtypes; ``get_feature_names_out``
passes names through. They pass ``sklearn.utils.estimator_checks`` and work in
``Pipeline``/``GridSearchCV``.

Differences from scikit-learn: dense input only (sparse matrices raise), NaN is
rejected rather than ignored, and there is no ``partial_fit``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxml.classical import preprocessing as P

__all__ = ["StandardScaler", "MinMaxScaler", "RobustScaler"]

_FLOATS = [np.float64, np.float32]


class _AffineScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Shared fit/transform for scalers of the form ``(x - offset_) / scale_``."""

    def _transformer(self):
        raise TypeError("subclasses define _transformer")

    def _store(self, offset, scale, X):
        raise TypeError("subclasses define _store")

    def fit(self, X, y=None):
        """Learn the per-feature offset and scale; returns ``self``."""
        X = validate_data(self, X, dtype=_FLOATS)
        with jax.enable_x64(True):
            params = self._transformer().fit(jnp.asarray(X, jnp.float64))
            offset, scale = np.asarray(params.offset), np.asarray(params.scale)
        self._offset, self._scale = offset, scale
        self._store(offset, scale, X)
        return self

    def transform(self, X):
        """Scale ``X`` with the fitted statistics."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        return ((X - self._offset) / self._scale).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Undo :meth:`transform`."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        return (X * self._scale + self._offset).astype(X.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class StandardScaler(_AffineScaler):
    """Standardise features: ``z = (x - mean_) / scale_`` (population std).

    Attributes: ``mean_`` (None only if both options are off), ``var_``, ``scale_``
    (1 for constant features),
    ``n_samples_seen_``, ``n_features_in_``.
    """

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def _transformer(self):
        return P.standard_scaler(with_mean=self.with_mean, with_std=self.with_std)

    def _store(self, offset, scale, X):
        keep_mean = self.with_mean or self.with_std  # scikit-learn's convention
        self.mean_ = X.mean(axis=0, dtype=np.float64) if keep_mean else None
        self.var_ = X.var(axis=0, dtype=np.float64) if self.with_std else None
        self.scale_ = scale if self.with_std else None
        self.n_samples_seen_ = X.shape[0]


class MinMaxScaler(_AffineScaler):
    """Map each feature's training range to ``feature_range``.

    Attributes: ``data_min_``, ``data_max_``, ``data_range_``, ``scale_`` and ``min_``
    (scikit-learn's ``z = x * scale_ + min_``), ``n_features_in_``.
    """

    def __init__(self, feature_range=(0, 1)):
        self.feature_range = feature_range

    def _transformer(self):
        return P.min_max_scaler(feature_range=tuple(self.feature_range))

    def _store(self, offset, scale, X):
        self.data_min_ = X.min(axis=0).astype(np.float64)
        self.data_max_ = X.max(axis=0).astype(np.float64)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = 1.0 / scale
        self.min_ = -offset / scale
        self.n_samples_seen_ = X.shape[0]


class RobustScaler(_AffineScaler):
    """Centre by the median and scale by the inter-quantile range.

    Attributes: ``center_`` and ``scale_`` (None when disabled), ``n_features_in_``.
    """

    def __init__(self, *, with_centering=True, with_scaling=True, quantile_range=(25.0, 75.0)):
        self.with_centering = with_centering
        self.with_scaling = with_scaling
        self.quantile_range = quantile_range

    def _transformer(self):
        return P.robust_scaler(with_centering=self.with_centering,
                               with_scaling=self.with_scaling,
                               quantile_range=tuple(self.quantile_range))

    def _store(self, offset, scale, X):
        self.center_ = offset if self.with_centering else None
        self.scale_ = scale if self.with_scaling else None
