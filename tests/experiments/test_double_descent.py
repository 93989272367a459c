"""End-to-end smoke test of experiments/double_descent.py with a tiny config."""

import dataclasses
import json

from jaxml import experiment
from jaxml.experiments import double_descent


def test_double_descent_runs_end_to_end(tmp_path):
    config = dataclasses.replace(double_descent.Config.quick(), ls_trials=20, ls_num_p=6, rf_n=30,
                                 rf_test=60, rf_points_per_n=3, num_train=300, mlp_widths=(2, 8),
                                 mlp_epochs=1, cnn_channels=(2,), cnn_epochs=1,
                                 sample_widths=(2, 8), sample_sizes=(100,), evals=1)
    results = double_descent.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "double_descent" and saved["seeds"] == 1
    assert saved["paper"]["mlp_clean_final_test_err"] == 0.3725
    assert "deep-double-descent.ipynb" in saved["paper_source"]["mlp_noise_peak_width"]
    assert saved["metrics"]["mlp_noise_peak_test_err_n"] == 1
    assert saved["metrics"]["mlp_noise_failed_runs"] == 0
    for key in ("minnorm_max_z", "rff_peak_over_n", "mlp_noise_peak_width",
                "mlp_noise_peak_test_err", "mlp_noise_final_test_err", "mlp_clean_final_test_err",
                "cnn_noise_peak_channels", "samplewise_peak_width/n100", "samplewise_more_data_hurts_by",
                "minnorm_samplewise_max_z", "time_s/cnn_noise", "mlp_noise_peak_test_err_ci95",
                "samplewise_peak_test_err_n/n100"):
        assert key in saved["metrics"]
    assert results["metrics"]["mlp_noise_peak_width"] in (2.0, 8.0)
    assert 0.0 <= saved["metrics"]["mlp_noise_final_test_err"] <= 1.0
    for fig in ("minnorm.png", "random_features.png", "modelwise.png", "epochwise.png", "samplewise.png"):
        assert (tmp_path / fig).stat().st_size > 0
    readme = (tmp_path / "README.md").read_text()
    assert "paper" in readme and "(n=1)" in readme and "load average" in readme
    assert "fewer than five" in readme  # one seed: the README says so


def test_locate_peak_skips_underfitting_models_and_finds_the_threshold():
    import numpy as np

    sizes = np.array([2, 4, 8, 16, 32, 64])
    test = np.array([0.80, 0.40, 0.35, 0.50, 0.45, 0.42])[:, None] + np.zeros((1, 2))
    train = np.array([0.70, 0.30, 0.10, 0.005, 0.0, 0.0])[:, None] + np.zeros((1, 2))
    out = double_descent.locate_peak(test, train, sizes)
    # sweet spot at 8 (lowest before interpolation at 16), peak 16 although size 2 is worse
    assert out["sweet_width"] == 8 and out["interp_width"] == 16 and out["peak_width"] == 16
    assert out["peak_test_err"] == 0.5 and out["final_test_err"] == 0.42
    none_fit = double_descent.locate_peak(test, train + 0.5, sizes)
    assert np.isnan(none_fit["interp_width"]) and none_fit["sweet_width"] == 8
    # a failed (NaN) seed is left out of the means and counted, not hidden
    broken = test.copy()
    broken[3, 1] = np.nan
    out = double_descent.locate_peak(broken, train, sizes)
    assert out["failed_runs"] == 1 and out["peak_width"] == 16 and out["peak_test_err"] == 0.5
    assert np.isnan(out["peak_test_errs"]).sum() == 1
