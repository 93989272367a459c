"""jaxml.classical.preprocessing vs scikit-learn, SciPy, statsmodels and imbalanced-learn."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
import sklearn.feature_selection as skfs
import sklearn.linear_model as sklm
import sklearn.preprocessing as skp
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler
from sklearn.utils.class_weight import compute_class_weight as sk_class_weight

from jaxml.classical import preprocessing as P

R = np.random.default_rng(0)
X = (R.normal(size=(30, 4)) * [1.0, 5.0, 0.1, 2.0] + [0.0, 3.0, -1.0, 10.0]).astype(np.float32)
X[:, 2] = np.where(X[:, 2] > -1.0, X[:, 2], 0.5)  # a skewed, bimodal column


# ---------------------------------------------------------------------- scalers


@pytest.mark.parametrize(
    "ours,ref",
    [
        (P.standard_scaler(), skp.StandardScaler()),
        (P.standard_scaler(with_mean=False), skp.StandardScaler(with_mean=False)),
        (P.min_max_scaler(feature_range=(-1.0, 2.0)), skp.MinMaxScaler(feature_range=(-1.0, 2.0))),
        (P.robust_scaler(quantile_range=(10.0, 90.0)), skp.RobustScaler(quantile_range=(10.0, 90.0))),
    ],
)
def test_scalers_match_sklearn_and_invert(ours, ref):
    Xc = X.copy()
    Xc[:, 1] = 7.0  # a constant column keeps scale 1
    params = ours.fit(Xc)
    Z = ours.transform(params, Xc)
    np.testing.assert_allclose(Z, ref.fit_transform(Xc), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.inverse_transform(params, Z), Xc, rtol=1e-5, atol=1e-4)
    chex.assert_trees_all_close(jax.jit(ours.fit)(Xc), params, rtol=1e-6)
    with pytest.raises(ValueError, match="features"):
        ours.transform(params, Xc[:, :2])
    with pytest.raises(ValueError, match="X"):
        ours.fit(np.full((3, 2), np.nan))


def test_scaler_options_validated():
    with pytest.raises(ValueError, match="feature_range"):
        P.min_max_scaler(feature_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="quantile_range"):
        P.robust_scaler(quantile_range=(80.0, 20.0))


# ------------------------------------------------------------------- transforms


def test_box_cox_matches_scipy_mle():
    pos = np.exp(R.normal(size=(40, 2))).astype(np.float32)
    pos[:, 1] = pos[:, 1] ** 0.3 + 1.0
    t = P.box_cox_transformer()
    params = t.fit(pos)
    for j in range(2):
        ref = scipy.stats.boxcox_normmax(pos[:, j].astype(np.float64), method="mle")
        assert float(params.lmbda[j]) == pytest.approx(ref, abs=2e-3)
        _, ref_l = scipy.stats.boxcox(pos[:, j].astype(np.float64))
        np.testing.assert_allclose(
            t.transform(params, pos)[:, j],
            scipy.stats.boxcox(pos[:, j].astype(np.float64), lmbda=float(params.lmbda[j])),
            rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(t.inverse_transform(params, t.transform(params, pos)), pos, rtol=1e-4)
    assert float(P.box_cox(jnp.asarray(2.0), 0.0)) == pytest.approx(np.log(2.0))
    with pytest.raises(ValueError, match="positive"):
        t.fit(pos - 5.0)


def test_log1p_transformer():
    t = P.log1p_transformer()
    Xp = np.abs(X)
    Z = t.transform(t.fit(Xp), Xp)
    np.testing.assert_allclose(Z, np.log1p(Xp), rtol=1e-6)
    np.testing.assert_allclose(t.inverse_transform({}, Z), Xp, rtol=1e-5)
    with pytest.raises(ValueError, match="> -1"):
        t.fit(Xp - 10.0)


# -------------------------------------------------------------------- encodings


def test_one_hot_encoder_matches_sklearn():
    codes = np.stack([R.integers(0, 3, 20), R.integers(0, 5, 20)], axis=1)
    enc = P.one_hot_encoder((3, 5))
    Z = enc.transform(enc.fit(codes), codes)
    ref = skp.OneHotEncoder(categories=[range(3), range(5)], sparse_output=False).fit_transform(codes)
    np.testing.assert_array_equal(Z, ref)
    np.testing.assert_array_equal(enc.inverse_transform({}, Z), codes)
    np.testing.assert_array_equal(P.one_hot(codes[:, 0], 3), ref[:, :3])
    with pytest.raises(ValueError, match="outside"):
        enc.fit(codes + 5)
    with pytest.raises(ValueError, match="codes"):
        P.one_hot([0, 4], 3)


def test_target_encoder_matches_sklearn():
    codes = np.stack([R.integers(0, 4, 40), R.integers(0, 3, 40)], axis=1)
    y = (codes[:, 0] * 1.5 + R.normal(size=40)).astype(np.float32)
    enc = P.target_encoder((4, 3), smooth=3.0)
    params = enc.fit(codes, y)
    ref = skp.TargetEncoder(smooth=3.0, target_type="continuous").fit(codes, y)
    np.testing.assert_allclose(enc.transform(params, codes), ref.transform(codes), rtol=1e-5)
    # smoothing is traceable: vmap over it, m -> inf gives the global mean
    sweep = jax.vmap(lambda m: P.target_encoder((4, 3), smooth=m).fit(codes, y).encodings[0])(
        jnp.asarray([0.0, 1e9]))
    np.testing.assert_allclose(sweep[1], np.full(4, y.mean()), rtol=1e-4)
    np.testing.assert_allclose(sweep[0], [y[codes[:, 0] == c].mean() for c in range(4)], rtol=1e-5)


# ------------------------------------------------------------- feature selection


def test_chi2_matches_sklearn():
    counts = R.poisson(3.0, size=(50, 5)).astype(np.float32)
    y = R.integers(0, 3, 50)
    counts[:, 0] += 4 * (y == 2)
    stat, pval = P.chi2(counts, y)
    ref_stat, ref_p = skfs.chi2(counts, y)
    np.testing.assert_allclose(stat, ref_stat, rtol=1e-4)
    np.testing.assert_allclose(pval, ref_p, rtol=1e-3, atol=1e-7)
    chex.assert_trees_all_close(jax.jit(lambda a, b: P.chi2(a, b, n_classes=3))(counts, y),
                                (stat, pval), rtol=1e-5)
    with pytest.raises(ValueError, match="non-negative"):
        P.chi2(-counts, y)


def test_mutual_info_discrete_matches_sklearn():
    codes = np.stack([R.integers(0, 3, 60), R.integers(0, 4, 60)], axis=1)
    y = (codes[:, 0] + R.integers(0, 2, 60)) % 3
    ours = P.mutual_info_discrete(codes, y, (3, 4))
    ref = skfs.mutual_info_classif(codes, y, discrete_features=True)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7)
    mask = P.select_k_best(ours, 1)
    np.testing.assert_array_equal(mask, [True, False])


def test_rfe_matches_sklearn():
    Xr = R.normal(size=(40, 6)).astype(np.float32)
    y = (Xr @ np.array([3.0, 0.1, -2.0, 0.0, 0.5, 1.0]) + 0.1 * R.normal(size=40)).astype(np.float32)
    support, ranking = P.rfe(Xr, y, n_features_to_select=2, alpha=1.0)
    ref = skfs.RFE(sklm.Ridge(alpha=1.0), n_features_to_select=2, step=1).fit(Xr, y)
    np.testing.assert_array_equal(support, ref.support_)
    np.testing.assert_array_equal(ranking, ref.ranking_)
    with pytest.raises(ValueError, match="n_features_to_select"):
        P.rfe(Xr, y, n_features_to_select=7)


def test_l1_selection_matches_sklearn_lasso():
    Xr = R.normal(size=(50, 5)).astype(np.float32)
    y = (Xr @ np.array([2.0, 0.0, -1.0, 0.0, 0.3]) + 0.1 * R.normal(size=50)).astype(np.float32)
    support, coef = P.l1_selection(Xr, y, alpha=0.1, tol=1e-8, max_iter=10_000)
    ref = sklm.Lasso(alpha=0.1, tol=1e-8, max_iter=10_000).fit(Xr, y)
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-4)
    np.testing.assert_array_equal(support, np.abs(ref.coef_) > 1e-5)


# --------------------------------------------------------------------- imbalance

Y_IMB = np.array([0] * 20 + [1] * 6 + [2] * 4)
X_IMB = (R.normal(size=(30, 2)) + Y_IMB[:, None]).astype(np.float32)


def test_class_weight_matches_sklearn():
    np.testing.assert_allclose(P.compute_class_weight(Y_IMB),
                               sk_class_weight("balanced", classes=np.arange(3), y=Y_IMB), rtol=1e-6)
    with pytest.raises(ValueError, match="lacks"):
        P.compute_class_weight(Y_IMB, n_classes=4)


def test_random_over_and_under_sampling_counts_match_imblearn():
    key = jax.random.PRNGKey(0)
    Xo, yo = P.random_oversample(key, X_IMB, Y_IMB)
    _, ref_y = RandomOverSampler(random_state=0).fit_resample(X_IMB, Y_IMB)
    np.testing.assert_array_equal(np.bincount(yo), np.bincount(ref_y))
    # every original row is kept; every row is a row of X with its own label
    rows = {tuple(r) for r in np.asarray(Xo)}
    assert all(tuple(r) in rows for r in X_IMB)
    lookup = {tuple(r): c for r, c in zip(X_IMB, Y_IMB)}
    assert all(lookup[tuple(r)] == c for r, c in zip(np.asarray(Xo), np.asarray(yo)))
    Xu, yu = P.random_undersample(key, X_IMB, Y_IMB)
    _, ref_yu = RandomUnderSampler(random_state=0).fit_resample(X_IMB, Y_IMB)
    np.testing.assert_array_equal(np.bincount(yu), np.bincount(ref_yu))
    assert len({tuple(r) for r in np.asarray(Xu)}) == len(yu)  # without replacement
    # determinism and jit
    chex.assert_trees_all_equal(P.random_oversample(key, X_IMB, Y_IMB), (Xo, yo))
    jitted = jax.jit(lambda k: P.random_undersample(k, X_IMB, Y_IMB, n_classes=3, n_per_class=4))
    chex.assert_trees_all_equal(jitted(key), (Xu, yu))
    with pytest.raises(ValueError, match="n_per_class"):
        P.random_undersample(key, X_IMB, Y_IMB, n_per_class=5)


def test_smote_points_on_neighbour_segments_and_counts_match_imblearn():
    key = jax.random.PRNGKey(1)
    Xs, ys = P.smote(key, X_IMB, Y_IMB, k_neighbors=3)
    _, ref_y = SMOTE(k_neighbors=3, random_state=0).fit_resample(X_IMB, Y_IMB)
    np.testing.assert_array_equal(np.bincount(ys), np.bincount(ref_y))
    Xs, ys = np.asarray(Xs), np.asarray(ys)
    for c in (1, 2):
        members = X_IMB[Y_IMB == c]
        d = ((members[:, None] - members[None]) ** 2).sum(-1)
        np.fill_diagonal(d, np.inf)
        nn = np.argsort(d, axis=1)[:, :3]
        for p in Xs[ys == c]:
            ok = False
            for i, a in enumerate(members):
                for b in members[nn[i]]:
                    seg = b - a
                    t = np.clip((p - a) @ seg / (seg @ seg), 0, 1)
                    ok |= np.linalg.norm(a + t * seg - p) < 1e-4
            assert ok, p
    chex.assert_trees_all_equal(P.smote(key, X_IMB, Y_IMB, k_neighbors=3), (Xs, ys))
    with pytest.raises(ValueError, match="at least 2"):
        P.smote(key, X_IMB[:21], Y_IMB[:21])


def test_focal_loss_reduces_to_cross_entropy_and_matches_formula():
    logits = R.normal(size=(12, 3)).astype(np.float32) * 3
    labels = R.integers(0, 3, 12)
    p = scipy.special.softmax(logits.astype(np.float64), axis=1)[np.arange(12), labels]
    ce = -np.log(p).mean()
    assert float(P.focal_loss(logits, labels, gamma=0.0)) == pytest.approx(ce, rel=1e-5)
    alpha = np.array([0.2, 0.3, 0.5], np.float32)
    want = np.mean(-alpha[labels] * (1 - p) ** 2 * np.log(p))
    assert float(P.focal_loss(logits, labels, gamma=2.0, alpha=alpha)) == pytest.approx(want, rel=1e-5)
    # binary sigmoid form: logits (n,)
    z = logits[:, 0]
    yb = labels % 2
    pb = np.where(yb == 1, 1 / (1 + np.exp(-z)), 1 / (1 + np.exp(z)))
    assert float(P.focal_loss(z, yb, gamma=1.0)) == pytest.approx(np.mean(-(1 - pb) * np.log(pb)),
                                                                  rel=1e-5)
    assert np.isfinite(float(P.focal_loss(jnp.asarray([[1e4, -1e4]]), [1])))
    with pytest.raises(ValueError, match="labels"):
        P.focal_loss(logits, labels + 3)


def test_best_threshold_matches_brute_force():
    from sklearn.metrics import balanced_accuracy_score, f1_score

    y = R.integers(0, 2, 40)
    s = np.round(R.uniform(size=40) + 0.4 * y, 1).astype(np.float32)
    for crit, fn in (("f1", f1_score), ("balanced_accuracy", balanced_accuracy_score)):
        t, v = P.best_threshold(y, s, criterion=crit)
        brute = max(fn(y, (s >= u).astype(int)) for u in np.unique(s))
        assert float(v) == pytest.approx(brute, abs=1e-6)
        assert fn(y, (s >= float(t)).astype(int)) == pytest.approx(brute, abs=1e-6)
    t, v = jax.jit(lambda a, b: P.best_threshold(a, b, criterion="youden"))(y, s)
    assert float(v) == pytest.approx(float(P.best_threshold(y, s, criterion="youden")[1]))
    with pytest.raises(ValueError, match="criterion"):
        P.best_threshold(y, s, criterion="auc")
