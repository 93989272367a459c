"""Random forests and extra-trees against scikit-learn's at the same settings."""

import jax
import numpy as np
import pytest
from sklearn import ensemble
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_wine,
    make_classification,
    make_friedman1,
    make_regression,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeRegressor

from jaxml.classical import forests

SETTINGS = dict(n_estimators=60, max_depth=8)


def _split(X, y, seed=0):
    X = np.asarray(X, np.float32)
    return train_test_split(X, y, test_size=0.4, random_state=seed)


def _classification_sets():
    yield "binary", make_classification(1000, 12, n_informative=6, random_state=0)
    yield "four_class", make_classification(1000, 10, n_informative=6, n_classes=4,
                                            n_clusters_per_class=1, random_state=1)
    yield "breast_cancer", load_breast_cancer(return_X_y=True)
    yield "wine", load_wine(return_X_y=True)


def _regression_sets():
    yield "friedman1", make_friedman1(800, 8, noise=0.5, random_state=0)
    yield "linear", make_regression(800, 10, n_informative=5, noise=5.0, random_state=1)
    yield "diabetes", load_diabetes(return_X_y=True)
    X, y = make_friedman1(800, 5, noise=1.0, random_state=2)
    yield "friedman1_noisy", (X, y)


@pytest.mark.parametrize("kind", ["random_forest",
                                  pytest.param("extra_trees", marks=pytest.mark.slow)])
def test_classifier_accuracy_matches_sklearn(kind):
    ours_factory = getattr(forests, f"{kind}_classifier")
    peer = ensemble.RandomForestClassifier if kind == "random_forest" else ensemble.ExtraTreesClassifier
    deltas = {}
    for name, (X, y) in _classification_sets():
        X_tr, X_te, y_tr, y_te = _split(X, y)
        est = ours_factory(**SETTINGS)
        forest = est.fit(jax.random.PRNGKey(0), X_tr, y_tr)
        ours = accuracy_score(y_te, np.asarray(est.predict(forest, X_te)))
        theirs = peer(random_state=0, **SETTINGS).fit(X_tr, y_tr).score(X_te, y_te)
        deltas[name] = ours - theirs
    assert all(abs(d) <= 0.03 for d in deltas.values()), deltas
    assert abs(np.mean(list(deltas.values()))) <= 0.01, deltas


@pytest.mark.parametrize("kind", ["random_forest",
                                  pytest.param("extra_trees", marks=pytest.mark.slow)])
def test_regressor_r2_matches_sklearn(kind):
    ours_factory = getattr(forests, f"{kind}_regressor")
    peer = ensemble.RandomForestRegressor if kind == "random_forest" else ensemble.ExtraTreesRegressor
    deltas = {}
    for name, (X, y) in _regression_sets():
        X_tr, X_te, y_tr, y_te = _split(X, y)
        est = ours_factory(**SETTINGS)
        forest = est.fit(jax.random.PRNGKey(1), X_tr, y_tr)
        ours = r2_score(y_te, np.asarray(est.predict(forest, X_te)))
        theirs = peer(random_state=0, **SETTINGS).fit(X_tr, y_tr).score(X_te, y_te)
        deltas[name] = ours - theirs
    assert all(abs(d) <= 0.03 for d in deltas.values()), deltas
    assert abs(np.mean(list(deltas.values()))) <= 0.01, deltas


def test_oob_scores_match_sklearn():
    X, y = make_classification(800, 10, n_informative=5, random_state=3)
    X = X.astype(np.float32)
    est = forests.random_forest_classifier(oob_score=True, **SETTINGS)
    forest = est.fit(jax.random.PRNGKey(2), X, y)
    score, never = forests.oob_score(forest, y)
    theirs = ensemble.RandomForestClassifier(oob_score=True, random_state=0, **SETTINGS).fit(X, y)
    assert int(never) == 0 and abs(float(score) - theirs.oob_score_) <= 0.02
    # by hand: average of the trees that did not draw the sample
    Xr, yr = make_friedman1(600, 6, noise=0.5, random_state=4)
    reg = forests.random_forest_regressor(oob_score=True, **SETTINGS)
    fitted = reg.fit(jax.random.PRNGKey(3), Xr.astype(np.float32), yr)
    peer = ensemble.RandomForestRegressor(oob_score=True, random_state=0, **SETTINGS).fit(Xr, yr)
    assert abs(float(forests.oob_score(fitted, yr)[0]) - peer.oob_score_) <= 0.02


def test_oob_prediction_is_the_mean_of_the_trees_that_left_the_sample_out():
    X, y = make_classification(200, 5, random_state=5)
    est = forests.random_forest_classifier(n_estimators=8, max_depth=3, oob_score=True)
    key = jax.random.PRNGKey(4)
    forest = est.fit(key, X, y)
    # replay the bootstrap draws of fit (same keys, same order)
    counts = []
    for k in jax.random.split(key, 8):
        k_boot, _ = jax.random.split(k)
        counts.append(np.bincount(np.asarray(jax.random.randint(k_boot, (200,), 0, 200)),
                                  minlength=200))
    counts = np.array(counts)
    from jaxml.classical.trees import predict_values

    per_tree = np.asarray(predict_values(forest.trees, X))  # (T, n, K)
    out = counts == 0
    i = int(np.argmax(out.sum(0) >= 2))
    np.testing.assert_allclose(np.asarray(forest.oob[i]), per_tree[out[:, i], i].mean(0), rtol=1e-6)


