"""experiments/bench_rl.py: equal-work metrics, README computed from the run, presets."""

import dataclasses
import json

import numpy as np
import pytest

from jaxml.experiments import bench_rl
from jaxml.rl.common import ACTIVATIONS

pytestmark = pytest.mark.xdist_group("bench_rl")  # shares the quick run (conftest)


def _tiny(**changes):
    return dataclasses.replace(bench_rl.Config.quick(), total_timesteps=512, eval_episodes=2,
                               **changes)


def test_bench_rl_against_sb3_reports_equal_work_ratios(quick_run):
    pytest.importorskip("stable_baselines3")
    run = quick_run("bench_rl")  # the quick preset, peer included when it is installed
    assert run.returncode == 0, run.stderr[-3000:]
    out, config = run.out, bench_rl.Config.quick()
    steps = bench_rl.steps_per_seed(bench_rl.ppo_config(config))
    m = json.loads((out / "results.json").read_text())["metrics"]
    assert m["env_steps_per_seed"] == steps
    for n in config.seed_counts:
        tag = f"{n}seeds"
        ours, steady, sb3 = m[f"wall_s/ours/{tag}"], m[f"wall_steady_s/ours/{tag}"], m[f"wall_s/sb3/{tag}"]
        assert ours > 0 and steady > 0 and sb3 > 0
        assert m[f"speedup_vs_sb3/ppo/{tag}"] == pytest.approx(sb3 / ours)
        assert m[f"speedup_steady_vs_sb3/ppo/{tag}"] == pytest.approx(sb3 / steady)
        assert m[f"env_steps_per_s/sb3/{tag}"] == pytest.approx(n * steps / sb3)
        for side in ("ours", "sb3"):
            assert m[f"final_return_mean_n/{side}/{tag}"] == n
            assert m[f"final_return_mean_failed/{side}/{tag}"] == 0
            # CartPole pays 1 per step and an episode lasts 8..500 steps
            assert 8 <= m[f"final_return_mean/{side}/{tag}"] <= 500
        assert (m[f"final_return_mean_ci95/ours/{tag}"] is None) == (n == 1)
    readme = (out / "README.md").read_text()
    assert "| task | peer: Stable-Baselines3 PPO | ours: jaxml PPO | ratio (compile incl.) | ratio (steady) |" in readme
    big = f"{config.seeds}seeds"
    assert f"{m[f'speedup_vs_sb3/ppo/{big}']:.2f}×" in readme
    assert f"{m[f'wall_s/sb3/{big}']:.1f} s with Stable-Baselines3 on 2 processes" in readme
    assert "load average" in readme and (out / "bench.png").stat().st_size > 0


def test_bench_rl_without_peer_reports_ours_only(tmp_path):
    bench_rl.run(_tiny(seeds=1, peer=False), tmp_path)
    m = json.loads((tmp_path / "results.json").read_text())["metrics"]
    assert m["wall_s/ours/1seeds"] >= m["compile_s/ours/1seeds"] >= 0
    assert not any("sb3" in k for k in m)
    assert "peer was not run" in (tmp_path / "README.md").read_text()


def test_sb3_hyperparameters_mirror_ours():
    cfg = bench_rl.ppo_config(bench_rl.Config.full())
    hyper = bench_rl.sb3_hyperparameters(cfg)
    assert (hyper["n_envs"], hyper["n_steps"], hyper["n_epochs"]) == (cfg.num_envs, cfg.num_steps, cfg.update_epochs)
    assert hyper["batch_size"] * cfg.num_minibatches == cfg.num_envs * cfg.num_steps
    assert (hyper["lr"], hyper["clip_range"], hyper["ent_coef"]) == (cfg.lr, cfg.clip_eps, cfg.ent_coef)
    # equal budgets: whole updates only, on both sides
    assert hyper["total_timesteps"] == cfg.num_updates * cfg.num_envs * cfg.num_steps <= 500_000
    torch = pytest.importorskip("torch")
    assert set(bench_rl.TORCH_ACTIVATIONS) == set(ACTIVATIONS)
    for name, torch_name in bench_rl.TORCH_ACTIVATIONS.items():
        x = np.linspace(-2, 2, 5, dtype=np.float32)
        np.testing.assert_allclose(getattr(torch.nn, torch_name)()(torch.as_tensor(x)).numpy(),
                                   np.asarray(ACTIVATIONS[name](x)), rtol=1e-6)


def test_bench_rl_presets_and_bad_config():
    full = bench_rl.Config.full()
    assert full.peer and full.seed_counts == (1, 8) and full.total_timesteps == 500_000
    assert bench_rl.Config.quick().seed_counts == (1, 2)
    assert bench_rl.Config(seeds=1).seed_counts == (1,)
    with pytest.raises(ValueError, match="seeds"):
        bench_rl.Config(seeds=0)
    with pytest.raises(ValueError, match="peer_workers"):
        bench_rl.Config(peer_workers=0)
    with pytest.raises(TypeError, match="peer"):
        bench_rl.Config(peer="yes")
    np.testing.assert_equal(bench_rl.TARGET, {})
