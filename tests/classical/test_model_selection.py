"""jaxml.classical.model_selection vs sklearn.model_selection and closed forms."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sklearn.linear_model as sklm
import sklearn.model_selection as skms

from jaxml.classical import linear
from jaxml.classical import model_selection as MS

R = np.random.default_rng(0)
XR = R.normal(size=(40, 3)).astype(np.float32)
YR = (XR @ np.array([1.0, -2.0, 0.5]) + 0.3 * R.normal(size=40)).astype(np.float32)
YC = (XR[:, 0] + 0.5 * XR[:, 1] + 0.7 * R.normal(size=40) > 0).astype(np.int32)


def _same_splits(folds, sk_splits):
    ours = MS.fold_indices(folds)
    ref = list(sk_splits)
    assert len(ours) == len(ref)
    for (a, b), (c, d) in zip(ours, ref):
        np.testing.assert_array_equal(a, np.sort(c))
        np.testing.assert_array_equal(b, np.sort(d))


# ---------------------------------------------------------------------- folds


@pytest.mark.parametrize("n,k", [(10, 5), (13, 4), (7, 7)])
def test_kfold_matches_sklearn(n, k):
    folds = MS.kfold(n, k)
    chex.assert_shape((folds.train, folds.test), (k, n))
    assert folds.test.dtype == jnp.bool_
    _same_splits(folds, skms.KFold(k).split(np.zeros(n)))


@pytest.mark.parametrize("k", [2, 3, 5])
def test_stratified_kfold_matches_sklearn(k):
    y = np.array(["b"] * 11 + ["a"] * 6 + ["c"] * 5)
    R.shuffle(y)
    _same_splits(MS.stratified_kfold(y, k), skms.StratifiedKFold(k).split(np.zeros(len(y)), y))


def test_group_kfold_matches_sklearn():
    groups = R.integers(0, 9, 50)
    _same_splits(MS.group_kfold(groups, 4), skms.GroupKFold(4).split(np.zeros(50), groups=groups))


@pytest.mark.parametrize("kw", [{}, {"gap": 2}, {"test_size": 3, "max_train_size": 5}])
def test_time_series_split_matches_sklearn(kw):
    _same_splits(MS.time_series_split(23, 4, **kw), skms.TimeSeriesSplit(4, **kw).split(np.zeros(23)))


def test_permute_folds_partition_stratification_and_determinism():
    y = np.array([0] * 12 + [1] * 8)
    base = MS.stratified_kfold(y, 4)
    key = jax.random.PRNGKey(3)
    f = MS.permute_folds(key, base, y=y)
    np.testing.assert_array_equal(np.asarray(f.test).sum(axis=0), np.ones(20))
    np.testing.assert_array_equal(np.asarray(f.test) @ y, np.asarray(base.test) @ y)
    assert not np.array_equal(np.asarray(f.test), np.asarray(base.test))
    chex.assert_trees_all_equal(MS.permute_folds(key, base, y=y), f)
    g = MS.permute_folds(key, MS.kfold(20, 4))
    np.testing.assert_array_equal(np.asarray(g.test).sum(axis=1), [5, 5, 5, 5])


def test_fold_bad_input():
    with pytest.raises(ValueError, match="n_splits"):
        MS.kfold(3, 5)
    with pytest.raises(ValueError, match="n_splits"):
        MS.group_kfold([0, 0, 1], 3)
    with pytest.raises(ValueError, match="too many splits"):
        MS.time_series_split(5, 5)
    with pytest.raises(ValueError, match="every class"):
        MS.stratified_kfold([0, 1, 1], 3)
    with pytest.raises(TypeError, match="n_splits"):
        MS.kfold(10, 2.5)


# --------------------------------------- linear estimators with fold masks as weights


def test_masked_ridge_matches_sklearn_and_jit():
    w = R.uniform(0.0, 2.0, 40).astype(np.float32)
    est = linear.ridge(alpha=0.7)
    p = est.fit(XR, YR, sample_weight=w)
    ref = sklm.Ridge(alpha=0.7).fit(XR, YR, sample_weight=w)
    np.testing.assert_allclose(p.coef, ref.coef_, rtol=1e-4)
    assert float(p.intercept) == pytest.approx(ref.intercept_, abs=1e-5)
    np.testing.assert_allclose(est.predict(p, XR), ref.predict(XR), rtol=1e-4, atol=1e-5)
    chex.assert_trees_all_close(jax.jit(est.fit)(XR, YR, w), p, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_masked_logistic_matches_sklearn(n_classes):
    y = YC if n_classes == 2 else np.digitize(XR[:, 0] + 0.3 * R.normal(size=40), [-0.5, 0.5])
    w = R.uniform(0.2, 2.0, 40).astype(np.float32)
    est = linear.logistic_regression(C=0.8, n_classes=n_classes, tol=1e-7)
    p = est.fit(XR, y, sample_weight=w)
    ref = sklm.LogisticRegression(C=0.8, tol=1e-10, max_iter=10_000).fit(
        XR.astype(np.float64), y, sample_weight=w)
    np.testing.assert_allclose(p.coef, ref.coef_, atol=2e-4)
    np.testing.assert_allclose(p.intercept, ref.intercept_, atol=2e-4)
    np.testing.assert_allclose(est.predict_proba(p, XR), ref.predict_proba(XR), atol=1e-4)
    np.testing.assert_array_equal(est.predict(p, XR), ref.predict(XR))
    # a fold mask as weights == dropping the rows: the same objective, so in float64 the
    # two Newton solutions agree to rounding (float32 Newton stalls at ~1e-4 on the
    # softmax's ill-conditioned feature-0 direction, which differs between CPUs)
    mask = np.arange(40) < 30
    with jax.enable_x64(True):
        X64 = XR.astype(np.float64)
        p0 = est.fit(X64, y, sample_weight=mask.astype(np.float64))
        p1 = est.fit(X64[mask], y[mask])
        chex.assert_trees_all_close(p0.coef, p1.coef, atol=1e-8)
    with pytest.raises(ValueError, match="sample_weight"):
        est.fit(XR, y, sample_weight=w[:5])


# ------------------------------------------------------------ cross-validation


def test_cross_validate_ridge_matches_gridsearchcv_in_one_trace():
    alphas = np.logspace(-2, 3, 7).astype(np.float32)
    calls = []

    def factory(alpha):
        calls.append(alpha)
        return linear.ridge(alpha=alpha)

    cv = MS.cross_validate(factory, XR, YR, {"alpha": alphas}, MS.kfold(40, 5), "r2",
                           return_train_score=True)
    chex.assert_shape((cv.test_scores, cv.train_scores), (7, 5))
    assert len(calls) == 2  # one concrete probe + one trace for all 35 fits
    gs = skms.GridSearchCV(sklm.Ridge(), {"alpha": alphas}, cv=skms.KFold(5), scoring="r2",
                           return_train_score=True).fit(XR, YR)
    ref_test = np.stack([gs.cv_results_[f"split{i}_test_score"] for i in range(5)], axis=1)
    ref_train = np.stack([gs.cv_results_[f"split{i}_train_score"] for i in range(5)], axis=1)
    np.testing.assert_allclose(cv.test_scores, ref_test, atol=1e-4)
    np.testing.assert_allclose(cv.train_scores, ref_train, atol=1e-4)
    chunked = MS.cross_validate(linear.ridge, XR, YR, {"alpha": alphas}, MS.kfold(40, 5),
                                "r2", batch_size=3)
    np.testing.assert_allclose(chunked.test_scores, cv.test_scores, rtol=1e-5)


def _logistic_factory(C):
    return linear.logistic_regression(C=C, n_classes=2, tol=1e-7)


def test_grid_search_logistic_matches_gridsearchcv():
    grid = MS.param_grid_product(C=np.logspace(-3, 1, 5).astype(np.float32))
    folds = MS.stratified_kfold(YC, 4)
    res = MS.grid_search(_logistic_factory, XR, YC, grid,
                         folds, "accuracy")
    gs = skms.GridSearchCV(sklm.LogisticRegression(tol=1e-10), {"C": np.asarray(grid["C"])},
                           cv=skms.StratifiedKFold(4)).fit(XR.astype(np.float64), YC)
    np.testing.assert_allclose(res.mean_test_score, gs.cv_results_["mean_test_score"], atol=1e-6)
    assert res.best_index == gs.best_index_
    np.testing.assert_allclose(res.best_estimator_params.coef, gs.best_estimator_.coef_, atol=2e-4)


def test_cross_validate_without_sample_weight_gathers_rows():
    def plain_ridge(alpha):
        inner = linear.ridge(alpha=alpha)
        return inner._replace(fit=lambda X, y: inner.fit(X, y))  # no sample_weight

    grid = {"alpha": np.asarray([0.1, 10.0], np.float32)}
    a = MS.cross_validate(plain_ridge, XR, YR, grid, MS.kfold(40, 4), "neg_mean_squared_error")
    b = MS.cross_validate(linear.ridge, XR, YR, grid, MS.kfold(40, 4), "neg_mean_squared_error")
    np.testing.assert_allclose(a.test_scores, b.test_scores, rtol=1e-5)
    with pytest.raises(ValueError, match="same number of training rows"):
        MS.cross_validate(plain_ridge, XR, YR, grid, MS.kfold(40, 3), "r2")


def test_cross_validate_bad_input():
    with pytest.raises(ValueError, match="scorer"):
        MS.cross_validate(linear.ridge, XR, YR, None, MS.kfold(40, 4), "auc")
    with pytest.raises(ValueError, match="equal lengths"):
        MS.cross_validate(lambda alpha, fit_intercept: linear.ridge(alpha), XR, YR,
                          {"alpha": [1.0, 2.0], "fit_intercept": [1.0]}, MS.kfold(40, 4), "r2")
    with pytest.raises(ValueError, match="folds"):
        MS.cross_validate(linear.ridge, XR, YR, None, MS.kfold(30, 3), "r2")
    with pytest.raises(TypeError, match="folds"):
        MS.cross_validate(linear.ridge, XR, YR, None, [(0, 1)], "r2")
    with pytest.raises(ValueError, match=r"names \['c'\] are not parameters .*valid names: \['C'\]"):
        MS.cross_validate(lambda C: linear.logistic_regression(C=C, n_classes=2), XR, YC,
                          {"c": [1.0]}, MS.kfold(40, 4))
    with pytest.raises(ValueError, match=r"names \['alpah'\].*'alpha', 'fit_intercept'"):
        MS.grid_search(linear.ridge, XR, YR, {"alpah": [1.0]}, MS.kfold(40, 4), "r2")
    with pytest.raises(ValueError, match="y must be finite"):
        MS.cross_validate(linear.ridge, XR, np.full(40, np.nan), None, MS.kfold(40, 4), "r2")
    with pytest.raises(ValueError, match="X and y must have the same number of rows"):
        MS.learning_curve(linear.ridge, XR, YR[:30], [1.0], MS.kfold(40, 4), "r2")


def test_validation_and_learning_curves_match_sklearn():
    alphas = np.asarray([0.01, 1.0, 100.0], np.float32)
    tr, te = MS.validation_curve(linear.ridge, XR, YR, "alpha", alphas, MS.kfold(40, 4), "r2")
    rtr, rte = skms.validation_curve(sklm.Ridge(), XR, YR, param_name="alpha", param_range=alphas,
                                     cv=skms.KFold(4), scoring="r2")
    np.testing.assert_allclose(tr, rtr, atol=1e-4)
    np.testing.assert_allclose(te, rte, atol=1e-4)
    sizes, ltr, lte = MS.learning_curve(linear.ridge, XR, YR, [0.3, 0.6, 1.0],
                                        MS.kfold(40, 4), "r2", params={"alpha": 1.0})
    rs, rltr, rlte = skms.learning_curve(sklm.Ridge(alpha=1.0), XR, YR, train_sizes=[0.3, 0.6, 1.0],
                                         cv=skms.KFold(4), scoring="r2")
    np.testing.assert_array_equal(sizes, rs)
    np.testing.assert_allclose(ltr, rltr, atol=1e-4)
    np.testing.assert_allclose(lte, rlte, atol=1e-4)


# -------------------------------------------------------------- bias–variance


def test_bias_variance_fixed_design_ols_closed_form():
    n, d, sigma = 30, 3, 0.5
    Xd = jnp.asarray(R.normal(size=(n, d)), jnp.float32)
    beta = jnp.asarray([1.0, -1.0, 2.0])
    X_test = jnp.asarray(R.normal(size=(8, d)), jnp.float32)
    f_test = X_test @ beta + 0.3

    def sample_train(key):
        return Xd, Xd @ beta + 0.3 + sigma * jax.random.normal(key, (n,))

    est = linear.ridge(alpha=0.0)
    key = jax.random.PRNGKey(0)
    bv = MS.bias_variance_decomposition(key, est, sample_train, X_test, f_test, noise_std=sigma,
                                        n_rounds=4000)
    Xa = np.column_stack([np.asarray(Xd), np.ones(n)])
    Ta = np.column_stack([np.asarray(X_test), np.ones(8)])
    var_exact = sigma**2 * np.mean(np.einsum("md,de,me->m", Ta, np.linalg.inv(Xa.T @ Xa), Ta))
    assert float(bv.variance) == pytest.approx(var_exact, rel=0.08)
    assert float(bv.bias2) < 0.05 * var_exact
    assert float(bv.noise) == pytest.approx(sigma**2)
    assert float(bv.total) == pytest.approx(float(bv.expected_mse), rel=0.03)
    # a heavily regularised model is biased: predictions shrink to the mean of y
    big = MS.bias_variance_decomposition(key, linear.ridge(alpha=1e6), sample_train, X_test,
                                         f_test, noise_std=sigma, n_rounds=200)
    assert float(big.bias2) == pytest.approx(float(jnp.mean((f_test - jnp.mean(Xd @ beta + 0.3)) ** 2)),
                                             rel=0.05)
    chex.assert_trees_all_equal(
        MS.bias_variance_decomposition(key, est, sample_train, X_test, f_test, noise_std=sigma,
                                       n_rounds=50),
        MS.bias_variance_decomposition(key, est, sample_train, X_test, f_test, noise_std=sigma,
                                       n_rounds=50))
    with pytest.raises(ValueError, match="f_test"):
        MS.bias_variance_decomposition(key, est, sample_train, X_test, f_test[:3], noise_std=sigma)
