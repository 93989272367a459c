r"""Bisecting k-means: divisive clustering by repeated 2-means splits.

**Procedure** (Steinbach, Karypis & Kumar, 2000; the semantics of scikit-learn's
``BisectingKMeans``). Start from one cluster holding all of ``X``, its centre the mean.
Then, ``k - 1`` times: pick one current cluster (a *leaf* of the split tree) and split it
in two with 2-means (Lloyd's algorithm from ``n_init`` seedings, keeping the run of least
inertia), the two halves becoming the leaf's children. The leaf picked is

* ``bisecting_strategy="biggest_inertia"``: the one of largest
  :math:`\mathrm{SSE}(C) = \sum_{x \in C} \lVert x - c_C \rVert^2` (:math:`c_C` its centre);
* ``"largest_cluster"``: the one with the most points;

ties going to the first leaf in depth-first, left-before-right order, as in scikit-learn.
The ``k`` leaves are the clusters; they are numbered in that depth-first order (so the
labels follow scikit-learn's numbering), and the *inertia* is
:math:`J = \sum_{\text{leaves } C} \mathrm{SSE}(C)`.

**Splitting never increases the inertia.** For a partition :math:`C = A \cup B` with means
:math:`\mu_A, \mu_B, \mu_C`, expanding the squares about the means gives

.. math::  \sum_{x \in C} \lVert x - \mu_C \rVert^2 = \sum_{x \in A} \lVert x - \mu_A
           \rVert^2 + \sum_{x \in B} \lVert x - \mu_B \rVert^2
           + \frac{|A|\,|B|}{|C|} \lVert \mu_A - \mu_B \rVert^2 ,

so any two-part partition, each part at its mean, has at most the SSE of the whole about
its mean, which in turn is at most its SSE about any other centre :math:`c_C` (the mean
minimises a sum of squares). The 2-means of a split ends with a centre step: its final
centres :math:`c_0, c_1` are the means of a partition :math:`(A, B)` of :math:`C` (the
previous assignment, after moving a point into an empty half if one emptied), and the
kept labels are the nearest-centre assignment to :math:`c_0, c_1` (or, on strict
convergence, that same partition). Either way the split's inertia is at most
:math:`\sum_A \lVert x - \mu_A\rVert^2 + \sum_B \lVert x - \mu_B\rVert^2 \le
\mathrm{SSE}(C)`, and replacing the term :math:`\mathrm{SSE}(C)` of :math:`J` by it
cannot raise :math:`J`. Hence ``inertia_path`` (the inertia after 0, 1, ..., k - 1
splits; entry 0 is the total sum of squares about the mean) is non-increasing, up to
rounding.

**One jitted program.** ``k`` is static and the ``k - 1`` splits are a ``lax.fori_loop``
with static shapes: a split runs a *masked* 2-means on the whole of ``X`` with sample
weights :math:`w_i = [x_i \in C]`, i.e. the weighted Lloyd steps
:math:`c_j = \sum_i w_i [a(i) = j] x_i / \sum_i w_i [a(i) = j]`, which on the members
are exactly 2-means on :math:`C` (non-members carry no weight, are never seeds and are
never moved into an empty half). The ``n_init`` runs of a split are one ``vmap``. The
seeding is scikit-learn's with sample weights: ``"random"`` takes two distinct members
uniformly; ``"k-means++"`` is greedy k-means++ with weights (first seed a uniform member,
the second the best of :math:`2 + \lfloor \ln 2 \rfloor = 2` candidates drawn from
:math:`w D^2`). Lloyd stops on strict convergence (no member changes label), after
``max_iter`` iterations, or when the total squared centre shift is at most ``tol``.
As in scikit-learn's ``BisectingKMeans`` (which passes ``tol`` to its inner k-means
unscaled, unlike ``KMeans``), ``tol`` is an absolute bound here, not one relative to the
variance of ``X``. Each split costs :math:`O(n\_init \cdot iters \cdot n d)` whatever the
size of :math:`C`. The data are centred on their mean first (the root centre), as in
scikit-learn and :mod:`jaxml.unsupervised.kmeans`.

**The tree.** Node 0 is the root (all of ``X``); split ``s`` divides node
``splits[s, 0]`` into nodes ``splits[s, 1] = 2s + 1`` (left, the 2-means cluster 0) and
``splits[s, 2] = 2s + 2`` (right) — a linkage of the divisive hierarchy read top-down.
``node_centres``, ``node_inertia`` and ``node_size`` describe every node; ``node_label``
maps a leaf to its cluster (``-1`` for a split node).

**Prediction** descends the tree as scikit-learn does: from the root, a point goes to the
nearer of the two children of each split node (the left one on a tie) until it reaches a
leaf. This can differ from the nearest final centre, but on the training points it
reproduces ``labels`` (each was assigned that way when its cluster was split). It costs
one ``(n, 2k - 1)`` distance matrix and ``k - 1`` gathers.

References:
  Steinbach, Karypis & Kumar, "A comparison of document clustering techniques",
  KDD Workshop on Text Mining, 2000.
  Arthur & Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxml.classical.kernels import squared_distances
from jaxml.core import (
    Clusterer,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    pytree_dataclass,
)
from jaxml.unsupervised.kmeans import _check_data, weighted_lloyd_loop

__all__ = ["BISECTING_STRATEGIES", "BisectingKMeansParams", "bisecting_kmeans"]

BISECTING_STRATEGIES = ("biggest_inertia", "largest_cluster")
_INITS = ("k-means++", "random")
_N_LOCAL_TRIALS = 2 + int(math.log(2))  # scikit-learn's greedy k-means++ rule for 2 centres


@pytree_dataclass
class BisectingKMeansParams:
    """A fitted bisecting k-means model (``k`` clusters, ``2k - 1`` tree nodes).

    Attributes:
      centres: ``(k, d)`` centre of each cluster (leaf), row = label.
      labels: ``(n,)`` int32 cluster of each training point.
      inertia: sum of squared distances of the training points to their centres.
      n_iter: ``(k - 1,)`` Lloyd iterations of the run kept at each split.
      inertia_path: ``(k,)`` inertia after 0, 1, ..., k - 1 splits (non-increasing).
      splits: ``(k - 1, 3)`` int32 rows ``(parent, left, right)`` of node ids: split ``s``
        divides ``parent`` into ``2s + 1`` and ``2s + 2``; node 0 is the root.
      node_centres: ``(2k - 1, d)`` centre of each node (the root's is the mean of ``X``).
      node_inertia: ``(2k - 1,)`` SSE of each node's points about its centre.
      node_size: ``(2k - 1,)`` int32 number of training points in each node.
      node_label: ``(2k - 1,)`` int32 cluster of each leaf, -1 for split nodes.
    """

    centres: jax.Array
    labels: jax.Array
    inertia: jax.Array
    n_iter: jax.Array
    inertia_path: jax.Array
    splits: jax.Array
    node_centres: jax.Array
    node_inertia: jax.Array
    node_size: jax.Array
    node_label: jax.Array


# ----------------------------------------------------------------------------- masked 2-means


def _first_member(member):
    return jnp.argmax(member).astype(jnp.int32)


def _masked_random_init(key, X, member, n_centres: int):
    """``n_centres`` distinct members, uniformly (fewer members: padded by non-members)."""
    u = jnp.where(member, jax.random.uniform(key, member.shape), -1.0)
    _, indices = jax.lax.top_k(u, n_centres)
    return X[indices]


def _masked_kmeans_plusplus(key, X, w, n_centres: int, n_local_trials: int):
    """Greedy k-means++ with sample weights ``w`` (zero weight: never a seed)."""
    n = X.shape[0]
    member = w > 0
    x_sq = jnp.sum(X * X, axis=1)
    key_first, key_rest = jax.random.split(key)
    first = jnp.argmax(jnp.where(member, jax.random.uniform(key_first, (n,)), -1.0))
    closest = squared_distances(X[first][None, :], X, x_sq)[0]
    fallback = _first_member(member)

    def next_centre(closest, key_c):
        cumulative = jnp.cumsum(w * closest)
        u = jax.random.uniform(key_c, (n_local_trials,), closest.dtype) * cumulative[-1]
        candidates = jnp.minimum(jnp.searchsorted(cumulative, u, side="left"), n - 1)
        # u == 0 (all members at the first seed) can land on a non-member: take the
        # first member instead, as scikit-learn's search in the cluster's own rows does.
        candidates = jnp.where(member[candidates], candidates, fallback)
        d2 = jnp.minimum(closest[None, :], squared_distances(X[candidates], X, x_sq))
        best = jnp.argmin(d2 @ w)
        return d2[best], candidates[best]

    _, rest = jax.lax.scan(next_centre, closest, jax.random.split(key_rest, n_centres - 1))
    return X[jnp.concatenate([first[None], rest])]


class _Split(NamedTuple):
    centres: jax.Array  # (2, d)
    labels: jax.Array  # (n,) in {0, 1}; meaningful on the members
    inertia: jax.Array  # (2,) weighted SSE of each half about its centre
    size: jax.Array  # (2,) int32 members in each half
    n_iter: jax.Array


def _masked_lloyd(X, w, centres, max_iter: int, tol) -> _Split:
    """2-means on the members (``w > 0``): k-means' weighted Lloyd loop, absolute ``tol``."""
    k = centres.shape[0]
    out = weighted_lloyd_loop(X, w, centres, max_iter, tol)
    d2 = jnp.sum((X - out.centres[out.labels]) ** 2, axis=1)
    return _Split(centres=out.centres, labels=out.labels,
                  inertia=jax.ops.segment_sum(w * d2, out.labels, k),
                  size=jax.ops.segment_sum((w > 0).astype(jnp.int32), out.labels, k),
                  n_iter=out.it)


def _best_split(key, X, w, n_init: int, max_iter: int, tol, init: str) -> _Split:
    def one_run(key_r):
        if init == "random":
            start = _masked_random_init(key_r, X, w > 0, 2)
        else:
            start = _masked_kmeans_plusplus(key_r, X, w, 2, _N_LOCAL_TRIALS)
        return _masked_lloyd(X, w, start, max_iter, tol)

    runs = jax.vmap(one_run)(jax.random.split(key, n_init))
    best = jnp.argmin(jnp.sum(runs.inertia, axis=1))
    return jax.tree.map(lambda a: a[best], runs)


# ----------------------------------------------------------------------------- the tree


class _Tree(NamedTuple):
    node_of: jax.Array  # (n,) current leaf of each point
    order: jax.Array  # (k,) leaves in depth-first order; the first s + 1 are valid
    splits: jax.Array
    node_centres: jax.Array
    node_inertia: jax.Array
    node_size: jax.Array
    n_iter: jax.Array
    path: jax.Array


def _fit_tree(key, X, k: int, n_init: int, max_iter: int, tol, init: str,
              strategy: str) -> BisectingKMeansParams:
    n, d = X.shape
    n_nodes = 2 * k - 1
    mean = jnp.mean(X, axis=0)
    Xc = X - mean
    slots = jnp.arange(k)
    total = jnp.sum(Xc * Xc)
    tree = _Tree(node_of=jnp.zeros(n, jnp.int32), order=jnp.zeros(k, jnp.int32),
                 splits=jnp.zeros((k - 1, 3), jnp.int32),
                 node_centres=jnp.zeros((n_nodes, d), X.dtype),
                 node_inertia=jnp.zeros(n_nodes, X.dtype).at[0].set(total),
                 node_size=jnp.zeros(n_nodes, jnp.int32).at[0].set(n),
                 n_iter=jnp.zeros(k - 1, jnp.int32),
                 path=jnp.zeros(k, X.dtype).at[0].set(total))
    split_keys = jax.random.split(key, k - 1)

    def split_step(s, t: _Tree) -> _Tree:
        n_leaves = s + 1
        score = (t.node_inertia if strategy == "biggest_inertia"
                 else t.node_size.astype(X.dtype))
        pos = jnp.argmax(jnp.where(slots < n_leaves, score[t.order], -jnp.inf))
        parent = t.order[pos]
        w = (t.node_of == parent).astype(X.dtype)
        best = _best_split(split_keys[s], Xc, w, n_init, max_iter, tol, init)
        left, right = 2 * s + 1, 2 * s + 2
        children = jnp.stack([left, right]).astype(jnp.int32)
        node_of = jnp.where(w > 0, jnp.where(best.labels == 0, left, right), t.node_of)
        order = jnp.where(slots < pos, t.order,
                          jnp.where(slots == pos, left,
                                    jnp.where(slots == pos + 1, right, jnp.roll(t.order, 1))))
        node_inertia = t.node_inertia.at[children].set(best.inertia)
        leaf_sse = jnp.where(slots < n_leaves + 1, node_inertia[order], 0.0)
        return _Tree(node_of=node_of, order=order.astype(jnp.int32),
                     splits=t.splits.at[s].set(jnp.stack([parent, left, right])),
                     node_centres=t.node_centres.at[children].set(best.centres),
                     node_inertia=node_inertia,
                     node_size=t.node_size.at[children].set(best.size),
                     n_iter=t.n_iter.at[s].set(best.n_iter),
                     path=t.path.at[s + 1].set(jnp.sum(leaf_sse)))

    t = jax.lax.fori_loop(0, k - 1, split_step, tree)
    node_label = jnp.full(n_nodes, -1, jnp.int32).at[t.order].set(slots.astype(jnp.int32))
    labels = node_label[t.node_of]
    centres = t.node_centres[t.order]
    diff = Xc - centres[labels]
    return BisectingKMeansParams(
        centres=centres + mean, labels=labels, inertia=jnp.sum(diff * diff),
        n_iter=t.n_iter, inertia_path=t.path, splits=t.splits,
        node_centres=t.node_centres + mean, node_inertia=t.node_inertia,
        node_size=t.node_size, node_label=node_label)


# ----------------------------------------------------------------------------- predict


@jax.jit
def _descend(node_centres, splits, node_label, X):
    n_nodes = node_centres.shape[0]
    root = node_centres[0]  # the training mean: centre both sides on it
    d2 = squared_distances(X - root, node_centres - root)
    split_of = jnp.full(n_nodes, -1, jnp.int32).at[splits[:, 0]].set(
        jnp.arange(splits.shape[0], dtype=jnp.int32))

    def level(_, node):
        s = split_of[node]
        s_safe = jnp.maximum(s, 0)
        left, right = splits[s_safe, 1], splits[s_safe, 2]
        d_left = jnp.take_along_axis(d2, left[:, None], axis=1)[:, 0]
        d_right = jnp.take_along_axis(d2, right[:, None], axis=1)[:, 0]
        return jnp.where(s >= 0, jnp.where(d_left <= d_right, left, right), node)

    node = jax.lax.fori_loop(0, splits.shape[0], level, jnp.zeros(X.shape[0], jnp.int32))
    return node_label[node]


def _predict(params: BisectingKMeansParams, X: Any) -> jax.Array:
    X = check_X(X)
    check_n_features(X, params.centres.shape[1])
    return _descend(params.node_centres, params.splits, params.node_label, X)


# ----------------------------------------------------------------------------- factory


def _check_name(value: Any, name: str, options: tuple[str, ...]) -> str:
    if not isinstance(value, str):  # an array init (as kmeans takes) is not supported
        raise TypeError(f"{name} must be one of {options}, got {type(value).__name__}")
    return check_option(value, name, options)


def bisecting_kmeans(k: int, *, n_init: int = 1, max_iter: int = 300, tol: Any = 1e-4,
                     init: str = "k-means++",
                     bisecting_strategy: str = "biggest_inertia") -> Clusterer:
    """Bisecting k-means: ``k - 1`` 2-means splits of the chosen leaf, in one ``jit``.

    Args:
      k: number of clusters, ``2 <= k <= n_samples`` (static).
      n_init: 2-means seedings per split, the split of least inertia kept (static).
      max_iter: Lloyd iterations per 2-means run (static).
      tol: absolute bound on the total squared centre shift that stops a 2-means run
        (as scikit-learn's ``BisectingKMeans``; not scaled by the data's variance).
      init: ``"k-means++"`` (greedy, with the membership as sample weights) or
        ``"random"`` (two distinct members). scikit-learn's default is ``"random"``.
      bisecting_strategy: ``"biggest_inertia"`` (split the leaf of largest SSE) or
        ``"largest_cluster"`` (the leaf with the most points).

    Returns:
      ``Clusterer``: ``fit(key, X) -> BisectingKMeansParams``; ``predict(params, X)``
      labels by descending the split tree (nearer child at each split).
    """
    k = check_int(k, "k", minimum=2)
    n_init = check_int(n_init, "n_init", minimum=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_positive(tol, "tol", strict=False)
    init = _check_name(init, "init", _INITS)
    strategy = _check_name(bisecting_strategy, "bisecting_strategy", BISECTING_STRATEGIES)

    fit_checked = jax.jit(functools.partial(
        _fit_tree, k=k, n_init=n_init, max_iter=max_iter, tol=tol, init=init,
        strategy=strategy))

    def fit(key, X) -> BisectingKMeansParams:
        return fit_checked(key, _check_data(X, k))

    return Clusterer(fit=fit, predict=_predict)
