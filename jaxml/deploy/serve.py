"""An HTTP inference server speaking the Open Inference Protocol (KServe v2 REST).

Routes (``{v}`` optional: without it, the model's highest version)::

    GET  /v2/health/live                      {"live": true}
    GET  /v2/health/ready                     {"ready": true} once every model is warmed up (503 before)
    GET  /v2                                  server metadata
    GET  /v2/models/{name}[/versions/{v}]     model metadata: inputs/outputs with datatype and shape
    GET  /v2/models/{name}[/versions/{v}]/ready
    POST /v2/models/{name}[/versions/{v}]/infer
    GET  /metrics                             Prometheus text: requests by model and status,
                                              latency and batch-size histograms

An infer request is ``{"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype",
"data", "parameters"?}], "outputs"?: [{"name", "parameters"?}]}`` with ``data`` the tensor's
elements in row-major order (flat or nested); the answer is ``{"model_name",
"model_version", "id", "outputs": [{"name", "shape", "datatype", "data"}]}``. Errors answer
``{"error": message}``: 413 for a body over ``max_body_bytes`` (refused before it is read or
parsed), 400 for malformed JSON or a request that is not of that form, 404 for an unknown
model or version, 422 for a tensor whose datatype or shape the model does not take (the
message gives the expected shape), 504 when the answer takes longer than ``timeout_s``.

Dynamic micro-batching: the requests of one model wait in a queue until ``max_batch_size``
rows are collected or the oldest has waited ``max_delay_ms``; their rows are concatenated,
padded with zeros to the next of a few static batch sizes (powers of two up to
``max_batch_size``: every size is compiled at start-up, so nothing recompiles in steady
state), run in one call, and split back. A request with more rows than ``max_batch_size``
runs alone in chunks. With ``batching=False`` every request is one call (padded the same
way). Shutdown (SIGINT/SIGTERM under uvicorn) stops accepting connections and drains the
requests in flight before the batchers stop.

Canary rollout (:class:`CanarySplit`): requests to a model *without* a version go to the
canary version with probability ``fraction`` and to the stable one otherwise. Every
``check_every`` canary requests the split takes a look: it rolls back (all unversioned
traffic to the stable version) when the one-sided two-proportion z-test of "the canary
errs more" (:func:`jaxml.deploy.monitor.canary_pvalue`; errors are 5xx answers) has
p ≤ α / ``max_looks`` (Bonferroni over the looks, so a canary as good as the stable model
is rolled back with probability ≤ α) or when the canary's p99 latency exceeds
``max_latency_ratio`` × the stable one's *and* the one-sided Mann–Whitney test of "the
canary is slower" (:func:`jaxml.deploy.monitor.slower_pvalue`) has p ≤ α / ``max_looks``
(a p99 over a few dozen requests is their slowest one, so one stalled request would
otherwise roll back a good canary on a busy machine); after ``max_looks`` looks without either it is
promoted (all unversioned traffic to the canary). ``GET /v2/models/{name}/canary`` shows
the state, counts and the reason of a rollback.

Not here yet: server-sent-event streaming (no language model is exported yet).
"""

import asyncio
import bisect
import contextlib
import json
import math
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

V2_DATATYPES = {"bool": "BOOL", "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64",
                "int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64", "float16": "FP16",
                "float32": "FP32", "float64": "FP64"}
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServedModel(NamedTuple):
    """One version of a model: ``predict`` maps a ``(batch, *input_shape)`` array of
    ``input_dtype`` to a ``(batch, *output_shape)`` array."""

    name: str
    version: str
    predict: Callable[[np.ndarray], Any]
    input_name: str
    input_dtype: str
    input_shape: tuple[int, ...]  # without the batch axis
    output_name: str
    output_dtype: str
    output_shape: tuple[int, ...]
    platform: str = "jax"


