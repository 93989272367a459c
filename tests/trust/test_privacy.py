"""DP-SGD against loops of single-example gradients, plain SGD and sampling statistics;
membership inference against a brute-force AUC and private vs non-private training."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.data.bundled import load_sklearn
from jaxml.nn.models import CNN1D, MLP, Conv1D, conv1d_matmuls, conv1d_patches
from jaxml.trust.privacy import (attack_auc, capacity_overflow_probability, clip_per_example, default_capacity,
                                 ghost_clipped_sum, ghost_norms, global_norms, loss_threshold_auc, make_dp_sgd, per_example_grads, poisson_batch,
                                 private_gradient, shadow_model_attack)

MODEL = MLP((16,), 10)


def _loss(params, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(MODEL.apply(params, x[None]), y[None])[0]


@pytest.fixture(scope="module")
def digits():
    X, y = load_sklearn("digits")
    perm = np.random.default_rng(0).permutation(len(y))
    return jnp.asarray(X[perm] / 16.0), jnp.asarray(y[perm].astype(np.int32))


def _flat(tree):
    return np.concatenate([np.ravel(a) for a in jax.tree.leaves(tree)])


def test_per_example_grads_equal_a_loop_and_clipping_bounds_norms(digits):
    X, y = digits[0][:12], digits[1][:12]
    params = MODEL.init(jax.random.key(0), X[:1])
    batched = per_example_grads(_loss, params, X, y)
    for i in range(len(y)):
        single = jax.grad(_loss)(params, X[i], y[i])
        np.testing.assert_allclose(_flat(jax.tree.map(lambda g: g[i], batched)), _flat(single), atol=1e-6)
    norms = np.array([np.linalg.norm(_flat(jax.tree.map(lambda g: g[i], batched))) for i in range(len(y))])
    clip = float(np.median(norms))
    clipped, reported = clip_per_example(batched, clip)
    np.testing.assert_allclose(np.asarray(reported), norms, rtol=1e-5)
    for i in range(len(y)):
        g, g0 = _flat(jax.tree.map(lambda a: a[i], clipped)), _flat(jax.tree.map(lambda a: a[i], batched))
        assert np.linalg.norm(g) <= clip * (1 + 1e-5)
        if norms[i] <= clip:
            np.testing.assert_allclose(g, g0, rtol=1e-6)
        else:
            np.testing.assert_allclose(g, g0 * clip / norms[i], rtol=1e-5, atol=1e-9)


def test_no_noise_no_clipping_full_batch_is_plain_gradient_descent(digits):
    X, y = digits[0][:64], digits[1][:64]
    params = MODEL.init(jax.random.key(1), X[:1])
    train = make_dp_sgd(_loss, optax.sgd(0.5), n=64, sampling_rate=1.0, clip_norm=1e9, noise_multiplier=0.0,
                        steps=3)
    out, metrics = train(jax.random.key(2), params, X, y)
    mean_loss = lambda p: jnp.mean(jax.vmap(_loss, in_axes=(None, 0, 0))(p, X, y))  # noqa: E731
    expected = params
    for _ in range(3):
        expected = jax.tree.map(lambda p, g: p - 0.5 * g, expected, jax.grad(mean_loss)(expected))
    np.testing.assert_allclose(_flat(out), _flat(expected), atol=1e-5)
    assert np.all(np.asarray(metrics["batch_size"]) == 64)


def test_poisson_sampling_includes_each_example_with_rate_q():
    n, q, draws = 200, 0.05, 4000
    capacity = default_capacity(n, q)
    assert capacity_overflow_probability(n, q, capacity) < 1e-12
    idx, mask = jax.vmap(lambda k: poisson_batch(k, n, q, capacity))(jax.random.split(jax.random.key(3), draws))
    idx, mask = np.asarray(idx), np.asarray(mask)
    sizes = mask.sum(1)
    assert abs(sizes.mean() - q * n) < 4 * np.sqrt(q * (1 - q) * n / draws)
    assert abs(sizes.var() / (q * (1 - q) * n) - 1) < 0.1
    counts = np.bincount(idx[mask], minlength=n)  # each example's inclusions ~ Binomial(draws, q)
    assert np.all(np.abs(counts - q * draws) < 5 * np.sqrt(draws * q * (1 - q)))
    for row, m in zip(idx[:50], mask[:50]):  # sampled without replacement
        assert len(set(row[m].tolist())) == m.sum()


def test_noise_has_the_stated_scale(digits):
    X, y = digits[0][:32], digits[1][:32]
    params = MODEL.init(jax.random.key(4), X[:1])
    zero = lambda p, x, t: 0.0 * _loss(p, x, t)  # noqa: E731
    grad, _ = private_gradient(jax.random.key(5), zero, params, X, y, jnp.ones(32, bool), clip_norm=2.0,
                               noise_multiplier=1.5, expected_batch_size=8.0)
    noise = _flat(grad)
    assert noise.size > 1000
    assert abs(noise.std() / (1.5 * 2.0 / 8.0) - 1) < 0.05 and abs(noise.mean()) < 0.03


def test_loss_threshold_auc_equals_pairwise_count():
    rng = np.random.default_rng(0)
    members, others = rng.exponential(1.0, 40).round(1), rng.exponential(1.5, 55).round(1)
    pairs = [(1.0 if a < b else 0.5 if a == b else 0.0) for a in members for b in others]
    assert loss_threshold_auc(members, others) == pytest.approx(np.mean(pairs), abs=1e-6)


def test_membership_inference_detects_overfitting_and_dp_hides_it(digits):
    X, y = digits
    members, outsiders, shadow = (X[:200], y[:200]), (X[200:400], y[200:400]), (X[400:1000], y[400:1000])
    losses = jax.vmap(_loss, in_axes=(None, 0, 0))

    def train(key, Xt, yt, sigma, clip):
        params = MODEL.init(key, Xt[:1])
        fit = make_dp_sgd(_loss, optax.adam(1e-2), n=Xt.shape[0], sampling_rate=0.25, clip_norm=clip,
                          noise_multiplier=sigma, steps=600)
        return fit(jax.random.fold_in(key, 1), params, Xt, yt)[0]

    auc = {}
    for name, sigma, clip in (("nonprivate", 0.0, 1e9), ("private", 8.0, 0.1)):
        params = train(jax.random.key(6), *members, sigma, clip)
        auc[name] = loss_threshold_auc(losses(params, *members), losses(params, *outsiders))
        if name == "nonprivate":
            score = shadow_model_attack(jax.random.key(7), lambda k, a, b: (lambda x, p=train(k, a, b, sigma, clip):
                                                                             MODEL.apply(p, x)),
                                        *shadow, num_shadows=2)
            shadow_auc = attack_auc(score, MODEL.apply(params, members[0]), members[1],
                                    MODEL.apply(params, outsiders[0]), outsiders[1])
    assert auc["nonprivate"] > 0.6 and shadow_auc > 0.6
    assert abs(auc["private"] - 0.5) < 0.08


def test_bad_input_raises_clear_errors(digits):
    with pytest.raises(ValueError, match="clip_norm"):
        make_dp_sgd(_loss, optax.sgd(0.1), n=10, sampling_rate=0.5, clip_norm=0.0, noise_multiplier=1.0, steps=1)
    with pytest.raises(ValueError, match="sampling_rate"):
        make_dp_sgd(_loss, optax.sgd(0.1), n=10, sampling_rate=1.5, clip_norm=1.0, noise_multiplier=1.0, steps=1)
    with pytest.raises(ValueError, match="sampling_rate"):
        default_capacity(10, 0.0)
    with pytest.raises(ValueError, match="noise_multiplier"):
        make_dp_sgd(_loss, optax.sgd(0.1), n=10, sampling_rate=0.5, clip_norm=1.0, noise_multiplier=-1.0, steps=1)
    with pytest.raises(ValueError, match="capacity"):
        make_dp_sgd(_loss, optax.sgd(0.1), n=10, sampling_rate=0.5, clip_norm=1.0, noise_multiplier=1.0, steps=1,
                    capacity=11)
    with pytest.raises(ValueError, match="non-empty"):
        loss_threshold_auc([], [1.0])


class _SequenceDense(nn.Module):
    """Dense layers on (B, T, d) inputs, one without bias: the Gram branch of the ghost norm."""

    @nn.compact
    def __call__(self, x, train=False):
        h = nn.tanh(nn.Dense(6)(x.reshape(x.shape[0], 8, -1)))
        h = nn.Dense(3, use_bias=False)(h)
        return nn.Dense(10)(h.reshape(h.shape[0], -1))


class _NormedCNN(nn.Module):
    """A Conv1D without padding, a LayerNorm (parameters outside the linear layers) and a
    Dense readout."""

    @nn.compact
    def __call__(self, x, train=False):
        h = nn.relu(Conv1D(4, 3, stride=3)(x[..., None]))
        return nn.Dense(10)(nn.LayerNorm()(h.reshape(h.shape[0], -1)))


class _SharedDense(nn.Module):
    @nn.compact
    def __call__(self, x, train=False):
        layer = nn.Dense(x.shape[-1])
        return nn.Dense(10)(layer(layer(x)))


def _example_losses(logits, t):
    return optax.softmax_cross_entropy_with_integer_labels(logits, t)


GHOST_MODELS = [MLP((32, 32), 10), CNN1D(num_outputs=10), _SequenceDense(), _NormedCNN()]
GHOST_IDS = ["mlp", "cnn1d", "sequence_dense", "conv_layernorm"]


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1), (3, 2)])
def test_conv1d_patches_times_the_kernel_is_the_convolution(stride, padding):
    h = jax.random.normal(jax.random.key(0), (3, 17, 4))
    kernel = jax.random.normal(jax.random.key(1), (5, 4, 6))
    patches = conv1d_patches(h, 5, stride=stride, padding=padding)
    np.testing.assert_allclose(np.asarray(patches @ kernel.reshape(20, 6)),
                               np.asarray(conv1d_matmuls(h, kernel, stride=stride, padding=padding)), atol=1e-5)


@pytest.mark.parametrize("model", GHOST_MODELS, ids=GHOST_IDS)
def test_ghost_norms_equal_stored_per_example_gradient_norms(model):
    X = jax.random.normal(jax.random.key(8), (24, 40))
    y = jax.random.randint(jax.random.key(9), (24,), 0, 10)
    params = model.init(jax.random.key(10), X[:1])
    loss = lambda p, x, t: _example_losses(model.apply(p, x[None]), t[None])[0]  # noqa: E731
    expected = global_norms(per_example_grads(loss, params, X, y))
    np.testing.assert_allclose(np.asarray(ghost_norms(model, _example_losses)(params, X, y)),
                               np.asarray(expected), rtol=1e-5)


def test_dp_step_with_ghost_norms_equals_the_default(digits):
    X, y = digits[0][:50], digits[1][:50]
    params = MODEL.init(jax.random.key(11), X[:1])
    kwargs = dict(n=50, sampling_rate=0.3, clip_norm=0.5, noise_multiplier=1.0, steps=4)
    plain = make_dp_sgd(_loss, optax.sgd(0.3), **kwargs)(jax.random.key(12), params, X, y)[0]
    ghost = make_dp_sgd(_loss, optax.sgd(0.3), norms_fn=ghost_norms(MODEL, _example_losses),
                        **kwargs)(jax.random.key(12), params, X, y)[0]
    np.testing.assert_allclose(_flat(ghost), _flat(plain), atol=1e-5)


@pytest.mark.parametrize("model", GHOST_MODELS, ids=GHOST_IDS)
def test_ghost_clipped_sum_equals_clipping_stored_per_example_gradients(model):
    X = jax.random.normal(jax.random.key(13), (24, 40))
    y = jax.random.randint(jax.random.key(14), (24,), 0, 10)
    mask = jnp.arange(24) < 19
    params = model.init(jax.random.key(15), X[:1])
    loss = lambda p, x, t: _example_losses(model.apply(p, x[None]), t[None])[0]  # noqa: E731
    stored = per_example_grads(loss, params, X, y)
    clip = float(np.median(np.asarray(global_norms(stored))))
    clipped, expected_norms = clip_per_example(stored, clip)
    expected = jax.tree.map(lambda g: jnp.tensordot(mask.astype(g.dtype), g, axes=1), clipped)
    summed, norms, losses = ghost_clipped_sum(model, _example_losses)(params, X, y, mask, clip)
    assert jax.tree.structure(summed) == jax.tree.structure(params)
    np.testing.assert_allclose(_flat(summed), _flat(expected), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(norms), np.asarray(expected_norms), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(losses), np.asarray(jax.vmap(loss, in_axes=(None, 0, 0))(params, X, y)),
                               rtol=1e-6)


def test_dp_sgd_with_the_ghost_clipped_sum_equals_the_default():
    X = jax.random.normal(jax.random.key(16), (60, 40))
    y = jax.random.randint(jax.random.key(17), (60,), 0, 10)
    model = CNN1D(num_outputs=10)
    params = model.init(jax.random.key(18), X[:1])
    loss = lambda p, x, t: _example_losses(model.apply(p, x[None]), t[None])[0]  # noqa: E731
    kwargs = dict(n=60, sampling_rate=0.3, clip_norm=0.5, noise_multiplier=1.0, steps=4)
    plain, plain_metrics = make_dp_sgd(loss, optax.sgd(0.3), **kwargs)(jax.random.key(19), params, X, y)
    fused, fused_metrics = make_dp_sgd(loss, optax.sgd(0.3), clipped_sum_fn=ghost_clipped_sum(model, _example_losses),
                                       **kwargs)(jax.random.key(19), params, X, y)
    np.testing.assert_allclose(_flat(fused), _flat(plain), atol=1e-5)
    for name in ("loss", "clipped_fraction", "batch_size"):
        np.testing.assert_allclose(np.asarray(fused_metrics[name]), np.asarray(plain_metrics[name]), rtol=1e-5)
    with pytest.raises(ValueError, match="not both"):
        make_dp_sgd(loss, optax.sgd(0.3), norms_fn=ghost_norms(model, _example_losses),
                    clipped_sum_fn=ghost_clipped_sum(model, _example_losses), **kwargs)


def test_ghost_norms_reject_a_shared_dense_layer():
    model = _SharedDense()
    X, y = jnp.ones((4, 5)), jnp.zeros(4, jnp.int32)
    with pytest.raises(ValueError, match="once"):
        ghost_norms(model, _example_losses)(model.init(jax.random.key(0), X), X, y)
