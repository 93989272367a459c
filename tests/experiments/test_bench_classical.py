"""End-to-end smoke test of experiments/bench_classical.py on a tiny config."""

import dataclasses
import json

import pytest

from jaxml.experiments import bench_classical as bc


def test_bench_classical_tiny_run(tmp_path):
    config = dataclasses.replace(
        bc.Config.quick(), tasks=("ridge", "knn"), n_linear=300, d_linear=5, n_knn_train=200,
        n_knn_query=50, d_knn=4, n_cv_ridge=200, d_cv_ridge=4, n_cv_logistic=200,
        d_cv_logistic=3, n_grid=3, n_test=50)
    results = bc.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == bc.NAME == results["experiment"]
    assert set(saved) >= {"experiment", "config", "metrics", "paper", "seeds", "wall_time_s",
                          "jax_version"}
    m = saved["metrics"]
    for key in ("speedup_cv_ridge", "speedup_cv_logistic", "fit_ratio/ridge",
                "predict_ratio/knn", "acc_delta/ridge", "acc_delta/knn", "compile_s/cv_ridge"):
        assert key in m and m[key] is not None, key
    assert m["speedup_cv_ridge"] > 0 and m["fit_ratio/ridge"] > 0
    # same objective, same folds: same scores and accuracies
    assert m["cv_score_max_abs_diff/ridge"] < 1e-4
    assert m["cv_score_max_abs_diff/logistic"] < 0.02
    assert abs(m["acc_delta/ridge"]) < 1e-3
    assert abs(m["acc_delta/knn"]) <= 0.04
    assert (tmp_path / "bench.png").stat().st_size > 0
    readme = (tmp_path / "README.md").read_text()
    assert "![bench.png](bench.png)" in readme and "| ridge | fit |" in readme


def test_bench_classical_config_presets_and_bad_task(tmp_path):
    full, quick = bc.Config.full(), bc.Config.quick()
    assert (full.n_linear, full.d_linear, full.n_grid, full.n_folds) == (100_000, 100, 50, 5)
    assert (full.n_knn_query, full.n_knn_train, full.n_svc, full.n_gpr) == (10_000, 50_000, 5_000, 2_000)
    assert quick.n_linear < full.n_linear and quick.n_grid < full.n_grid
    with pytest.raises(ValueError, match="unknown tasks"):
        bc.run(dataclasses.replace(quick, tasks=("nope",)), tmp_path)
