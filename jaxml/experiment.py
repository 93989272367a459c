"""The experiment framework: configs, results.json, intervals, figures and the CLI.

An experiment is a module ``experiments/<name>.py`` (installed as
``jaxml.experiments.<name>``) with

* ``NAME``: its name;
* ``Config``: a frozen dataclass with ``quick()`` and ``full()`` classmethods (a
  ``seeds`` field where seeds matter); every field is read by ``run``;
* ``PAPER``: published numbers only, a flat ``{metric_name: value}`` dict, and
  ``PAPER_SOURCE``: ``{metric_name: citation}`` for each of them;
* ``TARGET`` (optional): goals an issue set, ``{metric_name: goal}`` where a goal is a
  number or a comparison string such as ``">= 0.6"`` (see :func:`target_met`);
* ``run(config, out_dir) -> dict``: does the work, writes ``results.json`` (via
  :func:`write_results`), PNG figures and a ``README.md`` whose sentences about the run are
  computed from its numbers.

Every ``results.json`` has the same top level so that runs compare across commits::

    {"experiment": name, "config": {...}, "metrics": {flat_name: number},
     "paper": {flat_name: number}, "paper_source": {flat_name: citation},
     "target": {flat_name: goal}, "seeds": n, "wall_time_s": t, "jax_version": v,
     "machine": {cpus, cpu_model, load_start, load_end, device, jax_version,
                 jaxlib_version},
     "provenance": {preset, git_commit, git_dirty}}

Intervals over seeds are Student-t: the half-width of the 95% interval of the mean of
``n`` values with sample standard deviation ``s`` is ``t_{0.975, n-1} · s / √n``; with one
seed there is no interval. ``t_{0.975, 1} = 12.7`` and ``t_{0.975, 2} = 4.30`` — the normal
approximation's 1.96 understates a 2- or 3-seed interval 6.5× or 2.2×.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import importlib.util
import inspect
import json
import math
import os
import pkgutil
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

EXPERIMENTS_PACKAGE = "jaxml.experiments"

# Optional dependencies an experiment may need, and the extra that installs each.
EXTRA_OF_MODULE = {
    "fastapi": "deploy",
    "uvicorn": "deploy",
    "httpx": "test",
    "aiohttp": "test",
    "gymnax": "rl",
    "six": "rl",
    "stable_baselines3": "bench",
    "gymnasium": "bench",
    "torch": "bench",
    "opacus": "bench",
    "xgboost": "bench",
    "lightgbm": "bench",
    "catboost": "bench",
    "hmmlearn": "test",
    "statsmodels": "test",
    "networkx": "test",
    "umap": "test",
    "openTSNE": "test",
}

TOP_LEVEL = ("experiment", "config", "metrics", "paper", "paper_source", "target", "seeds",
             "wall_time_s", "jax_version", "machine", "provenance")
MACHINE_FIELDS = ("cpus", "cpu_model", "load_start", "load_end", "device", "jax_version",
                  "jaxlib_version", "xla_threads")


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# What the current process is running: set by run_experiment; a module's run() called
# directly (as tests do) is recorded with preset "direct" and the load at import time.
_RUN = {"preset": "direct", "load_start": _load_average()}


# --- experiment modules -------------------------------------------------------------

def _package_path() -> list[str]:
    return list(importlib.import_module(EXPERIMENTS_PACKAGE).__path__)


def list_experiments() -> list[str]:
    """Names of the experiment modules (files of the package not starting with ``_``)."""
    return sorted(info.name for info in pkgutil.iter_modules(_package_path())
                  if not info.name.startswith("_"))


def describe_experiment(name: str) -> str:
    """First line of an experiment's docstring, read without importing it (so that
    ``jaxml repro --list`` works on the core install, without the optional extras)."""
    for folder in _package_path():
        path = Path(folder) / f"{name}.py"
        if path.exists():
            doc = ast.get_docstring(ast.parse(path.read_text())) or ""
            return doc.strip().splitlines()[0] if doc.strip() else ""
    raise ValueError(f"unknown experiment {name!r}; known: {', '.join(list_experiments())}")


def load_experiment(name: str):
    """Import ``jaxml.experiments.<name>``.

    Raises ValueError for an unknown name (listing the known ones) and ImportError naming
    the extra to install when the experiment needs an optional dependency.
    """
    known = list_experiments()
    if name not in known:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(known)}")
    try:
        module = importlib.import_module(f"{EXPERIMENTS_PACKAGE}.{name}")
    except ModuleNotFoundError as err:
        missing = (err.name or "").split(".")[0]
        extra = EXTRA_OF_MODULE.get(missing)
        if extra is None:
            raise
        raise ImportError(f"experiment {name!r} needs {missing!r}, from jaxml's {extra!r} extra: "
                          f"pip install -e \".[{extra}]\"") from err
    for attr in ("NAME", "Config", "run", "PAPER"):
        if not hasattr(module, attr):
            raise TypeError(f"{EXPERIMENTS_PACKAGE}.{name} has no {attr}; it is not an experiment")
    return module


def parse_override(text: str) -> tuple[str, Any]:
    """``"FIELD=VALUE"`` → ``(FIELD, VALUE)``; VALUE is a Python literal (``False``, ``3``,
    ``1e-3``, ``(8, 16)``) or, failing that, the string itself."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ValueError(f"--set expects FIELD=VALUE, got {text!r}")
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        value = raw.strip()
    return name.strip(), value


