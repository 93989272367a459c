"""jaxml.data.transactions: the stream has the stated fraud rate and class-conditional
families, and its exact log-odds equal a scipy evaluation of the same densities and are
calibrated (E[y | score] = sigmoid(score))."""

import jax
import numpy as np
import pytest
from scipy import stats

from jaxml.data.transactions import FEATURES, TransactionStream, make_transaction_stream, transaction_log_odds

N, DRIFT = 200_000, 100_000


@pytest.fixture(scope="module")
def stream():
    return make_transaction_stream(jax.random.key(0), N, drift_at=DRIFT, fraud_rate=0.01)


def test_shapes_rate_and_regime(stream):
    assert isinstance(stream, TransactionStream) and stream.X.shape == (N, len(FEATURES))
    y, regime = np.asarray(stream.y), np.asarray(stream.regime)
    np.testing.assert_array_equal(regime, (np.arange(N) >= DRIFT).astype(int))
    se = np.sqrt(0.01 * 0.99 / N)
    assert abs(y.mean() - 0.01) < 4 * se
    again = make_transaction_stream(jax.random.key(0), N, drift_at=DRIFT, fraud_rate=0.01)
    np.testing.assert_array_equal(np.asarray(again.X), np.asarray(stream.X))


@pytest.mark.parametrize("regime, fraud, family", [
    (0, 1, lambda c: stats.kstest(c[:, 0], stats.norm(5.0, 0.8).cdf).pvalue),
    (1, 1, lambda c: stats.kstest(c[:, 0], stats.norm(2.3, 0.5).cdf).pvalue),
    (0, 0, lambda c: stats.kstest(c[:, 3], stats.beta(2.0, 5.0).cdf).pvalue),
    (1, 1, lambda c: stats.kstest(c[:, 5], stats.norm(3.0, 1.0).cdf).pvalue),
    (1, 0, lambda c: stats.binomtest(int(c[:, 1].sum()), len(c), 0.5).pvalue),
    (0, 1, lambda c: stats.binomtest(int(c[:, 6].sum()), len(c), 0.5).pvalue),
])
def test_class_conditional_families(stream, regime, fraud, family):
    X, y, r = (np.asarray(v) for v in stream)
    rows = X[(y == fraud) & (r == regime)]
    assert family(rows) > 1e-3


def test_bursts_are_poisson_with_the_stated_means(stream):
    X, y, r = (np.asarray(v) for v in stream)
    for regime, fraud, lam in ((0, 0, 1.0), (1, 1, 5.0)):
        counts = X[(y == fraud) & (r == regime), 4]
        assert abs(counts.mean() - lam) < 4 * np.sqrt(lam / counts.size)
        assert abs(counts.var() - lam) < 0.1 * lam + 4 * np.sqrt(2 * lam ** 2 / counts.size)


def _scipy_log_odds(x, regime, rate):
    """The same densities written out with scipy, one row at a time."""
    params = {  # (legit, fraud) per regime
        0: ((3.5, 1.0, 0.3, 1.0, 2, 5, 1.0, 6.0, 1.0, 0.05), (5.0, 0.8, 0.8, 3.0, 5, 2, 2.0, 5.0, 1.5, 0.5)),
        1: ((3.1, 1.0, 0.5, 1.0, 2, 5, 1.2, 6.0, 1.0, 0.05), (2.3, 0.5, 0.6, 1.2, 2.5, 4, 5.0, 3.0, 1.0, 0.08)),
    }

    def log_density(p):
        m, s, online, dist, a, b, lam, age, age_s, foreign = p
        return (stats.norm.logpdf(x[0], m, s) + stats.bernoulli.logpmf(int(x[1]), online)
                + stats.norm.logpdf(x[2], dist, 1.0) + stats.beta.logpdf(x[3], a, b)
                + stats.poisson.logpmf(int(x[4]), lam) + stats.norm.logpdf(x[5], age, age_s)
                + stats.bernoulli.logpmf(int(x[6]), foreign))

    legit, fraud = params[regime]
    return np.log(rate / (1 - rate)) + log_density(fraud) - log_density(legit)


def test_log_odds_equal_scipy(stream):
    idx = np.r_[np.flatnonzero(np.asarray(stream.y))[:20], np.arange(0, N, N // 40)]
    X, r = np.asarray(stream.X)[idx], np.asarray(stream.regime)[idx]
    ours = np.asarray(transaction_log_odds(X, r, fraud_rate=0.01))
    np.testing.assert_allclose(ours, [_scipy_log_odds(x, g, 0.01) for x, g in zip(X, r)], rtol=1e-4, atol=1e-3)


def test_log_odds_are_calibrated(stream):
    """The posterior is exact, so within score bins the fraud share is the mean sigmoid."""
    p = np.asarray(jax.nn.sigmoid(transaction_log_odds(stream.X, stream.regime, fraud_rate=0.01)))
    y = np.asarray(stream.y)
    for lo, hi in ((0.0, 0.01), (0.01, 0.5), (0.5, 1.0)):
        rows = (p >= lo) & (p < hi)
        expected, sd = p[rows].sum(), np.sqrt((p[rows] * (1 - p[rows])).sum())
        assert abs(y[rows].sum() - expected) < 4 * sd + 1, (lo, hi)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n_events"):
        make_transaction_stream(jax.random.key(0), 0, drift_at=0)
    with pytest.raises(ValueError, match="fraud_rate"):
        make_transaction_stream(jax.random.key(0), 10, drift_at=5, fraud_rate=1.5)
    with pytest.raises(ValueError, match=r"X must be \(n, 7\)"):
        transaction_log_odds(np.zeros((3, 4)), np.zeros(3))
