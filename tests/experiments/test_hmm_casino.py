"""hmm_casino end to end: the session's quick run (conftest)."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import hmm_casino as exp

pytestmark = pytest.mark.xdist_group("hmm_casino")  # shares the quick run (conftest)


def test_quick_run_writes_results(quick_run):
    run = quick_run("hmm_casino")
    assert run.returncode == 0, run.stderr[-3000:]
    out, seeds = run.out, exp.Config.quick().seeds
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "hmm_casino" and saved["seeds"] == seeds
    assert saved["paper"] == {} and saved["config"]["p6_loaded"] == 0.5
    m = saved["metrics"]
    for key in ("viterbi_acc", "loglik_vs_hmmlearn_abs_diff", "bw_param_err", *exp.RECOVERED):
        assert key in m
    assert m["viterbi_acc_n"] == seeds and m["viterbi_acc_failed"] == 0
    per_seed = np.asarray(saved["extra"]["per_seed"]["viterbi_acc"])
    assert m["viterbi_acc_ci95"] == pytest.approx(experiment.ci95(per_seed))
    assert m["viterbi_acc"] > 0.6  # far better than always guessing "fair" on short runs
    assert m["loglik_vs_hmmlearn_abs_diff"] < 1e-6  # float64 forward vs hmmlearn
    assert m["bw_min_loglik_increase"] >= -1e-8  # Baum–Welch never decreases
    readme = (out / "README.md").read_text()
    assert f"(n={seeds})" in readme and "load average" in readme
    for name in ("README.md", "decoding.png", "baum_welch.png"):
        assert (out / name).is_file()


def test_generating_parameters_come_from_the_config():
    config = exp.Config(p_fair_to_loaded=0.2, p_loaded_to_fair=0.3, p6_loaded=0.4)
    params = exp.casino_params(config)
    np.testing.assert_allclose(params.transition_matrix, [[0.8, 0.2], [0.3, 0.7]], rtol=1e-6)
    np.testing.assert_allclose(params.emission_probs[1], [0.12] * 5 + [0.4], rtol=1e-6)
    # the initial distribution is the chain's stationary one: π P = π
    np.testing.assert_allclose(params.initial_probs @ params.transition_matrix,
                               params.initial_probs, rtol=1e-6)
    assert exp.Config.quick().seeds < exp.Config.full().seeds