def _check_override(config, name: str, value: Any) -> Any:
    """``value`` for field ``name`` of ``config``, of the preset value's type (an int is
    accepted for a float, a list for a tuple)."""
    fields = {f.name for f in dataclasses.fields(config)}
    if name not in fields:
        raise ValueError(f"{type(config).__module__}.Config has no field {name!r}; "
                         f"fields: {', '.join(sorted(fields))}")
    current = getattr(config, name)
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(current, tuple) and isinstance(value, list):
        value = tuple(value)
    if current is not None and type(value) is not type(current):
        raise ValueError(f"{name} must be of type {type(current).__name__}, like the "
                         f"preset's {current!r}; got {value!r}")
    return value


def require_modules(experiment: str, modules: tuple[str, ...], *, instead: str = "") -> None:
    """Raise ImportError, naming the extra to install, if any of ``modules`` (a peer a run
    compares against, imported only inside worker processes) is not installed; called
    before the run starts, so a missing peer fails at once rather than in a worker."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    extras = sorted({EXTRA_OF_MODULE[m] for m in missing if m in EXTRA_OF_MODULE})
    how = (f"from jaxml's {'/'.join(map(repr, extras))} extra: pip install -e "
           f"\".[{','.join(extras)}]\"" if extras else "which jaxml does not install")
    raise ImportError(f"experiment {experiment!r} needs {', '.join(map(repr, missing))}, "
                      f"{how}" + (f"; or {instead}" if instead else ""))


def make_config(module, *, quick: bool, seeds: int | None = None,
                overrides: Mapping[str, Any] | None = None):
    """``Config.quick()`` or ``Config.full()``, with ``seeds`` and any other fields in
    ``overrides`` replaced (each checked against the preset value's type; ``Config``'s own
    checks then run on the result)."""
    config = module.Config.quick() if quick else module.Config.full()
    if seeds is not None:
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
        if not any(f.name == "seeds" for f in dataclasses.fields(config)):
            raise ValueError(f"{module.__name__}.Config has no 'seeds' field")
        config = dataclasses.replace(config, seeds=seeds)
    changes = {name: _check_override(config, name, value)
               for name, value in (overrides or {}).items()}
    if changes:
        try:
            config = dataclasses.replace(config, **changes)
        except TypeError as err:  # Config.__post_init__'s own checks
            raise ValueError(str(err)) from err
    return config


def preset_label(*, quick: bool, seeds: int | None = None,
                 overrides: Mapping[str, Any] | None = None) -> str:
    """``full``, ``quick``, or either with what was changed: ``quick+seeds=3+peer=False``."""
    label = "quick" if quick else "full"
    if seeds is not None:
        label += f"+seeds={seeds}"
    for name, value in (overrides or {}).items():
        label += f"+{name}={value!r}"
    return label


def default_out_dir(name: str, *, quick: bool) -> Path:
    """Full runs regenerate ``paper_repro/<name>``; quick runs go to ``runs/<name>_quick``."""
    return Path("runs") / f"{name}_quick" if quick else Path("paper_repro") / name


def run_experiment(name: str, *, quick: bool = False, out_dir: str | Path | None = None,
                   seeds: int | None = None, overrides: Mapping[str, Any] | None = None) -> dict:
    """Run one experiment by name (the preset, and anything changed in it, is recorded in
    results.json)."""
    module = load_experiment(name)
    config = make_config(module, quick=quick, seeds=seeds, overrides=overrides)
    out = Path(out_dir) if out_dir is not None else default_out_dir(name, quick=quick)
    out.mkdir(parents=True, exist_ok=True)
    _RUN.update(preset=preset_label(quick=quick, seeds=seeds, overrides=overrides),
                load_start=_load_average())
    try:
        return module.run(config, out)
    finally:
        _RUN.update(preset="direct")


def unused_config_fields(module) -> list[str]:
    """Fields of ``module.Config`` that the module never reads.

    A field counts as read when ``<something>.<field>`` (or ``getattr(x, "<field>")``)
    appears in the module outside the ``Config`` class; passing ``config.seeds`` on to
    :func:`write_results` does not count, since that only labels the run.
    """
    tree = ast.parse(inspect.getsource(module))
    fields = {f.name for f in dataclasses.fields(module.Config)}
    read: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_ClassDef(self, node):
            if node.name != "Config":
                self.generic_visit(node)
            else:  # methods of Config may use fields (derived properties): count those
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not any(
                            isinstance(d, ast.Name) and d.id == "classmethod"
                            for d in item.decorator_list):
                        self.generic_visit(item)

        def visit_Call(self, node):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == "getattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                read.add(node.args[1].value)
            if called == "write_results":
                for kw in node.keywords:
                    if kw.arg != "seeds":
                        self.visit(kw.value)
                for arg in node.args:
                    self.visit(arg)
                return
            self.generic_visit(node)

        def visit_Attribute(self, node):
            read.add(node.attr)
            self.generic_visit(node)

    Visitor().visit(tree)
    return sorted(fields - read)


# --- statistics over seeds ----------------------------------------------------------

def t_quantile(dof: int, confidence: float = 0.95) -> float:
    """``t_{(1+c)/2, dof}``: the two-sided Student-t critical value."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2, dof))


