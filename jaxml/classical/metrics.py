"""Evaluation metrics for classification, regression and ranking — all jittable.

Classification labels are integer codes ``0 .. n_classes-1`` (encode strings with
:func:`jaxml.core.check_labels` first); binary metrics use ``1`` as the positive class.
Every function can run under ``jax.jit``/``jax.vmap``; value checks (finite inputs,
label ranges, a single class where a score is undefined) run only on concrete inputs,
so under tracing an undefined score is ``nan`` instead of an exception.

Classification, from the confusion matrix :math:`C_{ij} = \\sum_n w_n [y_n=i][\\hat y_n=j]`
(rows true, columns predicted), per class :math:`c`:

* precision :math:`P_c = TP_c / (TP_c + FP_c)`, recall :math:`R_c = TP_c / (TP_c + FN_c)`,
  :math:`F_\\beta = (1+\\beta^2) TP / ((1+\\beta^2) TP + \\beta^2 FN + FP)`;
  a zero denominator gives ``zero_division`` (0, 1 or nan; scikit-learn's "warn" is 0).
* ``average="micro"`` pools the counts; ``"macro"`` averages classes that occur in
  ``y_true`` or ``y_pred`` (as scikit-learn does without ``labels``); ``"weighted"``
  weights by support; ``nan`` entries are skipped in the averages.

Curves. Sort the scores decreasingly; at the k-th distinct threshold :math:`t_k`,
:math:`TP(t_k) = \\sum_n w_n y_n [s_n \\ge t_k]`, likewise FP. Tied scores form one point.
A jitted function cannot return a data-dependent number of points, so
:func:`roc_curve` and :func:`precision_recall_curve` return ``n + 1`` points together
with a boolean ``valid`` mask: positions inside a run of tied scores repeat the point of
the run's end and are marked invalid. ``x[valid]`` equals scikit-learn's curve with
``drop_intermediate=False``; the repeated points add zero area, so

* ROC AUC = trapezoidal area under (FPR, TPR), which equals the Mann–Whitney
  probability :math:`P(s^+ > s^-) + \\tfrac12 P(s^+ = s^-)`;
* average precision :math:`AP = \\sum_k (R_k - R_{k-1}) P_k` (no interpolation),

are exactly scikit-learn's values.

Regression: MSE, MAE, :math:`R^2 = 1 - SS_{res}/SS_{tot}` (1 for a perfect fit of a
constant target, otherwise 0 there, as scikit-learn's ``force_finite``), Huber
:math:`\\ell_\\delta(r) = r^2/2` for :math:`|r|\\le\\delta`, :math:`\\delta(|r|-\\delta/2)` else.

Ranking (rows are queries): mean average precision (the mean of per-query AP) and
NDCG (Järvelin & Kekäläinen 2002): :math:`DCG@k = \\sum_{i<k} g_{\\pi(i)} / \\log_2(i+2)`
with tied scores sharing the average gain of their group (McSherry & Najork 2008),
divided by the DCG of the ideal ordering (0 when a query has no relevant item).

References: Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters
27 (2006); Davis & Goadrich, "The relationship between precision-recall and ROC
curves", ICML 2006; Manning, Raghavan & Schütze, *Introduction to Information
Retrieval* (2008), ch. 8.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core import check_array, check_int, check_option, check_positive, is_traced

__all__ = [
    "accuracy",
    "confusion_matrix",
    "precision_recall_fscore",
    "precision",
    "recall",
    "f1_score",
    "roc_curve",
    "roc_auc",
    "precision_recall_curve",
    "average_precision",
    "log_loss",
    "mse",
    "mae",
    "r2",
    "huber",
    "mean_average_precision",
    "ndcg",
]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


# ----------------------------------------------------------------------------- helpers


def _labels(y: Any, name: str, n_classes: int | None = None) -> jax.Array:
    y = check_array(y, name, ndim=1, dtype_kind="i")
    if n_classes is not None and not is_traced(y):
        if bool(jnp.any((y < 0) | (y >= n_classes))):
            raise ValueError(f"{name} must hold labels in [0, {n_classes}), got {np.unique(y)}")
    return y


def _weights(sample_weight: Any, n: int) -> jax.Array:
    if sample_weight is None:
        return jnp.ones((n,), jnp.float32)
    w = check_array(sample_weight, "sample_weight", ndim=1, dtype_kind="f")
    if w.shape[0] != n:
        raise ValueError(f"sample_weight must have length {n}, got {w.shape[0]}")
    if not is_traced(w) and bool(jnp.any(w < 0)):
        raise ValueError("sample_weight must be non-negative")
    return w


def _same_length(a: jax.Array, b: jax.Array, name_a: str, name_b: str) -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, got {a.shape[0]} and {b.shape[0]}"
        )


def _n_classes(n_classes: int | None, *arrays: jax.Array) -> int:
    if n_classes is not None:
        return check_int(n_classes, "n_classes", minimum=1)
    if any(is_traced(a) for a in arrays):
        raise ValueError("n_classes must be given when the labels are traced (inside jit/vmap)")
    return int(max(int(jnp.max(a)) for a in arrays)) + 1


def _zero_division(value: Any) -> float:
    if isinstance(value, str):
        check_option(value, "zero_division", ("warn",))
        return 0.0
    if value is None or not (np.isnan(value) or value in (0, 1)):
        raise ValueError(f"zero_division must be 'warn', 0, 1 or nan, got {value!r}")
    return float(value)


def _safe_divide(num: jax.Array, den: jax.Array, fill: float) -> jax.Array:
    ok = den != 0
    return jnp.where(ok, num / jnp.where(ok, den, 1.0), fill)


# ------------------------------------------------------------------- classification


def accuracy(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> jax.Array:
    """Fraction (weighted) of exact matches :math:`\\sum_n w_n[y_n=\\hat y_n]/\\sum_n w_n`."""
    y_true = _labels(y_true, "y_true")
    y_pred = _labels(y_pred, "y_pred")
    _same_length(y_true, y_pred, "y_true", "y_pred")
    w = _weights(sample_weight, y_true.shape[0])
    return jnp.sum(w * (y_true == y_pred)) / jnp.sum(w)


def confusion_matrix(
    y_true: Any, y_pred: Any, n_classes: int, *, sample_weight: Any = None
) -> jax.Array:
    """``(n_classes, n_classes)`` counts, rows = true class, columns = predicted class.

    ``n_classes`` is static (it fixes the output shape). Integer counts without weights,
    float sums of weights with them.
    """
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    y_true = _labels(y_true, "y_true", n_classes)
    y_pred = _labels(y_pred, "y_pred", n_classes)
    _same_length(y_true, y_pred, "y_true", "y_pred")
    if sample_weight is None:
        w = jnp.ones(y_true.shape, jnp.int32)
    else:
        w = _weights(sample_weight, y_true.shape[0])
    flat = jax.ops.segment_sum(w, y_true * n_classes + y_pred, num_segments=n_classes**2)
    return flat.reshape(n_classes, n_classes)


def _nan_average(values: jax.Array, mask: jax.Array, weights: jax.Array | None) -> jax.Array:
    """scikit-learn's ``_nanaverage`` over the entries in ``mask``: skip nan entries; if
    all remaining weights are zero fall back to the plain mean."""
    keep = mask & ~jnp.isnan(values)
    v = jnp.where(keep, values, 0.0)
    plain = jnp.sum(v) / jnp.sum(keep)  # nan when nothing is kept, as scikit-learn
    if weights is None:
        return plain
    w = jnp.where(keep, weights, 0.0)
    wsum = jnp.sum(w)
    return jnp.where(wsum > 0, jnp.sum(w * v) / jnp.where(wsum > 0, wsum, 1.0), plain)


def precision_recall_fscore(
    y_true: Any,
    y_pred: Any,
    *,
    n_classes: int | None = None,
    average: str | None = "binary",
    beta: float = 1.0,
    zero_division: Any = "warn",
    sample_weight: Any = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Precision, recall and F-beta, as scikit-learn's ``precision_recall_fscore_support``.

    Args:
      y_true, y_pred: integer labels ``(n,)``.
      n_classes: static number of classes (inferred from concrete labels if omitted;
        required under ``jit``). ``average="binary"`` uses class 1 as positive.
      average: ``"binary"``, ``"micro"``, ``"macro"``, ``"weighted"`` or ``None``
        (per-class arrays of length ``n_classes``).
      beta: weight of recall in the F-score (``beta=1`` is F1).
      zero_division: value for a 0/0 ratio: ``"warn"`` (0), 0, 1 or ``nan``.
      sample_weight: optional non-negative weights ``(n,)``.

    Returns:
      ``(precision, recall, f_beta)``, scalars or per-class arrays.
    """
    check_option(average, "average", _AVERAGES)
    check_positive(beta, "beta", strict=False)
    fill = _zero_division(zero_division)
    y_true = _labels(y_true, "y_true")
    y_pred = _labels(y_pred, "y_pred")
    k = 2 if average == "binary" and n_classes is None else _n_classes(n_classes, y_true, y_pred)
    if average == "binary":
        if k != 2:
            raise ValueError(f"average='binary' needs n_classes=2, got {k}; pick another average")
    cm = confusion_matrix(y_true, y_pred, k, sample_weight=sample_weight).astype(jnp.float32)
    tp = jnp.diag(cm)
    true_sum = cm.sum(axis=1)
    pred_sum = cm.sum(axis=0)
    if average == "binary":
        tp, true_sum, pred_sum = tp[1:], true_sum[1:], pred_sum[1:]
    elif average == "micro":
        tp, true_sum, pred_sum = tp.sum()[None], true_sum.sum()[None], pred_sum.sum()[None]
    b2 = jnp.asarray(beta, jnp.float32) ** 2
    prec = _safe_divide(tp, pred_sum, fill)
    rec = _safe_divide(tp, true_sum, fill)
    f = _safe_divide((1 + b2) * tp, b2 * true_sum + pred_sum, fill)
    if average is None:
        return prec, rec, f
    if average in ("binary", "micro"):
        return prec[0], rec[0], f[0]
    present = (true_sum + pred_sum) > 0
    weights = true_sum if average == "weighted" else None
    return tuple(_nan_average(v, present, weights) for v in (prec, rec, f))


