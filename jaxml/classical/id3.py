r"""Multiway decision trees on categorical features: ID3 (Quinlan 1986) and C4.5's gain ratio.

Every feature is categorical, coded :math:`0, \dots, K-1`. A node with class counts
:math:`n_k` (entropy :math:`H = -\sum_k p_k \log_2 p_k`) splits on the feature :math:`j`
that maximises the information gain

.. math::

    \mathrm{IG}(j) = H(\text{node}) - \sum_{c=0}^{K-1} \frac{n_c}{n} H(\text{child } c),

with one child per category :math:`c` of feature :math:`j`, or C4.5's gain ratio
:math:`\mathrm{IG}(j) / \mathrm{SplitInfo}(j)`, :math:`\mathrm{SplitInfo}(j) =
-\sum_c \frac{n_c}{n} \log_2 \frac{n_c}{n}`, which stops many-valued features from winning
by fragmenting the data. A feature is used at most once on a path (its children are pure
in it). A node becomes a leaf when it is pure, has fewer than ``min_samples_split`` rows,
no unused feature gains anything, or it sits at ``max_depth``. Ties go to the lowest
feature index. A category that no training row of a node shows gets an empty child that
predicts the parent's class distribution.

Layout: a complete :math:`K`-ary tree of static depth :math:`D` in heap order (child
:math:`c` of node :math:`i` is :math:`Ki + c + 1`), so growth is one ``fori_loop`` over
levels under ``jit`` and prediction is :math:`D` gathers.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from jaxml.classical.trees import _impurity
from jaxml.core import check_array, check_int, check_option, check_same_length
from jaxml.core.estimator import Classifier
from jaxml.core.pytree import pytree_dataclass, static_field

__all__ = ["MultiwayTree", "id3_classifier"]

MULTIWAY_CRITERIA = ("entropy", "gain_ratio")
MIN_GAIN = 1e-7  # a split must gain more than this many bits (guards rounding noise)


@pytree_dataclass
class MultiwayTree:
    """``feature``: ``(N,)`` split feature per node, ``-1`` at leaves and unreached nodes;
    ``proba``: ``(N, C)`` class distribution per node; ``n_node_samples``: ``(N,)``;
    ``n_categories`` (``K``) and ``max_depth`` (``D``) are static, ``N = (K^{D+1}-1)/(K-1)``."""

    feature: jax.Array
    proba: jax.Array
    n_node_samples: jax.Array
    n_categories: int = static_field()
    max_depth: int = static_field()


def _level_offset(t, K):
    return (K**t - 1) // (K - 1)


@functools.partial(jax.jit, static_argnames=("K", "C", "D", "criterion", "min_samples_split"))
def _grow(X, y, *, K, C, D, criterion, min_samples_split):
    n, d = X.shape
    n_nodes = _level_offset(D + 1, K)
    feature = jnp.full((n_nodes,), -1, jnp.int32)
    proba = jnp.zeros((n_nodes, C), jnp.float32)
    sizes = jnp.zeros((n_nodes,), jnp.int32)
    node = jnp.zeros((n,), jnp.int32)  # each row's node at the current level
    used = jnp.zeros((n_nodes, d), bool)  # features used on the path to each node
    root_counts = jnp.bincount(y, length=C).astype(jnp.float32)
    proba = proba.at[0].set(root_counts / n)

    for t in range(D + 1):  # static: the level widths K^t fix the shapes
        offset, width = _level_offset(t, K), K**t
        local = jnp.where(node >= 0, node - offset, width)  # settled rows: out of range
        counts = jnp.zeros((width, C)).at[local, y].add(1.0, mode="drop")
        size = counts.sum(-1)
        parent = (jnp.arange(width) + offset - 1) // K if t else jnp.zeros(width, jnp.int32)
        node_proba = jnp.where(size[:, None] > 0, counts / jnp.maximum(size, 1)[:, None],
                               proba[parent])  # empty child: the parent's distribution
        proba = jax.lax.dynamic_update_slice(proba, node_proba, (offset, 0))
        sizes = jax.lax.dynamic_update_slice(sizes, size.astype(jnp.int32), (offset,))
        if t == D:
            break
        # (width, d, K, C): class counts of every child of every candidate split
        child = jnp.zeros((width, d, K, C)).at[local[:, None], jnp.arange(d), X,
                                                y[:, None]].add(1.0, mode="drop")
        child_size = child.sum(-1)
        frac = child_size / jnp.maximum(size, 1)[:, None, None]
        gain = (_impurity(counts, "entropy")[:, None]
                - jnp.sum(frac * _impurity(child, "entropy"), axis=-1))
        if criterion == "gain_ratio":
            split_info = _impurity(child_size, "entropy")  # entropy of the child sizes
            gain = jnp.where(split_info > 0, gain / jnp.maximum(split_info, 1e-12), 0.0)
        node_used = jax.lax.dynamic_slice(used, (offset, 0), (width, d))
        gain = jnp.where(node_used, -jnp.inf, gain)
        best = jnp.argmax(gain, axis=1).astype(jnp.int32)
        best_gain = jnp.take_along_axis(gain, best[:, None], 1)[:, 0]
        pure = jnp.max(counts, axis=-1) == size
        splits = (best_gain > MIN_GAIN) & (size >= min_samples_split) & ~pure
        feature = jax.lax.dynamic_update_slice(feature, jnp.where(splits, best, -1), (offset,))
        children_used = (node_used | jax.nn.one_hot(best, d, dtype=bool)) & splits[:, None]
        children = offset + width + jnp.arange(width * K)
        used = used.at[children].set(jnp.repeat(children_used, K, axis=0))
        safe = jnp.minimum(local, width - 1)
        go = K * node + X[jnp.arange(n), best[safe]] + 1
        # a row whose node became a leaf is settled (-1): no later level counts it
        node = jnp.where((local < width) & splits[safe], go, -1)
    return feature, proba, sizes


def _reached_proba(tree: MultiwayTree, X):
    K = tree.n_categories

    def step(_, node):
        f = tree.feature[node]
        category = jnp.take_along_axis(X, jnp.maximum(f, 0)[:, None], 1)[:, 0]
        return jnp.where(f >= 0, K * node + category + 1, node)

    node = jax.lax.fori_loop(0, tree.max_depth, step, jnp.zeros((X.shape[0],), jnp.int32))
    return tree.proba[node]


def _check_codes(X, name, K):
    X = check_array(X, name, ndim=2, dtype_kind="i")
    if not isinstance(X, jax.core.Tracer):
        low, high = int(X.min()), int(X.max())
        if low < 0 or high >= K:
            raise ValueError(f"{name} must hold category codes in [0, n_categories={K}), got "
                             f"values in [{low}, {high}]")
    return X


def id3_classifier(*, n_categories: int, n_classes: int, max_depth: int = 4,
                   criterion: str = "entropy", min_samples_split: int = 2) -> Classifier:
    """ID3 (``criterion="entropy"``, information gain) or C4.5-style (``"gain_ratio"``)
    multiway tree on integer-coded categorical features.

    Args:
      n_categories: ``K``, the number of categories of the widest feature (codes in
        ``[0, K)``); static, since each node has ``K`` children.
      n_classes: number of classes (labels in ``[0, n_classes)``).
      max_depth: ``D >= 1``; the tree holds ``(K^{D+1}-1)/(K-1)`` nodes.
      criterion: ``"entropy"`` or ``"gain_ratio"``.
      min_samples_split: nodes with fewer rows are leaves.

    Returns:
      ``Classifier(fit, predict, predict_proba)`` with ``fit(X, y) -> MultiwayTree``.
    """
    K = check_int(n_categories, "n_categories", minimum=2)
    C = check_int(n_classes, "n_classes", minimum=2)
    D = check_int(max_depth, "max_depth", minimum=1)
    criterion = check_option(criterion, "criterion", MULTIWAY_CRITERIA)
    min_samples_split = check_int(min_samples_split, "min_samples_split", minimum=2)

    def fit(X, y) -> MultiwayTree:
        X = _check_codes(X, "X", K)
        y = check_array(y, "y", ndim=1, dtype_kind="i")
        check_same_length(X, y, "X", "y")
        if not isinstance(y, jax.core.Tracer) and (int(y.min()) < 0 or int(y.max()) >= C):
            raise ValueError(f"y must hold class codes in [0, n_classes={C})")
        feature, proba, sizes = _grow(X, y, K=K, C=C, D=D, criterion=criterion,
                                      min_samples_split=min_samples_split)
        return MultiwayTree(feature=feature, proba=proba, n_node_samples=sizes,
                            n_categories=K, max_depth=D)

    def predict_proba(tree: MultiwayTree, X):
        return _reached_proba(tree, _check_codes(X, "X", K))

    def predict(tree: MultiwayTree, X):
        return jnp.argmax(predict_proba(tree, X), axis=1).astype(jnp.int32)

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)
