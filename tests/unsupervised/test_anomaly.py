"""Anomaly detectors against scikit-learn, closed forms and brute force."""

from fractions import Fraction
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.covariance import EllipticEnvelope, MinCovDet
from sklearn.covariance._robust_covariance import _c_step, _consistency_factor
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.svm import OneClassSVM

from jaxml.unsupervised import anomaly as an

KEY = jax.random.PRNGKey(0)
N_IN, N_OUT = 400, 40


@pytest.fixture(scope="module")
def data():
    """Correlated Gaussian inliers and uniform anomalies; labels 1 = anomaly."""
    rng = np.random.default_rng(0)
    mix = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 0.7]])
    inliers = rng.normal(size=(N_IN, 3)) @ mix
    outliers = rng.uniform(-6, 6, size=(N_OUT, 3))
    X = np.vstack([inliers, outliers]).astype(np.float32)
    y = np.r_[np.zeros(N_IN), np.ones(N_OUT)]
    return X, y


def auc(y, normality):
    return roc_auc_score(y, -np.asarray(normality))


# --------------------------------------------------------------------------- isolation forest


@cache
def bst_external_depth(n: int) -> Fraction:
    """Mean depth of the n external nodes of a random BST on n - 1 keys (brute recursion)."""
    if n <= 1:
        return Fraction(0)
    total = Fraction(0)
    for k in range(1, n):  # the root key leaves k externals on the left
        total += Fraction(k, n) * bst_external_depth(k) + Fraction(n - k, n) * bst_external_depth(n - k)
    return 1 + total / (n - 1)


def test_average_path_length_matches_bst_recursion_and_closed_form():
    m = np.arange(1, 61)
    ours = np.asarray(an.average_path_length(m))
    brute = np.array([float(bst_external_depth(int(k))) for k in m])
    closed = np.array([float(2 * sum(Fraction(1, i) for i in range(1, k)) - Fraction(2 * (k - 1), k))
                       for k in range(1, 61)])
    np.testing.assert_allclose(ours, brute, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours, closed, rtol=1e-5, atol=1e-6)
    assert ours[0] == 0.0 and abs(ours[1] - 1.0) < 1e-6


def brute_path(tree, rows, x, node=0, depth=0):
    """Walk the stored splits recursively, re-partitioning the training rows, and check
    every split is an isolation split of the rows that reach it."""
    feature = int(tree["feature"][node])
    if feature < 0:
        assert tree["is_leaf"][node]
        assert tree["n_node_samples"][node] == len(rows)
        m = len(rows)
        c = 0.0 if m <= 1 else float(2 * sum(Fraction(1, i) for i in range(1, m))
                                     - Fraction(2 * (m - 1), m))
        return depth + c
    col = rows[:, feature]
    thr = tree["threshold"][node]
    assert col.min() <= thr < col.max()
    left, right = rows[col <= thr], rows[col > thr]
    if x[feature] <= thr:
        return brute_path(tree, left, x, 2 * node + 1, depth + 1)
    return brute_path(tree, right, x, 2 * node + 2, depth + 1)


@pytest.mark.xdist_group("isolation_forest")
def test_isolation_tree_path_length_matches_brute_force():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    X[:4] = X[0]  # identical points cannot be isolated: a leaf with 4 samples
    height = 6
    tree = jax.jit(an.grow_isolation_tree, static_argnums=2)(KEY, jnp.asarray(X), height)
    Q = np.vstack([X[:10], rng.normal(scale=3, size=(10, 3))]).astype(np.float32)
    ours = np.asarray(an.isolation_path_length(tree, jnp.asarray(Q)))
    arrays = {k: np.asarray(getattr(tree, k))
              for k in ("feature", "threshold", "is_leaf", "n_node_samples")}
    brute = np.array([brute_path(arrays, X, q) for q in Q])
    np.testing.assert_allclose(ours, brute, rtol=1e-5)
    # nodes left unsplit above the height limit hold identical points only
    assert arrays["n_node_samples"][0] == 64
    assert ours[0] > 2.0  # the duplicated point keeps c(4) on top of its depth


@pytest.fixture(scope="module")
def forest(data):
    X, _ = data
    est = an.isolation_forest()
    params = jax.jit(est.fit)(KEY, X)
    return est, params


@pytest.mark.xdist_group("isolation_forest")
def test_isolation_forest_auc_matches_sklearn(data, forest):
    X, y = data
    est, params = forest
    ours = auc(y, est.score_samples(params, X))
    ref = auc(y, IsolationForest(random_state=0).fit(X).score_samples(X))
    print(f"isolation forest AUC ours={ours:.4f} sklearn={ref:.4f}")
    assert abs(ours - ref) < 0.02
    assert ours > 0.95


