"""experiments/ntk.py: the session's quick run end to end, and its README sentences."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import ntk

pytestmark = pytest.mark.xdist_group("ntk")  # shares the quick run (conftest)


def test_ntk_quick_run_end_to_end(quick_run):
    run = quick_run("ntk")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = ntk.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "ntk" and saved["seeds"] == config.seeds
    assert saved["paper"] == {} and saved["target"] == ntk.TARGET
    metrics = saved["metrics"]
    small, large = config.conv_widths
    for key in (f"ntk_rel_err/{small}", f"ntk_rel_err/{large}", f"ntk_rel_err_ci95/{small}",
                "ntk_loglog_slope", "ntk_loglog_slope_ci95", f"lin_rmse/{config.lin_widths[0]}",
                f"lin_rmse_sgd/{config.lin_widths[0]}", f"ntk_mean_kernel_rel_err/{small}",
                f"ntk_change/{config.lin_widths[0]}", "kernel_reg_test_acc/ntk",
                "kernel_reg_test_acc/nngp"):
        assert metrics[key] is not None, key
    # config.seeds draws per width, each width's mean over them, slopes fitted per draw
    errs = np.asarray(saved["extra"]["convergence"]["errs"])
    assert errs.shape == (len(config.conv_widths), config.seeds)
    assert metrics[f"ntk_rel_err_n/{small}"] == config.seeds
    assert metrics[f"ntk_rel_err/{small}"] == pytest.approx(errs[0].mean(), rel=1e-5)
    slopes = np.polyfit(np.log(config.conv_widths), np.log(errs), 1)[0]
    assert metrics["ntk_loglog_slope"] == pytest.approx(slopes.mean(), rel=1e-4)
    assert 0.0 <= metrics["kernel_reg_test_acc/ntk"] <= 1.0
    assert (out / "ntk_convergence.png").stat().st_size > 0
    assert (out / "linearised.png").stat().st_size > 0
    readme = (out / "README.md").read_text()
    assert "ntk_vector_products" in readme and f"(n={config.seeds})" in readme
    assert "load average" in readme


def test_readme_sentences_follow_the_numbers():
    assert ntk._monotone([0.3, 0.2, 0.1], "the error") == "The error falls at every step to a wider network."
    assert "does not fall at 1 of 2" in ntk._monotone([0.3, 0.4, 0.1], "the error")
    assert "lies inside" in ntk._slope_sentence(np.array([-0.45, -0.55, -0.5]), "x")
    assert "lies outside" in ntk._slope_sentence(np.array([-0.30, -0.31, -0.29]), "x")
    assert "no interval" in ntk._slope_sentence(np.array([-0.5]), "x")
