import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

from jaxml.nn.activations import ACTIVATIONS, LEAKY_SLOPE, get_activation

Z = np.concatenate([np.linspace(-6, -0.05, 60), np.linspace(0.05, 6, 60)])  # away from relu's kink

FORMULAS = {  # each σ written independently with NumPy / SciPy
    "identity": lambda z: z,
    "sigmoid": special.expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "silu": lambda z: z * special.expit(z),
    "gelu": lambda z: z * stats.norm.cdf(z),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_and_its_closed_form_derivative(name):
    sigma, sigma_prime = get_activation(name)
    with jax.enable_x64(True):
        z = jnp.asarray(Z, jnp.float64)
        np.testing.assert_allclose(sigma(z), FORMULAS[name](Z), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(sigma_prime(z), jax.vmap(jax.grad(sigma))(z), rtol=1e-10, atol=1e-14)


def test_flax_names_agree_where_they_exist():
    z = jnp.asarray(Z, jnp.float32)
    for name, reference in [("relu", jax.nn.relu), ("sigmoid", jax.nn.sigmoid), ("silu", jax.nn.silu),
                            ("softplus", jax.nn.softplus), ("elu", jax.nn.elu)]:
        np.testing.assert_allclose(get_activation(name)[0](z), reference(z), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(get_activation("gelu")[0](z), jax.nn.gelu(z, approximate=False), rtol=1e-5, atol=1e-6)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="activation must be one of .*'gelu'.*got 'swishy'"):
        get_activation("swishy")
