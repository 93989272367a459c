"""The experiment framework: configs, results.json, figures and the reproduction README.

An experiment is a module ``experiments/<name>.py`` with

* ``Config``: a frozen dataclass with ``quick()`` and ``full()`` classmethods and a
  ``seeds`` field;
* ``PAPER``: the published numbers, a flat ``{metric_name: value}`` dict;
* ``run(config, out_dir) -> dict``: does the work, writes ``results.json`` (via
  :func:`write_results`), PNG figures and ``README.md`` into ``out_dir``, and returns the
  results dict.

Every ``results.json`` has the same top level so that runs compare across commits::

    {"experiment": name, "config": {...}, "metrics": {flat_name: number},
     "paper": {flat_name: number}, "seeds": n, "wall_time_s": t, "jax_version": v}
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import pkgutil
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np

EXPERIMENTS_PACKAGE = "experiments"


def default_out_dir(name: str, *, quick: bool) -> Path:
    """Full runs regenerate ``paper_repro/<name>``; quick runs go to ``runs/<name>_quick``."""
    return Path("runs") / f"{name}_quick" if quick else Path("paper_repro") / name


def list_experiments() -> list[str]:
    """Names of the experiment modules (those defining ``Config`` and ``run``)."""
    package = importlib.import_module(EXPERIMENTS_PACKAGE)
    names = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        names.append(info.name)
    return sorted(names)


def load_experiment(name: str):
    """Import ``experiments.<name>``; a clear error lists the known names."""
    known = list_experiments()
    if name not in known:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(known)}")
    module = importlib.import_module(f"{EXPERIMENTS_PACKAGE}.{name}")
    for attr in ("Config", "run"):
        if not hasattr(module, attr):
            raise TypeError(f"experiments.{name} has no {attr}; it is not an experiment")
    return module


def make_config(module, *, quick: bool, seeds: int | None = None):
    """``Config.quick()`` or ``Config.full()``, with ``seeds`` overridden if given."""
    config = module.Config.quick() if quick else module.Config.full()
    if seeds is not None:
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}")
        if not any(f.name == "seeds" for f in dataclasses.fields(config)):
            raise ValueError(f"{module.__name__}.Config has no 'seeds' field")
        config = dataclasses.replace(config, seeds=seeds)
    return config


def run_experiment(name: str, *, quick: bool = False, out_dir: str | Path | None = None,
                   seeds: int | None = None) -> dict:
    """Run one experiment by name and return its results dict."""
    module = load_experiment(name)
    config = make_config(module, quick=quick, seeds=seeds)
    out = Path(out_dir) if out_dir is not None else default_out_dir(name, quick=quick)
    out.mkdir(parents=True, exist_ok=True)
    return module.run(config, out)


def _to_number(value: Any) -> float | int | None:
    value = np.asarray(value)
    if value.size != 1:
        raise ValueError(f"metrics must be scalars, got shape {value.shape}")
    value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; None marks "not defined"
    return value


def config_dict(config: Any) -> dict:
    """A JSON-ready dict of a (possibly nested) dataclass config."""
    def convert(v):
        if dataclasses.is_dataclass(v):
            return {f.name: convert(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, Mapping):
            return {str(k): convert(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [convert(x) for x in v]
        if isinstance(v, (np.ndarray, jax.Array)):
            return np.round(np.asarray(v, dtype=float), 6).tolist()
        if isinstance(v, np.generic):
            return v.item()
        return v
    return convert(config)


def write_results(out_dir: str | Path, *, experiment: str, config: Any,
                  metrics: Mapping[str, Any], paper: Mapping[str, Any], seeds: int,
                  wall_time_s: float, extra: Mapping[str, Any] | None = None) -> dict:
    """Write ``out_dir/results.json`` with the project-wide top level; return the dict.

    ``metrics`` and ``paper`` must be flat ``{name: scalar}``; ``extra`` holds anything
    else worth keeping (curves as lists) under the key ``"extra"``.
    """
    results = {
        "experiment": experiment,
        "config": config_dict(config),
        "metrics": {k: _to_number(v) for k, v in metrics.items()},
        "paper": {k: _to_number(v) for k, v in paper.items()},
        "seeds": int(seeds),
        "wall_time_s": round(float(wall_time_s), 3),
        "jax_version": jax.__version__,
    }
    if extra:
        results["extra"] = config_dict(dict(extra))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    return results


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table."""
    def cell(x):
        if isinstance(x, float):
            return f"{x:.4g}"
        return str(x)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def ci95(values: Any, axis: int = 0) -> np.ndarray:
    """Half-width of the normal-approximation 95% CI of the mean: 1.96·s/√n."""
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    if n < 2:
        return np.zeros(np.delete(values.shape, axis))
    return 1.96 * values.std(axis=axis, ddof=1) / np.sqrt(n)


class Timer:
    """``with Timer() as t: ...; t.seconds`` — wall time of a block."""

    def __enter__(self):
        self._start = time.perf_counter()
        self.seconds = float("nan")
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        return False


def block(tree: Any) -> Any:
    """Wait for every array in ``tree`` (for honest timings)."""
    return jax.block_until_ready(tree)


def save_figure(fig, out_dir: str | Path, filename: str) -> Path:
    """Save a matplotlib figure as PNG (dpi 120) and close it."""
    import matplotlib.pyplot as plt

    path = Path(out_dir) / filename
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def main_for(module_name: str) -> None:
    """``python -m experiments.<name> [--quick] [--out DIR] [--seeds N]``."""
    from jaxml.cli import main

    main(["repro", module_name.rsplit(".", 1)[-1], *__import__("sys").argv[1:]])
