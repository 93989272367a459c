"""End-to-end smoke test of experiments/optimizers_tour.py on a tiny config."""

import dataclasses
import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import optimizers_tour as ot


def test_optimizers_tour_tiny_run(tmp_path):
    config = dataclasses.replace(ot.Config.quick(), num_steps=30, learning_rates=(0.01, 0.1),
                                 functions=("quadratic",), first_order=("nesterov",),
                                 second_order=("lbfgs",))
    results = ot.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == ot.NAME == results["experiment"]
    m = saved["metrics"]
    assert m["final_loss/lbfgs/quadratic"] < 1e-8  # second order solves a quadratic
    assert 0 <= m["final_loss/nesterov/quadratic"] < 1.0
    assert m["final_loss_n/nesterov/quadratic"] == 2 and m["final_loss_failed/nesterov/quadratic"] == 0
    assert m["best_lr/nesterov/quadratic"] in (0.01, 0.1)
    assert m["known_min/quadratic"] == 0.0 and saved["paper"] == {}
    assert (tmp_path / "trajectories.png").stat().st_size > 0
    assert (tmp_path / "convergence.png").stat().st_size > 0
    readme = (tmp_path / "README.md").read_text()
    assert "| quadratic | 0 | lbfgs |" in readme and "![trajectories.png]" in readme
    assert "quadratic: 1 of 2 optimisers reach the known minimum" in readme
    assert "(lbfgs)" in readme and "not solved: nesterov" in readme


def test_loss_format_names_seed_count_and_failures():
    assert ot._format_loss(np.array([1e-12])) == "1e-12 (n=1)"
    assert ot._format_loss(np.array([1.0, 3.0, np.nan])) == (
        f"2 ± {experiment.ci95([1.0, 3.0]):.2g} (n=2, 1 failed)")


def test_config_presets_and_bad_config(tmp_path):
    assert ot.Config.full().seeds >= 5 and ot.Config.quick().num_steps < ot.Config.full().num_steps
    with pytest.raises(ValueError, match="unknown"):
        ot.run(dataclasses.replace(ot.Config.quick(), functions=("nope",)), tmp_path)
