r"""Convolutional architectures (Flax Linen, channels-last images (batch, H, W, C)).

Each is configurable down to a size that trains on a CPU; the defaults of the named
constructors are the published ImageNet configurations, whose parameter counts the tests
compare with the published ones (the number a reader can check against a paper or
torchvision):

* **LeNet-5** (LeCun et al. 1998): conv 6@5×5 → avg-pool → conv 16@5×5 → avg-pool →
  120 → 84 → classes, tanh; 61,706 parameters on 32×32 grey images.
* **VGG** (Simonyan & Zisserman 2015): stacks of 3×3 convolutions (two 3×3 see a 5×5
  window with fewer weights and one more non-linearity) separated by 2×2 max-pools,
  adaptive average pool, three dense layers; VGG-16 has 138,357,544.
* **ResNet** (He et al. 2016): blocks y = relu(F(x) + shortcut(x)); *basic* F = two 3×3
  convs, *bottleneck* F = 1×1 (reduce) → 3×3 → 1×1 (expand 4×); a 1×1 strided projection
  with BatchNorm when the shape changes; the stride sits on the 3×3 conv (v1.5).
  *Pre-activation* (He et al. 2016b) orders each block BN → ReLU → conv and adds the
  identity untouched. ResNet-18 has 11,689,512 parameters, ResNet-50 25,557,032.
* **Squeeze-and-excitation** (Hu et al. 2018): channel weights
  s = sigmoid(W₂ relu(W₁ mean_{hw}(x))) rescale x; **CBAM** (Woo et al. 2018) follows a
  channel gate (shared MLP on the mean- and max-pooled features) by a spatial gate
  (7×7 conv over the channel-wise mean and max maps).

BatchNorm is :class:`jaxml.nn.norms.BatchNorm` (statistics in ``batch_stats``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxml.core.validation import check_option
from jaxml.nn.norms import BatchNorm


def check_images(x: jax.Array, channels: int | None = None) -> None:
    """A batch of channels-last images (batch, H, W, C), with ``channels`` channels if given."""
    if x.ndim != 4:
        raise ValueError(f"images must have shape (batch, height, width, channels), got {x.shape}")
    if channels is not None and x.shape[-1] != channels:
        raise ValueError(f"images must have {channels} channels, got {x.shape[-1]}")


def adaptive_avg_pool(x: jax.Array, output_size: tuple[int, int]) -> jax.Array:
    """Average over bins [⌊i·H/h⌋, ⌈(i+1)·H/h⌉) (PyTorch's adaptive pooling): any input
    size → (batch, h, w, C)."""
    def bins(n_in, n_out):
        return [(i * n_in // n_out, -(-(i + 1) * n_in // n_out)) for i in range(n_out)]

    rows = [x[:, a:b].mean(axis=1) for a, b in bins(x.shape[1], output_size[0])]
    x = jnp.stack(rows, axis=1)
    cols = [x[:, :, a:b].mean(axis=2) for a, b in bins(x.shape[2], output_size[1])]
    return jnp.stack(cols, axis=2)


def _conv(features: int, kernel: int, stride: int = 1, *, bias: bool = False, name: str | None = None) -> nn.Conv:
    return nn.Conv(features, (kernel, kernel), (stride, stride), padding=[(kernel // 2, kernel // 2)] * 2,
                   use_bias=bias, name=name)


class LeNet5(nn.Module):
    num_classes: int = 10
    activation: str = "tanh"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        act = {"tanh": jnp.tanh, "relu": nn.relu}[check_option(self.activation, "activation", ("tanh", "relu"))]
        for features in (6, 16):
            x = nn.avg_pool(act(nn.Conv(features, (5, 5), padding="VALID")(x)), (2, 2), (2, 2))
        x = x.reshape(x.shape[0], -1)
        for features in (120, 84):
            x = act(nn.Dense(features)(x))
        return nn.Dense(self.num_classes)(x)


VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


class VGG(nn.Module):
    """``config``: conv widths with "M" for a 2×2 max-pool (``VGG16`` by default)."""

    num_classes: int = 1000
    config: Sequence[int | str] = VGG16
    pool_output: int = 7
    hidden: int = 4096
    dropout_rate: float = 0.5
    batch_norm: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        for item in self.config:
            if item == "M":
                x = nn.max_pool(x, (2, 2), (2, 2))
            else:
                x = _conv(int(item), 3, bias=not self.batch_norm)(x)
                x = nn.relu(BatchNorm(0.9)(x, train) if self.batch_norm else x)
        x = adaptive_avg_pool(x, (self.pool_output, self.pool_output)).reshape(x.shape[0], -1)
        for _ in range(2):
            x = nn.Dropout(self.dropout_rate, deterministic=not train)(nn.relu(nn.Dense(self.hidden)(x)))
        return nn.Dense(self.num_classes)(x)


class SqueezeExcite(nn.Module):
    reduction: int = 16
    hidden: int | None = None  # overrides channels // reduction (EfficientNet sizes it by the block's input)

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        hidden = self.hidden or max(1, x.shape[-1] // self.reduction)
        s = nn.Conv(hidden, (1, 1))(x.mean(axis=(1, 2), keepdims=True))
        s = nn.Conv(x.shape[-1], (1, 1))(nn.silu(s) if self.hidden else nn.relu(s))
        return x * nn.sigmoid(s)


class CBAM(nn.Module):
    reduction: int = 16
    spatial_kernel: int = 7

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        hidden = max(1, x.shape[-1] // self.reduction)
        mlp = nn.Sequential([nn.Dense(hidden, use_bias=False), nn.relu, nn.Dense(x.shape[-1], use_bias=False)])
        channel = nn.sigmoid(mlp(x.mean(axis=(1, 2))) + mlp(x.max(axis=(1, 2))))
        x = x * channel[:, None, None, :]
        maps = jnp.concatenate([x.mean(axis=-1, keepdims=True), x.max(axis=-1, keepdims=True)], axis=-1)
        return x * nn.sigmoid(_conv(1, self.spatial_kernel)(maps))


class BasicBlock(nn.Module):
    features: int
    stride: int = 1
    preact: bool = False
    attention: str | None = None  # None, "se" or "cbam"
    expansion = 1

    def _residual(self, x, train):
        if self.preact:
            x = _conv(self.features, 3, self.stride)(nn.relu(BatchNorm(0.9)(x, train)))
            return _conv(self.features, 3)(nn.relu(BatchNorm(0.9)(x, train)))
        x = nn.relu(BatchNorm(0.9)(_conv(self.features, 3, self.stride)(x), train))
        return BatchNorm(0.9)(_conv(self.features, 3)(x), train)

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        return _block_output(self, x, self._residual(x, train), train)


class Bottleneck(nn.Module):
    features: int
    stride: int = 1
    preact: bool = False
    attention: str | None = None
    expansion = 4

    def _residual(self, x, train):
        widths, kernels, strides = (self.features, self.features, 4 * self.features), (1, 3, 1), (1, self.stride, 1)
        for i, (w, k, s) in enumerate(zip(widths, kernels, strides)):
            if self.preact:
                x = _conv(w, k, s)(nn.relu(BatchNorm(0.9)(x, train)))
            else:
                x = BatchNorm(0.9)(_conv(w, k, s)(x), train)
                x = nn.relu(x) if i < 2 else x
        return x

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        return _block_output(self, x, self._residual(x, train), train)


def _block_output(block, x, residual, train):
    if block.attention is not None:
        check_option(block.attention, "attention", ("se", "cbam"))
        residual = SqueezeExcite()(residual) if block.attention == "se" else CBAM()(residual)
    out_features = block.expansion * block.features
    shortcut = x
    if block.stride != 1 or x.shape[-1] != out_features:
        shortcut = _conv(out_features, 1, block.stride, name="projection")(x)
        if not block.preact:
            shortcut = BatchNorm(0.9, name="projection_bn")(shortcut, train)
    out = residual + shortcut
    return out if block.preact else nn.relu(out)


class ResNet(nn.Module):
    """``stage_sizes`` blocks per stage at widths ``width·2^s``; ``small_inputs`` swaps the
    7×7/2 stem and its max-pool for one 3×3/1 conv (the CIFAR-style stem for 32×32)."""

    stage_sizes: Sequence[int] = (2, 2, 2, 2)
    block: str = "basic"
    num_classes: int = 1000
    width: int = 64
    preact: bool = False
    attention: str | None = None
    small_inputs: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        block_cls = {"basic": BasicBlock, "bottleneck": Bottleneck}[check_option(self.block, "block",
                                                                                  ("basic", "bottleneck"))]
        if self.small_inputs:
            x = _conv(self.width, 3)(x)
        else:
            x = nn.Conv(self.width, (7, 7), (2, 2), padding=[(3, 3)] * 2, use_bias=False)(x)
        if not self.preact:
            x = nn.relu(BatchNorm(0.9)(x, train))
        if not self.small_inputs:
            x = nn.max_pool(x, (3, 3), (2, 2), padding=[(1, 1)] * 2)
        for stage, n_blocks in enumerate(self.stage_sizes):
            for i in range(n_blocks):
                stride = 2 if stage > 0 and i == 0 else 1
                x = block_cls(self.width * 2**stage, stride, self.preact, self.attention)(x, train)
        if self.preact:
            x = nn.relu(BatchNorm(0.9)(x, train))
        return nn.Dense(self.num_classes)(x.mean(axis=(1, 2)))


def resnet18(num_classes: int = 1000, **kwargs) -> ResNet:
    return ResNet((2, 2, 2, 2), "basic", num_classes, **kwargs)


def resnet50(num_classes: int = 1000, **kwargs) -> ResNet:
    return ResNet((3, 4, 6, 3), "bottleneck", num_classes, **kwargs)


class AlexNet(nn.Module):
    """Krizhevsky et al. 2012 as torchvision builds it: five convolutions (11×11/4, 5×5,
    3×3 ×3) with max-pools, adaptive 6×6 pool, three dense layers; 61,100,840 parameters.
    ``stem_kernel``/``stem_stride`` shrink the first convolution for small images."""

    num_classes: int = 1000
    widths: Sequence[int] = (64, 192, 384, 256, 256)
    hidden: int = 4096
    stem_kernel: int = 11
    stem_stride: int = 4
    pool_output: int = 6
    dropout_rate: float = 0.5

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        pool = lambda x: nn.max_pool(x, (3, 3), (2, 2))  # noqa: E731
        x = pool(nn.relu(nn.Conv(self.widths[0], (self.stem_kernel,) * 2, (self.stem_stride,) * 2,
                                 padding=[(2, 2)] * 2)(x)))
        x = pool(nn.relu(_conv(self.widths[1], 5, bias=True)(x)))
        for width in self.widths[2:]:
            x = nn.relu(_conv(width, 3, bias=True)(x))
        x = pool(x)
        x = adaptive_avg_pool(x, (self.pool_output, self.pool_output)).reshape(x.shape[0], -1)
        for _ in range(2):
            x = nn.relu(nn.Dense(self.hidden)(nn.Dropout(self.dropout_rate, deterministic=not train)(x)))
        return nn.Dense(self.num_classes)(x)


class DenseNet(nn.Module):
    """Huang et al. 2017: in a dense block every layer (BN → ReLU → 1×1 conv to
    ``bn_size``·k → BN → ReLU → 3×3 conv to k = ``growth_rate``) sees the concatenation of
    all earlier feature maps; transitions halve the channels (1×1 conv) and the size (2×2
    average pool). DenseNet-121 (blocks 6, 12, 24, 16) has 7,978,856 parameters."""

    block_sizes: Sequence[int] = (6, 12, 24, 16)
    growth_rate: int = 32
    init_features: int = 64
    bn_size: int = 4
    num_classes: int = 1000
    small_inputs: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        if self.small_inputs:
            x = _conv(self.init_features, 3)(x)
        else:
            x = nn.Conv(self.init_features, (7, 7), (2, 2), padding=[(3, 3)] * 2, use_bias=False)(x)
            x = nn.max_pool(nn.relu(BatchNorm(0.9)(x, train)), (3, 3), (2, 2), padding=[(1, 1)] * 2)
        for b, n_layers in enumerate(self.block_sizes):
            for _ in range(n_layers):
                h = _conv(self.bn_size * self.growth_rate, 1)(nn.relu(BatchNorm(0.9)(x, train)))
                h = _conv(self.growth_rate, 3)(nn.relu(BatchNorm(0.9)(h, train)))
                x = jnp.concatenate([x, h], axis=-1)
            if b < len(self.block_sizes) - 1:
                x = _conv(x.shape[-1] // 2, 1)(nn.relu(BatchNorm(0.9)(x, train)))
                x = nn.avg_pool(x, (2, 2), (2, 2))
        x = nn.relu(BatchNorm(0.9)(x, train))
        return nn.Dense(self.num_classes)(x.mean(axis=(1, 2)))


# EfficientNet-B0's stages: (expansion, kernel, stride, output channels, layers)
EFFICIENTNET_B0 = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
                   (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))


def _round_channels(channels: float, divisor: int = 8) -> int:
    """The nearest multiple of ``divisor``, never 10% below ``channels`` (as torchvision rounds)."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


class MBConv(nn.Module):
    """Inverted residual (Sandler et al. 2018) with squeeze-excitation: 1×1 expansion →
    depthwise k×k → SE (squeeze to a quarter of the block's *input* channels) → 1×1
    projection; identity shortcut when the shape is kept."""

    out_channels: int
    expansion: int
    kernel: int
    stride: int

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        in_channels = x.shape[-1]
        expanded = in_channels * self.expansion
        h = x
        if self.expansion != 1:
            h = nn.silu(BatchNorm(0.9)(_conv(expanded, 1)(h), train))
        h = nn.Conv(expanded, (self.kernel,) * 2, (self.stride,) * 2, padding=[(self.kernel // 2,) * 2] * 2,
                    feature_group_count=expanded, use_bias=False)(h)
        h = nn.silu(BatchNorm(0.9)(h, train))
        h = SqueezeExcite(hidden=max(1, in_channels // 4))(h)
        h = BatchNorm(0.9)(_conv(self.out_channels, 1)(h), train)
        return x + h if self.stride == 1 and in_channels == self.out_channels else h


class EfficientNet(nn.Module):
    """Tan & Le 2019. Compound scaling multiplies every stage's channels by
    ``width_mult`` (rounded to multiples of 8) and its layers by ``depth_mult`` (rounded
    up); the input resolution is the third knob (``efficientnet_resolution``). B0
    (1.0, 1.0, 224 px) has 5,288,548 parameters."""

    width_mult: float = 1.0
    depth_mult: float = 1.0
    num_classes: int = 1000
    stages: Sequence[tuple[int, int, int, int, int]] = EFFICIENTNET_B0
    stem_stride: int = 2
    dropout_rate: float = 0.2

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        x = nn.Conv(_round_channels(32 * self.width_mult), (3, 3), (self.stem_stride,) * 2, padding=[(1, 1)] * 2,
                    use_bias=False)(x)
        x = nn.silu(BatchNorm(0.9)(x, train))
        for expansion, kernel, stride, channels, layers in self.stages:
            for i in range(math.ceil(layers * self.depth_mult)):
                x = MBConv(_round_channels(channels * self.width_mult), expansion, kernel, stride if i == 0 else 1)(
                    x, train)
        x = nn.silu(BatchNorm(0.9)(_conv(_round_channels(1280 * self.width_mult), 1)(x), train))
        x = nn.Dropout(self.dropout_rate, deterministic=not train)(x.mean(axis=(1, 2)))
        return nn.Dense(self.num_classes)(x)


def efficientnet_resolution(phi: float, base: int = 224, gamma: float = 1.15) -> int:
    """Input size of compound coefficient φ: base·γ^φ (with depth α^φ, width β^φ, α = 1.2,
    β = 1.1, γ = 1.15, chosen so that α·β²·γ² ≈ 2: FLOPs double per unit of φ)."""
    return int(round(base * gamma**phi))
