"""experiments/bench_unsupervised.py: equal-work comparisons with scikit-learn, openTSNE and
umap-learn, ratios computed from the timings, README numbers from results.json (read from
the session's quick run, see conftest)."""

import dataclasses
import json

import numpy as np
import pytest
from jaxml.experiments import bench_unsupervised as bu

pytestmark = pytest.mark.xdist_group("bench_unsupervised")  # shares the quick run (conftest)


def test_bench_unsupervised_quick_run_compares_equal_work(quick_run):
    run = quick_run("bench_unsupervised")
    assert run.returncode == 0, run.stderr[-3000:]
    config = bu.Config.quick()
    saved = json.loads((run.out / "results.json").read_text())
    assert saved["experiment"] == bu.NAME
    assert saved["target"] == {f"speedup_vs_best/{t}": ">= 1" for t in bu.TASKS}
    m = saved["metrics"]
    if "--set" in run.args:  # peer=False: an optional peer is not installed here
        pytest.skip("quick run without peers (peer=False)")
    for task in bu.TASKS:
        ours, steady = m[f"time_s/{task}/ours"], m[f"time_steady_s/{task}/ours"]
        assert m[f"compile_s/{task}"] == pytest.approx(max(ours - steady, 0.0))
        for peer in bu.PEERS[task]:
            peer_s = m[f"time_s/{task}/{peer}"]
            assert m[f"speedup/{task}/{peer}"] == pytest.approx(peer_s / ours) and peer_s > 0
            assert m[f"speedup_steady/{task}/{peer}"] == pytest.approx(peer_s / steady)
            assert m[f"speedup_n/{task}/{peer}"] == 1
        fastest = min(m[f"time_s/{task}/{p}"] for p in bu.PEERS[task])
        assert m[f"speedup_vs_best/{task}"] == pytest.approx(fastest / ours)
    # equal work: same iterations from the same start give the same answers
    assert m["n_iter/kmeans/ours"] == m["n_iter/kmeans/sklearn"]
    assert abs(m["inertia_rel_diff/kmeans/sklearn"]) < 1e-4
    assert abs(m["inertia_rel_diff/kmeans_restarts/sklearn"]) < 0.05  # different seedings
    assert m["n_iter/gmm/ours"] == m["n_iter/gmm/sklearn"] == config.gmm_iter
    assert abs(m["loglik_diff/gmm/sklearn"]) < 1e-3
    assert m["ev_max_rel_diff/pca_full/sklearn"] < 1e-3
    assert m["ev_max_rel_diff/pca_full/sklearn_eigh"] < 1e-3
    assert m["ev_max_rel_diff/pca_randomized/sklearn"] < 1e-2
    for peer in bu.PEERS["tsne"]:  # different optimisers and gradients: close, not equal
        assert abs(m[f"trust_diff/tsne/{peer}"]) < 0.03, peer
        assert abs(m[f"kl_diff/tsne/{peer}"]) < 0.25 * m[f"kl/tsne/{peer}"], peer
        assert m[f"trust_diff/tsne/{peer}"] == pytest.approx(
            m["trustworthiness/tsne/ours"] - m[f"trustworthiness/tsne/{peer}"])
    assert abs(m["trust_diff/umap/umap_learn"]) < 0.03
    assert m["warmup_s/umap/umap_learn"] > 0
    readme = (run.out / "README.md").read_text()
    assert "ratio (compile incl.) | ratio (steady)" in readme and "load average" in readme
    assert f"**{m['speedup/kmeans/sklearn']:.2f}×**" in readme
    assert f"**{m['speedup/tsne/opentsne']:.2f}×**" in readme
    assert f"differ by {m['inertia_rel_diff/kmeans/sklearn']:+.1e} (relative)" in readme
    met = sum(m[f"speedup_vs_best/{t}"] >= 1 for t in bu.TASKS)
    assert f"met on {met} of {len(bu.TASKS)} tasks" in readme
    assert (run.out / "bench.png").stat().st_size > 0
    assert (run.out / "embeddings.png").stat().st_size > 0


def test_bench_unsupervised_presets_targets_and_bad_task(tmp_path):
    full, quick = bu.Config.full(), bu.Config.quick()
    assert (full.kmeans_n, full.kmeans_d, full.kmeans_k) == (1_000_000, 50, 100)
    assert (full.restarts_n, full.restarts_d, full.restarts_k, full.restarts_n_init) == (
        100_000, 20, 10, 32)
    assert (full.gmm_n, full.gmm_d, full.gmm_k) == (100_000, 20, 10)
    assert (full.pca_n, full.pca_d, full.embed_n) == (100_000, 500, 10_000)
    assert bu.TARGET == {f"speedup_vs_best/{t}": ">= 1" for t in bu.TASKS}
    assert quick.kmeans_n < full.kmeans_n and quick.embed_n < full.embed_n
    assert quick.tsne_iter > bu.TSNE_EXAGGERATION_ITER
    with pytest.raises(ValueError, match="unknown tasks"):
        bu.run(dataclasses.replace(quick, tasks=("nope",)), tmp_path)
    with pytest.raises(ValueError, match="at least one"):
        bu.run(dataclasses.replace(quick, tasks=()), tmp_path)
    assert not any(tmp_path.iterdir()), "nothing was run or written"


def test_a_missing_optional_peer_fails_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(bu, "MODULE_OF_TASK", {"tsne": "jaxml_no_such_peer"})
    with pytest.raises(ImportError, match="jaxml_no_such_peer.*peer=False"):
        bu.run(dataclasses.replace(bu.Config.quick(), tasks=("tsne",)), tmp_path)
    assert not any(tmp_path.iterdir()), "nothing was run or written"


def test_common_log_likelihood_matches_scikit_learn():
    """The float64 judge of the GMM task is scikit-learn's own mean log-likelihood."""
    from sklearn.mixture import GaussianMixture

    X, _ = bu._blobs(np.random.default_rng(0), 400, 3, 3, spread=2.0)
    X = X.astype(np.float64)
    sk = GaussianMixture(3, covariance_type="full", random_state=0).fit(X)
    assert bu._mean_loglik(X, sk.weights_, sk.means_, sk.covariances_) == pytest.approx(
        sk.score(X), rel=1e-10)
