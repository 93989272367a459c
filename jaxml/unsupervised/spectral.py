r"""Spectral methods on a similarity graph: affinities, graph Laplacians, Laplacian
eigenmaps and spectral clustering.

**Affinities.** A symmetric non-negative :math:`W \in \mathbb R^{n \times n}` with
:math:`W_{ij}` large when :math:`x_i` and :math:`x_j` are similar:

* RBF: :math:`W_{ij} = \exp(-\gamma \lVert x_i - x_j \rVert^2)`
  (:func:`jaxml.classical.kernels.rbf_kernel`);
* k-nearest-neighbour connectivity: :math:`A_{ij} = 1` when :math:`x_j` is one of the
  ``n_neighbors`` nearest points of :math:`x_i` (the point itself counted first), else 0,
  made symmetric as :math:`W = \tfrac12 (A + A^\top)` — so :math:`W_{ij} = 1` for a mutual
  neighbour pair and :math:`\tfrac12` for a one-sided one, scikit-learn's
  ``affinity="nearest_neighbors"``.

**Graph Laplacians.** The diagonal of :math:`W` (self-loops) is ignored, as in
``scipy.sparse.csgraph.laplacian``: :math:`d_i = \sum_{j \ne i} W_{ij}`, :math:`D =
\operatorname{diag}(d)`, and

* unnormalised :math:`L = D - W`;
* symmetric :math:`L_{\mathrm{sym}} = I - D^{-1/2} W D^{-1/2}`;
* random walk :math:`L_{\mathrm{rw}} = I - D^{-1} W`.

An isolated node (:math:`d_i = 0`) gets a zero row and column in every Laplacian (SciPy's
convention), so it is a connected component with eigenvalue 0 of its own. Properties
(tested): :math:`L \mathbf 1 = 0`; all three are positive semi-definite in the sense that
their eigenvalues are real and non-negative, and those of :math:`L_{\mathrm{sym}}` and
:math:`L_{\mathrm{rw}}` (similar matrices, :math:`L_{\mathrm{rw}} = D^{-1/2}
L_{\mathrm{sym}} D^{1/2}`) lie in :math:`[0, 2]`; the multiplicity of the eigenvalue 0 is
the number of connected components (von Luxburg, 2007, Props. 2–4).

**Laplacian eigenmaps** (Belkin & Niyogi, 2003) embed the graph by the eigenvectors of the
smallest eigenvalues. With ``norm_laplacian=True`` (scikit-learn's default) they are the
solutions of the generalised problem :math:`L u = \lambda D u`, i.e. the eigenvectors of
:math:`L_{\mathrm{rw}}`; they are computed from the symmetric :math:`L_{\mathrm{sym}} x =
\lambda x` by a dense ``eigh`` and recovered as :math:`u = D^{-1/2} x`. With
``norm_laplacian=False`` they are the eigenvectors of :math:`L = D - W`. Each vector's sign
is fixed so that its entry of largest magnitude is positive (scikit-learn's
``_deterministic_vector_sign_flip``, applied after the rescaling), and with
``drop_first=True`` the first vector (constant on a connected graph) is dropped, so
``n_components`` columns come from eigenvectors 2, ..., ``n_components + 1``. This is
``sklearn.manifold.spectral_embedding``; scikit-learn's iterative solvers (ARPACK,
LOBPCG) agree with this dense solve to their tolerance, up to the sign of a column when
the largest-magnitude entry is a near tie. For a disconnected graph the eigenspace of 0
is degenerate and any basis of it is a valid answer.

**Spectral clustering** (Shi & Malik, 2000; Ng, Jordan & Weiss, 2002; as scikit-learn's
``SpectralClustering`` with ``assign_labels="kmeans"``): embed with ``n_components``
(default ``n_clusters``) eigenvectors of :math:`L_{\mathrm{rw}}`, keeping the first, then
run k-means (:func:`jaxml.unsupervised.kmeans.kmeans`, ``n_init`` restarts in one
``vmap``) on the rows of the embedding. The relaxation: the indicator vectors of a
partition into :math:`k` sets minimising the normalised cut lie (approximately, exactly
for :math:`k` connected components) in the span of the first :math:`k` eigenvectors of
:math:`L_{\mathrm{rw}}`.

Everything is dense, :math:`O(n^2)` memory and :math:`O(n^3)` time for the
eigendecomposition: meant for ``n`` up to a few thousand.

References:
  Shi & Malik, "Normalized cuts and image segmentation", IEEE TPAMI 2000.
  Ng, Jordan & Weiss, "On spectral clustering: analysis and an algorithm", NIPS 2002.
  Belkin & Niyogi, "Laplacian eigenmaps for dimensionality reduction and data
  representation", Neural Computation 2003.
  von Luxburg, "A tutorial on spectral clustering", Statistics and Computing 2007.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jaxml.classical.kernels import rbf_kernel, squared_distances
from jaxml.core import (
    Clusterer,
    check_array,
    check_bool,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    pytree_dataclass,
)
from jaxml.unsupervised import kmeans as _kmeans

__all__ = [
    "AFFINITIES",
    "LAPLACIANS",
    "SpectralClusteringParams",
    "affinity_matrix",
    "graph_laplacian",
    "knn_affinity",
    "laplacian_eigenmaps",
    "rbf_affinity",
    "spectral_clustering",
    "spectral_embedding",
]

AFFINITIES = ("rbf", "nearest_neighbors", "precomputed")
"""Affinity names as scikit-learn spells them."""

LAPLACIANS = ("unnormalized", "symmetric", "random_walk")
"""``D - W``, ``I - D^{-1/2} W D^{-1/2}``, ``I - D^{-1} W``."""


# ----------------------------------------------------------------------------- checks


def _check_data(X: Any, name: str = "X") -> jax.Array:
    X = check_X(X, name)
    if X.shape[0] < 2:
        raise ValueError(f"{name} must have at least 2 samples, got {X.shape[0]}")
    return X


def _check_adjacency(W: Any, name: str = "adjacency") -> jax.Array:
    W = check_array(W, name, ndim=2, dtype_kind="f")
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"{name} must be square, got shape {W.shape}")
    if W.shape[0] < 2:
        raise ValueError(f"{name} must have at least 2 nodes, got {W.shape[0]}")
    return W


def _check_n_neighbors(n_neighbors: Any, n: int) -> int:
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    if n_neighbors > n:
        raise ValueError(
            f"n_neighbors must be <= n_samples, got n_neighbors={n_neighbors} with "
            f"n_samples={n}")
    return n_neighbors


def _check_n_components(n_components: int, n: int, drop_first: bool) -> None:
    available = n - 1 if drop_first else n
    if n_components > available:
        raise ValueError(
            f"n_components must be <= {available} (n_samples={n}"
            f"{', one eigenvector dropped' if drop_first else ''}), got {n_components}")


# ----------------------------------------------------------------------------- affinities


def rbf_affinity(X: Any, *, gamma: Any = 1.0) -> jax.Array:
    """RBF affinity ``exp(-gamma ||x_i - x_j||^2)`` of the rows of ``X``; ``gamma=None``
    means ``1 / n_features`` (scikit-learn's ``SpectralEmbedding``; its
    ``SpectralClustering`` defaults to ``gamma=1``). ``gamma`` is traced."""
    X = check_X(X)
    if gamma is None:
        gamma = 1.0 / X.shape[1]
    check_positive(gamma, "gamma")
    return _rbf_affinity(X, jnp.asarray(gamma, X.dtype))


@jax.jit
def _rbf_affinity(X, gamma):
    return rbf_kernel(X, gamma=gamma)


@functools.partial(jax.jit, static_argnums=(1,))
def _knn_affinity(X, n_neighbors: int):
    n = X.shape[0]
    d2 = squared_distances(X, X)
    d2 = jnp.where(jnp.eye(n, dtype=bool), -1.0, d2)  # each point is its own first neighbour
    _, idx = jax.lax.top_k(-d2, n_neighbors)
    A = jnp.zeros((n, n), X.dtype).at[jnp.arange(n)[:, None], idx].set(1.0)
    return 0.5 * (A + A.T)


def knn_affinity(X: Any, n_neighbors: int) -> jax.Array:
    """Symmetrised k-nearest-neighbour connectivity ``0.5 (A + A^T)``.

    ``A_ij = 1`` when ``x_j`` is among the ``n_neighbors`` nearest rows of ``x_i``, the
    point itself included (scikit-learn's ``kneighbors_graph(X, n_neighbors,
    include_self=True)``); ``n_neighbors`` is static. Distance ties are broken by the
    lower index.
    """
    X = _check_data(X)
    return _knn_affinity(X, _check_n_neighbors(n_neighbors, X.shape[0]))


def affinity_matrix(X: Any, *, affinity: str = "rbf", gamma: Any = 1.0,
                    n_neighbors: int = 10) -> jax.Array:
    """The ``(n, n)`` affinity named by ``affinity`` (one of :data:`AFFINITIES`);
    ``"precomputed"`` returns ``X`` itself, checked to be a square matrix."""
    check_option(affinity, "affinity", AFFINITIES)
    if affinity == "precomputed":
        return _check_adjacency(X, "X")
    if affinity == "rbf":
        return rbf_affinity(_check_data(X), gamma=gamma)
    return knn_affinity(X, n_neighbors)


# ----------------------------------------------------------------------------- Laplacians


def _off_diagonal(W):
    return jnp.where(jnp.eye(W.shape[0], dtype=bool), 0.0, W)


def _degrees(W):
    return jnp.sum(_off_diagonal(W), axis=1)


def _laplacian(W, kind: str):
    W0 = _off_diagonal(W)
    d = jnp.sum(W0, axis=1)
    connected = d > 0
    eye = jnp.diag(connected.astype(W.dtype))  # isolated nodes: zero row and column
    if kind == "unnormalized":
        return jnp.diag(d) - W0
    if kind == "symmetric":
        s = jnp.where(connected, 1.0 / jnp.sqrt(jnp.where(connected, d, 1.0)), 0.0)
        return eye - s[:, None] * W0 * s[None, :]
    inv = jnp.where(connected, 1.0 / jnp.where(connected, d, 1.0), 0.0)
    return eye - inv[:, None] * W0


_laplacian_jit = jax.jit(_laplacian, static_argnums=(1,))


def graph_laplacian(W: Any, kind: str = "symmetric") -> jax.Array:
    """Graph Laplacian of an affinity ``W (n, n)`` (its diagonal is ignored).

    Args:
      W: symmetric non-negative affinity matrix.
      kind: ``"unnormalized"`` (``D - W``), ``"symmetric"`` (``I - D^{-1/2} W D^{-1/2}``)
        or ``"random_walk"`` (``I - D^{-1} W``); static.
    """
    kind = check_option(kind, "kind", LAPLACIANS)
    return _laplacian_jit(_check_adjacency(W, "W"), kind)


# ----------------------------------------------------------------------------- embedding


def _sign_flip(U):
    """Make each column's entry of largest magnitude positive."""
    rows = jnp.argmax(jnp.abs(U), axis=0)
    signs = jnp.sign(U[rows, jnp.arange(U.shape[1])])
    return U * jnp.where(signs == 0, 1.0, signs)[None, :]


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _spectral_embedding(W, n_components: int, norm_laplacian: bool, drop_first: bool):
    n_vectors = n_components + 1 if drop_first else n_components
    if norm_laplacian:
        L = _laplacian(W, "symmetric")
        d = _degrees(W)
        dd = jnp.sqrt(jnp.where(d > 0, d, 1.0))  # SciPy's return_diag: 1 for isolated nodes
    else:
        L = _laplacian(W, "unnormalized")
    eigenvalues, vectors = jnp.linalg.eigh(0.5 * (L + L.T))
    U = vectors[:, :n_vectors]
    if norm_laplacian:
        U = U / dd[:, None]
    U = _sign_flip(U)
    if drop_first:
        return U[:, 1:], eigenvalues[1:n_vectors]
    return U, eigenvalues[:n_vectors]


