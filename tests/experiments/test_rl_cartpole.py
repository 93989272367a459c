"""End-to-end smoke test of experiments/rl_cartpole.py on a tiny config."""

import dataclasses
import json

import pytest

from jaxml.experiments import rl_cartpole


def test_rl_cartpole_tiny_runs_and_merge(tmp_path):
    config = dataclasses.replace(rl_cartpole.Config.quick(), seeds=2, total_timesteps=2_048,
                                 reinforce_updates=2, eval_episodes=2)
    for algo in ("ppo", "reinforce"):
        rl_cartpole.run(dataclasses.replace(config, algos=(algo,)), tmp_path / algo)
    rl_cartpole.merge([tmp_path / "ppo", tmp_path / "reinforce"], tmp_path / "all")
    saved = json.loads((tmp_path / "all" / "results.json").read_text())
    assert saved["experiment"] == "rl_cartpole" and saved["seeds"] == 2
    assert saved["config"]["algos"] == ["ppo", "reinforce"]
    m = saved["metrics"]
    for algo in ("ppo", "reinforce"):
        for prefix in ("final_return_mean", "final_return_ci95", "env_steps_per_s",
                       "compile_s", "train_return_mean"):
            assert m[f"{prefix}/{algo}"] is not None, (prefix, algo)
        assert 0 < m[f"final_return_mean/{algo}"] <= 500
    assert m["grad_variance_mean/reinforce"] > 0
    assert (tmp_path / "all" / "cartpole.png").stat().st_size > 0
    readme = (tmp_path / "all" / "README.md").read_text()
    assert "![cartpole.png](cartpole.png)" in readme and "| ppo |" in readme
    other = dataclasses.replace(config, seeds=3, algos=("a2c",))
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "results.json").write_text(json.dumps(
        {**saved, "config": {**saved["config"], "seeds": 3, "algos": list(other.algos)}}))
    with pytest.raises(ValueError, match="different configs"):
        rl_cartpole.merge([tmp_path / "ppo", tmp_path / "odd"], tmp_path / "bad")


def test_rl_cartpole_presets_and_unknown_algo(tmp_path):
    full = rl_cartpole.Config.full()
    assert full.seeds >= 8 and full.total_timesteps == 500_000
    assert {"ppo", "dqn", "a2c", "reinforce"} <= set(full.algos)
    bad = dataclasses.replace(rl_cartpole.Config.quick(), algos=("sac",))
    with pytest.raises(ValueError, match="unknown algo"):
        rl_cartpole.run(bad, tmp_path)


@pytest.mark.slow
def test_ppo_reaches_475_within_500k_steps(tmp_path):
    config = dataclasses.replace(rl_cartpole.Config.full(), algos=("ppo",))
    results = rl_cartpole.run(config, tmp_path)
    assert results["metrics"]["final_return_mean/ppo"] >= 475.0
