import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.nn.norms import BatchNorm, Dropout, LayerNorm, early_stopping

X = 3.0 + 2.0 * jax.random.normal(jax.random.PRNGKey(0), (32, 5))
IMAGES = jax.random.normal(jax.random.PRNGKey(1), (8, 6, 6, 3))


@pytest.mark.parametrize("x", [X, IMAGES], ids=["dense", "conv"])
def test_batchnorm_equals_flax_in_training_and_evaluation(x):
    ours, flax_bn = BatchNorm(momentum=0.9), nn.BatchNorm(momentum=0.9, epsilon=1e-5)
    variables = ours.init(jax.random.PRNGKey(2), x, train=False)
    variables = {"params": jax.tree.map(lambda v: v + 0.5, variables["params"]),
                 "batch_stats": variables["batch_stats"]}
    ours_state, flax_state = variables, variables
    for step in range(3):  # running statistics follow the same path
        batch = x * (1 + step) + step
        y, updates = ours.apply(ours_state, batch, train=True, mutable=["batch_stats"])
        y_flax, flax_updates = flax_bn.apply(flax_state, batch, use_running_average=False, mutable=["batch_stats"])
        np.testing.assert_allclose(y, y_flax, rtol=1e-4, atol=1e-5)
        ours_state = {**ours_state, **updates}
        flax_state = {**flax_state, **flax_updates}
    for a, b in zip(jax.tree.leaves(ours_state), jax.tree.leaves(flax_state)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.apply(ours_state, x), flax_bn.apply(flax_state, x, use_running_average=True),
                               rtol=1e-4, atol=1e-5)


def test_batchnorm_formula_and_eval_independent_of_the_batch():
    variables = BatchNorm().init(jax.random.PRNGKey(0), X)
    y, _ = BatchNorm().apply(variables, X, train=True, mutable=["batch_stats"])
    x = np.asarray(X, np.float64)
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-4, atol=1e-5)
    full = BatchNorm().apply(variables, X)
    np.testing.assert_allclose(full[:4], BatchNorm().apply(variables, X[:4]), rtol=1e-6)


def test_layernorm_equals_flax_and_the_formula():
    variables = LayerNorm().init(jax.random.PRNGKey(0), IMAGES)
    variables = jax.tree.map(lambda v: v * 1.5 + 0.2, variables)
    ours = LayerNorm().apply(variables, IMAGES)
    np.testing.assert_allclose(ours, nn.LayerNorm().apply(variables, IMAGES), rtol=1e-4, atol=1e-5)
    x = np.asarray(IMAGES, np.float64)
    normalised = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(ours, 1.7 * normalised + 0.2, rtol=1e-4, atol=1e-5)  # scale 1·1.5 + 0.2


def test_dropout_equals_flax_keeps_the_mean_and_is_off_in_evaluation():
    x = jnp.ones((200, 50))
    rngs = {"dropout": jax.random.PRNGKey(3)}
    ours = Dropout(0.3).apply({}, x, train=True, rngs=rngs)
    np.testing.assert_allclose(ours, nn.Dropout(0.3).apply({}, x, deterministic=False, rngs=rngs))
    dropped = float((ours == 0).mean())
    assert abs(dropped - 0.3) < 4 * np.sqrt(0.3 * 0.7 / x.size)
    assert abs(float(ours.mean()) - 1.0) < 4 * np.sqrt(0.3 / 0.7 / x.size)  # E[y] = x
    assert set(np.unique(np.asarray(ours))) <= {0.0, np.float32(1 / 0.7)}
    np.testing.assert_array_equal(Dropout(0.3).apply({}, x, train=False), x)


def _early_stopping_by_loop(losses, patience, min_delta):
    best, best_epoch = losses[0], 0
    for epoch in range(1, len(losses)):
        if losses[epoch] < best - min_delta:
            best, best_epoch = losses[epoch], epoch
        if epoch - best_epoch >= patience:
            return best_epoch, epoch, True
    return best_epoch, len(losses) - 1, False


@pytest.mark.parametrize("patience, min_delta", [(1, 0.0), (3, 0.0), (5, 0.02)])
def test_early_stopping_equals_the_loop_and_vmaps_over_seeds(patience, min_delta):
    rng = np.random.default_rng(patience)
    epochs = np.arange(40)
    curves = np.exp(-epochs / 8) + 0.004 * np.maximum(epochs - 15, 0) + rng.normal(0, 0.02, (30, 40))
    results = jax.vmap(lambda c: early_stopping(c, patience=patience, min_delta=min_delta))(jnp.asarray(curves))
    for i, curve in enumerate(curves):
        expected = _early_stopping_by_loop(curve.astype(np.float32), patience, min_delta)
        assert (int(results.best_epoch[i]), int(results.stop_epoch[i]), bool(results.stopped[i])) == expected
    assert bool(results.stopped.any())


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.0).apply({}, X, train=True, rngs={"dropout": jax.random.PRNGKey(0)})
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(momentum=1.5).init(jax.random.PRNGKey(0), X)
    with pytest.raises(ValueError, match="patience must be >= 1"):
        early_stopping(jnp.ones(5), patience=0)
    with pytest.raises(ValueError, match="val_losses must be a non-empty 1-D curve"):
        early_stopping(jnp.ones((2, 5)), patience=2)
