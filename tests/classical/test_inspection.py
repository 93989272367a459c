"""Permutation importance: brute force over the documented permutations, zero for unused
features, and agreement in distribution with scikit-learn's permutation_importance."""

import jax
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.inspection import permutation_importance as sk_permutation_importance
from sklearn.tree import DecisionTreeClassifier

from jaxml.classical import inspection, metrics, trees


def _fitted_tree():
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3, n_redundant=0,
                               random_state=0)
    est = trees.decision_tree_classifier(max_depth=3, n_classes=2)
    return X, y, est, est.fit(X, y)


def test_matches_brute_force_over_the_documented_permutations():
    X, y, est, tree = _fitted_tree()
    score = lambda A, b: metrics.accuracy(b, est.predict(tree, A))  # noqa: E731
    key = jax.random.key(3)
    got = inspection.permutation_importance(key, score, X, y, n_repeats=4)
    predict = jax.jit(est.predict)
    base = float(np.mean(np.asarray(predict(tree, X)) == y))
    drops = np.zeros((5, 4))
    for j in range(5):
        for r in range(4):
            perm = np.asarray(jax.random.permutation(
                jax.random.fold_in(jax.random.fold_in(key, j), r), 300))
            Xp = X.copy()
            Xp[:, j] = X[perm, j]
            drops[j, r] = base - np.mean(np.asarray(predict(tree, Xp)) == y)
    assert float(got.baseline) == pytest.approx(base)
    np.testing.assert_allclose(got.importances, drops, atol=1e-6)
    np.testing.assert_allclose(got.importances_mean, drops.mean(1), atol=1e-6)
    np.testing.assert_allclose(got.importances_std, drops.std(1), atol=1e-6)
    # a feature the tree never splits on cannot matter
    used = set(np.asarray(tree.feature)[~np.asarray(tree.is_leaf)].tolist())
    for j in set(range(5)) - used:
        assert np.all(got.importances[j] == 0)


def test_agrees_with_sklearn_in_distribution():
    X, y, est, tree = _fitted_tree()
    ref_model = DecisionTreeClassifier(max_depth=3).fit(X, y)
    np.testing.assert_array_equal(ref_model.predict(X), est.predict(tree, X))  # same model
    score = lambda A, b: metrics.accuracy(b, est.predict(tree, A))  # noqa: E731
    R = 60
    ours = inspection.permutation_importance(0, score, X, y, n_repeats=R)
    ref = sk_permutation_importance(ref_model, X, y, scoring="accuracy", n_repeats=R,
                                    random_state=0)
    se = np.sqrt((np.asarray(ours.importances_std) ** 2 + ref.importances_std ** 2) / R)
    assert np.all(np.abs(np.asarray(ours.importances_mean) - ref.importances_mean)
                  <= 4 * se + 1e-9)
    assert np.argmax(ours.importances_mean) == np.argmax(ref.importances_mean)


def test_bad_input():
    X, y, est, tree = _fitted_tree()
    with pytest.raises(ValueError, match="n_repeats"):
        inspection.permutation_importance(0, lambda A, b: 0.0, X, y, n_repeats=0)
    with pytest.raises(TypeError, match="score must be a callable"):
        inspection.permutation_importance(0, "accuracy", X, y)
    with pytest.raises(ValueError, match="score must return a scalar"):
        inspection.permutation_importance(0, lambda A, b: A[:, 0], X, y)
