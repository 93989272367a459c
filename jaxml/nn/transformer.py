r"""A decoder-only Transformer (GPT-style, pre-LayerNorm) in Flax Linen.

For tokens t ∈ {0, …, V−1}^T the model computes

    h⁰_i = E[t_i] + P[i]                                   (token + learned position embedding)
    hˡ'  = hˡ⁻¹ + MHA(LN(hˡ⁻¹))                            (l = 1 … L)
    hˡ   = hˡ' + W₂ σ(W₁ LN(hˡ') + b₁) + b₂
    logits = LN(hᴸ) U + c                                  (unembedding, shape (batch, T, V))

Multi-head self-attention with H heads of size d_h = d_model / H projects
q, k, v = x W_q, x W_k, x W_v (each (T, H, d_h)) and, per head,

    A = softmax(q kᵀ / √d_h + M) v,    M_ij = 0 if j ≤ i (or not causal), −∞ otherwise,

then concatenates the heads and maps them back with W_o. With ``causal=True`` position i
sees only positions ≤ i, so the logits at i do not depend on later tokens.

``Transformer(vocab_size, max_len, num_layers, d_model, num_heads, d_mlp)`` is called as
``model.apply(variables, tokens, train=False)`` with integer ``tokens`` of shape
(batch, T ≤ max_len) and returns logits (batch, T, vocab_size).
"""

from __future__ import annotations

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp


def causal_mask(length: int) -> jax.Array:
    """Boolean (length, length) mask, True where query i may attend to key j (j ≤ i)."""
    return jnp.tril(jnp.ones((length, length), dtype=bool))


def dot_product_attention(q: jax.Array, k: jax.Array, v: jax.Array,
                          mask: jax.Array | None = None) -> jax.Array:
    """softmax(q kᵀ/√d_h + M) v per head.

    q, k, v: (batch, T, H, d_h); ``mask`` broadcastable to (batch, H, T, T), True where
    attention is allowed (M = 0) and False where it is not (M = −∞). Returns (batch, T, H, d_h).
    """
    scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / jnp.sqrt(q.shape[-1]).astype(q.dtype)
    if mask is not None:
        scores = jnp.where(mask, scores, jnp.finfo(scores.dtype).min)
    return jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(scores, axis=-1), v)


class MultiHeadSelfAttention(nn.Module):
    """Self-attention with ``num_heads`` heads; parameters ``query``, ``key``, ``value``
    (kernels (d_model, H, d_h)) and ``out`` (kernel (H, d_h, d_model))."""

    num_heads: int
    causal: bool = True

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        d_model = x.shape[-1]
        if d_model % self.num_heads:
            raise ValueError(f"num_heads ({self.num_heads}) must divide d_model ({d_model})")
        head = (self.num_heads, d_model // self.num_heads)
        q, k, v = (nn.DenseGeneral(head, name=name)(x) for name in ("query", "key", "value"))
        mask = causal_mask(x.shape[1]) if self.causal else None
        out = dot_product_attention(q, k, v, mask)
        return nn.DenseGeneral(d_model, axis=(-2, -1), name="out")(out)


class TransformerBlock(nn.Module):
    """Pre-LayerNorm block: x + MHA(LN(x)), then + MLP(LN(·)) with hidden width ``d_mlp``."""

    num_heads: int
    d_mlp: int
    causal: bool = True
    activation: Callable[[jax.Array], jax.Array] = nn.relu

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = x + MultiHeadSelfAttention(self.num_heads, self.causal, name="attention")(
            nn.LayerNorm(name="ln_attention")(x))
        h = nn.LayerNorm(name="ln_mlp")(x)
        h = nn.Dense(x.shape[-1], name="mlp_out")(self.activation(nn.Dense(self.d_mlp, name="mlp_in")(h)))
        return x + h


class Transformer(nn.Module):
    """Decoder-only Transformer returning next-token logits (batch, T, vocab_size)."""

    vocab_size: int
    max_len: int
    num_layers: int = 2
    d_model: int = 128
    num_heads: int = 4
    d_mlp: int = 512
    causal: bool = True
    activation: Callable[[jax.Array], jax.Array] = nn.relu

    @nn.compact
    def __call__(self, tokens: jax.Array, train: bool = False) -> jax.Array:
        if tokens.ndim != 2:
            raise ValueError(f"tokens must have shape (batch, length), got {tokens.shape}")
        if not jnp.issubdtype(tokens.dtype, jnp.integer):
            raise TypeError(f"tokens must be integers, got dtype {tokens.dtype}")
        if tokens.shape[1] > self.max_len:
            raise ValueError(f"tokens has length {tokens.shape[1]} > max_len ({self.max_len})")
        positions = self.param("position_embedding", nn.initializers.normal(0.02),
                               (self.max_len, self.d_model))
        h = nn.Embed(self.vocab_size, self.d_model, name="token_embedding")(tokens)
        h = h + positions[: tokens.shape[1]]
        for layer in range(self.num_layers):
            h = TransformerBlock(self.num_heads, self.d_mlp, self.causal, self.activation,
                                 name=f"block_{layer}")(h)
        return nn.Dense(self.vocab_size, name="unembed")(nn.LayerNorm(name="ln_final")(h))
