"""jaxml.math.stats vs scipy.stats, statsmodels and scikit-learn (float64 where 1e-6 is asked)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from sklearn.neighbors import KernelDensity
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.power import TTestPower
from statsmodels.stats.weightstats import zconfint, ztest
from statsmodels.tools import add_constant

from jaxml.math import stats as S

RNG = np.random.default_rng(3)
X1 = RNG.normal(0.4, 1.0, 20)
X2 = RNG.normal(0.0, 2.0, 27)
PAIRED = X1 + RNG.normal(0.2, 0.5, 20)
KEY = jax.random.PRNGKey(0)
ALTS = ("two-sided", "less", "greater")


def _close(a, b, tol=1e-6):
    a, b = float(a), float(b)
    if np.isinf(b):
        assert a == b
    else:
        assert a == pytest.approx(b, rel=tol, abs=tol)


def _check_t(ours, ref, conf=0.95):
    ci = ref.confidence_interval(conf)
    _close(ours.statistic, ref.statistic)
    _close(ours.pvalue, ref.pvalue)
    _close(ours.df, ref.df)
    _close(ours.ci_low, ci.low)
    _close(ours.ci_high, ci.high)


@pytest.mark.parametrize("alternative", ALTS)
def test_t_tests_match_scipy_to_1e6(alternative):
    with jax.enable_x64(True):
        _check_t(S.ttest_1samp(X1, 0.1, alternative=alternative, confidence=0.9),
                 ss.ttest_1samp(X1, 0.1, alternative=alternative), 0.9)
        for equal_var in (True, False):
            _check_t(S.ttest_ind(X1, X2, equal_var=equal_var, alternative=alternative),
                     ss.ttest_ind(X1, X2, equal_var=equal_var, alternative=alternative))
        _check_t(S.ttest_rel(X1, PAIRED, alternative=alternative),
                 ss.ttest_rel(X1, PAIRED, alternative=alternative))


def test_t_test_jit_shapes_and_bad_input():
    r = S.ttest_ind(X1, X2, equal_var=False)
    assert all(jnp.shape(v) == () for v in r) and r.pvalue.dtype == jnp.float32
    rj = jax.jit(lambda a, b: S.ttest_ind(a, b, equal_var=False))(X1, X2)
    np.testing.assert_allclose(rj.pvalue, r.pvalue, rtol=1e-5)
    ref = ss.ttest_ind(X1, X2, equal_var=False)
    assert float(r.pvalue) == pytest.approx(ref.pvalue, rel=1e-4)  # float32 is still close
    with pytest.raises(ValueError, match="alternative must be one of"):
        S.ttest_1samp(X1, alternative="bigger")
    with pytest.raises(ValueError, match="x must have at least 2 observations"):
        S.ttest_1samp(np.array([1.0]))
    with pytest.raises(ValueError, match="same length"):
        S.ttest_rel(X1, X2)
    with pytest.raises(ValueError, match="confidence"):
        S.ttest_1samp(X1, confidence=1.0)


def test_distribution_helpers_match_scipy():
    with jax.enable_x64(True):
        t = np.array([-3.0, -0.5, 0.0, 1.2, 4.0])
        np.testing.assert_allclose(S.t_cdf(t, 7.5), ss.t.cdf(t, 7.5), rtol=1e-10)
        q = np.array([0.001, 0.025, 0.5, 0.9, 0.999])
        np.testing.assert_allclose(S.t_ppf(q, 4.2), ss.t.ppf(q, 4.2), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(S.chi2_ppf(q, 6.0), ss.chi2.ppf(q, 6.0), rtol=1e-8)
        np.testing.assert_allclose(S.chi2_sf(np.array([0.5, 3.0, 20.0]), 3.0),
                                   ss.chi2.sf([0.5, 3.0, 20.0], 3.0), rtol=1e-10)


@pytest.mark.parametrize("alternative", ALTS)
def test_z_test_matches_statsmodels_and_closed_form(alternative):
    sm_alt = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}[alternative]
    with jax.enable_x64(True):
        r = S.z_test(X1, 0.1, alternative=alternative)
        stat, p = ztest(X1, value=0.1, alternative=sm_alt)
        _close(r.statistic, stat)
        _close(r.pvalue, p)
        lo, hi = zconfint(X1, alpha=0.05, alternative=sm_alt)
        _close(r.ci_low, lo)
        _close(r.ci_high, hi)
        known = S.z_test(X1, 0.1, sigma=1.0, alternative=alternative)
        z = (X1.mean() - 0.1) * np.sqrt(len(X1))
        _close(known.statistic, z)
        ref = {"two-sided": 2 * ss.norm.sf(abs(z)), "less": ss.norm.cdf(z),
               "greater": ss.norm.sf(z)}[alternative]
        _close(known.pvalue, ref)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        S.z_test(X1, sigma=-1.0)


def test_variance_ci_and_chi_square_tests_match_scipy():
    with jax.enable_x64(True):
        lo, hi = S.variance_ci(X2, confidence=0.9)
        n, s2 = len(X2), X2.var(ddof=1)
        _close(lo, (n - 1) * s2 / ss.chi2.ppf(0.95, n - 1))
        _close(hi, (n - 1) * s2 / ss.chi2.ppf(0.05, n - 1))
        obs = np.array([18.0, 25.0, 30.0, 27.0])
        exp = np.array([20.0, 20.0, 30.0, 30.0])
        for kwargs, ref in (({}, ss.chisquare(obs)),
                            ({"expected": exp}, ss.chisquare(obs, exp)),
                            ({"expected": exp, "ddof": 1}, ss.chisquare(obs, exp, ddof=1))):
            r = S.chisquare(obs, **kwargs)
            _close(r.statistic, ref.statistic)
            _close(r.pvalue, ref.pvalue)
        for table in (np.array([[12.0, 20.0], [30.0, 25.0]]),
                      np.array([[12.0, 20.0, 7.0], [30.0, 25.0, 9.0], [3.0, 8.0, 4.0]])):
            for correction in (True, False):
                r = S.chi2_contingency(table, correction=correction)
                ref = ss.chi2_contingency(table, correction=correction)
                _close(r.statistic, ref.statistic)
                _close(r.pvalue, ref.pvalue)
                _close(r.df, ref.dof)
                np.testing.assert_allclose(r.expected, ref.expected_freq, rtol=1e-12)
    rj = jax.jit(S.chi2_contingency)(np.array([[12.0, 20.0, 7.0], [30.0, 25.0, 9.0]]))
    assert rj.expected.shape == (2, 3)
    with pytest.raises(ValueError, match="same total"):
        S.chisquare(obs, exp * 2)
    with pytest.raises(ValueError, match="table must be at least 2x2"):
        S.chi2_contingency(np.ones((1, 3)))
    with pytest.raises(ValueError, match="ddof"):
        S.chisquare(obs, ddof=3)


def test_type_one_error_and_power_by_simulation():
    # type I error: rejection rate under H0 ≈ α
    r0 = S.simulate_power(KEY, 0.0, 15, alpha=0.05, test="t", num_sims=4000)
    assert abs(float(r0.rejection_rate) - 0.05) < 4 * float(r0.std_error)
    for alt in ALTS:
        eff = -0.5 if alt == "less" else 0.5
        rz = S.simulate_power(KEY, eff, 20, test="z", alternative=alt, num_sims=4000)
        analytic = float(S.z_test_power(eff, 20, alternative=alt))
        assert abs(float(rz.rejection_rate) - analytic) < 4 * float(rz.std_error)
        assert float(rz.type_ii_error) == pytest.approx(1 - float(rz.rejection_rate))
    rt = S.simulate_power(KEY, 0.5, 20, test="t", num_sims=4000)
    ref = TTestPower().power(effect_size=0.5, nobs=20, alpha=0.05)
    assert abs(float(rt.rejection_rate) - ref) < 4 * float(rt.std_error)
    again = S.simulate_power(KEY, 0.5, 20, test="t", num_sims=4000)
    assert float(again.rejection_rate) == float(rt.rejection_rate)
    with jax.enable_x64(True):
        z = ss.norm.ppf(0.975)
        _close(S.z_test_power(0.3, 50), ss.norm.cdf(0.3 * np.sqrt(50) - z)
               + ss.norm.cdf(-0.3 * np.sqrt(50) - z))
    sims = jax.jit(lambda e: S.simulate_power(KEY, e, 20, num_sims=500).rejection_rate)
    assert float(sims(0.5)) == float(S.simulate_power(KEY, 0.5, 20, num_sims=500).rejection_rate)
    with pytest.raises(ValueError, match="test must be one of"):
        S.simulate_power(KEY, 0.5, 20, test="f")


# ----------------------------------------------------------------------------- KDE


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "tophat"])
def test_kde_matches_sklearn_kernel_density(kernel):
    RNG = np.random.default_rng(201)  # per-test stream: order-independent
    X = RNG.normal(size=(40, 2)).astype(np.float32)
    Q = RNG.normal(size=(15, 2)).astype(np.float32) * 0.7
    ref = KernelDensity(kernel=kernel, bandwidth=0.9).fit(X).score_samples(Q)
    ours = S.kde_log_density(X, Q, 0.9, kernel=kernel)
    assert ours.shape == (15,)
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(np.isfinite(np.asarray(ours)), finite)
    np.testing.assert_allclose(np.asarray(ours)[finite], ref[finite], rtol=1e-4, atol=1e-4)
    far = S.kde_log_density(X, np.full((1, 2), 60.0, np.float32), 0.9, kernel=kernel)
    if kernel == "gaussian":  # log-space: far from the data the density is tiny, not zero
        ref_far = KernelDensity(kernel=kernel, bandwidth=0.9).fit(X).score_samples(np.full((1, 2), 60.0))
        np.testing.assert_allclose(far, ref_far, rtol=1e-4)
    else:
        assert np.isneginf(np.asarray(far)).all()
    model = S.kde(kernel, bandwidth=0.9)
    params = model.fit(X)
    np.testing.assert_allclose(model.score_samples(params, Q), ours, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(model.score_samples)(params, Q), ours, rtol=1e-5, atol=1e-5)
    # sampling: determinism and the variance of the mixture (data var + kernel var)
    x1 = RNG.normal(size=(200, 1)).astype(np.float32)
    p1 = model.fit(x1)
    draws = np.asarray(model.sample(KEY, p1, 20000))
    np.testing.assert_array_equal(draws, np.asarray(model.sample(KEY, p1, 20000)))
    kvar = {"gaussian": 1.0, "tophat": 1.0 / 3.0, "epanechnikov": 1.0 / 5.0}[kernel] * 0.81
    assert draws.var() == pytest.approx(x1.var() + kvar, rel=0.05)


def test_kde_bandwidth_rules_match_scipy_gaussian_kde():
    RNG = np.random.default_rng(202)  # per-test stream: order-independent
    x = RNG.gamma(2.0, 1.0, 60)
    q = np.linspace(-1, 8, 25)
    for rule in ("scott", "silverman"):
        ref = ss.gaussian_kde(x, bw_method=rule)
        model = S.kde("gaussian", bandwidth=rule)
        params = model.fit(x[:, None].astype(np.float32))
        h_ref = ref.factor * np.std(x, ddof=1)
        assert float(params.bandwidth) == pytest.approx(h_ref, rel=1e-5)
        np.testing.assert_allclose(model.score_samples(params, q[:, None]), ref.logpdf(q),
                                   rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="bandwidth must be one of"):
        S.kde("gaussian", bandwidth="auto")
    with pytest.raises(ValueError, match="kernel must be one of"):
        S.kde("cosine")
    with pytest.raises(ValueError, match="X has 2 features, but the KDE was fitted with 1"):
        S.kde().score_samples(params, np.ones((3, 2)))


def test_cv_bandwidth_matches_brute_force_leave_one_out():
    RNG = np.random.default_rng(203)  # per-test stream: order-independent
    X = RNG.normal(size=(25, 1)).astype(np.float32)
    hs = np.array([0.1, 0.2, 0.4, 0.8, 1.6], np.float32)
    best, scores = S.cv_bandwidth(X, hs)
    brute = [sum(KernelDensity(bandwidth=float(h)).fit(np.delete(X, i, 0)).score_samples(X[i:i + 1])[0]
                 for i in range(len(X))) for h in hs]
    np.testing.assert_allclose(scores, brute, rtol=1e-4)
    assert float(best) == pytest.approx(float(hs[np.argmax(brute)]))
    bj, _ = jax.jit(S.cv_bandwidth)(X, hs)
    assert float(bj) == float(best)
    with pytest.raises(ValueError, match="bandwidths must all be > 0"):
        S.cv_bandwidth(X, np.array([0.0, 1.0]))


# ----------------------------------------------------------------------------- AIC/BIC, VIF


def test_aic_bic_match_statsmodels_ols():
    RNG = np.random.default_rng(204)  # per-test stream: order-independent
    X = RNG.normal(size=(50, 3))
    y = X @ np.array([1.0, -2.0, 0.0]) + 0.3 * RNG.normal(size=50)
    with jax.enable_x64(True):
        for intercept in (True, False):
            r = S.gaussian_linear_ic(X, y, fit_intercept=intercept)
            ref = OLS(y, add_constant(X) if intercept else X).fit()
            _close(r.llf, ref.llf)
            _close(r.aic, ref.aic)
            _close(r.bic, ref.bic)
        # BIC prefers the true 2-feature model over the one with a useless extra feature
        small = S.gaussian_linear_ic(X[:, :2], y)
        assert float(small.bic) < float(S.gaussian_linear_ic(X, y).bic)
    rj = jax.jit(S.gaussian_linear_ic)(X.astype(np.float32), y.astype(np.float32))
    assert rj.k == 4 and rj.aic.shape == ()
    with pytest.raises(ValueError, match="same number of rows"):
        S.gaussian_linear_ic(X, y[:10])


def test_vif_matches_statsmodels():
    RNG = np.random.default_rng(205)  # per-test stream: order-independent
    Z = RNG.normal(size=(60, 3))
    X = np.column_stack([Z, Z[:, 0] + 0.3 * Z[:, 1] + 0.2 * RNG.normal(size=60)])
    exog = add_constant(X)
    ref = [variance_inflation_factor(exog, j + 1) for j in range(4)]
    with jax.enable_x64(True):
        np.testing.assert_allclose(S.vif(X), ref, rtol=1e-8)
    ours = S.vif(X.astype(np.float32))
    assert ours.shape == (4,) and ours.dtype == jnp.float32
    np.testing.assert_allclose(jax.jit(S.vif)(X.astype(np.float32)), ours, rtol=1e-5)
    assert float(ours[3]) > 5 > float(ours[2])  # the collinear column stands out
    with pytest.raises(ValueError, match="constant column"):
        S.vif(np.column_stack([X, np.ones(60)]))


# ----------------------------------------------------------------------------- common jit suite

JIT_CASES = {
    "z_test": (lambda x: S.z_test(x, 0.1, alternative="less"), (X1,)),
    "ttest_1samp": (lambda x: S.ttest_1samp(x, 0.1, alternative="greater"), (X1,)),
    "ttest_rel": (S.ttest_rel, (X1, PAIRED)),
    "variance_ci": (S.variance_ci, (X2,)),
    "chisquare": (S.chisquare, (np.array([18.0, 25.0, 30.0, 27.0]),)),
    "z_test_power": (lambda e: S.z_test_power(e, 20), (np.float32(0.4),)),
    "scott_bandwidth": (S.scott_bandwidth, (X2[:, None],)),
    "silverman_bandwidth": (S.silverman_bandwidth, (X2[:, None],)),
    "kde_log_density": (lambda h: S.kde_log_density(X2[:, None], X1[:, None], h), (np.float32(0.5),)),
    "kde_fit_vmap_over_bandwidths": (
        jax.vmap(lambda h: S.kde(bandwidth=h).fit(X2[:, None]).bandwidth),
        (np.array([0.2, 0.5], np.float32),)),
}


@pytest.mark.parametrize("name", list(JIT_CASES))
def test_jit_matches_eager(name):
    fn, args = JIT_CASES[name]
    eager = fn(*args)
    jitted = jax.jit(fn)(*args)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5), eager, jitted)
    assert jax.tree.structure(eager) == jax.tree.structure(jitted)
