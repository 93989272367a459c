"""experiments/lottery_tickets.py: the session's quick run end to end — every reported mean
and ticket-vs-control gap recomputed from the per-seed accuracies it saved."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import lottery_tickets as exp

pytestmark = pytest.mark.xdist_group("lottery_tickets")  # shares the quick run (conftest)


def test_lottery_tickets_quick_run_end_to_end(quick_run):
    run = quick_run("lottery_tickets")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = exp.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "lottery_tickets" and saved["seeds"] == config.seeds
    assert saved["target"] == exp.TARGET
    metrics = saved["metrics"]
    for study, stem, gap in (("mnist1d", "test_acc", "gap"), ("digits", "digits_test_acc", "digits_gap")):
        extra = saved["extra"][study]
        dense = np.asarray(extra["dense"])
        assert dense.shape == (config.seeds,)
        assert metrics[f"{stem}/dense"] == pytest.approx(dense.mean(), rel=1e-6)
        rows = extra["rounds"]
        assert np.all(np.diff([r["sparsity"] for r in rows]) > 0), "each round prunes more"
        for row in rows:
            label = f"{100 * row['sparsity']:.0f}"
            ticket = np.asarray(row["ticket"])
            assert metrics[f"{stem}/ticket/{label}"] == pytest.approx(ticket.mean(), rel=1e-6)
            if "random_mask" in row:
                assert metrics[f"{gap}/ticket_minus_random_mask/{label}"] == pytest.approx(
                    (ticket - np.asarray(row["random_mask"])).mean(), abs=1e-5)
                assert metrics[f"{gap}/ticket_minus_dense/{label}"] == pytest.approx(
                    (ticket - dense).mean(), abs=1e-5)
        assert metrics[f"{stem}_pruned_weight_max_abs"] == 0.0, "pruned weights stay exactly zero"
    assert (out / "lottery_tickets.png").stat().st_size > 0
    assert "load average" in (out / "README.md").read_text()
