"""The one line every reproducer prints first: versions and the settings that matter."""

from __future__ import annotations

import os

import jax
import jaxlib


def describe() -> str:
    """jax/jaxlib versions, the thread-pool settings in the environment, and the devices
    (asking for the devices creates the CPU client, so call this after any set-up)."""
    settings = " ".join(f"{name}={os.environ.get(name, '')!r}"
                        for name in ("XLA_FLAGS", "PJRT_NPROC", "NPROC"))
    return (f"jax {jax.__version__} jaxlib {jaxlib.__version__} {settings} "
            f"cpu_count={os.cpu_count()} devices={jax.devices()}")
