"""jaxml.classical.metrics against sklearn.metrics (ties, single class, degenerate inputs)."""

import chex
import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from jaxml.classical import metrics as M

RNG = np.random.default_rng(0)
N = 24


def _multiclass(n=N, k=4, seed=0):
    r = np.random.default_rng(seed)
    return r.integers(0, k, n), r.integers(0, k, n)


# ------------------------------------------------------------- classification


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_prf_matches_sklearn_multiclass(average, zero_division):
    yt, yp = _multiclass(k=5)
    yp[yp == 3] = 4  # class 3 never predicted -> precision 0/0
    yt[yt == 2] = 1  # class 2 never true -> recall 0/0
    ours = M.precision_recall_fscore(yt, yp, n_classes=5 if average is None else None,
                                     average=average, zero_division=zero_division)
    kw = {"labels": list(range(5))} if average is None else {}
    ref = skm.precision_recall_fscore_support(yt, yp, average=average,
                                              zero_division=zero_division, **kw)[:3]
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b, dtype=float), rtol=1e-6)


@pytest.mark.parametrize("zero_division", ["warn", 1.0])
def test_prf_binary_degenerate(zero_division):
    yt = np.zeros(6, int)
    yp = np.zeros(6, int)
    ours = M.precision_recall_fscore(yt, yp, zero_division=zero_division)
    ref = skm.precision_recall_fscore_support(yt, yp, average="binary",
                                              zero_division=zero_division)[:3]
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(ref, dtype=float))


def test_prf_weighted_with_sample_weight_and_beta():
    yt, yp = _multiclass(k=3, seed=3)
    w = RNG.uniform(0.1, 2.0, N)
    ours = M.precision_recall_fscore(yt, yp, average="weighted", beta=2.0, sample_weight=w)
    ref = skm.precision_recall_fscore_support(yt, yp, average="weighted", beta=2.0,
                                              sample_weight=w)[:3]
    np.testing.assert_allclose(np.asarray(ours), np.asarray(ref), rtol=1e-5)
    assert float(M.f1_score(yt, yp, average="macro")) == pytest.approx(
        skm.f1_score(yt, yp, average="macro"), rel=1e-6)
    assert float(M.precision(yt, yp, average="micro")) == pytest.approx(
        skm.precision_score(yt, yp, average="micro"), rel=1e-6)
    assert float(M.recall(yt, yp, average="macro")) == pytest.approx(
        skm.recall_score(yt, yp, average="macro"), rel=1e-6)


def test_accuracy_and_confusion_matrix_match_sklearn():
    yt, yp = _multiclass(k=4, seed=1)
    w = RNG.uniform(0.0, 1.0, N)
    assert float(M.accuracy(yt, yp)) == pytest.approx(skm.accuracy_score(yt, yp))
    assert float(M.accuracy(yt, yp, sample_weight=w)) == pytest.approx(
        skm.accuracy_score(yt, yp, sample_weight=w), rel=1e-6)
    cm = M.confusion_matrix(yt, yp, 4)
    chex.assert_shape(cm, (4, 4))
    assert cm.dtype == jnp.int32
    np.testing.assert_array_equal(cm, skm.confusion_matrix(yt, yp, labels=range(4)))
    np.testing.assert_allclose(M.confusion_matrix(yt, yp, 4, sample_weight=w),
                               skm.confusion_matrix(yt, yp, labels=range(4), sample_weight=w),
                               rtol=1e-5)


def test_classification_jit_agrees():
    yt, yp = _multiclass(k=3, seed=2)
    f = jax.jit(lambda a, b: (M.precision_recall_fscore(a, b, n_classes=3, average="macro"),
                              M.confusion_matrix(a, b, 3), M.accuracy(a, b)))
    got = f(jnp.asarray(yt), jnp.asarray(yp))
    want = (M.precision_recall_fscore(yt, yp, average="macro"), M.confusion_matrix(yt, yp, 3),
            M.accuracy(yt, yp))
    chex.assert_trees_all_close(got, want)


def test_classification_bad_input():
    with pytest.raises(ValueError, match="average"):
        M.precision_recall_fscore([0, 1], [1, 0], average="samples")
    with pytest.raises(ValueError, match="n_classes=2"):
        M.precision_recall_fscore([0, 2], [1, 0], n_classes=3)
    with pytest.raises(ValueError, match="y_pred"):
        M.confusion_matrix([0, 1], [0, 5], 2)
    with pytest.raises(ValueError, match="same length"):
        M.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="zero_division"):
        M.precision([0, 1], [1, 1], zero_division=0.5)
    with pytest.raises(ValueError, match="n_classes must be given"):
        jax.jit(lambda a: M.precision_recall_fscore(a, a, average="macro"))(jnp.zeros(3, int))
    with pytest.raises(ValueError, match="y_true"):
        M.accuracy([], [])


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.int64, 12, elements=st.integers(0, 2)),
       hnp.arrays(np.int64, 12, elements=st.integers(0, 2)))
