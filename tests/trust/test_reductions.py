"""Exponentiated-gradient reductions: the returned mixture meets its moment constraints on
the training data (checked by direct group means), its error equals fairlearn's
ExponentiatedGradient (test-only oracle) on the same data, and bad input is refused."""

import jax
import numpy as np
import pytest

from jaxml.classical.linear.logistic import logistic_regression
from jaxml.data.fairness_scm import make_fairness_scm
from jaxml.trust.reductions import exponentiated_gradient, mixture_predict, mixture_predict_proba

EST = logistic_regression(1.0, n_classes=2)
EPS = 0.02


def _data(n=3000, seed=0):
    d = make_fairness_scm(jax.random.PRNGKey(seed), n)
    return np.concatenate([np.asarray(d.X), np.asarray(d.a)[:, None]], 1), np.asarray(d.y), np.asarray(d.a)


def _gaps(p, y, a, constraint):
    """max_{e,a} |E[h | e, a] − E[h | e]| by direct group means."""
    events = [np.ones_like(y, bool)] if constraint == "demographic_parity" else [y == 0, y == 1]
    return max(abs(p[e & (a == g)].mean() - p[e].mean()) for e in events for g in (0, 1))


@pytest.mark.parametrize("constraint", ["demographic_parity", "equalized_odds"])
def test_mixture_meets_the_constraint_and_matches_fairlearn(constraint):
    from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
    from sklearn.linear_model import LogisticRegression

    X, y, a = _data()
    unconstrained = np.asarray(EST.predict(EST.fit(X, y), X), float)
    assert _gaps(unconstrained, y, a, constraint) > 3 * EPS  # the constraint binds
    mixture = exponentiated_gradient(EST, X, y, a, constraint=constraint, eps=EPS)
    p = mixture_predict_proba(EST, mixture, X)
    assert np.isclose(mixture.weights.sum(), 1.0) and np.all(mixture.weights >= 0)
    assert _gaps(p, y, a, constraint) <= EPS + 1e-6
    moment = DemographicParity if constraint == "demographic_parity" else EqualizedOdds
    oracle = ExponentiatedGradient(LogisticRegression(), moment(difference_bound=EPS), eps=EPS)
    oracle.fit(X, y, sensitive_features=a)
    q = oracle._pmf_predict(X)[:, 1]
    error = lambda prob: np.mean(prob * (1 - y) + (1 - prob) * y)  # noqa: E731
    assert error(p) == pytest.approx(error(q), abs=0.005)
    assert error(p) > np.mean(unconstrained != y)  # fairness costs accuracy here


def test_draws_follow_the_mixture_probabilities():
    X, y, a = _data(n=1000, seed=1)
    mixture = exponentiated_gradient(EST, X, y, a, eps=EPS, max_iter=10)
    p = mixture_predict_proba(EST, mixture, X)
    draws = np.stack([np.asarray(mixture_predict(jax.random.PRNGKey(s), EST, mixture, X)) for s in range(200)])
    assert np.abs(draws.mean(0) - p).max() < 0.15 and set(np.unique(draws)) <= {0, 1}


def test_bad_input_raises_clear_errors():
    X, y, a = _data(n=200)
    with pytest.raises(ValueError, match="constraint"):
        exponentiated_gradient(EST, X, y, a, constraint="parity")
    with pytest.raises(ValueError, match="eps"):
        exponentiated_gradient(EST, X, y, a, eps=-0.1)
    with pytest.raises(ValueError, match="two groups"):
        exponentiated_gradient(EST, X, y, np.zeros_like(a))
    with pytest.raises(ValueError, match="X must be"):
        exponentiated_gradient(EST, X[:10], y, a)
    no_positive_in_group = np.where(a == 1, 0, y)
    with pytest.raises(ValueError, match="cell"):
        exponentiated_gradient(EST, X, no_positive_in_group, a, constraint="equalized_odds")
