"""experiments/pac_bayes.py: the session's quick run end to end — reported means equal the
per-seed values it saved, and every bound lies above the training error it was built from."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import pac_bayes as exp

pytestmark = pytest.mark.xdist_group("pac_bayes")  # shares the quick run (conftest)


def test_pac_bayes_quick_run_end_to_end(quick_run):
    run = quick_run("pac_bayes")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = exp.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "pac_bayes" and saved["seeds"] == config.seeds
    assert saved["target"] == exp.TARGET
    metrics = saved["metrics"]
    for arch in config.archs:
        for name, key in ((arch, f"mnist1d/{arch}"), ("random_labels", f"random_labels/{arch}")):
            per_seed = saved["extra"][key]
            for p in ("", "_ddp"):
                bound, train = np.asarray(per_seed["bound" + p]), np.asarray(per_seed["snn_train_err" + p])
                assert bound.shape == (config.seeds,)
                assert metrics[f"bound{p}/{name}"] == pytest.approx(bound.mean(), rel=1e-5)
                assert metrics[f"kl{p}/{name}"] == pytest.approx(np.mean(per_seed["kl" + p]), rel=1e-5)
                # kl⁻¹(kl⁻¹(ê_n, ·), ·) ≥ ê_n, and a bound on an error never exceeds 1
                assert np.all(bound >= train) and np.all(bound <= 1.0)
    assert (out / "bound_vs_test_error.png").stat().st_size > 0
    readme = (out / "README.md").read_text()
    assert "load average" in readme and "data-dependent" in readme