def precision(y_true: Any, y_pred: Any, **kwargs: Any) -> jax.Array:
    """Precision :math:`TP/(TP+FP)`; keywords as :func:`precision_recall_fscore`."""
    return precision_recall_fscore(y_true, y_pred, **kwargs)[0]


def recall(y_true: Any, y_pred: Any, **kwargs: Any) -> jax.Array:
    """Recall :math:`TP/(TP+FN)`; keywords as :func:`precision_recall_fscore`."""
    return precision_recall_fscore(y_true, y_pred, **kwargs)[1]


def f1_score(y_true: Any, y_pred: Any, **kwargs: Any) -> jax.Array:
    """F1, the harmonic mean of precision and recall; keywords as
    :func:`precision_recall_fscore` (``beta`` is fixed to 1)."""
    return precision_recall_fscore(y_true, y_pred, beta=1.0, **kwargs)[2]


# ----------------------------------------------------------------------------- curves


def _binary_inputs(y_true: Any, y_score: Any, sample_weight: Any):
    y_true = _labels(y_true, "y_true", 2)
    y_score = check_array(y_score, "y_score", ndim=1, dtype_kind="f")
    _same_length(y_true, y_score, "y_true", "y_score")
    w = _weights(sample_weight, y_true.shape[0])
    return y_true, y_score, w


