"""Benchmark: the KServe v2 server (``jaxml serve``) under a bounded loopback load, with
dynamic micro-batching and without.

Two exported models (:func:`jaxml.deploy.export.export_model`): an MLP ``features`` →
``hidden`` → 2 (Flax, initial weights: serving cost does not depend on training) and a
gradient-boosted tree ensemble (``trees`` trees of depth ``depth``, fitted on a generated
binary task, exported through its ``predict_proba``). For each mode (batching on: at most
``max_batch_size`` rows per call, ``max_delay_ms`` wait; off: one call per request) a
server process is started, and for each model and each client count c in ``clients`` a
load generator runs c concurrent asyncio workers, each sending one-row infer requests back
to back for ``duration_s`` seconds (then it stops by itself), ``seeds`` times (medians are
reported). The generator (aiohttp) and the server share the machine's cores.

Metrics: ``rps/<model>/<c>``, ``p50_ms/<model>/<c>``, ``p99_ms/<model>/<c>`` with batching,
the same with ``_unbatched``, ``batching_speedup/<model>`` = throughput with ÷ without
batching at the largest c, ``p99_ratio/<model>`` = p99 with batching at the largest c ÷
p99 without batching at the middle c, and ``failed_requests`` over the whole run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from jaxml.core.validation import check_int
from jaxml.deploy.serve import free_port, wait_until_ready
from jaxml.experiment import (Timer, goal_cell, machine_line, main_for, markdown_table, require_modules,
                              save_figure, write_results)

NAME = "bench_serving"
NEEDED_MODULES = ("fastapi", "uvicorn", "aiohttp")
PAPER: dict = {}
PAPER_SOURCE: dict = {}
MODELS = ("mlp", "gbt")
MODES = ("batched", "unbatched")
# Issue 19: batching ≥ 5× throughput at 64 clients, its p99 no worse than unbatched at 16, no failures.
TARGET = {**{f"batching_speedup/{m}": ">= 5" for m in MODELS}, **{f"p99_ratio/{m}": "<= 1" for m in MODELS},
          "failed_requests": "<= 0"}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 3  # repetitions of every load level; medians are reported
    clients: tuple[int, ...] = (1, 16, 64)
    duration_s: float = 5.0
    max_batch_size: int = 64
    max_delay_ms: float = 2.0
    features: int = 32
    hidden: tuple[int, ...] = (512, 512)
    trees: int = 200
    depth: int = 4

    def __post_init__(self):
        check_int(self.seeds, "seeds", minimum=1)
        check_int(self.max_batch_size, "max_batch_size", minimum=1)
        if len(self.clients) < 2 or any(int(c) < 1 for c in self.clients):
            raise ValueError(f"clients must hold at least two positive counts, got {self.clients}")
        if self.duration_s <= 0:
            raise ValueError(f"duration_s must be > 0, got {self.duration_s}")

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=1, clients=(1, 4), duration_s=0.5, hidden=(32,), trees=10, depth=3)


# ------------------------------------------------------------------------------ models
def _export_models(config: Config, folder: Path) -> dict[str, Path]:
    import jax
    import jax.numpy as jnp

    from jaxml.classical.boosting import gradient_boosting_classifier
    from jaxml.deploy.export import export_model
    from jaxml.nn.models import MLP

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, config.features)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int32)
    mlp = MLP(tuple(config.hidden), 2)
    params = mlp.init(jax.random.key(0), X[:1])
    est = gradient_boosting_classifier(n_estimators=config.trees, max_depth=config.depth)
    fitted = est.fit(jax.random.key(1), jnp.asarray(X), jnp.asarray(y))
    return {"mlp": export_model(folder / "mlp", mlp.apply, params, X[:1], name="mlp"),
            "gbt": export_model(folder / "gbt", lambda p, x: est.predict_proba(p, x), fitted, X[:1], name="gbt")}


# ------------------------------------------------------------------------------ server and load
def _start_server(config: Config, artifacts: dict[str, Path], batching: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "jaxml.cli", "serve", *map(str, artifacts.values()), "--port", str(port),
           "--max-batch-size", str(config.max_batch_size), "--max-delay-ms", str(config.max_delay_ms)]
    proc = subprocess.Popen(cmd + ([] if batching else ["--no-batching"]), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, lambda: proc.poll() is None, timeout_s=300,
                         why=lambda: proc.stderr.read().decode()[-2000:] if proc.poll() is not None else "")
    except RuntimeError:
        proc.kill()
        raise
    return proc, url


def _stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def _bodies(config: Config, count: int = 256) -> list[bytes]:
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(count, config.features)).astype(np.float32)
    return [json.dumps({"inputs": [{"name": "input", "shape": [1, config.features], "datatype": "FP32",
                                    "data": row.tolist()}]}).encode() for row in rows]


async def _load(url: str, model: str, clients: int, duration_s: float, bodies: list[bytes]) -> dict:
    """``clients`` workers (aiohttp, one keep-alive connection each) sending back-to-back
    requests for ``duration_s``: requests, failures, throughput and latency percentiles."""
    import aiohttp

    latencies, failures = [], 0
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30.0)
    headers = {"content-type": "application/json"}
    async with aiohttp.ClientSession(base_url=url, connector=connector, timeout=timeout) as session:
        end = time.perf_counter() + duration_s

        async def worker(w: int):
            nonlocal failures
            i = w
            while time.perf_counter() < end:
                start = time.perf_counter()
                try:
                    async with session.post(f"/v2/models/{model}/infer", data=bodies[i % len(bodies)],
                                            headers=headers) as reply:
                        await reply.read()
                        ok = reply.status == 200
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    ok = False
                latencies.append(time.perf_counter() - start)
                failures += not ok
                i += clients

        begin = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        elapsed = time.perf_counter() - begin
    lat = np.asarray(latencies)
    return {"requests": int(lat.size), "failures": failures, "rps": lat.size / elapsed,
            "p50_ms": 1000 * float(np.quantile(lat, 0.5)), "p99_ms": 1000 * float(np.quantile(lat, 0.99))}


# ------------------------------------------------------------------------------ run
def run(config: Config, out_dir) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    require_modules(NAME, NEEDED_MODULES)
    from tqdm.auto import tqdm

    bodies = _bodies(config)
    levels: dict[str, dict] = {m: {mode: {} for mode in MODES} for m in MODELS}
    with Timer() as total, tempfile.TemporaryDirectory() as tmp:
        artifacts = _export_models(config, Path(tmp))
        jobs = [(mode, m, c) for mode in MODES for m in MODELS for c in config.clients]
        progress = tqdm(total=len(jobs) * config.seeds, desc="bench_serving", disable=None)
        for mode in MODES:
            proc, url = _start_server(config, artifacts, batching=mode == "batched")
            try:
                for _, model, c in [j for j in jobs if j[0] == mode]:
                    asyncio.run(_load(url, model, c, min(0.5, config.duration_s), bodies))  # warm the connections
                    repeats = []
                    for _ in range(config.seeds):
                        repeats.append(asyncio.run(_load(url, model, c, config.duration_s, bodies)))
                        progress.update()
                    levels[model][mode][c] = {
                        **{k: float(np.median([r[k] for r in repeats])) for k in ("rps", "p50_ms", "p99_ms")},
                        "requests": sum(r["requests"] for r in repeats), "failures": sum(r["failures"] for r in repeats)}
            finally:
                _stop_server(proc)
        progress.close()

    metrics: dict[str, float] = {}
    top, middle = max(config.clients), sorted(config.clients)[len(config.clients) // 2]
    for model in MODELS:
        for mode in MODES:
            suffix = "" if mode == "batched" else "_unbatched"
            for c, level in levels[model][mode].items():
                for k in ("rps", "p50_ms", "p99_ms"):
                    metrics[f"{k}{suffix}/{model}/{c}"] = level[k]
        metrics[f"batching_speedup/{model}"] = levels[model]["batched"][top]["rps"] / levels[model]["unbatched"][top]["rps"]
        metrics[f"p99_ratio/{model}"] = levels[model]["batched"][top]["p99_ms"] / levels[model]["unbatched"][middle]["p99_ms"]
    metrics["failed_requests"] = sum(level["failures"] for m in MODELS for mode in MODES
                                     for level in levels[m][mode].values())
    metrics["total_requests"] = sum(level["requests"] for m in MODELS for mode in MODES
                                    for level in levels[m][mode].values())
    _figure(out_dir, levels, config)
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics, paper=PAPER,
                            paper_source=PAPER_SOURCE, target=TARGET, seeds=config.seeds, wall_time_s=total.seconds,
                            extra={"levels": {m: {mode: {str(c): v for c, v in d.items()} for mode, d in by.items()}
                                              for m, by in levels.items()}})
    (out_dir / "README.md").write_text(readme(results, levels, config))
    return results


def _figure(out_dir: Path, levels: dict, config: Config) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for model, style in zip(MODELS, ("o-", "s--")):
        for mode, colour in zip(MODES, ("C0", "C1")):
            cs = sorted(levels[model][mode])
            axes[0].plot(cs, [levels[model][mode][c]["rps"] for c in cs], style, color=colour, label=f"{model}, {mode}")
            axes[1].plot(cs, [levels[model][mode][c]["p99_ms"] for c in cs], style, color=colour, label=f"{model}, {mode}")
    for ax, label in zip(axes, ("requests per second", "p99 latency [ms]")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent clients")
        ax.set_ylabel(label)
    axes[1].set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"jaxml serve on loopback, one-row requests, {config.duration_s:g} s per level")
    save_figure(fig, out_dir, "bench.png")


def readme(results: dict, levels: dict, config: Config) -> str:
    """The README, every sentence about the run computed from its numbers."""
    mt = results["metrics"]
    top, middle = max(config.clients), sorted(config.clients)[len(config.clients) // 2]
    rows = []
    for model in MODELS:
        for c in sorted(config.clients):
            b, u = levels[model]["batched"][c], levels[model]["unbatched"][c]
            rows.append([model, c, f"{b['rps']:.0f}", f"{b['p50_ms']:.1f}", f"{b['p99_ms']:.1f}",
                         f"{u['rps']:.0f}", f"{u['p50_ms']:.1f}", f"{u['p99_ms']:.1f}"])
    lines = [f"{model}: with batching the server answered {levels[model]['batched'][top]['rps']:.0f} requests/s at "
             f"{top} clients, without {levels[model]['unbatched'][top]['rps']:.0f} "
             f"({mt[f'batching_speedup/{model}']:.2f}×, goal {goal_cell(TARGET, mt, f'batching_speedup/{model}')}); "
             f"its p99 at {top} clients is {mt[f'p99_ratio/{model}']:.2f}× the unbatched p99 at {middle} "
             f"({goal_cell(TARGET, mt, f'p99_ratio/{model}')})." for model in MODELS]
    lines.append(f"{int(mt['failed_requests'])} of {int(mt['total_requests'])} requests failed "
                 f"({goal_cell(TARGET, mt, 'failed_requests')}).")
    header = ["model", "clients", "batched: req/s", "p50 ms", "p99 ms", "unbatched: req/s", "p50 ms", "p99 ms"]
    return f"""# {NAME}

**What a user waits for**: one-row infer requests (JSON, Open Inference Protocol) to
`jaxml serve` on loopback, from {', '.join(map(str, config.clients))} concurrent clients for
{config.duration_s:g} s per level (median of {config.seeds}), with dynamic batching (at most
{config.max_batch_size} rows per call, {config.max_delay_ms:g} ms wait) and without. Models: an
MLP {config.features} → {' → '.join(map(str, config.hidden))} → 2 and {config.trees} boosted trees of
depth {config.depth}, both exported to StableHLO. Client and server share the machine.

{" ".join(lines)}

{markdown_table(header, rows)}

![bench.png](bench.png)

{machine_line(results)}

## How to run

```
pip install -e '.[deploy,test]'   # fastapi, uvicorn; aiohttp (load generator)
jaxml repro {NAME}                # full
jaxml repro {NAME} --quick        # a few seconds per level
```
"""


if __name__ == "__main__":
    main_for(__name__)
