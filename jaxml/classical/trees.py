r"""Decision trees (CART) grown level by level inside ``jit``, stored as flat arrays.

**Layout.** A tree of static depth :math:`D` is a complete binary tree in heap order:
node :math:`k` has children :math:`2k+1` (``x[feature] <= threshold``) and :math:`2k+2`,
so the :math:`2^{D+1}-1` nodes are plain arrays (``feature``, ``threshold``, ``value``,
``impurity``, sample counts, ``is_leaf``) and a forest is the same arrays with a leading
axis. Nodes that are never reached (below a leaf) have zero samples. Prediction is a
gather loop of :math:`D` steps.

**Growth.** At depth :math:`t` every node of the level is split at once. For each
feature the samples are taken in the feature's sorted order (sorted once, at the start)
and stably regrouped by node, so one cumulative sum gives, for every candidate position,
the weighted statistics left of it within its node:

* classification: weighted class counts :math:`c_k`; with :math:`p_k = c_k / W`,
  Gini :math:`1 - \sum_k p_k^2`, entropy :math:`-\sum_k p_k \log_2 p_k` (ID3's
  information gain), or C4.5's gain ratio: the gain divided by the split information
  :math:`-\sum_{s\in\{L,R\}} (W_s/W)\log_2(W_s/W)` (Quinlan, *C4.5*, 1993; binary
  splits, without C4.5's at-least-average-gain filter);
* regression (squared error): :math:`(W, \sum w y, \sum w y^2)`, impurity the weighted
  variance;
* regression (absolute error): impurity :math:`\frac1W \sum_i w_i |y_i - m|` with
  :math:`m` the node's weighted median (its leaf value). The median does not come from
  running sums, so a child's absolute error is computed as
  :math:`\min_j \sum_{i \in \text{child}} w_i |y_i - y_j|` (the minimum over
  :math:`c` of :math:`\sum w_i |y_i - c|` is attained at a sample of the child): one
  cumulative sum of the :math:`n \times n` matrix :math:`w_i |y_i - y_j|` gives every
  prefix at once, :math:`O(n^2)` time and memory per feature and level (features are
  then searched one after another).

A candidate between consecutive values :math:`x_{(i)} < x_{(i+1)}` of one node (values
closer than ``1e-7`` count as equal, as in scikit-learn) has threshold
:math:`(x_{(i)} + x_{(i+1)})/2` and is scored by the weighted child impurity
:math:`W_L I_L + W_R I_R` (lower is better; for squared error the equivalent
:math:`-(S_L^2/W_L + S_R^2/W_R)`). The best candidate over positions and features (the
first on ties) is kept when the node is splittable: at least ``min_samples_split``
samples, both children at least ``min_samples_leaf``, impurity above zero, and weighted
impurity decrease

.. math::
    \frac{W_t}{W}\Big(I_t - \frac{W_L}{W_t} I_L - \frac{W_R}{W_t} I_R\Big)
    \ge \texttt{min\_impurity\_decrease}.

With ``splitter="best"`` and every feature a candidate this is scikit-learn's CART: on
data without tied split scores it grows the same tree (Breiman, Friedman, Olshen &
Stone, *Classification and Regression Trees*, 1984; Hastie, Tibshirani & Friedman,
*ESL* §9.2). Samples of weight zero take no part (bootstrap forests pass draw counts as
weights).

**Best-first growth** (``max_leaf_nodes``, :func:`best_first`): a node's best split
depends on its own samples only, so the tree a best-first builder grows to :math:`L`
leaves is the level-wise tree with the :math:`L - 1` splits that best-first order reaches
kept and the rest collapsed.

**Importances.** The impurity-decrease importance of feature :math:`j` sums
:math:`W_t I_t - W_L I_L - W_R I_R` over the nodes split on :math:`j`, normalised to sum 1.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from jaxml.core import (
    Classifier,
    Regressor,
    check_array,
    check_class_codes,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_same_length,
    check_X,
    check_X_y,
    is_traced,
    pytree_dataclass,
    static_field,
)

__all__ = [
    "Tree",
    "NewtonRule",
    "CLASSIFICATION_CRITERIA",
    "REGRESSION_CRITERIA",
    "grow_tree",
    "apply",
    "tree_depth",
    "feature_importances",
    "check_tree_rules",
    "check_max_leaf_nodes",
    "classification_statistics",
    "regression_statistics",
    "predict_values",
    "decision_tree_classifier",
    "decision_tree_regressor",
    "best_first",
    "prune",
    "cost_complexity_pruning_path",
]

CLASSIFICATION_CRITERIA = ("gini", "entropy", "log_loss", "gain_ratio")  # log_loss = entropy
REGRESSION_CRITERIA = ("squared_error", "absolute_error")
FEATURE_THRESHOLD = 1e-7  # values closer than this are not split apart (scikit-learn's)
NEWTON_MIN_GAIN = 1e-6  # a second-order split must gain more than this (XGBoost's kRtEps)


class NewtonRule(NamedTuple):
    r"""The second-order (XGBoost) split rule, for boosting: per-sample statistics are
    :math:`(w g, w h)`, the loss gradient and Hessian at the current prediction.

    With :math:`T_lpha(G) = \operatorname{sign}(G)\max(|G| - lpha, 0)`, a leaf's
    weight is :math:`-T_lpha(G)/(H + \lambda)`, its score
    :math:`T_lpha(G)^2/(H + \lambda)`, and a split gains
    :math:`	ext{score}_L + 	ext{score}_R - 	ext{score}_t` (Chen & Guestrin, KDD 2016,
    eq. 7, scaled by 2 as XGBoost's code does), kept when it exceeds ``min_split_loss``
    (:math:`\gamma`, passed as ``min_impurity_decrease``) — here while growing, where
    XGBoost prunes bottom-up after growing (there, a weak split above a strong one
    survives). The node "weight" is :math:`H` (XGBoost's cover), so ``min_child_weight``
    bounds the children's Hessian.
    """

    reg_lambda: Any = 1.0
    reg_alpha: Any = 0.0


def _l1_threshold(G, alpha):
    return jnp.sign(G) * jnp.maximum(jnp.abs(G) - alpha, 0.0)


@pytree_dataclass
class Tree:
    """A fitted tree in heap order (node ``k``'s children are ``2k+1`` and ``2k+2``).

    Attributes:
      feature: ``(N,)`` int32 split feature, ``-1`` at leaves and unreached nodes.
      threshold: ``(N,)`` go left when ``x[feature] <= threshold``.
      value: ``(N, K)`` class fractions (classification) or ``(N, 1)`` weighted means.
      impurity: ``(N,)`` node impurity.
      n_node_samples: ``(N,)`` int32 samples of positive weight in the node.
      weighted_n_node_samples: ``(N,)`` their total weight.
      is_leaf: ``(N,)`` bool.
      n_features: number of features seen at fit (static).
    """

    feature: jax.Array
    threshold: jax.Array
    value: jax.Array
    impurity: jax.Array
    n_node_samples: jax.Array
    weighted_n_node_samples: jax.Array
    is_leaf: jax.Array
    n_features: int = static_field(default=0)


def tree_depth(tree: Tree) -> int:
    """The static depth ``D`` of a tree's layout (``N = 2^(D+1) - 1`` nodes)."""
    return (tree.feature.shape[-1] + 1).bit_length() - 2


# ------------------------------------------------------------------------- impurities


def _impurity(stats, criterion):
    """Impurity of nodes from their statistics ``(..., K)`` (weighted class counts,
    ``(W, Σwy, Σwy²)`` for squared error, ``(W, Σw|y - median|)`` for absolute error);
    empty nodes get 0."""
    if isinstance(criterion, NewtonRule):  # W I = -score, with W = H
        G, H = stats[..., 0], stats[..., 1]
        score = _l1_threshold(G, criterion.reg_alpha) ** 2 / (H + criterion.reg_lambda)
        return jnp.where(H > 0, -score / jnp.where(H > 0, H, 1.0), 0.0)
    if criterion == "absolute_error":
        W = stats[..., 0]
        return jnp.where(W > 0, stats[..., 1] / jnp.where(W > 0, W, 1.0), 0.0)
    if criterion == "squared_error":
        W, s1, s2 = stats[..., 0], stats[..., 1], stats[..., 2]
        safe = jnp.where(W > 0, W, 1.0)
        return jnp.where(W > 0, jnp.maximum(s2 / safe - (s1 / safe) ** 2, 0.0), 0.0)
    W = jnp.sum(stats, axis=-1)
    p = stats / jnp.where(W > 0, W, 1.0)[..., None]
    if criterion == "gini":
        return jnp.where(W > 0, 1.0 - jnp.sum(p * p, axis=-1), 0.0)
    logp = jnp.log2(jnp.where(p > 0, p, 1.0))
    return jnp.where(W > 0, -jnp.sum(p * logp, axis=-1), 0.0)


def _weight(stats, criterion):
    if isinstance(criterion, NewtonRule):
        return stats[..., 1]
    return stats[..., 0] if criterion in REGRESSION_CRITERIA else jnp.sum(stats, axis=-1)


def _weighted_impurity(stats, criterion):
    """``W I`` of nodes (for absolute error, the absolute error itself)."""
    if criterion == "absolute_error":
        return stats[..., 1]
    return _weight(stats, criterion) * _impurity(stats, criterion)


def _proxy(left, right, criterion):
    """Higher is better: ``-(W_L I_L + W_R I_R)``, or for squared error the equivalent
    ``S_L²/W_L + S_R²/W_R`` (the constant ``-Σwy²`` dropped, as scikit-learn does), or
    for the gain ratio the information gain over the split information."""
    if criterion == "squared_error":
        wl, wr = left[..., 0], right[..., 0]
        return (left[..., 1] ** 2 / jnp.where(wl > 0, wl, 1.0)
                + right[..., 1] ** 2 / jnp.where(wr > 0, wr, 1.0))
    if criterion == "gain_ratio":
        parent = left + right
        W, wl = _weight(parent, criterion), _weight(left, criterion)
        gain = (W * _impurity(parent, criterion) - wl * _impurity(left, criterion)
                - (W - wl) * _impurity(right, criterion))
        p = jnp.clip(wl / jnp.where(W > 0, W, 1.0), 1e-12, 1 - 1e-12)
        split_info = -(p * jnp.log2(p) + (1 - p) * jnp.log2(1 - p))
        return gain / (jnp.where(W > 0, W, 1.0) * split_info)
    return -(_weighted_impurity(left, criterion) + _weighted_impurity(right, criterion))


# ------------------------------------------------------------------ absolute error


def _deviations(response, sample_weight):
    """``(n, n)``: sample ``i``'s weighted absolute error ``w_i |y_i - y_j|`` were the
    node's prediction the response ``y_j`` of sample ``j``."""
    return sample_weight[:, None] * jnp.abs(response[:, None] - response[None, :])


def _absolute_errors(response, sample_weight, part, n_parts):
    """Per part (``n_parts`` segments; ``part == n_parts`` is left out) the least absolute
    error ``min_c Σ w |y - c|``, attained at one of the part's own responses."""
    per_candidate = jax.ops.segment_sum(_deviations(response, sample_weight), part,
                                        num_segments=n_parts + 1)[:n_parts]
    return jnp.min(per_candidate, axis=1)


def _with_absolute_errors(left, right, response, sample_weight, group, n_groups):
    """Children statistics ``(W, absolute error)`` at each position of the grouped order
    (each node contiguous, sorted by the feature within it): the weights ``W`` from the
    running sums ``left``/``right``, the errors of the left child ending at the position
    and of the right child starting after it."""
    deviations = _deviations(response, sample_weight)
    totals = jax.ops.segment_sum(deviations, group, num_segments=n_groups + 1)
    prefix = jnp.cumsum(deviations, axis=0) - (jnp.cumsum(totals, axis=0) - totals)[group]
    return (jnp.stack([left[:, 0], jnp.min(prefix, axis=1)], axis=-1),
            jnp.stack([right[:, 0], jnp.min(totals[group] - prefix, axis=1)], axis=-1))


def _weighted_medians(response, sample_weight, group, n_groups):
    """Per node, scikit-learn's weighted median: with the node's responses sorted and
    :math:`C_k` their cumulative weight, the first response with :math:`C_k > W/2`, or
    its mean with the one before when that one has :math:`C_k = W/2` exactly."""
    n = response.shape[0]
    order = jnp.lexsort((response, group))
    g, y, w = group[order], response[order], sample_weight[order]
    w_totals = jax.ops.segment_sum(w, g, num_segments=n_groups + 1)
    cumulative = jnp.cumsum(w) - (jnp.cumsum(w_totals) - w_totals)[g]
    half = w_totals[g] / 2
    position = jnp.arange(n)
    lower = jax.ops.segment_min(jnp.where(cumulative >= half, position, n), g,
                                num_segments=n_groups + 1)[:n_groups]
    upper = jax.ops.segment_min(jnp.where(cumulative > half, position, n), g,
                                num_segments=n_groups + 1)[:n_groups]
    return (y[jnp.minimum(lower, n - 1)] + y[jnp.minimum(upper, n - 1)]) / 2


# ---------------------------------------------------------------------------- growth


def _best_split_on_feature(order, column, group, stats, counted, totals, n_totals,
                           min_samples_leaf, min_child_weight, criterion, n_groups,
                           response=None):
    """Best split of every node of the level on one feature.

    ``order``: the samples sorted by this feature; ``group``: each sample's node lane in
    the level (``n_groups`` for samples not in the level); ``response``: the targets
    (absolute error only). Returns per lane the best proxy score (``-inf`` if none), its
    threshold and the children's statistics.
    """
    by_group = jnp.argsort(group[order], stable=True)
    idx = order[by_group]  # grouped by node, sorted by the feature within each node
    g, x, s, c = group[idx], column[idx], stats[idx], counted[idx]
    n = idx.shape[0]
    base = jnp.cumsum(totals, axis=0) - totals  # statistics of the lanes before each lane
    n_base = jnp.cumsum(n_totals) - n_totals
    left = jnp.cumsum(s, axis=0) - base[g]
    right = totals[g] - left
    if criterion == "absolute_error":
        left, right = _with_absolute_errors(left, right, response[idx], s[:, 0], g, n_groups)
    n_left = jnp.cumsum(c) - n_base[g]
    n_right = n_totals[g] - n_left
    next_x = jnp.concatenate([x[1:], jnp.full((1,), jnp.inf, x.dtype)])
    next_g = jnp.concatenate([g[1:], jnp.full((1,), -1, g.dtype)])
    valid = ((g < n_groups) & (next_g == g) & (next_x > x + FEATURE_THRESHOLD)
             & (n_left >= min_samples_leaf) & (n_right >= min_samples_leaf)
             & (_weight(left, criterion) >= min_child_weight)
             & (_weight(right, criterion) >= min_child_weight))
    score = jnp.where(valid, _proxy(left, right, criterion), -jnp.inf)
    best = jax.ops.segment_max(score, g, num_segments=n_groups + 1)[:n_groups]
    hit = valid & (score == best[jnp.minimum(g, n_groups - 1)])
    first = jax.ops.segment_min(jnp.where(hit, jnp.arange(n), n), g,
                                num_segments=n_groups + 1)[:n_groups]
    pos = jnp.minimum(first, n - 2)
    lo, hi = x[pos], x[pos + 1]
    threshold = lo / 2 + hi / 2
    threshold = jnp.where((threshold == hi) | ~jnp.isfinite(threshold), lo, threshold)
    return best, threshold, left[pos], right[pos], _varies(column, group, n_groups)


def _varies(column, group, n_groups):
    """Per lane: does the feature take more than one value (beyond ``FEATURE_THRESHOLD``)
    in the node? Constant features are not counted against ``max_features``."""
    hi = jax.ops.segment_max(column, group, num_segments=n_groups + 1)[:n_groups]
    lo = jax.ops.segment_min(column, group, num_segments=n_groups + 1)[:n_groups]
    return hi > lo + FEATURE_THRESHOLD


def _random_split_on_feature(column, uniform, group, stats, counted, totals, n_totals,
                             min_samples_leaf, min_child_weight, criterion, n_groups,
                             response=None):
    """Extremely randomised split of every node of the level on one feature: the
    threshold is drawn uniformly between the node's smallest and largest value
    (``uniform``: one U(0, 1) draw per lane), then scored like a best split."""
    hi = jax.ops.segment_max(column, group, num_segments=n_groups + 1)[:n_groups]
    lo = jax.ops.segment_min(column, group, num_segments=n_groups + 1)[:n_groups]
    threshold = lo + uniform * (hi - lo)
    threshold = jnp.where(threshold == hi, lo, threshold)
    lane = jnp.minimum(group, n_groups - 1)
    goes_left = ((group < n_groups) & (column <= threshold[lane]))
    left = jax.ops.segment_sum(stats * goes_left[:, None], group,
                               num_segments=n_groups + 1)[:n_groups]
    n_left = jax.ops.segment_sum(counted * goes_left, group, num_segments=n_groups + 1)[:n_groups]
    right, n_right = totals[:n_groups] - left, n_totals[:n_groups] - n_left
    if criterion == "absolute_error":
        w = stats[:, 0]
        left_part = jnp.where(goes_left, group, n_groups)
        right_part = jnp.where(goes_left, n_groups, group)
        left = jnp.stack([left[:, 0], _absolute_errors(response, w, left_part, n_groups)], -1)
        right = jnp.stack([right[:, 0], _absolute_errors(response, w, right_part, n_groups)], -1)
    valid = ((hi > lo + FEATURE_THRESHOLD) & (n_left >= min_samples_leaf)
             & (n_right >= min_samples_leaf) & (_weight(left, criterion) >= min_child_weight)
             & (_weight(right, criterion) >= min_child_weight))
    score = jnp.where(valid, _proxy(left, right, criterion), -jnp.inf)
    return score, threshold, left, right, hi > lo + FEATURE_THRESHOLD


def _choose_features(key, varies, max_features):
    """Per lane, ``max_features`` features drawn at random without replacement from
    those that vary in the node (all of them when fewer vary); ``(d, lanes)`` mask."""
    d, lanes = varies.shape
    order = jnp.argsort(jax.random.uniform(key, (lanes, d)), axis=1)  # a random order
    varies_in_order = jnp.take_along_axis(varies.T, order, axis=1)
    take_in_order = varies_in_order & (jnp.cumsum(varies_in_order, axis=1) <= max_features)
    chosen = jnp.zeros((lanes, d), bool).at[jnp.arange(lanes)[:, None], order].set(take_in_order)
    return chosen.T


def grow_tree(X, stats, sample_weight, *, criterion: str, max_depth: int,
              min_samples_split=2, min_samples_leaf=1, min_impurity_decrease=0.0,
              response=None, splitter: str = "best", max_features: int | None = None,
              key=None, min_child_weight=0.0) -> Tree:
    """Grow one tree from per-sample statistics (jittable; ``max_depth`` is static).

    Args:
      X: ``(n, d)`` features.
      stats: ``(n, K)`` per-sample weighted statistics (``w·onehot(y)`` for
        classification, ``(w, w y, w y²)`` for squared and absolute error).
      sample_weight: ``(n,)`` non-negative weights (zero: the sample takes no part).
      criterion: one of :data:`CLASSIFICATION_CRITERIA` or :data:`REGRESSION_CRITERIA`,
        or a :class:`NewtonRule` (boosting; ``stats`` are then ``(w g, w h)`` and
        ``min_impurity_decrease`` is XGBoost's ``min_split_loss``, not divided by the
        total weight).
      max_depth: static depth of the layout (``>= 1``).
      min_samples_split, min_samples_leaf, min_impurity_decrease: pre-pruning (may be
        traced).
      response: ``(n,)`` targets, needed for regression (squared-error impurities are
        computed in two passes, around the node mean, for accuracy; absolute error needs
        the targets themselves); ``None`` for classification.
      splitter: ``"best"`` (every threshold of every candidate feature) or ``"random"``
        (one uniform threshold per candidate feature: extra-trees).
      max_features: static number of candidate features drawn per node (random forests),
        or ``None`` for all; features constant in the node are not counted.
      key: PRNG key, needed for ``splitter="random"`` or ``max_features``.
      min_child_weight: least total weight of a child (Hessian for a NewtonRule).
    """
    if (splitter == "random" or max_features is not None) and key is None:
        raise ValueError("key is required for splitter='random' or max_features")
    if criterion in REGRESSION_CRITERIA and response is None:
        raise ValueError(f"response (the targets) is required for criterion={criterion!r}")
    n, d = X.shape
    D = max_depth
    n_nodes = 2 ** (D + 1) - 1
    lanes = 2 ** (D - 1) if D >= 1 else 1  # widest level that is split
    order = jnp.argsort(X, axis=0)
    counted = (sample_weight > 0).astype(jnp.int32)
    W_root = jnp.sum(sample_weight)
    eps = jnp.finfo(X.dtype).eps
    K = stats.shape[1]
    newton = isinstance(criterion, NewtonRule)
    value_width = 1 if newton or criterion in REGRESSION_CRITERIA else K
    absolute = criterion == "absolute_error"

    def level_summary(node, t, width):
        """Statistics of the nodes of level ``t`` (``width`` lanes)."""
        offset = 2 ** t - 1
        local = node - offset
        in_level = (counted > 0) & (local >= 0) & (local < 2 ** t)
        group = jnp.where(in_level, local, width)
        totals = jax.ops.segment_sum(stats, group, num_segments=width + 1)
        n_totals = jax.ops.segment_sum(counted, group, num_segments=width + 1)
        if newton:
            G, W = totals[:width, 0], totals[:width, 1]
            impurity = _impurity(totals[:width], criterion)
            value = (-_l1_threshold(G, criterion.reg_alpha) / (W + criterion.reg_lambda))[:, None]
            scale = None
        elif absolute:
            W = totals[:width, 0]
            safe = jnp.where(W > 0, W, 1.0)
            impurity = jnp.where(W > 0, _absolute_errors(response, sample_weight, group,
                                                         width) / safe, 0.0)
            value = _weighted_medians(response, sample_weight, group, width)[:, None]
            magnitude = jax.ops.segment_sum(sample_weight * jnp.abs(response), group,
                                            num_segments=width + 1)[:width]
            scale = jnp.where(W > 0, magnitude / safe, 0.0)
        elif criterion == "squared_error":
            W = totals[:width, 0]
            mean = totals[:width, 1] / jnp.where(W > 0, W, 1.0)
            centred = sample_weight * (response - jnp.append(mean, 0.0)[group]) ** 2
            spread = jax.ops.segment_sum(centred, group, num_segments=width + 1)[:width]
            impurity = jnp.where(W > 0, spread / jnp.where(W > 0, W, 1.0), 0.0)
            value = mean[:, None]
            scale = jnp.where(W > 0, totals[:width, 2] / jnp.where(W > 0, W, 1.0), 0.0)
        else:
            W = jnp.sum(totals[:width], axis=1)
            impurity = _impurity(totals[:width], criterion)
            value = totals[:width] / jnp.where(W > 0, W, 1.0)[:, None]
            scale = jnp.ones_like(W)
        return group, totals, n_totals, W, impurity, value, scale, offset

    def write(arrays, offset, t, width, **columns):
        lane = jnp.arange(width)
        slot = jnp.where(lane < 2 ** t, offset + lane, n_nodes)  # out of range: dropped
        return {k: arrays[k].at[slot].set(columns[k].astype(arrays[k].dtype), mode="drop")
                if k in columns else arrays[k] for k in arrays}

    arrays = dict(
        feature=jnp.full((n_nodes,), -1, jnp.int32),
        threshold=jnp.zeros((n_nodes,), X.dtype),
        value=jnp.zeros((n_nodes, value_width), X.dtype),
        impurity=jnp.zeros((n_nodes,), X.dtype),
        n_node_samples=jnp.zeros((n_nodes,), jnp.int32),
        weighted_n_node_samples=jnp.zeros((n_nodes,), X.dtype),
        is_leaf=jnp.ones((n_nodes,), bool),
    )

    def split_level(t, carry):
        node, arrays = carry
        group, totals, n_totals, W, impurity, value, scale, offset = level_summary(node, t, lanes)
        if splitter == "best":
            def search(o, column):
                return _best_split_on_feature(
                    o, column, group, stats, counted, totals, n_totals, min_samples_leaf,
                    min_child_weight, criterion, lanes, response)
            per_feature = (order.T, X.T)
        else:
            def search(column, u):
                return _random_split_on_feature(
                    column, u, group, stats, counted, totals, n_totals, min_samples_leaf,
                    min_child_weight, criterion, lanes, response)
            per_feature = (X.T, jax.random.uniform(jax.random.fold_in(key, 2 * t),
                                                   (d, lanes), X.dtype))
        if absolute:  # n x n per feature: one feature at a time
            found = lax.map(lambda args: search(*args), per_feature)
        else:
            found = jax.vmap(search)(*per_feature)
        score, threshold, left, right, varies = found  # (d, lanes, ...)
        if max_features is not None:
            chosen = _choose_features(jax.random.fold_in(key, 2 * t + 1), varies, max_features)
            score = jnp.where(chosen, score, -jnp.inf)
        best = jnp.argmax(score, axis=0)  # (lanes,) first feature on ties
        lane = jnp.arange(lanes)
        score, threshold = score[best, lane], threshold[best, lane]
        left, right = left[best, lane], right[best, lane]
        children = _weighted_impurity(left, criterion) + _weighted_impurity(right, criterion)
        n_t = n_totals[:lanes]
        split = (jnp.isfinite(score) & (n_t >= min_samples_split)
                 & (n_t >= 2 * min_samples_leaf))
        if newton:  # the gain itself, against gamma
            decrease = W * impurity - children
            split = split & (decrease > NEWTON_MIN_GAIN) & (decrease >= min_impurity_decrease)
        else:
            decrease = (W * impurity - children) / W_root
            split = (split & (impurity > eps * scale)
                     & (decrease + eps >= min_impurity_decrease))
        arrays = write(arrays, offset, t, lanes, feature=jnp.where(split, best, -1),
                       threshold=jnp.where(split, threshold, 0.0), value=value,
                       impurity=impurity, n_node_samples=n_t, weighted_n_node_samples=W,
                       is_leaf=~split)
        g = jnp.minimum(group, lanes - 1)
        x = jnp.take_along_axis(X, best[g][:, None], axis=1)[:, 0]
        moves = (group < lanes) & split[g]
        node = jnp.where(moves, 2 * node + 1 + (x > threshold[g]), node)
        return node, arrays

    node = jnp.zeros((n,), jnp.int32)
    node, arrays = lax.fori_loop(0, D, split_level, (node, arrays))
    # the last level: leaves
    width = 2 ** D
    group, _, n_totals, W, impurity, value, _, offset = level_summary(node, D, width)
    arrays = write(arrays, offset, D, width, value=value, impurity=impurity,
                   n_node_samples=n_totals[:width], weighted_n_node_samples=W)
    return Tree(**arrays, n_features=d)


def apply(tree: Tree, X) -> jax.Array:
    """Index of the leaf each row of ``X`` falls in (``(n,)`` int32)."""
    def step(_, node):
        feature = jnp.maximum(tree.feature[node], 0)
        x = jnp.take_along_axis(X, feature[:, None], axis=1)[:, 0]
        child = 2 * node + 1 + (x > tree.threshold[node]).astype(jnp.int32)
        return jnp.where(tree.is_leaf[node], node, child)

    return lax.fori_loop(0, tree_depth(tree), step, jnp.zeros((X.shape[0],), jnp.int32))


def feature_importances(tree: Tree) -> jax.Array:
    """Impurity-decrease importances ``(n_features,)``, summing to 1 (all 0 for a tree
    that never split)."""
    n_nodes = tree.feature.shape[0]
    internal = ~tree.is_leaf & (tree.n_node_samples > 0)
    k = jnp.arange(n_nodes)
    left, right = jnp.minimum(2 * k + 1, n_nodes - 1), jnp.minimum(2 * k + 2, n_nodes - 1)
    wi = tree.weighted_n_node_samples * tree.impurity
    gain = jnp.where(internal, wi - wi[left] - wi[right], 0.0)
    d = tree.n_features
    total = jax.ops.segment_sum(gain, jnp.where(internal, tree.feature, d),
                                num_segments=d + 1)[:d]
    norm = jnp.sum(total)
    return jnp.where(norm > 0, total / jnp.where(norm > 0, norm, 1.0), 0.0)


# ------------------------------------------------------------------------- estimators


def check_tree_rules(max_depth, min_samples_split, min_samples_leaf,
                     min_impurity_decrease) -> None:
    """The pre-pruning hyperparameters (shared by trees, forests and boosting)."""
    check_int(max_depth, "max_depth", minimum=1)
    if max_depth > 20:
        raise ValueError(f"max_depth must be <= 20 (the layout holds 2^(max_depth+1) - 1 "
                         f"nodes), got {max_depth}")
    check_int(min_samples_split, "min_samples_split", minimum=2)
    check_int(min_samples_leaf, "min_samples_leaf", minimum=1)
    check_positive(min_impurity_decrease, "min_impurity_decrease", strict=False)


def _weights(sample_weight, X):
    if sample_weight is None:
        return jnp.ones((X.shape[0],), X.dtype)
    w = check_array(sample_weight, "sample_weight", ndim=1, dtype_kind="f").astype(X.dtype)
    check_same_length(X, w, "X", "sample_weight")
    if not is_traced(w) and bool(jnp.any(w < 0)):
        raise ValueError("sample_weight must be non-negative")
    return w


def classification_statistics(X, y, sample_weight=None, n_classes=None):
    """Checked ``(X, stats, w)`` for a classification tree: ``stats = w · onehot(y)``."""
    K = check_class_codes(y, n_classes=n_classes)
    X, y = check_X_y(X, y, y_kind="i")
    w = _weights(sample_weight, X)
    return X, w[:, None] * jax.nn.one_hot(y, K, dtype=X.dtype), w


def regression_statistics(X, y, sample_weight=None):
    """Checked ``(X, stats, w, y)`` for a squared-error tree: ``stats = (w, w y, w y²)``."""
    X, y = check_X_y(X, y)
    y = y.astype(X.dtype)
    w = _weights(sample_weight, X)
    return X, jnp.stack([w, w * y, w * y * y], axis=1), w, y


def predict_values(tree: Tree, X) -> jax.Array:
    """The leaf values ``(n, K)`` of a tree (or ``(T, n, K)`` of a forest: a leading
    axis on every array) at checked ``X``."""
    X = check_X(X)
    check_n_features(X, tree.n_features)
    return _leaf_values(tree, X)


@jax.jit
def _leaf_values(tree: Tree, X) -> jax.Array:
    if tree.feature.ndim == 2:
        return jax.vmap(lambda t: t.value[apply(t, X)])(tree)
    return tree.value[apply(tree, X)]


def check_max_leaf_nodes(max_leaf_nodes) -> None:
    """``None`` (no limit) or an int of at least 2."""
    if max_leaf_nodes is not None:
        check_int(max_leaf_nodes, "max_leaf_nodes", minimum=2)


def _post_prune(tree: Tree, ccp_alpha, max_leaf_nodes=None) -> Tree:
    """Best-first selection (``max_leaf_nodes``), then cost-complexity pruning."""
    if max_leaf_nodes is not None:
        tree = best_first(tree, max_leaf_nodes)
    if not is_traced(ccp_alpha) and float(ccp_alpha) == 0.0:
        return tree  # nothing to prune: skip the pruning loop
    return prune(tree, ccp_alpha)


def decision_tree_classifier(*, criterion: str = "gini", max_depth: int = 5,
                             min_samples_split=2, min_samples_leaf=1,
                             min_impurity_decrease=0.0, ccp_alpha=0.0,
                             max_leaf_nodes: int | None = None,
                             n_classes: int | None = None) -> Classifier:
    """CART classification tree (see the module docstring for the growth rule).

    Args:
      criterion: ``"gini"``, ``"entropy"``, ``"log_loss"`` (the same as entropy) or
        ``"gain_ratio"`` (C4.5's; node impurity is the entropy).
      max_depth: static depth (``1..20``); the layout holds ``2^(max_depth+1) - 1`` nodes.
      min_samples_split, min_samples_leaf, min_impurity_decrease: pre-pruning, as in
        scikit-learn.
      ccp_alpha: post-pruning (minimal cost-complexity, :func:`prune`; traceable, so a
        CV over it is one ``vmap``: ``model_selection.grid_search``).
      max_leaf_nodes: ``None`` or a static int ``>= 2``: best-first growth to at most
        that many leaves (:func:`best_first`, scikit-learn's rule), within ``max_depth``;
        ``ccp_alpha`` then prunes the result, as in scikit-learn.
      n_classes: number of classes (needed under ``jit``; else ``max(y) + 1``).

    Returns:
      ``Classifier``: ``fit(X, y, sample_weight=None) -> Tree``; ``predict_proba`` gives
      the leaf's weighted class fractions.
    """
    check_option(criterion, "criterion", CLASSIFICATION_CRITERIA)
    check_tree_rules(max_depth, min_samples_split, min_samples_leaf, min_impurity_decrease)
    rule = "entropy" if criterion == "log_loss" else criterion

    check_positive(ccp_alpha, "ccp_alpha", strict=False)
    check_max_leaf_nodes(max_leaf_nodes)

    @jax.jit
    def fit_checked(X, stats, w) -> Tree:  # one compiled program on validated inputs
        tree = grow_tree(X, stats, w, criterion=rule, max_depth=max_depth,
                         min_samples_split=min_samples_split,
                         min_samples_leaf=min_samples_leaf,
                         min_impurity_decrease=min_impurity_decrease)
        return _post_prune(tree, ccp_alpha, max_leaf_nodes)

    def fit(X, y, sample_weight=None) -> Tree:
        return fit_checked(*classification_statistics(X, y, sample_weight, n_classes))

    def predict_proba(tree: Tree, X):
        return predict_values(tree, X)

    def predict(tree: Tree, X):
        return jnp.argmax(predict_proba(tree, X), axis=1).astype(jnp.int32)

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)


def decision_tree_regressor(*, criterion: str = "squared_error", max_depth: int = 5,
                            min_samples_split=2, min_samples_leaf=1,
                            min_impurity_decrease=0.0, ccp_alpha=0.0,
                            max_leaf_nodes: int | None = None) -> Regressor:
    """CART regression tree; the arguments are :func:`decision_tree_classifier`'s, with
    ``criterion`` ``"squared_error"`` (leaf value: the weighted mean) or
    ``"absolute_error"`` (leaf value: the weighted median; the split search then costs
    :math:`O(n^2)` memory per feature, see the module docstring).

    Returns:
      ``Regressor``: ``fit(X, y, sample_weight=None) -> Tree``, ``predict(tree, X)``.
    """
    check_option(criterion, "criterion", REGRESSION_CRITERIA)
    check_tree_rules(max_depth, min_samples_split, min_samples_leaf, min_impurity_decrease)

    check_positive(ccp_alpha, "ccp_alpha", strict=False)
    check_max_leaf_nodes(max_leaf_nodes)

    @jax.jit
    def fit_checked(X, stats, w, y) -> Tree:  # one compiled program on validated inputs
        tree = grow_tree(X, stats, w, criterion=criterion, max_depth=max_depth,
                         min_samples_split=min_samples_split,
                         min_samples_leaf=min_samples_leaf,
                         min_impurity_decrease=min_impurity_decrease, response=y)
        return _post_prune(tree, ccp_alpha, max_leaf_nodes)

    def fit(X, y, sample_weight=None) -> Tree:
        return fit_checked(*regression_statistics(X, y, sample_weight))

    def predict(tree: Tree, X):
        return predict_values(tree, X)[:, 0]

    return Regressor(fit=fit, predict=predict)


# --------------------------------------------------------------------------- pruning


@pytree_dataclass
class PruningPath:
    """Minimal cost-complexity pruning path: the pruned trees for increasing
    :math:`\\alpha`. Entries ``[:length]`` are used, the rest are NaN (the path's length
    depends on the tree, its storage on the layout only).

    Attributes:
      ccp_alphas: ``(N_internal + 1,)`` effective alphas, starting at 0 (the full tree).
      impurities: total weighted leaf impurity :math:`\\sum_{leaves} (W_t/W) I_t` of
        the tree pruned at each alpha.
      length: number of path entries.
    """

    ccp_alphas: jax.Array
    impurities: jax.Array
    length: jax.Array


def _preorder_rank(depth: int) -> jax.Array:
    """Depth-first (pre-order) position of every heap node of a complete tree: the order
    scikit-learn numbers nodes in, used to break ties between equal effective alphas."""
    import numpy as np

    size = 2 ** (depth + 1) - 1
    rank = np.zeros(size, np.int32)
    for k in range(size):
        level = (k + 1).bit_length() - 1
        if 2 * k + 2 < size:
            rank[2 * k + 1] = rank[k] + 1
            rank[2 * k + 2] = rank[k] + 1 + 2 ** (depth - level) - 1
    return jnp.asarray(rank)


def _weakest_link_pruning(tree: Tree, ccp_alpha=None):
    """Breiman et al.'s weakest-link pruning (ESL §9.2.2), one node per step.

    With node risk :math:`R(t) = (W_t/W) I_t` and :math:`R(T_t)` the sum over the leaves
    of the branch at :math:`t`, the effective alpha of an internal node is

    .. math::  g(t) = \\frac{R(t) - R(T_t)}{|\\mathrm{leaves}(T_t)| - 1};

    each step turns the node of smallest :math:`g` into a leaf (ties: the first in
    depth-first order, as scikit-learn) and records :math:`g` and the new total leaf
    risk. Without ``ccp_alpha`` it runs to the root (the path); with it, it stops before
    the first :math:`g >` ``ccp_alpha`` (the pruned tree).
    """
    D = tree_depth(tree)
    n_nodes = tree.feature.shape[0]
    n_internal = 2 ** D - 1
    k = jnp.arange(n_nodes)
    left, right = jnp.minimum(2 * k + 1, n_nodes - 1), jnp.minimum(2 * k + 2, n_nodes - 1)
    risk = tree.weighted_n_node_samples * tree.impurity / tree.weighted_n_node_samples[0]
    rank = _preorder_rank(D)
    limit = jnp.inf if ccp_alpha is None else ccp_alpha

    def branches(leaf):
        """Leaf risk sum and leaf count of every node's branch, bottom-up in D sweeps."""
        def sweep(_, acc):
            r, c = acc
            return (jnp.where(leaf, risk, r[left] + r[right]),
                    jnp.where(leaf, 1, c[left] + c[right]))
        return lax.fori_loop(0, D + 1, sweep, (risk, jnp.ones((n_nodes,), jnp.int32)))

    def effective(state):
        leaf, reached = state[0], state[1]
        r_branch, n_leaves = branches(leaf)
        candidate = ~leaf & reached
        g = jnp.where(candidate, (risk - r_branch) / jnp.maximum(n_leaves - 1, 1), jnp.inf)
        return g, r_branch

    def cond(state):
        g, _ = effective(state)
        # ccp_alpha = 0 prunes nothing (as scikit-learn), even zero-gain splits
        return jnp.isfinite(jnp.min(g)) & (jnp.min(g) <= limit) & (limit > 0)

    def body(state):
        leaf, reached, step, alphas, impurities = state
        g, r_branch = effective(state)
        g_min = jnp.min(g)
        node = jnp.argmin(jnp.where(g == g_min, rank, n_nodes + 1))
        below = jnp.zeros((n_nodes,), bool)
        for shift in range(1, D + 1):  # j lies below node if an ancestor of j is node
            below = below | (((k + 1) >> shift) - 1 == node) & (k + 1 >= 2 ** shift)
        total = r_branch[0] + risk[node] - r_branch[node]
        return (leaf.at[node].set(True), reached & ~below, step + 1,
                alphas.at[step].set(g_min), impurities.at[step].set(total))

    reached = tree.n_node_samples > 0
    leaf = tree.is_leaf | ~reached
    alphas = jnp.full((n_internal + 1,), jnp.nan, risk.dtype).at[0].set(0.0)
    impurities = jnp.full((n_internal + 1,), jnp.nan, risk.dtype)
    impurities = impurities.at[0].set(branches(leaf)[0][0])
    return lax.while_loop(cond, body, (leaf, reached, jnp.asarray(1), alphas, impurities))


def cost_complexity_pruning_path(tree: Tree) -> PruningPath:
    """The full minimal cost-complexity pruning path of a fitted tree (jittable); equals
    scikit-learn's ``cost_complexity_pruning_path`` for the same tree."""
    _, _, length, alphas, impurities = _weakest_link_pruning(tree)
    return PruningPath(ccp_alphas=alphas, impurities=impurities, length=length)


def prune(tree: Tree, ccp_alpha) -> Tree:
    """The subtree of minimal cost-complexity for ``ccp_alpha`` (``>= 0``, may be traced):
    every branch whose effective alpha is at most ``ccp_alpha`` collapses to a leaf
    (scikit-learn's ``ccp_alpha``). Nodes below a new leaf are emptied."""
    check_positive(ccp_alpha, "ccp_alpha", strict=False)
    leaf, reached, *_ = _weakest_link_pruning(tree, ccp_alpha)
    return _collapse(tree, leaf, reached)


def _collapse(tree: Tree, leaf: jax.Array, reached: jax.Array) -> Tree:
    """The tree with the nodes in ``leaf`` made leaves and the nodes outside ``reached``
    (those below a new leaf) emptied."""
    gone = leaf | ~reached
    return tree.replace(
        feature=jnp.where(gone, -1, tree.feature),
        threshold=jnp.where(gone, 0.0, tree.threshold).astype(tree.threshold.dtype),
        is_leaf=gone,
        n_node_samples=jnp.where(reached, tree.n_node_samples, 0),
        weighted_n_node_samples=jnp.where(reached, tree.weighted_n_node_samples, 0.0),
    )


def best_first(tree: Tree, max_leaf_nodes: int) -> Tree:
    """The tree a best-first builder grows to at most ``max_leaf_nodes`` leaves
    (scikit-learn's ``max_leaf_nodes``; LightGBM's leaf-wise growth).

    Best-first growth keeps a frontier of leaves and repeatedly splits the one whose
    split decreases the weighted impurity most, :math:`W_t I_t - W_L I_L - W_R I_R`,
    until there are ``max_leaf_nodes`` leaves or no leaf can be split. A node's best
    split depends only on its own samples, not on the order nodes are split in, so the
    best-first tree is the level-wise tree of the same ``max_depth`` with only the splits
    that best-first growth reaches: ``max_leaf_nodes - 1`` steps of an argmax over the
    reached, split nodes (ties: the lowest heap index). Jittable.

    Args:
      tree: a grown :class:`Tree` (not a forest).
      max_leaf_nodes: static int ``>= 2``.
    """
    max_leaf_nodes = check_int(max_leaf_nodes, "max_leaf_nodes", minimum=2)
    if tree.feature.ndim != 1:
        raise ValueError("best_first takes one tree; vmap it over a forest")
    n_nodes = tree.feature.shape[0]
    k = jnp.arange(n_nodes)
    left, right = jnp.minimum(2 * k + 1, n_nodes - 1), jnp.minimum(2 * k + 2, n_nodes - 1)
    wi = tree.weighted_n_node_samples * tree.impurity
    split = ~tree.is_leaf & (tree.n_node_samples > 0)
    gain = jnp.where(split, wi - wi[left] - wi[right], -jnp.inf)

    def expand(_, state):
        reached, kept = state
        candidates = jnp.where(reached & ~kept, gain, -jnp.inf)
        node = jnp.argmax(candidates)
        grows = jnp.isfinite(candidates[node])
        reached = reached.at[left[node]].max(grows).at[right[node]].max(grows)
        return reached, kept.at[node].max(grows)

    reached, kept = lax.fori_loop(0, max_leaf_nodes - 1, expand, (k == 0, jnp.zeros_like(split)))
    return _collapse(tree, ~kept, reached)
