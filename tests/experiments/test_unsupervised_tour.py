"""unsupervised_tour end to end: the session's quick run (conftest), and its numpy helpers."""

import json

import numpy as np
import pytest
from jaxml.experiments import unsupervised_tour as exp

from jaxml import experiment

pytestmark = pytest.mark.xdist_group("unsupervised_tour")  # shares the quick run (conftest)


def test_quick_run_writes_results(quick_run):
    run = quick_run("unsupervised_tour")
    assert run.returncode == 0, run.stderr[-3000:]
    out, seeds = run.out, exp.Config.quick().seeds
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "unsupervised_tour" and saved["seeds"] == seeds
    assert saved["paper"] == {} and saved["config"]["n_clusters"] == 10
    m = saved["metrics"]
    for data in exp.DATASETS:
        for method in exp.CLUSTERERS:
            assert -0.5 <= m[f"ari/{method}/{data}"] <= 1.0
            assert 0.0 <= m[f"nmi/{method}/{data}"] <= 1.0
        for method in exp.EMBEDDERS:
            assert 0.5 <= m[f"trustworthiness/{method}/{data}"] <= 1.0
        assert m[f"bic_best_k/{data}"] in exp.Config.quick().bic_components
        assert m[f"ward_height_rel_diff/{data}"] < 1e-4  # our Ward linkage is SciPy's
    for detector in exp.DETECTORS:
        assert 0.0 <= m[f"auc/{detector}"] <= 1.0 and m[f"auc_n/{detector}"] == seeds
    # multi-seed metrics carry their Student-t interval over the per-seed values
    assert m["ari_n/kmeans/digits"] == seeds and m["ari_failed/kmeans/digits"] == 0
    per_seed = np.asarray(saved["extra"]["per_seed"]["ari/kmeans/digits"])  # rounded to 1e-6
    assert m["ari_ci95/kmeans/digits"] == pytest.approx(experiment.ci95(per_seed), rel=1e-4)
    assert "ari_ci95/ward/digits" not in m  # deterministic: one run, no interval
    # digits are easy: k-means finds the classes, t-SNE beats PCA on trustworthiness
    assert m["ari/kmeans/digits"] > 0.3
    assert m["trustworthiness/tsne/digits"] > m["trustworthiness/pca/digits"]
    readme = (out / "README.md").read_text()
    assert f"(n={seeds})" in readme and "load average" in readme
    for name in ("README.md", "clusterings.png", "embeddings.png", "bic.png",
                 "dendrogram.png", "som.png", "anomaly_roc.png"):
        assert (out / name).is_file()


def test_som_helpers_and_dbscan_radius():
    # 2 x 2 map: units 0 and 1 hold points, units 2 and 3 none
    majority, share = exp.unit_majority(np.array([0, 0, 0, 1]), np.array([3, 3, 5, 7]), 4)
    np.testing.assert_array_equal(majority, [3, 7, -1, -1])
    np.testing.assert_allclose(share[:2], [2 / 3, 1.0])
    assert np.isnan(share[2:]).all()
    # unit vectors on a line 0, 1, 3, 6 (row-major 2 x 2): each unit's mean distance to
    # its 4-neighbours (right/left and up/down)
    W = np.array([[0.0], [1.0], [3.0], [6.0]])
    np.testing.assert_allclose(exp.u_matrix(W, 2, 2), [[(1 + 3) / 2, (1 + 5) / 2],
                                                       [(3 + 3) / 2, (5 + 3) / 2]])
    # distances to the 2nd-nearest point (itself first) of 0, 1, 3 on a line: 1, 1, 2
    x = np.array([0.0, 1.0, 3.0])
    D = np.abs(x[:, None] - x[None, :])
    assert exp.kth_neighbour_eps(D, 2, 1.0) == 2.0 and exp.kth_neighbour_eps(D, 2, 0.0) == 1.0
    with pytest.raises(ValueError, match="bic_components"):
        exp.Config(bic_components=(4, 6))
