"""Test configuration, set before jax is imported: 8 fake CPU devices for multi-device
code, the CPU platform and a headless matplotlib backend.

Implicit rank promotion is left at JAX's default ("allow"): distrax and numpyro rely on
it internally, so a global "raise" (as Equinox's tests use) would fail inside them.
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

# No persistent XLA compilation cache: it took a quarter off the estimator contract (the
# factories build new closures in every test, and the cache served the repeated programs),
# but a CI run segfaulted inside jaxlib while serializing an executable for it
# (``compilation_cache.put_executable_and_time`` -> ``executable.serialize()``), and
# pytest-xdist 3.8 then hangs the whole ``--dist loadgroup`` run when it replaces the
# crashed worker (pytest-xdist#1323/#1378). ``--max-worker-restart=0`` (pyproject) turns
# any crash that remains into a prompt failure instead of a hang.


# --- one quick run per experiment and test session ------------------------------------
# ``jaxml repro NAME --quick`` is what the experiment contract runs and what each
# experiment's own end-to-end test reads, so it runs once per session: the first test
# that asks runs it in a fresh process (as a user does), the rest read its output. The
# tests of one experiment share an xdist group (``--dist loadgroup``), so they land on one
# worker; a file lock keeps it at one run even if they do not.

import fcntl  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NamedTuple  # noqa: E402

import pytest  # noqa: E402

QUICK_RUN_TIMEOUT_S = 900


class QuickRun(NamedTuple):
    out: Path  # the --out folder
    args: list  # the command line after ``jaxml repro``
    returncode: int
    stdout: str
    stderr: str


def quick_run_arguments(name: str) -> list:
    """``NAME --quick``, plus ``--set peer=False`` for a benchmark whose peer library (its
    ``PEER_MODULES``, the ``bench`` extra) is not installed here."""
    from jaxml import experiment

    module = experiment.load_experiment(name)
    peers = getattr(module, "PEER_MODULES", ())
    missing = [m for m in peers if importlib.util.find_spec(m) is None]
    return [name, "--quick", *(["--set", "peer=False"] if missing else [])]


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """``quick_run(name) -> QuickRun``: the session's one ``jaxml repro NAME --quick``."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "quick_runs"
    root.mkdir(exist_ok=True)

    def get(name: str) -> QuickRun:
        out, record = root / name, root / f"{name}.json"
        with open(root / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not record.exists():
                args = [*quick_run_arguments(name), "--out", str(out)]
                try:
                    proc = subprocess.run([sys.executable, "-m", "jaxml.cli", "repro", *args],
                                          capture_output=True, text=True,
                                          timeout=QUICK_RUN_TIMEOUT_S)
                    done = (proc.returncode, proc.stdout, proc.stderr)
                except subprocess.TimeoutExpired as err:
                    partial = err.stdout or b""
                    partial = partial.decode() if isinstance(partial, bytes) else partial
                    done = (-9, partial, f"timed out after {QUICK_RUN_TIMEOUT_S} s")
                record.write_text(json.dumps(dict(zip(("returncode", "stdout", "stderr"), done),
                                                  args=args)))
        return QuickRun(out=out, **json.loads(record.read_text()))

    return get