def ci95(values: Any, axis: int = 0) -> np.ndarray | float:
    """Half-width of the Student-t 95% interval of the mean along ``axis``.

    ``t_{0.975, n-1} · s / √n`` with ``s`` the sample standard deviation (ddof = 1); NaN
    when ``n < 2`` (one seed has no interval). NaN entries propagate: use
    :func:`seed_summary` when some seeds may have failed.
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    if n < 2:
        out = np.full(np.delete(values.shape, axis), np.nan)
        return float(out) if out.ndim == 0 else out
    half = t_quantile(n - 1) * values.std(axis=axis, ddof=1) / np.sqrt(n)
    return float(half) if np.ndim(half) == 0 else half


class SeedSummary(NamedTuple):
    """Statistics of a per-seed quantity over the seeds that produced a finite value."""

    mean: float
    ci95: float  # NaN when fewer than two seeds are finite
    n: int  # seeds with a finite value
    n_failed: int  # seeds whose value is NaN/inf (failed or dropped), counted, not hidden


def seed_summary(values: Any) -> SeedSummary:
    """Mean and Student-t half-width over the finite entries of a 1-D per-seed array."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("values must hold at least one seed")
    finite = values[np.isfinite(values)]
    mean = float(finite.mean()) if finite.size else float("nan")
    half = ci95(finite) if finite.size >= 2 else float("nan")
    return SeedSummary(mean, float(half), int(finite.size), int(values.size - finite.size))


def format_mean_ci(values: Any, digits: int = 3, *, scale: float = 1.0) -> str:
    """``"0.926 ± 0.005 (n=5)"``; ``"0.926 (n=1)"`` for one seed; failures are named.

    ``scale`` multiplies the numbers (100 for percentages).
    """
    s = seed_summary(values)
    if s.n == 0:
        return f"— (all {s.n_failed} seeds failed)"
    text = f"{s.mean * scale:.{digits}f}"
    if s.n >= 2:
        text += f" ± {s.ci95 * scale:.{digits}f}"
    text += f" (n={s.n}"
    text += f", {s.n_failed} failed)" if s.n_failed else ")"
    return text


def seed_metrics(name: str, values: Any) -> dict[str, float | int]:
    """Flat metrics for a per-seed quantity ``<stem>/<rest>``: the mean under ``name``,
    and ``<stem>_ci95/<rest>``, ``<stem>_n/<rest>``, ``<stem>_failed/<rest>`` beside it."""
    stem, sep, rest = name.partition("/")
    s = seed_summary(values)
    return {name: s.mean, f"{stem}_ci95{sep}{rest}": s.ci95, f"{stem}_n{sep}{rest}": s.n,
            f"{stem}_failed{sep}{rest}": s.n_failed}


