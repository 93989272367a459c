"""MC dropout and deep ensembles: sampling semantics, vmapped training = one by one."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.bayes import ensembles, mc_dropout, training
from jaxml.core import Classifier, Regressor


@pytest.fixture(scope="module")
def reg_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (64, 1)).astype(np.float32)
    y = (np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=64)).astype(np.float32)
    return X, y


@pytest.fixture(scope="module")
def dropout_est():
    return mc_dropout.mc_dropout(features=(32,), dropout_rate=0.2, epochs=150, batch_size=32,
                                 learning_rate=1e-2, num_samples=5)


@pytest.fixture(scope="module")
def dropout_params(reg_data, dropout_est):
    X, y = reg_data
    return dropout_est.fit(0, X, y)


def test_mc_dropout_samples_are_dropout_forward_passes(reg_data, dropout_est, dropout_params):
    X, _ = reg_data
    assert isinstance(dropout_est, Regressor)
    key = jax.random.PRNGKey(3)
    means, variances = dropout_est.predict_samples(key, dropout_params, X[:8])
    chex.assert_shape((means, variances), ((5, 8), (5, 8)))
    module = training.network((32,), 2, 0.2)
    keys = jax.random.split(key, 5)
    for s in (0, 4):
        out = module.apply({"params": dropout_params.params}, X[:8], train=True,
                           rngs={"dropout": keys[s]})
        mean, var = training.gaussian_head(out)
        np.testing.assert_allclose(means[s], mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(variances[s], var, rtol=1e-5, atol=1e-6)
    assert float(jnp.abs(means[0] - means[1]).max()) > 0  # masks differ between samples
    again, _ = dropout_est.predict_samples(key, dropout_params, X[:8])
    np.testing.assert_array_equal(means, again)
    # predict/predict_std are the moments of the mixture drawn with params.predict_key.
    m, v = dropout_est.predict_samples(dropout_params.predict_key, dropout_params, X[:8])
    np.testing.assert_allclose(dropout_est.predict(dropout_params, X[:8]), m.mean(0), rtol=1e-6)
    np.testing.assert_allclose(dropout_est.predict_std(dropout_params, X[:8]) ** 2,
                               v.mean(0) + m.var(0), rtol=1e-5)
    losses = dropout_params.losses
    assert losses.shape == (150,) and float(losses[-10:].mean()) < float(losses[:10].mean())


def test_mc_dropout_fit_jit_equals_eager(reg_data, dropout_est, dropout_params):
    X, y = reg_data
    jitted = jax.jit(dropout_est.fit)(jax.random.PRNGKey(0), X, y)
    chex.assert_trees_all_close(jitted, dropout_params, rtol=1e-4, atol=1e-5)


def test_vmapped_ensemble_equals_members_one_by_one(reg_data):
    X, y = reg_data
    est = ensembles.deep_ensemble(num_members=3, features=(16,), epochs=25, batch_size=16,
                                  learning_rate=1e-2)
    params = est.fit(7, X, y)
    keys = ensembles.member_keys(7, 3)
    module = training.network((16,), 2)
    for m in range(3):
        member_params, losses = training.train_mlp(
            keys[m], jnp.asarray(X), jnp.asarray(y), 1e-2, 1e-4, module=module,
            task="regression", epochs=25, batch_size=16)
        member = jax.tree.map(lambda leaf, m=m: leaf[m], params.params)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
                     member_params, member)
        np.testing.assert_allclose(losses, params.losses[m], rtol=1e-4, atol=1e-5)
    means, variances = est.predict_samples(None, params, X[:4])
    chex.assert_shape((means, variances), ((3, 4), (3, 4)))
    assert bool(jnp.all(variances > 0))
    # Mixture moments (module docstring): mean of means, E[σ²+μ²] − μ*².
    mu = means.mean(0)
    np.testing.assert_allclose(est.predict(params, X[:4]), mu, rtol=1e-6)
    np.testing.assert_allclose(est.predict_std(params, X[:4]) ** 2,
                               (variances + means**2).mean(0) - mu**2, rtol=1e-4, atol=1e-6)


def test_learning_rate_sweep_compiles_once(reg_data):
    X, y = reg_data

    @jax.jit
    @chex.assert_max_traces(n=1)
    def sweep(rates):
        return jax.vmap(lambda lr: ensembles.deep_ensemble(
            num_members=2, features=(8,), epochs=3, batch_size=16, learning_rate=lr
        ).fit(0, X, y).losses)(rates)

    losses = sweep(jnp.array([1e-3, 1e-2, 3e-2]))
    chex.assert_shape(losses, (3, 2, 3))
    sweep(jnp.array([2e-3, 2e-2, 5e-2]))
    single = ensembles.deep_ensemble(num_members=2, features=(8,), epochs=3, batch_size=16,
                                     learning_rate=1e-2).fit(0, X, y)
    np.testing.assert_allclose(losses[1], single.losses, rtol=1e-4, atol=1e-5)


def test_classification_tasks():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int32) + (X[:, 1] > 1).astype(np.int32)
    ens = ensembles.deep_ensemble(num_members=2, task="classification", num_classes=3,
                                  features=(16,), epochs=100, batch_size=32,
                                  learning_rate=1e-2)
    assert isinstance(ens, Classifier)
    params = ens.fit(0, X, y)
    probs, none = ens.predict_samples(None, params, X)
    assert none is None
    chex.assert_shape(probs, (2, 60, 3))
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(ens.predict_proba(params, X), probs.mean(0), rtol=1e-6)
    assert float((ens.predict(params, X) == y).mean()) > 0.8
    drop = mc_dropout.mc_dropout(task="classification", num_classes=3, features=(16,),
                                 epochs=100, batch_size=32, learning_rate=1e-2, num_samples=4)
    dparams = drop.fit(0, X, y)
    probs, _ = drop.predict_samples(1, dparams, X)
    chex.assert_shape(probs, (4, 60, 3))
    assert drop.predict(dparams, X).dtype == jnp.int32


def test_bad_input(reg_data, dropout_est, dropout_params):
    X, y = reg_data
    with pytest.raises(ValueError, match="dropout_rate"):
        mc_dropout.mc_dropout(dropout_rate=1.5)
    with pytest.raises(ValueError, match="task"):
        ensembles.deep_ensemble(task="ranking")
    with pytest.raises(ValueError, match="num_members"):
        ensembles.deep_ensemble(num_members=0)
    with pytest.raises(TypeError, match="num_classes"):
        ensembles.deep_ensemble(task="classification")
    with pytest.raises(ValueError, match="learning_rate"):
        mc_dropout.mc_dropout(learning_rate=float("nan"))
    with pytest.raises(ValueError, match="y must hold class codes"):
        ensembles.deep_ensemble(task="classification", num_classes=2, batch_size=8).fit(
            0, X, np.full(64, 5, np.int32) - np.arange(64) % 2)
    with pytest.raises(ValueError, match="batch_size"):
        dropout_est.fit(0, X[:4], y[:4])
    with pytest.raises(ValueError, match="y must be finite"):
        dropout_est.fit(0, X, np.full(64, np.nan, np.float32))
    with pytest.raises(ValueError, match="features"):
        dropout_est.predict_samples(0, dropout_params, np.zeros((3, 2)))
