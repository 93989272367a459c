r"""Backpropagation written by hand for an L-layer MLP (checked equal to ``jax.grad``).

Parameters are a list of layers ``(W_l, b_l)``, W_l of shape (d_{l−1}, d_l). For a batch
X (B × d_0), with h_0 = X:

.. math::
    z_l = h_{l-1} W_l + b_l, \qquad h_l = \sigma(z_l) \ (l < L), \qquad \text{logits} = z_L.

The forward pass caches (h_{l−1}, z_l) per layer. Given δ_L = ∂ℓ/∂z_L, the backward pass
walks the layers from the top:

.. math::
    \frac{\partial \ell}{\partial W_l} = h_{l-1}^\top \delta_l, \qquad
    \frac{\partial \ell}{\partial b_l} = \mathbf 1^\top \delta_l, \qquad
    \delta_{l-1} = (\delta_l W_l^\top) \odot \sigma'(z_{l-1}).

For the mean softmax cross-entropy with (smoothed) targets q,
:math:`\ell = -\frac1B\sum_i\sum_k q_{ik}\log\operatorname{softmax}(z_{L,i})_k` and
:math:`\delta_L = (\operatorname{softmax}(z_L) - q)/B`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int
from jaxml.nn.activations import get_activation
from jaxml.nn.init import Initializer, glorot_normal
from jaxml.nn.losses import smoothed_targets, softmax_cross_entropy

Layer = tuple[jax.Array, jax.Array]


class LayerCache(NamedTuple):
    """What the backward pass needs from one layer's forward pass."""

    inputs: jax.Array  # h_{l−1}
    preactivations: jax.Array  # z_l


def init_mlp(key: jax.Array, sizes: tuple[int, ...], *, init: Initializer | None = None,
             dtype=jnp.float32) -> list[Layer]:
    """Layers ``(W_l, b_l)`` for widths ``sizes = (d_0, …, d_L)``; W by ``init``
    (Glorot normal by default), b = 0."""
    sizes = tuple(check_int(d, "sizes", minimum=1) for d in sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list the input width and at least one layer, got {sizes}")
    init = glorot_normal() if init is None else init
    keys = jax.random.split(key, len(sizes) - 1)
    return [(init(k, (d_in, d_out), dtype), jnp.zeros(d_out, dtype))
            for k, d_in, d_out in zip(keys, sizes[:-1], sizes[1:])]


def _check_layers(params: list[Layer], x: jax.Array) -> None:
    width = x.shape[-1]
    for l, (w, b) in enumerate(params):
        if w.ndim != 2 or w.shape[0] != width or b.shape != (w.shape[1],):
            raise ValueError(f"layer {l}: expected W of shape ({width}, d) and b of shape (d,), "
                             f"got W {w.shape} and b {b.shape}")
        width = w.shape[1]


def mlp_forward(params: list[Layer], x: jax.Array, *, activation: str = "tanh"
                ) -> tuple[jax.Array, list[LayerCache]]:
    """Logits z_L of the batch ``x`` (B × d_0) and the per-layer caches."""
    x = jnp.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be a batch of shape (batch, features), got {x.shape}")
    _check_layers(params, x)
    sigma, _ = get_activation(activation)
    h, caches = x, []
    for l, (w, b) in enumerate(params):
        z = h @ w + b
        caches.append(LayerCache(h, z))
        h = z if l == len(params) - 1 else sigma(z)
    return h, caches


def mlp_backward(params: list[Layer], caches: list[LayerCache], grad_logits: jax.Array, *,
                 activation: str = "tanh") -> list[Layer]:
    """∂ℓ/∂(W_l, b_l) for every layer from δ_L = ``grad_logits`` (module docstring)."""
    _, sigma_prime = get_activation(activation)
    delta, grads = grad_logits, []
    for l in reversed(range(len(params))):
        w, _ = params[l]
        grads.append((caches[l].inputs.T @ delta, delta.sum(axis=0)))
        if l > 0:
            delta = (delta @ w.T) * sigma_prime(caches[l - 1].preactivations)
    return grads[::-1]


def mlp_loss_and_grads(params: list[Layer], x: jax.Array, labels: jax.Array, *, activation: str = "tanh",
                       label_smoothing: float = 0.0) -> tuple[jax.Array, list[Layer]]:
    """Mean softmax cross-entropy of the MLP on (``x``, integer ``labels``) and its
    gradient by hand: δ_L = (softmax(z_L) − q)/B, then :func:`mlp_backward`."""
    logits, caches = mlp_forward(params, x, activation=activation)
    loss = softmax_cross_entropy(logits, labels, label_smoothing=label_smoothing).mean()
    targets = smoothed_targets(labels, logits.shape[-1], label_smoothing, logits.dtype)
    grad_logits = (jax.nn.softmax(logits) - targets) / logits.shape[0]
    return loss, mlp_backward(params, caches, grad_logits, activation=activation)
