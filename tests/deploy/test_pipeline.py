"""Cached pipelines: a re-run with nothing changed executes no stage; a changed config or
code re-runs that stage and its dependants only; outputs are bit-identical across re-runs,
fresh caches and processes; bad pipelines and altered caches give clear errors."""

import json
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.classical.linear.logistic import logistic_regression
from jaxml.data.bundled import load_sklearn
from jaxml.deploy.pipeline import (LINEAGE, OUTPUT, PipelineResult, Stage, code_fingerprint, outputs_equal,
                                   read_lineage, run_pipeline, stage_keys, topological_order)


def load_data(config):
    X, y = load_sklearn("breast_cancer")
    perm = np.random.default_rng(config["seed"]).permutation(len(y))
    n_train = config["n_train"]
    return {"X_train": X[perm[:n_train]], "y_train": y[perm[:n_train]],
            "X_test": X[perm[n_train:]], "y_test": y[perm[n_train:]]}


def standardise(config, data):
    mean, std = data["X_train"].mean(0), data["X_train"].std(0)
    return {"X_train": (data["X_train"] - mean) / std, "X_test": (data["X_test"] - mean) / std,
            "y_train": data["y_train"], "y_test": data["y_test"]}


def min_max(config, data):
    low, high = data["X_train"].min(0), data["X_train"].max(0)
    return {"X_train": (data["X_train"] - low) / (high - low), "X_test": (data["X_test"] - low) / (high - low),
            "y_train": data["y_train"], "y_test": data["y_test"]}


def train(config, features):
    est = logistic_regression(config["C"])
    fitted = est.fit(jnp.asarray(features["X_train"]), jnp.asarray(features["y_train"]))
    return {"coef": fitted.coef, "intercept": fitted.intercept, "n_iter": int(fitted.n_iter)}


def evaluate(config, features, model):
    logits = features["X_test"] @ np.asarray(model["coef"]).T + np.asarray(model["intercept"])
    prediction = np.argmax(logits, -1) if logits.shape[-1] > 1 else (logits[:, 0] > 0).astype(int)
    return {"accuracy": float(np.mean(prediction == features["y_test"])), "n_test": len(features["y_test"])}


def stages(C=1.0, features_fn=standardise):
    return [Stage("evaluate", evaluate, {}, ("features", "model")),  # listed out of order on purpose
            Stage("data", load_data, {"seed": 0, "n_train": 400}),
            Stage("features", features_fn, {}, ("data",)),
            Stage("model", train, {"C": C}, ("features",))]


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return cache, run_pipeline(stages(), cache, progress=False)


def test_first_run_executes_every_stage_in_dependency_order(first):
    cache, result = first
    assert isinstance(result, PipelineResult)
    assert result.executed == ("data", "features", "model", "evaluate")
    est = logistic_regression(1.0)
    data = load_data({"seed": 0, "n_train": 400})
    feats = standardise({}, data)
    fitted = est.fit(jnp.asarray(feats["X_train"]), jnp.asarray(feats["y_train"]))
    np.testing.assert_array_equal(result.outputs["model"]["coef"], np.asarray(fitted.coef))
    assert result.outputs["evaluate"]["accuracy"] > 0.9


def test_a_rerun_with_nothing_changed_executes_nothing_and_gives_the_same_bits(first):
    cache, result = first
    again = run_pipeline(stages(), cache, progress=False)
    assert again.executed == ()
    assert all(r.cached for r in again.runs)
    for name in result.outputs:
        assert outputs_equal(again.outputs[name], result.outputs[name])


def test_a_changed_config_reruns_that_stage_and_its_dependants_only(first):
    cache, result = first
    changed = run_pipeline(stages(C=0.01), cache, progress=False)
    assert changed.executed == ("model", "evaluate")
    assert outputs_equal(changed.outputs["features"], result.outputs["features"])
    assert not outputs_equal(changed.outputs["model"], result.outputs["model"])
    assert run_pipeline(stages(C=0.01), cache, progress=False).executed == ()


def test_changed_code_reruns_that_stage_and_its_dependants_only(first):
    cache, _ = first
    assert run_pipeline(stages(features_fn=min_max), cache, progress=False).executed == ("features", "model",
                                                                                       "evaluate")
    bumped = [s._replace(version="2") if s.name == "model" else s for s in stages()]
    assert run_pipeline(bumped, cache, progress=False).executed == ("model", "evaluate")


