"""kNN (brute force, KD-tree, ball tree) vs scikit-learn; LSH recall vs exact search."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors

from jaxml.classical import neighbors as nn


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    y = ((X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(np.int32) + (X[:, 1] > 1)).astype(np.int32)
    Q = rng.normal(size=(40, 3))
    return X, y, Q


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_classifier_matches_sklearn(data, weights):
    X, y, Q = data
    est = nn.knn_classifier(5, weights=weights, batch_size=16)  # 16-row blocks via lax.map
    with jax.enable_x64(True):
        p = est.fit(X, y)
        proba = np.asarray(est.predict_proba(p, np.vstack([Q, X[:10]])))  # X rows: distance 0
        pred = np.asarray(est.predict(p, Q))
    ref = KNeighborsClassifier(5, weights=weights).fit(X, y)
    np.testing.assert_allclose(proba, ref.predict_proba(np.vstack([Q, X[:10]])), atol=1e-12)
    np.testing.assert_array_equal(pred, ref.predict(Q))


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_regressor_matches_sklearn_float32(data, weights):
    X, _, Q = data
    t = np.sin(X[:, 0]) + X[:, 2]
    est = nn.knn_regressor(4, weights=weights)
    p = est.fit(X, t)
    pred = est.predict(p, Q)
    assert pred.dtype == jnp.float32
    chex.assert_shape(pred, (40,))
    ref = KNeighborsRegressor(4, weights=weights).fit(X, t)
    np.testing.assert_allclose(pred, ref.predict(Q), rtol=1e-5, atol=1e-5)
    chex.assert_trees_all_close(jax.jit(est.predict)(p, Q), pred, atol=1e-6)


def test_vote_ties_go_to_smallest_class():
    X = np.array([[0.0], [1.0], [-1.0], [2.0]])
    y = np.array([2, 1, 0, 0], np.int32)
    est = nn.knn_classifier(2)
    p = est.fit(X, y)
    # neighbours of 0.4 are x=0 (class 2) and x=1 (class 1): tie -> class 1
    assert int(est.predict(p, np.array([[0.4]]))[0]) == 1
    assert int(KNeighborsClassifier(2).fit(X, y).predict([[0.4]])[0]) == 1


@pytest.mark.parametrize("build", [nn.kd_tree, nn.ball_tree])
def test_trees_match_exact_search(data, build):
    X, _, Q = data
    tree = build(X, leaf_size=8)
    dist, idx = nn.tree_query(tree, Q, 6)
    ref_d, ref_i = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(Q)
    np.testing.assert_allclose(dist, ref_d, atol=1e-12)
    np.testing.assert_array_equal(idx, ref_i)
    leaves = tree.left < 0
    assert np.all(tree.end[leaves] - tree.start[leaves] <= 8)
    np.testing.assert_array_equal(np.sort(tree.index), np.arange(len(X)))
    # every point lies inside its leaf's box / ball
    for node in np.flatnonzero(leaves):
        pts = X[tree.index[tree.start[node] : tree.end[node]]]
        assert np.all(pts >= tree.lower[node] - 1e-12) and np.all(pts <= tree.upper[node] + 1e-12)
        assert np.all(np.linalg.norm(pts - tree.centroid[node], axis=1) <= tree.radius[node] + 1e-12)


def test_brute_kneighbors_matches_sklearn(data):
    X, _, Q = data
    with jax.enable_x64(True):
        dist, idx = nn.kneighbors(X, Q, 7, batch_size=32)
        dist, idx = np.asarray(dist), np.asarray(idx)
    ref_d, ref_i = NearestNeighbors(n_neighbors=7).fit(X).kneighbors(Q)
    np.testing.assert_allclose(dist, ref_d, atol=1e-10)
    np.testing.assert_array_equal(idx, ref_i)


def test_lsh_recall_vs_exact():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, 8)).astype(np.float32)
    Q = rng.normal(size=(100, 8)).astype(np.float32)
    _, exact = nn.kneighbors(X, Q, 10)
    key = jax.random.PRNGKey(0)
    recalls = []
    for n_tables in (1, 16):
        index = nn.lsh_index(key, X, n_tables=n_tables, n_projections=3)
        _, approx = nn.lsh_query(index, Q, 10, max_candidates=64, batch_size=32)
        recalls.append(float(nn.recall_at_k(exact, approx)))
    assert 0.0 < recalls[0] < recalls[1]
    assert recalls[1] > 0.6
    # one huge bucket holding every point: LSH degenerates to exact search
    index = nn.lsh_index(key, X, n_tables=1, n_projections=1, width=1e6)
    dist, approx = nn.lsh_query(index, Q, 10, max_candidates=2000)
    assert float(nn.recall_at_k(exact, approx)) == 1.0
    # determinism under a fixed key
    chex.assert_trees_all_equal(nn.lsh_index(key, X, n_tables=2), nn.lsh_index(key, X, n_tables=2))


def test_lsh_reports_missing_candidates():
    X = np.array([[0.0, 0.0], [100.0, 100.0]], np.float32)
    index = nn.lsh_index(jax.random.PRNGKey(1), X, n_tables=1, n_projections=2, width=1.0)
    dist, idx = nn.lsh_query(index, X[:1], 2)
    assert int(idx[0, 0]) == 0 and float(dist[0, 0]) == 0.0
    assert int(idx[0, 1]) == -1 and np.isinf(float(dist[0, 1]))


def test_recall_at_k_oracle():
    exact = np.array([[0, 1, 2], [3, 4, 5]])
    approx = np.array([[2, 0, -1], [5, 9, 8]])
    assert float(nn.recall_at_k(exact, approx)) == pytest.approx(0.5)


def test_neighbors_bad_input(data):
    X, y, Q = data
    with pytest.raises(ValueError, match="k=500"):
        nn.knn_classifier(500).fit(X, y)
    with pytest.raises(ValueError, match="weights"):
        nn.knn_regressor(3, weights="gaussian")
    with pytest.raises(TypeError, match="k must be an int"):
        nn.knn_classifier(2.5)
    est = nn.knn_classifier(3)
    with pytest.raises(ValueError, match="features"):
        est.predict(est.fit(X, y), Q[:, :2])
    with pytest.raises(ValueError, match="finite"):
        nn.kd_tree(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="Q must have shape"):
        nn.tree_query(nn.ball_tree(X), Q[:, :2], 3)
    with pytest.raises(ValueError, match="width"):
        nn.lsh_index(jax.random.PRNGKey(0), X, width=-1.0)
    with pytest.raises(ValueError, match="approx_indices"):
        nn.recall_at_k(np.zeros((2, 3)), np.zeros((2, 4)))
