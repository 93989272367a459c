"""CART trees: the same tree as scikit-learn's (node by node), jit/vmap, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_friedman1
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from jaxml.classical import trees


def _classification(seed=0, n=240, classes=3):
    return make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=classes, random_state=seed)


def _regression(seed=0, n=240):
    X, y = make_friedman1(n_samples=n, n_features=6, noise=0.3, random_state=seed)
    return X, y


def sklearn_in_heap_order(model, depth):
    """scikit-learn's fitted tree rearranged into our heap layout (oracle side)."""
    t = model.tree_
    size = 2 ** (depth + 1) - 1
    out = dict(feature=np.full(size, -1), threshold=np.zeros(size), n=np.zeros(size, int),
               impurity=np.zeros(size), value=np.zeros((size, t.value.shape[2])))

    def visit(node, k):
        out["n"][k] = t.n_node_samples[node]
        out["impurity"][k] = t.impurity[node]
        value = t.value[node, 0]
        out["value"][k] = value / value.sum() if t.value.shape[2] > 1 else value
        if t.children_left[node] != -1:
            out["feature"][k], out["threshold"][k] = t.feature[node], t.threshold[node]
            visit(t.children_left[node], 2 * k + 1)
            visit(t.children_right[node], 2 * k + 2)

    visit(0, 0)
    return out


def _split_cost(X, y, w, rows, feature, threshold, criterion):
    """Weighted child impurity of splitting ``rows`` at ``x[feature] <= threshold``."""
    def cost(part):
        wp, yp = w[part], y[part]
        if criterion == "squared_error":
            mean = np.sum(wp * yp) / np.sum(wp)
            return np.sum(wp * (yp - mean) ** 2)
        if criterion == "absolute_error":
            return _least_absolute_error(yp, wp)
        counts = np.bincount(yp, weights=wp, minlength=int(y.max()) + 1)
        p = counts / counts.sum()
        if criterion == "gini":
            return counts.sum() * (1 - np.sum(p**2))
        p = p[p > 0]
        return -counts.sum() * np.sum(p * np.log2(p))

    left = rows & (X[:, feature] <= threshold)
    return cost(left) + cost(rows & ~left)


def _least_absolute_error(y, w):
    """``min_c Σ w |y - c|`` by brute force over every candidate ``c`` on a fine grid and
    at the samples (the minimum of a piecewise-linear convex function is at a kink)."""
    candidates = np.r_[y, np.linspace(y.min(), y.max(), 101)]
    return np.min(np.abs(y[None, :] - candidates[:, None]) @ w)


