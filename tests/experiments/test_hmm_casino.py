"""hmm_casino end to end on a tiny config."""

import json
from pathlib import Path

from jaxml.experiments import hmm_casino as exp


def test_tiny_run_writes_results(tmp_path):
    config = exp.Config(seeds=1, decode_length=200, bw_sequences=3, bw_length=150,
                        bw_max_iter=30)
    results = exp.run(config, Path(tmp_path))
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == "hmm_casino" and saved["seeds"] == 1
    m = saved["metrics"]
    for key in ("viterbi_acc", "loglik_vs_hmmlearn_abs_diff", "bw_param_err",
                *exp.PAPER):
        assert key in m
    assert m["viterbi_acc"] > 0.6  # far better than always guessing "fair" on short runs
    assert m["loglik_vs_hmmlearn_abs_diff"] < 1e-6  # float64 forward vs hmmlearn
    assert m["bw_min_loglik_increase"] >= -1e-8  # Baum–Welch never decreases
    assert results["metrics"] == m
    for name in ("README.md", "decoding.png", "baum_welch.png"):
        assert (tmp_path / name).is_file()


def test_quick_and_full_presets():
    assert exp.Config.quick().seeds < exp.Config.full().seeds
    assert exp.casino_params().emission_probs.shape == (2, 6)
