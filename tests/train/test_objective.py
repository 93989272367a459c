"""jaxml.train.minimize: equals a hand-written minibatch loop, reaches the least-squares
solution, and rejects a bad budget."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.data import epoch_batches
from jaxml.train.objective import minimize


def _problem(n=64, d=3):
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    X = jax.random.normal(k1, (n, d))
    y = X @ jnp.array([1.0, -2.0, 0.5]) + 0.1 * jax.random.normal(k2, (n,))
    return X, y


def _objective(key, w, batch):  # least squares plus a key-dependent term, so keys matter
    X, y = batch
    return jnp.mean((X @ w - y) ** 2) + 1e-3 * jnp.sum(jax.random.normal(key, w.shape) * w)


def test_minimize_equals_a_hand_loop_with_the_same_keys_and_order():
    X, y = _problem()
    key, tx, w0 = jax.random.PRNGKey(3), optax.sgd(0.05), jnp.zeros(3)
    w, losses = minimize(key, _objective, w0, tx, (X, y), epochs=3, batch_size=16)
    ref, state, ref_losses = w0, tx.init(w0), []
    for e in range(3):
        k_order, k_steps = jax.random.split(jax.random.fold_in(key, e))
        Xb, yb = epoch_batches(k_order, (X, y), 16)
        epoch_losses = []
        for k, xb, ybb in zip(jax.random.split(k_steps, Xb.shape[0]), Xb, yb):
            loss, g = jax.value_and_grad(_objective, argnums=1)(k, ref, (xb, ybb))
            updates, state = tx.update(g, state, ref)
            ref = optax.apply_updates(ref, updates)
            epoch_losses.append(loss)
        ref_losses.append(np.mean(epoch_losses))
    np.testing.assert_allclose(w, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)


def test_minimize_reaches_least_squares_and_vmaps_over_seeds():
    X, y = _problem()
    exact = jnp.linalg.lstsq(X, y)[0]
    objective = lambda k, w, b: jnp.mean((b[0] @ w - b[1]) ** 2)  # noqa: E731
    run = lambda k: minimize(k, objective, jnp.zeros(3), optax.adam(0.05), (X, y), epochs=200,  # noqa: E731
                             batch_size=64)
    w, losses = jax.vmap(run)(jax.random.split(jax.random.PRNGKey(1), 2))
    np.testing.assert_allclose(w, np.broadcast_to(exact, (2, 3)), atol=1e-3)
    assert losses.shape == (2, 200) and np.all(losses[:, -1] < losses[:, 0])


def test_minimize_rejects_a_bad_budget():
    X, y = _problem()
    with pytest.raises(ValueError, match="batch_size"):
        minimize(jax.random.PRNGKey(0), _objective, jnp.zeros(3), optax.sgd(0.1), (X, y), epochs=1, batch_size=65)
    with pytest.raises(ValueError, match="epochs"):
        minimize(jax.random.PRNGKey(0), _objective, jnp.zeros(3), optax.sgd(0.1), (X, y), epochs=0, batch_size=8)
