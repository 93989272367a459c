"""hmm_casino end to end on a tiny config."""

import json
from pathlib import Path

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import hmm_casino as exp


def test_tiny_run_writes_results(tmp_path):
    config = exp.Config(seeds=2, decode_length=200, bw_sequences=3, bw_length=150,
                        bw_max_iter=30)
    results = exp.run(config, Path(tmp_path))
    saved = json.loads((tmp_path / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "hmm_casino" and saved["seeds"] == 2
    assert saved["paper"] == {} and saved["config"]["p6_loaded"] == 0.5
    m = saved["metrics"]
    for key in ("viterbi_acc", "loglik_vs_hmmlearn_abs_diff", "bw_param_err", *exp.RECOVERED):
        assert key in m
    assert m["viterbi_acc_n"] == 2 and m["viterbi_acc_failed"] == 0
    per_seed = np.asarray(saved["extra"]["per_seed"]["viterbi_acc"])
    assert m["viterbi_acc_ci95"] == pytest.approx(experiment.ci95(per_seed))
    assert m["viterbi_acc"] > 0.6  # far better than always guessing "fair" on short runs
    assert m["loglik_vs_hmmlearn_abs_diff"] < 1e-6  # float64 forward vs hmmlearn
    assert m["bw_min_loglik_increase"] >= -1e-8  # Baum–Welch never decreases
    assert results["metrics"] == m
    readme = (tmp_path / "README.md").read_text()
    assert "(n=2)" in readme and "load average" in readme
    for name in ("README.md", "decoding.png", "baum_welch.png"):
        assert (tmp_path / name).is_file()


def test_generating_parameters_come_from_the_config():
    config = exp.Config(p_fair_to_loaded=0.2, p_loaded_to_fair=0.3, p6_loaded=0.4)
    params = exp.casino_params(config)
    np.testing.assert_allclose(params.transition_matrix, [[0.8, 0.2], [0.3, 0.7]], rtol=1e-6)
    np.testing.assert_allclose(params.emission_probs[1], [0.12] * 5 + [0.4], rtol=1e-6)
    # the initial distribution is the chain's stationary one: π P = π
    np.testing.assert_allclose(params.initial_probs @ params.transition_matrix,
                               params.initial_probs, rtol=1e-6)
    assert exp.Config.quick().seeds < exp.Config.full().seeds
