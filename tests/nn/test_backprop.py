import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.nn.backprop import init_mlp, mlp_backward, mlp_forward, mlp_loss_and_grads
from jaxml.nn.init import naive_normal
from jaxml.nn.losses import softmax_cross_entropy


def _data(key, n=32, d=6, k=4, dtype=jnp.float64):
    kx, ky = jax.random.split(key)
    return jax.random.normal(kx, (n, d), dtype), jax.random.randint(ky, (n,), 0, k)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "gelu", "elu"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_hand_backprop_equals_jax_grad_in_float64(activation, label_smoothing):
    with jax.enable_x64(True):
        key = jax.random.PRNGKey(0)
        params = init_mlp(key, (6, 16, 12, 8, 4), dtype=jnp.float64)  # four layers
        x, y = _data(jax.random.PRNGKey(1))

        def loss(params):
            logits, _ = mlp_forward(params, x, activation=activation)
            return softmax_cross_entropy(logits, y, label_smoothing=label_smoothing).mean()

        value, grads = mlp_loss_and_grads(params, x, y, activation=activation, label_smoothing=label_smoothing)
        np.testing.assert_allclose(value, loss(params), rtol=1e-12)
        for ours, theirs in zip(jax.tree.leaves(grads), jax.tree.leaves(jax.grad(loss)(params))):
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)


def test_backward_of_any_upstream_gradient_is_the_vector_jacobian_product():
    with jax.enable_x64(True):
        params = init_mlp(jax.random.PRNGKey(2), (5, 7, 3), dtype=jnp.float64)
        x, _ = _data(jax.random.PRNGKey(3), d=5)
        logits, caches = mlp_forward(params, x, activation="tanh")
        upstream = jax.random.normal(jax.random.PRNGKey(4), logits.shape, jnp.float64)
        _, vjp = jax.vjp(lambda p: mlp_forward(p, x, activation="tanh")[0], params)
        for ours, theirs in zip(jax.tree.leaves(mlp_backward(params, caches, upstream, activation="tanh")),
                                jax.tree.leaves(vjp(upstream)[0])):
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def _train(params, x, y, steps=30, lr=0.5):
    for _ in range(steps):
        _, grads = mlp_loss_and_grads(params, x, y)
        params = [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(params, grads)]
    return params


def test_constant_init_keeps_hidden_units_identical_random_init_breaks_the_symmetry():
    x, y = _data(jax.random.PRNGKey(5), dtype=jnp.float32)
    constant = init_mlp(jax.random.PRNGKey(6), (6, 10, 4), init=lambda key, shape, dtype: jnp.full(shape, 0.1, dtype))
    random = init_mlp(jax.random.PRNGKey(6), (6, 10, 4), init=naive_normal(0.3))
    w_constant = np.asarray(_train(constant, x, y)[0][0])
    w_random = np.asarray(_train(random, x, y)[0][0])
    # every hidden unit (a column of W_1) got the same gradient at every step
    np.testing.assert_allclose(w_constant, w_constant[:, :1] * np.ones((1, 10)), atol=1e-6)
    assert not np.allclose(w_constant, 0.1)  # it did learn, but as one unit
    assert np.linalg.matrix_rank(w_random) == 6


def test_bad_input_is_refused():
    params = init_mlp(jax.random.PRNGKey(0), (6, 8, 3))
    with pytest.raises(ValueError, match="x must be a batch"):
        mlp_forward(params, jnp.zeros(6))
    with pytest.raises(ValueError, match=r"layer 0: expected W of shape \(5, d\)"):
        mlp_forward(params, jnp.zeros((2, 5)))
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp_forward(params, jnp.zeros((2, 6)), activation="sine")
    with pytest.raises(ValueError, match="sizes must list"):
        init_mlp(jax.random.PRNGKey(0), (6,))
