"""experiments/bench_classical.py: equal-work CV comparisons, compile-included ratios, README
(read from the session's quick run, see conftest)."""

import dataclasses
import json

import pytest

from jaxml.experiments import bench_classical as bc

pytestmark = pytest.mark.xdist_group("bench_classical")  # shares the quick run (conftest)


def test_bench_classical_quick_run_compares_equal_work(quick_run):
    run = quick_run("bench_classical")
    assert run.returncode == 0, run.stderr[-3000:]
    out, config = run.out, bc.Config.quick()
    small, large = (bc.size_tag(n, d) for n, d in config.cv_sizes)
    saved = json.loads((out / "results.json").read_text())
    assert saved["experiment"] == bc.NAME
    assert saved["target"] == {f"cv_speedup_vs_best/{m}/{s}": ">= 10"
                               for m in ("ridge", "logistic") for s in (small, large)}
    m = saved["metrics"]
    for model, peers in bc.PEERS.items():
        for tag in (small, large):
            ours, steady = m[f"cv_time_s/{model}/ours/{tag}"], m[f"cv_time_steady_s/{model}/ours/{tag}"]
            for peer in peers:
                key = f"{model}/{peer}/{tag}"
                assert m[f"cv_speedup/{key}"] == pytest.approx(m[f"cv_time_s/{key}"] / ours)
                assert m[f"cv_speedup_steady/{key}"] == pytest.approx(m[f"cv_time_s/{key}"] / steady)
                assert m[f"cv_speedup_n/{key}"] == 1
                # same objective, folds and grid: the same selection and CV score
                tol = 1e-4 if model == "ridge" else 0.02
                assert abs(m[f"cv_best_score_diff/{key}"]) < tol, key
                if model == "ridge":
                    assert m[f"cv_same_param/{key}"] == 1
            fastest = min(m[f"cv_time_s/{model}/{p}/{tag}"] for p in peers)
            assert m[f"cv_speedup_vs_best/{model}/{tag}"] == pytest.approx(fastest / ours)
        assert m[f"cv_score_max_abs_diff/{model}/gridsearchcv/{small}"] < (1e-4 if model == "ridge" else 0.02)
    assert m[f"cv_score_max_abs_diff/logistic/logisticregressioncv/{large}"] < 0.02
    assert f"cv_score_max_abs_diff/ridge/ridgecv/{small}" not in m  # RidgeCV(cv=...) keeps no curve
    assert m["fit_speedup/ridge"] > 0 and abs(m["acc_delta/ridge"]) < 1e-3
    assert abs(m["acc_delta/knn"]) <= 0.04
    readme = (out / "README.md").read_text()
    assert "ratio (compile incl.) | ratio (steady)" in readme and "load average" in readme
    assert f"**{m[f'cv_speedup/logistic/logisticregressioncv/{large}']:.2f}×**" in readme
    assert (out / "bench.png").stat().st_size > 0


def test_bench_classical_presets_targets_and_bad_task(tmp_path):
    full, quick = bc.Config.full(), bc.Config.quick()
    assert full.cv_sizes == ((5_000, 20), (100_000, 100)) and (full.n_grid, full.n_folds) == (50, 5)
    assert bc.TARGET == {"cv_speedup_vs_best/ridge/5000x20": ">= 10",
                         "cv_speedup_vs_best/ridge/100000x100": ">= 10",
                         "cv_speedup_vs_best/logistic/5000x20": ">= 10",
                         "cv_speedup_vs_best/logistic/100000x100": ">= 10"}
    assert max(quick.cv_sizes) < max(full.cv_sizes) and quick.n_grid < full.n_grid
    with pytest.raises(ValueError, match="unknown tasks"):
        bc.run(dataclasses.replace(quick, tasks=("nope",)), tmp_path)
