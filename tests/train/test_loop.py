import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.core import seed_keys
from jaxml.nn import MLP, Linear
from jaxml.train import create_train_state, fit, fit_seeds, make_trainer, train_step
from jaxml.train.state import cross_entropy_loss, squared_error_loss


@pytest.fixture(scope="module")
def regression_data():
    key_x, key_w = jax.random.split(jax.random.PRNGKey(0))
    X = jax.random.normal(key_x, (64, 3))
    w = jnp.array([1.5, -2.0, 0.5])
    y = X @ w + 0.3 + 0.05 * jax.random.normal(key_w, (64,))
    return X, y


@pytest.fixture(scope="module")
def classification_data():
    key_x, key_y = jax.random.split(jax.random.PRNGKey(1))
    X = jax.random.normal(key_x, (60, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(jnp.int32) + (X[:, 2] > 1.0).astype(jnp.int32)
    return X, y


def test_regression_reaches_the_least_squares_optimum(regression_data):
    """Full-batch GD on MSE with a linear model converges to the OLS solution."""
    X, y = regression_data
    result = fit(0, Linear(1), optax.sgd(0.1), (X, y), epochs=300, batch_size=64,
                 task="regression", progress=False)
    design = np.c_[np.asarray(X), np.ones(len(X))]
    coef, *_ = np.linalg.lstsq(design, np.asarray(y), rcond=None)
    params = result.state.params["Dense_0"]
    np.testing.assert_allclose(params["kernel"][:, 0], coef[:3], atol=1e-4)
    np.testing.assert_allclose(params["bias"][0], coef[3], atol=1e-4)
    optimum = np.mean((design @ coef - np.asarray(y)) ** 2)
    np.testing.assert_allclose(result.history["eval_loss"][-1], optimum, rtol=1e-3)


def test_train_step_is_one_gradient_step(classification_data):
    X, y = classification_data
    model, tx = Linear(3), optax.sgd(0.5)
    state = create_train_state(jax.random.PRNGKey(0), model, tx, X[:1])
    new_state, metrics = jax.jit(lambda s, b: train_step(model, tx, cross_entropy_loss,
                                                         "classification", s, b, None))(
        state, (X, y))

    def loss(params):  # written out by hand: mean −log softmax
        logits = X @ params["Dense_0"]["kernel"] + params["Dense_0"]["bias"]
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(len(y)), y])

    grads = jax.grad(loss)(state.params)
    expected = jax.tree.map(lambda p, g: p - 0.5 * g, state.params, grads)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                 new_state.params, expected)
    np.testing.assert_allclose(metrics["loss"], loss(state.params), rtol=1e-5)
    assert int(new_state.step) == 1


def test_squared_error_matches_mean_of_squares():
    out, target = jnp.array([[1.0], [3.0]]), jnp.array([0.0, 1.0])
    np.testing.assert_allclose(squared_error_loss(out, target), (1 + 4) / 2)


def test_vmapped_seeds_equal_looped_seeds(classification_data):
    X, y = classification_data
    keys = seed_keys(7, 3)
    model, tx = MLP((8,), 3, dropout_rate=0.1), optax.adam(1e-2)
    kwargs = dict(epochs=4, batch_size=20, progress=False)
    together = fit_seeds(keys, model, tx, (X, y), **kwargs)
    for i in range(3):
        alone = fit(keys[i], model, tx, (X, y), **kwargs)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a[i], b, rtol=1e-5, atol=1e-6),
                     together.state.params, alone.state.params)
        np.testing.assert_allclose(together.history["eval_accuracy"][i],
                                   alone.history["eval_accuracy"], atol=1e-6)
    assert together.history["train_loss"].shape == (3, 4)


def test_same_key_same_run_and_different_keys_differ(classification_data):
    X, y = classification_data
    run = lambda k: fit(k, MLP((8,), 3), optax.adam(1e-2), (X, y), epochs=2, batch_size=20,
                        progress=False)
    a, b, c = run(0), run(0), run(1)
    np.testing.assert_array_equal(a.history["train_loss"], b.history["train_loss"])
    assert not np.array_equal(a.history["train_loss"], c.history["train_loss"])


