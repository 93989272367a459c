"""End-to-end smoke test of experiments/ntk.py with a tiny config."""

import dataclasses
import json

from jaxml.experiments import ntk


def test_ntk_runs_end_to_end(tmp_path):
    config = dataclasses.replace(ntk.Config.quick(), conv_widths=(8, 16), lin_widths=(8, 16),
                                 lin_steps=4, kr_train=60, bench_points=2)
    ntk.run(config, tmp_path)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == "ntk"
    metrics = saved["metrics"]
    for key in ("ntk_rel_err/8", "ntk_rel_err/16", "ntk_loglog_slope", "lin_rmse/8", "lin_rmse/16",
                "lin_rmse_sgd/8", "ntk_mean_kernel_rel_err/8",
                "ntk_change/8", "ntk_change/16", "kernel_reg_test_acc/ntk", "kernel_reg_test_acc/nngp"):
        assert metrics[key] is not None, key
    assert 0.0 <= metrics["kernel_reg_test_acc/ntk"] <= 1.0
    assert (tmp_path / "ntk_convergence.png").stat().st_size > 0
    assert (tmp_path / "linearised.png").stat().st_size > 0
    assert "ntk_vector_products" in (tmp_path / "README.md").read_text()
