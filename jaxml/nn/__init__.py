"""Flax Linen models."""

from jaxml.nn.models import CNN1D, MLP, GRUClassifier, Linear, count_params

__all__ = ["CNN1D", "MLP", "GRUClassifier", "Linear", "count_params"]