def served_model(name: str, predict: Callable[[np.ndarray], Any], *, input_shape: Sequence[int],
                 output_shape: Sequence[int], input_dtype: str = "float32", output_dtype: str = "float32",
                 version: str = "1", input_name: str = "input", output_name: str = "output") -> ServedModel:
    """A :class:`ServedModel` of any batched function (a classical estimator's predict, a
    Flax ``apply`` with bound weights), checked for what the protocol can carry."""
    for dtype, what in ((input_dtype, "input_dtype"), (output_dtype, "output_dtype")):
        if str(np.dtype(dtype)) not in V2_DATATYPES:
            raise ValueError(f"{what} must be one of {sorted(V2_DATATYPES)}, got {dtype!r}")
    if not name or not str(name).replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"name must be letters, digits, '-' and '_', got {name!r}")
    return ServedModel(str(name), str(version), predict, input_name, str(np.dtype(input_dtype)),
                       tuple(int(d) for d in input_shape), output_name, str(np.dtype(output_dtype)),
                       tuple(int(d) for d in output_shape))


def served_model_from_artifact(path: str | Path, *, version: str = "1") -> ServedModel:
    """The artifact of :func:`jaxml.deploy.export.export_model` as a :class:`ServedModel`."""
    from jaxml.deploy.export import load_model

    loaded = load_model(path)
    spec_in, spec_out = loaded.manifest["inputs"][0], loaded.manifest["outputs"][0]
    return ServedModel(loaded.manifest["name"], str(version), lambda x: np.asarray(loaded.predict(x)),
                       spec_in["name"], spec_in["dtype"], tuple(spec_in["shape"][1:]), spec_out["name"],
                       spec_out["dtype"], tuple(spec_out["shape"][1:]), platform="jax_stablehlo")


class CanarySplit(NamedTuple):
    """Route ``fraction`` of the unversioned requests to model ``name`` to version
    ``canary`` (the rest to ``stable``) until a rollback or promotion (module docstring)."""

    name: str
    stable: str
    canary: str
    fraction: float = 0.1
    check_every: int = 100
    max_looks: int = 10
    alpha: float = 0.05
    max_latency_ratio: float = 3.0
    seed: int = 0


class _Canary:
    """The running state of one :class:`CanarySplit`."""

    def __init__(self, split: CanarySplit):
        from jaxml.core.validation import check_int, check_positive, check_probability

        if not 0 < split.fraction < 1:
            raise ValueError(f"fraction must be in (0, 1), got {split.fraction}")
        if split.stable == split.canary:
            raise ValueError(f"stable and canary must be different versions, got {split.stable!r} twice")
        check_int(split.check_every, "check_every", minimum=1)
        check_int(split.max_looks, "max_looks", minimum=1)
        check_probability(split.alpha, "alpha")
        check_positive(split.max_latency_ratio, "max_latency_ratio")
        self.split, self.state, self.reason, self.looks = split, "running", "", 0
        self.rng = np.random.default_rng(split.seed)
        self.outcomes: dict[str, list] = {split.stable: [], split.canary: []}  # (error, seconds) per request

    def route(self) -> str:
        if self.state == "promoted":
            return self.split.canary
        if self.state == "rolled_back":
            return self.split.stable
        return self.split.canary if self.rng.uniform() < self.split.fraction else self.split.stable

    def record(self, version: str, error: bool, seconds: float) -> None:
        if self.state != "running":
            return
        self.outcomes[version].append((error, seconds))
        n_canary = len(self.outcomes[self.split.canary])
        if version == self.split.canary and n_canary % self.split.check_every == 0:
            self._look()

    def _look(self) -> None:
        from jaxml.deploy.monitor import canary_pvalue, slower_pvalue

        self.looks += 1
        stable, canary = (np.asarray(self.outcomes[v], np.float64).reshape(-1, 2)
                          for v in (self.split.stable, self.split.canary))
        if stable.shape[0] == 0:
            return
        p = canary_pvalue(int(stable[:, 0].sum()), stable.shape[0], int(canary[:, 0].sum()), canary.shape[0])
        p99 = [float(np.quantile(a[:, 1], 0.99)) for a in (stable, canary)]
        level = self.split.alpha / self.split.max_looks
        slower = p99[1] > self.split.max_latency_ratio * p99[0] and slower_pvalue(stable[:, 1], canary[:, 1]) <= level
        if p <= level:
            self.state, self.reason = "rolled_back", (f"error rate {canary[:, 0].mean():.3f} vs stable "
                                                      f"{stable[:, 0].mean():.3f} (one-sided p = {p:.2g})")
        elif slower:
            self.state, self.reason = "rolled_back", (f"p99 latency {1000 * p99[1]:.1f} ms vs stable "
                                                      f"{1000 * p99[0]:.1f} ms")
        elif self.looks >= self.split.max_looks:
            self.state = "promoted"

    def summary(self) -> dict:
        counts = {v: {"requests": len(o), "errors": int(sum(e for e, _ in o))} for v, o in self.outcomes.items()}
        return {"name": self.split.name, "stable": self.split.stable, "canary": self.split.canary,
                "fraction": self.split.fraction, "state": self.state, "reason": self.reason, "looks": self.looks,
                "counts": counts}