@pytest.mark.xdist_group("isolation_forest")
def test_isolation_forest_scores_and_auto_offset(data, forest):
    X, _ = data
    est, params = forest
    s = np.asarray(jax.jit(est.score_samples)(params, X))
    assert s.shape == (X.shape[0],) and np.all((-1 < s) & (s < 0))
    np.testing.assert_allclose(np.asarray(est.decision_function(params, X)), s + 0.5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(est.predict(params, X)), np.where(s + 0.5 >= 0, 1, -1))
    np.testing.assert_allclose(np.asarray(est.score_samples(params, X)), s, rtol=1e-6)  # no jit
    again = jax.jit(est.fit)(KEY, X)
    np.testing.assert_array_equal(np.asarray(again.trees.threshold), np.asarray(params.trees.threshold))
    assert params.trees.feature.shape == (100, 2 ** 9 - 1)  # height ceil(log2 256) = 8


# --------------------------------------------------------------------------- robust covariance


@pytest.mark.xdist_group("mcd")
def test_mcd_consistency_factor_matches_sklearn():
    for d, alpha in [(1, 0.5), (3, 0.55), (5, 0.975)]:
        np.testing.assert_allclose(float(an.mcd_consistency_factor(alpha, d)),
                                   _consistency_factor(d, alpha), rtol=1e-4)


@pytest.mark.xdist_group("mcd")
def test_c_steps_fixed_point_matches_sklearn_given_same_support(data):
    X, _ = data
    X64 = X.astype(np.float64)
    n, d = X.shape
    h = int(np.ceil(0.5 * (n + d + 1)))
    start = np.zeros(n, bool)
    start[np.random.default_rng(3).permutation(n)[:h]] = True
    loc0, cov0 = X64[start].mean(0), np.cov(X64[start].T, bias=True)
    ref_loc, ref_cov, _, ref_support, _ = _c_step(X64, h, np.random.RandomState(0),
                                                  initial_estimates=(loc0, cov0))
    est = jax.jit(an.c_steps, static_argnums=(2, 3))(jnp.asarray(X), jnp.asarray(start), h, 31)
    np.testing.assert_array_equal(np.asarray(est.support), ref_support)
    np.testing.assert_allclose(np.asarray(est.location), ref_loc, atol=1e-5)
    np.testing.assert_allclose(np.asarray(est.covariance), ref_cov, atol=1e-5)


@pytest.fixture(scope="module")
def envelope(data):
    X, _ = data
    est = an.elliptic_envelope(0.1)
    return est, jax.jit(est.fit)(KEY, X)


@pytest.mark.xdist_group("mcd")
def test_mcd_matches_sklearn_min_cov_det(data, envelope):
    X, _ = data
    _, params = envelope
    ref = MinCovDet(random_state=0).fit(X)
    # Different random starts may end in different (near-optimal) subsets: measure the
    # gap in units of the robust scale.
    scale = np.sqrt(np.diag(ref.covariance_))
    loc_gap = np.max(np.abs(np.asarray(params.location) - ref.location_) / scale)
    cov_gap = (np.linalg.norm(np.asarray(params.covariance) - ref.covariance_)
               / np.linalg.norm(ref.covariance_))
    raw_gap = (np.linalg.norm(np.asarray(params.raw_covariance) - ref.raw_covariance_)
               / np.linalg.norm(ref.raw_covariance_))
    support_agree = np.mean(np.asarray(params.support) == ref.support_)
    print(f"MCD loc_gap={loc_gap:.2e} cov_gap={cov_gap:.2e} raw_gap={raw_gap:.2e} "
          f"support_agree={support_agree:.4f}")
    assert loc_gap < 0.05 and cov_gap < 0.05 and raw_gap < 0.05
    assert support_agree > 0.98
    np.testing.assert_array_equal(np.asarray(params.support)[N_IN:], ref.support_[N_IN:])
    assert np.mean(np.asarray(params.support)[N_IN:]) < 0.25  # most anomalies rejected


@pytest.mark.xdist_group("mcd")
def test_elliptic_envelope_matches_sklearn(data, envelope):
    X, y = data
    est, params = envelope
    ref = EllipticEnvelope(contamination=0.1, random_state=0).fit(X)
    ours = auc(y, est.score_samples(params, X))
    theirs = auc(y, ref.score_samples(X))
    pred = np.asarray(est.predict(params, X))
    agree = np.mean(pred == ref.predict(X))
    print(f"elliptic envelope AUC ours={ours:.4f} sklearn={theirs:.4f} predict agree={agree:.4f}")
    assert abs(ours - theirs) < 0.02
    assert agree > 0.98
    assert abs(np.mean(pred == -1) - 0.1) <= 1.5 / X.shape[0]


