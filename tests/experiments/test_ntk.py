"""End-to-end smoke test of experiments/ntk.py with a tiny config."""

import dataclasses
import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import ntk


def test_ntk_runs_end_to_end(tmp_path):
    config = dataclasses.replace(ntk.Config.quick(), seeds=3, conv_widths=(8, 16), lin_widths=(8, 16),
                                 lin_steps=4, kr_train=60, bench_points=2)
    ntk.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "ntk" and saved["seeds"] == 3
    assert saved["paper"] == {} and saved["target"] == ntk.TARGET
    metrics = saved["metrics"]
    for key in ("ntk_rel_err/8", "ntk_rel_err/16", "ntk_rel_err_ci95/8", "ntk_loglog_slope",
                "ntk_loglog_slope_ci95", "lin_rmse/8", "lin_rmse/16", "lin_rmse_sgd/8",
                "ntk_mean_kernel_rel_err/8", "ntk_change/8", "ntk_change/16",
                "kernel_reg_test_acc/ntk", "kernel_reg_test_acc/nngp"):
        assert metrics[key] is not None, key
    # config.seeds draws per width, each width's mean over them, slopes fitted per draw
    errs = np.asarray(saved["extra"]["convergence"]["errs"])
    assert errs.shape == (2, 3) and metrics["ntk_rel_err_n/8"] == 3
    assert metrics["ntk_rel_err/8"] == pytest.approx(errs[0].mean(), rel=1e-5)
    slopes = np.polyfit(np.log([8, 16]), np.log(errs), 1)[0]
    assert metrics["ntk_loglog_slope"] == pytest.approx(slopes.mean(), rel=1e-4)
    assert 0.0 <= metrics["kernel_reg_test_acc/ntk"] <= 1.0
    assert (tmp_path / "ntk_convergence.png").stat().st_size > 0
    assert (tmp_path / "linearised.png").stat().st_size > 0
    readme = (tmp_path / "README.md").read_text()
    assert "ntk_vector_products" in readme and "(n=3)" in readme and "load average" in readme


def test_readme_sentences_follow_the_numbers():
    assert ntk._monotone([0.3, 0.2, 0.1], "the error") == "The error falls at every step to a wider network."
    assert "does not fall at 1 of 2" in ntk._monotone([0.3, 0.4, 0.1], "the error")
    assert "lies inside" in ntk._slope_sentence(np.array([-0.45, -0.55, -0.5]), "x")
    assert "lies outside" in ntk._slope_sentence(np.array([-0.30, -0.31, -0.29]), "x")
    assert "no interval" in ntk._slope_sentence(np.array([-0.5]), "x")
