"""Shared types and helpers: estimator shapes, validation, pytree dataclasses, PRNG."""

from jaxml.core.estimator import (
    Classifier,
    Clusterer,
    DensityModel,
    Estimator,
    Regressor,
    Transformer,
)
from jaxml.core.pytree import field, pytree_dataclass, static_field
from jaxml.core.random import as_key, seed_keys, split_named
from jaxml.core.validation import (
    check_array,
    check_int,
    check_labels,
    check_n_features,
    check_option,
    check_positive,
    check_probability,
    check_same_length,
    check_X,
    check_X_y,
    is_traced,
)

__all__ = [
    "Classifier",
    "Clusterer",
    "DensityModel",
    "Estimator",
    "Regressor",
    "Transformer",
    "field",
    "pytree_dataclass",
    "static_field",
    "as_key",
    "seed_keys",
    "split_named",
    "check_array",
    "check_int",
    "check_labels",
    "check_n_features",
    "check_option",
    "check_positive",
    "check_probability",
    "check_same_length",
    "check_X",
    "check_X_y",
    "is_traced",
]
