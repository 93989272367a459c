"""Unified predictive API and uncertainty metrics against brute force and scikit-learn."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from jaxml.bayes import ensembles, mc_dropout
from jaxml.bayes import uncertainty as U


@pytest.fixture(scope="module")
def cls_data():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=200).astype(np.float32)
    y = np.array([rng.choice(4, p=p / p.sum()) for p in probs.astype(float)], dtype=np.int32)
    return probs, y


def test_brier_matches_sklearn(cls_data):
    probs, y = cls_data
    p2 = np.stack([1 - probs[:, 0], probs[:, 0]], 1)
    y2 = (y == 0).astype(np.int32)
    # sklearn's binary Brier is mean (p1 - y)^2; the multi-class sum is twice that
    np.testing.assert_allclose(U.brier_score(y2, p2), 2 * brier_score_loss(y2, p2[:, 1]),
                               rtol=1e-5)
    np.testing.assert_allclose(jax.jit(U.brier_score)(y2, p2), U.brier_score(y2, p2),
                               rtol=1e-6)


def test_ood_auroc_and_entropy(cls_data):
    probs, _ = cls_data
    confident = np.eye(4, dtype=np.float32)[np.arange(50) % 4] * 0.97 + 0.0075
    uniform = np.full((30, 4), 0.25, np.float32)
    assert float(U.ood_auroc(confident, uniform)) == 1.0
    assert float(U.ood_auroc(uniform, confident)) == 0.0
    h = U.predictive_entropy(probs)
    np.testing.assert_allclose(h, -(probs * np.log(probs)).sum(1), rtol=1e-5)
    np.testing.assert_allclose(U.predictive_entropy(np.array([[1.0, 0.0]])), 0.0)


def test_gaussian_nlls():
    rng = np.random.default_rng(2)
    y = rng.normal(size=10).astype(np.float32)
    means = rng.normal(size=(5, 10)).astype(np.float32)
    var = rng.uniform(0.2, 2.0, size=(5, 10)).astype(np.float32)
    from scipy.stats import norm
    dens = norm.pdf(y[None], means, np.sqrt(var)).mean(0)
    np.testing.assert_allclose(U.mixture_gaussian_nll(y, means, var), -np.log(dens).mean(),
                               rtol=1e-5)
    np.testing.assert_allclose(U.gaussian_nll(y, means[0], var[0]),
                               -norm.logpdf(y, means[0], np.sqrt(var[0])).mean(), rtol=1e-5)


def test_predict_all_four_methods_law_of_total_variance():
    """Every method's ``predict_samples`` through ``U.predict``. The NUTS/SVI BNN entries
    join when :mod:`jaxml.bayes.bnn` exposes its estimator factories (helper H5)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(24, 2)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=24)).astype(np.float32)
    estimators = {
        "mc_dropout": mc_dropout.mc_dropout(features=(8,), epochs=3, batch_size=8,
                                            num_samples=10),
        "ensemble": ensembles.deep_ensemble(num_members=3, features=(8,), epochs=3,
                                            batch_size=8),
    }
    for name, est in estimators.items():
        params = est.fit(0, X, y)
        assert U.method_name(params) == name
        pred = U.predict(1, est, params, X[:6])
        s = 3 if name == "ensemble" else 10
        assert pred.samples.shape == (s, 6) and pred.mean.shape == (6,)
        np.testing.assert_allclose(pred.variance, pred.aleatoric + pred.epistemic, rtol=1e-6)
        np.testing.assert_allclose(pred.epistemic, np.var(np.asarray(pred.samples), 0),
                                   rtol=1e-4, atol=1e-7)
        if name == "ensemble":  # deterministic members: U.predict is the estimator's mixture
            np.testing.assert_allclose(np.sqrt(pred.variance), est.predict_std(params, X[:6]),
                                       rtol=1e-4)
        again = U.predict(1, est, params, X[:6])
        np.testing.assert_array_equal(pred.mean, again.mean)


def test_summarize_classification_variance():
    rng = np.random.default_rng(4)
    p = jnp.asarray(rng.dirichlet(np.ones(3), size=(7, 5)), jnp.float32)
    pred = U.summarize(p, None)
    np.testing.assert_allclose(pred.variance, pred.mean * (1 - pred.mean), rtol=1e-5,
                               atol=1e-6)


def test_bad_input(cls_data):
    probs, y = cls_data
    with pytest.raises(ValueError, match="y_prob"):
        U.brier_score(y, probs[:, :, None])
    with pytest.raises(ValueError, match="y_true"):
        U.brier_score(np.full(200, 7), probs)
    with pytest.raises(TypeError, match="predict_samples"):
        U.predict(0, object(), None, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="params"):
        U.method_name(object())
