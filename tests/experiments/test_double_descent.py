"""End-to-end smoke test of experiments/double_descent.py with a tiny config."""

import dataclasses
import json

from experiments import double_descent


def test_double_descent_runs_end_to_end(tmp_path):
    config = dataclasses.replace(double_descent.Config.quick(), ls_trials=20, ls_num_p=6, rf_n=30,
                                 rf_test=60, rf_points_per_n=3, num_train=300, mlp_widths=(2, 8),
                                 mlp_epochs=1, cnn_channels=(2,), cnn_epochs=1,
                                 sample_sizes=(100, 300), sample_steps=4, evals=1)
    results = double_descent.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == "double_descent" and saved["seeds"] == 1
    for key in ("minnorm_max_z", "rff_peak_over_n", "mlp_noise_peak_width",
                "mlp_noise_peak_test_err", "mlp_noise_final_test_err"):
        assert key in saved["metrics"]
    assert results["metrics"]["mlp_noise_peak_width"] in (2.0, 8.0)
    assert 0.0 <= saved["metrics"]["mlp_noise_final_test_err"] <= 1.0
    for fig in ("minnorm.png", "random_features.png", "modelwise.png", "epochwise.png", "samplewise.png"):
        assert (tmp_path / fig).stat().st_size > 0
    assert "paper" in (tmp_path / "README.md").read_text()
