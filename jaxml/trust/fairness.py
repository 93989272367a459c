"""Group-fairness metrics and equalised-odds post-processing.

For binary labels Y, binary predictions Ŷ and a sensitive attribute A with groups a:

* selection rate  s_a = P(Ŷ = 1 | A = a),   TPR_a = P(Ŷ = 1 | Y = 1, A = a),
  FPR_a = P(Ŷ = 1 | Y = 0, A = a),   PPV_a = P(Y = 1 | Ŷ = 1, A = a);
* demographic parity: difference max_a s_a − min_a s_a, ratio min_a s_a / max_a s_a;
* equalised odds (Hardt et al. 2016): difference max(ΔTPR, ΔFPR), ratio
  min(TPR ratio, FPR ratio) (fairlearn's definitions); equal opportunity: ΔTPR;
  predictive parity: ΔPPV;
* group calibration: the expected calibration error of scores within each group,
  ECE_a = Σ_bins (n_b/n_a)|mean score_b − mean label_b| (equal-width bins), and its gap.

A group with no member of the conditioning event (no positives for TPR, no predicted
positives for PPV) has an undefined rate, NaN, and then so has the metric.

**Post-processing** (Hardt, Price & Srebro 2016, binary predictor). The derived predictor
Ỹ flips a coin: P(Ỹ = 1 | Ŷ = ŷ, A = a) = p_{a,ŷ}. Its rates are the linear functions
TPR̃_a = p_{a,1} TPR_a + p_{a,0}(1 − TPR_a) and FPR̃_a = p_{a,1} FPR_a + p_{a,0}(1 − FPR_a);
the linear program minimises the expected error Σ_a P(a)[P(Y=1|a)(1 − TPR̃_a) + P(Y=0|a) FPR̃_a]
subject to TPR̃_a = TPR̃_0 and FPR̃_a = FPR̃_0 for every a (equalised odds), or only the
TPR constraints (equal opportunity), over p ∈ [0, 1]^{2|A|}.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

from jaxml.core.validation import check_int, check_option

CONSTRAINTS = ("equalized_odds", "equal_opportunity")


def check_binary_labels(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-D int64 array of 0/1 labels; a clear error naming ``name`` otherwise."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if not np.all(np.isin(arr, (0, 1))):
        raise ValueError(f"{name} must hold binary labels 0/1, got values {np.unique(arr)[:5]}")
    return arr.astype(np.int64)


def encode_groups(sensitive: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(group values, integer codes) of the sensitive attribute: one value per example and at
    least two groups, else a clear error."""
    sensitive = np.asarray(sensitive)
    if sensitive.shape != (n,):
        raise ValueError(f"sensitive must have one value per example ({n}), got shape {sensitive.shape}")
    values, codes = np.unique(sensitive, return_inverse=True)
    if len(values) < 2:
        raise ValueError(f"sensitive must contain at least two groups, got only {values.tolist()}")
    return values, codes


def _inputs(y_true, y_pred, sensitive):
    y_true, y_pred = check_binary_labels(y_true, "y_true"), check_binary_labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}")
    values, codes = encode_groups(sensitive, len(y_true))
    return y_true, y_pred, values, codes