def run_seeds(name: str, seeds: int, run_seed: Callable[[int], tuple[Mapping[str, float], Any]]
              ) -> tuple[dict[str, np.ndarray], Any]:
    """Call ``run_seed(seed) -> (metrics, trace)`` for ``seed = 0 .. seeds - 1`` under a
    progress bar named ``name``; return ``{metric: (seeds,) float array}`` and the first
    seed's trace (what the figures draw). Every seed must report the same metrics."""
    from tqdm import tqdm

    columns: dict[str, list[float]] = {}
    first_trace = None
    for seed in tqdm(range(seeds), desc=name, disable=None):
        metrics, trace = run_seed(seed)
        if seed == 0:
            first_trace = trace
        elif set(metrics) != set(columns):
            raise ValueError(f"seed {seed} of {name} reported metrics {sorted(metrics)}, "
                             f"seed 0 reported {sorted(columns)}")
        for key, value in metrics.items():
            columns.setdefault(key, []).append(value)
    return {k: np.asarray(v, float) for k, v in columns.items()}, first_trace


def mean_over_seeds(per_seed: Sequence[Mapping[str, float]],
                    headline_stems: Sequence[str]) -> dict[str, float]:
    """Mean of every metric over per-seed dicts (the same keys in each); metrics whose
    stem (the part before the first ``/``) is in ``headline_stems`` also get their
    Student-t interval, n and failure count (:func:`seed_metrics`)."""
    out: dict[str, float] = {}
    for key in per_seed[0]:
        values = [m[key] for m in per_seed]
        if key.split("/", 1)[0] in headline_stems:
            out.update(seed_metrics(key, values))
        else:
            out[key] = float(np.mean(values))
    return out


def target_met(value: float | None, goal: float | str) -> bool | None:
    """Whether ``value`` meets ``goal``: a number (met when equal within 1e-9) or a
    comparison string ``">= 0.6"``, ``"<= 0.05"``, ``"> x"``, ``"< x"``. None when the value
    is undefined."""
    if value is None or not math.isfinite(value):
        return None
    if isinstance(goal, str):
        for op, test in ((">=", float.__ge__), ("<=", float.__le__), (">", float.__gt__),
                         ("<", float.__lt__)):
            if goal.strip().startswith(op):
                return bool(test(float(value), float(goal.strip()[len(op):])))
        raise ValueError(f"goal must be a number or start with >=, <=, > or <; got {goal!r}")
    return abs(float(value) - float(goal)) <= 1e-9


# --- results.json -------------------------------------------------------------------

def goal_cell(targets: Mapping[str, str], metrics: Mapping[str, Any], name: str) -> str:
    """A README table cell: the goal set for ``name`` and whether the run's value meets it
    (``"—"`` when no goal is set)."""
    if name not in targets:
        return "—"
    met = target_met(metrics.get(name), targets[name])
    return f"{targets[name]} ({'met' if met else 'not met' if met is not None else 'undefined'})"


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
    import jax

    def convert(v):
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: convert(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, Mapping):
            return {str(k): convert(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [convert(x) for x in v]
        if isinstance(v, (np.ndarray, jax.Array)):
            return convert(np.round(np.asarray(v, dtype=float), 6).tolist())
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None  # strict JSON has no NaN/inf
        return v
    return convert(config)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """The machine a run used: CPUs, load average (1/5/15 min) at start and end, devices."""
    import jax
    import jaxlib

    devices = jax.devices()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_start": _RUN["load_start"],
        "load_end": _load_average(),
        "device": f"{len(devices)} x {devices[0].platform}:{devices[0].device_kind}",
        "jax_version": jax.__version__,
        "jaxlib_version": jaxlib.__version__,
        # PJRT_NPROC caps XLA's CPU intra-op threads (jaxml sets 1 on jaxlib releases whose
        # batched LAPACK kernels can deadlock, unless the user chose; see jaxml/__init__.py)
        "xla_threads": os.environ.get("PJRT_NPROC") or os.environ.get("NPROC") or "default",
    }


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parents[1])
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def provenance() -> dict:
    """The preset (full / quick / direct) and the commit of the code that produced a run."""
    status = _git("status", "--porcelain", "--untracked-files=no", "--", "jaxml", "experiments")
    return {"preset": _RUN["preset"], "git_commit": _git("rev-parse", "HEAD"),
            "git_dirty": None if status is None else bool(status)}