# --------------------------------------------------------------------------- one-class SVM


def test_one_class_svm_matches_sklearn(data):
    X, y = data
    nu = 0.2
    est = an.one_class_svm(nu)
    params = jax.jit(est.fit)(X)
    ref = OneClassSVM(nu=nu).fit(X)
    dec = np.asarray(est.decision_function(params, X))
    ref_dec = ref.decision_function(X)
    gap = np.max(np.abs(dec - ref_dec)) / np.max(np.abs(ref_dec))
    ours, theirs = auc(y, dec), auc(y, ref_dec)
    print(f"one-class SVM rel. decision gap={gap:.2e} AUC ours={ours:.4f} sklearn={theirs:.4f}")
    assert gap < 1e-2
    assert abs(float(params.offset) - ref.offset_[0]) < 1e-2 * abs(ref.offset_[0])
    assert abs(ours - theirs) < 0.02
    np.testing.assert_allclose(float(jnp.sum(params.dual_coef)), nu * X.shape[0], rtol=1e-4)
    alpha = np.asarray(params.dual_coef)
    assert alpha.min() >= 0 and alpha.max() <= 1 + 1e-6
    assert np.mean(np.asarray(est.predict(params, X)) == ref.predict(X)) > 0.98


# --------------------------------------------------------------------------- autoencoder


def test_autoencoder_reconstruction_error_detects_off_manifold_points():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(2, 8))
    inliers = np.tanh(rng.normal(size=(300, 2))) @ W + 0.05 * rng.normal(size=(300, 8))
    outliers = rng.normal(size=(30, 8)) * inliers.std(0)  # same scale, off the manifold
    X = np.vstack([inliers, outliers]).astype(np.float32)
    y = np.r_[np.zeros(300), np.ones(30)]
    est = an.autoencoder_detector(hidden=(16,), bottleneck=2, epochs=60)
    params = jax.jit(est.fit)(KEY, X)
    ours = auc(y, est.score_samples(params, X))
    random_scorer = auc(y, rng.normal(size=X.shape[0]))
    print(f"autoencoder AUC={ours:.4f} random={random_scorer:.4f}")
    assert ours > 0.9 and ours > random_scorer + 0.3
    assert params.train_loss[-1] < 0.5 * params.train_loss[0]
    pred = np.asarray(est.predict(params, X))
    assert abs(np.mean(pred == -1) - 0.1) <= 1.5 / X.shape[0]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", [0.0, 0.6, -0.1, float("nan"), "often"])
def test_bad_contamination(bad):
    for factory in (an.isolation_forest, an.elliptic_envelope, an.autoencoder_detector):
        with pytest.raises(ValueError, match="contamination"):
            factory(contamination=bad)


def test_bad_input_raises_naming_the_argument():
    X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="max_samples"):
        an.isolation_forest(max_samples=64).fit(KEY, X)
    with pytest.raises(ValueError, match="max_samples"):
        an.isolation_forest(max_samples="some")
    with pytest.raises(ValueError, match="X must be finite"):
        an.isolation_forest().fit(KEY, X_nan)
    # the default, "auto", subsamples min(256, n): all 50 rows here
    assert an.isolation_forest(5).fit(KEY, X).max_samples == 50
    with pytest.raises(ValueError, match="X must be finite"):
        an.elliptic_envelope().fit(KEY, X_nan)
    with pytest.raises(ValueError, match="X must be finite"):
        an.one_class_svm().fit(X_nan)
    with pytest.raises(ValueError, match="X must be finite"):
        an.autoencoder_detector().fit(KEY, X_nan)
    with pytest.raises(ValueError, match="nu"):
        an.one_class_svm(nu=0.0)
    with pytest.raises(ValueError, match="kernel"):
        an.one_class_svm(kernel="cosine")
    with pytest.raises(ValueError, match="support"):
        an.min_cov_det().fit(KEY, X[:3])  # 3 points cannot support 3 features
    with pytest.raises(ValueError, match="support_fraction"):
        an.min_cov_det(support_fraction=1.5)
    with pytest.raises(ValueError, match="n_best"):
        an.min_cov_det(n_trials=5, n_best=10)
    with pytest.raises(ValueError, match="batch_size"):
        an.autoencoder_detector(batch_size=64).fit(KEY, X)
