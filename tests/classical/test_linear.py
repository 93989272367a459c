"""Linear models vs scikit-learn (same objective, same solution) and closed forms."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn import linear_model as sk

from jaxml.classical import linear


@pytest.fixture(scope="module")
def reg_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = X @ rng.normal(size=5) + 0.3 * rng.normal(size=60) + 2.0
    return X, y


@pytest.fixture(scope="module")
def clf_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 4))
    logits = X[:, 0] + 0.5 * X[:, 1]
    y_bin = (logits + 0.7 * rng.normal(size=80) > 0.3).astype(np.int32)
    y_multi = np.digitize(logits + 0.7 * rng.normal(size=80), [-0.6, 0.6]).astype(np.int32)
    return X, y_bin, y_multi


@pytest.mark.parametrize("method", ["normal", "qr", "lstsq", "gradient"])
def test_ols_matches_sklearn(reg_data, method):
    X, y = reg_data
    with jax.enable_x64(True):
        p = linear.ols(method=method, tol=1e-11).fit(X, y)
    ref = sk.LinearRegression().fit(X, y)
    np.testing.assert_allclose(p.coef, ref.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(p.intercept, ref.intercept_, atol=1e-8)


def test_ols_residual_is_orthogonal_to_columns(reg_data):
    """Geometric view: the fitted values are the projection of y onto span(1, X)."""
    X, y = reg_data
    with jax.enable_x64(True):
        est = linear.ols()
        p = est.fit(X, y)
        resid = y - np.asarray(est.predict(p, X))
    np.testing.assert_allclose(X.T @ resid, 0.0, atol=1e-9)
    np.testing.assert_allclose(resid.sum(), 0.0, atol=1e-9)


def test_ols_float32_shapes_jit_and_no_intercept(reg_data):
    X, y = reg_data
    est = linear.ols(method="normal", fit_intercept=False)
    p = est.fit(X, y)
    p_jit = jax.jit(est.fit)(X, y)
    chex.assert_trees_all_close(p, p_jit, rtol=1e-5)
    chex.assert_shape(p.coef, (5,))
    assert p.coef.dtype == jnp.float32 and float(p.intercept) == 0.0
    ref = sk.LinearRegression(fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(p.coef, ref.coef_, rtol=1e-4)
    chex.assert_shape(est.predict(p, X[:7]), (7,))


@pytest.mark.parametrize("n", [60, 4])  # primal (d <= n) and dual (d > n) forms
def test_ridge_matches_sklearn(reg_data, n):
    X, y = reg_data
    with jax.enable_x64(True):
        p = linear.ridge(alpha=3.0).fit(X[:n], y[:n])
    ref = sk.Ridge(alpha=3.0).fit(X[:n], y[:n])
    np.testing.assert_allclose(p.coef, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(p.intercept, ref.intercept_, atol=1e-10)


def test_ridge_vmap_over_alpha_compiles_once(reg_data):
    X, y = reg_data
    alphas = jnp.logspace(-2, 2, 6)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def sweep(a):
        return jax.vmap(lambda al: linear.ridge(alpha=al).fit(X, y))(a)

    params = sweep(alphas)
    sweep(alphas * 2.0)
    chex.assert_shape(params.coef, (6, 5))
    for i, a in enumerate(np.asarray(alphas)):
        ref = sk.Ridge(alpha=float(a)).fit(X, y)
        np.testing.assert_allclose(params.coef[i], ref.coef_, rtol=2e-4, atol=1e-5)


@pytest.mark.parametrize("alpha,l1_ratio", [(0.1, 1.0), (0.05, 0.5), (0.3, 0.2)])
def test_elastic_net_matches_sklearn(reg_data, alpha, l1_ratio):
    X, y = reg_data
    with jax.enable_x64(True):
        p = linear.elastic_net(alpha, l1_ratio, tol=1e-12, max_iter=5000).fit(X, y)
    ref = sk.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(p.coef, ref.coef_, atol=1e-9)
    np.testing.assert_allclose(p.intercept, ref.intercept_, atol=1e-9)
    assert float(p.dual_gap) <= 1e-12 * float(np.sum((y - y.mean()) ** 2))


def test_lasso_zero_above_alpha_max_and_sparse(reg_data):
    X, y = reg_data
    Xc, yc = X - X.mean(0), y - y.mean()
    alpha_max = np.max(np.abs(Xc.T @ yc)) / len(y)
    with jax.enable_x64(True):
        above = linear.lasso(alpha_max * 1.01).fit(X, y)
        below = linear.lasso(alpha_max * 0.5).fit(X, y)
    np.testing.assert_array_equal(above.coef, 0.0)
    assert 0 < int(np.sum(np.asarray(below.coef) != 0)) < 5


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # max_iter=1: grid only
def test_lasso_path_matches_sklearn(reg_data):
    X, y = reg_data
    with jax.enable_x64(True):
        alphas, coefs, intercepts, gaps = linear.lasso_path(X, y, n_alphas=8, tol=1e-12, max_iter=5000)
    Xc, yc = X - X.mean(0), y - y.mean()
    ref_alphas, _, _ = sk.lasso_path(Xc, yc, alphas=8, max_iter=1)
    np.testing.assert_allclose(alphas, ref_alphas, rtol=1e-6)  # sklearn's grid is float32 here
    _, ref_coefs, _ = sk.lasso_path(Xc, yc, alphas=np.asarray(alphas), tol=1e-12, max_iter=5000)
    np.testing.assert_allclose(coefs, ref_coefs.T, atol=1e-9)
    np.testing.assert_allclose(intercepts, y.mean() - np.asarray(coefs) @ X.mean(0), atol=1e-12)
    np.testing.assert_array_equal(coefs[0], 0.0)  # the path starts at alpha_max


def test_enet_path_explicit_alphas_and_vmapped_lasso_agree(reg_data):
    X, y = reg_data
    alphas = jnp.asarray([0.5, 0.1, 0.02])
    _, path_coefs, _, _ = linear.enet_path(X, y, l1_ratio=0.7, alphas=alphas, tol=1e-8)
    vm = jax.vmap(lambda a: linear.elastic_net(a, 0.7, tol=1e-8).fit(X, y))(alphas)
    np.testing.assert_allclose(path_coefs, vm.coef, atol=2e-4)


def _sk_logistic(C, **kw):
    return sk.LogisticRegression(C=C, tol=1e-12, max_iter=10_000, **kw)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("target", ["binary", "multinomial"])
def test_logistic_regression_matches_sklearn(clf_data, solver, target):
    X, y_bin, y_multi = clf_data
    y = y_bin if target == "binary" else y_multi
    est = linear.logistic_regression(C=0.7, solver=solver, tol=1e-10)
    with jax.enable_x64(True):
        p = est.fit(X, y)
        proba = np.asarray(est.predict_proba(p, X))
        pred = np.asarray(est.predict(p, X))
    ref = _sk_logistic(0.7).fit(X, y)
    np.testing.assert_allclose(p.coef, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(p.intercept, ref.intercept_ - ref.intercept_.mean() * (target != "binary"), atol=1e-6)
    np.testing.assert_allclose(proba, ref.predict_proba(X), atol=1e-7)
    np.testing.assert_array_equal(pred, ref.predict(X))


@pytest.mark.parametrize("class_weight", ["balanced", np.array([0.5, 2.0, 1.0])])
def test_logistic_class_weight_matches_sklearn(clf_data, class_weight):
    X, _, y = clf_data
    with jax.enable_x64(True):
        p = linear.logistic_regression(C=2.0, class_weight=class_weight, tol=1e-10).fit(X, y)
    cw = class_weight if isinstance(class_weight, str) else dict(enumerate(class_weight))
    ref = _sk_logistic(2.0, class_weight=cw).fit(X, y)
    np.testing.assert_allclose(p.coef, ref.coef_, atol=1e-6)


def test_logistic_l1_matches_sklearn_saga(clf_data):
    X, y, _ = clf_data
    with jax.enable_x64(True):
        p = linear.logistic_regression(C=0.3, penalty="l1", tol=1e-10, max_iter=100_000).fit(X, y)
    ref = _sk_logistic(0.3, l1_ratio=1.0, solver="saga").fit(X, y)
    np.testing.assert_allclose(p.coef, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(p.intercept, ref.intercept_, atol=1e-6)
    assert np.sum(np.asarray(p.coef) == 0.0) >= 1  # the L1 penalty zeroes some weights


def test_logistic_no_penalty_matches_sklearn_C_inf(clf_data):
    X, y, _ = clf_data
    with jax.enable_x64(True):
        p = linear.logistic_regression(penalty=None, tol=1e-10).fit(X, y)
    ref = _sk_logistic(np.inf).fit(X, y)
    np.testing.assert_allclose(p.coef, ref.coef_, rtol=1e-5, atol=1e-6)


def test_logistic_vmap_over_C_float32(clf_data):
    X, y, _ = clf_data
    Cs = jnp.asarray([0.01, 0.1, 1.0, 10.0])
    params = jax.jit(jax.vmap(lambda c: linear.logistic_regression(C=c).fit(X, y)))(Cs)
    chex.assert_shape(params.coef, (4, 1, 4))
    assert params.coef.dtype == jnp.float32
    for i, c in enumerate(np.asarray(Cs)):
        ref = _sk_logistic(float(c)).fit(X, y)
        np.testing.assert_allclose(params.coef[i], ref.coef_, rtol=2e-4, atol=2e-5)
    # jit under a traced y needs n_classes; with it, jit and eager agree
    est = linear.logistic_regression(C=1.0, n_classes=2)
    chex.assert_trees_all_close(jax.jit(est.fit)(X, y), est.fit(X, y), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("target", ["binary", "multinomial"])
def test_logistic_hessian_outer_table_and_direct_paths_agree(clf_data, monkeypatch, target):
    """Small problems build the Hessian from a table of row outer products (one GEMM
    under vmap); large ones use Xᵀ diag(v) X. Both must give the same Newton fit."""
    X, y_bin, y_multi = clf_data
    y = y_bin if target == "binary" else y_multi
    est = linear.logistic_regression(C=0.7, tol=1e-10)
    with jax.enable_x64(True):
        table = est.fit(X, y)
        monkeypatch.setattr(linear.logistic, "_OUTER_TABLE_MAX", 0)
        direct = est.fit(X, y)
    chex.assert_trees_all_close(table, direct, rtol=1e-9, atol=1e-10)
    assert int(table.n_iter) == int(direct.n_iter) <= 15


def test_bayesian_linear_regression_closed_form(reg_data):
    X, y = reg_data
    lam, s2 = 2.0, 0.25
    with jax.enable_x64(True):
        est = linear.bayesian_linear_regression(alpha_prior=lam, noise_var=s2, fit_intercept=False)
        p = est.fit(X, y)
        mean, std = est.predict(p, X[:5], return_std=True)
        ridge = linear.ridge(alpha=lam * s2, fit_intercept=False).fit(X, y)
    cov = np.linalg.inv(lam * np.eye(5) + X.T @ X / s2)
    np.testing.assert_allclose(p.cov, cov, atol=1e-12)
    np.testing.assert_allclose(p.coef, cov @ X.T @ y / s2, atol=1e-10)
    np.testing.assert_allclose(p.coef, ridge.coef, atol=1e-10)  # MAP = ridge with α = λσ²
    np.testing.assert_allclose(std**2, s2 + np.einsum("ij,jk,ik->i", X[:5], cov, X[:5]), atol=1e-12)
    np.testing.assert_allclose(mean, X[:5] @ np.asarray(p.coef), atol=1e-12)


def test_bayesian_ridge_matches_sklearn(reg_data):
    X, y = reg_data
    with jax.enable_x64(True):
        est = linear.bayesian_ridge()
        p = est.fit(X, y)
        mean, std = est.predict(p, X[:6], return_std=True)
    ref = sk.BayesianRidge().fit(X, y)
    ref_mean, ref_std = ref.predict(X[:6], return_std=True)
    np.testing.assert_allclose(p.coef, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(1.0 / np.asarray(p.noise_var), ref.alpha_, rtol=1e-8)
    np.testing.assert_allclose(p.prior_precision, ref.lambda_, rtol=1e-8)
    assert int(p.n_iter) == ref.n_iter_
    np.testing.assert_allclose(mean, ref_mean, atol=1e-10)
    np.testing.assert_allclose(std, ref_std, atol=1e-10)


def test_fits_are_deterministic(clf_data):
    X, y, _ = clf_data
    est = linear.logistic_regression(C=1.0, solver="lbfgs")
    chex.assert_trees_all_equal(est.fit(X, y), est.fit(X, y))


def test_bad_input_raises(reg_data, clf_data):
    X, y = reg_data
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="X"):
        linear.ridge().fit(Xn, y)
    with pytest.raises(ValueError, match="same number of rows"):
        linear.ridge().fit(X, y[:-1])
    with pytest.raises(ValueError, match="X must have rank 2"):
        linear.ols().fit(X[0], y[:1])
    with pytest.raises(ValueError, match="must not be empty"):
        linear.lasso().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="method"):
        linear.ols(method="svd")
    with pytest.raises(ValueError, match="alpha"):
        linear.ridge(alpha=-1.0)
    with pytest.raises(ValueError, match="l1_ratio"):
        linear.elastic_net(1.0, 1.5)
    with pytest.raises(ValueError, match="penalty"):
        linear.logistic_regression(penalty="l3")
    with pytest.raises(ValueError, match="C"):
        linear.logistic_regression(C=0.0)
    with pytest.raises(ValueError, match="2 distinct classes"):
        linear.logistic_regression().fit(X, np.zeros(len(X), np.int32))
    with pytest.raises(ValueError, match="class codes"):
        linear.logistic_regression(n_classes=2).fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match="class_weight"):
        linear.logistic_regression(class_weight=np.ones(3)).fit(*clf_data[:2])
    with pytest.raises(ValueError, match="n_samples >= n_features"):
        linear.ols(method="qr").fit(X[:3], y[:3])
    est = linear.ridge()
    with pytest.raises(ValueError, match="features"):
        est.predict(est.fit(X, y), X[:, :3])


def test_sample_weights_match_sklearn(reg_data, clf_data):
    X, y = reg_data
    Xc, yb, _ = clf_data
    rng = np.random.default_rng(9)
    w = rng.uniform(0.0, 2.0, size=len(X))
    wc = rng.uniform(0.0, 2.0, size=len(Xc))
    with jax.enable_x64(True):
        p = linear.ridge(alpha=1.5).fit(X, y, sample_weight=w)
        q = linear.logistic_regression(C=0.9, tol=1e-10).fit(Xc, yb, sample_weight=wc)
        # zero weights are the same as dropping the rows
        mask = (np.arange(len(X)) % 3 != 0).astype(float)
        masked = linear.ridge(alpha=1.5).fit(X, y, sample_weight=mask)
        dropped = linear.ridge(alpha=1.5).fit(X[mask > 0], y[mask > 0])
    np.testing.assert_allclose(p.coef, sk.Ridge(alpha=1.5).fit(X, y, sample_weight=w).coef_, atol=1e-10)
    ref = _sk_logistic(0.9).fit(Xc, yb, sample_weight=wc)
    np.testing.assert_allclose(q.coef, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(masked.coef, dropped.coef, atol=1e-10)
    with pytest.raises(ValueError, match="sample_weight"):
        linear.ridge().fit(X, y, sample_weight=-w)
