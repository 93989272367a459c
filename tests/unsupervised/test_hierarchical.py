"""Agglomerative clustering against scipy.cluster.hierarchy and scikit-learn."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.cluster import hierarchy as sch
from sklearn.cluster import AgglomerativeClustering
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from jaxml.unsupervised import hierarchical as h


def _gaussian():
    return np.random.default_rng(0).normal(size=(40, 3))


def _blobs():
    return make_blobs(60, centers=3, cluster_std=1.0, random_state=4)[0]


DATA = {"gaussian": _gaussian, "blobs": _blobs}


@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("method", h.LINKAGES)
def test_linkage_matrix_equals_scipy(method, data):
    X = DATA[data]()
    ref = sch.linkage(X, method)
    with jax.enable_x64(True):
        Z = np.asarray(h.linkage(X, method))
    # Same merge order, ids (smaller id first, as SciPy) and sizes; same heights.
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], ref[:, [0, 1, 3]])
    np.testing.assert_allclose(Z[:, 2], ref[:, 2], rtol=1e-12)
    Z32 = np.asarray(h.linkage(X, method))
    assert Z32.dtype == np.float32
    np.testing.assert_array_equal(Z32[:, [0, 1, 3]], ref[:, [0, 1, 3]])
    np.testing.assert_allclose(Z32[:, 2], ref[:, 2], rtol=1e-4, atol=5e-5)  # float32


def test_ward_height_is_the_centroid_distance_formula():
    X = _gaussian()
    Z = np.asarray(h.linkage(X, "ward"), np.float64)
    members = {i: [i] for i in range(len(X))}
    for s, (a, b, height, size) in enumerate(Z):
        A, B = members.pop(int(a)), members.pop(int(b))
        gap = np.linalg.norm(X[A].mean(0) - X[B].mean(0))
        assert height == pytest.approx(np.sqrt(2 * len(A) * len(B) / (len(A) + len(B))) * gap,
                                       rel=1e-4)
        members[len(X) + s] = A + B
        assert size == len(A) + len(B)


@pytest.mark.parametrize("method", h.LINKAGES)
def test_scipy_accepts_our_linkage_for_dendrogram_and_fcluster(method):
    X = _blobs()
    Z = np.asarray(h.linkage(X, method), np.float64)
    assert sch.is_valid_linkage(Z, throw=True)
    tree = sch.dendrogram(Z, no_plot=True)
    ref = sch.dendrogram(sch.linkage(X, method), no_plot=True)
    assert tree["leaves"] == ref["leaves"]
    for k in (1, 2, 3, 5, 12):
        ours = np.asarray(h.cut_tree(Z, k))
        np.testing.assert_array_equal(ours, sch.cut_tree(sch.linkage(X, method), k).ravel())
        fc = sch.fcluster(Z, k, criterion="maxclust")
        assert adjusted_rand_score(fc, ours) == 1.0 and len(np.unique(ours)) == k


@pytest.mark.parametrize("method", h.LINKAGES)
def test_agglomerative_partition_equals_sklearn(method):
    X = _blobs()
    est = h.agglomerative(3, linkage=method)
    params = est.fit(X)
    ref = AgglomerativeClustering(3, linkage=method).fit(X)
    assert adjusted_rand_score(ref.labels_, np.asarray(params.labels)) == 1.0
    # predict: the label of the nearest training point (brute force).
    Q = np.random.default_rng(1).normal(size=(20, 2)) * 5
    nearest = np.linalg.norm(Q[:, None] - X[None], axis=-1).argmin(1)
    np.testing.assert_array_equal(np.asarray(est.predict(params, Q)),
                                  np.asarray(params.labels)[nearest])


def test_jit_equals_eager():
    X = jnp.asarray(_gaussian(), jnp.float32)
    for method in ("average", "ward"):
        eager = h.linkage(X, method)
        jitted = jax.jit(h.linkage, static_argnames="method")(X, method=method)
        np.testing.assert_array_equal(jitted[:, [0, 1, 3]], eager[:, [0, 1, 3]])
        np.testing.assert_allclose(jitted[:, 2], eager[:, 2], rtol=1e-6)
    labels = jax.jit(h.cut_tree, static_argnums=1)(eager, 4)
    np.testing.assert_array_equal(labels, h.cut_tree(eager, 4))


def test_bad_input_raises_naming_the_argument():
    X = _gaussian()
    with pytest.raises(ValueError, match="method must be one of"):
        h.linkage(X, "centroid")
    with pytest.raises(ValueError, match="linkage must be one of"):
        h.agglomerative(2, linkage="median")
    bad = X.copy()
    bad[2, 0] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        h.linkage(bad)
    with pytest.raises(ValueError, match="X must be finite"):
        h.agglomerative(2).fit(bad)
    with pytest.raises(ValueError, match="at least 2 samples"):
        h.linkage(X[:1])
    with pytest.raises(ValueError, match="n_clusters"):
        h.agglomerative(0)
    with pytest.raises(ValueError, match="n_clusters=50"):
        h.agglomerative(50).fit(X)
    Z = h.linkage(X)
    with pytest.raises(ValueError, match="n_clusters must be <="):
        h.cut_tree(Z, 41)
    with pytest.raises(ValueError, match="Z must have shape"):
        h.cut_tree(np.zeros((5, 3)), 2)
