import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.train.optim import (adam, clip_by_global_norm, global_norm, one_cycle_schedule, rmsprop, sgd,
                               step_decay_schedule, warmup_cosine_schedule)

PARAMS = {"w": jnp.array([[1.0, -2.0], [0.5, 3.0]]), "b": jnp.array([0.3, -0.1])}


def _gradient(params, t):
    """A quadratic's gradient plus a step-dependent term, so moments change every step."""
    return jax.tree.map(lambda p: 2 * p + jnp.sin(t + p), params)


def _run(tx, steps=25):
    params, state, trace = PARAMS, tx.init(PARAMS), []
    for t in range(steps):
        updates, state = tx.update(_gradient(params, t), state, params)
        params = optax.apply_updates(params, updates)
        trace.append(params)
    return trace


@pytest.mark.parametrize("ours, theirs", [
    (sgd(0.05), optax.sgd(0.05)),
    (sgd(0.05, momentum=0.9), optax.sgd(0.05, momentum=0.9)),
    (sgd(0.05, momentum=0.9, nesterov=True), optax.sgd(0.05, momentum=0.9, nesterov=True)),
    (rmsprop(0.01, decay=0.9, eps=1e-6), optax.rmsprop(0.01, decay=0.9, eps=1e-6)),
    (adam(0.01), optax.adam(0.01)),
    (adam(0.01, weight_decay=0.1), optax.adamw(0.01, weight_decay=0.1)),
    (adam(0.01, l2=0.1), optax.chain(optax.add_decayed_weights(0.1), optax.adam(0.01))),
    (adam(warmup_cosine_schedule(0.02, 5, 25)), optax.adam(optax.warmup_cosine_decay_schedule(0.0, 0.02, 5, 25))),
], ids=["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "adam_l2", "adam_scheduled"])
def test_optimisers_equal_optax_step_by_step(ours, theirs):
    for a, b in zip(_run(ours), _run(theirs)):
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_coupled_and_decoupled_decay_agree_under_sgd_and_differ_under_adam():
    coupled_sgd = _run(optax.chain(optax.add_decayed_weights(0.1), optax.sgd(0.05)))[-1]
    decoupled_sgd = _run(optax.chain(optax.sgd(0.05), _decoupled(0.05 * 0.1)))[-1]
    np.testing.assert_allclose(coupled_sgd["w"], decoupled_sgd["w"], rtol=1e-5)
    coupled, decoupled = _run(adam(0.05, l2=0.5))[-1], _run(adam(0.05, weight_decay=0.5))[-1]
    assert float(jnp.abs(coupled["w"] - decoupled["w"]).max()) > 0.05


def _decoupled(rate):
    return optax.GradientTransformation(lambda p: optax.EmptyState(),
                                        lambda u, s, p: (jax.tree.map(lambda u, p: u - rate * p, u, p), s))


def test_schedules_equal_optax():
    steps = jnp.arange(0, 130)
    np.testing.assert_allclose(jax.vmap(warmup_cosine_schedule(0.1, 10, 100, init_value=0.01, end_value=0.001))(steps),
                               jax.vmap(optax.warmup_cosine_decay_schedule(0.01, 0.1, 10, 100, 0.001))(steps),
                               rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(jax.vmap(step_decay_schedule(0.1, 30, 0.5))(steps),
                               jax.vmap(optax.exponential_decay(0.1, 30, 0.5, staircase=True))(steps), rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(one_cycle_schedule(100, 0.2))(steps),
                               jax.vmap(optax.cosine_onecycle_schedule(100, 0.2))(steps), rtol=1e-4, atol=1e-9)
    one_cycle = jax.vmap(one_cycle_schedule(100, 0.2))(steps)
    assert float(one_cycle.max()) == pytest.approx(0.2) and int(one_cycle.argmax()) == 30


def test_clipping_equals_optax_and_keeps_the_direction():
    grads = {"a": jnp.array([3.0, 4.0]), "b": jnp.array([[12.0]])}  # global norm 13
    assert float(global_norm(grads)) == pytest.approx(13.0)
    clipped = clip_by_global_norm(grads, 6.5)
    expected, _ = optax.clip_by_global_norm(6.5).update(grads, optax.EmptyState())
    for x, y in zip(jax.tree.leaves(clipped), jax.tree.leaves(expected)):
        np.testing.assert_allclose(x, y, rtol=1e-6)
    np.testing.assert_allclose(clipped["a"], grads["a"] / 2, rtol=1e-6)
    assert clip_by_global_norm(grads, 20.0)["b"][0, 0] == 12.0


def test_bad_hyperparameters_name_the_argument():
    with pytest.raises(ValueError, match="momentum"):
        sgd(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        adam(-0.1)
    with pytest.raises(ValueError, match="decay_steps must be >= 11"):
        warmup_cosine_schedule(0.1, 10, 10)
    with pytest.raises(ValueError, match="pct_start"):
        one_cycle_schedule(100, 0.1, pct_start=1.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm({"a": jnp.ones(2)}, 0.0)
    tx = adam(0.1, weight_decay=0.01)
    with pytest.raises(ValueError, match="needs params"):
        tx.update(PARAMS, tx.init(PARAMS))
