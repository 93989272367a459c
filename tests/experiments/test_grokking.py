"""experiments/grokking.py: the session's quick run end to end — its steps-to-99% numbers
recomputed from the accuracy curves it saved."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import grokking as exp
from jaxml.theory import grokking

pytestmark = pytest.mark.xdist_group("grokking")  # shares the quick run (conftest)


def test_grokking_quick_run_end_to_end(quick_run):
    run = quick_run("grokking")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = exp.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "grokking" and saved["seeds"] == config.seeds
    metrics, steps = saved["metrics"], np.asarray(saved["extra"]["steps"])
    op = exp.OP_NAMES[config.ops[0]]
    expected = {f"{op}/{f}" for f in config.fractions} | {f"wd0_{op}/{f}" for f in config.no_decay_fractions}
    assert set(saved["extra"]["curves"]) == expected
    for name, curves in saved["extra"]["curves"].items():
        prefix = "wd0_" if name.startswith("wd0_") else ""
        rest = name.removeprefix(prefix)
        train = grokking.steps_to_threshold(steps, np.asarray(curves["train_acc"]))
        val = grokking.steps_to_threshold(steps, np.asarray(curves["val_acc"]))
        assert np.asarray(curves["train_acc"]).shape == (config.seeds, steps.size)
        for stem, values in (("steps_to_train_99", train), ("steps_to_val_99", val)):
            finite = values[np.isfinite(values)]
            mean = metrics[f"{prefix}{stem}/{rest}"]
            assert metrics[f"{prefix}{stem}_failed/{rest}"] == config.seeds - finite.size
            if finite.size:
                assert mean == pytest.approx(finite.mean())
            else:
                assert mean is None
    assert "load average" in (out / "README.md").read_text()
    assert any(p.suffix == ".png" and p.stat().st_size > 0 for p in out.iterdir())