def spectral_embedding(adjacency: Any, n_components: int = 8, *, norm_laplacian: bool = True,
                       drop_first: bool = True, return_eigenvalues: bool = False):
    """Laplacian eigenmaps of a graph (``sklearn.manifold.spectral_embedding``).

    Args:
      adjacency: symmetric non-negative affinity ``(n, n)``; its diagonal is ignored.
      n_components: embedding dimension (static).
      norm_laplacian: eigenvectors of ``L_rw`` (``L u = λ D u``, via ``L_sym`` and
        ``u = D^{-1/2} x``) if true, of ``L = D - W`` if false (static).
      drop_first: drop the first eigenvector (static); keep it for clustering.
      return_eigenvalues: also return the ``n_components`` eigenvalues used.

    Returns:
      ``(n, n_components)`` embedding (and the eigenvalues, ascending), signs fixed so
      each column's largest-magnitude entry is positive.
    """
    W = _check_adjacency(adjacency)
    n_components = check_int(n_components, "n_components", minimum=1)
    norm_laplacian = check_bool(norm_laplacian, "norm_laplacian")
    drop_first = check_bool(drop_first, "drop_first")
    _check_n_components(n_components, W.shape[0], drop_first)
    U, eigenvalues = _spectral_embedding(W, n_components, norm_laplacian, drop_first)
    return (U, eigenvalues) if return_eigenvalues else U


