"""TreeSHAP on jaxml trees: equal to brute-force enumeration of the path-dependent value
function (including paths that split twice on one feature), to shap's TreeExplainer on the
identical scikit-learn tree (test-only oracle), efficient, and linear over a forest."""

import itertools
import math

import jax
import numpy as np
import pytest

from jaxml.classical.forests import random_forest_regressor
from jaxml.classical.trees import decision_tree_classifier, decision_tree_regressor
from jaxml.trust.treeshap import tree_expected_value, tree_shap


def _data(n=300, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = X[:, 0] * 2 + np.sin(3 * X[:, 1]) + X[:, 2] * X[:, 0] + 0.1 * rng.normal(size=n)
    return X, y.astype(np.float32)


def _value(tree, x, S, node=0, output=0):
    """v(S) by recursion: follow x on features in S, split by cover elsewhere."""
    if bool(tree.is_leaf[node]):
        return float(tree.value[node, output])
    f, left, right = int(tree.feature[node]), 2 * node + 1, 2 * node + 2
    if f in S:
        return _value(tree, x, S, left if x[f] <= float(tree.threshold[node]) else right, output)
    cover = np.asarray(tree.weighted_n_node_samples, float)
    return (cover[left] * _value(tree, x, S, left, output)
            + cover[right] * _value(tree, x, S, right, output)) / cover[node]


def _brute_force(tree, x, d, output=0):
    phi = np.zeros(d)
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for k in range(d):
            w = math.factorial(k) * math.factorial(d - k - 1) / math.factorial(d)
            for S in itertools.combinations(others, k):
                phi[i] += w * (_value(tree, x, {*S, i}, output=output) - _value(tree, x, set(S), output=output))
    return phi


def _repeats_a_feature_on_a_path(tree):
    feature, leaf = np.asarray(tree.feature), np.asarray(tree.is_leaf)
    for node in np.nonzero(leaf & (np.asarray(tree.n_node_samples) > 0))[0]:
        path, a = [], node
        while a > 0:
            a = (a - 1) // 2
            path.append(feature[a])
        if len(path) != len(set(path)):
            return True
    return False


def test_tree_shap_equals_brute_force_enumeration_and_is_efficient():
    X, y = _data()
    est = decision_tree_regressor(max_depth=5)
    tree = est.fit(X, y)
    assert _repeats_a_feature_on_a_path(tree)  # the folding of repeated features is exercised
    phi = np.asarray(tree_shap(tree, X[:3]))
    for n in range(3):
        np.testing.assert_allclose(phi[n], _brute_force(tree, X[n], X.shape[1]), atol=1e-5)
    gap = np.asarray(est.predict(tree, X[:3])) - float(tree_expected_value(tree))
    np.testing.assert_allclose(phi.sum(1), gap, atol=1e-5)


def _splits(tree):
    internal = ~np.asarray(tree.is_leaf) & (np.asarray(tree.n_node_samples) > 0)
    return sorted((int(f), round(float(t), 4)) for f, t in zip(np.asarray(tree.feature)[internal],
                                                               np.asarray(tree.threshold)[internal]))


def _splits_sklearn(model):
    t = model.tree_
    internal = t.children_left >= 0
    return sorted((int(f), round(float(v), 4)) for f, v in zip(t.feature[internal], t.threshold[internal]))


def test_tree_shap_equals_shap_tree_explainer_on_the_same_sklearn_trees():
    """(Deeper trees can differ from scikit-learn's where two splits tie on the training
    rows: same predictions there, a different tree and so different values.)"""
    shap = pytest.importorskip("shap")
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    X, y = _data(seed=0)
    est = decision_tree_regressor(max_depth=4)
    ours, theirs = est.fit(X, y), DecisionTreeRegressor(max_depth=4).fit(X, y)
    assert _splits(ours) == _splits_sklearn(theirs)  # the same tree, so the same game
    expected = shap.TreeExplainer(theirs, feature_perturbation="tree_path_dependent").shap_values(X[:20])
    np.testing.assert_allclose(np.asarray(tree_shap(ours, X[:20])), expected, atol=1e-5)

    labels = (y > np.median(y)).astype(np.int32)
    clf = decision_tree_classifier(max_depth=3)
    ours, theirs = clf.fit(X, labels), DecisionTreeClassifier(max_depth=3).fit(X, labels)
    assert _splits(ours) == _splits_sklearn(theirs)
    expected = np.asarray(shap.TreeExplainer(theirs, feature_perturbation="tree_path_dependent").shap_values(X[:20]))
    expected = expected[..., 1] if expected.ndim == 3 else expected[1]  # P(class 1), either shap layout
    np.testing.assert_allclose(np.asarray(tree_shap(ours, X[:20], output=1)), expected, atol=1e-5)


def test_forest_values_are_the_mean_of_its_trees_and_efficient():
    X, y = _data(n=200, seed=2)
    est = random_forest_regressor(n_estimators=4, max_depth=4)
    forest = est.fit(jax.random.PRNGKey(0), X, y)
    trees = forest.trees
    phi = np.asarray(tree_shap(trees, X[:8]))
    per_tree = [np.asarray(tree_shap(jax.tree_util.tree_map(lambda a, t=t: a[t], trees), X[:8])) for t in range(4)]
    np.testing.assert_allclose(phi, np.mean(per_tree, axis=0), atol=1e-6)
    gap = np.asarray(est.predict(forest, X[:8])) - float(tree_expected_value(trees))
    np.testing.assert_allclose(phi.sum(1), gap, atol=1e-4)


def test_bad_input_raises_clear_errors():
    X, y = _data(n=50)
    tree = decision_tree_regressor(max_depth=2).fit(X, y)
    with pytest.raises(ValueError, match="X must be"):
        tree_shap(tree, X[:, :3])
    with pytest.raises(ValueError, match="output"):
        tree_shap(tree, X, output=1)
