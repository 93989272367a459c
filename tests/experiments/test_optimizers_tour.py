"""End-to-end smoke test of experiments/optimizers_tour.py on a tiny config."""

import dataclasses
import json

import pytest

from jaxml.experiments import optimizers_tour as ot


def test_optimizers_tour_tiny_run(tmp_path):
    config = dataclasses.replace(ot.Config.quick(), num_steps=30, learning_rates=(0.01, 0.1),
                                 functions=("quadratic",), first_order=("nesterov",),
                                 second_order=("lbfgs",))
    results = ot.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == ot.NAME == results["experiment"]
    assert set(saved) >= {"experiment", "config", "metrics", "paper", "seeds", "wall_time_s",
                          "jax_version"}
    m = saved["metrics"]
    assert m["final_loss/lbfgs/quadratic"] < 1e-8  # second order solves a quadratic
    assert 0 <= m["final_loss/nesterov/quadratic"] < 1.0
    assert m["best_lr/nesterov/quadratic"] in (0.01, 0.1)
    assert saved["paper"] == {"final_loss/min/quadratic": 0.0}
    assert (tmp_path / "trajectories.png").stat().st_size > 0
    assert (tmp_path / "convergence.png").stat().st_size > 0
    readme = (tmp_path / "README.md").read_text()
    assert "| quadratic | 0 | lbfgs |" in readme and "![trajectories.png]" in readme


def test_config_presets_and_bad_config(tmp_path):
    assert ot.Config.full().seeds >= 2 and ot.Config.quick().num_steps < ot.Config.full().num_steps
    with pytest.raises(ValueError, match="unknown"):
        ot.run(dataclasses.replace(ot.Config.quick(), functions=("nope",)), tmp_path)