def test_checkpoint_resume_is_exact(classification_data, tmp_path):
    X, y = classification_data
    model, tx = MLP((8,), 3, dropout_rate=0.2), optax.adam(1e-2)
    kwargs = dict(epochs=6, batch_size=20, chunk_epochs=2, progress=False)
    uninterrupted = fit(3, model, tx, (X, y), **kwargs)
    partial = fit(3, model, tx, (X, y), **{**kwargs, "epochs": 4}, checkpoint_dir=tmp_path)
    assert np.isfinite(partial.history["train_loss"]).all()
    resumed = fit(3, model, tx, (X, y), **kwargs, checkpoint_dir=tmp_path)
    jax.tree.map(np.testing.assert_array_equal, resumed.state.params,
                 uninterrupted.state.params)
    np.testing.assert_array_equal(resumed.history["train_loss"],
                                  uninterrupted.history["train_loss"])
    assert int(resumed.state.epoch) == 6


def test_make_trainer_runs_under_jit(classification_data):
    X, y = classification_data
    trainer = make_trainer(Linear(3), optax.sgd(0.1), batch_size=10)
    state = trainer.init(jax.random.PRNGKey(0), X[:1])
    state, rows = jax.jit(trainer.run_epochs, static_argnums=3)(state, (X, y), (X, y), 3)
    assert rows["eval_accuracy"].shape == (3,) and int(state.epoch) == 3
    assert set(rows) == set(trainer.metric_names)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(task="ranking"), ValueError, "task must be one of"),
        (dict(batch_size=1000), ValueError, r"batch_size \(1000\) exceeds"),
        (dict(epochs=0), ValueError, "epochs must be >= 1"),
        (dict(train=(np.zeros((60, 4)), np.zeros(59))), ValueError, "same number of rows"),
        (dict(train=(np.full((60, 4), np.nan), np.zeros(60))), ValueError, "must be finite"),
        (dict(train=(np.zeros((60, 4)), -np.ones(60))), ValueError,
         r"train\[1\] \(y\) must hold class codes in \[0, "),
        (dict(train=(np.zeros((60, 4)), np.full(60, 12))), ValueError,
         r"train\[1\] \(y\) holds class index 12, but the model has 3 outputs"),
        (dict(eval=(np.zeros((5, 4)), np.array([0, 1, 2, 3, 0]))), ValueError,
         r"eval\[1\] \(y\) holds class index 3, but the model has 3 outputs"),
        (dict(train=(np.zeros((60, 4)), np.full(60, np.inf))), ValueError,
         r"train\[1\] \(y\) must be finite"),
        (dict(batch_size="10"), TypeError, "batch_size must be an int"),
        (dict(train=np.zeros((60, 4))), TypeError, "train must be a pair"),
    ],
)
def test_bad_input_errors(classification_data, kwargs, error, match):
    args = dict(train=classification_data, epochs=1, batch_size=10, progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        fit(0, Linear(3), optax.sgd(0.1), **args)
    with pytest.raises(ValueError, match="keys must be a stack of keys"):
        fit_seeds(jax.random.PRNGKey(0), Linear(3), optax.sgd(0.1), classification_data,
                  epochs=1, batch_size=10)


def test_gradient_accumulation_equals_the_large_batch_and_optax_multisteps(classification_data):
    """k micro-batches accumulated = one step on the whole batch (same permutation of the
    data, so the large batch is the k micro-batches in a row) = optax.MultiSteps over k
    consecutive micro-batch steps."""
    seen = []

    def loss_fn(outputs, y):  # records the batch size each traced loss sees
        seen.append(outputs.shape[0])
        return cross_entropy_loss(outputs, y)

    model, tx = MLP((16,), 3), optax.adam(0.01)
    large = fit(0, model, tx, classification_data, epochs=3, batch_size=60, loss_fn=loss_fn)
    accumulated = fit(0, model, tx, classification_data, epochs=3, batch_size=60, loss_fn=loss_fn,
                      accumulation_steps=4)
    assert 15 in seen  # the accumulated run really computed micro-batch losses
    multisteps = fit(0, model, optax.MultiSteps(tx, every_k_schedule=4), classification_data, epochs=3,
                     batch_size=15)
    for ours, big, multi in zip(*(jax.tree.leaves(r.state.params) for r in (accumulated, large, multisteps))):
        np.testing.assert_allclose(ours, big, rtol=1e-4, atol=2e-6)
        np.testing.assert_allclose(ours, multi, rtol=1e-4, atol=2e-6)
    with pytest.raises(ValueError, match="batch_size \\(60\\) must be a multiple of accumulation_steps \\(7\\)"):
        fit(0, model, tx, classification_data, epochs=1, batch_size=60, accumulation_steps=7)
