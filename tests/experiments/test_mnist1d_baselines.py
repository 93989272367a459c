"""experiments/mnist1d_baselines.py: the session's quick run through the console script, as
a user runs it, and the README's comparison sentences."""

import json
from pathlib import Path

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import mnist1d_baselines as exp

pytestmark = pytest.mark.xdist_group("mnist1d_baselines")  # shares the quick run (conftest)


def test_cli_quick_run_end_to_end(quick_run):
    run = quick_run("mnist1d_baselines")
    assert run.returncode == 0, run.stderr[-3000:]
    out, seeds = run.out, exp.Config.quick().seeds
    assert f"results in {out.resolve()}" in run.stdout
    results = json.loads((out / "results.json").read_text())
    experiment.validate_results(results)
    assert results["experiment"] == "mnist1d_baselines" and results["seeds"] == seeds >= 2
    m = results["metrics"]
    for model in exp.MODELS:
        for stat in ("test_acc_mean", "test_acc_mean_ci95", "train_time_s"):
            assert f"{stat}/{model}" in m
        assert m[f"test_acc_mean_n/{model}"] == seeds and m[f"test_acc_mean_failed/{model}"] == 0
        assert results["paper"][f"test_acc_mean/{model}"] == exp.PAPER[f"test_acc_mean/{model}"]
        assert "MNIST-1D" in results["paper_source"][f"test_acc_mean/{model}"]
        assert 0.1 < m[f"test_acc_mean/{model}"] <= 1.0  # above chance
    for name in ("README.md", "training_curves.png", "accuracy.png"):
        assert (out / name).is_file()
    readme = (out / "README.md").read_text()
    assert "| cnn | 94% |" in readme and f"(n={seeds})" in readme and "load average" in readme


def test_comparison_sentence_is_computed_from_the_seeds():
    paper = exp.PAPER["test_acc_mean/cnn"]
    assert exp._comparison("cnn", np.array([paper - 0.02])) == "cnn: 2.0 points below the paper."
    inside = exp._comparison("cnn", np.array([paper - 0.01, paper + 0.01]))
    assert inside.endswith("the paper's value inside our 95% interval.")
    outside = exp._comparison("cnn", np.array([paper + 0.05, paper + 0.051, paper + 0.049]))
    assert outside.startswith("cnn: 5.0 points above") and "outside" in outside


def test_unknown_model_is_rejected():
    with pytest.raises(ValueError, match="model must be one of"):
        exp.build_model("transformer", exp.Config.quick())


@pytest.mark.slow
def test_full_run_is_within_three_points_of_the_paper(tmp_path):
    results = exp.run(exp.Config.full(), Path(tmp_path))
    for model in ("mlp", "cnn"):
        ours = results["metrics"][f"test_acc_mean/{model}"]
        assert abs(ours - exp.PAPER[f"test_acc_mean/{model}"]) <= 0.03, (model, ours)
