r"""Vision Transformer (Dosovitskiy et al. 2021).

An H×W image is cut into (H/P)·(W/P) patches of P×P, each linearly embedded (a P×P
convolution with stride P); a learned class token is prepended and learned position
embeddings added; L pre-LayerNorm encoder blocks (bidirectional attention,
:class:`jaxml.nn.transformer.TransformerBlock` with ``causal=False`` and GELU) follow;
the class token's final state, layer-normalised, goes to a linear head. ViT-B/16 (P = 16,
d = 768, 12 heads, MLP 3072, L = 12) has 86,567,656 parameters at 224 px.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxml.nn.cnn import check_images
from jaxml.nn.transformer import TransformerBlock


class ViT(nn.Module):
    num_classes: int = 1000
    patch_size: int = 16
    d_model: int = 768
    num_layers: int = 12
    num_heads: int = 12
    d_mlp: int = 3072

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_images(x)
        p = self.patch_size
        if x.shape[1] % p or x.shape[2] % p:
            raise ValueError(f"image size {x.shape[1:3]} must be a multiple of patch_size ({p})")
        h = nn.Conv(self.d_model, (p, p), (p, p), padding="VALID", name="patch_embedding")(x)
        h = h.reshape(x.shape[0], -1, self.d_model)
        cls = self.param("class_token", nn.initializers.zeros, (1, 1, self.d_model))
        h = jnp.concatenate([jnp.broadcast_to(cls, (x.shape[0], 1, self.d_model)), h], axis=1)
        h = h + self.param("position_embedding", nn.initializers.normal(0.02), (1, h.shape[1], self.d_model))
        for layer in range(self.num_layers):
            h = TransformerBlock(self.num_heads, self.d_mlp, causal=False, activation=nn.gelu,
                                 name=f"block_{layer}")(h)
        return nn.Dense(self.num_classes, name="head")(nn.LayerNorm(name="ln_final")(h[:, 0]))
