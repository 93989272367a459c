"""scikit-learn's bundled datasets (shipped inside the package, no download)."""

from __future__ import annotations

import numpy as np

_LOADERS = {
    "iris": "load_iris",
    "wine": "load_wine",
    "breast_cancer": "load_breast_cancer",
    "digits": "load_digits",
    "diabetes": "load_diabetes",
}
BUNDLED = tuple(_LOADERS)


def load_sklearn(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X float32 (n, d), y)`` of a bundled set; ``y`` is int32 for classification sets.

    Args:
      name: one of ``iris``, ``wine``, ``breast_cancer``, ``digits``, ``diabetes``.
    """
    if name not in _LOADERS:
        raise ValueError(f"name must be one of {BUNDLED}, got {name!r}")
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, _LOADERS[name])()
    X = np.asarray(bunch.data, np.float32)
    y = np.asarray(bunch.target)
    y = y.astype(np.float32) if name == "diabetes" else y.astype(np.int32)
    return X, y