class RequestError(Exception):
    """An infer request the server answers with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def batch_buckets(max_batch_size: int) -> tuple[int, ...]:
    """1, 2, 4, … below ``max_batch_size``, then ``max_batch_size``: the padded batch sizes."""
    sizes, b = [], 1
    while b < max_batch_size:
        sizes.append(b)
        b *= 2
    return (*sizes, max_batch_size)


def _padded_call(model: ServedModel, x: np.ndarray, buckets: tuple[int, ...]) -> np.ndarray:
    """``model.predict`` on ``x`` padded with zero rows to the smallest bucket that holds it."""
    size = next(b for b in buckets if b >= x.shape[0])
    padded = np.concatenate([x, np.zeros((size - x.shape[0], *x.shape[1:]), x.dtype)]) if size > x.shape[0] else x
    out = np.asarray(model.predict(padded))
    if out.shape[0] != size or out.shape[1:] != model.output_shape:
        raise RuntimeError(f"model {model.name} returned shape {out.shape} for a batch of {size}; expected "
                           f"({size}, {', '.join(map(str, model.output_shape))})")
    return out[: x.shape[0]].astype(model.output_dtype, copy=False)


class Histogram:
    """A Prometheus histogram per model label in constant memory: per-bucket counts (value
    ≤ bound, the last bucket +Inf), the sum and the count of the observations."""

    def __init__(self, name: str, help_text: str, bounds: Sequence[float]):
        self.name, self.help_text, self.bounds = name, help_text, tuple(float(b) for b in bounds)
        self.counts: dict[str, np.ndarray] = {}
        self.sums: dict[str, float] = defaultdict(float)

    def observe(self, model: str, value: float) -> None:
        counts = self.counts.setdefault(model, np.zeros(len(self.bounds) + 1, np.int64))
        counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sums[model] += value

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} histogram"]
        for model, counts in sorted(self.counts.items()):
            cumulative = np.cumsum(counts)
            for bound, c in zip((*(f"{b:g}" for b in self.bounds), "+Inf"), cumulative):
                lines.append(f'{self.name}_bucket{{model="{model}",le="{bound}"}} {int(c)}')
            lines.append(f'{self.name}_sum{{model="{model}"}} {self.sums[model]:.9g}')
            lines.append(f'{self.name}_count{{model="{model}"}} {int(cumulative[-1])}')
        return lines


class Metrics:
    """The server's counters and histograms, rendered in the Prometheus text format."""

    def __init__(self, max_batch_size: int):
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.latency = Histogram("jaxml_request_latency_seconds",
                                 "Time from an infer request reaching the handler to its answer.", LATENCY_BUCKETS_S)
        self.batch_size = Histogram("jaxml_batch_size", "Rows per model call (before padding).",
                                    batch_buckets(max_batch_size))

    def observe_request(self, model: str, status: int, seconds: float) -> None:
        self.requests[(model, status)] += 1
        self.latency.observe(model, seconds)

    def observe_batch(self, model: str, rows: int) -> None:
        self.batch_size.observe(model, rows)

    def render(self) -> str:
        lines = ["# HELP jaxml_requests_total Inference requests by model and HTTP status.",
                 "# TYPE jaxml_requests_total counter"]
        for (model, status), count in sorted(self.requests.items()):
            lines.append(f'jaxml_requests_total{{model="{model}",code="{status}"}} {count}')
        return "\n".join(lines + self.latency.render() + self.batch_size.render()) + "\n"


