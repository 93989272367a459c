"""experiments/trust_tour.py: the session's quick run end to end — the reported means are
the per-seed values it saved, and the IID gap is centralised minus FedAvg accuracy."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import trust_tour as exp

pytestmark = pytest.mark.xdist_group("trust_tour")  # shares the quick run (conftest)


def test_trust_tour_quick_run_end_to_end(quick_run):
    run = quick_run("trust_tour")
    assert run.returncode == 0, run.stderr[-3000:]
    config, out = exp.Config.quick(), run.out
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "trust_tour" and saved["seeds"] == config.seeds
    metrics, final = saved["metrics"], saved["extra"]["final_accuracy"]
    for alpha in config.alphas:
        for algorithm in exp.ALGORITHMS:
            per_seed = np.asarray(final[f"{algorithm}/{alpha:g}"])
            assert per_seed.shape == (config.seeds,) and np.all((0 <= per_seed) & (per_seed <= 1))
            assert metrics[f"{algorithm}_acc/{alpha:g}"] == pytest.approx(per_seed.mean(), rel=1e-6)
            curve = saved["extra"]["accuracy_curves"][f"{algorithm}/{alpha:g}"]
            assert len(curve) == config.rounds and curve[-1] == pytest.approx(per_seed.mean(), rel=1e-6)
    central = np.asarray(saved["extra"]["central_accuracy"])
    iid = f"fedavg/{max(config.alphas):g}"
    assert metrics["fedavg_gap_iid"] == pytest.approx(central.mean() - np.mean(final[iid]), abs=1e-6)
    assert (out / "federated_accuracy.png").stat().st_size > 0
    assert "load average" in (out / "README.md").read_text()


def test_trust_tour_accountant_curves_rise_and_order(quick_run):
    run = quick_run("trust_tour")
    assert run.returncode == 0, run.stderr[-3000:]
    saved = json.loads((run.out / "results.json").read_text())
    curves = {m: np.asarray(c) for m, c in saved["extra"]["epsilon_curves"].items()}
    for curve in curves.values():
        assert np.all(np.diff(curve) > 0)  # ε grows with every epoch
    assert np.all(curves["pld"] < curves["rdp_tight"]) and np.all(curves["rdp_tight"] < curves["rdp"])
    assert saved["metrics"]["eps_rdp_tight/opacus_sigma1.5"] == pytest.approx(exp.PAPER["eps_rdp_tight/opacus_sigma1.5"],
                                                                              rel=1e-6)
    assert (run.out / "epsilon_vs_epochs.png").stat().st_size > 0
