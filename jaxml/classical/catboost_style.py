r"""CatBoost-style boosting: ordered target statistics, oblivious trees, ordered boosting.

Three ideas of CatBoost (Prokhorenkova, Gusev, Vorobev, Dorogush & Gulin, "CatBoost:
unbiased boosting with categorical features", NeurIPS 2018; Dorogush, Ershov & Gulin,
"CatBoost: gradient boosting with categorical features support", 2018), each a pure,
jittable function here, assembled into :func:`catboost_classifier` and
:func:`catboost_regressor`.

**Ordered target statistics.** A categorical column with codes :math:`c_i` is replaced by
a number, the smoothed mean target of its category. Computed on all training rows
("greedy" TS) the statistic of row :math:`i` contains :math:`y_i` itself, so
:math:`\hat x_i` is a noisy copy of the label: for a rare category it *is* the label, and a
tree splitting on it fits the training set while learning nothing that holds on new
rows — target leakage, a conditional shift :math:`p(\hat x \mid y)` between train and
test. The ordered TS draws a random permutation :math:`\sigma` of the rows and lets each
row see only the rows before it ("artificial time"):

.. math::
    \hat x_i = \frac{\sum_{j:\, \sigma(j) < \sigma(i),\, c_j = c_i} y_j + a\,p}
                    {\#\{j:\, \sigma(j) < \sigma(i),\, c_j = c_i\} + a},

with prior :math:`p` and prior weight :math:`a > 0`. Now :math:`\hat x_i` is a function of
other rows' labels only, so :math:`\mathbb{E}[\hat x_i \mid y_i] = \mathbb{E}[\hat x_i]` for
a category unrelated to the target — the same distribution a test row gets — while all
the data are still used (unlike a hold-out TS). Test rows use the full-data statistic
:math:`(\sum_{j: c_j = c} y_j + a p)/(n_c + a)` over every training row; an unseen category
gets :math:`p`.

**Oblivious (symmetric) trees.** Every node of a level uses the same split
:math:`x_f > b`, so a depth-:math:`D` tree is :math:`D` (feature, border) pairs and
:math:`2^D` leaf values, and a row's leaf is the bit code
:math:`\ell(x) = \sum_{t=0}^{D-1} [x_{f_t} > b_t]\, 2^t` (level 0 the least significant bit,
as in CatBoost's model files). Level :math:`t`'s split maximises the gain summed over the
level's :math:`2^t` nodes,

.. math::
    \sum_{\text{nodes } v} S(G_{vL}, H_{vL}) + S(G_{vR}, H_{vR}) - S(G_v, H_v),
    \qquad S(G, H) = \frac{G^2}{H + \lambda},

with :math:`G, H` the sums of the weighted gradients :math:`w_i g_i` and Hessians
:math:`w_i h_i` of a node (the second-order gain of Chen & Guestrin, 2016, scaled by 2;
CatBoost's ``NewtonL2``). With ``score_function="L2"`` the node's :math:`H` in the *score*
is the sample weight :math:`\sum w_i` instead (CatBoost's CPU ``L2`` score, first order);
leaves always take the Newton step :math:`-G/(H + \lambda)`. Candidate borders are fixed
before boosting, as the bin edges of :func:`jaxml.classical.histograms.fit_bins` with
``max_bin = border_count + 1`` (so a row's bin code :math:`c_f` has
:math:`x_f > b_k \iff c_f > k`, and the trees are grown on the codes): per feature, the
midpoints between consecutive distinct values when there are at most
``border_count + 1`` distinct values, else the midpoints just above the
``border_count`` quantiles :math:`k/(\texttt{border\_count} + 1)` of the training rows
(unit weights; a quantile inside a run of tied values puts the border at that value,
and borders that coincide are kept as repeats, which add no candidate split). This is
close to CatBoost's ``Median`` border type; its default ``GreedyLogSum`` places borders
differently. Split search is a cumulative sum over the per-node histograms of
:func:`jaxml.classical.histograms.node_histograms`, and scores and leaves are
:mod:`~jaxml.classical.histograms`' own (:math:`\alpha = 0`).

**Ordered boosting.** In plain boosting the gradient of row :math:`i` is taken at
:math:`F(x_i)`, a model fitted on :math:`y_i`: the residuals of the training rows are
biased towards zero compared with those of new rows (prediction shift). Ordered boosting
takes row :math:`i`'s gradient from a model that has never seen it. The scheme here
(CatBoost's, with one permutation): with the permutation :math:`\sigma` of the ordered TS,
keep prefix models :math:`M_0, \dots, M_P`, :math:`M_m` fitted on the first
:math:`s_m` rows of :math:`\sigma` (:math:`s_0 = 0`, :math:`s_m = 2^{m-1}`, the largest
:math:`s_P \le n - 1`), each tracked by its predictions on all training rows. Each
round:

1. row :math:`i` at position :math:`p = \sigma(i)` takes its gradient and Hessian at
   :math:`M_{m(i)}(x_i)` with :math:`s_{m(i)}` the largest prefix size :math:`\le p`
   (:math:`M_0` is the constant :math:`F_0`), a model of rows strictly before :math:`i`;
2. the tree structure is grown on these ordered gradients;
3. every prefix model :math:`M_m` moves by :math:`\eta` times the Newton leaf values computed
   from the ordered gradients of its own rows (positions :math:`< s_m`) only;
4. the final model :math:`F` gets the same structure with Newton leaf values from the plain
   gradients of all rows at :math:`F` (the paper's "standard procedure" for the final
   leaves), and is what ``predict`` uses.

Differences from CatBoost's implementation: CatBoost keeps several permutations
(``permutation_count``, default 4), picks one at random per tree to score splits, and
uses :math:`\sigma_0` for the final leaves; its prefixes are fold blocks that grow by
``fold_len_multiplier`` (default 2) from a small first block; and it adds score noise
(``random_strength``). Here there is one permutation, prefixes :math:`0, 1, 2, 4, \dots`,
and no noise. Memory is :math:`O(n \log n)` for the prefix models' predictions.

**The fit.** Categorical columns (``cat_features``) are replaced by their ordered TS
(prior :math:`p` the mean target, weight :math:`a` = ``ts_prior_weight``), borders are fitted on
the encoded matrix, the constant :math:`F_0` minimises the loss
(:func:`jaxml.classical.boosting._initial_score`), and the rounds are one ``lax.scan``.
Losses: ``log_loss`` (binary, margin :math:`F`) and RMSE (``squared_error``,
:math:`\tfrac12 (y - F)^2`), from :data:`jaxml.classical.boosting.LOSSES`. Not
implemented: CatBoost's feature combinations (``max_ctr_complexity``), several priors and
the ``Counter`` CTR per categorical feature, one-hot encoding of small categories
(``one_hot_max_size``), bootstrap, missing values.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxml.classical.boosting import LOSSES, _derivatives, _initial_score
from jaxml.classical.histograms import (
    Bins,
    _leaf_value,
    _score,
    bin_codes,
    fit_bins,
    node_histograms,
)
from jaxml.classical.trees import NewtonRule
from jaxml.core import (
    Classifier,
    Regressor,
    as_key,
    check_array,
    check_class_codes,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_range,
    check_same_length,
    check_X,
    check_X_y,
    is_traced,
    pytree_dataclass,
    static_field,
)

__all__ = [
    "BOOSTING_TYPES",
    "SCORE_FUNCTIONS",
    "CatBoostModel",
    "CategoryStatistics",
    "ObliviousTree",
    "catboost_classifier",
    "catboost_regressor",
    "encode_target_statistics",
    "grow_oblivious_tree",
    "oblivious_leaf_index",
    "ordered_target_statistics",
    "quantile_borders",
    "target_statistics_table",
]

BOOSTING_TYPES = ("plain", "ordered")
SCORE_FUNCTIONS = ("NewtonL2", "L2")
MAX_DEPTH = 16  # CatBoost's limit for symmetric trees


# --------------------------------------------------------------- target statistics


@pytree_dataclass
class CategoryStatistics:
    """Full-data target statistics of categorical columns.

    Attributes:
      sums: ``(..., K)`` sum of the targets per category.
      counts: ``(..., K)`` rows per category.
      prior: the prior :math:`p`.
      prior_weight: the prior weight :math:`a`.
    """

    sums: jax.Array
    counts: jax.Array
    prior: jax.Array
    prior_weight: jax.Array


def _check_ts_inputs(codes, y, n_categories, prior, prior_weight):
    codes = check_array(codes, "codes", ndim=1, dtype_kind="i")
    y = check_array(y, "y", ndim=1, dtype_kind="f")
    check_same_length(codes, y, "codes", "y")
    check_int(n_categories, "n_categories", minimum=1)
    check_range(prior, "prior")
    check_positive(prior_weight, "prior_weight")
    if not is_traced(codes):
        values = np.asarray(codes)
        if values.min() < 0 or values.max() >= n_categories:
            raise ValueError(f"codes must lie in [0, n_categories={n_categories}), got range "
                             f"[{values.min()}, {values.max()}]")
    return codes, y


def _ordered_ts(perm, codes, y, n_categories, prior, prior_weight):
    """Ordered TS of one column under the permutation ``perm`` (``perm[k]``: the row at
    position ``k``). Rows are grouped by category, in permutation order within a group;
    an exclusive cumulative sum then gives each row the sum and count of its category
    before it."""
    n = codes.shape[0]
    in_order = codes[perm]
    order = perm[jnp.argsort(in_order, stable=True)]  # by category, then by position
    c = codes[order]
    yo = y[order]
    sums = jax.ops.segment_sum(y, codes, num_segments=n_categories)
    counts = jax.ops.segment_sum(jnp.ones_like(y), codes, num_segments=n_categories)
    sum_before_group = jnp.cumsum(sums) - sums
    count_before_group = jnp.cumsum(counts) - counts
    sum_before = (jnp.cumsum(yo) - yo) - sum_before_group[c]
    count_before = jnp.arange(n, dtype=y.dtype) - count_before_group[c]
    value = (sum_before + prior_weight * prior) / (count_before + prior_weight)
    return jnp.zeros_like(y).at[order].set(value)


def ordered_target_statistics(key, codes, y, *, n_categories: int, prior,
                              prior_weight=1.0) -> jax.Array:
    r"""CatBoost's ordered target statistic of one categorical column (jittable).

    Draws a permutation :math:`\sigma` from ``key``; row :math:`i` is encoded as

    .. math::
        \hat x_i = \frac{\sum_{j:\sigma(j)<\sigma(i),\, c_j=c_i} y_j + a p}
                        {\#\{j: \sigma(j)<\sigma(i),\, c_j=c_i\} + a},

    so the encoding of a row never contains its own target (no target leakage; see the
    module docstring).

    Args:
      key: PRNG key for the permutation.
      codes: ``(n,)`` integer category codes in ``[0, n_categories)``.
      y: ``(n,)`` targets (0/1 labels for binary classification).
      n_categories: number of categories ``K`` (static).
      prior: :math:`p` (usually the mean target).
      prior_weight: :math:`a > 0`.

    Returns:
      ``(n,)`` encodings.
    """
    codes, y = _check_ts_inputs(codes, y, n_categories, prior, prior_weight)
    return _ordered_ts_program(as_key(key), codes, y, n_categories,
                               jnp.asarray(prior, y.dtype), jnp.asarray(prior_weight, y.dtype))


@functools.partial(jax.jit, static_argnums=3)
def _ordered_ts_program(key, codes, y, n_categories: int, prior, prior_weight):
    perm = jax.random.permutation(key, codes.shape[0])
    return _ordered_ts(perm, codes, y, n_categories, prior, prior_weight)


def target_statistics_table(codes, y, *, n_categories: int, prior,
                            prior_weight=1.0) -> CategoryStatistics:
    r"""The full-data statistic of every category (for encoding test rows):
    :math:`\hat x(c) = (\sum_{j: c_j = c} y_j + a p)/(n_c + a)`."""
    codes, y = _check_ts_inputs(codes, y, n_categories, prior, prior_weight)
    return CategoryStatistics(
        sums=jax.ops.segment_sum(y, codes, num_segments=n_categories),
        counts=jax.ops.segment_sum(jnp.ones_like(y), codes, num_segments=n_categories),
        prior=jnp.asarray(prior, y.dtype), prior_weight=jnp.asarray(prior_weight, y.dtype))


def encode_target_statistics(table: CategoryStatistics, codes) -> jax.Array:
    """Encode codes with a full-data table (one column: ``table.sums`` of shape ``(K,)``);
    codes outside ``[0, K)`` (unseen categories) get the prior. On the training rows this
    is the *greedy* TS, which leaks the target."""
    codes = jnp.asarray(codes).astype(jnp.int32)
    K = table.sums.shape[-1]
    seen = (codes >= 0) & (codes < K)
    safe = jnp.clip(codes, 0, K - 1)
    s = jnp.where(seen, table.sums[safe], 0.0)
    c = jnp.where(seen, table.counts[safe], 0.0)
    return (s + table.prior_weight * table.prior) / (c + table.prior_weight)


# ------------------------------------------------------------------ oblivious trees


def quantile_borders(X, border_count: int = 254) -> jax.Array:
    """Candidate split borders per feature, ``(d, border_count)`` ascending, ``+inf``
    padded: the edges of :func:`jaxml.classical.histograms.fit_bins` with
    ``max_bin = border_count + 1`` (module docstring). A row goes right of border ``b``
    when ``x > b``."""
    X = check_X(X)
    check_int(border_count, "border_count", minimum=1)
    return _bins_program(X, border_count).edges


def _bins(X, border_count: int) -> Bins:
    return fit_bins(X, max_bin=border_count + 1)


_bins_program = jax.jit(_bins, static_argnums=1)


@pytree_dataclass
class ObliviousTree:
    """A symmetric tree: one split per level, leaves indexed by the depth-bit code.

    Attributes:
      feature: ``(D,)`` int32 split feature of each level.
      threshold: ``(D,)`` border: level ``t``'s bit is ``x[feature[t]] > threshold[t]``.
      value: ``(2^D,)`` leaf values, indexed by :func:`oblivious_leaf_index`.
      gain: ``(D,)`` the summed gain of each level's split.
      n_features: features seen at fit (static).
    """

    feature: jax.Array
    threshold: jax.Array
    value: jax.Array
    gain: jax.Array
    n_features: int = static_field(default=0)


def oblivious_leaf_index(tree: ObliviousTree, X) -> jax.Array:
    r"""Leaf of each row: :math:`\sum_t [x_{f_t} > b_t]\, 2^t` (``(n,)`` int32)."""
    bits = X[:, tree.feature] > tree.threshold
    return jnp.sum(bits.astype(jnp.int32) << jnp.arange(tree.feature.shape[0]), axis=1)


def _grow_structure(codes, borders, G, H_score, depth: int, rule: NewtonRule):
    """Level-wise search of an oblivious structure on bin codes.

    ``G``, ``H_score``: per-row weighted gradients and the score's curvature
    (``w h`` or ``w``). Per level, :func:`~jaxml.classical.histograms.node_histograms`
    builds the ``(nodes, d, bins)`` histogram; a cumulative sum over bins gives every
    border's left child, and the gain is summed over the level's nodes (the one split
    they share). Returns ``(feature, border, gain)`` per level and each row's leaf.
    """
    n = codes.shape[0]
    B = borders.shape[1]
    width = 2 ** (depth - 1)  # the widest level; shallower levels leave lanes empty
    valid = jnp.isfinite(borders)
    stats = jnp.stack([G, H_score], axis=1)
    score = functools.partial(_score, rule=rule)

    def level(t, carry):
        leaf, features, thresholds, gains = carry
        hist = node_histograms(codes, stats, leaf, n_lanes=width, n_bins=B + 1)
        cum = jnp.cumsum(hist, axis=2)  # (width, d, B + 1, 2)
        left, total = cum[:, :, :B], cum[:, :, B:]
        right = total - left
        gain = jnp.sum(score(left[..., 0], left[..., 1])
                       + score(right[..., 0], right[..., 1])
                       - score(total[..., 0], total[..., 1]), axis=0)  # (d, B)
        gain = jnp.where(valid, gain, -jnp.inf)
        best = jnp.argmax(gain.reshape(-1))  # first on ties: feature-major, then border
        f, b = best // B, best % B
        leaf = leaf + ((codes[:, f] > b).astype(jnp.int32) << t)  # x > border <=> code > b
        g_best = gain[f, b]
        return (leaf, features.at[t].set(f.astype(jnp.int32)),
                thresholds.at[t].set(borders[f, b]),
                gains.at[t].set(jnp.where(jnp.isfinite(g_best), g_best, 0.0)))

    init = (jnp.zeros((n,), jnp.int32), jnp.zeros((depth,), jnp.int32),
            jnp.zeros((depth,), borders.dtype), jnp.zeros((depth,), G.dtype))
    leaf, features, thresholds, gains = lax.fori_loop(0, depth, level, init)
    return features, thresholds, gains, leaf


def _leaf_sums(leaf, values, n_leaves):
    return jax.ops.segment_sum(values, leaf, num_segments=n_leaves)


def grow_oblivious_tree(X, g, h, weights, *, depth: int, reg_lambda, candidates,
                        score_function: str = "NewtonL2") -> ObliviousTree:
    r"""Grow one oblivious tree on per-row gradients (jittable; ``depth`` static).

    Level :math:`t` takes the (feature, border) of largest gain summed over its
    :math:`2^t` nodes (module docstring); the first candidate in (feature, border)
    order wins ties, and a level always splits (a symmetric tree has exactly
    :math:`2^D` leaves, some possibly empty, with value 0). Leaves take
    :math:`-G/(H + \lambda)`.

    Args:
      X: ``(n, d)`` features.
      g, h: ``(n,)`` loss gradients and Hessians.
      weights: ``(n,)`` non-negative sample weights (the statistics are ``w g``, ``w h``).
      depth: tree depth :math:`D` (``1..16``, static).
      reg_lambda: :math:`\lambda \ge 0` (CatBoost's ``l2_leaf_reg``).
      candidates: ``(d, B)`` ascending borders per feature, ``+inf`` padded
        (:func:`quantile_borders`); ``x > border`` goes right.
      score_function: ``"NewtonL2"`` (second order) or ``"L2"`` (the score's :math:`H`
        is the weight, CatBoost's CPU scorer).
    """
    check_int(depth, "depth", minimum=1)
    if depth > MAX_DEPTH:
        raise ValueError(f"depth must be <= {MAX_DEPTH}, got {depth}")
    check_option(score_function, "score_function", SCORE_FUNCTIONS)
    X = check_X(X)
    d = X.shape[1]
    g = check_array(g, "g", ndim=1, dtype_kind="f")
    h = check_array(h, "h", ndim=1, dtype_kind="f")
    weights = check_array(weights, "weights", ndim=1, dtype_kind="f")
    for arr, name in ((g, "g"), (h, "h"), (weights, "weights")):
        check_same_length(X, arr, "X", name)
    candidates = check_array(candidates, "candidates", ndim=2, dtype_kind="f", finite=False)
    if candidates.shape[0] != d:
        raise ValueError(f"candidates must have one row per feature ({d}), got shape "
                         f"{candidates.shape}")
    check_positive(reg_lambda, "reg_lambda", strict=False)
    return _grow_program(X, g, h, weights, jnp.asarray(reg_lambda, X.dtype),
                         candidates.astype(X.dtype), depth, score_function)


@functools.partial(jax.jit, static_argnums=(6, 7))
def _grow_program(X, g, h, weights, reg_lambda, candidates, depth: int,
                  score_function: str) -> ObliviousTree:
    rule = NewtonRule(reg_lambda=reg_lambda)
    codes = bin_codes(Bins(edges=candidates, max_bin=candidates.shape[1] + 1), X)
    G, H = weights * g, weights * h
    H_score = H if score_function == "NewtonL2" else weights
    feature, threshold, gain, leaf = _grow_structure(codes, candidates, G, H_score, depth, rule)
    n_leaves = 2 ** depth
    value = _leaf_value(_leaf_sums(leaf, G, n_leaves), _leaf_sums(leaf, H, n_leaves),
                     rule)
    return ObliviousTree(feature=feature, threshold=threshold, value=value, gain=gain,
                         n_features=X.shape[1])


# ------------------------------------------------------------------------ estimators


@pytree_dataclass
class CatBoostModel:
    """A fitted CatBoost-style ensemble.

    Attributes:
      trees: the rounds' :class:`ObliviousTree` s, leading axis ``(M,)``; thresholds
        refer to the encoded matrix (categorical columns replaced by their TS).
      base_score: :math:`F_0`.
      learning_rate: :math:`\\eta`.
      ts: :class:`CategoryStatistics` of the categorical columns, ``sums`` and
        ``counts`` of shape ``(C, K_max)`` (``C = 0`` without categorical features).
      train_loss: ``(M + 1,)`` mean training loss of the final model after each round.
      cat_features: the categorical column indices (static).
      n_features: columns of ``X`` (static).
    """

    trees: ObliviousTree
    base_score: jax.Array
    learning_rate: jax.Array
    ts: CategoryStatistics
    train_loss: jax.Array
    cat_features: tuple = static_field(default=())
    n_features: int = static_field(default=0)


def _check_cat_codes(X, cat_features, name="X"):
    """The categorical columns as int32 codes (finite, integral, non-negative)."""
    cols = X[:, list(cat_features)]
    if not is_traced(cols):
        values = np.asarray(cols)
        if not np.all(values == np.round(values)):
            raise ValueError(f"{name}[:, cat_features] must hold integer category codes, got "
                             "non-integral values")
        if values.size and values.min() < 0:
            raise ValueError(f"{name}[:, cat_features] must hold non-negative category codes, "
                             f"got {values.min()}")
    return cols.astype(jnp.int32)


def _prefix_sizes(n: int) -> np.ndarray:
    """Prefix sizes ``0, 1, 2, 4, ...`` up to the largest power of two ``<= n - 1``."""
    sizes = [0]
    while n >= 2 and 2 ** (len(sizes) - 1) <= n - 1:
        sizes.append(2 ** (len(sizes) - 1))
    return np.asarray(sizes)


def _support_model(position, sizes):
    """Index of the largest prefix strictly before ``position``: row at position ``p``
    reads model ``m`` with ``sizes[m] <= p`` maximal."""
    return jnp.searchsorted(jnp.asarray(sizes), position, side="right") - 1


@jax.jit
def _decision_program(params: CatBoostModel, X):
    """The margin :math:`F_0 + \\eta \\sum_m f_m(z)` at checked rows, categorical columns
    encoded by the full-data TS."""
    Z = X
    if params.cat_features:
        codes = X[:, list(params.cat_features)]
        encoded = jax.vmap(lambda s, c, col: encode_target_statistics(
            CategoryStatistics(s, c, params.ts.prior, params.ts.prior_weight), col),
            in_axes=(0, 0, 1), out_axes=1)(params.ts.sums, params.ts.counts, codes)
        Z = X.at[:, list(params.cat_features)].set(encoded.astype(X.dtype))
    per_tree = jax.vmap(lambda t: t.value[oblivious_leaf_index(t, Z)])(params.trees)
    return params.base_score + params.learning_rate * jnp.sum(per_tree, axis=0)


class _FitConfig(NamedTuple):
    """The static part of a fit (one compilation per distinct value)."""

    task: str
    iterations: int
    depth: int
    border_count: int
    cat_features: tuple
    n_categories: int
    boosting_type: str
    score_function: str


@functools.partial(jax.jit, static_argnames=("config",))
def _fit_program(key, X, target, learning_rate, l2_leaf_reg, ts_prior_weight, *,
                 config: _FitConfig) -> CatBoostModel:
    """The whole fit on checked inputs, one program: TS encoding, borders, the scan."""
    cat, depth = config.cat_features, config.depth
    loss_name = "log_loss" if config.task == "classification" else "squared_error"
    loss_fn = LOSSES[loss_name]()
    rule = NewtonRule(reg_lambda=l2_leaf_reg)
    n_leaves = 2 ** depth
    n, d = X.shape
    w = jnp.ones((n,), X.dtype)
    perm = jax.random.permutation(key, n)
    prior = jnp.mean(target)
    a = ts_prior_weight

    Z = X
    if cat:
        K = config.n_categories
        codes = X[:, list(cat)].astype(jnp.int32)
        encoded = jnp.stack([_ordered_ts(perm, codes[:, j], target, K, prior, a)
                             for j in range(len(cat))], axis=1)
        Z = X.at[:, list(cat)].set(encoded)
        ts = CategoryStatistics(
            sums=jnp.stack([jax.ops.segment_sum(target, codes[:, j], num_segments=K)
                            for j in range(len(cat))]),
            counts=jnp.stack([jax.ops.segment_sum(w, codes[:, j], num_segments=K)
                              for j in range(len(cat))]),
            prior=prior, prior_weight=a)
    else:
        ts = CategoryStatistics(sums=jnp.zeros((0, 1), X.dtype),
                                counts=jnp.zeros((0, 1), X.dtype), prior=prior, prior_weight=a)
    bins = _bins(Z, config.border_count)
    borders, codes_Z = bins.edges, bin_codes(bins, Z)
    base = _initial_score(loss_name, loss_fn, target, w, 0).astype(X.dtype)

    def mean_loss(F):
        return jnp.mean(jax.vmap(loss_fn)(target, F))

    def structure(g, h):
        H_score = w * h if config.score_function == "NewtonL2" else w
        return _grow_structure(codes_Z, borders, w * g, H_score, depth, rule)

    def newton_leaves(leaf, g, h):
        return _leaf_value(_leaf_sums(leaf, w * g, n_leaves),
                        _leaf_sums(leaf, w * h, n_leaves), rule)

    def plain_round(F, _):
        g, h = _derivatives(loss_fn, target, F, False)
        feature, threshold, gain, leaf = structure(g, h)
        value = newton_leaves(leaf, g, h)
        F = F + learning_rate * value[leaf]
        tree = ObliviousTree(feature=feature, threshold=threshold, value=value, gain=gain,
                             n_features=d)
        return F, (tree, mean_loss(F))

    sizes = _prefix_sizes(n)
    position = jnp.zeros((n,), jnp.int32).at[perm].set(jnp.arange(n, dtype=jnp.int32))
    support = _support_model(position, sizes)  # (n,) which prefix model row i reads
    in_prefix = (position[None, :] < jnp.asarray(sizes)[:, None]).astype(X.dtype)  # (P, n)
    rows = jnp.arange(n)

    def ordered_round(carry, _):
        F, F_prefix = carry
        g_o, h_o = _derivatives(loss_fn, target, F_prefix[support, rows], False)
        feature, threshold, gain, leaf = structure(g_o, h_o)
        onehot = jax.nn.one_hot(leaf, n_leaves, dtype=X.dtype)  # (n, L)
        G_p = (in_prefix * (w * g_o)) @ onehot  # (P, L): each prefix's own rows only
        H_p = (in_prefix * (w * h_o)) @ onehot
        F_prefix = F_prefix + learning_rate * _leaf_value(G_p, H_p, rule)[:, leaf]
        g, h = _derivatives(loss_fn, target, F, False)
        value = newton_leaves(leaf, g, h)
        F = F + learning_rate * value[leaf]
        tree = ObliviousTree(feature=feature, threshold=threshold, value=value, gain=gain,
                             n_features=d)
        return (F, F_prefix), (tree, mean_loss(F))

    F0 = jnp.broadcast_to(base, (n,))
    if config.boosting_type == "plain":
        _, (trees, losses) = lax.scan(plain_round, F0, None, length=config.iterations)
    else:
        F_prefix = jnp.broadcast_to(base, (len(sizes), n))
        _, (trees, losses) = lax.scan(ordered_round, (F0, F_prefix), None,
                                      length=config.iterations)
    train_loss = jnp.concatenate([mean_loss(F0)[None], losses])
    return CatBoostModel(trees=trees, base_score=base, learning_rate=learning_rate, ts=ts,
                         train_loss=train_loss, cat_features=cat, n_features=d)


def _catboost(task, *, iterations, learning_rate, depth, l2_leaf_reg, border_count,
              cat_features, boosting_type, score_function, ts_prior_weight, n_categories):
    check_int(iterations, "iterations", minimum=1)
    check_positive(learning_rate, "learning_rate")
    check_int(depth, "depth", minimum=1)
    if depth > MAX_DEPTH:
        raise ValueError(f"depth must be <= {MAX_DEPTH}, got {depth}")
    check_positive(l2_leaf_reg, "l2_leaf_reg", strict=False)
    check_int(border_count, "border_count", minimum=1)
    check_option(boosting_type, "boosting_type", BOOSTING_TYPES)
    check_option(score_function, "score_function", SCORE_FUNCTIONS)
    check_positive(ts_prior_weight, "ts_prior_weight")
    if isinstance(cat_features, (int, np.integer)):
        raise TypeError("cat_features must be a sequence of column indices, got an int")
    cat = tuple(check_int(c, "cat_features index", minimum=0) for c in cat_features)
    if len(set(cat)) != len(cat):
        raise ValueError(f"cat_features must not repeat a column, got {cat}")
    if n_categories is not None:
        n_categories = tuple(check_int(k, "n_categories", minimum=1) for k in
                             ((n_categories,) * len(cat) if isinstance(n_categories, int)
                              else n_categories))
        if len(n_categories) != len(cat):
            raise ValueError(f"n_categories must give one count per categorical feature "
                             f"({len(cat)}), got {len(n_categories)}")

    def check_input(X, n_features=None, name="X"):
        X = check_X(X, name)
        if n_features is not None:
            check_n_features(X, n_features, name)
        for c in cat:
            if c >= X.shape[1]:
                raise ValueError(f"cat_features index {c} out of range for {name} with "
                                 f"{X.shape[1]} features")
        return X

    def category_counts(codes):
        if n_categories is not None:
            if not is_traced(codes):
                top = np.asarray(codes).max(axis=0)
                for c, k, m in zip(cat, n_categories, top):
                    if m >= k:
                        raise ValueError(f"X[:, {c}] holds category code {m}, but "
                                         f"n_categories gives {k} for cat_features index {c}")
            return n_categories
        if is_traced(codes):
            raise ValueError("n_categories must be given to the factory when fit is traced "
                             "(e.g. under jax.jit) with cat_features")
        return tuple(int(k) + 1 for k in np.asarray(codes).max(axis=0))

    def fit(key, X, y) -> CatBoostModel:
        X = check_input(X)
        if task == "classification":
            check_class_codes(y, n_classes=2)
            X, y = check_X_y(X, y, y_kind="i")
        else:
            X, y = check_X_y(X, y)
        target = y.astype(X.dtype)
        K_max = 1
        if cat:
            K_max = max(category_counts(_check_cat_codes(X, cat)))
        config = _FitConfig(task=task, iterations=iterations, depth=depth,
                            border_count=border_count, cat_features=cat, n_categories=K_max,
                            boosting_type=boosting_type, score_function=score_function)
        return _fit_program(as_key(key), X, target, jnp.asarray(learning_rate, X.dtype),
                            jnp.asarray(l2_leaf_reg, X.dtype),
                            jnp.asarray(ts_prior_weight, X.dtype), config=config)

    def decision(params: CatBoostModel, X):
        X = check_input(X, params.n_features)
        if params.cat_features:
            _check_cat_codes(X, params.cat_features)
        return _decision_program(params, X)

    if task == "regression":
        return Regressor(fit=fit, predict=decision)

    def predict_proba(params: CatBoostModel, X):
        p = jax.nn.sigmoid(decision(params, X))
        return jnp.stack([1 - p, p], axis=1)

    def predict(params: CatBoostModel, X):
        return (decision(params, X) > 0).astype(jnp.int32)

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba,
                      decision_function=decision)


def catboost_regressor(*, iterations: int = 100, learning_rate=0.1, depth: int = 6,
                       l2_leaf_reg=3.0, border_count: int = 254,
                       cat_features: tuple[int, ...] = (), boosting_type: str = "plain",
                       score_function: str = "NewtonL2", ts_prior_weight=1.0,
                       n_categories: int | tuple[int, ...] | None = None) -> Regressor:
    """CatBoost-style regression (RMSE: :math:`\\tfrac12(y - F)^2`, Newton leaves).

    Args:
      iterations: boosting rounds :math:`M` (static; CatBoost's default is 1000).
      learning_rate: shrinkage :math:`\\eta` (CatBoost picks one automatically).
      depth: depth of each oblivious tree (``1..16``, static).
      l2_leaf_reg: :math:`\\lambda` in the scores and leaves.
      border_count: candidate borders per feature (static; CatBoost's default 254).
      cat_features: indices of the categorical columns of ``X`` (non-negative integer
        codes), encoded by ordered TS in ``fit`` and by the full-data TS in ``predict``.
      boosting_type: ``"plain"`` or ``"ordered"`` (module docstring).
      score_function: ``"NewtonL2"`` or ``"L2"``.
      ts_prior_weight: the TS prior weight :math:`a` (the prior is the mean target).
      n_categories: categories per categorical feature (an int for all); needed when
        ``fit`` is traced, else ``max(code) + 1`` of the training data.

    Returns:
      ``Regressor``: ``fit(key, X, y) -> CatBoostModel`` (``key`` draws the permutation
      of the ordered TS and of ordered boosting), ``predict(params, X)``.
    """
    return _catboost("regression", iterations=iterations, learning_rate=learning_rate,
                     depth=depth, l2_leaf_reg=l2_leaf_reg, border_count=border_count,
                     cat_features=cat_features, boosting_type=boosting_type,
                     score_function=score_function, ts_prior_weight=ts_prior_weight,
                     n_categories=n_categories)


def catboost_classifier(*, iterations: int = 100, learning_rate=0.1, depth: int = 6,
                        l2_leaf_reg=3.0, border_count: int = 254,
                        cat_features: tuple[int, ...] = (), boosting_type: str = "plain",
                        score_function: str = "NewtonL2", ts_prior_weight=1.0,
                        n_categories: int | tuple[int, ...] | None = None) -> Classifier:
    """CatBoost-style binary classification (log loss on the margin :math:`F`, labels
    0/1); the arguments are :func:`catboost_regressor`'s, the TS of a categorical
    feature is the smoothed positive rate.

    Returns:
      ``Classifier``: ``fit(key, X, y) -> CatBoostModel``, ``predict``,
      ``predict_proba`` (``(n, 2)``), ``decision_function`` (the margin).
    """
    return _catboost("classification", iterations=iterations, learning_rate=learning_rate,
                     depth=depth, l2_leaf_reg=l2_leaf_reg, border_count=border_count,
                     cat_features=cat_features, boosting_type=boosting_type,
                     score_function=score_function, ts_prior_weight=ts_prior_weight,
                     n_categories=n_categories)
