"""experiments/bench_trees.py: equal-work boosting comparisons, ratios computed from the
timings, README numbers from results.json (read from the session's quick run)."""

import dataclasses
import json

import pytest

from jaxml.experiments import bench_trees as bt

pytestmark = pytest.mark.xdist_group("bench_trees")  # shares the quick run (conftest)


def test_bench_trees_quick_run_reports_ratios_of_equal_work(quick_run):
    run = quick_run("bench_trees")
    assert run.returncode == 0, run.stderr[-3000:]
    config = bt.Config.quick()
    saved = json.loads((run.out / "results.json").read_text())
    assert saved["target"] == bt.target_for(config)
    m = saved["metrics"]
    for n in config.sizes:
        assert m[f"compile_s/{n}"] == pytest.approx(max(m[f"fit_s/ours/{n}"] - m[f"fit_steady_s/ours/{n}"], 0))
        for peer in bt.PEERS:
            assert m[f"fit_ratio/{peer}/{n}"] == pytest.approx(m[f"fit_s/ours/{n}"] / m[f"fit_s/{peer}/{n}"])
            assert m[f"fit_ratio_steady/{peer}/{n}"] == pytest.approx(
                m[f"fit_steady_s/ours/{n}"] / m[f"fit_s/{peer}/{n}"])
            assert m[f"acc_delta/{peer}/{n}"] == pytest.approx(m[f"acc/ours/{n}"] - m[f"acc/{peer}/{n}"])
            # same data and hyperparameters: accuracies close even on the quick sizes
            assert abs(m[f"acc_delta/{peer}/{n}"]) < 0.05, peer
    assert m["sweep_speedup/lightgbm"] == pytest.approx(m["sweep_s/lightgbm"] / m["sweep_s/ours"])
    extra = saved["extra"]
    assert len(extra["sweep_acc_ours"]) == len(config.sweep_rates) * len(config.sweep_lambdas)
    assert m["sweep_acc_max_abs_diff/lightgbm"] == pytest.approx(
        max(abs(a - b) for a, b in zip(extra["sweep_acc_ours"], extra["sweep_acc_lightgbm"])))
    readme = (run.out / "README.md").read_text()
    big = max(config.sizes)
    assert f"**{m[f'fit_ratio/lightgbm/{big}']:.2f}**" in readme and "load average" in readme
    assert f"{m['profile_s/tree']:.3g} s" in readme
    assert (run.out / "bench.png").stat().st_size > 0


def test_presets_and_bad_peer(tmp_path):
    full = bt.Config.full()
    assert full.sizes == (10_000, 100_000, 1_000_000) and full.n_features == 50
    assert (full.rounds, full.depth, full.leaves, full.max_bin) == (100, 6, 63, 255)
    assert len(full.sweep_rates) * len(full.sweep_lambdas) == 16
    assert bt.TARGET == {"fit_ratio/lightgbm/1000000": "<= 2", "acc_delta/lightgbm/1000000": ">= -0.005",
                         "sweep_speedup/lightgbm": ">= 1"}
    with pytest.raises(ValueError, match="unknown peers"):
        bt.run(dataclasses.replace(bt.Config.quick(), peers=("nope",)), tmp_path)
