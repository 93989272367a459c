r"""U-Net (Ronneberger, Fischer & Brox 2015) for per-pixel classification.

An encoder of ``len(widths)`` stages (two 3×3 conv → BatchNorm → ReLU, then a 2×2
max-pool; the width doubles per stage as in ``widths``), a bottleneck, and a decoder that
mirrors it: a 2×2 transposed convolution with stride 2 doubles the resolution, the
encoder's feature map of that resolution is concatenated (the skip connection that
brings back the detail the pooling lost), and two 3×3 convolutions follow. A 1×1
convolution gives ``num_classes`` logits per pixel: output (batch, H, W, num_classes)
for input (batch, H, W, C), H and W divisible by 2^len(widths). Padded ("same")
convolutions keep the sizes aligned (the paper's unpadded ones crop the skips instead).
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxml.nn.cnn import check_images
from jaxml.nn.norms import BatchNorm


class DoubleConv(nn.Module):
    features: int

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        for _ in range(2):
            x = nn.relu(BatchNorm(0.9)(nn.Conv(self.features, (3, 3), padding="SAME", use_bias=False)(x), train))
        return x


class UNet(nn.Module):
    num_classes: int
    widths: Sequence[int] = (64, 128, 256, 512)
    bottleneck: int | None = None  # 2 × the last width by default

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        factor = 2 ** len(self.widths)
        if x.shape[1] % factor or x.shape[2] % factor:
            raise ValueError(f"image size {x.shape[1:3]} must be divisible by 2^{len(self.widths)} = {factor}")
        skips = []
        for width in self.widths:
            x = DoubleConv(width)(x, train)
            skips.append(x)
            x = nn.max_pool(x, (2, 2), (2, 2))
        x = DoubleConv(self.bottleneck or 2 * self.widths[-1])(x, train)
        for width, skip in zip(reversed(self.widths), reversed(skips)):
            x = nn.ConvTranspose(width, (2, 2), (2, 2))(x)
            x = DoubleConv(width)(jnp.concatenate([skip, x], axis=-1), train)
        return nn.Conv(self.num_classes, (1, 1))(x)
