import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.nn.remat import DeepResidualMLP, train_step_memory
from jaxml.train.state import cross_entropy_loss

X = jax.random.normal(jax.random.PRNGKey(0), (256, 16))
Y = jax.random.randint(jax.random.PRNGKey(1), (256,), 0, 4)


def _model(remat):
    return DeepResidualMLP(depth=24, width=128, num_outputs=4, remat=remat)


def test_checkpointing_cuts_the_compiled_steps_scratch_memory_at_least_threefold():
    plain, checkpointed = (train_step_memory(_model(r), optax.adam(1e-3), (X, Y)) for r in (False, True))
    assert plain.arguments == checkpointed.arguments and plain.outputs == checkpointed.outputs
    assert plain.temp >= 3 * checkpointed.temp, (plain, checkpointed)
    # the residuals it no longer keeps: about 2e + 1 = 9 activations of (256, 128) floats a block
    assert plain.temp - checkpointed.temp > 24 * 8 * 256 * 128 * 4


def test_checkpointed_gradients_are_the_same():
    params = _model(False).init(jax.random.PRNGKey(2), X)
    assert jax.tree.structure(params) == jax.tree.structure(_model(True).init(jax.random.PRNGKey(2), X))

    def grads(remat):
        return jax.grad(lambda p: cross_entropy_loss(_model(remat).apply(p, X), Y))(params)

    for a, b in zip(jax.tree.leaves(grads(False)), jax.tree.leaves(grads(True))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert max(float(jnp.abs(g).max()) for g in jax.tree.leaves(grads(False))) < 10  # a well-scaled stack


def test_bad_configuration():
    with pytest.raises(ValueError, match="depth must be >= 1"):
        DeepResidualMLP(depth=0, width=8, num_outputs=2).init(jax.random.PRNGKey(0), X)
    with pytest.raises(TypeError, match="remat must be a bool"):
        DeepResidualMLP(depth=2, width=8, num_outputs=2, remat="yes").init(jax.random.PRNGKey(0), X)
