"""End-to-end smoke test of experiments/rl_tabular.py on a tiny config."""

import dataclasses
import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import rl_tabular


def test_rl_tabular_tiny_run(tmp_path):
    config = dataclasses.replace(rl_tabular.Config.quick(), seeds=3, cliff_episodes=150,
                                 grid_episodes=50, walk_episodes=20)
    results = rl_tabular.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == rl_tabular.NAME == results["experiment"]
    m = saved["metrics"]
    for name in ("gridworld", "frozen_lake", "four_rooms", "cliff_walking", "garnet"):
        assert m[f"max_abs_err_vi_vs_exact/{name}"] < 1e-3
        assert m[f"max_abs_err_pi_vs_exact/{name}"] < 1e-3
    # the exact solve reproduces the book's published true values (1/6 ... 5/6)
    for key, value in saved["paper"].items():
        assert m[key] == pytest.approx(value, abs=1e-5)
    assert m["optimal_path_steps/cliff_walking"] == 13
    assert m["online_return_last100/sarsa"] > m["online_return_last100/q_learning"]
    # failed seeds are counted beside the mean, and the mean is over the others only
    per_seed = np.asarray(saved["extra"]["per_seed"]["greedy_path_steps/sarsa"], float)
    failed = int(np.sum(~np.isfinite(per_seed)))
    assert m["greedy_path_steps_failed/sarsa"] == failed
    assert m["greedy_path_steps_n/sarsa"] == config.seeds - failed
    readme = (tmp_path / "README.md").read_text()
    assert "(n=3" in readme and "Run (direct preset)" in readme
    assert ("does not reach the goal" in readme) == (failed > 0)
    for fig in ("cliff_walking.png", "random_walk_rmse.png"):
        assert (tmp_path / fig).stat().st_size > 0
        assert f"]({fig})" in readme


def test_rl_tabular_presets():
    full, quick = rl_tabular.Config.full(), rl_tabular.Config.quick()
    assert full.seeds > quick.seeds >= 2 and full.cliff_episodes == 500
    assert full.epsilon == 0.1 and full.cliff_alpha == 0.5  # Sutton & Barto Example 6.6
