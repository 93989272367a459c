r"""Nearest neighbours: brute-force kNN in JAX, KD-tree and ball tree, and p-stable LSH.

**Brute force.** Squared Euclidean distances for a block of queries come from one matrix
product, :math:`\lVert q - x\rVert^2 = \lVert q\rVert^2 - 2 q^\top x + \lVert x\rVert^2`,
and ``lax.top_k`` picks the ``k`` smallest. The expansion loses accuracy when
:math:`\lVert q - x\rVert^2 \ll \lVert q\rVert^2 + \lVert x\rVert^2` (cancellation), so
values below the rounding floor :math:`4\epsilon(\lVert q\rVert^2 + \lVert x\rVert^2)` are
set to exactly zero, so a query equal to a training point has distance 0. Queries are
processed in blocks of ``batch_size`` (``lax.map``) so memory is ``batch_size × n``.

The kNN classifier takes a (weighted) vote over the labels of the ``k`` neighbours
(Cover & Hart, 1967); the regressor averages their targets. ``weights="distance"`` uses
:math:`1/d`; if a query coincides with training points, only those (distance 0) vote,
as in scikit-learn. Vote ties go to the smallest class code.

**Space-partitioning trees** (host code). A KD-tree (Bentley, 1975) splits a node's
points at the median of the coordinate with the largest spread and keeps each node's
bounding box; a ball tree (Omohundro, 1989) splits the same way but keeps a centroid and
radius. An exact k-NN query descends nearer child first and prunes a node when the lower
bound on its distance (box distance, or :math:`\max(0, \lVert q - c\rVert - r)`) exceeds
the current k-th best. Building and querying are recursive, data-dependent control flow,
so they are written in NumPy and run on the host; they are not jittable. They pay off in
low dimension (roughly ``d <= 15``); in high dimension the bounds stop pruning.

**Locality-sensitive hashing** (Datar, Immorlica, Indyk & Mirrokni, 2004). A p-stable
hash :math:`h(x) = \lfloor (a^\top x + b)/w \rfloor`, :math:`a \sim \mathcal N(0, I)`,
:math:`b \sim U[0, w)`, collides with a probability that decreases with
:math:`\lVert x - x'\rVert_2`. Each of ``L`` tables concatenates ``m`` such hashes (one
bucket key per table, mixed into 32 bits by random odd multipliers); a query's candidates
are the points sharing its bucket in any table (at most ``max_candidates`` per table),
re-ranked by exact distance. More tables raise recall; more projections per table make
buckets purer and smaller. :func:`recall_at_k` measures the overlap with exact kNN.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.classical.kernels import squared_distances
from jaxml.core import (
    Classifier,
    Regressor,
    check_class_codes,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    check_X_y,
    pytree_dataclass,
    split_named,
    static_field,
)

__all__ = [
    "KNNParams",
    "SpatialTree",
    "LSHIndex",
    "kneighbors",
    "knn_classifier",
    "knn_vote",
    "knn_average",
    "neighbor_weights",
    "knn_regressor",
    "kd_tree",
    "ball_tree",
    "tree_query",
    "lsh_index",
    "lsh_query",
    "recall_at_k",
]


# ----------------------------------------------------------------------------- brute force


def _map_blocks(fn, Q, batch_size):
    """Apply ``fn`` to row blocks of ``Q`` (padded to a multiple of ``batch_size``)."""
    m = Q.shape[0]
    if m <= batch_size:
        return fn(Q)
    n_blocks = -(-m // batch_size)
    pad = n_blocks * batch_size - m
    Qp = jnp.concatenate([Q, jnp.zeros((pad, Q.shape[1]), Q.dtype)], axis=0)
    out = jax.lax.map(fn, Qp.reshape(n_blocks, batch_size, Q.shape[1]))
    return jax.tree.map(lambda a: a.reshape((n_blocks * batch_size,) + a.shape[2:])[:m], out)


def _kneighbors(X, x_sq, Q, k, batch_size):
    def block(q):
        neg, idx = jax.lax.top_k(-squared_distances(q, X, x_sq), k)
        return jnp.sqrt(-neg), idx.astype(jnp.int32)

    return _map_blocks(block, Q, batch_size)


def kneighbors(X, Q, k: int, *, batch_size: int = 1024):
    """Exact k nearest training rows of each query, brute force.

    Args:
      X: training points ``(n, d)``.
      Q: queries ``(m, d)``.
      k: number of neighbours, ``1 <= k <= n`` (static).
      batch_size: queries per block (static).

    Returns:
      ``(distances, indices)``, each ``(m, k)``, sorted by increasing distance.
    """
    X = check_X(X)
    Q = check_X(Q, "Q")
    check_n_features(Q, X.shape[1], "Q")
    k = _check_k(k, X.shape[0])
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    return _kneighbors(X, jnp.sum(X * X, axis=1), Q, k, batch_size)


def _check_k(k, n_train):
    k = check_int(k, "k", minimum=1)
    if k > n_train:
        raise ValueError(f"k={k} must be <= the number of training samples ({n_train})")
    return k


@pytree_dataclass
class KNNParams:
    """A kNN model is its training set: ``X (n, d)``, targets/codes ``y``, ``‖x‖²``."""

    X: jax.Array
    y: jax.Array
    x_sq: jax.Array
    n_classes: int = static_field(default=0)


def neighbor_weights(dist, weights: str) -> jax.Array:
    """Vote weights ``(m, k)`` from neighbour distances: ones, or ``1/d``.

    With ``"distance"``, a query at distance 0 from some neighbours gives weight 1 to
    those and 0 to the rest (scikit-learn's convention) instead of dividing by zero.
    """
    dist = jnp.asarray(dist)
    if weights == "uniform":
        return jnp.ones_like(dist)
    exact = dist == 0.0
    any_exact = jnp.any(exact, axis=1, keepdims=True)
    inv = 1.0 / jnp.where(exact, 1.0, dist)
    return jnp.where(any_exact, exact.astype(dist.dtype), inv)


def knn_vote(dist, labels, n_classes: int, weights: str) -> jax.Array:
    """Class probabilities ``(m, n_classes)`` from neighbour distances and label codes."""
    w = neighbor_weights(dist, weights)
    onehot = jax.nn.one_hot(jnp.asarray(labels), n_classes, dtype=w.dtype)
    votes = jnp.einsum("mk,mkc->mc", w, onehot)
    return votes / jnp.sum(votes, axis=1, keepdims=True)


def knn_average(dist, targets, weights: str) -> jax.Array:
    """Regression predictions ``(m,)``: (weighted) mean of the neighbours' targets."""
    w = neighbor_weights(dist, weights)
    return jnp.sum(w * jnp.asarray(targets), axis=1) / jnp.sum(w, axis=1)


def _knn_common_args(k, weights, batch_size):
    k = check_int(k, "k", minimum=1)
    check_option(weights, "weights", ("uniform", "distance"))
    return k, check_int(batch_size, "batch_size", minimum=1)


def knn_classifier(
    k: int = 5,
    *,
    weights: str = "uniform",
    n_classes: int | None = None,
    batch_size: int = 1024,
) -> Classifier:
    """Brute-force k-nearest-neighbour classifier.

    Args:
      k: neighbours per query (static).
      weights: ``"uniform"`` votes or ``"distance"`` (``1/d``) votes.
      n_classes: number of classes, inferred as ``max(y) + 1`` when ``y`` is concrete
        (``y`` must hold at least two distinct classes).
      batch_size: queries per distance block (static).

    Returns:
      ``Classifier``: ``fit(X, y)`` stores the data; ``predict_proba`` is the normalised
      (weighted) vote, ``predict`` its argmax.
    """
    k, batch_size = _knn_common_args(k, weights, batch_size)

    def fit(X, y) -> KNNParams:
        K = check_class_codes(y, n_classes=n_classes)
        X, y = check_X_y(X, y, y_kind="i")
        _check_k(k, X.shape[0])
        return KNNParams(X=X, y=y, x_sq=jnp.sum(X * X, axis=1), n_classes=K)

    def predict_proba(params, Q):
        Q = check_X(Q, "X")
        check_n_features(Q, params.X.shape[1])
        dist, idx = _kneighbors(params.X, params.x_sq, Q, k, batch_size)
        return knn_vote(dist, params.y[idx], params.n_classes, weights)

    def predict(params, Q):
        return jnp.argmax(predict_proba(params, Q), axis=1).astype(jnp.int32)

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)


