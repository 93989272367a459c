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


def _saved(quick_run):
    run = quick_run("trust_tour")
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads((run.out / "results.json").read_text()), run.out


def test_trust_tour_robust_section_is_sound(quick_run):
    """IBP verification is a proof, so verified accuracy never exceeds the accuracy under the
    PGD attack; at ε = 0 both are the clean accuracy; certified accuracy falls with the radius."""
    saved, out = _saved(quick_run)
    config, metrics, extra = exp.Config.quick(), saved["metrics"], saved["extra"]
    for method in exp._trust_sections.ROBUST_METHODS:
        pgd, verified = np.asarray(extra["robust_acc"][method]), np.asarray(extra["verified_acc"][method])
        assert pgd.shape == verified.shape == (config.seeds, len(config.eps_grid))
        assert np.all(verified <= pgd + 1e-9)
        zero = config.eps_grid.index(0.0)
        np.testing.assert_allclose(pgd[:, zero], verified[:, zero], atol=1e-6)
        for j, eps in enumerate(config.eps_grid):
            assert metrics[f"robust_acc/{method}/{eps:g}"] == pytest.approx(pgd[:, j].mean(), rel=1e-6)
            assert metrics[f"robust_acc_n/{method}/{eps:g}"] == config.seeds
    certified = np.asarray(extra["certified_acc"])
    assert certified.shape == (config.seeds, len(config.certify_radii)) and np.all(np.diff(certified, axis=1) <= 0)
    assert (out / "robust_accuracy.png").stat().st_size > 0


def test_trust_tour_private_explain_and_fairness_sections(quick_run):
    saved, out = _saved(quick_run)
    config, metrics, extra = exp.Config.quick(), saved["metrics"], saved["extra"]
    # privacy: the reported ε is the accountant's for the run's q, σ and steps
    from jaxml.trust.accountant import Accountant
    eps = Accountant().step(extra["private_sampling_rate"], config.noise_multiplier,
                            extra["private_steps"]).epsilon(exp.DELTA)
    assert metrics["dp_epsilon"] == pytest.approx(eps, rel=1e-9)
    for method in exp._trust_sections.PRIVATE_METHODS:
        part = extra["private"][method]
        assert metrics[f"mia_auc/{method}"] == pytest.approx(np.mean(part["auc"]), rel=1e-6)
        assert all(0 <= v <= 1 for v in part["auc"] + part["accuracy"])
    # explanations of a linear logit: every estimator meets the closed form
    closed, exact = np.asarray(extra["shap_closed_form"]), np.asarray(extra["shap_exact"])
    assert closed.shape == (config.explain_points, config.explain_features)
    np.testing.assert_allclose(exact, closed, atol=1e-4)
    assert metrics["shap_error/kernel"] < 1e-3 and metrics["shap_error/permutation"] < 1e-3
    assert metrics["lime_slope_error"] < 1e-3
    # the forest: TreeSHAP is efficient; the samplers approach enumeration
    assert metrics["treeshap_efficiency_error"] < 1e-4
    assert np.asarray(extra["forest_treeshap"]).shape == closed.shape
    assert 0 < metrics["shap_error/kernel_forest"] < 0.05 and 0 < metrics["shap_error/permutation_forest"] < 0.05
    assert len(extra["lime_signal"]["coef"]) == config.lime_segments
    # fairness: a function of A's non-descendants never changes under the counterfactual flip
    fair = extra["fairness"]
    assert fair["cf_fair"]["cf_flip"] == [0.0] * config.seeds
    assert np.mean(fair["unconstrained"]["cf_flip"]) > 0
    assert metrics["eo_gap/postprocessed"] == pytest.approx(np.mean(fair["postprocessed"]["eo_gap"]), rel=1e-6)
    for name in ("robust_accuracy", "mia_losses", "shap_bar", "lime_signal", "fairness"):
        assert (out / f"{name}.png").stat().st_size > 0
