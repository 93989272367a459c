"""UMAP against umap-learn (smooth_knn_dist, fuzzy_simplicial_set, find_ab_params,
trustworthiness), autodiff of the closed-form edge loss, and bad input.

umap-learn's numba compilation of ``smooth_knn_dist`` and ``compute_membership_strengths``
(parallel) costs ~20 s, more than this file's budget, so the oracle runs their pure-Python
bodies (numba's ``py_func``: the same source, interpreted). umap-learn's layout stays
compiled, and both it and ours get the same exact kNN graph (``precomputed_knn``), so the
end-to-end comparison is of the graph-to-embedding pipeline.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import umap as umap_learn
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness
from sklearn.neighbors import KNeighborsClassifier
from umap import umap_ as umap_impl

from jaxml.unsupervised import umap as U


@pytest.fixture(scope="module")
def interpreted_umap():
    """umap-learn with its two graph kernels interpreted instead of numba-compiled."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(umap_impl, "smooth_knn_dist", umap_impl.smooth_knn_dist.py_func)
        mp.setattr(umap_impl, "compute_membership_strengths",
                   umap_impl.compute_membership_strengths.py_func)
        yield umap_impl


def _digits(n=None, offset=0):
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    return (X, y) if n is None else (X[offset:offset + n], y[offset:offset + n])


def _knn(X, k=15):
    idx, dist = U._knn_with_self(jnp.asarray(X), k)
    return np.array(idx, np.int64), np.array(dist, np.float32)