def test_importances_rank_the_informative_features_first():
    X, y = make_classification(800, 8, n_informative=3, n_redundant=0, shuffle=False,
                               random_state=6)
    est = forests.random_forest_classifier(**SETTINGS)
    imp = np.asarray(forests.forest_feature_importances(est.fit(jax.random.PRNGKey(5), X, y)))
    theirs = ensemble.RandomForestClassifier(random_state=0, **SETTINGS).fit(X, y).feature_importances_
    assert imp.sum() == pytest.approx(1.0, abs=1e-5)
    assert set(np.argsort(imp)[-3:]) == {0, 1, 2} == set(np.argsort(theirs)[-3:])
    np.testing.assert_allclose(imp, theirs, atol=0.05)


def test_fit_is_one_jitted_program_and_deterministic_under_a_key():
    X, y = make_classification(300, 6, random_state=7)
    est = forests.extra_trees_classifier(n_estimators=10, max_depth=4, n_classes=2)
    fit = jax.jit(est.fit)
    a, b = fit(jax.random.PRNGKey(0), X, y), fit(jax.random.PRNGKey(0), X, y)
    np.testing.assert_array_equal(np.asarray(a.trees.threshold), np.asarray(b.trees.threshold))
    c = fit(jax.random.PRNGKey(1), X, y)
    assert not np.array_equal(np.asarray(a.trees.threshold), np.asarray(c.trees.threshold))
    assert a.trees.feature.shape == (10, 31)


@pytest.mark.parametrize("max_features, expected", [("sqrt", 3), ("log2", 3), (0.5, 5), (4, 4),
                                                    (None, None), (1.0, None), (10, None)])
def test_max_features_rule(max_features, expected):
    assert forests.resolve_max_features(max_features, 10) == expected


def test_bad_input_raises_naming_the_argument():
    with pytest.raises(ValueError, match="max_features must be one of"):
        forests.random_forest_classifier(max_features="half")
    with pytest.raises(ValueError, match="max_features as a fraction"):
        forests.random_forest_regressor(max_features=1.5)
    with pytest.raises(ValueError, match="n_estimators"):
        forests.random_forest_classifier(n_estimators=0)
    with pytest.raises(ValueError, match="oob_score=True needs bootstrap=True"):
        forests.extra_trees_classifier(oob_score=True)
    with pytest.raises(ValueError, match="criterion must be one of"):
        forests.random_forest_regressor(criterion="gini")
    est = forests.random_forest_classifier(n_estimators=2, max_depth=2)
    forest = est.fit(jax.random.PRNGKey(0), *make_classification(50, 4, random_state=0))
    with pytest.raises(ValueError, match="oob_score=False"):
        forests.oob_score(forest, np.zeros(50))
    with pytest.raises(ValueError, match="max_features must be <= the number of features"):
        forests.random_forest_classifier(max_features=9).fit(
            jax.random.PRNGKey(0), *make_classification(50, 4, random_state=0))


def test_bagging_any_estimator_matches_sklearn_bagging_of_trees_and_a_by_hand_member():
    from sklearn.tree import DecisionTreeRegressor

    from jaxml.classical import trees
    from jaxml.classical.linear import ridge

    X, y = make_friedman1(600, 6, noise=0.5, random_state=8)
    X_tr, X_te, y_tr, y_te = _split(X, y)
    bag = forests.bagging(trees.decision_tree_regressor(max_depth=6), n_estimators=40)
    params = bag.fit(jax.random.PRNGKey(0), X_tr, y_tr)
    ours = r2_score(y_te, np.asarray(bag.predict(params, X_te)))
    theirs = ensemble.BaggingRegressor(DecisionTreeRegressor(max_depth=6), n_estimators=40,
                                       random_state=0).fit(X_tr, y_tr).score(X_te, y_te)
    assert abs(ours - theirs) <= 0.03
    # a bagged linear model: each member is the ridge fit on its own bootstrap rows
    lin = ridge(alpha=1.0)
    bagged = forests.bagging(lin, n_estimators=3)
    fitted = bagged.fit(jax.random.PRNGKey(1), X_tr, y_tr)
    rows = np.asarray(fitted.rows[1])
    member = lin.fit(X_tr[rows], y_tr[rows])
    np.testing.assert_allclose(np.asarray(fitted.members.coef[1]), np.asarray(member.coef),
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match="Classifier or Regressor"):
        forests.bagging(object())


@pytest.mark.parametrize("criterion", ["squared_error", "absolute_error"])
def test_max_leaf_nodes_grows_each_tree_best_first_as_sklearn(criterion):
    """Without bootstrap and with every feature a candidate, each tree of a random forest
    is the CART tree, so with ``max_leaf_nodes`` it is scikit-learn's best-first tree."""
    X, y = make_friedman1(200, 6, noise=0.3, random_state=0)
    X_new = make_friedman1(80, 6, random_state=1)[0]
    rules = dict(criterion=criterion, max_depth=6, max_leaf_nodes=9)
    with jax.enable_x64(True):
        est = forests.random_forest_regressor(n_estimators=2, max_features=None,
                                              bootstrap=False, **rules)
        forest = est.fit(jax.random.PRNGKey(0), X, y)
        theirs = DecisionTreeRegressor(random_state=0, **rules).fit(X, y)
        reached_leaves = np.sum(np.asarray(forest.trees.is_leaf)
                                & (np.asarray(forest.trees.n_node_samples) > 0), axis=1)
        assert reached_leaves.tolist() == [9, 9] and theirs.get_n_leaves() == 9
        np.testing.assert_allclose(np.asarray(est.predict(forest, X_new)),
                                   theirs.predict(X_new), rtol=1e-9)
    with pytest.raises(ValueError, match="max_leaf_nodes"):
        forests.extra_trees_classifier(max_leaf_nodes=1)