def test_prf_property_matches_sklearn(yt, yp):
    for average in ("micro", "macro", "weighted"):
        ours = M.precision_recall_fscore(yt, yp, n_classes=3, average=average)
        ref = skm.precision_recall_fscore_support(yt, yp, average=average, zero_division=0)[:3]
        np.testing.assert_allclose(np.asarray(ours), np.asarray(ref), atol=1e-6)


# ------------------------------------------------------------------------ curves


def _scores_with_ties(n=N, seed=0):
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, n)
    s = np.round(r.uniform(size=n) + 0.5 * y, 1)  # rounding creates many ties
    return y, s.astype(np.float32)


def test_roc_curve_matches_sklearn_with_ties():
    y, s = _scores_with_ties()
    w = RNG.uniform(0.5, 2.0, N)
    for sw in (None, w):
        fpr, tpr, thr, valid = M.roc_curve(y, s, sample_weight=sw)
        chex.assert_shape((fpr, tpr, thr, valid), (N + 1,))
        rf, rt, rth = skm.roc_curve(y, s, sample_weight=sw, drop_intermediate=False)
        v = np.asarray(valid)
        np.testing.assert_allclose(np.asarray(fpr)[v], rf, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(tpr)[v], rt, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(thr)[v], rth.astype(np.float32))
        assert float(M.roc_auc(y, s, sample_weight=sw)) == pytest.approx(
            skm.roc_auc_score(y, s, sample_weight=sw), abs=1e-6)


def test_pr_curve_and_average_precision_match_sklearn_with_ties():
    y, s = _scores_with_ties(seed=4)
    p, r, thr, valid = M.precision_recall_curve(y, s)
    chex.assert_shape((p, r, valid), (N + 1,))
    chex.assert_shape(thr, (N,))
    rp, rr, rth = skm.precision_recall_curve(y, s)
    v = np.asarray(valid)
    np.testing.assert_allclose(np.asarray(p)[v], rp, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(r)[v], rr, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(thr)[v[:-1]], rth)
    assert float(M.average_precision(y, s)) == pytest.approx(
        skm.average_precision_score(y, s), abs=1e-6)


def test_curves_degenerate_single_class():
    y = np.zeros(6, int)
    s = np.linspace(0, 1, 6)
    with pytest.raises(ValueError, match="only one class"):
        M.roc_auc(y, s)
    assert np.isnan(jax.jit(M.roc_auc)(jnp.asarray(y), jnp.asarray(s)))
    with pytest.warns(UserWarning):
        ref = skm.average_precision_score(y, s)
    assert float(M.average_precision(y, s)) == pytest.approx(ref)
    # all scores tied: a single threshold, AUC one half
    y2 = np.array([0, 1, 0, 1])
    assert float(M.roc_auc(y2, np.ones(4))) == pytest.approx(0.5)
    assert float(M.average_precision(y2, np.ones(4))) == pytest.approx(
        skm.average_precision_score(y2, np.ones(4)))


def test_curves_jit_agrees():
    y, s = _scores_with_ties(seed=5)
    f = jax.jit(lambda a, b: (M.roc_curve(a, b), M.roc_auc(a, b), M.average_precision(a, b)))
    got = f(jnp.asarray(y), jnp.asarray(s))
    want = (M.roc_curve(y, s), M.roc_auc(y, s), M.average_precision(y, s))
    chex.assert_trees_all_close(got, want)


def test_curves_bad_input():
    with pytest.raises(ValueError, match="y_true"):
        M.roc_auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_score"):
        M.roc_auc([0, 1, 1], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match="same length"):
        M.average_precision([0, 1, 1], [0.1, 0.3])
    with pytest.raises(ValueError, match="sample_weight"):
        M.roc_curve([0, 1], [0.1, 0.3], sample_weight=[1.0, -1.0])


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.int64, 10, elements=st.integers(0, 1)),
       hnp.arrays(np.int64, 10, elements=st.integers(0, 4)))
def test_roc_auc_is_mann_whitney_probability(y, s):
    """AUC = P(s+ > s-) + P(s+ = s-)/2 (brute force over pairs); AP equals sklearn."""
    if y.min() == y.max():
        return
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    brute = np.mean((pos > neg) + 0.5 * (pos == neg))
    assert float(M.roc_auc(y, s.astype(np.float32))) == pytest.approx(brute, abs=1e-6)
    assert float(M.average_precision(y, s.astype(np.float32))) == pytest.approx(
        skm.average_precision_score(y, s), abs=1e-6)


def test_log_loss_matches_sklearn():
    r = np.random.default_rng(0)
    p = r.dirichlet(np.ones(3), size=N).astype(np.float32)
    y = r.integers(0, 3, N)
    assert float(M.log_loss(y, p)) == pytest.approx(skm.log_loss(y, p, labels=[0, 1, 2]),
                                                    rel=1e-5)
    pb = r.uniform(size=N).astype(np.float32)
    yb = r.integers(0, 2, N)
    assert float(M.log_loss(yb, pb)) == pytest.approx(skm.log_loss(yb, pb), rel=1e-5)
    # extreme probabilities are clipped, not infinite
    assert np.isfinite(float(M.log_loss([0, 1], [1.0, 0.0])))
    assert float(jax.jit(M.log_loss)(jnp.asarray(y), jnp.asarray(p))) == pytest.approx(
        float(M.log_loss(y, p)), rel=1e-6)
    with pytest.raises(ValueError, match="y_prob"):
        M.log_loss([0, 1], [0.2, 1.3])
    with pytest.raises(ValueError, match="columns"):
        M.log_loss([0, 3], p[:2])