class MicroBatcher:
    """Collects the rows of concurrent requests of one model into padded batches (module
    docstring); every model call runs on one worker thread, off the event loop."""

    def __init__(self, model: ServedModel, *, max_batch_size: int, max_delay_s: float, batching: bool,
                 metrics: Metrics):
        self.model, self.max_batch_size, self.max_delay_s = model, max_batch_size, max_delay_s
        self.batching, self.metrics = batching, metrics
        self.buckets = batch_buckets(max_batch_size)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"jaxml-{model.name}")
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None

    def warm_up(self) -> None:
        """Compile every bucket size once."""
        for size in self.buckets:
            _padded_call(self.model, np.zeros((size, *self.model.input_shape), self.model.input_dtype), self.buckets)

    def start(self) -> None:
        self.queue = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        self.executor.shutdown(wait=True)

    async def _run(self, x: np.ndarray) -> np.ndarray:
        loop = asyncio.get_running_loop()
        parts = []
        for start in range(0, x.shape[0], self.max_batch_size):
            chunk = x[start:start + self.max_batch_size]
            self.metrics.observe_batch(self.model.name, chunk.shape[0])
            parts.append(await loop.run_in_executor(self.executor, _padded_call, self.model, chunk, self.buckets))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    async def submit(self, x: np.ndarray) -> np.ndarray:
        if not self.batching or x.shape[0] >= self.max_batch_size:
            return await self._run(x)
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((x, future))
        return await future

    async def _loop(self) -> None:
        while True:
            first = await self.queue.get()
            pending, rows = [first], first[0].shape[0]
            deadline = time.monotonic() + self.max_delay_s
            while rows < self.max_batch_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self.queue.get(), left)
                except asyncio.TimeoutError:
                    break
                if rows + item[0].shape[0] > self.max_batch_size:
                    await self._answer(pending)
                    pending, rows = [], 0
                pending.append(item)
                rows += item[0].shape[0]
            await self._answer(pending)

    async def _answer(self, pending: list) -> None:
        live = [(x, f) for x, f in pending if not f.done()]  # a timed-out request's future is cancelled
        if not live:
            return
        try:
            out = await self._run(np.concatenate([x for x, _ in live]))
        except Exception as err:  # noqa: BLE001 - the error goes to every waiting request
            for _, f in live:
                if not f.done():
                    f.set_exception(err)
            return
        start = 0
        for x, f in live:
            if not f.done():
                f.set_result(out[start:start + x.shape[0]])
            start += x.shape[0]


# ----------------------------------------------------------------------------- request handling
def _input_tensor(request: Any, model: ServedModel) -> np.ndarray:
    """The model's input array from a parsed infer request, or a :class:`RequestError`."""
    if not isinstance(request, dict) or not isinstance(request.get("inputs"), list):
        raise RequestError(400, 'an infer request must be a JSON object with an "inputs" list')
    if "parameters" in request and not isinstance(request["parameters"], dict):
        raise RequestError(400, '"parameters" must be an object')
    if len(request["inputs"]) != 1 or not isinstance(request["inputs"][0], dict):
        raise RequestError(400, f"model {model.name} takes one input tensor, {model.input_name!r}")
    tensor = request["inputs"][0]
    for field in ("name", "shape", "datatype", "data"):
        if field not in tensor:
            raise RequestError(400, f'input tensor lacks "{field}"')
    if tensor["name"] != model.input_name:
        raise RequestError(400, f"unknown input {tensor['name']!r}; model {model.name} takes {model.input_name!r}")
    if tensor.get("parameters", {}).get("binary_data_size") is not None:
        raise RequestError(400, "binary tensor data is not supported; send JSON data (binary_data=False)")
    shape = tensor["shape"]
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                              for d in shape):
        raise RequestError(400, '"shape" must be a list of non-negative integers')
    expected_shape = ["batch", *model.input_shape]
    expected_type = V2_DATATYPES[model.input_dtype]
    if tensor["datatype"] != expected_type:
        raise RequestError(422, f"input {model.input_name!r} must have datatype {expected_type}, got "
                                f"{tensor['datatype']!r}")
    if len(shape) != len(expected_shape) or tuple(shape[1:]) != model.input_shape or shape[0] < 1:
        raise RequestError(422, f"input {model.input_name!r} must have shape {expected_shape} (batch >= 1), "
                                f"got {shape}")
    try:
        data = np.asarray(tensor["data"], dtype=model.input_dtype)
    except (TypeError, ValueError, OverflowError, RecursionError):
        raise RequestError(422, f"the data of {model.input_name!r} are not {expected_type} values") from None
    if data.dtype == object or data.size != math.prod(shape):
        raise RequestError(422, f"input {model.input_name!r} declares shape {shape} ({math.prod(shape)} values) "
                                f"but holds {data.size}")
    if model.input_dtype.startswith("float") and not np.all(np.isfinite(data)):
        raise RequestError(422, f"the data of {model.input_name!r} must be finite")
    wanted = request.get("outputs")
    if wanted is not None:
        if not isinstance(wanted, list) or not all(isinstance(o, dict) and "name" in o for o in wanted):
            raise RequestError(400, '"outputs" must be a list of objects with a "name"')
        unknown = [o["name"] for o in wanted if o["name"] != model.output_name]
        if unknown:
            raise RequestError(400, f"unknown outputs {unknown}; model {model.name} has {model.output_name!r}")
    return data.reshape(shape)


