import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.core import as_key, seed_keys, split_named


def test_as_key_accepts_seeds_raw_and_typed_keys():
    raw = jax.random.PRNGKey(3)
    np.testing.assert_array_equal(as_key(3), raw)
    np.testing.assert_array_equal(as_key(raw), raw)
    np.testing.assert_array_equal(as_key(jax.random.key(3)), raw)
    with pytest.raises(TypeError, match="key must be an int seed or a PRNG key"):
        as_key(jnp.zeros(3))


def test_seed_keys_are_distinct_and_deterministic():
    keys = seed_keys(0, 4)
    assert keys.shape == (4, 2)
    assert len({tuple(np.asarray(k)) for k in keys}) == 4
    np.testing.assert_array_equal(keys, seed_keys(0, 4))
    with pytest.raises(ValueError, match="n must be >= 1"):
        seed_keys(0, 0)


def test_split_named():
    keys = split_named(0, "init", "data")
    assert set(keys) == {"init", "data"}
    assert not np.array_equal(keys["init"], keys["data"])