def _binary_clf_curve(y_true: jax.Array, y_score: jax.Array, w: jax.Array):
    """Cumulative (FP, TP) at every sorted position, ties filled with their run's end.

    Returns ``fps, tps, sorted_scores, distinct`` each of length n, in decreasing-score
    order; ``distinct[i]`` marks the last position of a run of equal scores.
    """
    order = jnp.argsort(y_score, descending=True, stable=True)
    s = y_score[order]
    y = y_true[order].astype(w.dtype)
    ws = w[order]
    tps = jnp.cumsum(y * ws)
    fps = jnp.cumsum((1.0 - y) * ws)
    n = s.shape[0]
    distinct = jnp.concatenate([s[:-1] != s[1:], jnp.ones((1,), bool)])
    idx = jnp.arange(n)
    run_end = jax.lax.cummin(jnp.where(distinct, idx, n), reverse=True)
    return fps[run_end], tps[run_end], s, distinct


def roc_curve(
    y_true: Any, y_score: Any, *, sample_weight: Any = None
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Receiver operating characteristic with a static number of points.

    Returns:
      ``(fpr, tpr, thresholds, valid)``, each of length ``n + 1`` in decreasing
      threshold order starting at ``(0, 0, +inf)``. ``fpr[valid]``, ``tpr[valid]``,
      ``thresholds[valid]`` equal ``sklearn.metrics.roc_curve(...,
      drop_intermediate=False)``. FPR (TPR) is nan when there are no negatives
      (positives).
    """
    y_true, y_score, w = _binary_inputs(y_true, y_score, sample_weight)
    fps, tps, s, distinct = _binary_clf_curve(y_true, y_score, w)
    zero = jnp.zeros((1,), fps.dtype)
    fpr = jnp.concatenate([zero, fps]) / fps[-1]
    tpr = jnp.concatenate([zero, tps]) / tps[-1]
    thresholds = jnp.concatenate([jnp.full((1,), jnp.inf, s.dtype), s])
    valid = jnp.concatenate([jnp.ones((1,), bool), distinct])
    return fpr, tpr, thresholds, valid


def _require_both_classes(y_true: jax.Array, w: jax.Array) -> None:
    if not is_traced(y_true) and not is_traced(w):
        pos = float(jnp.sum(w * y_true))
        neg = float(jnp.sum(w * (1 - y_true)))
        if pos == 0 or neg == 0:
            raise ValueError(
                "y_true contains only one class; ROC AUC is not defined in that case"
            )


def roc_auc(y_true: Any, y_score: Any, *, sample_weight: Any = None) -> jax.Array:
    """Area under the ROC curve (trapezoidal, ties counted one half).

    Raises ``ValueError`` for concrete ``y_true`` with a single class; under ``jit`` the
    result is ``nan`` then.
    """
    y_true, y_score, w = _binary_inputs(y_true, y_score, sample_weight)
    _require_both_classes(y_true, w)
    fpr, tpr, _, _ = roc_curve(y_true, y_score, sample_weight=w)
    return jnp.sum(jnp.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)


def precision_recall_curve(
    y_true: Any, y_score: Any, *, sample_weight: Any = None
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Precision–recall curve with a static number of points.

    Returns:
      ``(precision, recall, thresholds, valid)`` in scikit-learn's order (increasing
      threshold; precision and recall have ``n + 1`` entries ending with ``(1, 0)``,
      thresholds ``n``). ``precision[valid]``, ``recall[valid]`` and
      ``thresholds[valid[:-1]]`` equal ``sklearn.metrics.precision_recall_curve``.
      Without positives recall is 1 at every threshold (as scikit-learn).
    """
    y_true, y_score, w = _binary_inputs(y_true, y_score, sample_weight)
    fps, tps, s, distinct = _binary_clf_curve(y_true, y_score, w)
    prec, rec = _precision_recall(fps, tps)
    one = jnp.ones((1,), prec.dtype)
    return (
        jnp.concatenate([prec[::-1], one]),
        jnp.concatenate([rec[::-1], 0 * one]),
        s[::-1],
        jnp.concatenate([distinct[::-1], jnp.ones((1,), bool)]),
    )


def _precision_recall(fps: jax.Array, tps: jax.Array) -> tuple[jax.Array, jax.Array]:
    prec = _safe_divide(tps, tps + fps, 0.0)
    rec = jnp.where(tps[-1] > 0, tps / jnp.where(tps[-1] > 0, tps[-1], 1.0), 1.0)
    return prec, rec


def average_precision(y_true: Any, y_score: Any, *, sample_weight: Any = None) -> jax.Array:
    """Average precision :math:`\\sum_k (R_k - R_{k-1}) P_k` over distinct thresholds
    (scikit-learn's ``average_precision_score``; 0 when there is no positive)."""
    y_true, y_score, w = _binary_inputs(y_true, y_score, sample_weight)
    return _average_precision(y_true, y_score, w)


def _average_precision(y_true: jax.Array, y_score: jax.Array, w: jax.Array) -> jax.Array:
    fps, tps, _, _ = _binary_clf_curve(y_true, y_score, w)
    prec, rec = _precision_recall(fps, tps)
    steps = jnp.diff(jnp.concatenate([jnp.zeros((1,), rec.dtype), rec]))
    return jnp.maximum(0.0, jnp.sum(steps * prec))


def log_loss(y_true: Any, y_prob: Any, *, sample_weight: Any = None) -> jax.Array:
    """Mean negative log-likelihood :math:`-\\frac1n\\sum_n \\log p_{n, y_n}`.

    ``y_prob`` is ``(n,)`` (probability of class 1) or ``(n, n_classes)``; it is clipped
    to ``[eps, 1 - eps]`` with the float type's machine epsilon, as scikit-learn.
    """
    y_true = _labels(y_true, "y_true")
    y_prob = check_array(y_prob, "y_prob", ndim=(1, 2), dtype_kind="f")
    _same_length(y_true, y_prob, "y_true", "y_prob")
    if y_prob.ndim == 1:
        y_prob = jnp.stack([1.0 - y_prob, y_prob], axis=1)
    k = y_prob.shape[1]
    if not is_traced(y_true) and bool(jnp.any(y_true >= k)):
        raise ValueError(f"y_true has labels >= the {k} columns of y_prob")
    if not is_traced(y_prob) and bool(jnp.any((y_prob < 0) | (y_prob > 1))):
        raise ValueError("y_prob must hold probabilities in [0, 1]")
    w = _weights(sample_weight, y_true.shape[0])
    eps = jnp.finfo(y_prob.dtype).eps
    p = jnp.clip(jnp.take_along_axis(y_prob, y_true[:, None], axis=1)[:, 0], eps, 1 - eps)
    return -jnp.sum(w * jnp.log(p)) / jnp.sum(w)


# ------------------------------------------------------------------------- regression


def _regression_inputs(y_true: Any, y_pred: Any, sample_weight: Any):
    y_true = check_array(y_true, "y_true", ndim=(1, 2), dtype_kind="f")
    y_pred = check_array(y_pred, "y_pred", ndim=(1, 2), dtype_kind="f")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}"
        )
    w = _weights(sample_weight, y_true.shape[0])
    if y_true.ndim == 2:
        w = w[:, None]
    return y_true, y_pred, w


