"""jaxml: the machine-learning curriculum as verified, reproducible JAX code.

Importing jaxml sets one process-wide default, before JAX creates its CPU client:
``PJRT_NPROC=1`` (a single XLA intra-op thread) when the installed jaxlib is 0.10.0–0.11.0
and neither ``PJRT_NPROC`` nor ``NPROC`` is set. Those jaxlib releases split a batched
LAPACK call (the QR of every orthogonal initialisation, the LU of ``jnp.linalg.solve``)
over XLA's intra-op thread pool and block until the pieces finish; when as many such calls
run at once as the pool has threads, every thread waits for work queued behind it and the
process hangs forever with no CPU use (``jax.jit(jax.vmap(make_train(PPOConfig())))``
hung in 1 of 6 runs; see ``tools/xla_cpu_hang/README.md`` for the stacks, the reproducer
and the measured cost). With one thread the kernels run serially and cannot wait on
themselves; jaxlib ≥ 0.11.1 runs them serially anyway, so the default is not applied there.

The default only takes effect if no JAX computation ran before ``import jaxml``. To keep
XLA's multi-threading (and the risk of the hang), set the variable yourself, e.g.
``PJRT_NPROC=$(nproc)``.
"""

import os as _os
from importlib import metadata as _metadata

__version__ = "0.1.0"

_HANGING_JAXLIB = ((0, 10), (0, 11, 0))  # releases whose LAPACK kernels block on the pool


def _jaxlib_blocks_on_pool(version: str) -> bool:
    """True for the jaxlib releases 0.10.0 … 0.11.0 (parallel LAPACK batches)."""
    parts = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    low, high = _HANGING_JAXLIB
    return low <= parts <= high


def _default_single_intra_op_thread() -> None:
    if "PJRT_NPROC" in _os.environ or "NPROC" in _os.environ:
        return
    try:
        version = _metadata.version("jaxlib")
    except _metadata.PackageNotFoundError:
        return
    if _jaxlib_blocks_on_pool(version):
        _os.environ["PJRT_NPROC"] = "1"


_default_single_intra_op_thread()