def assert_same_tree(ours, theirs, X, y, criterion, w=None):
    """Node by node, top down. Where the two trees split a node differently, the two
    splits must tie (equal weighted child impurity: scikit-learn breaks ties by a random
    feature order, we by the lowest index); below a tie the subtrees are not compared."""
    w = np.ones(len(y)) if w is None else np.asarray(w, float)
    feature, threshold = np.asarray(ours.feature), np.asarray(ours.threshold)
    n_nodes, impurity, value = (np.asarray(ours.n_node_samples), np.asarray(ours.impurity),
                                np.asarray(ours.value))
    ties, internal = 0, 0

    def visit(k, rows):
        nonlocal ties, internal
        assert n_nodes[k] == theirs["n"][k] == np.sum(rows & (w > 0)), k
        np.testing.assert_allclose(impurity[k], theirs["impurity"][k], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(value[k], theirs["value"][k], rtol=1e-6, atol=1e-9)
        f, f_peer = feature[k], theirs["feature"][k]
        assert (f < 0) == (f_peer < 0), f"node {k}: one tree splits, the other does not"
        if f < 0:
            return
        internal += 1
        same = f == f_peer and np.isclose(threshold[k], theirs["threshold"][k], rtol=1e-6,
                                          atol=1e-7)
        if not same:
            mine = _split_cost(X, y, w, rows, f, threshold[k], criterion)
            peer = _split_cost(X, y, w, rows, f_peer, theirs["threshold"][k], criterion)
            assert np.isclose(mine, peer, rtol=1e-9, atol=1e-12), (k, mine, peer)
            ties += 1
            return
        left = rows & (X[:, f] <= threshold[k])
        visit(2 * k + 1, left)
        visit(2 * k + 2, rows & ~left)

    visit(0, np.ones(len(y), bool))
    return ties


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("depth", [1, 3, 6])
def test_classification_tree_equals_sklearn_node_by_node(criterion, depth):
    X, y = _classification(seed=depth)
    with jax.enable_x64(True):
        est = trees.decision_tree_classifier(criterion=criterion, max_depth=depth)
        tree = est.fit(X, y)
        theirs = DecisionTreeClassifier(criterion=criterion, max_depth=depth,
                                        random_state=0).fit(X, y)
        ties = assert_same_tree(tree, sklearn_in_heap_order(theirs, depth), X, y, criterion)
        if depth <= 3:  # shallow trees have no tied splits here: the very same tree
            assert ties == 0
            X_new, _ = _classification(seed=99)
            np.testing.assert_allclose(np.asarray(est.predict_proba(tree, X_new)),
                                       theirs.predict_proba(X_new), atol=1e-12)
            np.testing.assert_allclose(np.asarray(trees.feature_importances(tree)),
                                       theirs.feature_importances_, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("depth", [1, 4, 7])
def test_regression_tree_equals_sklearn_node_by_node(depth):
    X, y = _regression(seed=depth)
    with jax.enable_x64(True):
        est = trees.decision_tree_regressor(max_depth=depth)
        tree = est.fit(X, y)
        theirs = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(X, y)
        ties = assert_same_tree(tree, sklearn_in_heap_order(theirs, depth), X, y,
                                "squared_error")
        if depth <= 4:  # deeper nodes hold a few samples, and ties (cost 0) appear
            assert ties == 0
            X_new, _ = _regression(seed=99)
            np.testing.assert_allclose(np.asarray(est.predict(tree, X_new)),
                                       theirs.predict(X_new), rtol=1e-9)
            np.testing.assert_allclose(np.asarray(trees.feature_importances(tree)),
                                       theirs.feature_importances_, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_pre_pruning_and_sample_weights_match_sklearn(kind):
    rules = dict(max_depth=6, min_samples_split=12, min_samples_leaf=4,
                 min_impurity_decrease=0.002)
    weights = np.random.default_rng(0).poisson(1.0, size=240).astype(float)  # bootstrap-like
    with jax.enable_x64(True):
        if kind == "classifier":
            X, y = _classification(seed=5)
            est, peer = trees.decision_tree_classifier(**rules), DecisionTreeClassifier
        else:
            X, y = _regression(seed=5)
            est, peer = trees.decision_tree_regressor(**rules), DecisionTreeRegressor
        tree = est.fit(X, y, sample_weight=weights)
        theirs = peer(random_state=0, **rules).fit(X, y, sample_weight=weights)
        criterion = "gini" if kind == "classifier" else "squared_error"
        assert_same_tree(tree, sklearn_in_heap_order(theirs, rules["max_depth"]), X, y,
                         criterion, w=weights)


@pytest.mark.parametrize("weighted", [False, True])
def test_absolute_error_tree_equals_sklearn_node_by_node(weighted):
    """Leaves are weighted medians (scikit-learn's rule for an even split of the weight:
    the mean of the two middle responses), impurities the mean absolute deviation."""
    X, y = _regression(seed=12, n=160)
    w = np.random.default_rng(1).poisson(1.0, size=160).astype(float) if weighted else None
    rules = dict(criterion="absolute_error", max_depth=4, min_samples_leaf=3)
    with jax.enable_x64(True):
        est = trees.decision_tree_regressor(**rules)
        tree = est.fit(X, y, sample_weight=w)
        theirs = DecisionTreeRegressor(random_state=0, **rules).fit(X, y, sample_weight=w)
        ties = assert_same_tree(tree, sklearn_in_heap_order(theirs, 4), X, y, "absolute_error",
                                w=w)
        # the absolute error is piecewise linear in the split position, so exact ties are
        # common (about one node in three samples of this size); this sample has none
        assert ties == 0
        X_new, _ = _regression(seed=98, n=50)
        np.testing.assert_allclose(np.asarray(est.predict(tree, X_new)), theirs.predict(X_new),
                                   rtol=1e-9)


def test_absolute_error_random_splits_have_brute_force_impurities_and_median_leaves():
    """Extra-trees splits with absolute error: every node's impurity is the least mean
    absolute deviation of the samples that reach it, and its value attains it."""
    X, y = _regression(seed=4, n=90)
    w = np.random.default_rng(2).poisson(1.0, size=90).astype(float)
    with jax.enable_x64(True):
        X_, stats, w_, y_ = trees.regression_statistics(X, y, w)
        tree = trees.grow_tree(X_, stats, w_, criterion="absolute_error", max_depth=3,
                               response=y_, splitter="random", max_features=3,
                               key=jax.random.PRNGKey(0))
        reached = np.asarray(jax.vmap(lambda x: _path(tree, x))(X_))  # (n, depth + 1)
    n_split = 0
    for k in range(tree.feature.shape[0]):
        rows = np.any(reached == k, axis=1) & (w > 0)
        if not rows.any():
            continue
        least = _least_absolute_error(y[rows], w[rows])
        W = w[rows].sum()
        np.testing.assert_allclose(float(tree.impurity[k]), least / W, rtol=1e-9)
        at_value = np.abs(y[rows] - float(tree.value[k, 0])) @ w[rows]
        np.testing.assert_allclose(at_value, least, rtol=1e-9)
        n_split += int(tree.feature[k]) >= 0
    assert n_split >= 3


def _path(tree, x):
    """The heap indices of the nodes ``x`` visits, root first (repeats at the leaf)."""
    def step(k, _):
        f = tree.feature[k]
        nxt = jnp.where(f < 0, k, 2 * k + 1 + (x[jnp.maximum(f, 0)] > tree.threshold[k]))
        return nxt, k
    _, visited = jax.lax.scan(step, 0, None, length=trees.tree_depth(tree) + 1)
    return visited


def test_float32_tree_predicts_as_sklearn():
    X, y = _classification(seed=3)
    est = trees.decision_tree_classifier(max_depth=4)
    tree = est.fit(X.astype(np.float32), y)
    theirs = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    assert tree.threshold.dtype == jnp.float32
    agree = np.mean(np.asarray(est.predict(tree, X.astype(np.float32))) == theirs.predict(X))
    assert agree >= 0.99


def test_fit_under_jit_and_vmap_over_bootstrap_weights_equals_a_loop():
    X, y = _classification(seed=1)
    est = trees.decision_tree_classifier(max_depth=4, n_classes=3)
    weights = jax.random.poisson(jax.random.PRNGKey(0), 1.0, (4, X.shape[0])).astype(jnp.float32)
    forest = jax.jit(jax.vmap(est.fit, in_axes=(None, None, 0)))(X, y, weights)
    assert forest.feature.shape == (4, 31)
    for i in range(4):
        one = est.fit(X, y, sample_weight=weights[i])
        np.testing.assert_array_equal(np.asarray(forest.feature[i]), np.asarray(one.feature))
        np.testing.assert_allclose(np.asarray(forest.value[i]), np.asarray(one.value), atol=1e-6)


def test_pure_node_is_a_leaf_and_constant_features_are_not_split():
    X = np.c_[np.arange(8.0), np.zeros(8)]
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    tree = trees.decision_tree_classifier(max_depth=3).fit(X, y)
    assert int(tree.feature[0]) == 0 and float(tree.threshold[0]) == 3.5
    assert bool(tree.is_leaf[1]) and bool(tree.is_leaf[2])  # both children pure
    assert int(tree.n_node_samples[3]) == 0  # nothing below a leaf
    stump = trees.decision_tree_classifier(max_depth=2).fit(np.zeros((6, 2)), [0, 1] * 3)
    assert bool(stump.is_leaf[0])  # no threshold separates equal values
    np.testing.assert_allclose(trees.feature_importances(stump), [0.0, 0.0])


def test_bad_input_raises_naming_the_argument():
    X, y = _classification()
    with pytest.raises(ValueError, match="criterion must be one of"):
        trees.decision_tree_classifier(criterion="gain")
    with pytest.raises(ValueError, match="criterion must be one of"):
        trees.decision_tree_regressor(criterion="gini")
    with pytest.raises(ValueError, match="response"):
        trees.grow_tree(jnp.ones((4, 2)), jnp.ones((4, 3)), jnp.ones(4),
                        criterion="absolute_error", max_depth=1)
    with pytest.raises(ValueError, match="max_depth"):
        trees.decision_tree_classifier(max_depth=0)
    with pytest.raises(ValueError, match="min_samples_leaf"):
        trees.decision_tree_regressor(min_samples_leaf=0)
    with pytest.raises(ValueError, match="min_samples_split"):
        trees.decision_tree_regressor(min_samples_split=1)
    with pytest.raises(ValueError, match="min_impurity_decrease"):
        trees.decision_tree_regressor(min_impurity_decrease=-1.0)
    est = trees.decision_tree_classifier(max_depth=2)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        est.fit(bad, y)
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        est.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="same number of rows"):
        est.fit(X, y[:-1])
    tree = est.fit(X, y)
    with pytest.raises(ValueError, match="fitted with 6"):
        est.predict(tree, X[:, :3])


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_cost_complexity_pruning_path_and_pruned_tree_equal_sklearn(kind):
    with jax.enable_x64(True):
        if kind == "classifier":
            X, y = _classification(seed=11)
            est, peer = trees.decision_tree_classifier, DecisionTreeClassifier
        else:
            X, y = _regression(seed=11)
            est, peer = trees.decision_tree_regressor, DecisionTreeRegressor
        tree = est(max_depth=6).fit(X, y)
        path = trees.cost_complexity_pruning_path(tree)
        theirs = peer(max_depth=6, random_state=0).cost_complexity_pruning_path(X, y)
        m = int(path.length)
        assert m == len(theirs.ccp_alphas)
        np.testing.assert_allclose(np.asarray(path.ccp_alphas[:m]), theirs.ccp_alphas,
                                   rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(np.asarray(path.impurities[:m]), theirs.impurities,
                                   rtol=1e-7, atol=1e-12)
        assert np.all(np.isnan(np.asarray(path.ccp_alphas[m:])))
        alpha = float(theirs.ccp_alphas[m // 2])
        pruned = est(max_depth=6, ccp_alpha=alpha).fit(X, y)
        peer_pruned = peer(max_depth=6, ccp_alpha=alpha, random_state=0).fit(X, y)
        assert_same_tree(pruned, sklearn_in_heap_order(peer_pruned, 6), X, y,
                         "gini" if kind == "classifier" else "squared_error")
        # pruning the grown tree, or pruning under jit with a traced alpha, is the same
        again = jax.jit(trees.prune)(tree, alpha)
        np.testing.assert_array_equal(np.asarray(again.feature), np.asarray(pruned.feature))


@pytest.mark.parametrize("kind, leaves", [("classifier", 5), ("classifier", 12),
                                          ("regressor", 7), ("regressor", 20)])
def test_max_leaf_nodes_is_sklearns_best_first_tree(kind, leaves):
    """scikit-learn grows these with its BestFirstTreeBuilder (a priority queue on the
    impurity improvement); ours selects the same splits from the level-wise tree."""
    with jax.enable_x64(True):
        if kind == "classifier":
            X, y = _classification(seed=leaves)
            est, peer, criterion = trees.decision_tree_classifier, DecisionTreeClassifier, "gini"
        else:
            X, y = _regression(seed=leaves)
            est, peer, criterion = trees.decision_tree_regressor, DecisionTreeRegressor, \
                "squared_error"
        tree = est(max_depth=6, max_leaf_nodes=leaves).fit(X, y)
        theirs = peer(max_depth=6, max_leaf_nodes=leaves, random_state=0).fit(X, y)
        assert theirs.get_n_leaves() == leaves  # the budget binds
        assert int(np.sum(np.asarray(tree.is_leaf) & (np.asarray(tree.n_node_samples) > 0))) \
            == leaves
        assert_same_tree(tree, sklearn_in_heap_order(theirs, 6), X, y, criterion)
        X_new = _classification(seed=99)[0] if kind == "classifier" else _regression(99)[0]
        ours = (est(max_depth=6, max_leaf_nodes=leaves).predict_proba(tree, X_new)
                if kind == "classifier" else est(max_depth=6).predict(tree, X_new))
        want = theirs.predict_proba(X_new) if kind == "classifier" else theirs.predict(X_new)
        np.testing.assert_allclose(np.asarray(ours), want, atol=1e-12)
        np.testing.assert_allclose(np.asarray(trees.feature_importances(tree)),
                                   theirs.feature_importances_, rtol=1e-6, atol=1e-12)
        # then cost-complexity pruning of the best-first tree, as scikit-learn orders them
        alpha = float(theirs.cost_complexity_pruning_path(X, y).ccp_alphas[-2]) / 2
        both = est(max_depth=6, max_leaf_nodes=leaves, ccp_alpha=alpha).fit(X, y)
        peer_both = peer(max_depth=6, max_leaf_nodes=leaves, ccp_alpha=alpha,
                         random_state=0).fit(X, y)
        assert_same_tree(both, sklearn_in_heap_order(peer_both, 6), X, y, criterion)
    # a budget larger than the tree changes nothing; jit-able on a grown tree
    full = est(max_depth=3).fit(X, y)
    np.testing.assert_array_equal(np.asarray(jax.jit(trees.best_first, static_argnums=1)(
        full, 64).feature), np.asarray(full.feature))
    for bad, error in ((1, ValueError), (0, ValueError), (2.5, TypeError)):
        with pytest.raises(error, match="max_leaf_nodes"):
            est(max_leaf_nodes=bad)


def test_ccp_alpha_chosen_by_cross_validation_equals_gridsearchcv():
    from sklearn.model_selection import GridSearchCV, KFold

    from jaxml.classical import model_selection

    # depth 3 on 400 rows: every node is large enough that no two splits tie, so each
    # fold's tree is scikit-learn's
    X, y = _regression(seed=12, n=400)
    with jax.enable_x64(True):
        path = DecisionTreeRegressor(max_depth=3, random_state=0).cost_complexity_pruning_path(X, y)
        alphas = path.ccp_alphas[:-1]

        def factory(ccp_alpha):
            return trees.decision_tree_regressor(max_depth=3, ccp_alpha=ccp_alpha)

        ours = model_selection.grid_search(factory, X, y, {"ccp_alpha": jnp.asarray(alphas)},
                                           model_selection.kfold(len(y), 5), scorer="r2")
        theirs = GridSearchCV(DecisionTreeRegressor(max_depth=3, random_state=0),
                              {"ccp_alpha": alphas}, cv=KFold(5), scoring="r2").fit(X, y)
        np.testing.assert_allclose(np.asarray(ours.mean_test_score),
                                   theirs.cv_results_["mean_test_score"], rtol=1e-9)
        assert ours.best_index == theirs.best_index_
