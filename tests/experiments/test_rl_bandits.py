"""experiments/rl_bandits.py end to end: the session's quick run (conftest)."""

import json
import math

import pytest

from jaxml.experiments import rl_bandits

pytestmark = pytest.mark.xdist_group("rl_bandits")  # shares the quick run (conftest)


def test_rl_bandits_quick_run(quick_run):
    run = quick_run("rl_bandits")
    assert run.returncode == 0, run.stderr[-3000:]
    out, seeds = run.out, rl_bandits.Config.quick().seeds
    saved = json.loads((out / "results.json").read_text())
    assert saved["experiment"] == "rl_bandits" and saved["seeds"] == seeds
    m = saved["metrics"]
    for alg, reward in rl_bandits.SETTINGS:
        for prefix in ("regret_T", "regret_T_ci95", "regret_T_n", "linear_slope", "log_slope"):
            assert m[f"{prefix}/{alg}_{reward}"] is not None
    assert m["regret_T/thompson_bernoulli"] < m["regret_T/epsilon_greedy_bernoulli"]
    assert saved["paper"] == {}  # the Lai–Robbins constant is computed, so it is a metric
    # Σ_a Δ_a / kl(μ_a, μ*) for the means (0.9, 0.7, 0.5, 0.3, 0.1), by hand
    kl = lambda p, q: p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))  # noqa: E731
    by_hand = sum((0.9 - mu) / kl(mu, 0.9) for mu in (0.7, 0.5, 0.3, 0.1))
    assert m["lai_robbins_constant/bernoulli"] == pytest.approx(by_hand, rel=1e-9)
    assert m["regret_T_n/ucb1_bernoulli"] == seeds and m["regret_T_failed/ucb1_bernoulli"] == 0
    readme = (out / "README.md").read_text()
    assert f"(n={seeds})" in readme and "Run (quick preset)" in readme
    assert (out / "regret.png").stat().st_size > 0
    assert "![regret.png](regret.png)" in readme


def test_rl_bandits_presets():
    assert rl_bandits.Config.quick().seeds >= 100 and rl_bandits.Config.full().seeds >= 100
