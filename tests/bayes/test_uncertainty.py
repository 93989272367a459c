"""Unified predictive API and uncertainty metrics against brute force and scikit-learn."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from jaxml.bayes import bnn, ensembles, mc_dropout
from jaxml.bayes import uncertainty as U


@pytest.fixture(scope="module")
def cls_data():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=200).astype(np.float32)
    y = np.array([rng.choice(4, p=p / p.sum()) for p in probs.astype(float)], dtype=np.int32)
    return probs, y


def test_nll_and_brier_match_sklearn(cls_data):
    probs, y = cls_data
    np.testing.assert_allclose(U.classification_nll(probs, y),
                               log_loss(y, probs, labels=range(4)), rtol=1e-5)
    p2 = np.stack([1 - probs[:, 0], probs[:, 0]], 1)
    y2 = (y == 0).astype(np.int32)
    # sklearn's binary Brier is mean (p1 - y)^2; the multi-class sum is twice that
    np.testing.assert_allclose(U.brier_score(p2, y2), 2 * brier_score_loss(y2, p2[:, 1]),
                               rtol=1e-5)


def test_ece_and_reliability_brute_force(cls_data):
    probs, y = cls_data
    conf, pred = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, 11)
    ece, counts = 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        counts.append(in_bin.sum())
        if in_bin.any():
            ece += in_bin.mean() * abs((pred[in_bin] == y[in_bin]).mean() - conf[in_bin].mean())
    rel = U.reliability_diagram(probs, y, num_bins=10)
    np.testing.assert_array_equal(rel.count, counts)
    np.testing.assert_allclose(U.expected_calibration_error(probs, y, num_bins=10), ece,
                               rtol=1e-5, atol=1e-6)
    jitted = jax.jit(lambda p, t: U.expected_calibration_error(p, t, num_bins=10))(probs, y)
    np.testing.assert_allclose(jitted, ece, rtol=1e-5, atol=1e-6)
    # a perfectly calibrated one-hot predictor has zero ECE
    assert float(U.expected_calibration_error(np.eye(4)[y], y)) == 0.0


def test_auroc_matches_sklearn_with_ties():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=300).round(1).astype(np.float32)  # many ties
    labels = (rng.uniform(size=300) < 0.3 + 0.2 * (scores > 0)).astype(np.int32)
    np.testing.assert_allclose(U.auroc(scores, labels), roc_auc_score(labels, scores),
                               rtol=1e-6)
    np.testing.assert_allclose(jax.jit(U.auroc)(scores, labels),
                               roc_auc_score(labels, scores), rtol=1e-6)


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
    rng = np.random.default_rng(3)
    X = rng.normal(size=(24, 2)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=24)).astype(np.float32)
    spec = bnn.BNNSpec(hidden=(), noise_scale=0.2)
    nuts = bnn.NUTSPosterior({"w0": jnp.asarray(rng.normal(size=(40, 2, 1)), jnp.float32),
                              "b0": jnp.asarray(rng.normal(size=(40, 1)), jnp.float32)}, spec)
    fits = {
        "nuts": nuts,
        "svi": bnn.fit_svi(0, X, y, hidden=(), noise_scale=0.2, num_steps=20),
        "mc_dropout": mc_dropout.fit(0, X, y, features=(8,), num_steps=20, batch_size=8),
        "ensemble": ensembles.fit(0, X, y, num_members=3, features=(8,), num_steps=20,
                                  batch_size=8),
    }
    for name, fitted in fits.items():
        assert U.method_name(fitted) == name
        pred = U.predict(1, fitted, X[:6], num_samples=10)
        s = 3 if name == "ensemble" else 10
        assert pred.samples.shape == (s, 6) and pred.mean.shape == (6,)
        np.testing.assert_allclose(pred.variance, pred.aleatoric + pred.epistemic, rtol=1e-6)
        np.testing.assert_allclose(pred.epistemic, np.var(np.asarray(pred.samples), 0),
                                   rtol=1e-4, atol=1e-7)
        again = U.predict(1, fitted, X[:6], num_samples=10)
        np.testing.assert_array_equal(pred.mean, again.mean)
    direct = (X[:6] @ np.asarray(nuts.samples["w0"][:10, :, 0]).T
              + np.asarray(nuts.samples["b0"][:10, 0]))
    np.testing.assert_allclose(U.predict(1, nuts, X[:6], num_samples=10).samples, direct.T,
                               rtol=1e-4, atol=1e-5)


def test_summarize_classification_variance():
    rng = np.random.default_rng(4)
    p = jnp.asarray(rng.dirichlet(np.ones(3), size=(7, 5)), jnp.float32)
    pred = U.summarize(p, None)
    np.testing.assert_allclose(pred.variance, pred.mean * (1 - pred.mean), rtol=1e-5,
                               atol=1e-6)


def test_bad_input(cls_data):
    probs, y = cls_data
    with pytest.raises(ValueError, match="probs"):
        U.classification_nll(probs[:, :, None], y)
    with pytest.raises(ValueError, match="y"):
        U.brier_score(probs, np.full(200, 7))
    with pytest.raises(ValueError, match="labels"):
        U.auroc(np.ones(4), np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="num_bins"):
        U.expected_calibration_error(probs, y, num_bins=0)
    with pytest.raises(TypeError, match="fitted"):
        U.predict(0, object(), np.zeros((2, 2)))
