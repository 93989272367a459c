"""Bisecting k-means vs scikit-learn's BisectingKMeans and an exact 2-means oracle.

The random seedings differ from scikit-learn's, so the comparisons are on data where the
answer does not depend on them (well-separated blobs), or against the exact optimum of a
2-means split (enumerated over all linear dichotomies of a 2-D cluster).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.cluster import BisectingKMeans
from sklearn.metrics import adjusted_rand_score

from jaxml.unsupervised.bisecting import bisecting_kmeans

K = 4
# Sizes of the clusters each strategy must find on ``blobs`` (see there).
EXPECTED_SIZES = {"biggest_inertia": [20, 20, 40, 80], "largest_cluster": [40, 40, 40, 40]}


@pytest.fixture(scope="module")
def blobs():
    """A big tight group T (three sub-blobs of 40 on a line at y = 0, 1, 3) far from a
    small spread group S (two sub-blobs of 20, 10 apart). The first split is T | S. Then
    S has the biggest inertia (about 1000 vs 190) but T the most points (120 vs 40), so
    "biggest_inertia" splits S, then T into {0, 1} | {3}; "largest_cluster" splits T
    into {0, 1} | {3}, then {0, 1}. Every 2-means optimum on the way is unambiguous."""
    rng = np.random.default_rng(0)
    parts = [rng.normal([0.0, y], 0.05, (40, 2)) for y in (0.0, 1.0, 3.0)]
    parts += [rng.normal([40.0, y], 0.3, (20, 2)) for y in (0.0, 10.0)]
    return rng.permutation(np.concatenate(parts))


@pytest.fixture(scope="module")
def fitted(blobs):
    """One fit per strategy (the init differs too, to cover both seedings)."""
    out = {}
    for strategy, init in (("biggest_inertia", "k-means++"), ("largest_cluster", "random")):
        est = bisecting_kmeans(K, n_init=3, init=init, bisecting_strategy=strategy)
        out[strategy] = est, est.fit(jax.random.key(0), blobs)
    return out


# ----------------------------------------------------------------------------- helpers


def _children(p):
    return {int(a): (int(b), int(c)) for a, b, c in np.asarray(p.splits)}


def _node_members(p):
    """Training-point indices under every node, from the leaves' labels upwards."""
    labels = np.asarray(p.labels)
    node_label = np.asarray(p.node_label)
    members = {int(v): set(np.flatnonzero(labels == node_label[v]).tolist())
               for v in np.flatnonzero(node_label >= 0)}
    for parent, left, right in np.asarray(p.splits)[::-1]:  # children before parents
        members[int(parent)] = members[int(left)] | members[int(right)]
    return members


def _numpy_descend(p, X):
    children = _children(p)
    C = np.asarray(p.node_centres, np.float64)
    node_label = np.asarray(p.node_label)
    out = np.empty(len(X), np.int64)
    for i, x in enumerate(np.asarray(X, np.float64)):
        node = 0
        while node in children:
            left, right = children[node]
            node = left if np.sum((x - C[left]) ** 2) <= np.sum((x - C[right]) ** 2) else right
        out[i] = node_label[node]
    return out


def _sklearn_node_sets(ref):
    """Every node of scikit-learn's split tree as a frozenset of training indices."""
    labels = ref.labels_
    sets = []

    def walk(node):
        if node.left is None:
            s = frozenset(np.flatnonzero(labels == node.label).tolist())
        else:
            s = walk(node.left) | walk(node.right)
        sets.append(s)
        return s

    walk(ref._bisecting_tree)
    return sets


