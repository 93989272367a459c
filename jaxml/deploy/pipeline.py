"""Declarative pipelines whose stages are cached under the hash of their code, config and inputs.

A pipeline is a list of :class:`Stage` s; a stage is a pure function ``fn(config, **inputs)``
of its JSON config and the outputs of the stages it names in ``inputs``. Its cache key is

    key(stage) = sha256( module.qualname of fn ‖ source text of fn ‖ canonical JSON of config
                         ‖ [(name, key(input)) for every input] ),

so a key changes exactly when the stage's code or config changes or when any stage upstream
changes (the keys chain like a Merkle tree): re-running a pipeline executes only the stages
whose key has no cached output, i.e. the changed stages and everything that depends on them.

Cache layout (one folder per stage run, nothing pickled)::

    CACHE/<stage>/<key>/output.msgpack   flax.serialization.msgpack_serialize(output)
    CACHE/<stage>/<key>/lineage.json     stage, key, code hash, config, input keys, output sha256,
                                         seconds, jaxml and jax versions

Every output is returned as read back from its ``output.msgpack`` — dicts, lists (tuples
become lists), numpy arrays, numbers and strings — whether the stage ran or was cached, so the two paths give the same values *and*
types. An output whose bytes no longer match its lineage's sha256 is refused.

What the key does not see: helper functions a stage calls (only its own source is hashed) and
data read from outside the inputs; pass such things through ``config`` or bump
``Stage.version``. Stage functions must not be closures, whose captured values the source
text does not show.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jax
import numpy as np
from flax import serialization
from tqdm.auto import tqdm

from jaxml.deploy.export import library_versions

OUTPUT, LINEAGE = "output.msgpack", "lineage.json"


class Stage(NamedTuple):
    """One step: ``fn(config, **{name: output of stage name for name in inputs})``."""

    name: str
    fn: Callable[..., Any]
    config: Mapping[str, Any] = {}
    inputs: tuple[str, ...] = ()
    version: str = ""  # bump to invalidate the cache for changes the key cannot see


class StageRun(NamedTuple):
    """What happened to one stage in :func:`run_pipeline`."""

    name: str
    key: str
    cached: bool
    seconds: float  # of this call (reading the cache when ``cached``)


class PipelineResult(NamedTuple):
    outputs: dict[str, Any]
    runs: tuple[StageRun, ...]

    @property
    def executed(self) -> tuple[str, ...]:
        """Names of the stages that ran (not read from the cache), in execution order."""
        return tuple(r.name for r in self.runs if not r.cached)


def _canonical_config(stage: Stage) -> str:
    try:
        return json.dumps(dict(stage.config), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"stage {stage.name!r}: config must be JSON (numbers, strings, bools, None, lists, "
                        f"dicts with string keys), got {dict(stage.config)!r} ({err})") from None


def code_fingerprint(fn: Callable) -> str:
    """sha256 of ``module.qualname`` and the source text of ``fn`` (a closure is refused)."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {fn!r}")
    if getattr(fn, "__closure__", None):
        free = ", ".join(fn.__code__.co_freevars)
        raise ValueError(f"{fn.__qualname__} is a closure over {free}: captured values are not part of the "
                         "cache key; define it at module level and pass them through config")
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError) as err:
        raise ValueError(f"the source of {fn!r} cannot be read, so it cannot be part of the cache key: {err}") from None
    return hashlib.sha256(f"{fn.__module__}.{fn.__qualname__}\n{source}".encode()).hexdigest()


def topological_order(stages: Sequence[Stage]) -> list[Stage]:
    """The stages ordered so that every stage comes after its inputs (Kahn's algorithm, ties
    kept in the given order); unknown inputs, duplicate names and cycles are errors."""
    by_name: dict[str, Stage] = {}
    for stage in stages:
        if not isinstance(stage, Stage):
            raise TypeError(f"stages must be Stage objects, got {stage!r}")
        if stage.name in by_name:
            raise ValueError(f"two stages are named {stage.name!r}")
        by_name[stage.name] = stage
    for stage in stages:
        unknown = [i for i in stage.inputs if i not in by_name]
        if unknown:
            raise ValueError(f"stage {stage.name!r} takes unknown inputs {unknown}; stages: {list(by_name)}")
    order, done = [], set()
    while len(order) < len(stages):
        ready = [s for s in stages if s.name not in done and all(i in done for i in s.inputs)]
        if not ready:
            stuck = sorted(s.name for s in stages if s.name not in done)
            raise ValueError(f"the pipeline has a cycle among the stages {stuck}")
        order.extend(ready)
        done.update(s.name for s in ready)
    return order


