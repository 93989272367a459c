"""Experiment tracking and a model registry through MLflow, with a local store by default.

The default store of a run folder ``OUT`` is a SQLite database ``OUT/mlruns/mlflow.db``
(tracking and registry; MLflow ≥ 3.13 refuses its old file store unless told otherwise)
with artifacts under ``OUT/mlruns/artifacts`` — no server. ``jaxml repro NAME --track``
logs the run's ``results.json`` through :func:`log_results`; open the store with
``mlflow ui --backend-store-uri sqlite:///OUT/mlruns/mlflow.db``.

What one run holds: every config field as a param (values as ``repr`` text where they are
not strings), every metric of ``results["metrics"]`` at step 0, optional per-step series
(``history``: name → values, logged at steps 0, 1, …), tags for the experiment, preset, git
commit and versions, and every file of the run folder as an artifact. MLflow accepts only
alphanumerics and ``_ - . : / space`` in names; other characters become ``_`` and the
original names are kept in the artifact ``metric_names.json``.

Registry: :func:`register_model` makes a version of a registered model from an artifact
folder of a run (e.g. an exported model, :mod:`jaxml.deploy.export`) and can point an
alias (``champion``, ``canary``) at it; :func:`model_version_for_alias` resolves it.
MLflow is in the ``deploy`` extra.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

STORE_FOLDER = "mlruns"
_INVALID = re.compile(r"[^A-Za-z0-9_\-.:/ ]")


def _mlflow():
    try:
        import mlflow  # noqa: F401
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ImportError('tracking needs MLflow, from jaxml\'s "deploy" extra: pip install -e ".[deploy]"') from None
    return MlflowClient


def local_store(out_dir: str | Path) -> tuple[str, str]:
    """``(tracking_uri, artifact_root)`` of the SQLite store under ``out_dir/mlruns``."""
    folder = Path(out_dir).resolve() / STORE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}", (folder / "artifacts").as_uri()


def client_for(tracking_uri: str):
    """An ``MlflowClient`` whose tracking and registry both use ``tracking_uri``."""
    return _mlflow()(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _experiment_id(client, name: str, artifact_root: str | None) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None if artifact_root is None else f"{artifact_root}/{name}"
    return client.create_experiment(name, artifact_location=location)


def mlflow_name(name: str) -> str:
    """``name`` with every character MLflow refuses in a metric or param name as ``_``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a metric or param name must be a non-empty string, got {name!r}")
    return _INVALID.sub("_", name)


def _renamed(names: Sequence[str], kind: str) -> dict[str, str]:
    mapping = {n: mlflow_name(n) for n in names}
    seen: dict[str, str] = {}
    for original, clean in mapping.items():
        if clean in seen:
            raise ValueError(f"{kind} names {seen[clean]!r} and {original!r} both become {clean!r} in MLflow")
        seen[clean] = original
    return mapping


def _param_text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def log_results(results: Mapping[str, Any], out_dir: str | Path | None = None, *,
                tracking_uri: str | None = None, artifact_root: str | None = None,
                history: Mapping[str, Sequence[float]] | None = None,
                experiment_name: str | None = None) -> str:
    """Log one finished run (a ``results.json`` dict) to MLflow and return the run id.

    ``out_dir``: the run folder whose files become artifacts (its ``mlruns`` store
    excluded) and, without ``tracking_uri``, the home of the local store. Non-finite
    metrics are refused (MLflow would store them, but nothing downstream can compare
    them)."""
    for field in ("experiment", "config", "metrics"):
        if field not in results:
            raise ValueError(f"results must have the fields experiment, config and metrics (as results.json "
                             f"has); {field!r} is missing")
    if tracking_uri is None:
        if out_dir is None:
            raise ValueError("pass out_dir (for the local store) or tracking_uri")
        tracking_uri, artifact_root = local_store(out_dir)
    from mlflow.entities import Metric, Param

    client = client_for(tracking_uri)
    metrics = {k: float(v) for k, v in results["metrics"].items()}
    bad = [k for k, v in metrics.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"metrics must be finite numbers; {bad[:5]} are not")
    history = {k: [float(x) for x in v] for k, v in (history or {}).items()}
    metric_names = _renamed(list(metrics) + [k for k in history if k not in metrics], "metric")
    param_names = _renamed(list(results["config"]), "param")

    name = experiment_name or results["experiment"]
    provenance = results.get("provenance", {})
    tags = {"jaxml.experiment": results["experiment"], "jaxml.preset": str(provenance.get("preset", "")),
            "jaxml.git_commit": str(provenance.get("git_commit", "")), "jax.version": str(results.get("jax_version", ""))}
    run = client.create_run(_experiment_id(client, name, artifact_root), tags=tags,
                            run_name=f"{results['experiment']}-{provenance.get('preset', 'run')}")
    run_id = run.info.run_id
    now = int(time.time() * 1000)
    entries = [Metric(metric_names[k], v, now, 0) for k, v in metrics.items()]
    entries += [Metric(metric_names[k], x, now, step) for k, series in history.items() for step, x in enumerate(series)]
    params = [Param(param_names[k], _param_text(v)) for k, v in results["config"].items()]
    for start in range(0, len(params), 100):  # MLflow's batch limits: 100 params, 1000 metrics
        client.log_batch(run_id, params=params[start:start + 100])
    for start in range(0, len(entries), 1000):
        client.log_batch(run_id, metrics=entries[start:start + 1000])
    renamed = {clean: original for original, clean in {**metric_names, **param_names}.items() if clean != original}
    with tempfile.TemporaryDirectory() as tmp:
        if renamed:
            (Path(tmp) / "metric_names.json").write_text(json.dumps(renamed, indent=1, sort_keys=True))
            client.log_artifacts(run_id, tmp)
    if out_dir is not None:
        for path in sorted(Path(out_dir).iterdir()):
            if path.name == STORE_FOLDER:
                continue
            if path.is_dir():
                client.log_artifacts(run_id, str(path), artifact_path=path.name)
            else:
                client.log_artifact(run_id, str(path))
    client.set_terminated(run_id)
    return run_id


def register_model(tracking_uri: str, run_id: str, artifact_path: str, name: str, *,
                   alias: str | None = None) -> int:
    """Register the artifact folder ``artifact_path`` of run ``run_id`` as a new version of
    the registered model ``name`` (created if new); point ``alias`` at it if given. Returns
    the version number."""
    from mlflow.exceptions import MlflowException

    client = client_for(tracking_uri)
    run = client.get_run(run_id)
    listed = {f.path for f in client.list_artifacts(run_id)}
    if artifact_path not in listed:
        raise ValueError(f"run {run_id} has no artifact {artifact_path!r}; it has {sorted(listed)}")
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name)
    version = client.create_model_version(name, source=f"{run.info.artifact_uri}/{artifact_path}", run_id=run_id)
    if alias is not None:
        client.set_registered_model_alias(name, alias, version.version)
    return int(version.version)


def model_version_for_alias(tracking_uri: str, name: str, alias: str):
    """The registry's ``ModelVersion`` that ``alias`` of model ``name`` points at (its
    ``version``, ``run_id`` and ``source``)."""
    return client_for(tracking_uri).get_model_version_by_alias(name, alias)
