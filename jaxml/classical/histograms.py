r"""Histogram trees (LightGBM / XGBoost ``hist`` / scikit-learn HGB style) for boosting.

**Binning, once.** Each numeric feature is cut into at most ``max_bin`` bins by edges
:math:`e_0 < e_1 < \dots` fitted on the training data: the midpoints between consecutive
distinct values when there are at most ``max_bin`` of them, else midpoint quantiles
(every bin then holds about :math:`n/\texttt{max\_bin}` samples). A value's code is the
number of edges below it, so :math:`x \le e_b \iff \mathrm{code}(x) \le b`. Categorical
features are their own codes :math:`0, \dots, \texttt{max\_bin}-1`. Missing values (NaN;
for categorical features also negative codes) get the extra code ``max_bin``.

**Histograms.** For a node the histogram holds, per feature and bin, the sums
:math:`(G, H, C)` of the weighted gradients, Hessians and the count of its samples: one
scatter-add over the node's samples. A split's children are the parent minus each other,
so only the *smaller* child is scanned (histogram subtraction): over a level that is at
most :math:`n/2` samples.

**Split search** on a histogram is a cumulative sum over bins. For a numeric feature the
left child of threshold bin :math:`b` is bins :math:`0..b`; for a categorical feature the
categories are first sorted by :math:`G_c/(H_c + \texttt{cat\_smooth})` and the left child is
a prefix of that order (for squared error this finds the best of all :math:`2^{k-1}-1`
binary partitions, Fisher 1958; LightGBM's rule). The missing bin goes to the side that
gains more (a learned default direction, Chen & Guestrin 2016, Alg. 3); where the node had
no missing values, to the child with more samples (scikit-learn's rule). With
:math:`S(G, H) = T_\alpha(G)^2/(H+\lambda)` the gain is
:math:`S(G_L, H_L) + S(G_R, H_R) - S(G, H)` and the leaf value :math:`-T_\alpha(G)/(H+\lambda)`
(:class:`jaxml.classical.trees.NewtonRule`).

**Growth.** ``policy="depthwise"`` splits every node of a level at once (XGBoost's
default): a complete tree of static depth in heap order. ``policy="leafwise"`` splits, one
at a time, the leaf of largest gain until ``num_leaves`` leaves (LightGBM's best-first
growth, Shi 2007), optionally bounded by ``max_depth``; nodes are numbered in creation
order (split ``s`` makes nodes ``2s+1`` and ``2s+2``).

A fitted :class:`HistTree` stores, per node, which codes of its feature go left
(``go_left``: ``(N, max_bin + 1)``), so numeric thresholds, categorical subsets and the
missing direction are one table lookup at prediction.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxml.classical.trees import NEWTON_MIN_GAIN, NewtonRule, _l1_threshold
from jaxml.core import (
    check_int,
    check_n_features,
    check_option,
    is_traced,
    pytree_dataclass,
    static_field,
)

__all__ = [
    "Bins",
    "HistTree",
    "POLICIES",
    "fit_bins",
    "bin_codes",
    "node_histograms",
    "grow_hist_tree",
    "apply_hist",
    "hist_feature_importances",
]

POLICIES = ("depthwise", "leafwise")


@pytree_dataclass
class Bins:
    """Fitted bin edges.

    Attributes:
      edges: ``(d, max_bin - 1)`` ascending edges per numeric feature (``+inf`` padding;
        unused for categorical features).
      categorical: per feature, whether it is categorical (static).
      max_bin: bins of non-missing values; code ``max_bin`` is the missing bin (static).
    """

    edges: jax.Array
    categorical: tuple[bool, ...] = static_field(default=())
    max_bin: int = static_field(default=255)


def _column_edges(column, weight, max_bin: int):
    """Edges of one numeric column (NaN ignored), ``(max_bin - 1,)`` with +inf padding."""
    order = jnp.argsort(column)  # NaN last
    s = column[order]
    n_valid = jnp.sum(~jnp.isnan(column))
    n = s.shape[0]
    i = jnp.arange(n - 1)
    boundary = (i + 1 < n_valid) & (s[1:] > s[:-1])
    n_distinct = 1 + jnp.sum(boundary)
    midpoints = s[:-1] / 2 + s[1:] / 2
    # few distinct values: every boundary between them is an edge
    where = jnp.nonzero(boundary, size=max_bin - 1, fill_value=0)[0]
    distinct_edges = jnp.where(jnp.arange(max_bin - 1) < n_distinct - 1, midpoints[where], jnp.inf)
    # many: at the weighted quantiles t_b = b/max_bin of the total weight, b = 1..max_bin-1,
    # the edge lies just above the value whose cumulative weight first reaches t_b (with
    # integer weights: the bins of the rows repeated by their weights)
    cum = jnp.cumsum(jnp.where(jnp.isnan(s), 0.0, weight[order]))
    targets = jnp.arange(1, max_bin) * cum[-1] / max_bin
    hi = jnp.clip(jnp.searchsorted(cum, targets, side="left") + 1, 1, jnp.maximum(n_valid - 1, 1))
    quantile_edges = s[hi - 1] / 2 + s[hi] / 2
    return jnp.where(n_distinct <= max_bin, distinct_edges, quantile_edges)


def fit_bins(X, *, max_bin: int = 255, categorical: tuple[int, ...] = (),
             sample_weight=None) -> Bins:
    """Fit bin edges on ``X`` (``(n, d)``, NaN = missing; jittable).

    Args:
      max_bin: static number of bins of non-missing values (``>= 2``; codes are
        ``uint8`` up to 255).
      categorical: indices of categorical features (codes ``0..max_bin-1``).
      sample_weight: ``(n,)`` weights of the quantiles (a weighted quantile sketch,
        XGBoost's, computed exactly); ``None`` for unit weights.
    """
    check_int(max_bin, "max_bin", minimum=2)
    n, d = X.shape
    mask = tuple(j in set(categorical) for j in range(d))
    if n < 2:  # a single row: nothing to split between
        return Bins(edges=jnp.full((d, max_bin - 1), jnp.inf, X.dtype), categorical=mask,
                    max_bin=max_bin)
    weight = jnp.ones((n,), X.dtype) if sample_weight is None else sample_weight.astype(X.dtype)
    edges = jax.vmap(lambda c: _column_edges(c, weight, max_bin), in_axes=1)(X)
    return Bins(edges=edges, categorical=mask, max_bin=max_bin)


def bin_codes(bins: Bins, X) -> jax.Array:
    """Integer codes ``(n, d)`` of ``X`` under fitted bins (missing: ``max_bin``)."""
    check_n_features(X, bins.edges.shape[0])
    B = bins.max_bin
    numeric = jax.vmap(lambda e, c: jnp.searchsorted(e, c, side="left"), in_axes=(0, 1),
                       out_axes=1)(bins.edges, X)
    missing = jnp.isnan(X)
    if any(bins.categorical):
        is_cat = jnp.asarray(bins.categorical)
        cat_code = jnp.where(missing | (X < 0), B, jnp.nan_to_num(X)).astype(jnp.int32)
        numeric = jnp.where(is_cat, jnp.minimum(cat_code, B), numeric)
    codes = jnp.where(missing, B, numeric)
    return codes.astype(jnp.uint8 if B <= 255 else jnp.int32)


@pytree_dataclass
class HistTree:
    """A histogram tree with explicit children.

    Attributes:
      feature: ``(N,)`` int32 split feature, ``-1`` at leaves and unused nodes.
      go_left: ``(N, max_bin + 1)`` bool: codes of the node's feature that go left.
      threshold: ``(N,)`` the numeric threshold (go left when ``x <= threshold``), NaN
        for categorical splits and leaves.
      left, right: ``(N,)`` int32 children (``-1`` at leaves).
      value: ``(N,)`` Newton value of every node (the leaves' are the tree's output).
      gain: ``(N,)`` the split's gain (0 at leaves).
      hessian: ``(N,)`` the node's Hessian sum (cover); count: ``(N,)`` its samples.
      n_features: features seen at fit (static); max_steps: bound on the path length
        (static).
    """

    feature: jax.Array
    go_left: jax.Array
    threshold: jax.Array
    left: jax.Array
    right: jax.Array
    value: jax.Array
    gain: jax.Array
    hessian: jax.Array
    count: jax.Array
    n_features: int = static_field(default=0)
    max_steps: int = static_field(default=1)


def apply_hist(tree: HistTree, codes) -> jax.Array:
    """Index of the leaf each row of ``codes`` (``(n, d)`` from :func:`bin_codes`) reaches."""
    def step(_, node):
        f = tree.feature[node]
        code = jnp.take_along_axis(codes, jnp.maximum(f, 0)[:, None], axis=1)[:, 0]
        child = jnp.where(tree.go_left[node, code.astype(jnp.int32)], tree.left[node],
                          tree.right[node])
        return jnp.where(f < 0, node, child)

    return lax.fori_loop(0, tree.max_steps, step, jnp.zeros((codes.shape[0],), jnp.int32))


def hist_feature_importances(tree: HistTree) -> jax.Array:
    """Total split gain per feature ``(n_features,)``, normalised to sum 1 (LightGBM's
    ``importance_type="gain"``); a leading forest/rounds axis is summed over."""
    d = tree.n_features
    feature = tree.feature.reshape(-1)
    total = jax.ops.segment_sum(jnp.where(feature >= 0, tree.gain.reshape(-1), 0.0),
                                jnp.where(feature >= 0, feature, d), num_segments=d + 1)[:d]
    norm = jnp.sum(total)
    return jnp.where(norm > 0, total / jnp.where(norm > 0, norm, 1.0), 0.0)


# ------------------------------------------------------------------------ histograms


def node_histograms(codes, stats, lane, n_lanes: int, n_bins: int) -> jax.Array:
    """Per-lane histograms ``(n_lanes, d, n_bins, S)`` of per-sample ``stats`` ``(n, S)``;
    samples with ``lane == n_lanes`` (or beyond) are left out.

    One scatter-add per feature, features in sequence (``lax.map``): each feature's
    ``(n_lanes + 1) · n_bins · S`` accumulator stays in cache, which on CPU is several
    times faster than one scatter into the whole ``(lanes, d, bins)`` table."""
    S = stats.shape[1]
    lane = jnp.minimum(lane, n_lanes) * n_bins

    def one_feature(column):
        return jax.ops.segment_sum(stats, lane + column.astype(jnp.int32),
                                   num_segments=(n_lanes + 1) * n_bins)

    hist = lax.map(one_feature, codes.T)  # (d, (n_lanes + 1) * n_bins, S)
    hist = hist.reshape(codes.shape[1], n_lanes + 1, n_bins, S)[:, :n_lanes]
    return jnp.swapaxes(hist, 0, 1)


def _score(G, H, rule: NewtonRule):
    r""":math:`T_\alpha(G)^2/(H+\lambda)`, 0 where :math:`H + \lambda \le 0` (an empty
    node with :math:`\lambda = 0`)."""
    den = H + rule.reg_lambda
    return jnp.where(den > 0, _l1_threshold(G, rule.reg_alpha) ** 2 / jnp.where(den > 0, den, 1.0),
                     0.0)


def _leaf_value(G, H, rule: NewtonRule):
    r""":math:`-T_\alpha(G)/(H+\lambda)`, 0 for an empty node with :math:`\lambda = 0`."""
    den = H + rule.reg_lambda
    return jnp.where(den > 0, -_l1_threshold(G, rule.reg_alpha) / jnp.where(den > 0, den, 1.0), 0.0)


def _best_splits(hist, parent, bins: Bins, edges, rule: NewtonRule, *, min_child_weight,
                 min_samples_leaf, min_split_loss, cat_smooth, feature_mask=None):
    """The best split of each lane from its histogram ``(L, d, B+1, 3)`` and totals
    ``parent`` ``(L, 3)``."""
    L, d, _, _ = hist.shape
    B = bins.max_bin
    values, missing = hist[:, :, :B], hist[:, :, B]  # (L, d, B, 3), (L, d, 3)
    if any(bins.categorical):
        G, H, C = values[..., 0], values[..., 1], values[..., 2]
        ratio = jnp.where(C > 0, G / (H + cat_smooth), jnp.inf)  # empty categories last
        rank_order = jnp.argsort(ratio, axis=2, stable=True)
        is_cat = jnp.asarray(bins.categorical)[None, :, None]
        order = jnp.where(is_cat, rank_order, jnp.arange(B))
        values = jnp.take_along_axis(values, order[..., None], axis=2)
    cum = jnp.cumsum(values, axis=2)  # left child of position b: the first b+1 bins
    # statistic-major planes (L, d, B) so the candidate arithmetic runs on contiguous rows
    G, H, C = (cum[..., k] for k in range(3))
    mG, mH, mC = (missing[:, :, None, k] for k in range(3))
    tG, tH, tC = (parent[:, None, None, k] for k in range(3))
    best, best_score = [], []
    for missing_left in (True, False):  # the parent's score is the same for every candidate
        lG, lH, lC = (G + mG, H + mH, C + mC) if missing_left else (G, H, C)
        rG, rH, rC = tG - lG, tH - lH, tC - lC
        valid = ((lH >= min_child_weight) & (rH >= min_child_weight)
                 & (lC >= min_samples_leaf) & (rC >= min_samples_leaf) & (lC > 0) & (rC > 0))
        if feature_mask is not None:
            valid = valid & feature_mask[:, :, None]
        score = jnp.where(valid, _score(lG, lH, rule) + _score(rG, rH, rule), -jnp.inf)
        flat = score.reshape(L, -1)
        index = jnp.argmax(flat, axis=1)
        best.append(index)
        best_score.append(flat[jnp.arange(L), index])
    # first on ties in (feature, bin, missing-left-first) order
    right_wins = (best_score[1] > best_score[0]) | (
        (best_score[1] == best_score[0]) & (best[1] < best[0]))
    index = jnp.where(right_wins, best[1], best[0])
    direction = right_wins.astype(jnp.int32)
    best_gain = (jnp.where(right_wins, best_score[1], best_score[0])
                 - _score(parent[:, 0], parent[:, 1], rule))
    feature, position = (i.astype(jnp.int32) for i in jnp.unravel_index(index, (d, B)))
    lane = jnp.arange(L)
    # without missing values at the node the missing bin is empty and both directions
    # tie: send missing to the larger child
    left = cum[lane, feature, position] + (direction == 0)[:, None] * missing[lane, feature]
    right = parent - left
    had_missing = missing[lane, feature, 2] > 0
    missing_left = jnp.where(had_missing, direction == 0, left[:, 2] >= right[:, 2])
    codes = jnp.arange(B)
    if any(bins.categorical):
        rank = jnp.argsort(order[lane, feature], axis=1)  # each code's position in the order
        goes = jnp.where(jnp.asarray(bins.categorical)[feature][:, None],
                         rank <= position[:, None], codes[None, :] <= position[:, None])
    else:
        goes = codes[None, :] <= position[:, None]
    go_left = jnp.concatenate([goes, missing_left[:, None]], axis=1)
    padded = jnp.concatenate([edges, jnp.full((d, 1), jnp.inf, edges.dtype)], axis=1)
    threshold = padded[feature, position]  # position B-1: every non-missing value left
    if any(bins.categorical):
        threshold = jnp.where(jnp.asarray(bins.categorical)[feature], jnp.nan, threshold)
    ok = (jnp.isfinite(best_gain) & (best_gain > NEWTON_MIN_GAIN)
          & (best_gain >= min_split_loss))
    return dict(ok=ok, gain=jnp.where(ok, best_gain, 0.0), feature=feature, go_left=go_left,
                threshold=threshold, left=left, right=right)


def _goes_left(codes, lane, feature, go_left):
    """Whether each sample goes left at its node (``lane`` into the per-lane split
    ``feature`` ``(L,)`` and ``go_left`` ``(L, B+1)`` tables), without materialising a
    per-sample copy of the table."""
    code = jnp.take_along_axis(codes, feature[lane][:, None], axis=1)[:, 0].astype(jnp.int32)
    return go_left.reshape(-1)[lane * go_left.shape[1] + code]


# ---------------------------------------------------------------------------- growth


def grow_hist_tree(codes, bins: Bins, stats, *, rule: NewtonRule, policy: str = "depthwise",
                   max_depth: int | None = 6, num_leaves: int | None = None,
                   min_child_weight=1e-3, min_samples_leaf=1, min_split_loss=0.0,
                   cat_smooth=10.0, max_features: int | None = None, key=None,
                   unroll_levels: bool = False) -> HistTree:
    """Grow one second-order histogram tree (jittable; shapes static).

    Args:
      codes: ``(n, d)`` codes from :func:`bin_codes`; bins: the fitted :class:`Bins`.
      stats: ``(n, 2)`` per-sample ``(w g, w h)``; samples of zero weight must have zero
        statistics and are not counted (pass ``w`` as a third column, else all count).
      rule: the :class:`NewtonRule` (λ, α).
      policy: ``"depthwise"`` (static ``max_depth``) or ``"leafwise"`` (static
        ``num_leaves``; ``max_depth`` an optional bound, ``None`` for none).
      min_child_weight, min_samples_leaf, min_split_loss: pre-pruning (may be traced).
      cat_smooth: added to the Hessian when ordering categories.
      max_features: static number of candidate features drawn per tree (column
        subsampling by tree), or ``None`` for all.
      unroll_levels: depthwise only: one compiled body per level (least split-search
        work, but about 1 s of compile per level on CPU) or, by default, one
        ``fori_loop`` body of the widest level's shape (about 2 s at any depth; the
        extra split-search work is over ``(lanes, d, bins)``, negligible beside the
        ``n·d`` histogram scans once ``n`` is large).
    """
    n, d = codes.shape
    counted = stats[:, 2] > 0 if stats.shape[1] == 3 else jnp.ones((n,), bool)
    stats = jnp.stack([stats[:, 0], stats[:, 1], counted.astype(stats.dtype)], axis=1)
    feature_mask = None
    if max_features is not None:
        chosen = jnp.argsort(jax.random.uniform(key, (d,)))[:max_features]
        feature_mask = jnp.zeros((d,), bool).at[chosen].set(True)
    options = dict(min_child_weight=min_child_weight, min_samples_leaf=min_samples_leaf,
                   min_split_loss=min_split_loss, cat_smooth=cat_smooth)
    if policy == "depthwise":
        return _grow_depthwise(codes, bins, stats, rule, max_depth, feature_mask, options,
                               unroll_levels)
    return _grow_leafwise(codes, bins, stats, rule, num_leaves, max_depth, feature_mask, options)


def _smaller_child_histograms(codes, stats, node, split, left_count, right_count, offset,
                              pairs, n_bins):
    """Histograms of the smaller child of each of ``pairs`` split nodes, scanning only
    those samples (at most n/2 in all): ``(pairs, d, n_bins, 3)`` and which side it is."""
    n = codes.shape[0]
    small_is_left = left_count <= right_count
    local = node - offset  # child index within the level
    pair = local // 2
    in_level = (local >= 0) & (local < 2 * pairs) & (stats[:, 2] > 0)
    p = jnp.clip(pair, 0, pairs - 1)
    is_small = in_level & split[p] & ((local % 2 == 0) == small_is_left[p])
    take = jnp.nonzero(is_small, size=n // 2 + 1, fill_value=n)[0]
    safe = jnp.minimum(take, n - 1)
    lane = jnp.where(take < n, p[safe], pairs)
    return node_histograms(codes[safe], stats[safe], lane, pairs, n_bins), small_is_left


def _grow_depthwise(codes, bins, stats, rule, max_depth, feature_mask, options, unroll):
    """Level by level: unrolled (each level its own lane count ``2^t``: least work, one
    compiled body per level) or in a ``fori_loop`` whose every step has the widest
    level's shape (``2^(D-1)`` lanes, the ones beyond ``2^t`` empty: one body, about
    three times the split-search work at depth 6)."""
    n, d = codes.shape
    D = max_depth
    N = 2 ** (D + 1) - 1
    W = 2 ** (D - 1)  # widest level that is split
    nb = bins.max_bin + 1
    root = jnp.sum(stats, axis=0)
    arrays = dict(
        feature=jnp.full((N,), -1, jnp.int32), go_left=jnp.zeros((N, nb), bool),
        threshold=jnp.full((N,), jnp.nan, stats.dtype),
        left=jnp.full((N,), -1, jnp.int32), right=jnp.full((N,), -1, jnp.int32),
        value=jnp.zeros((N,), stats.dtype).at[0].set(_leaf_value(root[0], root[1], rule)),
        gain=jnp.zeros((N,), stats.dtype),
        hessian=jnp.zeros((N,), stats.dtype).at[0].set(root[1]),
        count=jnp.zeros((N,), jnp.int32).at[0].set(root[2].astype(jnp.int32)))
    width = 1 if unroll else W
    hist = jnp.zeros((width, d, nb, 3), stats.dtype).at[0].set(
        node_histograms(codes, stats, jnp.zeros((n,), jnp.int32), 1, nb)[0])
    totals = jnp.zeros((width, 3), stats.dtype).at[0].set(root)

    def level(t, carry, width, width_next):
        node, hist, totals, arrays = carry
        offset = 2 ** t - 1
        lane = jnp.arange(width)
        slots = jnp.where(lane < 2 ** t, offset + lane, N).astype(jnp.int32)  # N: dropped
        mask = None if feature_mask is None else jnp.broadcast_to(feature_mask, (width, d))
        best = _best_splits(hist, totals, bins, bins.edges, rule, feature_mask=mask, **options)
        ok = best["ok"] & (lane < 2 ** t)
        put = lambda name, v: arrays[name].at[slots].set(v, mode="drop")  # noqa: E731
        arrays = dict(arrays, feature=put("feature", jnp.where(ok, best["feature"], -1)),
                      go_left=put("go_left", best["go_left"] & ok[:, None]),
                      threshold=put("threshold", jnp.where(ok, best["threshold"], jnp.nan)),
                      left=put("left", jnp.where(ok, 2 * slots + 1, -1)),
                      right=put("right", jnp.where(ok, 2 * slots + 2, -1)),
                      gain=put("gain", best["gain"]))
        zeros = jnp.zeros_like(best["left"])
        children = jnp.stack([jnp.where(ok[:, None], best["left"], zeros),
                              jnp.where(ok[:, None], best["right"], zeros)],
                             axis=1).reshape(2 * width, 3)
        child_slots = jnp.where(jnp.arange(2 * width) < 2 ** (t + 1),
                                2 ** (t + 1) - 1 + jnp.arange(2 * width), N)
        arrays = dict(arrays,
                      value=arrays["value"].at[child_slots].set(
                          _leaf_value(children[:, 0], children[:, 1], rule), mode="drop"),
                      hessian=arrays["hessian"].at[child_slots].set(children[:, 1], mode="drop"),
                      count=arrays["count"].at[child_slots].set(
                          children[:, 2].astype(jnp.int32), mode="drop"))
        # route the samples of the split nodes
        local = jnp.clip(node - offset, 0, width - 1)
        here = (node >= offset) & (node < 2 * offset + 1) & ok[local]
        goes = _goes_left(codes, local, best["feature"], best["go_left"])
        node = jnp.where(here, 2 * node + 1 + (~goes).astype(jnp.int32), node)
        if width_next == 0:  # the last level: its children are leaves
            return node, hist, totals, arrays
        # the next level's histograms (its first width_next nodes, children of the first
        # width_next/2 of this level): the smaller child scanned, its sibling by subtraction
        P = max(width_next // 2, 1)
        small, small_is_left = _smaller_child_histograms(
            codes, stats, node, ok[:P], best["left"][:P, 2], best["right"][:P, 2],
            2 * offset + 1, P, nb)
        keep = ok[:P, None, None, None]
        small = jnp.where(keep, small, 0.0)
        other = jnp.where(keep, hist[:P] - small, 0.0)
        sl = small_is_left[:, None, None, None]
        hist = jnp.stack([jnp.where(sl, small, other), jnp.where(sl, other, small)],
                         axis=1).reshape(2 * P, d, nb, 3)[:width_next]
        return node, hist, children[:width_next], arrays

    carry = (jnp.zeros((n,), jnp.int32), hist, totals, arrays)
    if unroll:
        for t in range(D):
            carry = level(t, carry, 2 ** t, 2 ** (t + 1) if t < D - 1 else 0)
    else:
        carry = lax.fori_loop(0, D, lambda t, c: level(t, c, W, W), carry)
    arrays = carry[3]
    return HistTree(**arrays, n_features=d, max_steps=D)


def _grow_leafwise(codes, bins, stats, rule, num_leaves, max_depth, feature_mask, options):
    n, d = codes.shape
    L = num_leaves
    N = 2 * L - 1
    nb = bins.max_bin + 1
    depth_limit = L if max_depth is None else max_depth
    mask = None if feature_mask is None else feature_mask[None]

    def candidate(hist, totals):
        best = _best_splits(hist[None], totals[None], bins, bins.edges, rule,
                            feature_mask=mask, **options)
        return {k: v[0] for k, v in best.items()}

    root_hist = node_histograms(codes, stats, jnp.zeros((n,), jnp.int32), 1, nb)[0]
    root_totals = jnp.sum(stats, axis=0)
    first = candidate(root_hist, root_totals)
    empty = {k: jnp.zeros((N,) + v.shape, v.dtype) for k, v in first.items()}
    cand = {k: empty[k].at[0].set(v) for k, v in first.items()}
    tree = dict(
        feature=jnp.full((N,), -1, jnp.int32), go_left=jnp.zeros((N, nb), bool),
        threshold=jnp.full((N,), jnp.nan, stats.dtype),
        left=jnp.full((N,), -1, jnp.int32), right=jnp.full((N,), -1, jnp.int32),
        value=jnp.zeros((N,), stats.dtype).at[0].set(
            _leaf_value(root_totals[0], root_totals[1], rule)),
        gain=jnp.zeros((N,), stats.dtype),
        hessian=jnp.zeros((N,), stats.dtype).at[0].set(root_totals[1]),
        count=jnp.zeros((N,), jnp.int32).at[0].set(root_totals[2].astype(jnp.int32)))
    hists = jnp.zeros((N, d, nb, 3), stats.dtype).at[0].set(root_hist)
    depth = jnp.zeros((N,), jnp.int32)
    is_leaf = jnp.zeros((N,), bool).at[0].set(True)

    def split_step(s, state):
        tree, cand, hists, depth, is_leaf, node = state
        splittable = is_leaf & cand["ok"] & (depth < depth_limit)
        score = jnp.where(splittable, cand["gain"], -jnp.inf)
        p = jnp.argmax(score)
        do = jnp.isfinite(score[p])
        a, b = (2 * s + 1).astype(jnp.int32), (2 * s + 2).astype(jnp.int32)
        here = (node == p) & do
        goes = _goes_left(codes, jnp.zeros((n,), jnp.int32), cand["feature"][p][None],
                          cand["go_left"][p][None])
        node = jnp.where(here, jnp.where(goes, a, b), node)
        left_t, right_t = cand["left"][p], cand["right"][p]
        small_is_left = left_t[2] <= right_t[2]
        small_id = jnp.where(small_is_left, a, b)
        in_small = (node == small_id) & do & (stats[:, 2] > 0)
        take = jnp.nonzero(in_small, size=n // 2 + 1, fill_value=n)[0]
        safe = jnp.minimum(take, n - 1)
        small = node_histograms(codes[safe], stats[safe], jnp.where(take < n, 0, 1), 1, nb)[0]
        other = hists[p] - small
        hist_a = jnp.where(small_is_left, small, other)
        hist_b = jnp.where(small_is_left, other, small)
        cand_a, cand_b = candidate(hist_a, left_t), candidate(hist_b, right_t)
        sel = lambda new, old: jnp.where(do, new, old)  # noqa: E731
        tree = dict(tree)
        tree["feature"] = tree["feature"].at[p].set(sel(cand["feature"][p], tree["feature"][p]))
        tree["go_left"] = tree["go_left"].at[p].set(sel(cand["go_left"][p], tree["go_left"][p]))
        tree["threshold"] = tree["threshold"].at[p].set(sel(cand["threshold"][p],
                                                            tree["threshold"][p]))
        tree["left"] = tree["left"].at[p].set(sel(a, tree["left"][p]))
        tree["right"] = tree["right"].at[p].set(sel(b, tree["right"][p]))
        tree["gain"] = tree["gain"].at[p].set(sel(cand["gain"][p], 0.0))
        for child, t_ in ((a, left_t), (b, right_t)):
            tree["value"] = tree["value"].at[child].set(sel(_leaf_value(t_[0], t_[1], rule), 0.0))
            tree["hessian"] = tree["hessian"].at[child].set(sel(t_[1], 0.0))
            tree["count"] = tree["count"].at[child].set(sel(t_[2].astype(jnp.int32), 0))
        cand = {k: v.at[a].set(jnp.where(do, cand_a[k], jnp.zeros_like(cand_a[k])))
                .at[b].set(jnp.where(do, cand_b[k], jnp.zeros_like(cand_b[k])))
                for k, v in cand.items()}
        hists = hists.at[a].set(hist_a).at[b].set(hist_b)
        depth = depth.at[a].set(depth[p] + 1).at[b].set(depth[p] + 1)
        is_leaf = is_leaf.at[p].set(is_leaf[p] & ~do).at[a].set(do).at[b].set(do)
        return tree, cand, hists, depth, is_leaf, node

    state = (tree, cand, hists, depth, is_leaf, jnp.zeros((n,), jnp.int32))
    tree = lax.fori_loop(0, L - 1, split_step, state)[0]
    steps = L - 1 if max_depth is None else min(L - 1, max_depth)
    return HistTree(**tree, n_features=d, max_steps=steps)


def check_growth(policy: str, max_depth: int | None, num_leaves: int | None) -> None:
    """The shape-determining growth options of a histogram tree."""
    check_option(policy, "policy", POLICIES)
    if policy == "depthwise":
        if max_depth is None:
            raise ValueError("max_depth is required for policy='depthwise'")
        check_int(max_depth, "max_depth", minimum=1)
        if max_depth > 16:
            raise ValueError(f"max_depth must be <= 16 for depthwise growth, got {max_depth}")
    else:
        if num_leaves is None:
            raise ValueError("num_leaves is required for policy='leafwise'")
        check_int(num_leaves, "num_leaves", minimum=2)
        if max_depth is not None:
            check_int(max_depth, "max_depth", minimum=1)


def check_categorical(categorical: Any, d: int, X=None, max_bin: int = 255) -> tuple[int, ...]:
    """Categorical feature indices in range, and (for concrete ``X``) their codes below
    ``max_bin``."""
    indices = tuple(int(j) for j in np.asarray(categorical, dtype=int).reshape(-1))
    for j in indices:
        if not 0 <= j < d:
            raise ValueError(f"categorical_features index {j} out of range for {d} features")
    if X is not None and indices and not is_traced(X):
        values = np.asarray(X)[:, list(indices)]
        finite = values[~np.isnan(values)]
        if finite.size and (np.any(finite != np.round(finite)) or finite.max() >= max_bin):
            raise ValueError(f"categorical features must hold integer codes below max_bin "
                             f"({max_bin}), got values up to {finite.max()}")
    return indices
