"""MC dropout and deep ensembles: sampling semantics, vmapped training = one by one."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.bayes import ensembles, mc_dropout, training


@pytest.fixture(scope="module")
def reg_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (64, 1)).astype(np.float32)
    y = (np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=64)).astype(np.float32)
    return X, y


@pytest.fixture(scope="module")
def dropout_fit(reg_data):
    X, y = reg_data
    return mc_dropout.fit(0, X, y, features=(32,), dropout_rate=0.2, num_steps=300,
                          batch_size=32, learning_rate=1e-2)


def test_mc_dropout_samples_are_dropout_forward_passes(reg_data, dropout_fit):
    X, _ = reg_data
    key = jax.random.PRNGKey(3)
    means, variances = mc_dropout.predict_samples(key, dropout_fit, X[:8], num_samples=5)
    assert means.shape == (5, 8) and variances.shape == (5, 8)
    keys = jax.random.split(key, 5)
    for s in (0, 4):
        out = dropout_fit.module.apply({"params": dropout_fit.params}, X[:8], train=True,
                                       rngs={"dropout": keys[s]})
        mean, var = training.gaussian_head(out)
        np.testing.assert_allclose(means[s], mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(variances[s], var, rtol=1e-5, atol=1e-6)
    assert float(jnp.abs(means[0] - means[1]).max()) > 0  # masks differ between samples
    again, _ = mc_dropout.predict_samples(key, dropout_fit, X[:8], num_samples=5)
    np.testing.assert_array_equal(means, again)
    assert float(dropout_fit.losses[-20:].mean()) < float(dropout_fit.losses[:20].mean())


def test_vmapped_ensemble_equals_members_one_by_one(reg_data):
    X, y = reg_data
    fit = ensembles.fit(7, X, y, num_members=3, features=(16,), num_steps=100, batch_size=16,
                        learning_rate=1e-2)
    keys = ensembles.member_keys(7, 3)
    for m in range(3):
        params, losses = training.train_network(
            keys[m], fit.module, jnp.asarray(X), jnp.asarray(y), task="regression",
            num_steps=100, batch_size=16, learning_rate=1e-2)
        member = jax.tree.map(lambda leaf, m=m: leaf[m], fit.params)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
                     params, member)
        np.testing.assert_allclose(losses, fit.losses[m], rtol=1e-4, atol=1e-5)
    means, variances = ensembles.predict_samples(fit, X[:4])
    assert means.shape == (3, 4) and bool(jnp.all(variances > 0))


def test_classification_tasks():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int32) + (X[:, 1] > 1).astype(np.int32)
    ens = ensembles.fit(0, X, y, num_members=2, task="classification", num_classes=3,
                        features=(16,), num_steps=200, batch_size=32, learning_rate=1e-2)
    probs, none = ensembles.predict_samples(ens, X)
    assert none is None and probs.shape == (2, 60, 3)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert float((probs.mean(0).argmax(-1) == y).mean()) > 0.8
    drop = mc_dropout.fit(0, X, y, task="classification", num_classes=3, features=(16,),
                          num_steps=200, batch_size=32, learning_rate=1e-2)
    probs, _ = mc_dropout.predict_samples(1, drop, X, num_samples=4)
    assert probs.shape == (4, 60, 3)


def test_bad_input(reg_data, dropout_fit):
    X, y = reg_data
    with pytest.raises(ValueError, match="dropout_rate"):
        mc_dropout.fit(0, X, y, dropout_rate=1.5)
    with pytest.raises(ValueError, match="task"):
        ensembles.fit(0, X, y, task="ranking")
    with pytest.raises(ValueError, match="num_members"):
        ensembles.fit(0, X, y, num_members=0)
    with pytest.raises(TypeError, match="num_classes"):
        ensembles.fit(0, X, y.astype(np.int32), task="classification")
    with pytest.raises(ValueError, match="X_new"):
        mc_dropout.predict_samples(0, dropout_fit, np.zeros((3, 2)))
