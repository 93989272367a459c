r"""Weight initialisers and how activations propagate through depth.

Every initialiser has the signature of ``jax.nn.initializers``,
``init(key, shape, dtype=jnp.float32) -> array``, so it can be passed as a Flax
``kernel_init``. Shapes follow Flax: a dense kernel is ``(fan_in, fan_out)`` and a
convolution kernel ``(*window, in_channels, out_channels)``, so with r = ∏ window,
fan_in = r·in_channels and fan_out = r·out_channels.

* **Naive**: :math:`W_{ij} \sim \mathcal N(0, s^2)` for a fixed s, whatever the width.
* **Xavier / Glorot** (Glorot & Bengio 2010): keep the variance of activations (forward)
  and of gradients (backward) for a linear/tanh unit by the compromise
  :math:`\operatorname{Var} W = 2/(\text{fan\_in} + \text{fan\_out})`: normal with that
  variance, or uniform on ±a with :math:`a = \sqrt{6/(\text{fan\_in} + \text{fan\_out})}`.
* **He / Kaiming** (He et al. 2015): a ReLU zeroes half of its input's second moment, so
  :math:`\operatorname{Var} W = 2/\text{fan\_in}` keeps
  :math:`\operatorname{Var} z_{l+1} = \text{fan\_in}\cdot\operatorname{Var} W\cdot E[\mathrm{relu}(z_l)^2]
  = \operatorname{Var} z_l`; normal, or uniform with :math:`a = \sqrt{6/\text{fan\_in}}`.
* **LeCun**: :math:`\operatorname{Var} W = 1/\text{fan\_in}` (linear units; SELU).
* **Orthogonal** (Saxe et al. 2014): the Q factor of the QR decomposition of a Gaussian
  matrix, its columns' signs fixed by sign(diag R) so that Q is Haar-distributed, times a
  ``gain``; it preserves every vector's norm exactly, not only on average.

:func:`activation_std_per_layer` pushes a Gaussian batch through ``depth`` square layers
and returns each layer's pre-activation standard deviation: for ReLU, He keeps it flat,
Xavier (for square layers Var W = 1/width) halves the variance per layer and naive
N(0, 1) multiplies it by width/2 per layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int, check_positive
from jaxml.nn.activations import get_activation

Initializer = Callable[..., jax.Array]


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a dense ``(in, out)`` or convolution ``(*window, in, out)`` kernel."""
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 axes (..., fan_in, fan_out), got {shape}")
    receptive_field = math.prod(shape[:-2])
    return receptive_field * shape[-2], receptive_field * shape[-1]


def _scaled(variance_of: Callable[[int, int], float], distribution: str) -> Initializer:
    def init(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
        fan_in, fan_out = fans(tuple(shape))
        variance = variance_of(fan_in, fan_out)
        if distribution == "normal":
            return math.sqrt(variance) * jax.random.normal(key, shape, dtype)
        bound = math.sqrt(3 * variance)  # U(−a, a) has variance a²/3
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


def naive_normal(stddev: float = 1.0) -> Initializer:
    """:math:`\\mathcal N(0, \\text{stddev}^2)`, independent of the layer's size."""
    check_positive(stddev, "stddev")
    return _scaled(lambda fan_in, fan_out: stddev**2, "normal")


def glorot_normal() -> Initializer:
    return _scaled(lambda fan_in, fan_out: 2 / (fan_in + fan_out), "normal")


def glorot_uniform() -> Initializer:
    return _scaled(lambda fan_in, fan_out: 2 / (fan_in + fan_out), "uniform")


def he_normal() -> Initializer:
    return _scaled(lambda fan_in, fan_out: 2 / fan_in, "normal")


def he_uniform() -> Initializer:
    return _scaled(lambda fan_in, fan_out: 2 / fan_in, "uniform")


def lecun_normal() -> Initializer:
    return _scaled(lambda fan_in, fan_out: 1 / fan_in, "normal")


def orthogonal(gain: float = 1.0) -> Initializer:
    """``gain`` × a Haar-random matrix with orthonormal columns (or rows, when there are
    fewer rows than columns); a convolution kernel is orthogonal as a
    (receptive field · in) × out matrix."""
    check_positive(gain, "gain")

    def init(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
        fans(tuple(shape))  # validates the shape
        n_in, n_out = math.prod(shape[:-1]), shape[-1]
        rows, cols = max(n_in, n_out), min(n_in, n_out)
        q, r = jnp.linalg.qr(jax.random.normal(key, (rows, cols), jnp.float32))
        q = q * jnp.sign(jnp.diag(r))  # makes Q Haar-distributed (Mezzadri 2007)
        if n_in < n_out:
            q = q.T
        return (gain * q).reshape(shape).astype(dtype)

    return init


INITIALIZERS: dict[str, Callable[[], Initializer]] = {
    "naive": naive_normal, "glorot_normal": glorot_normal, "glorot_uniform": glorot_uniform,
    "he_normal": he_normal, "he_uniform": he_uniform, "lecun_normal": lecun_normal, "orthogonal": orthogonal,
}


def activation_std_per_layer(key: jax.Array, init: Initializer, activation: str, *, depth: int = 50,
                             width: int = 256, batch: int = 512) -> jax.Array:
    """Standard deviation of the pre-activations :math:`z_l = h_{l-1} W_l`,
    :math:`h_l = \\sigma(z_l)`, :math:`h_0 = x \\sim \\mathcal N(0, I)` (zero biases) of
    ``depth`` square layers of ``width`` initialised by ``init``: shape ``(depth,)``. It
    overflows to ``inf`` when an initialisation makes activations explode."""
    depth = check_int(depth, "depth", minimum=1)
    width = check_int(width, "width", minimum=1)
    batch = check_int(batch, "batch", minimum=2)
    sigma, _ = get_activation(activation)
    key_x, key_w = jax.random.split(key)
    weights = jnp.stack([init(k, (width, width)) for k in jax.random.split(key_w, depth)])

    def layer(h, w):
        z = h @ w
        return sigma(z), jnp.std(z)

    _, stds = jax.lax.scan(layer, jax.random.normal(key_x, (batch, width)), weights)
    return stds
