"""Drift detectors and A/B tests against SciPy (test-only oracle), brute force and
simulation: the KS statistic is SciPy's, its p-value the Kolmogorov law; the PSI is the
direct formula and ignores monotone transforms; MMD² equals a double loop and its
permutation test holds its level; z² is the uncorrected chi-square; the sample size
reaches its power in simulation."""

import numpy as np
import pytest
import jax
from scipy import stats

from jaxml.classical.kernels import rbf_kernel
from jaxml.deploy.monitor import (ab_sample_size, calibration_drift, chi2_drift, hosmer_lemeshow, kolmogorov_sf, ks_drift, mmd2_unbiased, mmd_drift,
                                  population_stability_index, two_proportion_z_test)


@pytest.mark.parametrize("shift", [0.0, 0.3])
def test_ks_statistic_is_scipys_and_pvalue_the_kolmogorov_law(shift):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=400), rng.normal(shift, 1.0, size=300)
    ours, theirs = ks_drift(x, y), stats.ks_2samp(x, y)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    en = 400 * 300 / 700
    assert ours.pvalue == pytest.approx(stats.kstwobign.sf(np.sqrt(en) * ours.statistic), rel=1e-8, abs=1e-12)
    assert ours.pvalue == pytest.approx(theirs.pvalue, rel=0.2, abs=0.02)  # SciPy's exact/finite-n law
    assert ours.drift == (shift > 0)
    lam = np.linspace(0.25, 3, 12)
    np.testing.assert_allclose(kolmogorov_sf(lam), stats.kstwobign.sf(lam), rtol=1e-10, atol=1e-15)


def test_ks_and_chi2_hold_their_level_under_the_null():
    rng = np.random.default_rng(1)
    ks = [ks_drift(rng.normal(size=200), rng.normal(size=200)).drift for _ in range(400)]
    chi = [chi2_drift(rng.integers(0, 4, 300), rng.integers(0, 4, 300)).drift for _ in range(400)]
    assert np.mean(ks) <= 0.05 + 0.03 and np.mean(chi) <= 0.05 + 0.03


def test_chi2_drift_equals_scipy_contingency():
    rng = np.random.default_rng(2)
    ref, cur = rng.choice(3, 500, p=[0.5, 0.3, 0.2]), rng.choice(4, 400, p=[0.4, 0.3, 0.2, 0.1])
    table = np.stack([np.bincount(ref, minlength=4), np.bincount(cur, minlength=4)])
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    ours = chi2_drift(ref, cur)
    assert ours.statistic == pytest.approx(chi2, rel=1e-5) and ours.pvalue == pytest.approx(p, rel=1e-4, abs=1e-12)
    assert ours.drift


def test_psi_is_the_direct_formula_and_ignores_monotone_transforms():
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(size=2000), rng.normal(0.5, 1.2, size=1500)
    edges = np.quantile(ref, np.linspace(0, 1, 11))
    edges[0], edges[-1] = -np.inf, np.inf
    r = np.histogram(ref, edges)[0] / ref.size
    c = np.histogram(cur, edges)[0] / cur.size
    direct = np.sum((c - r) * np.log(c / r))
    ours = population_stability_index(ref, cur)
    assert ours.statistic == pytest.approx(direct, rel=1e-6)
    assert population_stability_index(np.exp(ref), np.exp(cur)).statistic == pytest.approx(ours.statistic, rel=1e-9)
    assert population_stability_index(ref, rng.normal(size=1500)).statistic < 0.02 < ours.statistic


