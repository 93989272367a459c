"""Fairness metrics against fairlearn; post-processing against the exact expected rates
of the randomised predictor and a brute-force search over the mixing probabilities."""

import itertools

import fairlearn.metrics as fm
import jax
import numpy as np
import pytest

from jaxml.trust.fairness import (demographic_parity_difference, demographic_parity_ratio,
                                  equal_opportunity_difference, equalized_odds_difference, equalized_odds_ratio,
                                  expected_group_rates, fit_postprocessing, group_calibration, group_rates,
                                  postprocess_predict, predictive_parity_difference)


def _data(seed, n=600, groups=("a", "b", "c")):
    rng = np.random.default_rng(seed)
    A = rng.choice(groups, n)
    y = rng.integers(0, 2, n)
    bias = {g: 0.15 * i for i, g in enumerate(groups)}
    p = np.clip(0.25 + 0.4 * y + np.vectorize(bias.get)(A), 0, 1)
    return y, (rng.random(n) < p).astype(int), A


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_fairlearn(seed):
    y, yhat, A = _data(seed)
    kw = dict(sensitive_features=A)
    assert demographic_parity_difference(y, yhat, A) == pytest.approx(fm.demographic_parity_difference(y, yhat, **kw))
    assert demographic_parity_ratio(y, yhat, A) == pytest.approx(fm.demographic_parity_ratio(y, yhat, **kw))
    assert equalized_odds_difference(y, yhat, A) == pytest.approx(fm.equalized_odds_difference(y, yhat, **kw))
    assert equalized_odds_ratio(y, yhat, A) == pytest.approx(fm.equalized_odds_ratio(y, yhat, **kw))
    assert equal_opportunity_difference(y, yhat, A) == pytest.approx(fm.equal_opportunity_difference(y, yhat, **kw))
    frame = fm.MetricFrame(metrics={"sel": fm.selection_rate, "tpr": fm.true_positive_rate,
                                    "fpr": fm.false_positive_rate},
                           y_true=y, y_pred=yhat, sensitive_features=A)
    rates = group_rates(y, yhat, A)
    assert list(rates.groups) == list(frame.by_group.index)
    np.testing.assert_allclose(rates.selection_rate, frame.by_group["sel"].to_numpy())
    np.testing.assert_allclose(rates.tpr, frame.by_group["tpr"].to_numpy())
    np.testing.assert_allclose(rates.fpr, frame.by_group["fpr"].to_numpy())
    ppv = [np.mean(y[(A == g) & (yhat == 1)]) for g in rates.groups]
    np.testing.assert_allclose(rates.ppv, ppv)
    assert predictive_parity_difference(y, yhat, A) == pytest.approx(max(ppv) - min(ppv))


def test_group_calibration_equals_a_direct_count():
    rng = np.random.default_rng(3)
    A, s = rng.integers(0, 2, 500), rng.random(500)
    y = (rng.random(500) < s ** np.where(A == 1, 2.0, 1.0)).astype(int)
    ece, gap = group_calibration(y, s, A, n_bins=5)
    for a in (0, 1):
        m = A == a
        b = np.minimum((s[m] * 5).astype(int), 4)
        direct = sum(abs(s[m][b == k].mean() - y[m][b == k].mean()) * np.sum(b == k) for k in range(5)
                     if np.any(b == k)) / m.sum()
        assert ece[a] == pytest.approx(direct)
    assert gap == pytest.approx(abs(ece[0] - ece[1]))


def _error(post, y, yhat, A):
    r = expected_group_rates(post, y, yhat, A)
    share, base = r.size / r.size.sum(), np.array([y[A == g].mean() for g in r.groups])
    return float(np.sum(share * (base * (1 - r.tpr) + (1 - base) * r.fpr)))


def test_postprocessing_equalises_odds_and_is_optimal_on_a_grid():
    y, yhat, A = _data(4, n=2000, groups=(0, 1))
    assert equalized_odds_difference(y, yhat, A) > 0.1
    post = fit_postprocessing(y, yhat, A)
    r = expected_group_rates(post, y, yhat, A)
    assert np.ptp(r.tpr) < 0.01 and np.ptp(r.fpr) < 0.01
    ours = _error(post, y, yhat, A)
    base = group_rates(y, yhat, A)
    best = np.inf  # brute force over exactly feasible grid points of the mixing probabilities
    grid = np.linspace(0, 1, 21)
    for p in itertools.product(grid, repeat=4):
        f = np.reshape(p, (2, 2))
        tpr = f[:, 1] * base.tpr + f[:, 0] * (1 - base.tpr)
        fpr = f[:, 1] * base.fpr + f[:, 0] * (1 - base.fpr)
        if np.ptp(tpr) < 1e-9 and np.ptp(fpr) < 1e-9:
            best = min(best, _error(post._replace(flip=f), y, yhat, A))
    assert np.isfinite(best) and ours <= best + 1e-9
    sampled = np.asarray(postprocess_predict(jax.random.key(0), post, yhat, A))
    assert equalized_odds_difference(y, sampled, A) < 0.08  # a coin-flip realisation, n = 2000


def test_equal_opportunity_constraint_only_equalises_tpr():
    y, yhat, A = _data(5, n=1500)
    post = fit_postprocessing(y, yhat, A, constraint="equal_opportunity")
    r = expected_group_rates(post, y, yhat, A)
    assert np.ptp(r.tpr) < 1e-6
    assert _error(post, y, yhat, A) <= _error(fit_postprocessing(y, yhat, A), y, yhat, A) + 1e-9


def test_bad_input_raises_clear_errors():
    y, yhat = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    with pytest.raises(ValueError, match="two groups"):
        demographic_parity_difference(y, yhat, np.zeros(4))
    with pytest.raises(ValueError, match="same length"):
        equalized_odds_difference(y, yhat[:3], np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="binary"):
        group_rates(np.array([0, 2, 1, 0]), yhat, np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="sensitive"):
        group_rates(y, yhat, np.array([0, 1]))
    with pytest.raises(ValueError, match="constraint"):
        fit_postprocessing(y, yhat, np.array([0, 1, 0, 1]), constraint="parity")
    post = fit_postprocessing(np.array([0, 1, 0, 1]), np.array([0, 1, 1, 1]), np.array([0, 0, 1, 1]))
    with pytest.raises(ValueError, match="not seen"):
        expected_group_rates(post, y, yhat, np.array([0, 1, 2, 1]))
