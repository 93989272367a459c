"""bayes_uncertainty end to end on its quick config (plus the regression part)."""

import dataclasses
import json
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxml.experiments import bayes_uncertainty as exp
from jaxml.experiment import unused_config_fields, validate_results


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path):
    config = dataclasses.replace(exp.Config.quick(), regression=True)
    results = exp.run(config, Path(tmp_path))
    saved = json.loads((tmp_path / "results.json").read_text())
    validate_results(saved)
    assert saved["experiment"] == "bayes_uncertainty"
    assert saved["paper"] == {} and saved["target"] == exp.TARGET
    m = saved["metrics"]
    for method in ("nuts", "svi", "mc_dropout", "ensemble"):
        for metric in ("test_acc", "nll", "ece", "ood_auroc", "reg_nll", "gap_std_ratio"):
            assert f"{metric}/{method}" in m, (metric, method)
            assert m[f"{metric}_n/{method}"] + m[f"{metric}_failed/{method}"] == 1
        assert 0.0 <= m[f"ece/{method}"] <= 1.0
        assert 0.0 <= m[f"ood_auroc/{method}"] <= 1.0
        assert m[f"test_acc/{method}"] > 0.1  # above chance (10 classes)
    assert results["metrics"] == m
    readme = (tmp_path / "README.md").read_text()
    assert "(n=1)" in readme and "±" not in readme.split("## MNIST-1D")[1].split("Targets")[0]
    for name in ("README.md", "gap_regression.png", "reliability.png"):
        assert (tmp_path / name).is_file()


def test_every_config_field_is_used():
    assert unused_config_fields(exp) == []


def test_target_sentences_follow_the_numbers():
    results = {"target": exp.TARGET,
               "metrics": {"test_acc/nuts": 0.61, "test_acc/svi": 0.55, "ece/nuts": 0.04,
                           "ece/svi": None}}
    text = exp._target_sentences(results)
    assert "`test_acc/nuts` 0.610 (goal >= 0.6): met" in text
    assert "`test_acc/svi` 0.550 (goal >= 0.6): **not met**" in text
    assert "`ece/svi` — (goal <= 0.05): undefined" in text


def test_gap_data_has_a_gap():
    X, y, X_test, y_test, f = exp._gap_data(jax.random.PRNGKey(0), 50, 0.1)
    assert X.shape == (50, 1) and y.shape == (50,)
    assert float(abs(X).min()) >= 1.0 and float(abs(X).max()) <= 3.0
    assert X_test.shape == (400, 1) and y_test.shape == (400,)
    np.testing.assert_allclose(y, f(X[:, 0]), atol=0.6)  # noise 0.1: within 6 sd