def test_targets_run_only_their_ancestors(tmp_path):
    result = run_pipeline(stages(), tmp_path, targets=["features"], progress=False)
    assert result.executed == ("data", "features") and set(result.outputs) == {"data", "features"}
    with pytest.raises(ValueError, match="not stages"):
        run_pipeline(stages(), tmp_path, targets=["deploy"], progress=False)


def test_a_fresh_cache_reproduces_the_outputs_bit_for_bit(first, tmp_path):
    _, result = first
    fresh = run_pipeline(stages(), tmp_path, progress=False)
    assert fresh.executed == ("data", "features", "model", "evaluate")
    for name in result.outputs:
        assert outputs_equal(fresh.outputs[name], result.outputs[name])


def test_keys_are_the_same_in_a_fresh_process():
    script = (f"import importlib.util, json, sys\n"
              f"spec = importlib.util.spec_from_file_location({__name__!r}, {__file__!r})\n"
              f"m = importlib.util.module_from_spec(spec); sys.modules[{__name__!r}] = m\n"
              f"spec.loader.exec_module(m)\n"
              f"from jaxml.deploy.pipeline import stage_keys\n"
              f"print(json.dumps(stage_keys(m.stages())))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={"PYTHONHASHSEED": "123", **{k: v for k, v in __import__("os").environ.items()
                                                          if k != "PYTHONHASHSEED"}})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == stage_keys(stages())


def test_lineage_chains_the_input_keys_and_hashes_the_output(first):
    cache, result = first
    keys = stage_keys(stages())
    record = read_lineage(cache, "evaluate", keys["evaluate"])
    assert record["inputs"] == {"features": keys["features"], "model": keys["model"]}
    assert record["function"].endswith(".evaluate") and record["code_sha256"] == code_fingerprint(evaluate)
    import hashlib

    data = (cache / "evaluate" / keys["evaluate"] / OUTPUT).read_bytes()
    assert record["output_sha256"] == hashlib.sha256(data).hexdigest()
    assert read_lineage(cache, "model", keys["model"])["config"] == {"C": 1.0}


def test_an_altered_cache_is_refused(tmp_path):
    run_pipeline(stages(), tmp_path, targets=["data"], progress=False)
    key = stage_keys(stages())["data"]
    path = tmp_path / "data" / key / OUTPUT
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    with pytest.raises(ValueError, match="altered"):
        run_pipeline(stages(), tmp_path, targets=["data"], progress=False)
    assert (tmp_path / "data" / key / LINEAGE).exists()


def _cyclic():
    return [Stage("a", load_data, {}, ("b",)), Stage("b", standardise, {}, ("a",)), Stage("c", train, {}, ())]


def test_bad_pipelines_raise_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="cycle among the stages \\['a', 'b'\\]"):
        topological_order(_cyclic())
    with pytest.raises(ValueError, match="unknown inputs \\['raw'\\]"):
        topological_order([Stage("a", standardise, {}, ("raw",))])
    with pytest.raises(ValueError, match="two stages are named 'a'"):
        topological_order([Stage("a", load_data), Stage("a", train)])
    with pytest.raises(TypeError, match="Stage objects"):
        topological_order([("a", load_data)])
    scale = 2.0

    def closure(config):
        return {"x": np.ones(3) * scale}

    with pytest.raises(ValueError, match="closure over scale"):
        stage_keys([Stage("a", closure)])
    with pytest.raises(TypeError, match="config must be JSON"):
        stage_keys([Stage("a", load_data, {"seed": object()})])
    with pytest.raises(TypeError, match="msgpack cannot store"):
        run_pipeline([Stage("a", _returns_an_object)], tmp_path, progress=False)
    assert not (tmp_path / "a").exists()


def _returns_an_object(config):
    return {"model": object()}


def test_a_cached_run_returns_what_a_fresh_run_returns(tmp_path):
    ran = run_pipeline([Stage("t", _mixed_output)], tmp_path, progress=False).outputs["t"]
    cached = run_pipeline([Stage("t", _mixed_output)], tmp_path, progress=False).outputs["t"]
    assert outputs_equal(ran, cached) and type(ran["pair"]) is type(cached["pair"])
    assert ran["name"] == "x" and ran["pair"][1] == 2 and ran["array"].dtype == np.float32


def _mixed_output(config):
    return {"name": "x", "pair": (1.5, 2), "array": jnp.arange(4, dtype=jnp.float32)}