def knn_regressor(k: int = 5, *, weights: str = "uniform", batch_size: int = 1024) -> Regressor:
    """Brute-force k-nearest-neighbour regressor: (weighted) mean of the neighbours' targets."""
    k, batch_size = _knn_common_args(k, weights, batch_size)

    def fit(X, y) -> KNNParams:
        X, y = check_X_y(X, y)
        _check_k(k, X.shape[0])
        return KNNParams(X=X, y=y, x_sq=jnp.sum(X * X, axis=1))

    def predict(params, Q):
        Q = check_X(Q, "X")
        check_n_features(Q, params.X.shape[1])
        dist, idx = _kneighbors(params.X, params.x_sq, Q, k, batch_size)
        return knn_average(dist, params.y[idx], weights)

    return Regressor(fit=fit, predict=predict)


# ----------------------------------------------------------------------------- trees (host)


@dataclasses.dataclass(frozen=True)
class SpatialTree:
    """A KD-tree or ball tree stored as flat NumPy arrays (host data, not a pytree).

    Node ``i`` owns ``data[index[start[i]:end[i]]]``; ``left[i] = right[i] = -1`` at leaves.
    KD nodes keep a bounding box ``(lower, upper)``; ball nodes a ``centroid`` and ``radius``.
    """

    kind: str
    data: np.ndarray
    index: np.ndarray
    start: np.ndarray
    end: np.ndarray
    left: np.ndarray
    right: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    centroid: np.ndarray
    radius: np.ndarray

    @property
    def n_nodes(self) -> int:
        return int(self.start.shape[0])