def test_mmd_equals_a_double_loop_and_the_permutation_test_works():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(30, 2)), rng.normal(size=(25, 2)) + [0.8, 0.0]
    Z = np.concatenate([X, Y])
    K = np.asarray(rbf_kernel(Z, gamma=0.5), np.float64)
    k = lambda a, b: np.exp(-0.5 * np.sum((a - b) ** 2))  # noqa: E731
    xx = sum(k(X[i], X[j]) for i in range(30) for j in range(30) if i != j) / (30 * 29)
    yy = sum(k(Y[i], Y[j]) for i in range(25) for j in range(25) if i != j) / (25 * 24)
    xy = sum(k(a, b) for a in X for b in Y) / (30 * 25)
    assert float(mmd2_unbiased(K, 30)) == pytest.approx(xx + yy - 2 * xy, abs=1e-5)
    assert mmd_drift(jax.random.PRNGKey(0), X, Y, gamma=0.5, num_permutations=300).drift
    null = [mmd_drift(jax.random.PRNGKey(s), rng.normal(size=(20, 2)), rng.normal(size=(20, 2)),
                      num_permutations=100).pvalue for s in range(60)]
    assert np.mean(np.asarray(null) <= 0.05) <= 0.05 + 0.07  # the level holds (60 null draws)


def test_two_proportion_z_is_the_uncorrected_chi_square():
    ours = two_proportion_z_test(120, 1000, 150, 1000)
    chi2, p, _, _ = stats.chi2_contingency([[120, 880], [150, 850]], correction=False)
    assert ours.statistic ** 2 == pytest.approx(chi2, rel=1e-9) and ours.pvalue == pytest.approx(p, rel=1e-6)
    assert ours.difference == pytest.approx(0.03)
    one_sided = two_proportion_z_test(120, 1000, 150, 1000, alternative="greater")
    assert one_sided.pvalue == pytest.approx(p / 2, rel=1e-6)


