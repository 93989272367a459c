"""bayes_uncertainty end to end on its quick config (plus the regression part)."""

import dataclasses
import json
from pathlib import Path

import pytest

from jaxml.experiments import bayes_uncertainty as exp


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path):
    config = dataclasses.replace(exp.Config.quick(), regression=True)
    results = exp.run(config, Path(tmp_path))
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == "bayes_uncertainty"
    m = saved["metrics"]
    for method in ("nuts", "svi", "mc_dropout", "ensemble"):
        for metric in ("test_acc", "nll", "ece", "ood_auroc", "reg_nll", "gap_std_ratio"):
            assert f"{metric}/{method}" in m, (metric, method)
        assert 0.0 <= m[f"ece/{method}"] <= 1.0
        assert 0.0 <= m[f"ood_auroc/{method}"] <= 1.0
        assert m[f"test_acc/{method}"] > 0.1  # above chance (10 classes)
    assert results["metrics"] == m
    for name in ("README.md", "gap_regression.png", "reliability.png"):
        assert (tmp_path / name).is_file()


def test_gap_data_has_a_gap():
    import jax

    X, y, X_test, y_test, f = exp._gap_data(jax.random.PRNGKey(0), 50, 0.1)
    assert X.shape == (50, 1) and y.shape == (50,)
    assert float(abs(X).min()) >= 1.0 and float(abs(X).max()) <= 3.0
    assert X_test.shape == (400, 1) and y_test.shape == (400,)
