"""experiments/rl_cartpole.py: the session's quick run end to end, presets, bad input."""

import dataclasses
import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import rl_cartpole

pytestmark = pytest.mark.xdist_group("rl_cartpole")  # shares the quick run (conftest)


def test_rl_cartpole_quick_run_reports_both_reinforce_variances(quick_run):
    run = quick_run("rl_cartpole")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = rl_cartpole.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "rl_cartpole" and saved["seeds"] == config.seeds
    assert saved["paper"] == {} and saved["target"] == {"final_return_mean/ppo": ">= 475"}
    m = saved["metrics"]
    for algo in config.algos:
        for prefix in ("final_return_mean", "final_return_mean_ci95", "env_steps_per_s",
                       "compile_s", "train_return_mean"):
            assert m[f"{prefix}/{algo}"] is not None, (prefix, algo)
        assert m[f"final_return_mean_n/{algo}"] + m[f"final_return_mean_failed/{algo}"] == config.seeds
        assert 0 < m[f"final_return_mean/{algo}"] <= 500
        assert m[f"env_steps_used/{algo}"] <= config.total_timesteps
    per_seed = saved["extra"]["per_seed"]
    with_b, without = (np.mean(per_seed[f"grad_variance_mean/{a}"])
                       for a in ("reinforce", "reinforce_nobaseline"))
    assert with_b > 0 and without > 0
    assert m["grad_variance_ratio/nobaseline_over_baseline"] == pytest.approx(without / with_b)
    assert (out / "cartpole.png").stat().st_size > 0
    readme = (out / "README.md").read_text()
    assert "![cartpole.png](cartpole.png)" in readme and "| ppo |" in readme
    assert f"(n={config.seeds}" in readme and "Run (quick preset)" in readme
    assert f"ratio without ÷ with {m['grad_variance_ratio/nobaseline_over_baseline']:.3g};" in readme
    verdict = "meets" if m["final_return_mean/ppo"] >= 475 else "does not meet"
    assert f"{verdict} the goal >= 475" in readme


def test_rl_cartpole_presets_and_unknown_algo(tmp_path):
    full = rl_cartpole.Config.full()
    assert full.seeds >= 8 and full.total_timesteps == 500_000
    assert set(rl_cartpole.ALGOS) == set(full.algos)  # one full run holds every algorithm
    assert {"reinforce", "reinforce_nobaseline"} <= set(rl_cartpole.Config.quick().algos)
    assert not hasattr(rl_cartpole, "merge")  # paper_repro comes from one run, never a merge
    bad = dataclasses.replace(rl_cartpole.Config.quick(), algos=("sac",))
    with pytest.raises(ValueError, match="unknown algo"):
        rl_cartpole.run(bad, tmp_path)


@pytest.mark.slow
def test_ppo_reaches_475_within_500k_steps(tmp_path):
    config = dataclasses.replace(rl_cartpole.Config.full(), algos=("ppo",))
    results = rl_cartpole.run(config, tmp_path)
    assert results["metrics"]["final_return_mean/ppo"] >= 475.0
