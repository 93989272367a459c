"""Flax Linen models."""

from jaxml.nn.models import CNN1D, MLP, Conv1D, GRUClassifier, Linear, conv1d_matmuls, count_params

__all__ = ["CNN1D", "MLP", "Conv1D", "GRUClassifier", "Linear", "conv1d_matmuls", "count_params"]
