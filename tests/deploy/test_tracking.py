"""MLflow tracking and registry: what is logged reads back equal through MLflow's own client,
aliases resolve to the right version, ``jaxml repro --track`` logs the run; bad input is refused."""

import json
import math
import types

import pytest
from mlflow.tracking import MlflowClient

from jaxml import experiment
from jaxml.deploy.tracking import (local_store, log_results, mlflow_name, model_version_for_alias,
                                   register_model)

RESULTS = {"experiment": "toy", "config": {"seeds": 3, "lr": 0.01, "sizes": (4, 8), "name": "a b"},
           "metrics": {"test_acc/mean": 0.91, "test_acc/ci95": 0.02, "p(acc>0.5)": 1.0, "loss": 0.25},
           "jax_version": "0.10.2", "provenance": {"preset": "quick", "git_commit": "abc123"}}


@pytest.fixture()
def run_folder(tmp_path):
    out = tmp_path / "run"
    (out / "model").mkdir(parents=True)
    (out / "results.json").write_text(json.dumps(RESULTS))
    (out / "figure.png").write_bytes(b"\x89PNG fake")
    (out / "model" / "manifest.json").write_text("{}")
    return out


def test_logged_run_reads_back_through_mlflows_client(run_folder):
    history = {"loss": [1.0, 0.5, 0.25]}
    run_id = log_results(RESULTS, run_folder, history=history)
    uri, _ = local_store(run_folder)
    assert uri.startswith("sqlite:///") and (run_folder / "mlruns" / "mlflow.db").exists()
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"seeds": "3", "lr": "0.01", "sizes": "(4, 8)", "name": "a b"}
    assert run.data.metrics["test_acc/mean"] == pytest.approx(0.91)
    assert run.data.metrics[mlflow_name("p(acc>0.5)")] == 1.0 and mlflow_name("p(acc>0.5)") == "p_acc_0.5_"
    steps = sorted((m.step, m.value) for m in client.get_metric_history(run_id, "loss"))
    assert steps == [(0, 0.25), (0, 1.0), (1, 0.5), (2, 0.25)]
    assert run.data.tags["jaxml.git_commit"] == "abc123" and run.data.tags["jaxml.preset"] == "quick"
    listed = {f.path for f in client.list_artifacts(run_id)}
    assert {"results.json", "figure.png", "model", "metric_names.json"} <= listed and "mlruns" not in listed
    local = client.download_artifacts(run_id, "metric_names.json", str(run_folder.parent))
    assert json.loads(open(local).read()) == {"p_acc_0.5_": "p(acc>0.5)"}
    back = client.download_artifacts(run_id, "results.json", str(run_folder.parent / "dl"))
    assert json.loads(open(back).read()) == json.loads((run_folder / "results.json").read_text())


def test_registry_versions_and_aliases(run_folder):
    uri, _ = local_store(run_folder)
    first = log_results(RESULTS, run_folder)
    second = log_results({**RESULTS, "metrics": {"loss": 0.1}}, run_folder)
    assert register_model(uri, first, "model", "toy-mlp", alias="champion") == 1
    assert register_model(uri, second, "model", "toy-mlp", alias="canary") == 2
    assert model_version_for_alias(uri, "toy-mlp", "champion").run_id == first
    canary = model_version_for_alias(uri, "toy-mlp", "canary")
    assert int(canary.version) == 2 and canary.run_id == second and canary.source.endswith("/model")
    register_model(uri, second, "model", "toy-mlp", alias="champion")  # promote: version 3 of run 2
    assert int(model_version_for_alias(uri, "toy-mlp", "champion").version) == 3
    with pytest.raises(ValueError, match="no artifact 'weights'"):
        register_model(uri, first, "weights", "toy-mlp")


def test_repro_track_logs_the_run(tmp_path, monkeypatch, capsys):
    out = tmp_path / "toy"

    def fake_run(name, *, quick, out_dir, seeds, overrides):
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "results.json").write_text(json.dumps(RESULTS))
        return RESULTS

    monkeypatch.setattr(experiment, "run_experiment", fake_run)
    monkeypatch.setattr(experiment, "load_experiment", lambda name: types.SimpleNamespace())
    monkeypatch.setattr(experiment, "make_config", lambda module, **kw: "Config()")
    args = types.SimpleNamespace(list=False, name="toy", quick=True, seeds=None, overrides=[], out=str(out),
                                 track=True)
    assert experiment.repro_command(args) == 0
    assert "logged to MLflow run" in capsys.readouterr().out
    client = MlflowClient(tracking_uri=local_store(out)[0])
    (run,) = client.search_runs([client.get_experiment_by_name("toy").experiment_id])
    assert run.data.metrics["loss"] == 0.25 and run.data.params["lr"] == "0.01"


def test_bad_input_is_refused(run_folder):
    with pytest.raises(ValueError, match="'metrics' is missing"):
        log_results({"experiment": "x", "config": {}}, run_folder)
    with pytest.raises(ValueError, match="finite"):
        log_results({**RESULTS, "metrics": {"a": math.nan}}, run_folder)
    with pytest.raises(ValueError, match="both become 'a_b'"):
        log_results({**RESULTS, "metrics": {"a<b": 1.0, "a>b": 2.0}}, run_folder)
    with pytest.raises(ValueError, match="out_dir .* or tracking_uri"):
        log_results(RESULTS)
