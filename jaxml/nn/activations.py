r"""Activation functions σ and their derivatives σ′, by name.

Each entry of :data:`ACTIVATIONS` is a pair ``(σ, σ′)`` of elementwise functions; the
derivatives are the closed forms that hand-written backpropagation
(:mod:`jaxml.nn.backprop`) multiplies by:

=============  ==============================================  =====================================
name           σ(z)                                            σ′(z)
=============  ==============================================  =====================================
``identity``   z                                               1
``sigmoid``    1 / (1 + e^{−z})                                σ(z)(1 − σ(z))
``tanh``       tanh z                                          1 − tanh² z
``relu``       max(z, 0)                                       [z > 0]
``leaky_relu`` z if z > 0 else a·z (a = 0.01)                  1 if z > 0 else a
``elu``        z if z > 0 else e^z − 1                         1 if z > 0 else e^z
``softplus``   log(1 + e^z)                                    sigmoid(z)
``silu``       z·sigmoid(z) (swish)                            s(z)(1 + z(1 − s(z))), s = sigmoid
``gelu``       z·Φ(z) (Hendrycks & Gimpel 2016, exact erf)     Φ(z) + z·φ(z)
=============  ==============================================  =====================================

Φ and φ are the standard normal CDF and density. At the kink z = 0 of relu and leaky_relu
σ′ is the left derivative (0 and a).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.scipy.special import erf

from jaxml.core.validation import check_option

LEAKY_SLOPE = 0.01

Elementwise = Callable[[jax.Array], jax.Array]


def sigmoid(z: jax.Array) -> jax.Array:
    return 0.5 * (1 + jnp.tanh(z / 2))  # = 1 / (1 + e^{−z}) without overflow


def _normal_cdf(z: jax.Array) -> jax.Array:
    return 0.5 * (1 + erf(z / math.sqrt(2)))


def _normal_pdf(z: jax.Array) -> jax.Array:
    return jnp.exp(-z**2 / 2) / math.sqrt(2 * math.pi)


def _silu_grad(z: jax.Array) -> jax.Array:
    s = sigmoid(z)
    return s * (1 + z * (1 - s))


ACTIVATIONS: dict[str, tuple[Elementwise, Elementwise]] = {
    "identity": (lambda z: z, jnp.ones_like),
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": (jnp.tanh, lambda z: 1 - jnp.tanh(z) ** 2),
    "relu": (lambda z: jnp.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
    "leaky_relu": (lambda z: jnp.where(z > 0, z, LEAKY_SLOPE * z),
                   lambda z: jnp.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)),
    "elu": (lambda z: jnp.where(z > 0, z, jnp.expm1(jnp.minimum(z, 0))),
            lambda z: jnp.where(z > 0, 1.0, jnp.exp(jnp.minimum(z, 0))).astype(z.dtype)),
    "softplus": (lambda z: jnp.logaddexp(z, 0.0), sigmoid),
    "silu": (lambda z: z * sigmoid(z), _silu_grad),
    "gelu": (lambda z: z * _normal_cdf(z), lambda z: _normal_cdf(z) + z * _normal_pdf(z)),
}


def get_activation(name: str) -> tuple[Elementwise, Elementwise]:
    """``(σ, σ′)`` for ``name`` (one of :data:`ACTIVATIONS`); an unknown name is a
    ``ValueError`` that lists the known ones."""
    check_option(name, "activation", tuple(ACTIVATIONS))
    return ACTIVATIONS[name]