def stage_keys(stages: Sequence[Stage]) -> dict[str, str]:
    """Every stage's cache key (module docstring), in topological order."""
    keys: dict[str, str] = {}
    for stage in topological_order(stages):
        record = {"code": code_fingerprint(stage.fn), "config": _canonical_config(stage), "version": stage.version,
                  "inputs": [[name, keys[name]] for name in stage.inputs]}
        keys[stage.name] = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    return keys


def _needed(stages: Sequence[Stage], targets: Sequence[str] | None) -> set[str]:
    by_name = {s.name: s for s in stages}
    if targets is None:
        return set(by_name)
    unknown = [t for t in targets if t not in by_name]
    if unknown:
        raise ValueError(f"targets {unknown} are not stages; stages: {list(by_name)}")
    needed, todo = set(), list(targets)
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(by_name[name].inputs)
    return needed


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _as_msgpack_tree(value: Any) -> Any:
    """Tuples (named ones included) as lists, recursively: msgpack stores lists, not tuples."""
    if isinstance(value, dict):
        return {k: _as_msgpack_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_msgpack_tree(v) for v in value]
    return value


def _serialize(stage: Stage, output: Any) -> bytes:
    try:
        return serialization.msgpack_serialize(_as_msgpack_tree(jax.device_get(output)))
    except (TypeError, ValueError) as err:
        raise TypeError(f"stage {stage.name!r} returned {type(output).__name__}, which msgpack cannot store: "
                        f"return dicts, lists, arrays, numbers and strings ({err})") from None


def _read_output(folder: Path) -> Any:
    lineage = json.loads((folder / LINEAGE).read_text())
    data = (folder / OUTPUT).read_bytes()
    if hashlib.sha256(data).hexdigest() != lineage["output_sha256"]:
        raise ValueError(f"{folder / OUTPUT} does not match the sha256 in its {LINEAGE}: the cache was altered; "
                         "delete the folder to recompute it")
    return serialization.msgpack_restore(data)


def read_lineage(cache_dir: str | Path, stage: str, key: str) -> dict:
    """The lineage record of one cached stage output."""
    path = Path(cache_dir) / stage / key / LINEAGE
    if not path.exists():
        raise FileNotFoundError(f"no cached output of stage {stage!r} under key {key[:12]}… in {cache_dir}")
    return json.loads(path.read_text())


def run_pipeline(stages: Sequence[Stage], cache_dir: str | Path, *, targets: Sequence[str] | None = None,
                 progress: bool | None = None) -> PipelineResult:
    """Run the stages needed for ``targets`` (default: all) in dependency order, each one
    read from ``cache_dir`` when its key (module docstring) has a cached output and
    executed and cached otherwise."""
    cache_dir = Path(cache_dir)
    order = topological_order(stages)
    keys = stage_keys(stages)
    needed = _needed(stages, targets)
    outputs: dict[str, Any] = {}
    runs = []
    todo = [s for s in order if s.name in needed]
    for stage in tqdm(todo, desc="pipeline", disable=None if progress is None else not progress):
        key, folder = keys[stage.name], cache_dir / stage.name / keys[stage.name]
        start = time.perf_counter()
        cached = (folder / LINEAGE).exists()
        if not cached:
            kwargs = {name: outputs[name] for name in stage.inputs}
            output = stage.fn(dict(stage.config), **kwargs)
            seconds = time.perf_counter() - start
            data = _serialize(stage, output)
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomic(folder / OUTPUT, data)
            lineage = {"stage": stage.name, "key": key, "code_sha256": code_fingerprint(stage.fn),
                       "function": f"{stage.fn.__module__}.{stage.fn.__qualname__}", "config": dict(stage.config),
                       "version": stage.version, "inputs": {name: keys[name] for name in stage.inputs},
                       "output_sha256": hashlib.sha256(data).hexdigest(), "seconds": seconds, **library_versions()}
            _write_atomic(folder / LINEAGE, json.dumps(lineage, indent=1).encode())
        outputs[stage.name] = _read_output(folder)
        runs.append(StageRun(stage.name, key, cached, time.perf_counter() - start))
    return PipelineResult(outputs, tuple(runs))


def outputs_equal(a: Any, b: Any) -> bool:
    """Bit-for-bit equality of two stage outputs (same tree, dtypes, shapes and bytes)."""
    leaves_a, tree_a = jax.tree.flatten(a)
    leaves_b, tree_b = jax.tree.flatten(b)
    if tree_a != tree_b:
        return False
    for x, y in zip(leaves_a, leaves_b):
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
            return False
    return True
