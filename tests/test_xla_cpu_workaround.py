"""The default set by ``import jaxml`` against the jaxlib LAPACK thread-pool deadlock
(tools/xla_cpu_hang/README.md): which releases get it, that it gives XLA one intra-op
thread (counted in /proc, the oracle), and that a user's own setting wins."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import jaxml

COUNT_XLA_THREADS = """
import os, pathlib, jax, jaxml
jax.block_until_ready(jax.numpy.ones(2) + 1)
names = [comm.read_text().strip() for comm in pathlib.Path("/proc/self/task").glob("*/comm")]
print(os.environ.get("PJRT_NPROC"), names.count("tf_XLAEigen"))
"""


@pytest.mark.parametrize("version, affected", [
    ("0.9.2", False), ("0.10.0", True), ("0.10.2", True), ("0.11.0", True),
    ("0.11.0rc1", True), ("0.11.1", False), ("0.12.0", False), ("1.0.0", False)])
def test_only_the_releases_with_parallel_lapack_batches_are_affected(version, affected):
    assert jaxml._jaxlib_blocks_on_pool(version) is affected


def _run(env_updates: dict[str, str | None]) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if k not in ("PJRT_NPROC", "NPROC", "XLA_FLAGS")}
    env.update({k: v for k, v in env_updates.items() if v is not None})
    out = subprocess.run([sys.executable, "-c", COUNT_XLA_THREADS], env=env, check=True,
                         capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[1])
    value, threads = out.stdout.split()
    return value, int(threads)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
@pytest.mark.skipif(not jaxml._jaxlib_blocks_on_pool(__import__("jaxlib").__version__),
                    reason="the installed jaxlib runs LAPACK batches serially")
def test_import_gives_xla_one_intra_op_thread_unless_the_user_chose():
    assert _run({}) == ("1", 1)
    assert _run({"PJRT_NPROC": "2"}) == ("2", 2)