def test_sample_size_reaches_its_power_in_simulation():
    n = ab_sample_size(0.10, 0.13, power=0.8)
    z_a, z_b = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    bar = 0.115
    closed = (z_a * np.sqrt(2 * bar * (1 - bar)) + z_b * np.sqrt(0.1 * 0.9 + 0.13 * 0.87)) ** 2 / 0.03 ** 2
    assert n == int(np.ceil(closed))
    rng = np.random.default_rng(5)
    a, b = rng.binomial(n, 0.10, 2000), rng.binomial(n, 0.13, 2000)
    power = np.mean([two_proportion_z_test(int(x), n, int(y), n).pvalue <= 0.05 for x, y in zip(a, b)])
    assert power == pytest.approx(0.8, abs=0.03)


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="reference"):
        ks_drift([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        population_stability_index([0.0, np.nan, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="columns"):
        mmd_drift(jax.random.PRNGKey(0), np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="successes_b"):
        two_proportion_z_test(1, 10, 11, 10)
    with pytest.raises(ValueError, match="differ"):
        ab_sample_size(0.1, 0.1)
    with pytest.raises(ValueError, match="p_a"):
        ab_sample_size(0.0, 0.1)
    with pytest.raises(ValueError, match="two categories"):
        chi2_drift([1, 1], [1, 1])


def test_classifier_test_pvalue_is_the_binomial_tail_and_holds_its_level():
    from jaxml.deploy.monitor import classifier_drift

    rng = np.random.default_rng(6)
    shifted = classifier_drift(rng.normal(size=(200, 3)), rng.normal(size=(200, 3)) + [0.6, 0, 0])
    n = 200
    correct = round(shifted.statistic * n)
    assert shifted.pvalue == pytest.approx(stats.binom.sf(correct - 1, n, 0.5), rel=1e-4) and shifted.drift
    null = [classifier_drift(rng.normal(size=(100, 2)), rng.normal(size=(100, 2)), seed=s).pvalue for s in range(40)]
    assert np.mean(np.asarray(null) <= 0.05) <= 0.05 + 0.1


def test_cusum_equals_a_loop_and_its_run_lengths_match_siegmund():
    from jaxml.deploy.monitor import _cusum_first_alarm, cusum_alarm, cusum_average_run_length

    rng = np.random.default_rng(7)
    x = np.r_[rng.normal(size=300), rng.normal(1.0, 1.0, size=200)]
    s, loop = 0.0, -1
    for t, v in enumerate(x):
        s = max(0.0, s + v - 0.5)
        if s > 5.0:
            loop = t
            break
    assert cusum_alarm(x, mean=0.0, sigma=1.0) == loop
    keys = jax.random.split(jax.random.PRNGKey(0), 1000)
    first = jax.jit(jax.vmap(lambda k, d: _cusum_first_alarm(jax.random.normal(k, (6000,)) + d, 0.5, 5.0),
                             in_axes=(0, None)))
    in_control = np.asarray(first(keys, 0.0))
    run_length = np.where(in_control < 0, 6000, in_control + 1)
    assert run_length.mean() == pytest.approx(cusum_average_run_length(0.5, 5.0), rel=0.1)  # ≈ 938
    delay = np.asarray(first(keys, 1.0)) + 1  # shift from the start: the detection delay
    assert delay.mean() == pytest.approx(cusum_average_run_length(0.5, 5.0, shift=1.0), rel=0.1)  # ≈ 10.3


@pytest.mark.parametrize("rounding", [None, 3])
def test_slower_pvalue_equals_scipys_mann_whitney(rounding):
    from jaxml.deploy.monitor import slower_pvalue

    rng = np.random.default_rng(0)
    stable, canary = rng.lognormal(0.0, 0.5, 300), rng.lognormal(0.15, 0.5, 40)
    if rounding is not None:  # many ties: the tie correction matters
        stable, canary = np.round(stable, 1), np.round(canary, 1)
    expected = stats.mannwhitneyu(canary, stable, alternative="greater", method="asymptotic").pvalue
    np.testing.assert_allclose(slower_pvalue(stable, canary), expected, rtol=1e-10)
    assert slower_pvalue(stable, []) == 1.0 and slower_pvalue(np.ones(5), np.ones(3)) == 1.0


def test_canary_rolls_back_a_worse_model_and_rarely_a_good_one():
    from jaxml.deploy.monitor import canary_rollout

    keys = jax.random.split(jax.random.PRNGKey(1), 150)
    same = [canary_rollout(k, 0.05, 0.05).decision for k in keys]
    worse = [canary_rollout(k, 0.05, 0.10).decision for k in keys]
    assert np.mean(np.asarray(same) == "rollback") <= 0.05 + 0.04
    assert np.mean(np.asarray(worse) == "rollback") >= 0.9
    result = canary_rollout(keys[0], 0.05, 0.10)
    assert len(result.pvalues) == len(result.shares) == result.stage + 1
    with pytest.raises(ValueError, match="shares"):
        canary_rollout(keys[0], 0.05, 0.05, shares=(0.5, 1.5))
    with pytest.raises(ValueError, match="error_canary"):
        canary_rollout(keys[0], 0.05, 1.2)


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock"])
def test_group_sequential_bounds_spend_alpha_as_planned(spending):
    """Monte Carlo of the z statistics at the looks (a Brownian motion): the cumulative
    crossing rate by look k is α(t_k); the first bound is the closed form z_{1−α(t_1)/2}."""
    from jaxml.deploy.monitor import alpha_spent, group_sequential_bounds

    looks = (0.2, 0.4, 0.6, 0.8, 1.0)
    bounds = group_sequential_bounds(looks, spending=spending)
    assert bounds[0] == pytest.approx(stats.norm.ppf(1 - alpha_spent(0.2, 0.05, spending) / 2), rel=2e-3)
    assert group_sequential_bounds((1.0,))[0] == pytest.approx(stats.norm.ppf(0.975), abs=1e-3)
    rng = np.random.default_rng(8)
    steps = rng.normal(size=(400_000, 5)) * np.sqrt(np.diff(np.r_[0.0, looks]))
    z = np.cumsum(steps, axis=1) / np.sqrt(looks)
    crossed = np.maximum.accumulate(np.abs(z) >= bounds, axis=1).mean(0)
    planned = alpha_spent(np.asarray(looks), 0.05, spending)
    np.testing.assert_allclose(crossed, planned, atol=4 * np.sqrt(0.05 * 0.95 / 400_000))
    with pytest.raises(ValueError, match="fractions"):
        group_sequential_bounds((0.5, 0.4, 1.0))
    with pytest.raises(ValueError, match="spending"):
        group_sequential_bounds((1.0,), spending="haybittle")


def _calibrated(rng, n, power=1.0):
    p = rng.uniform(0.05, 0.95, n)
    return (rng.uniform(size=n) < p ** power).astype(int), p


def test_hosmer_lemeshow_equals_a_loop_over_sorted_groups():
    y, p = _calibrated(np.random.default_rng(0), 103)
    order = np.argsort(p, kind="stable")
    total = 0.0
    for g in range(7):
        members = order[[i for i in range(103) if i * 7 // 103 == g]]
        observed, expected, n = y[members].sum(), p[members].sum(), len(members)
        total += (observed - expected) ** 2 / (expected * (1 - expected / n))
    assert hosmer_lemeshow(y, p, n_groups=7) == pytest.approx(total, rel=1e-5)


def test_calibration_drift_pvalue_is_the_chi2_law_and_holds_its_level():
    rng = np.random.default_rng(1)
    y, p = _calibrated(rng, 5000)
    result = calibration_drift(jax.random.key(0), y, p, num_simulations=4000)
    assert result.pvalue == pytest.approx(stats.chi2.sf(result.statistic, 10), abs=0.03)
    alarms = [calibration_drift(jax.random.key(s), *_calibrated(rng, 500), alpha=0.1, num_simulations=400).drift
              for s in range(300)]
    low, high = stats.binom.ppf([0.0005, 0.9995], 300, 0.1)  # 99.9% band of the alarm count at level 0.1
    assert low <= sum(alarms) <= high


def test_calibration_drift_detects_a_miscalibrated_model_with_the_predicted_power():
    """Outcomes from Bernoulli(p^1.25) while the model says p: each group's O_g − E_g is
    ≈ N(T_g − E_g, v1_g) with T_g = Σ p^1.25 and v1_g = Σ p^1.25(1 − p^1.25), so H ≈
    Σ_g Z_g²/(E_g(1 − E_g/n_g)); its power at the null's 95% point against 300 windows."""
    rng = np.random.default_rng(3)
    n, groups_n, a = 600, 10, 1.25
    p = np.sort(rng.uniform(0.05, 0.95, n))
    groups = np.arange(n) * groups_n // n
    E, T, counts = np.bincount(groups, p), np.bincount(groups, p ** a), np.bincount(groups)
    v0, v1, v_null = E * (1 - E / counts), np.bincount(groups, p ** a * (1 - p ** a)), np.bincount(groups, p * (1 - p))
    H_alt = np.sum(rng.normal(T - E, np.sqrt(v1), (200_000, groups_n)) ** 2 / v0, 1)
    H_null = np.sum(rng.normal(0.0, np.sqrt(v_null), (200_000, groups_n)) ** 2 / v0, 1)
    predicted = np.mean(H_alt > np.quantile(H_null, 0.95))
    detected = [calibration_drift(jax.random.key(s), (rng.uniform(size=n) < p ** a).astype(int), p,
                                  num_simulations=400).drift for s in range(300)]
    assert 0.3 < predicted < 0.9  # a shift the test neither always nor never sees
    assert np.mean(detected) == pytest.approx(predicted, abs=0.1)  # 0.1 ≈ 3.6 standard errors of 300 windows
    with pytest.raises(ValueError, match="y_true must hold binary"):
        calibration_drift(jax.random.key(0), [0, 2, 1, 1], [0.1, 0.2, 0.3, 0.4], n_groups=2)
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        calibration_drift(jax.random.key(0), [0, 1, 1, 0], [0.1, 1.2, 0.3, 0.4], n_groups=2)
    with pytest.raises(ValueError, match="at least 2 examples per group"):
        hosmer_lemeshow([0, 1, 1], [0.1, 0.2, 0.3], n_groups=10)
