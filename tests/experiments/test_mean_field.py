"""experiments/mean_field.py: the session's quick run end to end — the slopes and gaps it
reports refitted from the per-seed arrays it saved."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import mean_field as exp

pytestmark = pytest.mark.xdist_group("mean_field")  # shares the quick run (conftest)


def test_mean_field_quick_run_end_to_end(quick_run):
    run = quick_run("mean_field")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = exp.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "mean_field" and saved["seeds"] == config.seeds
    assert saved["target"] == exp.TARGET
    metrics, extra = saved["metrics"], saved["extra"]
    widths = list(config.widths)
    for scaling in ("mean_field", "ntk"):
        change = np.asarray(extra["weight_change"][scaling])  # (seeds, widths)
        assert change.shape == (config.seeds, len(widths))
        for j, n in enumerate(widths):
            assert metrics[f"weight_change/{scaling}/{n}"] == pytest.approx(change[:, j].mean(), rel=1e-5)
        slopes = np.polyfit(np.log(widths), np.log(change.T), 1)[0]
        assert metrics[f"slope/weight_change/{scaling}"] == pytest.approx(slopes.mean(), rel=1e-4)
        assert metrics[f"slope_dev/weight_change/{scaling}"] == pytest.approx(
            abs(slopes.mean() - exp.THEORY_SLOPE[scaling]), rel=1e-4, abs=1e-6)
    gaps = np.asarray(extra["loss_curve_gap"])  # (widths - 1, seeds)
    for j, n in enumerate(widths[:-1]):
        assert metrics[f"loss_curve_gap/{n}"] == pytest.approx(gaps[j].mean(), rel=1e-5)
        assert metrics[f"w2_to_largest/{n}"] >= 0
    for name in ("weight_change.png", "loss_curves.png", "particles.png"):
        assert (out / name).stat().st_size > 0
    assert "load average" in (out / "README.md").read_text()