def _umap_learn_fit(X, knn, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return umap_learn.UMAP(random_state=0, precomputed_knn=(*knn, None), **kw).fit(X)


@pytest.fixture(scope="module")
def runs(interpreted_umap):
    X, y = _digits(500)
    knn = _knn(X)
    theirs = _umap_learn_fit(X, knn, n_epochs=200)
    est = U.umap(n_epochs=200)
    ours = est.fit(jax.random.key(0), X)
    return X, y, knn, est, ours, theirs


def test_smooth_knn_dist_matches_umap_learn(runs, interpreted_umap):
    _, _, (_, dist), *_ = runs
    dist = dist[:120]  # the interpreted oracle costs ~5 ms a row
    with jax.enable_x64(True):
        for lc in (1.0, 1.5):
            s_ref, r_ref = interpreted_umap.smooth_knn_dist(dist, 15.0, local_connectivity=lc)
            s, r = U.smooth_knn_dist(dist.astype(np.float64), 15.0, local_connectivity=lc)
            assert s.dtype == jnp.float64 and s.shape == (120,)
            np.testing.assert_allclose(np.asarray(r), r_ref, rtol=1e-6)
            np.testing.assert_allclose(np.asarray(s), s_ref, rtol=1e-4)
        # the MIN_K_DIST_SCALE guard: a row of near-duplicates gets sigma = 1e-3 * its mean
        D = np.array([[0.0, 1.0, 1.0, 1.0, 1.0, 1.0 + 1e-9], [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]])
        s_ref, r_ref = interpreted_umap.smooth_knn_dist(D, 6.0)
        s, r = U.smooth_knn_dist(D, 6.0)
        np.testing.assert_allclose(np.asarray(s), s_ref, rtol=1e-4)
        np.testing.assert_allclose(np.asarray(s)[0], 1e-3 * D[0].mean(), rtol=1e-4)


def test_fuzzy_graph_matches_umap_learn(runs, interpreted_umap):
    X, _, (idx, dist), _, ours, _ = runs
    n = X.shape[0]
    ref, _, _ = interpreted_umap.fuzzy_simplicial_set(
        X, 15, np.random.RandomState(0), "euclidean", knn_indices=idx, knn_dists=dist)
    G = ours.graph  # the graph fit built (same kNN as the oracle's)
    np.testing.assert_array_equal(np.asarray(G.knn_indices), idx)
    rows, cols, w = (np.asarray(G.rows), np.asarray(G.cols), np.asarray(G.weights))
    W = np.zeros((n, n))
    np.add.at(W, (rows, cols), w)
    np.testing.assert_allclose(W, ref.toarray(), rtol=1e-4, atol=1e-6)
    assert np.allclose(W, W.T) and np.all(np.diag(W) == 0) and W.max() <= 1.0
    pairs = (rows * n + cols)[w > 0]  # each (row, col) pair appears once
    assert np.unique(pairs).size == pairs.size


def test_ab_params_match_umap_learn():
    cases = [(1.0, 0.1), (1.0, 0.0), (1.0, 0.5), (2.0, 0.25)]
    ref = np.array([umap_impl.find_ab_params(*c) for c in cases])
    with jax.enable_x64(True):  # traceable: one compiled fit for all four
        a, b = jax.jit(jax.vmap(U.find_ab_params))(jnp.array([c[0] for c in cases]),
                                                   jnp.array([c[1] for c in cases]))
    np.testing.assert_allclose(np.asarray(a), ref[:, 0], rtol=1e-5)
    np.testing.assert_allclose(np.asarray(b), ref[:, 1], rtol=1e-5)


def test_edge_gradients_match_autodiff():
    with jax.enable_x64(True):
        key = jax.random.key(3)
        yi, yj = jax.random.normal(key, (2, 2), jnp.float64)
        a, b = 1.58, 0.9
        grad = jax.jit(jax.grad(U.edge_cross_entropy, argnums=0))
        # w = 1: pure attraction; the update is the negative gradient
        np.testing.assert_allclose(U.attractive_update(yi, yj, a, b), -grad(yi, yj, 1.0, a, b),
                                   rtol=1e-10)
        # w = 0: pure repulsion; umap-learn's update has 1e-3 added to s
        s = float(jnp.sum((yi - yj) ** 2))
        rep = U.repulsive_update(yi, yj, a, b) * (1e-3 + s) / s
        np.testing.assert_allclose(rep, -grad(yi, yj, 0.0, a, b), rtol=1e-10)
        # general weight: the convex combination
        w = 0.3
        np.testing.assert_allclose(-grad(yi, yj, w, a, b),
                                   w * U.attractive_update(yi, yj, a, b) + (1 - w) * rep,
                                   rtol=1e-10)


def test_trustworthiness_close_to_umap_learn(runs):
    X, _, _, _, ours, theirs = runs
    E = np.asarray(ours.embedding)
    assert E.shape == (500, 2) and E.dtype == np.float32 and np.isfinite(E).all()
    t_ours = trustworthiness(X, E, n_neighbors=10)
    t_ref = trustworthiness(X, theirs.embedding_, n_neighbors=10)
    assert abs(t_ours - t_ref) < 0.015, (t_ours, t_ref)
    assert float(ours.a) == pytest.approx(theirs._a, rel=2e-3)


def test_transform_deterministic_under_key(runs):
    _, _, _, est, ours, _ = runs
    X_new, _ = _digits(150, offset=1000)  # the shapes of the next test: one compile
    Z1 = est.transform(jax.random.key(1), ours, X_new)
    Z2 = est.transform(jax.random.key(1), ours, X_new)
    np.testing.assert_array_equal(np.asarray(Z1), np.asarray(Z2))


def test_transform_places_new_points_near_their_class(runs):
    _, y, _, est, ours, _ = runs
    X_new, y_new = _digits(150, offset=1000)
    Z = np.asarray(est.transform(jax.random.key(1), ours, X_new))
    assert Z.shape == (150, 2) and np.isfinite(Z).all()
    clf = KNeighborsClassifier(10).fit(np.asarray(ours.embedding), y)
    assert clf.score(Z, y_new) > 0.85


def test_bad_input():
    X, _ = _digits(30)
    est = U.umap(n_epochs=5)
    key = jax.random.key(0)
    X_nan = X.copy()
    X_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        est.fit(key, X_nan)
    with pytest.raises(ValueError, match="n_neighbors"):
        U.umap(n_neighbors=30).fit(key, X)
    with pytest.raises(ValueError, match="n_neighbors"):
        U.umap(n_neighbors=1)
    with pytest.raises(ValueError, match="min_dist"):
        U.umap(min_dist=2.0, spread=1.0)
    with pytest.raises(ValueError, match="min_dist"):
        U.find_ab_params(1.0, 1.5)
    with pytest.raises(ValueError, match="init"):
        U.umap(init="pca")
    with pytest.raises(ValueError, match="set_op_mix_ratio"):
        U.umap(set_op_mix_ratio=1.5)
    with pytest.raises(ValueError, match="X must have rank 2"):
        est.fit(key, X[0])


def test_transform_feature_mismatch(runs):
    _, _, _, est, ours, _ = runs
    with pytest.raises(ValueError, match="features"):
        est.transform(jax.random.key(0), ours, np.zeros((3, 5), np.float32))


# ----------------------------------------------------------------------------- slow


def _compare(X, name):
    knn = _knn(X)
    t = time.perf_counter()
    theirs = _umap_learn_fit(X, knn)
    t_ref = time.perf_counter() - t
    t = time.perf_counter()
    ours = U.umap().fit(jax.random.key(0), X)
    ours.embedding.block_until_ready()
    t_ours = time.perf_counter() - t
    tw_ours = trustworthiness(X, np.asarray(ours.embedding), n_neighbors=10)
    tw_ref = trustworthiness(X, theirs.embedding_, n_neighbors=10)
    print(f"\n{name} n={X.shape[0]}: trustworthiness ours {tw_ours:.4f} ({t_ours:.1f} s incl. "
          f"compile), umap-learn {tw_ref:.4f} ({t_ref:.1f} s)")
    assert abs(tw_ours - tw_ref) < 0.02, (tw_ours, tw_ref)


@pytest.mark.slow
def test_full_digits_trustworthiness(interpreted_umap):
    _compare(_digits()[0], "digits")


@pytest.mark.slow
def test_mnist1d_trustworthiness(interpreted_umap):
    from jaxml.data.mnist1d import load_mnist1d

    _compare(load_mnist1d().x_train, "MNIST-1D")
