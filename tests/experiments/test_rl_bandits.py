"""End-to-end smoke test of experiments/rl_bandits.py on a tiny config."""

import dataclasses
import json

import pytest

from jaxml.experiments import rl_bandits


def test_rl_bandits_tiny_run(tmp_path):
    config = dataclasses.replace(rl_bandits.Config.quick(), seeds=100, horizon=600)
    rl_bandits.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == "rl_bandits" and saved["seeds"] == 100
    m = saved["metrics"]
    for alg, reward in rl_bandits.SETTINGS:
        for prefix in ("regret_T", "regret_T_ci95", "linear_slope", "log_slope"):
            assert m[f"{prefix}/{alg}_{reward}"] is not None
    assert m["regret_T/thompson_bernoulli"] < m["regret_T/epsilon_greedy_bernoulli"]
    assert m["lai_robbins_constant/bernoulli"] == pytest.approx(
        saved["paper"]["lai_robbins_constant/bernoulli"])
    assert (tmp_path / "regret.png").stat().st_size > 0
    assert "![regret.png](regret.png)" in (tmp_path / "README.md").read_text()


def test_rl_bandits_presets():
    assert rl_bandits.Config.quick().seeds >= 100 and rl_bandits.Config.full().seeds >= 100