# ---------------------------------------------------------------------- regression


def test_regression_metrics_match_sklearn():
    r = np.random.default_rng(1)
    yt = r.normal(size=N).astype(np.float32)
    yp = (yt + r.normal(size=N)).astype(np.float32)
    w = r.uniform(0.1, 1.0, N)
    for sw in (None, w):
        assert float(M.mse(yt, yp, sample_weight=sw)) == pytest.approx(
            skm.mean_squared_error(yt, yp, sample_weight=sw), rel=1e-5)
        assert float(M.mae(yt, yp, sample_weight=sw)) == pytest.approx(
            skm.mean_absolute_error(yt, yp, sample_weight=sw), rel=1e-5)
        assert float(M.r2(yt, yp, sample_weight=sw)) == pytest.approx(
            skm.r2_score(yt, yp, sample_weight=sw), rel=1e-5)
    Yt, Yp = yt.reshape(12, 2), yp.reshape(12, 2)
    assert float(M.r2(Yt, Yp)) == pytest.approx(skm.r2_score(Yt, Yp), rel=1e-5)
    assert float(M.mse(Yt, Yp)) == pytest.approx(skm.mean_squared_error(Yt, Yp), rel=1e-5)
    # Huber: closed form by cases
    res = np.abs(yt - yp)
    want = np.mean(np.where(res <= 0.7, 0.5 * res**2, 0.7 * (res - 0.35)))
    assert float(M.huber(yt, yp, delta=0.7)) == pytest.approx(want, rel=1e-5)


def test_r2_constant_target_and_jit():
    c = np.ones(5, np.float32)
    assert float(M.r2(c, c)) == skm.r2_score(c, c) == 1.0
    assert float(M.r2(c, c + 1)) == skm.r2_score(c, c + 1) == 0.0
    yt = np.arange(6, dtype=np.float32)
    yp = yt[::-1].copy()
    f = jax.jit(lambda a, b: (M.mse(a, b), M.mae(a, b), M.r2(a, b), M.huber(a, b)))
    chex.assert_trees_all_close(f(yt, yp), (M.mse(yt, yp), M.mae(yt, yp), M.r2(yt, yp),
                                            M.huber(yt, yp)))
    with pytest.raises(ValueError, match="same shape"):
        M.mse(yt, yp[:3])
    with pytest.raises(ValueError, match="delta"):
        M.huber(yt, yp, delta=0.0)
    with pytest.raises(ValueError, match="y_pred"):
        M.mae(yt, np.full(6, np.inf))


# ------------------------------------------------------------------------- ranking


def test_ndcg_matches_sklearn_with_ties():
    r = np.random.default_rng(2)
    rel = r.integers(0, 4, (5, 8)).astype(np.float32)
    rel[2] = 0  # a query with no relevant item
    score = np.round(r.uniform(size=(5, 8)), 1).astype(np.float32)
    score[0, :4] = 0.5  # a block of ties
    distinct = r.permutation(40).reshape(5, 8).astype(np.float32)
    for k in (None, 3):
        assert float(M.ndcg(rel, score, k=k)) == pytest.approx(
            skm.ndcg_score(rel, score, k=k), abs=1e-6)
        # numpy's unstable argsort orders ties arbitrarily, so ignore_ties is compared
        # on tie-free scores
        assert float(M.ndcg(rel, distinct, k=k, ignore_ties=True)) == pytest.approx(
            skm.ndcg_score(rel, distinct, k=k, ignore_ties=True), abs=1e-6)
    got = jax.jit(lambda a, b: M.ndcg(a, b, k=3))(rel, score)
    assert float(got) == pytest.approx(float(M.ndcg(rel, score, k=3)), abs=1e-7)
    with pytest.raises(ValueError, match="non-negative"):
        M.ndcg(-rel, score)
    with pytest.raises(ValueError, match="at least 2"):
        M.ndcg(rel[:, :1], score[:, :1])


def test_mean_average_precision_matches_sklearn_samples_average():
    r = np.random.default_rng(3)
    rel = r.integers(0, 2, (6, 7))
    rel[0] = 0
    rel[1, 0] = 1
    score = np.round(r.uniform(size=(6, 7)), 1).astype(np.float32)
    with pytest.warns(UserWarning):
        ref = skm.average_precision_score(rel, score, average="samples")
    assert float(M.mean_average_precision(rel, score)) == pytest.approx(ref, abs=1e-6)
    assert float(jax.jit(M.mean_average_precision)(rel, score)) == pytest.approx(ref, abs=1e-6)
    with pytest.raises(ValueError, match="binary"):
        M.mean_average_precision(rel * 2, score)
    with pytest.raises(ValueError, match="same shape"):
        M.mean_average_precision(rel, score[:, :3])
