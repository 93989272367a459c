"""First Flax Linen models: linear (logistic), MLP, 1-D CNN, GRU classifier.

Every module is called as ``model.apply(variables, x, train=False)``; ``train=True``
switches on stochastic layers (dropout) where a model has them. Inputs are batches
``(batch, length)`` of 1-D signals (MNIST-1D) or ``(batch, features)`` vectors.

The MNIST-1D baselines (Greydanus & Kobak 2024) use:

* logistic regression: ``Linear(10)``;
* MLP: h₁ = relu(W₁x), h₂ = h₁ + relu(W₂h₁), logits = W₃h₂ (``MLP((256, 256), residual=True)``);
* CNN: three Conv1d layers (25 channels; kernel 5, 3, 3; stride 2; padding 1) with ReLU,
  flatten (5 × 25), linear (``CNN1D()``);
* GRU: bidirectional GRU with 6 hidden units over the 40 time steps, all outputs flattened
  (40 × 12) into a linear layer (``GRUClassifier()``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class Linear(nn.Module):
    """Affine map of the flattened input: logits = W x + b (softmax = logistic regression)."""

    num_outputs: int

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        return nn.Dense(self.num_outputs)(x.reshape(x.shape[0], -1))


class MLP(nn.Module):
    """Fully connected network: hidden layers ``features``, then a linear readout.

    With ``residual=True``, a hidden layer whose width equals its input's adds a skip
    connection, h_{l+1} = h_l + σ(W h_l + b). ``dropout_rate > 0`` applies dropout after
    every hidden activation when ``train=True``.
    """

    features: Sequence[int]
    num_outputs: int
    activation: Callable[[jax.Array], jax.Array] = nn.relu
    residual: bool = False
    dropout_rate: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        h = x.reshape(x.shape[0], -1)
        for width in self.features:
            z = self.activation(nn.Dense(width)(h))
            h = h + z if self.residual and h.shape[-1] == width else z
            if self.dropout_rate > 0:
                h = nn.Dropout(self.dropout_rate, deterministic=not train)(h)
        return nn.Dense(self.num_outputs)(h)


def conv1d_matmuls(h: jax.Array, kernel: jax.Array, *, stride: int = 1, padding: int = 0) -> jax.Array:
    """1-D convolution (cross-correlation) as K strided slices and K matrix products.

    out[n, o, :] = Σ_j h_pad[n, s·o + j, :] · kernel[j]   for o < ⌊(L + 2p − K)/s⌋ + 1,

    with h (N, L, C_in), kernel (K, C_in, C_out) and h_pad zero-padded by p on both ends.
    Equal to ``lax.conv_general_dilated`` (tested); the point is speed under ``vmap``: a
    vmapped convolution becomes a grouped convolution, which XLA:CPU runs several times
    slower than the batched matmuls this becomes.
    """
    k = kernel.shape[0]
    out_len = (h.shape[1] + 2 * padding - k) // stride + 1
    padded = jnp.pad(h, ((0, 0), (padding, padding), (0, 0)))
    return sum(padded[:, j: j + stride * (out_len - 1) + 1: stride] @ kernel[j] for j in range(k))


def conv1d_patches(h: jax.Array, kernel_size: int, *, stride: int = 1, padding: int = 0) -> jax.Array:
    """The receptive fields of a 1-D convolution, ``(N, T_out, K·C_in)``:

    patches[n, o, j·C_in + c] = h_pad[n, s·o + j, c],

    so that the convolution of :func:`conv1d_matmuls` is ``patches @ kernel.reshape(K·C_in,
    C_out)`` and the layer acts on each output position as a Dense layer (used for
    per-example gradient norms in :mod:`jaxml.trust.privacy`)."""
    out_len = (h.shape[1] + 2 * padding - kernel_size) // stride + 1
    padded = jnp.pad(h, ((0, 0), (padding, padding), (0, 0)))
    windows = [padded[:, j: j + stride * (out_len - 1) + 1: stride] for j in range(kernel_size)]
    return jnp.concatenate(windows, axis=-1)


class Conv1D(nn.Module):
    """Linen 1-D convolution with ``nn.Conv``'s parameters (``kernel`` (K, C_in, C_out),
    ``bias``) and initialisers, computed by :func:`conv1d_matmuls`."""

    features: int
    kernel_size: int
    stride: int = 1
    padding: int = 0

    @nn.compact
    def __call__(self, h: jax.Array) -> jax.Array:
        kernel = self.param("kernel", nn.initializers.lecun_normal(),
                            (self.kernel_size, h.shape[-1], self.features))
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        return conv1d_matmuls(h, kernel, stride=self.stride, padding=self.padding) + bias


class CNN1D(nn.Module):
    """1-D convolutional classifier: Conv → ReLU layers, flatten, linear readout.

    Output length of each layer: ⌊(L + 2·padding − kernel) / stride⌋ + 1
    (40 → 19 → 10 → 5 for the MNIST-1D defaults).
    """

    num_outputs: int = 10
    channels: Sequence[int] = (25, 25, 25)
    kernel_sizes: Sequence[int] = (5, 3, 3)
    strides: Sequence[int] = (2, 2, 2)
    padding: int = 1

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        if not len(self.channels) == len(self.kernel_sizes) == len(self.strides):
            raise ValueError("channels, kernel_sizes and strides must have the same length")
        h = x[..., None] if x.ndim == 2 else x  # (batch, length, 1)
        for c, k, s in zip(self.channels, self.kernel_sizes, self.strides):
            h = nn.relu(Conv1D(c, k, s, self.padding)(h))
        return nn.Dense(self.num_outputs)(h.reshape(h.shape[0], -1))


class GRUClassifier(nn.Module):
    """(Bidirectional) GRU over the sequence; every time step's output is flattened
    into a linear readout, as in the MNIST-1D baseline.

    GRU cell: r = σ(W_r x + U_r h), z = σ(W_z x + U_z h),
    n = tanh(W_n x + r ⊙ U_n h), h' = (1 − z) ⊙ n + z ⊙ h.
    """

    num_outputs: int = 10
    hidden_size: int = 6
    bidirectional: bool = True

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        seq = x[..., None] if x.ndim == 2 else x  # (batch, time, features)
        forward = nn.RNN(nn.GRUCell(self.hidden_size))
        if self.bidirectional:
            backward = nn.RNN(nn.GRUCell(self.hidden_size))
            outputs = nn.Bidirectional(forward, backward)(seq)
        else:
            outputs = forward(seq)
        return nn.Dense(self.num_outputs)(outputs.reshape(outputs.shape[0], -1))


def count_params(params) -> int:
    """Number of scalar parameters in a pytree (arrays, or the shapes ``jax.eval_shape`` gives)."""
    return int(sum(math.prod(p.shape) for p in jax.tree_util.tree_leaves(params)))
