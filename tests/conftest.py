"""Test configuration: 8 fake CPU devices and strict rank promotion, set before jax starts."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import jax  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")

import pytest  # noqa: E402


@pytest.fixture
def allow_rank_promotion():
    """For tests that call distrax, whose internals rely on implicit rank promotion."""
    with jax.numpy_rank_promotion("allow"):
        yield
