import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.nn import CNN1D, MLP, Conv1D, GRUClassifier, Linear, count_params


@pytest.mark.parametrize(
    "model, n_params",
    [
        (Linear(10), 40 * 10 + 10),
        # the MNIST-1D paper's PyTorch models have these parameter counts
        (MLP((256, 256), 10, residual=True), 40 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10),
        (CNN1D(10), (5 * 25 + 25) + 2 * (3 * 25 * 25 + 25) + 125 * 10 + 10),
    ],
)
def test_parameter_counts_match_the_paper_architectures(model, n_params):
    x = jnp.zeros((2, 40))
    variables = model.init(jax.random.PRNGKey(0), x)
    assert model.apply(variables, x).shape == (2, 10)
    assert count_params(variables) == n_params


def test_residual_mlp_equals_its_formula():
    model = MLP((4, 4), 3, residual=True)
    x = jax.random.normal(jax.random.PRNGKey(0), (5, 3))  # 3 != 4: no skip on layer 1
    params = model.init(jax.random.PRNGKey(1), x)["params"]
    dense = [params[f"Dense_{i}"] for i in range(3)]
    h1 = jax.nn.relu(x @ dense[0]["kernel"] + dense[0]["bias"])
    h2 = h1 + jax.nn.relu(h1 @ dense[1]["kernel"] + dense[1]["bias"])
    expected = h2 @ dense[2]["kernel"] + dense[2]["bias"]
    np.testing.assert_allclose(model.apply({"params": params}, x), expected, rtol=1e-5, atol=1e-6)


def test_cnn_first_layer_is_a_strided_padded_correlation():
    model = CNN1D(10, channels=(2,), kernel_sizes=(5,), strides=(2,))
    x = jax.random.normal(jax.random.PRNGKey(0), (3, 40))
    params = model.init(jax.random.PRNGKey(1), x)["params"]
    w, b = params["Conv1D_0"]["kernel"], params["Conv1D_0"]["bias"]  # (5, 1, 2)
    padded = np.pad(np.asarray(x), ((0, 0), (1, 1)))
    length = (40 + 2 - 5) // 2 + 1
    conv = np.stack([padded[:, 2 * t:2 * t + 5] @ np.asarray(w[:, 0, :]) for t in range(length)], 1)
    h = np.maximum(conv + np.asarray(b), 0).reshape(3, -1)
    out = h @ np.asarray(params["Dense_0"]["kernel"]) + np.asarray(params["Dense_0"]["bias"])
    np.testing.assert_allclose(model.apply({"params": params}, x), out, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel,stride,padding", [(5, 2, 1), (3, 1, 0), (3, 2, 2), (4, 3, 1)])
def test_conv1d_equals_flax_conv_with_the_same_parameters(kernel, stride, padding):
    import flax.linen as nn

    x = jax.random.normal(jax.random.PRNGKey(0), (3, 17, 4))
    ours = Conv1D(6, kernel, stride, padding)
    params = ours.init(jax.random.PRNGKey(1), x)
    flax_conv = nn.Conv(6, (kernel,), strides=(stride,), padding=[(padding, padding)])
    assert jax.tree.map(jnp.shape, flax_conv.init(jax.random.PRNGKey(1), x)) == jax.tree.map(jnp.shape, params)
    np.testing.assert_allclose(ours.apply(params, x), flax_conv.apply(params, x), rtol=1e-5, atol=1e-5)


def test_gru_is_causal_when_unidirectional_and_not_when_bidirectional():
    x = jax.random.normal(jax.random.PRNGKey(0), (1, 12))
    x_late = x.at[0, -1].add(5.0)
    for bidirectional in (False, True):
        model = GRUClassifier(4, hidden_size=3, bidirectional=bidirectional)
        variables = model.init(jax.random.PRNGKey(1), x)
        # the readout of time step 0 only: zero all other readout rows
        kernel = variables["params"]["Dense_0"]["kernel"]
        width = kernel.shape[0] // 12
        masked = kernel.at[width:].set(0.0)
        variables = {"params": {**variables["params"],
                                "Dense_0": {**variables["params"]["Dense_0"], "kernel": masked}}}
        same = np.allclose(model.apply(variables, x), model.apply(variables, x_late))
        assert same == (not bidirectional)


def test_mlp_dropout_only_in_training():
    model = MLP((16,), 2, dropout_rate=0.5)
    x = jnp.ones((4, 3))
    variables = model.init(jax.random.PRNGKey(0), x)
    eval_out = model.apply(variables, x)
    np.testing.assert_array_equal(eval_out, model.apply(variables, x))
    a = model.apply(variables, x, train=True, rngs={"dropout": jax.random.PRNGKey(1)})
    b = model.apply(variables, x, train=True, rngs={"dropout": jax.random.PRNGKey(2)})
    assert not np.allclose(a, b)
