"""Test configuration: 8 fake CPU devices, set before jax is imported."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import jax  # noqa: E402


import pytest  # noqa: E402


@pytest.fixture
def strict_rank_promotion():
    """Opt-in: make implicit rank promotion an error inside one test of our own code
    (not global: distrax and other dependencies rely on it internally)."""
    with jax.numpy_rank_promotion("raise"):
        yield


@pytest.fixture
def allow_rank_promotion():
    """Kept for tests written against the earlier strict default; a no-op now."""
    with jax.numpy_rank_promotion("allow"):
        yield
