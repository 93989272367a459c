"""experiments/rl_tabular.py: the session's quick run end to end, and the presets."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import rl_tabular

pytestmark = pytest.mark.xdist_group("rl_tabular")  # shares the quick run (conftest)


def test_rl_tabular_quick_run(quick_run):
    run = quick_run("rl_tabular")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = rl_tabular.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == rl_tabular.NAME
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
    readme = (out / "README.md").read_text()
    assert f"(n={config.seeds}" in readme and "Run (quick preset)" in readme
    assert ("does not reach the goal" in readme) == (failed > 0)
    for fig in ("cliff_walking.png", "random_walk_rmse.png"):
        assert (out / fig).stat().st_size > 0
        assert f"]({fig})" in readme


def test_rl_tabular_presets():
    full, quick = rl_tabular.Config.full(), rl_tabular.Config.quick()
    assert full.seeds > quick.seeds >= 2 and full.cliff_episodes == 500
    assert full.epsilon == 0.1 and full.cliff_alpha == 0.5  # Sutton & Barto Example 6.6