def _response(model: ServedModel, request: dict, out: np.ndarray) -> dict:
    body = {"model_name": model.name, "model_version": model.version,
            "outputs": [{"name": model.output_name, "shape": list(out.shape),
                         "datatype": V2_DATATYPES[model.output_dtype], "data": out.ravel().tolist()}]}
    if "id" in request:
        body["id"] = request["id"]
    return body


def _metadata(model: ServedModel, versions: list[str]) -> dict:
    return {"name": model.name, "versions": versions, "platform": model.platform,
            "inputs": [{"name": model.input_name, "datatype": V2_DATATYPES[model.input_dtype],
                        "shape": [-1, *model.input_shape]}],
            "outputs": [{"name": model.output_name, "datatype": V2_DATATYPES[model.output_dtype],
                         "shape": [-1, *model.output_shape]}]}


def make_app(models: Sequence[ServedModel], *, max_batch_size: int = 64, max_delay_ms: float = 2.0,
             batching: bool = True, timeout_s: float = 10.0, max_body_bytes: int = 8 * 2 ** 20,
             canaries: Sequence[CanarySplit] = ()):
    """The FastAPI application serving ``models`` (module docstring)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse

    from jaxml import __version__
    from jaxml.core.validation import check_int, check_positive

    check_int(max_batch_size, "max_batch_size", minimum=1)
    check_int(max_body_bytes, "max_body_bytes", minimum=1)
    check_positive(timeout_s, "timeout_s")
    if max_delay_ms < 0:
        raise ValueError(f"max_delay_ms must be >= 0, got {max_delay_ms}")
    if not models:
        raise ValueError("models must hold at least one ServedModel")
    registry: dict[str, dict[str, ServedModel]] = defaultdict(dict)
    for m in models:
        if m.version in registry[m.name]:
            raise ValueError(f"model {m.name} version {m.version} is given twice")
        registry[m.name][m.version] = m
    canary_of: dict[str, _Canary] = {}
    for split in canaries:
        missing = [v for v in (split.stable, split.canary) if v not in registry.get(split.name, {})]
        if missing:
            raise ValueError(f"canary split of {split.name!r}: versions {missing} are not served")
        if split.name in canary_of:
            raise ValueError(f"model {split.name!r} has two canary splits")
        canary_of[split.name] = _Canary(split)
    metrics = Metrics(max_batch_size)
    batchers = {(m.name, m.version): MicroBatcher(m, max_batch_size=max_batch_size, max_delay_s=max_delay_ms / 1000,
                                                  batching=batching, metrics=metrics) for m in models}
    state = {"ready": False}

    @asynccontextmanager
    async def lifespan(app):
        loop = asyncio.get_running_loop()
        for b in batchers.values():
            b.start()
        await asyncio.gather(*(loop.run_in_executor(b.executor, b.warm_up) for b in batchers.values()))
        state["ready"] = True
        yield
        state["ready"] = False
        await asyncio.gather(*(b.stop() for b in batchers.values()))

    app = FastAPI(title="jaxml inference server", lifespan=lifespan)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def find(name: str, version: str | None) -> ServedModel:
        if name not in registry:
            raise RequestError(404, f"unknown model {name!r}; served: {sorted(registry)}")
        versions = registry[name]
        if version is None:
            return versions[max(versions, key=lambda v: (len(v), v))]
        if version not in versions:
            raise RequestError(404, f"model {name!r} has no version {version!r}; it has {sorted(versions)}")
        return versions[version]

    @app.exception_handler(RequestError)
    async def on_request_error(request, err: RequestError):
        return error(err.status, str(err))

    @app.get("/v2/health/live")
    async def live():
        return {"live": True}

    @app.get("/v2/health/ready")
    async def ready():
        return JSONResponse({"ready": state["ready"]}, status_code=200 if state["ready"] else 503)

    @app.get("/v2")
    async def server_metadata():
        return {"name": "jaxml", "version": __version__, "extensions": []}

    @app.get("/v2/models/{name}")
    @app.get("/v2/models/{name}/versions/{version}")
    async def model_metadata(name: str, version: str | None = None):
        model = find(name, version)
        return _metadata(model, sorted(registry[name]))

    @app.get("/v2/models/{name}/ready")
    @app.get("/v2/models/{name}/versions/{version}/ready")
    async def model_ready(name: str, version: str | None = None):
        find(name, version)
        return JSONResponse({"name": name, "ready": state["ready"]}, status_code=200 if state["ready"] else 503)

    @app.get("/v2/models/{name}/canary")
    async def canary_state(name: str):
        find(name, None)
        if name not in canary_of:
            raise RequestError(404, f"model {name!r} has no canary split")
        return canary_of[name].summary()

    @app.post("/v2/models/{name}/infer")
    @app.post("/v2/models/{name}/versions/{version}/infer")
    async def infer(name: str, request: Request, version: str | None = None):
        split = canary_of.get(name) if version is None else None
        model = find(name, split.route() if split is not None else version)
        start = time.perf_counter()
        status, body = 200, None
        try:
            declared = request.headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
                raise RequestError(413, f"the body must be at most {max_body_bytes} bytes")
            raw = bytearray()
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > max_body_bytes:
                    raise RequestError(413, f"the body must be at most {max_body_bytes} bytes")
            try:
                parsed = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as err:
                raise RequestError(400, f"the body is not valid JSON: {err}") from None
            except RecursionError:
                raise RequestError(400, "the body is not valid JSON: nested too deeply") from None
            x = _input_tensor(parsed, model)
            try:
                out = await asyncio.wait_for(batchers[(model.name, model.version)].submit(x), timeout_s)
            except asyncio.TimeoutError:
                raise RequestError(504, f"no answer within {timeout_s:g} s") from None
            except Exception as err:  # noqa: BLE001 - the model failed: the client gets a 500 naming it
                raise RequestError(500, f"model {model.name} version {model.version} failed: "
                                        f"{type(err).__name__}: {err}") from None
            body = _response(model, parsed, out)
        except RequestError as err:
            status, body = err.status, {"error": str(err)}
        seconds = time.perf_counter() - start
        metrics.observe_request(model.name, status, seconds)
        if split is not None and status not in range(400, 500):
            split.record(model.version, status >= 500, seconds)
        return JSONResponse(body, status_code=status)

    @app.get("/metrics")
    async def prometheus():
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    app.state.metrics = metrics
    return app


def serve(artifacts: Sequence[str | Path], *, host: str = "127.0.0.1", port: int = 8000,
          graceful_timeout_s: float = 30.0, **app_options) -> None:
    """Serve exported artifacts with uvicorn until interrupted (SIGINT/SIGTERM drain the
    requests in flight, for at most ``graceful_timeout_s``)."""
    import uvicorn

    models = [served_model_from_artifact(path) for path in artifacts]
    uvicorn.run(make_app(models, **app_options), host=host, port=port, log_level="warning",
                timeout_graceful_shutdown=graceful_timeout_s)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until_ready(url: str, alive: Callable[[], bool], *, timeout_s: float = 120.0,
                     why: Callable[[], str] = lambda: "") -> None:
    """Poll ``{url}/v2/health/ready`` until it answers 200; raise ``RuntimeError`` (with
    ``why()`` appended) when ``alive()`` turns false (the server died) or after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(f"{url}/v2/health/ready", timeout=5) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    state = "is not running" if not alive() else f"was not ready after {timeout_s:g} s"
    raise RuntimeError(f"the server at {url} {state}: {why()}")


@contextlib.contextmanager
def serve_in_thread(app, *, host: str = "127.0.0.1", port: int | None = None):
    """Serve ``app`` with uvicorn in a background thread of this process; yield its URL once
    it is ready, and shut it down (draining requests in flight) on leaving the block."""
    import uvicorn

    port = free_port(host) if port is None else port
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    try:
        wait_until_ready(url, thread.is_alive, why=lambda: "its thread ended (startup failed)")
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
