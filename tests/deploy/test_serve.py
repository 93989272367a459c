"""The KServe v2 server, started on a loopback port and spoken to by real clients (httpx and
tritonclient's HTTP client): answers equal the Python function; health, metadata, metrics,
413/400/404/422/504, micro-batching into static bucket sizes, a fuzz of malformed requests,
and a graceful drain on SIGTERM."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import jax
import numpy as np
import pytest
from scipy import stats as scipy_stats
import tritonclient.http as triton

from jaxml.deploy.export import export_model, load_model
from jaxml.deploy.serve import (LATENCY_BUCKETS_S, CanarySplit, Histogram, batch_buckets, free_port, make_app,
                                serve_in_thread, served_model, served_model_from_artifact, wait_until_ready)
from jaxml.nn.models import MLP

MAX_BATCH, TIMEOUT_S, MAX_BODY = 16, 2.0, 64 * 1024
SLOW_SENTINEL = 999.0


class _Recorder:
    """A batched function that records the batch sizes it is called with."""

    def __init__(self, fn):
        self.fn, self.sizes = fn, []

    def __call__(self, x):
        self.sizes.append(x.shape[0])
        if x.size and x.flat[0] == SLOW_SENTINEL:
            time.sleep(TIMEOUT_S + 1.0)
        return self.fn(x)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    model = MLP((16,), 3)
    params = model.init(jax.random.key(0), np.zeros((1, 4), np.float32))
    path = export_model(tmp_path_factory.mktemp("mlp") / "mlp", model.apply, params, np.zeros((1, 4), np.float32),
                        name="mlp")
    return path


@pytest.fixture(scope="module")
def server(artifact):
    reference = load_model(artifact)
    v2 = _Recorder(lambda x: 2.0 * np.asarray(reference.predict(x)))
    models = [served_model_from_artifact(artifact, version="1"),
              served_model("mlp", v2, input_shape=(4,), output_shape=(3,), version="2"),
              served_model("slow", _Recorder(lambda x: x[:, :1] * 0.0), input_shape=(4,), output_shape=(1,))]
    app = make_app(models, max_batch_size=MAX_BATCH, max_delay_ms=20.0, timeout_s=TIMEOUT_S, max_body_bytes=MAX_BODY)
    with serve_in_thread(app) as url:
        yield {"url": url, "reference": reference, "v2": v2, "app": app}


def _body(x, name="input", datatype="FP32", **extra):
    x = np.asarray(x)
    return {"inputs": [{"name": name, "shape": list(x.shape), "datatype": datatype, "data": x.ravel().tolist()}],
            **extra}


def _x(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)


def test_health_and_metadata(server):
    url = server["url"]
    assert httpx.get(f"{url}/v2/health/live").json() == {"live": True}
    assert httpx.get(f"{url}/v2/health/ready").json() == {"ready": True}
    assert httpx.get(f"{url}/v2").json()["name"] == "jaxml"
    meta = httpx.get(f"{url}/v2/models/mlp").json()
    assert meta["versions"] == ["1", "2"]
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert meta["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1, 3]}]
    assert httpx.get(f"{url}/v2/models/mlp/versions/1").json()["platform"] == "jax_stablehlo"
    assert httpx.get(f"{url}/v2/models/mlp/versions/1/ready").json() == {"name": "mlp", "ready": True}


@pytest.mark.parametrize("n", [1, 5, 40])
def test_infer_equals_the_exported_function(server, n):
    x = _x(n, seed=n)
    reply = httpx.post(f"{server['url']}/v2/models/mlp/versions/1/infer", json=_body(x, id=f"req-{n}"))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["id"] == f"req-{n}" and body["model_version"] == "1"
    (out,) = body["outputs"]
    assert out["shape"] == [n, 3] and out["datatype"] == "FP32"
    np.testing.assert_allclose(np.asarray(out["data"]).reshape(n, 3), np.asarray(server["reference"].predict(x)),
                               rtol=1e-6, atol=1e-6)
    latest = httpx.post(f"{server['url']}/v2/models/mlp/infer", json=_body(x)).json()  # highest version: 2
    assert latest["model_version"] == "2"
    np.testing.assert_allclose(np.asarray(latest["outputs"][0]["data"]).reshape(n, 3),
                               2 * np.asarray(server["reference"].predict(x)), rtol=1e-6, atol=1e-6)


def test_tritonclient_speaks_to_the_server(server):
    client = triton.InferenceServerClient(url=server["url"].removeprefix("http://"))
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("mlp", "1")
    assert client.get_model_metadata("mlp", "1")["inputs"][0]["shape"] == [-1, 4]
    x = _x(7, seed=3)
    tensor = triton.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=False)
    result = client.infer("mlp", [tensor], model_version="1",
                          outputs=[triton.InferRequestedOutput("output", binary_data=False)])
    np.testing.assert_allclose(result.as_numpy("output"), np.asarray(server["reference"].predict(x)),
                               rtol=1e-6, atol=1e-6)


def test_errors_name_what_was_expected(server):
    url = f"{server['url']}/v2/models/mlp/versions/1/infer"
    big = httpx.post(url, content=b"[" + b"0," * MAX_BODY + b"0]", headers={"content-type": "application/json"})
    assert big.status_code == 413 and str(MAX_BODY) in big.json()["error"]
    bad_json = httpx.post(url, content=b'{"inputs": [', headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["error"]
    assert httpx.post(url, json={"nothing": 1}).status_code == 400
    shape = httpx.post(url, json=_body(np.zeros((2, 5), np.float32)))
    assert shape.status_code == 422 and "['batch', 4]" in shape.json()["error"]
    dtype = httpx.post(url, json=_body(np.zeros((2, 4)), datatype="INT64"))
    assert dtype.status_code == 422 and "FP32" in dtype.json()["error"]
    count = httpx.post(url, json={"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [1.0]}]})
    assert count.status_code == 422 and "holds 1" in count.json()["error"]
    unknown = httpx.post(f"{server['url']}/v2/models/gpt/infer", json=_body(_x(1)))
    assert unknown.status_code == 404 and "'mlp'" in unknown.json()["error"]
    assert httpx.get(f"{server['url']}/v2/models/mlp/versions/9").status_code == 404
    wrong_output = httpx.post(url, json=_body(_x(1), outputs=[{"name": "probs"}]))
    assert wrong_output.status_code == 400 and "unknown outputs" in wrong_output.json()["error"]
    slow = np.full((1, 4), SLOW_SENTINEL, np.float32)
    timed_out = httpx.post(f"{server['url']}/v2/models/slow/infer", json=_body(slow), timeout=30)
    assert timed_out.status_code == 504 and "within" in timed_out.json()["error"]


def test_concurrent_requests_are_batched_into_bucket_sizes(server):
    recorder = server["v2"]
    recorder.sizes.clear()
    xs = [_x(1 + i % 3, seed=100 + i) for i in range(64)]

    async def fire():
        async with httpx.AsyncClient(base_url=server["url"], timeout=30) as client:
            return await asyncio.gather(*(client.post("/v2/models/mlp/versions/2/infer", json=_body(x)) for x in xs))

    replies = asyncio.run(fire())
    for x, reply in zip(xs, replies):
        assert reply.status_code == 200
        got = np.asarray(reply.json()["outputs"][0]["data"]).reshape(x.shape[0], 3)
        np.testing.assert_allclose(got, 2 * np.asarray(server["reference"].predict(x)), rtol=1e-6, atol=1e-6)
    assert set(recorder.sizes) <= set(batch_buckets(MAX_BATCH))  # only the compiled sizes
    assert len(recorder.sizes) < len(xs) / 2  # requests shared calls
    text = httpx.get(f"{server['url']}/metrics").text
    assert 'jaxml_requests_total{model="mlp",code="200"}' in text
    assert 'jaxml_batch_size_bucket{model="mlp",le="+Inf"}' in text
    assert "# TYPE jaxml_request_latency_seconds histogram" in text


def test_histogram_counts_equal_numpy_and_use_constant_memory():
    values = np.random.default_rng(0).exponential(0.05, size=5000)
    hist = Histogram("h", "test", LATENCY_BUCKETS_S)
    for v in values:
        hist.observe("m", float(v))
    assert hist.counts["m"].shape == (len(LATENCY_BUCKETS_S) + 1,)
    text = "\n".join(hist.render())
    for bound in LATENCY_BUCKETS_S:
        assert f'h_bucket{{model="m",le="{bound:g}"}} {int(np.sum(values <= bound))}\n' in text + "\n"
    assert 'h_count{model="m"} 5000' in text and 'h_bucket{model="m",le="+Inf"} 5000' in text
    assert float(text.split('h_sum{model="m"} ')[1].split()[0]) == pytest.approx(values.sum(), rel=1e-8)


def _malformed(rng, i):
    """The i-th of a family of broken requests: bad JSON, wrong structure, shapes, dtypes, values."""
    x = _x(2, seed=i)
    good = _body(x)
    kind = i % 10
    if kind == 0:
        return json.dumps(good)[: rng.integers(1, 40)].encode()
    if kind == 1:
        return b"\xff\xfe" + rng.bytes(int(rng.integers(1, 64)))
    if kind == 2:
        broken = [None, 3, "x", {}, [], [1], [{"name": "input"}], [good["inputs"][0]] * 2][(i // 10) % 8]
        return json.dumps({"inputs": broken} if i % 20 else [broken]).encode()
    if kind == 3:
        good["inputs"][0]["shape"] = [int(d) for d in rng.integers(-2, 6, size=rng.integers(0, 4))]
        if good["inputs"][0]["shape"] == [2, 4]:
            good["inputs"][0]["shape"] = [4, 2, 1]
        return json.dumps(good).encode()
    if kind == 4:
        good["inputs"][0]["datatype"] = str(rng.choice(["INT32", "FP64", "BYTES", "fp32", "", "BOOL"]))
        return json.dumps(good).encode()
    if kind == 5:
        good["inputs"][0]["data"] = ["a", "b"] * 4
        return json.dumps(good).encode()
    if kind == 6:
        return b'{"inputs": [' + b"[" * 2000 + b"]" * 2000 + b"]}"
    if kind == 7:
        return json.dumps({"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32",
                                       "data": [[1.0, 2.0], None]}]}).encode()
    if kind == 8:
        return b"[" + b"1," * (MAX_BODY // 2 + int(rng.integers(1, 100))) + b"1]"
    good["inputs"][0]["name"] = "x" * int(rng.integers(1, 5))
    return json.dumps(good).encode()


def test_fuzz_of_malformed_requests_gets_4xx_and_the_server_keeps_serving(server):
    rng = np.random.default_rng(0)
    url = f"{server['url']}/v2/models/mlp/versions/1/infer"
    statuses = []
    with httpx.Client(timeout=30) as client:
        for i in range(1000):
            reply = client.post(url, content=_malformed(rng, i), headers={"content-type": "application/json"})
            statuses.append(reply.status_code)
            assert 400 <= reply.status_code < 500 and "error" in reply.json(), (i, reply.status_code, reply.text)
        x = _x(3, seed=7)
        reply = client.post(url, json=_body(x))
    assert set(statuses) >= {400, 413, 422}
    np.testing.assert_allclose(np.asarray(reply.json()["outputs"][0]["data"]).reshape(3, 3),
                               np.asarray(server["reference"].predict(x)), rtol=1e-6, atol=1e-6)


def test_sigterm_drains_the_request_in_flight(artifact):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "jaxml.cli", "serve", str(artifact), "--port", str(port),
                             "--max-delay-ms", "1500"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(url, lambda: proc.poll() is None, 
                         why=lambda: proc.stderr.read().decode()[-2000:] if proc.poll() is not None else "")
        x = _x(2, seed=11)
        reply = {}
        sender = threading.Thread(target=lambda: reply.update(r=httpx.post(f"{url}/v2/models/mlp/infer",
                                                                             json=_body(x), timeout=30)))
        sender.start()
        time.sleep(0.5)  # the request now waits in the batcher (max delay 1.5 s)
        proc.send_signal(signal.SIGTERM)
        sender.join(timeout=30)
        assert reply["r"].status_code == 200
        np.testing.assert_allclose(np.asarray(reply["r"].json()["outputs"][0]["data"]).reshape(2, 3),
                                   np.asarray(load_model(artifact).predict(x)), rtol=1e-6, atol=1e-6)
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after draining
    finally:
        if proc.poll() is None:
            proc.kill()


class _Flaky:
    """Fails a call with probability ``rate`` and sleeps ``delay_s`` before answering."""

    def __init__(self, rate, delay_s=0.0, seed=0):
        self.rate, self.delay_s, self.rng = rate, delay_s, np.random.default_rng(seed)

    def __call__(self, x):
        if self.delay_s:
            time.sleep(self.delay_s)
        if np.any(x) and self.rng.uniform() < self.rate:  # the all-zero warm-up batches pass
            raise RuntimeError("canary broke")
        return x[:, :2] * 1.0


def _canary_app(canary_rate, canary_delay_s=0.0, **split):
    models = [served_model("m", _Flaky(0.02, seed=1), input_shape=(4,), output_shape=(2,), version="1"),
              served_model("m", _Flaky(canary_rate, canary_delay_s, seed=2), input_shape=(4,), output_shape=(2,),
                           version="2")]
    options = dict(fraction=0.5, check_every=40, max_looks=5, alpha=0.05, seed=3) | split
    return make_app(models, batching=False, canaries=[CanarySplit("m", "1", "2", **options)])


def _traffic(url, n):
    with httpx.Client(base_url=url, timeout=30) as client:
        return [client.post("/v2/models/m/infer", json=_body(_x(1, seed=i))) for i in range(n)]


def test_a_failing_canary_is_rolled_back_and_traffic_returns_to_stable():
    with serve_in_thread(_canary_app(canary_rate=0.3)) as url:
        replies = _traffic(url, 300)
        state = httpx.get(f"{url}/v2/models/m/canary").json()
        assert state["state"] == "rolled_back" and "error rate" in state["reason"]
        failed = [r for r in replies if r.status_code == 500]
        assert failed and "canary broke" in failed[0].json()["error"]
        after = _traffic(url, 20)
        assert all(r.status_code == 200 and r.json()["model_version"] == "1" for r in after)


def test_a_good_canary_gets_its_share_and_is_promoted():
    with serve_in_thread(_canary_app(canary_rate=0.02)) as url:
        _traffic(url, 600)
        state = httpx.get(f"{url}/v2/models/m/canary").json()
        assert state["state"] == "promoted" and state["looks"] == 5, state
        n_stable, n_canary = state["counts"]["1"]["requests"], state["counts"]["2"]["requests"]
        low, high = scipy_stats.binom.ppf([0.0005, 0.9995], n_stable + n_canary, 0.5)
        assert low <= n_canary <= high  # the configured share (99.9% band)
        assert all(r.json()["model_version"] == "2" for r in _traffic(url, 10))


def test_one_stalled_request_does_not_roll_back_a_canary():
    from jaxml.deploy.serve import _Canary

    canary = _Canary(CanarySplit("m", "1", "2", fraction=0.5, check_every=40, max_looks=1))
    rng = np.random.default_rng(0)
    for seconds in rng.uniform(0.001, 0.002, 40):
        canary.record("1", False, seconds)
    for seconds in [*rng.uniform(0.001, 0.002, 39), 0.5]:  # its p99 is 100× the stable one's
        canary.record("2", False, seconds)
    assert canary.state == "promoted", canary.summary()


def test_a_slow_canary_is_rolled_back_for_latency():
    with serve_in_thread(_canary_app(canary_rate=0.0, canary_delay_s=0.03)) as url:
        _traffic(url, 120)
        state = httpx.get(f"{url}/v2/models/m/canary").json()
        assert state["state"] == "rolled_back" and "latency" in state["reason"], state


def test_bad_configuration_is_refused(artifact, tmp_path):
    with pytest.raises(ValueError, match="versions \\['3'\\] are not served"):
        make_app([served_model("m", lambda x: x, input_shape=(1,), output_shape=(1,))],
                 canaries=[CanarySplit("m", "1", "3")])
    with pytest.raises(ValueError, match="fraction"):
        make_app([served_model("m", lambda x: x, input_shape=(1,), output_shape=(1,), version=v) for v in "12"],
                 canaries=[CanarySplit("m", "1", "2", fraction=1.5)])
    model = served_model_from_artifact(artifact)
    with pytest.raises(ValueError, match="given twice"):
        make_app([model, model])
    with pytest.raises(ValueError, match="max_batch_size"):
        make_app([model], max_batch_size=0)
    with pytest.raises(ValueError, match="input_dtype"):
        served_model("m", lambda x: x, input_shape=(1,), output_shape=(1,), input_dtype="complex64")
    proc = subprocess.run([sys.executable, "-m", "jaxml.cli", "serve", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "manifest.json" in proc.stderr


def test_serve_without_the_deploy_extra_names_it(artifact, monkeypatch, capsys):
    import importlib.util

    from jaxml import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    assert cli.main(["serve", str(artifact)]) == 2
    err = capsys.readouterr().err
    assert "needs uvicorn" in err and '".[deploy]"' in err
