"""Histogram gradient boosting: binning, histograms, LightGBM leaf-wise and XGBoost hist
parity (missing values included), categorical splits against brute force, GOSS, sweeps."""

import itertools

import jax
import jax.numpy as jnp
import lightgbm
import numpy as np
import pytest
import xgboost
from sklearn.datasets import make_classification, make_friedman1
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split

from jaxml.classical import boosting, histograms
from jaxml.classical.hist_boosting import (
    hist_gradient_boosting_classifier,
    hist_gradient_boosting_regressor,
)

KEY = jax.random.PRNGKey(0)


def _integer_data(seed=0, n=400, d=4, missing=0.0):
    """Integer features with < 255 distinct values: every value has its own bin, so
    histogram split search sees exactly the thresholds of an exact search."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 40, size=(n, d)).astype(float)
    y = np.sin(X[:, 0] / 5) + 0.1 * X[:, 1] + 0.3 * rng.normal(size=n)
    if missing:
        X[rng.random((n, d)) < missing] = np.nan
        y[np.isnan(X[:, 0])] += 1.0  # missingness carries signal
    return X, y


def test_bins_are_midpoints_of_distinct_values_or_equal_count_quantiles():
    rng = np.random.default_rng(1)
    few = rng.integers(0, 30, size=5000).astype(float)
    many = rng.normal(size=5000)
    X = np.stack([few, many], axis=1)
    X[rng.random(5000) < 0.1, 1] = np.nan
    bins = histograms.fit_bins(jnp.asarray(X), max_bin=64)
    values = np.unique(few)
    np.testing.assert_allclose(np.asarray(bins.edges[0, :len(values) - 1]),
                               (values[:-1] + values[1:]) / 2)
    assert np.all(np.isinf(np.asarray(bins.edges[0, len(values) - 1:])))
    codes = np.asarray(histograms.bin_codes(bins, jnp.asarray(X))).astype(int)
    edges = np.asarray(bins.edges)
    for j in range(2):  # x <= e_b  <=>  code <= b, and NaN gets the missing bin
        observed = ~np.isnan(X[:, j])
        for b in (0, 5, 20):
            np.testing.assert_array_equal(X[observed, j] <= edges[j, b], codes[observed, j] <= b)
        assert np.all(codes[~observed, j] == 64)
    counts = np.bincount(codes[~np.isnan(X[:, 1]), 1], minlength=64)
    expected = np.sum(~np.isnan(X[:, 1])) / 64
    assert counts.min() >= expected - 2 and counts.max() <= expected + 2


def test_weighted_quantile_bins_equal_bins_of_the_rows_repeated_by_their_weights():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(400, 2))
    w = rng.integers(1, 5, size=400)
    weighted = histograms.fit_bins(jnp.asarray(X), max_bin=32, sample_weight=jnp.asarray(w))
    repeated = histograms.fit_bins(jnp.asarray(np.repeat(X, w, axis=0)), max_bin=32)
    # the same partition of the data (an edge may sit on a repeated value or just above it)
    np.testing.assert_array_equal(np.asarray(histograms.bin_codes(weighted, jnp.asarray(X))),
                                  np.asarray(histograms.bin_codes(repeated, jnp.asarray(X))))


def test_node_histograms_equal_brute_force_sums():
    rng = np.random.default_rng(2)
    n, d, B, L = 300, 3, 8, 4
    codes = rng.integers(0, B, size=(n, d))
    stats = rng.normal(size=(n, 3))
    lane = rng.integers(0, L + 1, size=n)  # lane L: left out
    hist = np.asarray(histograms.node_histograms(jnp.asarray(codes), jnp.asarray(stats),
                                                 jnp.asarray(lane), L, B))
    expected = np.zeros((L, d, B, 3))
    for i in range(n):
        if lane[i] < L:
            for j in range(d):
                expected[lane[i], j, codes[i, j]] += stats[i]
    np.testing.assert_allclose(hist, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("depth", [1, pytest.param(3, marks=pytest.mark.slow),
                                   pytest.param(5, marks=pytest.mark.slow)])
def test_depthwise_tree_equals_the_exact_tree_when_every_value_has_its_own_bin(depth):
    X, y = _integer_data()
    with jax.enable_x64(True):
        exact = boosting.gradient_boosting_regressor(n_estimators=5, learning_rate=0.5,
                                                     max_depth=depth, min_child_weight=1.0)
        hist = hist_gradient_boosting_regressor(n_estimators=5, learning_rate=0.5,
                                                max_depth=depth, min_child_weight=1.0,
                                                min_samples_leaf=1)
        ours = hist.predict(hist.fit(KEY, X, y), X)
        theirs = exact.predict(exact.fit(KEY, X, y), X)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("missing", [0.0, 0.2])
def test_leafwise_equals_lightgbm_and_depthwise_equals_xgboost_hist(missing):
    """Same bins (each value its own), same rules: the training predictions agree to
    float32 precision, missing values routed by the learned direction included."""
    X, y = _integer_data(missing=missing)
    with jax.enable_x64(True):
        leafwise = hist_gradient_boosting_regressor(
            n_estimators=10, learning_rate=0.3, policy="leafwise", num_leaves=8,
            max_depth=None, min_samples_leaf=1, min_child_weight=0.0, reg_lambda=1.0)
        depthwise = hist_gradient_boosting_regressor(
            n_estimators=10, learning_rate=0.3, max_depth=3, min_samples_leaf=1,
            min_child_weight=0.0, reg_lambda=1.0)
        ours_leaf = np.asarray(leafwise.predict(leafwise.fit(KEY, X, y), X))
        ours_depth = np.asarray(depthwise.predict(depthwise.fit(KEY, X, y), X))
    lgbm = lightgbm.LGBMRegressor(n_estimators=10, learning_rate=0.3, num_leaves=8,
                                  min_child_samples=1, min_child_weight=0.0, reg_lambda=1.0,
                                  min_data_in_bin=1, max_bin=255, verbose=-1, n_jobs=1).fit(X, y)
    xgb = xgboost.XGBRegressor(n_estimators=10, learning_rate=0.3, max_depth=3,
                               tree_method="hist", max_bin=256, reg_lambda=1.0,
                               min_child_weight=0.0, n_jobs=1,
                               base_score=float(np.mean(y))).fit(X, y)
    np.testing.assert_allclose(ours_leaf, lgbm.predict(X), atol=1e-6)
    np.testing.assert_allclose(ours_depth, xgb.predict(X), atol=1e-5)


def test_missing_values_unseen_in_training_go_to_the_larger_child():
    X = np.arange(10.0)[:, None]
    y = np.where(X[:, 0] < 3, 0.0, 5.0)  # the split puts 3 samples left, 7 right
    with jax.enable_x64(True):
        est = hist_gradient_boosting_regressor(n_estimators=1, learning_rate=1.0, max_depth=1,
                                               min_samples_leaf=1, reg_lambda=0.0)
        model = est.fit(KEY, X, y)
        pred = np.asarray(est.predict(model, np.array([[np.nan], [0.0], [9.0]])))
    assert pred[0] == pytest.approx(pred[2]) and pred[0] != pytest.approx(pred[1])


def test_a_categorical_split_is_the_best_of_all_binary_partitions():
    """Squared error: ordering categories by mean gradient and cutting the order finds
    the best of all 2^(k-1) - 1 partitions (Fisher 1958), here checked by enumeration."""
    rng = np.random.default_rng(3)
    k = 7
    effect = rng.normal(size=k) * 2
    codes = rng.integers(0, k, size=300)
    y = effect[codes] + rng.normal(size=300)
    X = codes[:, None].astype(float)
    with jax.enable_x64(True):
        est = hist_gradient_boosting_regressor(n_estimators=1, learning_rate=1.0, max_depth=1,
                                               min_samples_leaf=1, reg_lambda=0.0,
                                               min_child_weight=0.0, cat_smooth=0.0,
                                               categorical_features=[0], max_bin=16)
        model = est.fit(KEY, X, y)
    tree = jax.tree.map(lambda a: np.asarray(a[0]), model.trees)
    ours = set(np.flatnonzero(tree.go_left[0, :k]))
    r = y - y.mean()

    def gain(left):
        mask = np.isin(codes, list(left))
        return r[mask].sum() ** 2 / mask.sum() + r[~mask].sum() ** 2 / (~mask).sum()

    subsets = [set(c) for size in range(1, k) for c in itertools.combinations(range(k), size)]
    best = max(subsets, key=gain)
    assert gain(ours) == pytest.approx(gain(best), rel=1e-12)
    assert ours in (best, set(range(k)) - best)
    assert np.isnan(tree.threshold[0])


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["depthwise", "leafwise"])
def test_classification_accuracy_matches_lightgbm_xgboost_and_sklearn(policy):
    _accuracy_parity(policy, n=20000)


@pytest.mark.slow
def test_classification_accuracy_matches_lightgbm_xgboost_and_sklearn_small():
    _accuracy_parity("leafwise", n=4000)


def _accuracy_parity(policy, n):
    X, y = make_classification(n_samples=n, n_features=20, n_informative=10, random_state=0)
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0)
    est = hist_gradient_boosting_classifier(
        n_estimators=50, learning_rate=0.1, policy=policy, max_depth=6 if policy == "depthwise"
        else None, num_leaves=31, min_samples_leaf=20, reg_lambda=1.0, n_classes=2)
    ours = float(np.mean(np.asarray(est.predict(est.fit(KEY, Xtr, ytr), Xte)) == yte))
    peers = {
        "lightgbm": lightgbm.LGBMClassifier(n_estimators=50, learning_rate=0.1, num_leaves=31,
                                            min_child_samples=20, reg_lambda=1.0, verbose=-1,
                                            n_jobs=2),
        "xgboost": xgboost.XGBClassifier(n_estimators=50, learning_rate=0.1, max_depth=6,
                                         tree_method="hist", max_bin=256, reg_lambda=1.0,
                                         min_child_weight=1e-3, n_jobs=2),
        "sklearn": HistGradientBoostingClassifier(max_iter=50, learning_rate=0.1,
                                                  max_leaf_nodes=31, min_samples_leaf=20,
                                                  l2_regularization=1.0, early_stopping=False),
    }
    for name, peer in peers.items():
        theirs = float(np.mean(peer.fit(Xtr, ytr).predict(Xte) == yte))
        assert abs(ours - theirs) <= 0.01, (name, ours, theirs)


@pytest.mark.slow
def test_regression_and_softmax_match_peers():
    X, y = make_friedman1(3000, 8, noise=1.0, random_state=1)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0)
    est = hist_gradient_boosting_regressor(n_estimators=40, learning_rate=0.1,
                                           policy="leafwise", num_leaves=15, max_depth=None)
    pred = np.asarray(est.predict(est.fit(KEY, Xtr, ytr), Xte))
    r2 = 1 - np.mean((pred - yte) ** 2) / np.var(yte)
    peer = HistGradientBoostingRegressor(max_iter=40, learning_rate=0.1, max_leaf_nodes=15,
                                         min_samples_leaf=20, l2_regularization=1.0,
                                         early_stopping=False).fit(Xtr, ytr)
    assert abs(r2 - peer.score(Xte, yte)) <= 0.01
    Xc, yc = make_classification(3000, 10, n_informative=6, n_classes=3, random_state=2)
    Xtr, Xte, ytr, yte = train_test_split(Xc, yc, test_size=0.5, random_state=0)
    est = hist_gradient_boosting_classifier(loss="softmax", n_estimators=25, max_depth=4,
                                            n_classes=3)
    ours = float(np.mean(np.asarray(est.predict(est.fit(KEY, Xtr, ytr), Xte)) == yte))
    theirs = xgboost.XGBClassifier(n_estimators=25, learning_rate=0.1, max_depth=4,
                                   tree_method="hist", max_bin=256, min_child_weight=1e-3,
                                   n_jobs=2).fit(Xtr, ytr).score(Xte, yte)
    assert abs(ours - theirs) <= 0.015


@pytest.mark.slow
def test_categorical_splits_match_lightgbm_and_beat_treating_codes_as_numbers():
    rng = np.random.default_rng(4)
    n, k = 6000, 20
    effect = rng.normal(size=k)
    cat = rng.integers(0, k, size=n)
    Xn = rng.normal(size=(n, 3))
    y = (effect[cat] + Xn[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    X = np.column_stack([cat, Xn]).astype(float)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0)
    common = dict(n_estimators=30, learning_rate=0.1, policy="leafwise", num_leaves=4,
                  max_depth=None, n_classes=2)
    cat_est = hist_gradient_boosting_classifier(categorical_features=[0], **common)
    num_est = hist_gradient_boosting_classifier(**common)
    acc_cat = float(np.mean(np.asarray(cat_est.predict(cat_est.fit(KEY, Xtr, ytr), Xte)) == yte))
    acc_num = float(np.mean(np.asarray(num_est.predict(num_est.fit(KEY, Xtr, ytr), Xte)) == yte))
    peer = lightgbm.LGBMClassifier(n_estimators=30, learning_rate=0.1, num_leaves=4,
                                   reg_lambda=1.0, verbose=-1, n_jobs=2)
    theirs = peer.fit(Xtr, ytr, categorical_feature=[0]).score(Xte, yte)
    assert abs(acc_cat - theirs) <= 0.01
    assert acc_cat > acc_num + 0.01


def test_goss_keeps_the_top_gradients_and_reweights_the_sampled_rest():
    g = jnp.asarray(np.random.default_rng(5).normal(size=1000))
    w = np.asarray(boosting.goss_weights(KEY, g, 0.2, 0.1))
    top = np.argsort(-np.abs(np.asarray(g)))[:200]
    assert np.all(w[top] == 1.0)
    rest = np.setdiff1d(np.arange(1000), top)
    assert np.sum(w[rest] > 0) == 100
    np.testing.assert_allclose(w[rest][w[rest] > 0], 0.8 / 0.1)
    # unbiased: the reweighted gradient sum averages to the full sum over draws
    sums = jax.vmap(lambda k: jnp.sum(boosting.goss_weights(k, g, 0.2, 0.1) * g))(
        jax.random.split(KEY, 2000))
    assert float(jnp.mean(sums)) == pytest.approx(float(jnp.sum(g)), abs=3 * float(jnp.std(sums))
                                                  / np.sqrt(2000))


@pytest.mark.slow
def test_goss_boosting_fits_the_training_data():
    X, y = make_classification(2000, 10, random_state=3)
    est = hist_gradient_boosting_classifier(n_estimators=20, max_depth=3, goss=(0.2, 0.1),
                                            n_classes=2)
    model = est.fit(KEY, X, y)
    assert float(jnp.mean(est.predict(model, X) == y)) > 0.85


def test_a_hyperparameter_sweep_is_one_vmap_equal_to_separate_fits():
    X, y = make_classification(600, 8, random_state=4)
    rates, lams = jnp.array([0.05, 0.3]), jnp.array([0.0, 5.0])

    def fit(lr, lam):
        est = hist_gradient_boosting_classifier(n_estimators=4, max_depth=2,
                                                learning_rate=lr, reg_lambda=lam, n_classes=2)
        return est.decision_function(est.fit(KEY, X, y), X)

    swept = jax.jit(jax.vmap(fit))(rates, lams)
    one = jax.jit(fit)  # one compile for both points: the hyperparameters are traced
    for i in range(2):
        np.testing.assert_allclose(np.asarray(swept[i]), np.asarray(one(rates[i], lams[i])),
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("loss", [pytest.param("squared_error", marks=pytest.mark.slow),
                                  "poisson"])
def test_staged_training_loss_decreases_for_convex_losses(loss):
    X, y = make_friedman1(500, 5, random_state=5)
    y = y if loss == "squared_error" else np.random.default_rng(0).poisson(np.exp(y / 10))
    est = hist_gradient_boosting_regressor(loss=loss, n_estimators=20, max_depth=3)
    model = est.fit(KEY, X, y.astype(float))
    assert np.all(np.diff(np.asarray(model.train_loss)) <= 1e-6)
    staged = np.asarray(boosting.staged_decision(model, X))
    np.testing.assert_allclose(staged[-1], np.log(np.asarray(est.predict(model, X)))
                               if loss == "poisson" else np.asarray(est.predict(model, X)),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_importances_are_the_normalised_split_gains():
    X, y = _integer_data()
    est = hist_gradient_boosting_regressor(n_estimators=5, max_depth=3)
    model = est.fit(KEY, X, y)
    imp = np.asarray(histograms.hist_feature_importances(model.trees))
    gains = np.asarray(model.trees.gain)
    feature = np.asarray(model.trees.feature)
    expected = np.array([gains[feature == j].sum() for j in range(4)])
    np.testing.assert_allclose(imp, expected / expected.sum(), rtol=1e-5)
    assert imp[0] > imp[2] and imp[1] > imp[3]


def test_bad_input_raises_naming_the_argument():
    X, y = _integer_data(n=50)
    with pytest.raises(ValueError, match="X must be finite"):
        boosting.gradient_boosting_regressor(n_estimators=2).fit(
            KEY, np.where(np.arange(50)[:, None] == 0, np.nan, X), y)
    with pytest.raises(ValueError, match="inf"):
        hist_gradient_boosting_regressor(n_estimators=2).fit(KEY, np.where(X > 30, np.inf, X), y)
    with pytest.raises(ValueError, match="policy"):
        hist_gradient_boosting_regressor(policy="levelwise")
    with pytest.raises(ValueError, match="num_leaves"):
        hist_gradient_boosting_regressor(policy="leafwise", num_leaves=1)
    with pytest.raises(ValueError, match="max_depth"):
        hist_gradient_boosting_regressor(max_depth=0)
    with pytest.raises(ValueError, match="loss"):
        hist_gradient_boosting_regressor(loss="hinge")
    with pytest.raises(ValueError, match="categorical_features index 9"):
        hist_gradient_boosting_regressor(categorical_features=[9]).fit(KEY, X, y)
    with pytest.raises(ValueError, match="integer codes below max_bin"):
        hist_gradient_boosting_regressor(categorical_features=[0], max_bin=16).fit(KEY, X, y)
    with pytest.raises(ValueError, match="min_samples_leaf"):
        hist_gradient_boosting_regressor(min_samples_leaf=0)