def write_results(out_dir: str | Path, *, experiment: str, config: Any,
                  metrics: Mapping[str, Any], paper: Mapping[str, Any],
                  paper_source: Mapping[str, str] | None = None,
                  target: Mapping[str, float | str] | None = None, seeds: int,
                  wall_time_s: float, extra: Mapping[str, Any] | None = None) -> dict:
    """Write ``out_dir/results.json`` with the project-wide top level; return the dict.

    ``metrics`` and ``paper`` are flat ``{name: scalar}``; every ``paper`` entry needs its
    citation in ``paper_source``; ``target`` holds goals (see :func:`target_met`); ``extra``
    holds anything else worth keeping (curves as lists) under the key ``"extra"``.
    """
    paper_source = dict(paper_source or {})
    missing = sorted(set(paper) - set(paper_source))
    if missing:
        raise ValueError(f"paper_source must cite every paper number; missing: {missing}")
    machine = machine_info()
    results = {
        "experiment": experiment,
        "config": config_dict(config),
        "metrics": {k: _to_number(v) for k, v in metrics.items()},
        "paper": {k: _to_number(v) for k, v in paper.items()},
        "paper_source": {k: str(paper_source[k]) for k in paper},
        "target": {k: (v if isinstance(v, str) else _to_number(v))
                   for k, v in (target or {}).items()},
        "seeds": int(seeds),
        "wall_time_s": round(float(wall_time_s), 3),
        "jax_version": machine["jax_version"],
        "machine": machine,
        "provenance": provenance(),
    }
    if extra:
        results["extra"] = config_dict(dict(extra))
    validate_results(results)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=False, allow_nan=False) + "\n")
    return results


def validate_results(results: Mapping[str, Any]) -> None:
    """Check a results dict against the project-wide schema; ValueError says what is wrong."""
    def fail(msg):
        raise ValueError(f"results.json: {msg}")

    for key in TOP_LEVEL:
        if key not in results:
            fail(f"missing top-level key {key!r}")
    if not isinstance(results["experiment"], str) or not results["experiment"]:
        fail("'experiment' must be a non-empty string")
    if not isinstance(results["config"], dict):
        fail("'config' must be an object")
    for block in ("metrics", "paper"):
        for name, value in results[block].items():
            if not isinstance(name, str) or not (value is None or isinstance(value, (int, float))):
                fail(f"{block}[{name!r}] must be a number or null, got {value!r}")
    for name in results["paper"]:
        source = results["paper_source"].get(name)
        if not isinstance(source, str) or not source.strip():
            fail(f"paper[{name!r}] has no citation in paper_source")
    for name, goal in results["target"].items():
        if isinstance(goal, str):
            target_met(0.0, goal)  # raises on a malformed goal
        elif not isinstance(goal, (int, float)):
            fail(f"target[{name!r}] must be a number or a comparison string, got {goal!r}")
    if not isinstance(results["seeds"], int) or results["seeds"] < 1:
        fail(f"'seeds' must be an integer >= 1, got {results['seeds']!r}")
    if not isinstance(results["wall_time_s"], (int, float)) or results["wall_time_s"] < 0:
        fail("'wall_time_s' must be a non-negative number")
    machine = results["machine"]
    for key in MACHINE_FIELDS:
        if key not in machine:
            fail(f"machine has no {key!r}")
    if results["provenance"].get("preset") is None:
        fail("provenance has no preset")


# --- README helpers -----------------------------------------------------------------

def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table."""
    def cell(x):
        if isinstance(x, float):
            return f"{x:.4g}"
        return str(x)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(results: Mapping[str, Any]) -> str:
    """One README sentence on where and how the run was made, from results.json."""
    m, p = results["machine"], results["provenance"]
    load = lambda x: "unknown" if x is None else f"{x[0]:.2f}"  # noqa: E731
    commit = (p.get("git_commit") or "unknown")[:10] + (" (uncommitted changes)" if p.get("git_dirty") else "")
    return (f"Run ({p['preset']} preset) at commit {commit} on {m['cpus']} × {m['cpu_model']} "
            f"({m['device']}, XLA CPU threads: {m.get('xla_threads', 'default')}), jax "
            f"{m['jax_version']}; 1-minute load average "
            f"{load(m['load_start'])} at the start, {load(m['load_end'])} at the end; "
            f"{results['wall_time_s']:.0f} s in all.")


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
    import jax

    return jax.block_until_ready(tree)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """``(seconds, result)`` of one call of ``fn``, its JAX arrays waited for."""
    start = time.perf_counter()
    out = block(fn())
    return time.perf_counter() - start, out


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Best wall time of ``repeats`` (at least one) calls of ``fn`` and the last result."""
    best, out = float("inf"), None
    for _ in range(max(int(repeats), 1)):
        seconds, out = timed(fn)
        best = min(best, seconds)
    return best, out