def _build_tree(X, leaf_size: int, kind: str) -> SpatialTree:
    data = np.asarray(X, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError("X must be finite, found NaN or inf")
    leaf_size = check_int(leaf_size, "leaf_size", minimum=1)
    index = np.arange(data.shape[0])
    nodes: list[list] = []  # [start, end, left, right]
    stack = [(0, data.shape[0], -1, 0)]  # (start, end, parent, is_right)
    while stack:
        start, end, parent, is_right = stack.pop()
        node = len(nodes)
        nodes.append([start, end, -1, -1])
        if parent >= 0:
            nodes[parent][3 if is_right else 2] = node
        if end - start <= leaf_size:
            continue
        pts = data[index[start:end]]
        dim = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        half = (end - start) // 2
        order = np.argpartition(pts[:, dim], half)
        index[start:end] = index[start:end][order]
        stack.append((start + half, end, node, 1))
        stack.append((start, start + half, node, 0))
    arr = np.asarray(nodes, dtype=np.int64)
    lower, upper, centroid, radius = [], [], [], []
    for start, end, _, _ in nodes:
        pts = data[index[start:end]]
        lower.append(pts.min(axis=0))
        upper.append(pts.max(axis=0))
        c = pts.mean(axis=0)
        centroid.append(c)
        radius.append(np.sqrt(np.max(np.sum((pts - c) ** 2, axis=1))))
    return SpatialTree(
        kind=kind,
        data=data,
        index=index,
        start=arr[:, 0],
        end=arr[:, 1],
        left=arr[:, 2],
        right=arr[:, 3],
        lower=np.asarray(lower),
        upper=np.asarray(upper),
        centroid=np.asarray(centroid),
        radius=np.asarray(radius),
    )


def kd_tree(X, *, leaf_size: int = 30) -> SpatialTree:
    """Build a KD-tree (host NumPy code): median splits on the widest coordinate."""
    return _build_tree(X, leaf_size, "kd_tree")


def ball_tree(X, *, leaf_size: int = 30) -> SpatialTree:
    """Build a ball tree (host NumPy code): median splits, nodes bounded by balls."""
    return _build_tree(X, leaf_size, "ball_tree")


def _lower_bound_sq(tree: SpatialTree, node: int, q: np.ndarray) -> float:
    if tree.kind == "kd_tree":
        gap = np.maximum(tree.lower[node] - q, 0.0) + np.maximum(q - tree.upper[node], 0.0)
        return float(gap @ gap)
    gap = max(float(np.sqrt(np.sum((q - tree.centroid[node]) ** 2))) - tree.radius[node], 0.0)
    return gap * gap


def _query_one(tree: SpatialTree, q: np.ndarray, k: int):
    best_d = np.full(k, np.inf)
    best_i = np.full(k, -1, dtype=np.int64)
    stack = [(0, _lower_bound_sq(tree, 0, q))]
    while stack:
        node, bound = stack.pop()
        if bound > best_d[-1]:
            continue
        if tree.left[node] < 0:
            pts = tree.index[tree.start[node] : tree.end[node]]
            diff = tree.data[pts] - q[None, :]
            d2 = np.sum(diff * diff, axis=1)
            all_d = np.concatenate([best_d, d2])
            all_i = np.concatenate([best_i, pts])
            order = np.lexsort((all_i, all_d))[:k]
            best_d, best_i = all_d[order], all_i[order]
            continue
        children = [tree.left[node], tree.right[node]]
        bounds = [_lower_bound_sq(tree, c, q) for c in children]
        near = int(bounds[1] < bounds[0])
        stack.append((children[1 - near], bounds[1 - near]))
        stack.append((children[near], bounds[near]))
    return np.sqrt(best_d), best_i


def tree_query(tree: SpatialTree, Q, k: int):
    """Exact kNN query of a :func:`kd_tree` / :func:`ball_tree` (host NumPy code).

    Returns:
      ``(distances, indices)`` as NumPy arrays ``(m, k)``, sorted by distance (ties by
      index).
    """
    Q = np.asarray(Q, dtype=np.float64)
    if Q.ndim != 2 or Q.shape[1] != tree.data.shape[1]:
        raise ValueError(
            f"Q must have shape (m, {tree.data.shape[1]}), got {Q.shape}"
        )
    if not np.all(np.isfinite(Q)):
        raise ValueError("Q must be finite, found NaN or inf")
    k = _check_k(k, tree.data.shape[0])
    dist = np.empty((Q.shape[0], k))
    idx = np.empty((Q.shape[0], k), dtype=np.int64)
    for i, q in enumerate(Q):
        dist[i], idx[i] = _query_one(tree, q, k)
    return dist, idx


# ----------------------------------------------------------------------------- LSH


@pytree_dataclass
class LSHIndex:
    """p-stable LSH tables over ``data``: bucket keys sorted per table."""

    data: jax.Array
    projections: jax.Array  # (L, m, d)
    offsets: jax.Array  # (L, m)
    width: jax.Array
    multipliers: jax.Array  # (m,) uint32, odd
    sorted_codes: jax.Array  # (L, n) uint32
    sorted_index: jax.Array  # (L, n) int32


def _bucket_codes(index: LSHIndex, X):
    proj = jnp.einsum("lmd,nd->lnm", index.projections, X) + index.offsets[:, None, :]
    cells = jnp.floor(proj / index.width).astype(jnp.int32)
    bits = jax.lax.bitcast_convert_type(cells, jnp.uint32)
    return jnp.sum(bits * index.multipliers[None, None, :], axis=2, dtype=jnp.uint32)  # (L, n)


def lsh_index(key, X, *, n_tables: int = 8, n_projections: int = 4, width=None) -> LSHIndex:
    """Build ``n_tables`` p-stable LSH tables (Datar et al., 2004).

    Args:
      key: PRNG key (projections, offsets, hash multipliers, in-bucket order).
      X: data ``(n, d)``.
      n_tables: number of tables ``L`` (static).
      n_projections: hashes concatenated per table ``m`` (static).
      width: bucket width ``w > 0``; default: the standard deviation of the projected
        data (about a few buckets per projection).
    """
    X = check_X(X)
    L = check_int(n_tables, "n_tables", minimum=1)
    m = check_int(n_projections, "n_projections", minimum=1)
    keys = split_named(key, "proj", "offset", "mult", "perm")
    n, d = X.shape
    projections = jax.random.normal(keys["proj"], (L, m, d), X.dtype)
    if width is None:
        width = jnp.std(jnp.einsum("lmd,nd->lmn", projections, X))
    else:
        check_positive(width, "width")
    width = jnp.asarray(width, X.dtype)
    offsets = jax.random.uniform(keys["offset"], (L, m), X.dtype) * width
    multipliers = jax.random.bits(keys["mult"], (m,), jnp.uint32) | jnp.uint32(1)
    index = LSHIndex(
        data=X,
        projections=projections,
        offsets=offsets,
        width=width,
        multipliers=multipliers,
        sorted_codes=jnp.zeros((L, n), jnp.uint32),
        sorted_index=jnp.zeros((L, n), jnp.int32),
    )
    codes = _bucket_codes(index, X)
    perm = jax.random.permutation(keys["perm"], n).astype(jnp.int32)  # random in-bucket order
    order = jnp.argsort(codes[:, perm], axis=1, stable=True)
    sorted_index = perm[order]
    sorted_codes = jnp.take_along_axis(codes, sorted_index, axis=1)
    return index.replace(sorted_codes=sorted_codes, sorted_index=sorted_index)


def lsh_query(index: LSHIndex, Q, k: int, *, max_candidates: int = 64, batch_size: int = 1024):
    """Approximate kNN: exact re-ranking of each query's LSH bucket-mates.

    Args:
      index: from :func:`lsh_index`.
      Q: queries ``(m, d)``.
      k: neighbours to return (static).
      max_candidates: candidates taken per table (static); work is ``O(L · max_candidates)``
        distance evaluations per query instead of ``O(n)``.
      batch_size: queries per block (static).

    Returns:
      ``(distances, indices)`` ``(m, k)``; where fewer than ``k`` distinct candidates were
      found, the remaining entries are ``inf`` and ``-1``.
    """
    Q = check_X(Q, "Q")
    check_n_features(Q, index.data.shape[1], "Q")
    k = check_int(k, "k", minimum=1)
    c = check_int(max_candidates, "max_candidates", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    n = index.data.shape[0]
    if k > index.sorted_index.shape[0] * c:
        raise ValueError(f"k={k} exceeds n_tables * max_candidates")

    def table_candidates(sorted_codes, sorted_index, codes_q):
        lo = jnp.searchsorted(sorted_codes, codes_q, side="left")
        pos = lo[:, None] + jnp.arange(c)[None, :]
        safe = jnp.minimum(pos, n - 1)
        valid = (pos < n) & (sorted_codes[safe] == codes_q[:, None])
        return jnp.where(valid, sorted_index[safe], n)

    def block(q):
        codes_q = _bucket_codes(index, q)  # (L, b)
        cand = jax.vmap(table_candidates)(index.sorted_codes, index.sorted_index, codes_q)
        cand = jnp.sort(jnp.moveaxis(cand, 0, 1).reshape(q.shape[0], -1), axis=1)
        dup = jnp.concatenate(
            [jnp.zeros((q.shape[0], 1), bool), cand[:, 1:] == cand[:, :-1]], axis=1
        )
        cand = jnp.where(dup, n, cand)
        pts = index.data[jnp.minimum(cand, n - 1)]  # (b, Lc, d)
        d2 = jnp.sum((pts - q[:, None, :]) ** 2, axis=2)
        d2 = jnp.where(cand < n, d2, jnp.inf)
        neg, pos = jax.lax.top_k(-d2, k)
        idx = jnp.take_along_axis(cand, pos, axis=1)
        found = jnp.isfinite(neg)
        dist = jnp.where(found, jnp.sqrt(-neg), jnp.inf)
        return dist, jnp.where(found, idx, -1).astype(jnp.int32)

    return _map_blocks(block, Q, batch_size)


def recall_at_k(exact_indices, approx_indices) -> jax.Array:
    """Mean fraction of each query's exact ``k`` neighbours that the approximate search found
    (the truth first, as scikit-learn's metrics)."""
    exact_indices = jnp.asarray(exact_indices)
    approx_indices = jnp.asarray(approx_indices)
    if approx_indices.shape != exact_indices.shape or approx_indices.ndim != 2:
        raise ValueError(
            "exact_indices and approx_indices must both have shape (m, k), got "
            f"{exact_indices.shape} and {approx_indices.shape}"
        )
    hit = jnp.any(approx_indices[:, :, None] == exact_indices[:, None, :], axis=1)
    return jnp.mean(hit.astype(jnp.float32))