def laplacian_eigenmaps(X: Any, n_components: int = 2, *,
                        affinity: str = "nearest_neighbors", gamma: Any = None,
                        n_neighbors: int | None = None) -> jax.Array:
    """``sklearn.manifold.SpectralEmbedding(...).fit_transform(X)``: the affinity of
    ``X``, then :func:`spectral_embedding` with ``norm_laplacian=True, drop_first=True``.

    Args:
      X: data ``(n, d)`` (or an ``(n, n)`` affinity with ``affinity="precomputed"``).
      n_components: embedding dimension (static).
      affinity: one of :data:`AFFINITIES` (static).
      gamma: RBF width; ``None`` means ``1 / n_features`` (traced).
      n_neighbors: kNN graph size; ``None`` means ``max(n // 10, 1)`` (static).
    """
    check_option(affinity, "affinity", AFFINITIES)
    if affinity != "precomputed":
        X = _check_data(X)
    if n_neighbors is None:
        n_neighbors = max(int(X.shape[0] / 10), 1)
    if affinity == "rbf" and gamma is None:
        gamma = 1.0 / X.shape[1]
    W = affinity_matrix(X, affinity=affinity, gamma=gamma, n_neighbors=n_neighbors)
    return spectral_embedding(W, n_components)


# ----------------------------------------------------------------------------- clustering