def first_and_steady(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """``(first, steady, result)`` of a jitted ``fn``, the way benchmarks report it.

    ``first`` is the first call after ``jax.clear_caches()`` — trace + compile + run, what
    a user waits for in a fresh process (a persistent compilation cache, if configured,
    can still serve it); ``steady`` is the best of ``repeats`` further calls.
    """
    import jax

    jax.clear_caches()
    first, _ = timed(fn)
    steady, out = best_time(fn, repeats)
    return first, steady, out


def save_figure(fig, out_dir: str | Path, filename: str) -> Path:
    """Save a matplotlib figure as PNG (dpi 120) and close it."""
    import matplotlib.pyplot as plt

    path = Path(out_dir) / filename
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


# --- command line -------------------------------------------------------------------

def add_repro_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``jaxml repro`` (shared by ``python -m experiments.NAME``)."""
    parser.add_argument("name", nargs="?", help="experiment name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the experiments")
    parser.add_argument("--quick", action="store_true", help="the small preset (minutes)")
    parser.add_argument("--out", help="output folder (default paper_repro/NAME, or runs/NAME_quick)")
    parser.add_argument("--seeds", type=int, help="number of seeds (overrides the preset)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        dest="overrides", help="change one Config field of the preset "
                        "(repeatable), e.g. --set peer=False")
    parser.add_argument("--track", action="store_true", help="log the run to MLflow (a SQLite store under "
                        "OUT/mlruns; the deploy extra)")


def repro_command(args: argparse.Namespace) -> int:
    """Run ``jaxml repro``; returns the process exit code (0 ok, 2 bad usage)."""
    if args.list or args.name is None:
        for name in list_experiments():
            print(f"{name:24s} {describe_experiment(name)}")
        return 0
    try:
        module = load_experiment(args.name)
        overrides = dict(parse_override(text) for text in args.overrides)
        config = make_config(module, quick=args.quick, seeds=args.seeds, overrides=overrides)
    except (ValueError, ImportError) as err:
        print(f"jaxml repro: {err}", file=sys.stderr)
        return 2
    if args.track and importlib.util.find_spec("mlflow") is None:
        print('jaxml repro: --track needs MLflow, from jaxml\'s "deploy" extra: pip install -e ".[deploy]"',
              file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else default_out_dir(args.name, quick=args.quick)
    print(f"[jaxml] {args.name} ({'quick' if args.quick else 'full'}): {config}", flush=True)
    start = time.perf_counter()
    try:
        results = run_experiment(args.name, quick=args.quick, out_dir=out, seeds=args.seeds,
                                 overrides=overrides)
    except ImportError as err:  # a peer the run needs (see require_modules)
        print(f"jaxml repro: {err}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    for key, value in sorted(results.get("metrics", {}).items()):
        print(f"  {key:40s} {value}")
    print(f"[jaxml] done in {elapsed:.1f}s; results in {out.resolve()}", flush=True)
    if args.track:
        from jaxml.deploy.tracking import local_store, log_results

        run_id = log_results(results, out)
        print(f"[jaxml] logged to MLflow run {run_id} in {local_store(out)[0]}", flush=True)
    return 0


def repro_main(argv: list[str] | None = None) -> int:
    """``repro`` on its own: ``[NAME] [--list] [--quick] [--out DIR] [--seeds N]
    [--set FIELD=VALUE ...]``."""
    parser = argparse.ArgumentParser(prog="jaxml repro")
    add_repro_arguments(parser)
    return repro_command(parser.parse_args(argv))


def main_for(module_name: str) -> None:
    """``python -m experiments.<name> [--quick] [--out DIR] [--seeds N]``: runs it and exits
    with the command's exit code. Run as a script, ``__name__`` is ``"__main__"``; the
    module's real name is then in ``__spec__``."""
    if module_name == "__main__":
        module_name = sys.modules["__main__"].__spec__.name
    sys.exit(repro_main([module_name.rsplit(".", 1)[-1], *sys.argv[1:]]))
