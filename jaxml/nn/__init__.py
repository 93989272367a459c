"""Flax Linen models."""

from jaxml.nn.models import CNN1D, MLP, Conv1D, GRUClassifier, Linear, conv1d_matmuls, conv1d_patches, count_params
from jaxml.nn.transformer import (MultiHeadSelfAttention, Transformer, TransformerBlock, causal_mask,
                                  dot_product_attention)

__all__ = ["CNN1D", "MLP", "Conv1D", "GRUClassifier", "Linear", "MultiHeadSelfAttention",
           "Transformer", "TransformerBlock", "causal_mask", "conv1d_matmuls", "conv1d_patches", "count_params",
           "dot_product_attention"]
