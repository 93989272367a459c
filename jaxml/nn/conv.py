r"""Convolution arithmetic, and convolutions written directly (checked against XLA's).

Layout is channels-last, as in Flax: inputs ``(batch, *spatial, channels)`` and kernels
``(*window, in_channels // groups, out_channels)``, for any number of spatial axes.
Stride, padding, dilation and output padding are an int or a tuple (one per spatial
axis); they are static arguments of the jitted functions.

**Output size** along an axis of length n, kernel k, stride s, padding p (both ends) and
dilation d (the kernel's taps d apart, so it spans d(k − 1) + 1 inputs):

.. math:: n_{out} = \left\lfloor \frac{n + 2p - d(k - 1) - 1}{s} \right\rfloor + 1.

**Convolution** (cross-correlation, as every deep-learning library computes it), with x̃
the zero-padded input and G groups of channels:

.. math:: y[b, \mathbf i, o] = \sum_{\mathbf a}\sum_{c \in \text{group}(o)}
   \tilde x[b, s\mathbf i + d\mathbf a, c]\; w[\mathbf a, c, o].

It is linear in x: y = Cx. The **transposed convolution** is its adjoint Cᵀ (the
gradient of the convolution with respect to its input), the map from
``(batch, *out_spatial, out_channels)`` back to ``(batch, *in_spatial, in_channels)``:
every output value y[b, i, o] adds w[a, c, o]·y[b, i, o] to position s·i + d·a of the
padded result, whose padding is then cropped. By construction ⟨Cx, y⟩ = ⟨x, Cᵀy⟩. Its
size is :math:`n = (n_{out} - 1)s - 2p + d(k - 1) + 1 + \text{output\_padding}`; the
``output_padding`` (0 ≤ it < s) picks among the input sizes that share one n_out.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import partial

import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int


def conv_output_size(n: int, kernel: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1; a ``ValueError`` when the (dilated) kernel does not
    fit in the padded input."""
    n, kernel = check_int(n, "n", minimum=1), check_int(kernel, "kernel", minimum=1)
    stride, dilation = check_int(stride, "stride", minimum=1), check_int(dilation, "dilation", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    span = dilation * (kernel - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(f"the kernel spans {span} inputs (kernel {kernel}, dilation {dilation}) but the input has "
                         f"only {n} + 2·{padding} padding; pad more or use a smaller kernel")
    return (n + 2 * padding - span) // stride + 1


def conv_transpose_output_size(n_out: int, kernel: int, *, stride: int = 1, padding: int = 0, dilation: int = 1,
                               output_padding: int = 0) -> int:
    """(n_out − 1)s − 2p + d(k − 1) + 1 + output_padding: the input size of the
    convolution whose adjoint this is."""
    n_out, kernel = check_int(n_out, "n_out", minimum=1), check_int(kernel, "kernel", minimum=1)
    stride, dilation = check_int(stride, "stride", minimum=1), check_int(dilation, "dilation", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    output_padding = check_int(output_padding, "output_padding", minimum=0)
    if output_padding >= stride:
        raise ValueError(f"output_padding must be smaller than stride {stride}, got {output_padding}")
    n = (n_out - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1 + output_padding
    if n < 1:
        raise ValueError(f"these settings give a non-positive input size {n}")
    return n


def _per_axis(value: int | Sequence[int], name: str, rank: int, minimum: int) -> tuple[int, ...]:
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank:
        raise ValueError(f"{name} must be an int or {rank} ints (one per spatial axis), got {value!r}")
    return tuple(check_int(v, name, minimum=minimum) for v in values)


def _check(x: jax.Array, kernel: jax.Array, groups: int, channels_name: str, channels_axis: int) -> int:
    rank = kernel.ndim - 2
    if rank < 1:
        raise ValueError(f"kernel must have shape (*window, in_channels // groups, out_channels), got {kernel.shape}")
    if x.ndim != rank + 2:
        raise ValueError(f"x must have shape (batch, *spatial, channels) with {rank} spatial axes for a "
                         f"{rank}-D kernel, got {x.shape}")
    groups = check_int(groups, "groups", minimum=1)
    in_per_group, out_channels = kernel.shape[-2], kernel.shape[-1]
    if out_channels % groups:
        raise ValueError(f"groups ({groups}) must divide the kernel's out_channels ({out_channels})")
    expected = in_per_group * groups if channels_axis == -2 else out_channels
    if x.shape[-1] != expected:
        raise ValueError(f"x has {x.shape[-1]} channels, but the kernel {kernel.shape} with groups={groups} "
                         f"expects {expected} {channels_name}")
    return rank


def _tap_slices(start: int, count: int, stride: int) -> slice:
    return slice(start, start + stride * (count - 1) + 1, stride)


@partial(jax.jit, static_argnames=("stride", "padding", "dilation", "groups"))
def conv_direct(x: jax.Array, kernel: jax.Array, *, stride: int | Sequence[int] = 1,
                padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> jax.Array:
    """The convolution of the module docstring, one strided slice and one ``einsum`` per
    kernel tap: ``(batch, *spatial, in_channels)`` → ``(batch, *out_spatial, out_channels)``."""
    x, kernel = jnp.asarray(x), jnp.asarray(kernel)
    rank = _check(x, kernel, groups, "in_channels", -2)
    stride, dilation = _per_axis(stride, "stride", rank, 1), _per_axis(dilation, "dilation", rank, 1)
    padding = _per_axis(padding, "padding", rank, 0)
    window = kernel.shape[:rank]
    out_spatial = tuple(conv_output_size(n, k, stride=s, padding=p, dilation=d)
                        for n, k, s, p, d in zip(x.shape[1:-1], window, stride, padding, dilation))
    padded = jnp.pad(x, [(0, 0), *((p, p) for p in padding), (0, 0)])
    padded = padded.reshape(*padded.shape[:-1], groups, -1)  # (..., G, C_in/G)
    w = kernel.reshape(*window, kernel.shape[-2], groups, -1)  # (*window, C_in/G, G, C_out/G)
    out = jnp.zeros((x.shape[0], *out_spatial, groups, w.shape[-1]), jnp.result_type(x, kernel))
    for tap in itertools.product(*(range(k) for k in window)):
        index = tuple(_tap_slices(a * d, m, s) for a, d, m, s in zip(tap, dilation, out_spatial, stride))
        out = out + jnp.einsum("...gc,cgo->...go", padded[(slice(None), *index)], w[tap])
    return out.reshape(*out.shape[:-2], -1)


@partial(jax.jit, static_argnames=("stride", "padding", "dilation", "output_padding", "groups"))
def conv_transpose_direct(y: jax.Array, kernel: jax.Array, *, stride: int | Sequence[int] = 1,
                          padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1,
                          output_padding: int | Sequence[int] = 0, groups: int = 1) -> jax.Array:
    """The adjoint Cᵀ of :func:`conv_direct` with the same kernel and settings, by
    scatter-adding every tap: ``(batch, *out_spatial, out_channels)`` →
    ``(batch, *in_spatial, in_channels)``."""
    y, kernel = jnp.asarray(y), jnp.asarray(kernel)
    rank = _check(y, kernel, groups, "out_channels", -1)
    stride, dilation = _per_axis(stride, "stride", rank, 1), _per_axis(dilation, "dilation", rank, 1)
    padding = _per_axis(padding, "padding", rank, 0)
    output_padding = _per_axis(output_padding, "output_padding", rank, 0)
    window, out_spatial = kernel.shape[:rank], y.shape[1:-1]
    in_spatial = tuple(conv_transpose_output_size(m, k, stride=s, padding=p, dilation=d, output_padding=o)
                       for m, k, s, p, d, o in zip(out_spatial, window, stride, padding, dilation, output_padding))
    grouped = y.reshape(*y.shape[:-1], groups, -1)  # (..., G, C_out/G)
    w = kernel.reshape(*window, kernel.shape[-2], groups, -1)
    padded = jnp.zeros((y.shape[0], *(n + 2 * p for n, p in zip(in_spatial, padding)), groups, w.shape[-3]),
                       jnp.result_type(y, kernel))
    for tap in itertools.product(*(range(k) for k in window)):
        index = tuple(_tap_slices(a * d, m, s) for a, d, m, s in zip(tap, dilation, out_spatial, stride))
        padded = padded.at[(slice(None), *index)].add(jnp.einsum("...go,cgo->...gc", grouped, w[tap]))
    crop = tuple(slice(p, p + n) for p, n in zip(padding, in_spatial))
    out = padded[(slice(None), *crop)]
    return out.reshape(*out.shape[:-2], -1)
