r"""Agglomerative hierarchical clustering with Lance–Williams updates, in SciPy's format.

Start with every point its own cluster and the Euclidean distance matrix
:math:`D_{ij} = \lVert x_i - x_j \rVert`. Repeat :math:`n - 1` times: merge the two
active clusters :math:`i, j` at the smallest distance (ties to the first pair in
row-major order) and replace their rows by the distance of the merged cluster
:math:`i \cup j` to every other cluster :math:`k`, given by the Lance–Williams (1967)
recurrence on :math:`D` alone (sizes :math:`n_i, n_j, n_k`):

* single    :math:`D_{k,ij} = \min(D_{ki}, D_{kj})`
* complete  :math:`D_{k,ij} = \max(D_{ki}, D_{kj})`
* average   :math:`D_{k,ij} = (n_i D_{ki} + n_j D_{kj}) / (n_i + n_j)` (UPGMA)
* Ward      on squared distances,
  :math:`D^2_{k,ij} = \frac{(n_i + n_k) D^2_{ki} + (n_j + n_k) D^2_{kj} - n_k D^2_{ij}}
  {n_i + n_j + n_k}`, which keeps
  :math:`D_{ij} = \sqrt{2 n_i n_j / (n_i + n_j)}\, \lVert c_i - c_j \rVert` (:math:`c` the
  centroids): the merge that least increases the within-cluster sum of squares.

The merges are a ``lax.fori_loop`` on the :math:`n \times n` matrix (:math:`O(n^2)` per
merge, :math:`O(n^3)` in all: meant for ``n`` up to a few thousand). All four linkages are
*reducible*, so merge distances never decrease and the greedy order is the order SciPy
reports.

The result is SciPy's linkage matrix ``Z (n - 1, 4)``: row :math:`s` merges clusters
``Z[s, 0] < Z[s, 1]`` (ids :math:`< n` are points, id :math:`n + s` is the cluster formed
at row :math:`s`) at distance ``Z[s, 2]`` into a cluster of ``Z[s, 3]`` points. SciPy's
own functions (``dendrogram``, ``fcluster``) want float64: pass ``np.asarray(Z,
np.float64)``. :func:`cut_tree` undoes the last ``k - 1`` merges to leave ``k``
clusters, numbered in order of their lowest point index (as ``scipy.cluster.hierarchy.cut_tree``).

Divisive clustering (bisecting k-means) is :mod:`jaxml.unsupervised.bisecting`.

References:
  Lance & Williams, "A general theory of classificatory sorting strategies: 1.
  Hierarchical systems", The Computer Journal 9(4), 1967.
  Müllner, "Modern hierarchical, agglomerative clustering algorithms", arXiv:1109.2378.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jaxml.core import (
    Clusterer,
    check_array,
    check_int,
    check_n_features,
    check_option,
    check_X,
    pytree_dataclass,
)
from jaxml.unsupervised.density_clustering import euclidean_distance_matrix

__all__ = [
    "LINKAGES",
    "AgglomerativeParams",
    "agglomerative",
    "cut_tree",
    "linkage",
    "linkage_from_distances",
]

LINKAGES = ("single", "complete", "average", "ward")


@pytree_dataclass
class AgglomerativeParams:
    """A fitted agglomerative clustering: the linkage matrix ``Z (n - 1, 4)``, the
    ``labels (n,)`` of the cut into ``n_clusters``, and the training points ``X``."""

    linkage_matrix: jax.Array
    labels: jax.Array
    X: jax.Array


def _lance_williams(method: str, d_ki, d_kj, d_ij, n_i, n_j, n_k):
    if method == "single":
        return jnp.minimum(d_ki, d_kj)
    if method == "complete":
        return jnp.maximum(d_ki, d_kj)
    if method == "average":
        return (n_i * d_ki + n_j * d_kj) / (n_i + n_j)
    # ward, on squared distances
    return ((n_i + n_k) * d_ki + (n_j + n_k) * d_kj - n_k * d_ij) / (n_i + n_j + n_k)


def linkage_from_distances(D: jax.Array, method: str = "single") -> jax.Array:
    """SciPy-format linkage matrix from a symmetric Euclidean distance matrix
    ``D (n, n)``; jittable (``method`` static)."""
    check_option(method, "method", LINKAGES)
    n = D.shape[0]
    dtype = D.dtype
    upper = jnp.triu(jnp.ones((n, n), bool), k=1)
    work = D * D if method == "ward" else D
    work = jnp.where(upper | upper.T, work, jnp.inf)

    def merge(step, carry):
        work, ids, sizes, Z = carry
        flat = jnp.argmin(jnp.where(upper, work, jnp.inf))
        i, j = flat // n, flat % n  # i < j
        d_ij = work[i, j]
        n_i, n_j = sizes[i], sizes[j]
        new = _lance_williams(method, work[i], work[j], d_ij, n_i, n_j, sizes)
        new = new.at[i].set(jnp.inf).at[j].set(jnp.inf)
        work = work.at[i, :].set(new).at[:, i].set(new)
        work = work.at[j, :].set(jnp.inf).at[:, j].set(jnp.inf)
        height = jnp.sqrt(d_ij) if method == "ward" else d_ij
        a, b = ids[i], ids[j]
        row = jnp.stack([jnp.minimum(a, b), jnp.maximum(a, b), height, n_i + n_j])
        Z = Z.at[step].set(row.astype(dtype))
        ids = ids.at[i].set(n + step)
        sizes = sizes.at[i].set(n_i + n_j)
        return work, ids, sizes, Z

    start = (work, jnp.arange(n).astype(dtype), jnp.ones(n, dtype),
             jnp.zeros((n - 1, 4), dtype))
    return jax.lax.fori_loop(0, n - 1, merge, start)[3]


def linkage(X: Any, method: str = "single") -> jax.Array:
    """SciPy-format linkage matrix ``(n - 1, 4)`` of the rows of ``X`` (the same as
    ``scipy.cluster.hierarchy.linkage(X, method)`` on tie-free data)."""
    check_option(method, "method", LINKAGES)
    X = check_X(X)
    if X.shape[0] < 2:
        raise ValueError(f"X must have at least 2 samples, got {X.shape[0]}")
    return linkage_from_distances(euclidean_distance_matrix(X), method)


def cut_tree(Z: Any, n_clusters: int) -> jax.Array:
    """Labels ``(n,)`` of the ``n_clusters`` clusters left after the first
    ``n - n_clusters`` merges of ``Z``, numbered ``0, 1, ...`` in order of their lowest
    point index; jittable (``n_clusters`` static)."""
    Z = check_array(Z, "Z", ndim=2, dtype_kind="f")
    if Z.shape[1] != 4:
        raise ValueError(f"Z must have shape (n - 1, 4), got {Z.shape}")
    n = Z.shape[0] + 1
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    if n_clusters > n:
        raise ValueError(f"n_clusters must be <= the number of points {n}, got {n_clusters}")
    pairs = Z[:, :2].astype(jnp.int32)

    def merge(step, cluster):
        a, b = pairs[step, 0], pairs[step, 1]
        return jnp.where((cluster == a) | (cluster == b), n + step, cluster)

    cluster = jax.lax.fori_loop(0, n - n_clusters, merge, jnp.arange(n, dtype=jnp.int32))
    first = jnp.argmax(cluster[None, :] == cluster[:, None], axis=1)  # lowest member
    is_first = first == jnp.arange(n)
    return (jnp.cumsum(is_first.astype(jnp.int32)) - 1)[first]


def agglomerative(n_clusters: int = 2, *, linkage: str = "ward") -> Clusterer:
    """Agglomerative clustering as ``Clusterer(fit, predict)``; deterministic, so
    ``fit(X)`` takes no key.

    ``fit(X) -> AgglomerativeParams`` builds the full tree and cuts it into
    ``n_clusters`` (static); ``predict(params, X_new)`` gives each new point the label of
    its nearest training point.
    """
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    method = check_option(linkage, "linkage", LINKAGES)

    def fit(X):
        X = check_X(X)
        if X.shape[0] < max(2, n_clusters):
            raise ValueError(f"X must have at least max(2, n_clusters={n_clusters}) "
                             f"samples, got {X.shape[0]}")
        Z = linkage_from_distances(euclidean_distance_matrix(X), method)
        return AgglomerativeParams(linkage_matrix=Z, labels=cut_tree(Z, n_clusters), X=X)

    def predict(params: AgglomerativeParams, X):
        X = check_X(X)
        check_n_features(X, params.X.shape[1])
        nearest = jnp.argmin(euclidean_distance_matrix(params.X, X), axis=0)
        return params.labels[nearest]

    return Clusterer(fit=fit, predict=predict)
