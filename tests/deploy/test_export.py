"""StableHLO artifacts: a round trip reproduces the model at any batch size, loading needs
none of the model's code, and an altered artifact or a wrong input is refused."""

import json
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.deploy.export import export_model, load_model
from jaxml.nn.models import CNN1D, MLP


@pytest.mark.parametrize("model, shape", [(MLP((16,), 3), (5,)), (CNN1D(10), (40,))])
def test_round_trip_equals_the_model_at_every_batch_size(tmp_path, model, shape):
    params = model.init(jax.random.PRNGKey(0), jnp.ones((1, *shape)))
    export_model(tmp_path, model.apply, params, np.ones((2, *shape), np.float32), name="model-1")
    loaded = load_model(tmp_path)
    rng = np.random.default_rng(0)
    for batch in (1, 7, 64):
        x = rng.normal(size=(batch, *shape)).astype(np.float32)
        np.testing.assert_allclose(loaded.predict(x), model.apply(params, x), rtol=1e-5, atol=1e-6)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["inputs"][0]["shape"] == ["batch", *shape] and manifest["outputs"][0]["shape"][0] == "batch"
    assert manifest["jax_version"] == jax.__version__ and set(manifest["sha256"]) == {"model", "weights"}


def test_a_boosted_tree_classifier_exports_through_its_fitted_pytree(tmp_path):
    from jaxml.classical.boosting import gradient_boosting_classifier

    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int32)
    est = gradient_boosting_classifier(n_estimators=20, max_depth=3)
    fitted = est.fit(jax.random.PRNGKey(2), jnp.asarray(X), jnp.asarray(y))
    export_model(tmp_path, lambda p, x: est.predict_proba(p, x), fitted, X[:1], name="gbt")
    loaded = load_model(tmp_path)
    assert "['params']" not in next(iter(loaded.params)) and any("trees" in k for k in loaded.params)
    for batch in (1, 7, 64):
        x = rng.normal(size=(batch, 6)).astype(np.float32)
        np.testing.assert_allclose(loaded.predict(x), est.predict_proba(fitted, jnp.asarray(x)), rtol=1e-6, atol=1e-7)


def test_loading_needs_none_of_the_model_code(tmp_path):
    model = MLP((8,), 2)
    params = model.init(jax.random.PRNGKey(1), jnp.ones((1, 4)))
    export_model(tmp_path, model.apply, params, np.ones((1, 4), np.float32), name="m")
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected = np.asarray(model.apply(params, x))
    code = ("import sys, numpy as np; from jaxml.deploy.export import load_model; "
            f"y = np.asarray(load_model({str(tmp_path)!r}).predict(np.arange(12, dtype=np.float32).reshape(3, 4))); "
            "assert not [m for m in sys.modules if m.startswith('jaxml.nn')], 'model code was imported'; "
            "print(repr(y.tolist()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    np.testing.assert_allclose(np.asarray(eval(out.stdout.strip())), expected, rtol=1e-6)


def test_altered_artifacts_and_wrong_inputs_are_refused(tmp_path):
    model = MLP((8,), 2)
    params = model.init(jax.random.PRNGKey(2), jnp.ones((1, 4)))
    export_model(tmp_path, model.apply, params, np.ones((1, 4), np.float32), name="m")
    with pytest.raises(ValueError, match="input must have shape"):
        load_model(tmp_path).predict(np.ones((3, 5), np.float32))
    weights = tmp_path / "weights.msgpack"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="manifest"):
        load_model(tmp_path / "missing")
    with pytest.raises(ValueError, match="name"):
        export_model(tmp_path / "x", model.apply, params, np.ones((1, 4), np.float32), name="bad name")


@pytest.mark.parametrize("model, shape", [(MLP((16,), 3), (5,)), (CNN1D(10), (40,))])
def test_onnx_export_runs_in_onnxruntime_and_equals_jax(tmp_path, model, shape):
    ort = pytest.importorskip("onnxruntime")
    from jaxml.deploy.export import export_onnx

    params = model.init(jax.random.PRNGKey(3), jnp.ones((1, *shape)))
    path = export_onnx(tmp_path / "model.onnx", model.apply, params, np.ones((1, *shape), np.float32), name="m")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].name == "input" and session.get_inputs()[0].shape[0] == "batch"
    for batch in (1, 9):
        x = np.random.default_rng(batch).normal(size=(batch, *shape)).astype(np.float32)
        np.testing.assert_allclose(session.run(None, {"input": x})[0], model.apply(params, x), rtol=1e-5, atol=1e-6)