@functools.lru_cache(maxsize=32)
def _cached_kmeans(k: int, n_init: int, max_iter: int, tol: float, init: str) -> Clusterer:
    return _kmeans.kmeans(k, n_init=n_init, max_iter=max_iter, tol=tol, init=init)


def _kmeans_clusterer(k, n_init, max_iter, tol, init) -> Clusterer:
    """The k-means step; one shared instance (so one compiled program) per setting of
    plain Python hyperparameters, instead of a fresh closure per factory call."""
    plain = (isinstance(init, str) and isinstance(max_iter, int)
             and isinstance(tol, (int, float)) and not isinstance(tol, bool))
    if plain:
        return _cached_kmeans(k, n_init, max_iter, float(tol), init)
    return _kmeans.kmeans(k, n_init=n_init, max_iter=max_iter, tol=tol, init=init)


@pytree_dataclass
class SpectralClusteringParams:
    """A fitted spectral clustering.

    Attributes:
      labels: ``(n,)`` int32 cluster of each training point.
      embedding: ``(n, n_components)`` spectral embedding the k-means ran on.
      eigenvalues: ``(n_components,)`` the eigenvalues of ``L_rw`` used, ascending.
      kmeans: the :class:`~jaxml.unsupervised.kmeans.KMeansParams` on the embedding.
      X: the training points (for :func:`predict`; the affinity matrix itself with
        ``affinity="precomputed"``).
    """

    labels: jax.Array
    embedding: jax.Array
    eigenvalues: jax.Array
    kmeans: _kmeans.KMeansParams
    X: jax.Array