def _weighted_mean(v: jax.Array, w: jax.Array) -> jax.Array:
    """Weighted mean over samples, then the uniform mean over outputs."""
    return jnp.mean(jnp.sum(w * v, axis=0) / jnp.sum(w, axis=0))


def mse(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> jax.Array:
    """Mean squared error :math:`\\frac1n\\sum (y-\\hat y)^2` (outputs averaged uniformly)."""
    y_true, y_pred, w = _regression_inputs(y_true, y_pred, sample_weight)
    return _weighted_mean((y_true - y_pred) ** 2, w)


def mae(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> jax.Array:
    """Mean absolute error :math:`\\frac1n\\sum |y-\\hat y|`."""
    y_true, y_pred, w = _regression_inputs(y_true, y_pred, sample_weight)
    return _weighted_mean(jnp.abs(y_true - y_pred), w)


def r2(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> jax.Array:
    """Coefficient of determination :math:`1 - SS_{res}/SS_{tot}` per output, averaged.

    A constant target gives 1 for a perfect prediction and 0 otherwise (scikit-learn's
    ``force_finite=True``).
    """
    y_true, y_pred, w = _regression_inputs(y_true, y_pred, sample_weight)
    mean = jnp.sum(w * y_true, axis=0, keepdims=True) / jnp.sum(w, axis=0, keepdims=True)
    ss_res = jnp.sum(w * (y_true - y_pred) ** 2, axis=0)
    ss_tot = jnp.sum(w * (y_true - mean) ** 2, axis=0)
    score = jnp.where(
        ss_tot > 0,
        1.0 - ss_res / jnp.where(ss_tot > 0, ss_tot, 1.0),
        jnp.where(ss_res > 0, 0.0, 1.0),
    )
    return jnp.mean(score)


def huber(y_true: Any, y_pred: Any, *, delta: float = 1.0, sample_weight: Any = None) -> jax.Array:
    """Mean Huber loss: quadratic :math:`r^2/2` inside ``|r| <= delta``, linear outside
    (Huber 1964)."""
    from jaxml.nn.losses import huber_loss

    y_true, y_pred, w = _regression_inputs(y_true, y_pred, sample_weight)
    return _weighted_mean(huber_loss(y_pred, y_true, delta=delta), w)


# ---------------------------------------------------------------------------- ranking


def _ranking_inputs(y_true: Any, y_score: Any) -> tuple[jax.Array, jax.Array]:
    y_true = check_array(y_true, "y_true", ndim=2, dtype_kind="f")
    y_score = check_array(y_score, "y_score", ndim=2, dtype_kind="f")
    if y_true.shape != y_score.shape:
        raise ValueError(
            f"y_true and y_score must have the same shape, got {y_true.shape} and {y_score.shape}"
        )
    if y_true.shape[1] < 2:
        raise ValueError(f"y_score must rank at least 2 items per query, got {y_true.shape[1]}")
    if not is_traced(y_true) and bool(jnp.any(y_true < 0)):
        raise ValueError("y_true must hold non-negative relevances")
    return y_true, y_score


def mean_average_precision(y_true: Any, y_score: Any) -> jax.Array:
    """Mean over queries (rows) of the average precision of each ranking.

    ``y_true`` is a binary relevance matrix ``(n_queries, n_items)``; a query without a
    relevant item scores 0 (as ``sklearn.metrics.average_precision_score(...,
    average="samples")``).
    """
    y_true, y_score = _ranking_inputs(y_true, y_score)
    if not is_traced(y_true) and bool(jnp.any((y_true != 0) & (y_true != 1))):
        raise ValueError("y_true must be a binary (0/1) relevance matrix")
    w = jnp.ones(y_true.shape[1], jnp.float32)
    ap = jax.vmap(lambda t, s: _average_precision(t.astype(jnp.int32), s, w))(y_true, y_score)
    return jnp.mean(ap)


def _dcg(gain: jax.Array, score: jax.Array, discount: jax.Array, ignore_ties: bool) -> jax.Array:
    order = jnp.argsort(score, descending=True, stable=True)
    g = gain[order]
    if ignore_ties:  # ties in index order
        return jnp.sum(g * discount)
    s = score[order]
    n = s.shape[0]
    group = jnp.cumsum(jnp.concatenate([jnp.zeros((1,), jnp.int32), (s[1:] != s[:-1])]))
    g_sum = jax.ops.segment_sum(g, group, num_segments=n)
    count = jax.ops.segment_sum(jnp.ones_like(g), group, num_segments=n)
    d_sum = jax.ops.segment_sum(discount, group, num_segments=n)
    return jnp.sum(_safe_divide(g_sum, count, 0.0) * d_sum)


def ndcg(y_true: Any, y_score: Any, *, k: int | None = None, ignore_ties: bool = False) -> jax.Array:
    """Normalised discounted cumulative gain, averaged over queries (rows).

    Matches ``sklearn.metrics.ndcg_score``: gains are the raw relevances, the discount
    is :math:`1/\\log_2(i+2)` for the first ``k`` positions (all if ``k`` is None), tied
    scores share their average gain unless ``ignore_ties``; a query whose ideal DCG is
    0 scores 0.
    """
    y_true, y_score = _ranking_inputs(y_true, y_score)
    m = y_true.shape[1]
    discount = 1.0 / jnp.log2(jnp.arange(m, dtype=jnp.float32) + 2.0)
    if k is not None:
        k = check_int(k, "k", minimum=1)
        discount = jnp.where(jnp.arange(m) < k, discount, 0.0)
    dcg = jax.vmap(lambda t, s: _dcg(t, s, discount, ignore_ties))(y_true, y_score)
    ideal = jax.vmap(lambda t: _dcg(t, t, discount, True))(y_true)
    return jnp.mean(_safe_divide(dcg, ideal, 0.0))
