"""End-to-end smoke test of experiments/rl_tabular.py on a tiny config."""

import dataclasses
import json

from jaxml.experiments import rl_tabular


def test_rl_tabular_tiny_run(tmp_path):
    config = dataclasses.replace(rl_tabular.Config.quick(), seeds=2, cliff_episodes=150,
                                 grid_episodes=50, walk_episodes=20)
    results = rl_tabular.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == rl_tabular.NAME == results["experiment"]
    assert set(saved) >= {"experiment", "config", "metrics", "paper", "seeds", "wall_time_s",
                          "jax_version"}
    m = saved["metrics"]
    for name in ("gridworld", "frozen_lake", "four_rooms", "cliff_walking", "garnet"):
        assert m[f"max_abs_err_vi_vs_exact/{name}"] < 1e-3
        assert m[f"max_abs_err_pi_vs_exact/{name}"] < 1e-3
    for key in ("online_return_last100/sarsa", "online_return_last100/q_learning",
                "greedy_path_steps/q_learning", "rmse_final/td0",
                "gridworld_value_gap/q_learning"):
        assert key in m and m[key] is not None, key
    assert m["online_return_last100/sarsa"] > m["online_return_last100/q_learning"]
    for fig in ("cliff_walking.png", "random_walk_rmse.png"):
        assert (tmp_path / fig).stat().st_size > 0
        assert f"]({fig})" in (tmp_path / "README.md").read_text()


def test_rl_tabular_presets():
    full, quick = rl_tabular.Config.full(), rl_tabular.Config.quick()
    assert full.seeds > quick.seeds and full.cliff_episodes == 500
    assert full.epsilon == 0.1 and full.cliff_alpha == 0.5  # Sutton & Barto Example 6.6