def _rate(hit: np.ndarray, given: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    num = np.bincount(codes, weights=hit * given, minlength=k)
    den = np.bincount(codes, weights=given, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


class GroupRates(NamedTuple):
    """Per-group rates, in the order of ``groups`` (the sorted distinct values of A)."""

    groups: np.ndarray
    selection_rate: np.ndarray
    tpr: np.ndarray
    fpr: np.ndarray
    ppv: np.ndarray
    size: np.ndarray


def group_rates(y_true: Any, y_pred: Any, sensitive: Any) -> GroupRates:
    """Selection rate, TPR, FPR and PPV of every group (module docstring)."""
    y_true, y_pred, values, codes = _inputs(y_true, y_pred, sensitive)
    k, ones = len(values), np.ones_like(y_true)
    return GroupRates(values, _rate(y_pred, ones, codes, k), _rate(y_pred, y_true, codes, k),
                      _rate(y_pred, 1 - y_true, codes, k), _rate(y_true, y_pred, codes, k),
                      np.bincount(codes, minlength=k))


def _difference(rates: np.ndarray) -> float:
    return float(np.max(rates) - np.min(rates))


def _ratio(rates: np.ndarray) -> float:
    top = np.max(rates)
    return float(np.min(rates) / top) if top > 0 else 1.0


def demographic_parity_difference(y_true: Any, y_pred: Any, sensitive: Any) -> float:
    """max_a P(Ŷ=1|a) − min_a P(Ŷ=1|a)."""
    return _difference(group_rates(y_true, y_pred, sensitive).selection_rate)


def demographic_parity_ratio(y_true: Any, y_pred: Any, sensitive: Any) -> float:
    """min_a P(Ŷ=1|a) / max_a P(Ŷ=1|a)."""
    return _ratio(group_rates(y_true, y_pred, sensitive).selection_rate)


def equalized_odds_difference(y_true: Any, y_pred: Any, sensitive: Any) -> float:
    """max(max_a TPR_a − min_a TPR_a, max_a FPR_a − min_a FPR_a)."""
    r = group_rates(y_true, y_pred, sensitive)
    return max(_difference(r.tpr), _difference(r.fpr))


def equalized_odds_ratio(y_true: Any, y_pred: Any, sensitive: Any) -> float:
    """min(TPR ratio, FPR ratio), each min_a / max_a."""
    r = group_rates(y_true, y_pred, sensitive)
    return min(_ratio(r.tpr), _ratio(r.fpr))


def equal_opportunity_difference(y_true: Any, y_pred: Any, sensitive: Any) -> float:
    """max_a TPR_a − min_a TPR_a."""
    return _difference(group_rates(y_true, y_pred, sensitive).tpr)


def predictive_parity_difference(y_true: Any, y_pred: Any, sensitive: Any) -> float:
    """max_a PPV_a − min_a PPV_a."""
    return _difference(group_rates(y_true, y_pred, sensitive).ppv)


def group_calibration(y_true: Any, scores: Any, sensitive: Any, *, n_bins: int = 10) -> tuple[np.ndarray, float]:
    """(ECE_a per group, max − min of them) with ``n_bins`` equal-width bins on [0, 1]."""
    y_true = check_binary_labels(y_true, "y_true")
    scores = np.asarray(scores, dtype=float)
    if scores.shape != y_true.shape or np.any((scores < 0) | (scores > 1)):
        raise ValueError("scores must be probabilities in [0, 1], one per example")
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    values, codes = encode_groups(sensitive, len(y_true))
    bins = np.minimum((scores * n_bins).astype(int), n_bins - 1)
    ece = np.zeros(len(values))
    for a in range(len(values)):
        in_a = codes == a
        count = np.bincount(bins[in_a], minlength=n_bins)
        gap = np.abs(np.bincount(bins[in_a], scores[in_a], n_bins) - np.bincount(bins[in_a], y_true[in_a], n_bins))
        ece[a] = gap.sum() / max(count.sum(), 1)
    return ece, _difference(ece)


# ----------------------------------------------------------------------------- post-processing
class PostProcessor(NamedTuple):
    """``groups`` (sorted values of A) and ``flip[a, ŷ]`` = P(Ỹ = 1 | Ŷ = ŷ, A = groups[a])."""

    groups: np.ndarray
    flip: np.ndarray


def fit_postprocessing(y_true: Any, y_pred: Any, sensitive: Any, *,
                       constraint: str = "equalized_odds") -> PostProcessor:
    """Hardt et al.'s linear program (module docstring) on the given data."""
    check_option(constraint, "constraint", CONSTRAINTS)
    y_true, y_pred, values, codes = _inputs(y_true, y_pred, sensitive)
    r = group_rates(y_true, y_pred, sensitive)
    if np.any(np.isnan(r.tpr)) or np.any(np.isnan(r.fpr)):
        raise ValueError("every group needs both positive and negative labels to equalise odds")
    k = len(values)
    share = r.size / r.size.sum()
    base = np.bincount(codes, weights=y_true, minlength=k) / r.size  # P(Y=1 | a)

    def rate_row(a, rate):  # coefficients of p_{a,0}, p_{a,1} in the derived rate
        row = np.zeros(2 * k)
        row[2 * a], row[2 * a + 1] = 1 - rate, rate
        return row

    # error = Σ_a share_a [base_a (1 − TPR̃_a) + (1 − base_a) FPR̃_a]; drop the constant
    cost = sum(share[a] * (-base[a] * rate_row(a, r.tpr[a]) + (1 - base[a]) * rate_row(a, r.fpr[a]))
               for a in range(k))
    rows = [rate_row(a, r.tpr[a]) - rate_row(0, r.tpr[0]) for a in range(1, k)]
    if constraint == "equalized_odds":
        rows += [rate_row(a, r.fpr[a]) - rate_row(0, r.fpr[0]) for a in range(1, k)]
    sol = optimize.linprog(cost, A_eq=np.array(rows), b_eq=np.zeros(len(rows)), bounds=[(0, 1)] * (2 * k),
                           method="highs")
    if not sol.success:
        raise ArithmeticError(f"the post-processing linear program failed: {sol.message}")
    return PostProcessor(values, np.clip(sol.x.reshape(k, 2), 0.0, 1.0))


def _codes_of(post: PostProcessor, sensitive: Any) -> np.ndarray:
    sensitive = np.asarray(sensitive)
    codes = np.searchsorted(post.groups, sensitive)
    codes = np.minimum(codes, len(post.groups) - 1)
    if not np.all(post.groups[codes] == sensitive):
        raise ValueError(f"sensitive holds groups not seen at fit time; known: {post.groups.tolist()}")
    return codes


def postprocess_probabilities(post: PostProcessor, y_pred: Any, sensitive: Any) -> np.ndarray:
    """P(Ỹ = 1) of every example: ``flip[a_i, ŷ_i]``."""
    return post.flip[_codes_of(post, sensitive), check_binary_labels(y_pred, "y_pred")]


def postprocess_predict(key: jax.Array, post: PostProcessor, y_pred: Any, sensitive: Any) -> jax.Array:
    """Ỹ ∼ Bernoulli(P(Ỹ = 1)) for every example."""
    return jax.random.bernoulli(key, jnp.asarray(postprocess_probabilities(post, y_pred, sensitive))).astype(jnp.int32)


def expected_group_rates(post: PostProcessor, y_true: Any, y_pred: Any, sensitive: Any) -> GroupRates:
    """The exact (expected) group rates of the randomised predictor Ỹ: each example
    counts with its probability P(Ỹ = 1) instead of a coin flip."""
    y_true, _, values, codes = _inputs(y_true, y_pred, sensitive)
    prob = postprocess_probabilities(post, y_pred, sensitive)
    k, ones = len(values), np.ones_like(y_true)
    ppv_num = np.bincount(codes, weights=prob * y_true, minlength=k)
    ppv_den = np.bincount(codes, weights=prob, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        ppv = np.where(ppv_den > 0, ppv_num / ppv_den, np.nan)
    return GroupRates(values, _rate(prob, ones, codes, k), _rate(prob, y_true, codes, k),
                      _rate(prob, 1 - y_true, codes, k), ppv, np.bincount(codes, minlength=k))
