"""Smoke test of experiments/bench_rl.py: our side only (``peer=False``).

Stable-Baselines3/torch are in the ``bench`` extra, not the ``test`` extra, so the test
exercises the benchmark with the peer switched off; the full run compares both sides.
"""

import dataclasses
import json

from jaxml.experiments import bench_rl


def test_bench_rl_ours_only(tmp_path):
    config = dataclasses.replace(bench_rl.Config.quick(), seeds=2, total_timesteps=1_024,
                                 peer=False, eval_episodes=2)
    bench_rl.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    m = saved["metrics"]
    assert saved["experiment"] == "bench_rl" and saved["seeds"] == 2
    assert m["env_steps_per_s/ours"] > 0 and m["compile_s/ours"] > 0
    assert "env_steps_per_s/sb3" not in m and "speedup_vs_sb3/ppo" not in m
    assert "peer not run" in (tmp_path / "README.md").read_text()
    assert (tmp_path / "bench.png").stat().st_size > 0


def test_bench_rl_presets():
    full = bench_rl.Config.full()
    assert full.peer and full.seeds == 8 and full.total_timesteps == 500_000