def _exact_two_means(X):
    """Least SSE over all two-part partitions of 2-D points in general position: the
    optimal 2-means partition is linearly separable, and every linear dichotomy is cut
    by a line through two points, those two assigned either way."""
    m = len(X)
    i, j = np.triu_indices(m, 1)
    normal = (X[j] - X[i]) @ np.array([[0.0, 1.0], [-1.0, 0.0]])
    side = np.einsum("pd,pmd->pm", normal, X[None, :, :] - X[i][:, None, :])
    masks = []
    for a in (False, True):
        for b in (False, True):
            mask = side > 0
            mask[np.arange(len(i)), i] = a
            mask[np.arange(len(i)), j] = b
            masks.append(mask)
    A = np.concatenate(masks).astype(np.float64)
    nA = A.sum(1)
    ok = (nA > 0) & (nA < m)
    A, nA = A[ok], nA[ok]
    sA, total = A @ X, X.sum(0)
    sB, nB = total - sA, m - nA
    sse = (X**2).sum() - (sA**2).sum(1) / nA - (sB**2).sum(1) / nB
    best = int(np.argmin(sse))
    return sse[best], A[best].astype(bool)


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("strategy", ["biggest_inertia", "largest_cluster"])
def test_matches_sklearn_on_separated_blobs(blobs, fitted, strategy):
    est, p = fitted[strategy]
    init = "k-means++" if strategy == "biggest_inertia" else "random"
    ref = BisectingKMeans(K, n_init=3, init=init, bisecting_strategy=strategy,
                          random_state=0).fit(blobs)
    labels = np.asarray(p.labels)
    assert adjusted_rand_score(ref.labels_, labels) == 1.0
    np.testing.assert_allclose(float(p.inertia), ref.inertia_, rtol=1e-4)
    # the same hierarchy: every node of one tree is a node of the other (scikit-learn's
    # tree is private: checked where it is there)
    if hasattr(ref, "_bisecting_tree"):
        ours = {frozenset(s) for s in _node_members(p).values()}
        assert ours == set(_sklearn_node_sets(ref))
    # matched clusters have the same centres
    for c in range(K):
        other = np.bincount(ref.labels_[labels == c]).argmax()
        np.testing.assert_allclose(np.asarray(p.centres[c]), ref.cluster_centers_[other],
                                   atol=1e-3)
    np.testing.assert_array_equal(np.sort(np.bincount(labels)), EXPECTED_SIZES[strategy])
    # each split took the best-scoring leaf of those present at the time (ties: first
    # in depth-first order)
    score = np.asarray(p.node_inertia if strategy == "biggest_inertia" else p.node_size)
    leaves = [0]
    for parent, left, right in np.asarray(p.splits):
        assert parent == leaves[int(np.argmax(score[leaves]))]
        pos = leaves.index(parent)
        leaves[pos:pos + 1] = [int(left), int(right)]
    # predict on fresh points agrees with scikit-learn's tree descent up to renaming
    Z = np.random.default_rng(1).uniform([-5.0, -5.0], [45.0, 15.0], size=(300, 2))
    assert adjusted_rand_score(ref.predict(Z), np.asarray(est.predict(p, Z))) == 1.0


def test_params_are_consistent(blobs, fitted):
    _, p = fitted["biggest_inertia"]
    X = np.asarray(blobs, np.float64)
    labels, splits = np.asarray(p.labels), np.asarray(p.splits)
    np.testing.assert_array_equal(splits[:, 1:], np.stack([2 * np.arange(K - 1) + 1,
                                                           2 * np.arange(K - 1) + 2], 1))
    members = _node_members(p)
    assert members[0] == set(range(len(X)))
    C = np.asarray(p.node_centres, np.float64)
    np.testing.assert_allclose(C[0], X.mean(0), atol=1e-4)
    for v, idx in members.items():
        idx = sorted(idx)
        assert int(p.node_size[v]) == len(idx)
        sse = np.sum((X[idx] - C[v]) ** 2)
        np.testing.assert_allclose(float(p.node_inertia[v]), sse, rtol=1e-4)
    node_label = np.asarray(p.node_label)
    leaf_of = [int(np.flatnonzero(node_label == c)[0]) for c in range(K)]
    np.testing.assert_allclose(np.asarray(p.centres), C[leaf_of], atol=1e-6)
    np.testing.assert_allclose(float(p.inertia),
                               np.sum((X - np.asarray(p.centres, np.float64)[labels]) ** 2),
                               rtol=1e-4)
    # leaves numbered depth-first, left before right (scikit-learn's numbering)
    children = _children(p)
    order = []

    def walk(v):
        if v in children:
            walk(children[v][0])
            walk(children[v][1])
        else:
            order.append(int(p.node_label[v]))

    walk(0)
    assert order == list(range(K))


def test_inertia_path_non_increasing(blobs, fitted):
    for _, p in fitted.values():
        path = np.asarray(p.inertia_path, np.float64)
        X = np.asarray(blobs, np.float64)
        np.testing.assert_allclose(path[0], np.sum((X - X.mean(0)) ** 2), rtol=1e-5)
        np.testing.assert_allclose(path[-1], float(p.inertia), rtol=1e-5)
        assert np.all(np.diff(path) <= 1e-6 * path[0]), np.diff(path)
        # path[s] is the SSE of the leaves after s splits, replayed from the tree
        inertia = np.asarray(p.node_inertia, np.float64)
        leaves = {0}
        for s, (parent, left, right) in enumerate(np.asarray(p.splits)):
            np.testing.assert_allclose(path[s], sum(inertia[v] for v in leaves), rtol=1e-5)
            leaves = (leaves - {int(parent)}) | {int(left), int(right)}
        assert path[-1] < 0.05 * path[0]


