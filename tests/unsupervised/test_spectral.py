"""Spectral methods (U.cl.5): affinities, Laplacians, Laplacian eigenmaps and spectral
clustering vs scikit-learn / SciPy, Laplacian properties, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from scipy.sparse.csgraph import laplacian as scipy_laplacian
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import make_blobs, make_moons
from sklearn.manifold import SpectralEmbedding
from sklearn.manifold import spectral_embedding as sk_spectral_embedding
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf
from sklearn.neighbors import kneighbors_graph

from jaxml.unsupervised import spectral as sp


@pytest.fixture(scope="module")
def moons():
    return make_moons(120, noise=0.05, random_state=0)


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(90, n_features=2, centers=3, cluster_std=0.5, random_state=1)


def _sk_knn(X, k):
    A = kneighbors_graph(X, k, include_self=True).toarray()
    return 0.5 * (A + A.T)


def _align_signs(E, ref):
    return E * np.sign(np.sum(E * ref, axis=0))[None, :]


# ----------------------------------------------------------------------------- affinities


def test_affinities_match_sklearn(moons):
    X, _ = moons
    with jax.enable_x64(True):
        W = np.asarray(sp.knn_affinity(X, 10))
        np.testing.assert_array_equal(W, _sk_knn(X, 10))
        np.testing.assert_allclose(np.asarray(sp.rbf_affinity(X, gamma=2.0)),
                                   sk_rbf(X, gamma=2.0), atol=1e-14)
        same = sp.affinity_matrix(X, affinity="nearest_neighbors", n_neighbors=10)
        np.testing.assert_array_equal(np.asarray(same), W)
        np.testing.assert_array_equal(
            np.asarray(sp.affinity_matrix(W, affinity="precomputed")), W)
    assert sp.knn_affinity(X, 10).dtype == jnp.float32  # default precision


# ----------------------------------------------------------------------------- Laplacians


def test_laplacians_match_scipy_and_definitions(blobs):
    X, _ = blobs
    with jax.enable_x64(True):
        W = np.asarray(sp.rbf_affinity(X, gamma=0.5))
        np.testing.assert_allclose(np.asarray(sp.graph_laplacian(W, "unnormalized")),
                                   scipy_laplacian(W, normed=False), atol=1e-12)
        np.testing.assert_allclose(np.asarray(sp.graph_laplacian(W, "symmetric")),
                                   scipy_laplacian(W, normed=True), atol=1e-12)
        W0 = W - np.diag(np.diag(W))
        d = W0.sum(1)
        np.testing.assert_allclose(np.asarray(sp.graph_laplacian(W, "random_walk")),
                                   np.eye(len(W)) - W0 / d[:, None], atol=1e-12)


def test_laplacian_properties_and_components():
    # three far-apart blobs with a kNN graph: three connected components
    X, _ = make_blobs(60, n_features=2, centers=[[0, 0], [50, 0], [0, 50]], cluster_std=1.0,
                      random_state=0)
    with jax.enable_x64(True):
        W = np.asarray(sp.knn_affinity(X, 5))
        n_comp, _ = connected_components(W > 0, directed=False)
        assert n_comp == 3
        L = np.asarray(sp.graph_laplacian(W, "unnormalized"))
        np.testing.assert_allclose(L @ np.ones(len(W)), 0.0, atol=1e-12)
        for kind in ("unnormalized", "symmetric", "random_walk"):
            ev = np.linalg.eigvals(np.asarray(sp.graph_laplacian(W, kind)))
            assert np.abs(ev.imag).max() < 1e-10
            ev = np.sort(ev.real)
            assert ev[0] > -1e-10
            if kind != "unnormalized":
                assert ev[-1] < 2.0 + 1e-10
            assert np.sum(np.abs(ev) < 1e-9) == n_comp, ev[:5]
        # an isolated node is a component of its own, with eigenvalue 0
        Wi = W.copy()
        Wi[0, :] = 0.0
        Wi[:, 0] = 0.0
        n_i, _ = connected_components(Wi > 0, directed=False)
        ev = np.linalg.eigvalsh(np.asarray(sp.graph_laplacian(Wi, "symmetric")))
        assert np.sum(np.abs(ev) < 1e-9) == n_i == n_comp + 1


# ----------------------------------------------------------------------------- embedding


@pytest.mark.parametrize("norm_laplacian", [True, False])
def test_spectral_embedding_matches_sklearn(moons, norm_laplacian):
    X, _ = moons
    with jax.enable_x64(True):
        W = np.asarray(sp.rbf_affinity(X, gamma=2.0))
        for drop_first in (True, False):
            ref = sk_spectral_embedding(W, n_components=3, norm_laplacian=norm_laplacian,
                                        drop_first=drop_first, random_state=0)
            E, ev = sp.spectral_embedding(W, 3, norm_laplacian=norm_laplacian,
                                          drop_first=drop_first, return_eigenvalues=True)
            E = np.asarray(E)
            assert E.shape == (len(X), 3)
            np.testing.assert_allclose(_align_signs(E, ref), ref, atol=1e-9)
            # same deterministic sign convention as scikit-learn
            np.testing.assert_allclose(E, ref, atol=1e-9)
            # the columns are eigenvectors of L_rw (or L) with the returned eigenvalues
            kind = "random_walk" if norm_laplacian else "unnormalized"
            L = np.asarray(sp.graph_laplacian(W, kind))
            np.testing.assert_allclose(L @ E, E * np.asarray(ev)[None, :], atol=1e-9)
        # jit / no-jit agreement
        embed = jax.jit(sp.spectral_embedding, static_argnums=(1,),
                        static_argnames=("norm_laplacian", "drop_first"))
        np.testing.assert_allclose(np.asarray(embed(W, 3, norm_laplacian=norm_laplacian)),
                                   np.asarray(sp.spectral_embedding(
                                       W, 3, norm_laplacian=norm_laplacian)), atol=1e-12)


@pytest.mark.parametrize("affinity", ["nearest_neighbors", "rbf"])
def test_laplacian_eigenmaps_matches_SpectralEmbedding(moons, affinity):
    X, _ = moons
    with jax.enable_x64(True):
        ref = SpectralEmbedding(2, affinity=affinity, random_state=0).fit_transform(X)
        E = np.asarray(sp.laplacian_eigenmaps(X, 2, affinity=affinity))
    np.testing.assert_allclose(_align_signs(E, ref), ref, atol=1e-9)


# ----------------------------------------------------------------------------- clustering


@pytest.mark.filterwarnings("ignore:Graph is not fully connected")
def test_spectral_clustering_recovers_moons_and_blobs(moons):
    # one estimator and one data shape for both sets: one compilation
    est = sp.spectral_clustering(2, affinity="nearest_neighbors", n_neighbors=10)
    Xb, yb = make_blobs(len(moons[0]), n_features=2, centers=2, cluster_std=0.5,
                        random_state=1)
    for X, y in (moons, (Xb, yb)):
        with jax.enable_x64(True):
            p = est.fit(jax.random.key(0), X)
            again = est.fit(jax.random.key(0), X)
            predicted = np.asarray(est.predict(p, X))
        ref = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=10,
                                 random_state=0).fit(X)
        assert adjusted_rand_score(y, np.asarray(p.labels)) == 1.0
        assert adjusted_rand_score(ref.labels_, np.asarray(p.labels)) == 1.0
        np.testing.assert_array_equal(np.asarray(again.labels), np.asarray(p.labels))
        assert p.labels.dtype == jnp.int32 and p.embedding.shape == (len(X), 2)
        np.testing.assert_array_equal(predicted, np.asarray(p.labels))


@pytest.mark.slow
def test_spectral_clustering_jit_and_larger_moons():
    X, y = make_moons(1000, noise=0.06, random_state=2)
    est = sp.spectral_clustering(2, affinity="nearest_neighbors", n_neighbors=10)
    p = est.fit(jax.random.key(0), X)
    p_jit = jax.jit(est.fit)(jax.random.key(0), X)
    np.testing.assert_array_equal(np.asarray(p_jit.labels), np.asarray(p.labels))
    np.testing.assert_allclose(np.asarray(p_jit.embedding), np.asarray(p.embedding),
                               atol=1e-4)
    ref = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=10,
                             random_state=0).fit(X)
    assert adjusted_rand_score(y, np.asarray(p.labels)) == 1.0
    assert adjusted_rand_score(ref.labels_, np.asarray(p.labels)) == 1.0


def test_spectral_clustering_same_embedding_and_init_same_labels():
    # overlapping blobs, so the k-means step has real work to do
    X, _ = make_blobs(150, n_features=2, centers=4, cluster_std=1.5, random_state=3)
    with jax.enable_x64(True):
        W = np.asarray(sp.rbf_affinity(X, gamma=0.5))
        maps = sk_spectral_embedding(W, n_components=4, drop_first=False, random_state=0)
        init = maps[[0, 40, 80, 120]]
        ref = KMeans(4, init=init, n_init=1, algorithm="lloyd").fit(maps)
        est = sp.spectral_clustering(4, affinity="rbf", gamma=0.5, n_init=1,
                                     kmeans_init=init)
        p = est.fit(jax.random.key(0), X)
    np.testing.assert_allclose(np.asarray(p.embedding), maps, atol=1e-9)
    np.testing.assert_array_equal(np.asarray(p.labels), ref.labels_)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_names_the_argument(moons):
    X, _ = moons
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    est = sp.spectral_clustering(2, affinity="nearest_neighbors")
    with pytest.raises(ValueError, match="X must be finite"):
        est.fit(jax.random.key(0), X_nan)
    with pytest.raises(ValueError, match="X must be finite"):
        sp.knn_affinity(X_nan, 5)
    with pytest.raises(ValueError, match="n_clusters"):
        sp.spectral_clustering(8, affinity="rbf").fit(jax.random.key(0), X[:5])
    with pytest.raises(ValueError, match="affinity"):
        sp.spectral_clustering(2, affinity="cosine")
    with pytest.raises(ValueError, match="affinity"):
        sp.laplacian_eigenmaps(X, affinity="cosine")
    with pytest.raises(ValueError, match="kind"):
        sp.graph_laplacian(np.eye(3), "normalised")
    with pytest.raises(ValueError, match="assign_labels"):
        sp.spectral_clustering(2, assign_labels="discretize")
    with pytest.raises(ValueError, match="n_neighbors"):
        sp.knn_affinity(X[:5], 6)
    with pytest.raises(ValueError, match="adjacency must be square"):
        sp.spectral_embedding(np.ones((4, 3)), 2)
    with pytest.raises(ValueError, match="n_components"):
        sp.spectral_embedding(np.ones((4, 4)), 4)
    with pytest.raises(ValueError, match="gamma"):
        sp.spectral_clustering(2, gamma=-1.0)
    with pytest.raises(ValueError, match="X must have at least 2 samples"):
        sp.laplacian_eigenmaps(X[:1])
