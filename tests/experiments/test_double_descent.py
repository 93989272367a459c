"""experiments/double_descent.py: the session's quick run end to end, and peak location."""

import json

import pytest

from jaxml import experiment
from jaxml.experiments import double_descent

pytestmark = pytest.mark.xdist_group("double_descent")  # shares the quick run (conftest)


def test_double_descent_quick_run_end_to_end(quick_run):
    run = quick_run("double_descent")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = double_descent.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "double_descent" and saved["seeds"] == config.seeds == 1
    assert saved["paper"]["mlp_clean_final_test_err"] == 0.3725
    assert "deep-double-descent.ipynb" in saved["paper_source"]["mlp_noise_peak_width"]
    m = saved["metrics"]
    assert m["mlp_noise_peak_test_err_n"] == 1 and m["mlp_noise_failed_runs"] == 0
    n = config.sample_sizes[0]
    for key in ("minnorm_max_z", "rff_peak_over_n", "mlp_noise_peak_width",
                "mlp_noise_peak_test_err", "mlp_noise_final_test_err", "mlp_clean_final_test_err",
                "cnn_noise_peak_channels", f"samplewise_peak_width/n{n}",
                "samplewise_more_data_hurts_by", "minnorm_samplewise_max_z", "time_s/cnn_noise",
                "mlp_noise_peak_test_err_ci95", f"samplewise_peak_test_err_n/n{n}"):
        assert key in m, key
    assert m["mlp_noise_peak_width"] in config.mlp_widths
    assert 0.0 <= m["mlp_noise_final_test_err"] <= 1.0
    for fig in ("minnorm.png", "random_features.png", "modelwise.png", "epochwise.png", "samplewise.png"):
        assert (out / fig).stat().st_size > 0
    readme = (out / "README.md").read_text()
    assert "paper" in readme and "(n=1)" in readme and "load average" in readme
    assert "fewer than five" in readme  # one seed: the README says so
    assert "Run (quick preset)" in readme


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