@pytest.mark.parametrize("strategy", ["biggest_inertia", "largest_cluster"])
def test_predict_descends_the_tree(blobs, fitted, strategy):
    est, p = fitted[strategy]
    np.testing.assert_array_equal(np.asarray(est.predict(p, blobs)), np.asarray(p.labels))
    Z = np.random.default_rng(2).uniform([-5.0, -5.0], [45.0, 15.0], size=(400, 2))
    pred = np.asarray(est.predict(p, Z))
    np.testing.assert_array_equal(pred, _numpy_descend(p, Z))
    nearest = np.argmin(((Z[:, None, :] - np.asarray(p.centres)[None]) ** 2).sum(-1), 1)
    assert np.any(pred != nearest)  # the check does tell a tree descent apart


def test_each_split_is_the_exact_best_two_means():
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal([0, 0], 1.0, (20, 2)), rng.normal([3, 1], 1.2, (20, 2)),
                        rng.normal([1, 4], 0.8, (16, 2))])
    p = bisecting_kmeans(4, n_init=30).fit(jax.random.key(1), X)
    members = _node_members(p)
    inertia = np.asarray(p.node_inertia, np.float64)
    for parent, left, right in np.asarray(p.splits):
        idx = np.array(sorted(members[int(parent)]))
        best_sse, best_side = _exact_two_means(X[idx])
        np.testing.assert_allclose(inertia[left] + inertia[right], best_sse, rtol=1e-4)
        ours = np.isin(idx, sorted(members[int(left)]))
        assert np.array_equal(ours, best_side) or np.array_equal(ours, ~best_side)
        # a Lloyd fixed point: the children's centres are the means of their halves
        for child, side in ((left, ours), (right, ~ours)):
            np.testing.assert_allclose(np.asarray(p.node_centres[child]),
                                       X[idx[side]].mean(0), atol=1e-4)


def test_jit_and_vmap_over_keys(blobs, fitted):
    est, _ = fitted["biggest_inertia"]
    keys = jax.random.split(jax.random.key(5), 3)
    batched = jax.jit(jax.vmap(est.fit, in_axes=(0, None)))(keys, jnp.asarray(blobs))
    assert batched.labels.shape == (3, len(blobs))
    assert batched.splits.shape == (3, K - 1, 3)
    for r in range(3):
        single = est.fit(keys[r], blobs)
        np.testing.assert_array_equal(np.asarray(batched.labels[r]), np.asarray(single.labels))
        np.testing.assert_array_equal(np.asarray(batched.splits[r]), np.asarray(single.splits))
        np.testing.assert_allclose(float(batched.inertia[r]), float(single.inertia), rtol=1e-5)


def test_bad_input(blobs, fitted):
    with pytest.raises(ValueError, match="k must be >= 2"):
        bisecting_kmeans(1)
    with pytest.raises(TypeError, match="k must be an int"):
        bisecting_kmeans(2.0)
    with pytest.raises(ValueError, match="k must be <= n_samples"):
        bisecting_kmeans(6).fit(jax.random.key(0), blobs[:5])
    with pytest.raises(ValueError, match="bisecting_strategy must be one of"):
        bisecting_kmeans(3, bisecting_strategy="biggest")
    with pytest.raises(ValueError, match="init must be one of"):
        bisecting_kmeans(3, init="kmeans++")
    with pytest.raises(TypeError, match="init must be one of"):
        bisecting_kmeans(3, init=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_init must be >= 1"):
        bisecting_kmeans(3, n_init=0)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        bisecting_kmeans(3, max_iter=0)
    with pytest.raises(ValueError, match="tol"):
        bisecting_kmeans(3, tol=-1.0)
    bad = np.array(blobs[:20])
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        bisecting_kmeans(3).fit(jax.random.key(0), bad)
    with pytest.raises(ValueError, match="X must have rank 2"):
        bisecting_kmeans(3).fit(jax.random.key(0), blobs[:, 0])
    est, p = fitted["biggest_inertia"]
    with pytest.raises(ValueError, match="features"):
        est.predict(p, np.zeros((3, 3)))