@jax.jit
def _nearest_label(X_train, labels, X):
    return labels[jnp.argmin(squared_distances(X, X_train), axis=1)]


def spectral_clustering(n_clusters: int = 8, *, affinity: str = "rbf", gamma: Any = 1.0,
                        n_neighbors: int = 10, n_components: int | None = None,
                        n_init: int = 10, assign_labels: str = "kmeans",
                        max_iter: int = 300, tol: Any = 1e-4,
                        kmeans_init: Any = "k-means++") -> Clusterer:
    """Spectral clustering (scikit-learn's ``SpectralClustering``) as a ``Clusterer``.

    Args:
      n_clusters: number of clusters (static).
      affinity: one of :data:`AFFINITIES` (static); scikit-learn's defaults follow.
      gamma: RBF width (traced; scikit-learn's ``SpectralClustering`` default 1).
      n_neighbors: kNN graph size for ``"nearest_neighbors"`` (static).
      n_components: eigenvectors kept, the first included; ``None`` means ``n_clusters``
        (static).
      n_init: k-means restarts (static), run as one ``vmap``.
      assign_labels: only ``"kmeans"``.
      max_iter, tol: k-means settings.
      kmeans_init: ``"k-means++"``, ``"random"`` or an ``(n_clusters, n_components)``
        array of initial centres in the embedding (then ``n_init`` must be 1).

    Returns:
      ``Clusterer``: ``fit(key, X) -> SpectralClusteringParams``; ``predict(params, X)``
      gives each new row the label of its nearest training point (an out-of-sample rule
      that is not part of the method; not available with ``"precomputed"``).
    """
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    check_option(affinity, "affinity", AFFINITIES)
    check_option(assign_labels, "assign_labels", ("kmeans",))
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    if affinity == "rbf":
        check_positive(gamma, "gamma")
    n_components = n_clusters if n_components is None else n_components
    n_components = check_int(n_components, "n_components", minimum=1)
    n_init = check_int(n_init, "n_init", minimum=1)
    clusterer = _kmeans_clusterer(n_clusters, n_init, max_iter, tol, kmeans_init)

    def fit(key, X) -> SpectralClusteringParams:
        if affinity == "precomputed":
            X = _check_adjacency(X, "X")
        else:
            X = _check_data(X)
        n = X.shape[0]
        if n_clusters > n:
            raise ValueError(
                f"n_clusters must be <= n_samples, got n_clusters={n_clusters} with "
                f"n_samples={n}")
        if affinity == "nearest_neighbors":
            _check_n_neighbors(n_neighbors, n)
        _check_n_components(n_components, n, drop_first=False)
        W = affinity_matrix(X, affinity=affinity, gamma=gamma, n_neighbors=n_neighbors)
        U, eigenvalues = _spectral_embedding(W, n_components, True, False)
        km = clusterer.fit(key, U)
        return SpectralClusteringParams(labels=km.labels, embedding=U,
                                        eigenvalues=eigenvalues, kmeans=km, X=X)

    def predict(params: SpectralClusteringParams, X) -> jax.Array:
        if affinity == "precomputed":
            raise ValueError("predict is not available with affinity='precomputed'")
        X = check_X(X)
        check_n_features(X, params.X.shape[1])
        return _nearest_label(params.X, params.labels, X.astype(params.X.dtype))

    return Clusterer(fit=fit, predict=predict)
