"""Tests for jaxml.nn.transformer: shapes, causality, attention against a direct numpy
computation, jit/no-jit agreement, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.nn.transformer import MultiHeadSelfAttention, Transformer, dot_product_attention

VOCAB, LENGTH = 11, 6


def _model(**kw):
    return Transformer(vocab_size=VOCAB, max_len=8, num_layers=2, d_model=16, num_heads=4, d_mlp=32, **kw)


def _tokens(seed=0, batch=3):
    return jax.random.randint(jax.random.key(seed), (batch, LENGTH), 0, VOCAB)


def test_output_shape_dtype_and_parameter_shapes():
    model = _model()
    x = _tokens()
    variables = model.init(jax.random.key(1), x, train=False)
    logits = model.apply(variables, x, train=False)
    assert logits.shape == (3, LENGTH, VOCAB) and logits.dtype == jnp.float32
    params = variables["params"]
    assert params["position_embedding"].shape == (8, 16)
    assert params["token_embedding"]["embedding"].shape == (VOCAB, 16)
    attn = params["block_1"]["attention"]
    assert attn["query"]["kernel"].shape == (16, 4, 4)
    assert attn["out"]["kernel"].shape == (4, 4, 16)
    assert params["block_0"]["mlp_in"]["kernel"].shape == (16, 32)
    assert "block_2" not in params
    # a shorter sequence uses the first positions of the same parameters
    assert model.apply(variables, x[:, :2]).shape == (3, 2, VOCAB)


@pytest.mark.parametrize("causal", [True, False])
def test_causal_mask_hides_later_tokens(causal):
    model = _model(causal=causal)
    x = _tokens()
    variables = model.init(jax.random.key(1), x)
    changed = x.at[:, 4].set((x[:, 4] + 1) % VOCAB)
    a, b = model.apply(variables, x), model.apply(variables, changed)
    if causal:
        np.testing.assert_array_equal(a[:, :4], b[:, :4])
    else:
        assert np.abs(np.asarray(a[:, :4] - b[:, :4])).max() > 1e-4
    assert np.abs(np.asarray(a[:, 4:] - b[:, 4:])).max() > 1e-4


def _numpy_head(q, k, v, causal):
    """softmax(Q Kᵀ/√d + M) V for one head and one sequence, in float64 numpy."""
    s = q @ k.T / np.sqrt(q.shape[-1])
    if causal:
        s = np.where(np.tril(np.ones_like(s)) > 0, s, -np.inf)
    w = np.exp(s - s.max(-1, keepdims=True))
    return (w / w.sum(-1, keepdims=True)) @ v


@pytest.mark.parametrize("causal", [True, False])
def test_attention_layer_matches_direct_softmax_qk_v(causal):
    heads, d, t = 2, 8, 5
    layer = MultiHeadSelfAttention(num_heads=heads, causal=causal)
    x = jax.random.normal(jax.random.key(0), (2, t, d))
    params = layer.init(jax.random.key(1), x)["params"]
    out = np.asarray(layer.apply({"params": params}, x), np.float64)
    p = jax.tree.map(lambda a: np.asarray(a, np.float64), params)
    xs = np.asarray(x, np.float64)
    expected = np.zeros_like(out)
    for b in range(2):
        for h in range(heads):
            q, k, v = (xs[b] @ p[n]["kernel"][:, h] + p[n]["bias"][h] for n in ("query", "key", "value"))
            expected[b] += _numpy_head(q, k, v, causal) @ p["out"]["kernel"][h]
        expected[b] += p["out"]["bias"]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_dot_product_attention_one_head_matches_numpy():
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(1, 4, 1, 3)).astype(np.float32) for _ in range(3))
    mask = np.tril(np.ones((4, 4), bool))
    out = np.asarray(dot_product_attention(q, k, v, mask))[0, :, 0]
    np.testing.assert_allclose(out, _numpy_head(q[0, :, 0].astype(float), k[0, :, 0].astype(float),
                                                v[0, :, 0].astype(float), True), rtol=1e-5, atol=1e-6)


def test_jit_and_no_jit_agree_and_init_is_deterministic():
    model = _model(activation=jax.nn.gelu)
    x = _tokens(2)
    variables = model.init(jax.random.key(3), x)
    again = model.init(jax.random.key(3), x)
    jax.tree.map(np.testing.assert_array_equal, variables, again)
    eager = model.apply(variables, x, train=False)
    jitted = jax.jit(lambda v, t: model.apply(v, t, train=False))(variables, x)
    np.testing.assert_allclose(eager, jitted, rtol=1e-5, atol=1e-5)


def test_bad_input_raises_clear_errors():
    model = _model()
    x = _tokens()
    variables = model.init(jax.random.key(1), x)
    with pytest.raises(ValueError, match="max_len"):
        model.apply(variables, jnp.zeros((1, 9), jnp.int32))
    with pytest.raises(ValueError, match="tokens must have shape"):
        model.apply(variables, jnp.zeros((9,), jnp.int32))
    with pytest.raises(TypeError, match="integers"):
        model.apply(variables, jnp.zeros((1, 4), jnp.float32))
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadSelfAttention(num_heads=3).init(jax.random.key(0), jnp.ones((1, 2, 8)))
