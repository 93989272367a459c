"""Test configuration, set before jax is imported: 8 fake CPU devices for multi-device
code, the CPU platform and a headless matplotlib backend.

Implicit rank promotion is left at JAX's default ("allow"): distrax and numpyro rely on
it internally, so a global "raise" (as Equinox's tests use) would fail inside them.
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")
