"""First-order optimisers vs optax built-ins (step for step) and the test functions."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.math import optim

PAIRS = {
    "gd": (lambda: optim.gradient_descent(0.01), lambda: optax.sgd(0.01)),
    "momentum": (lambda: optim.momentum(0.01, 0.9), lambda: optax.sgd(0.01, momentum=0.9)),
    "nesterov": (lambda: optim.nesterov(0.01, 0.8),
                 lambda: optax.sgd(0.01, momentum=0.8, nesterov=True)),
    "adagrad": (lambda: optim.adagrad(0.1), lambda: optax.adagrad(0.1)),
    "rmsprop": (lambda: optim.rmsprop(0.01, decay=0.95),
                lambda: optax.rmsprop(0.01, decay=0.95)),
    "adam": (lambda: optim.adam(0.05, b1=0.8, b2=0.99),
             lambda: optax.adam(0.05, b1=0.8, b2=0.99)),
    "adamw": (lambda: optim.adamw(0.05, weight_decay=0.1),
              lambda: optax.adamw(0.05, weight_decay=0.1)),
    "nadam": (lambda: optim.nadam(0.05), lambda: optax.nadam(0.05)),
}


def _loss(params):
    """A non-quadratic loss on a pytree (dict of a matrix and a vector)."""
    return jnp.sum(jnp.tanh(params["w"]) ** 2) + jnp.sum((params["b"] - 1.0) ** 4) \
        + 0.1 * jnp.sum(params["w"] ** 2)


def _run(tx, params, steps):
    @jax.jit
    def many(params):
        def body(carry, _):
            p, s = carry
            g = jax.grad(_loss)(p)
            u, s = tx.update(g, s, p)
            p = optax.apply_updates(p, u)
            return (p, s), p
        _, traj = jax.lax.scan(body, (params, tx.init(params)), None, length=steps)
        return traj
    return many(params)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_matches_optax_100_steps(name):
    ours, theirs = PAIRS[name]
    key_w, key_b = jax.random.split(jax.random.key(0))
    params = {"w": jax.random.normal(key_w, (3, 2)), "b": jax.random.normal(key_b, (2,))}
    traj_ours = _run(ours(), params, 100)
    traj_theirs = _run(theirs(), params, 100)
    chex.assert_trees_all_close(traj_ours, traj_theirs, rtol=2e-5, atol=2e-6)
    # the optimiser actually moved and lowered the loss
    last = jax.tree.map(lambda t: t[-1], traj_ours)
    assert float(_loss(last)) < float(_loss(params))


def test_state_shapes_and_dtypes():
    params = {"w": jnp.ones((3, 2)), "b": jnp.zeros(2)}
    state = optim.adam(0.1).init(params)
    assert isinstance(state, optim.AdamState)
    assert state.count.dtype == jnp.int32 and state.count.shape == ()
    chex.assert_trees_all_equal_shapes_and_dtypes(state.mu, params)
    assert isinstance(optim.momentum(0.1).init(params), optim.TraceState)
    assert isinstance(optim.adagrad(0.1).init(params), optim.AdaGradState)
    assert isinstance(optim.rmsprop(0.1).init(params), optim.RMSPropState)
    np.testing.assert_allclose(optim.adagrad(0.1).init(params).sum_of_squares["b"], 0.1)


def test_jit_and_nojit_agree():
    tx = optim.nadam(0.1)
    x = jnp.array([1.0, -2.0])
    g = jnp.array([0.3, 0.5])
    state = tx.init(x)
    u1, s1 = tx.update(g, state, x)
    u2, s2 = jax.jit(tx.update)(g, state, x)
    chex.assert_trees_all_close((u1, s1), (u2, s2), rtol=1e-6)


def test_hyperparameters_can_be_traced():
    """The learning rate is traced: one vmap sweeps it."""
    def final(lr):
        xs, _ = optim.run_optimizer(optim.momentum(lr, 0.5), optim.ill_conditioned_quadratic,
                                    jnp.array([1.0, 1.0]), 20)
        return xs[-1]
    lrs = jnp.array([0.001, 0.01])
    out = jax.vmap(final)(lrs)
    np.testing.assert_allclose(out[1], final(0.01), rtol=1e-5)
    assert float(jnp.linalg.norm(out[1])) < float(jnp.linalg.norm(out[0]))


@pytest.mark.parametrize("factory, kwargs, match", [
    (optim.gradient_descent, {"learning_rate": -1.0}, "learning_rate"),
    (optim.momentum, {"learning_rate": 0.1, "beta": 1.5}, "beta"),
    (optim.adam, {"learning_rate": 0.1, "b2": -0.1}, "b2"),
    (optim.adagrad, {"learning_rate": 0.1, "eps": -1.0}, "eps"),
    (optim.adamw, {"learning_rate": 0.1, "weight_decay": -1.0}, "weight_decay"),
])
def test_bad_hyperparameters_raise(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)


def test_adamw_needs_params():
    tx = optim.adamw(0.1)
    x = jnp.zeros(2)
    with pytest.raises(ValueError, match="params"):
        tx.update(x, tx.init(x))


def test_run_optimizer_trajectory_and_determinism():
    x0 = jnp.array([-1.0, 1.0])
    xs, losses = optim.run_optimizer(optim.adam(0.05), optim.rosenbrock, x0, 300)
    chex.assert_shape(xs, (301, 2))
    chex.assert_shape(losses, (301,))
    np.testing.assert_allclose(xs[0], x0)
    np.testing.assert_allclose(losses[0], optim.rosenbrock(x0))
    assert float(losses[-1]) < 0.5 * float(losses[0])
    xs2, _ = optim.run_optimizer(optim.adam(0.05), optim.rosenbrock, x0, 300)
    np.testing.assert_array_equal(xs, xs2)
    with pytest.raises(ValueError, match="x0"):
        optim.run_optimizer(optim.adam(0.05), optim.rosenbrock, jnp.ones((2, 2)), 3)
    with pytest.raises(ValueError, match="num_steps"):
        optim.run_optimizer(optim.adam(0.05), optim.rosenbrock, x0, 0)


@pytest.mark.parametrize("name", sorted(optim.TEST_FUNCTIONS))
def test_test_function_minima(name):
    fun, _, fmin = optim.TEST_FUNCTIONS[name]
    minimisers = {"rosenbrock": [(1.0, 1.0)], "beale": [(3.0, 0.5)],
                  "himmelblau": [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                                 (3.584428, -1.848126)],
                  "quadratic": [(0.0, 0.0)]}[name]
    for point in minimisers:
        x = jnp.array(point)
        np.testing.assert_allclose(fun(x), fmin, atol=1e-6)
        np.testing.assert_allclose(jax.grad(fun)(x), 0.0, atol=1e-3)
