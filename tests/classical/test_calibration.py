"""jaxml.classical.calibration vs sklearn.calibration / sklearn.isotonic / brute force."""

import chex
import jax
import numpy as np
import pytest
import scipy.optimize
import scipy.special
from sklearn.calibration import _sigmoid_calibration, calibration_curve
from sklearn.isotonic import IsotonicRegression

from jaxml.classical import calibration as CAL

R = np.random.default_rng(0)
N = 60
P_TRUE = R.uniform(size=N)
Y = (R.uniform(size=N) < P_TRUE).astype(np.int32)
PROB = np.clip(P_TRUE**1.5 + 0.05 * R.normal(size=N), 0, 1).astype(np.float32)
PROB[:3] = [0.25, 0.5, 0.75]  # values on (exactly representable) bin edges go to the lower bin


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_reliability_curve_matches_sklearn(strategy):
    pt, pp, counts = CAL.reliability_curve(Y, PROB, n_bins=4, strategy=strategy)
    chex.assert_shape((pt, pp, counts), (4,))
    rt, rp = calibration_curve(Y, PROB, n_bins=4, strategy=strategy)
    keep = np.asarray(counts) > 0
    np.testing.assert_allclose(np.asarray(pt)[keep], rt, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(pp)[keep], rp, rtol=1e-5)
    assert float(counts.sum()) == N


def test_reliability_curve_empty_bins_and_jit():
    pt, pp, counts = CAL.reliability_curve([0, 1, 1], [0.05, 0.95, 0.9], n_bins=4)
    np.testing.assert_array_equal(np.isnan(np.asarray(pt)), [False, True, True, False])
    got = jax.jit(lambda a, b: CAL.reliability_curve(a, b, n_bins=5))(Y, PROB)
    chex.assert_trees_all_close(got, CAL.reliability_curve(Y, PROB, n_bins=5))
    with pytest.raises(ValueError, match="y_prob"):
        CAL.reliability_curve(Y, PROB + 1.0)
    with pytest.raises(ValueError, match="strategy"):
        CAL.reliability_curve(Y, PROB, strategy="kmeans")


def test_ece_binary_and_top_label_brute_force():
    # binary: weighted |frequency - confidence| per sklearn-style bin
    edges = np.linspace(0, 1, 11)
    ids = np.searchsorted(edges[1:-1], PROB)
    brute = sum(np.sum(ids == b) / N * abs(Y[ids == b].mean() - PROB[ids == b].mean())
                for b in range(10) if np.any(ids == b))
    assert float(CAL.expected_calibration_error(Y, PROB, n_bins=10)) == pytest.approx(brute, abs=1e-6)
    # top-label (Guo et al.): bins (k/B, (k+1)/B]
    probs = scipy.special.softmax(R.normal(size=(N, 4)) * 2, axis=1).astype(np.float32)
    labels = R.integers(0, 4, N)
    conf, pred = probs.max(1), probs.argmax(1)
    brute = 0.0
    for lo, hi in zip(np.linspace(0, 1, 16)[:-1], np.linspace(0, 1, 16)[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            brute += m.mean() * abs((pred[m] == labels[m]).mean() - conf[m].mean())
    got = CAL.expected_calibration_error(labels, probs, n_bins=15)
    assert float(got) == pytest.approx(brute, abs=1e-6)
    assert float(jax.jit(CAL.expected_calibration_error)(labels, probs)) == pytest.approx(float(got))
    # a perfectly calibrated constant predictor has ECE 0
    assert float(CAL.expected_calibration_error([0, 1, 0, 1], [0.5] * 4)) == 0.0


def test_top_label_reliability_curve_brute_force():
    rng = np.random.default_rng(4)
    probs = rng.dirichlet(np.ones(4), size=200).astype(np.float32)
    labels = np.array([rng.choice(4, p=p / p.sum()) for p in probs.astype(float)], np.int32)
    conf, hit = probs.max(1), (probs.argmax(1) == labels)
    edges = np.linspace(0, 1, 11)
    acc, mean_conf, counts = CAL.reliability_curve(labels, probs, n_bins=10)
    for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        m = ((conf > lo) if b else (conf >= lo)) & (conf <= hi)
        assert int(counts[b]) == m.sum()
        if m.any():
            assert float(acc[b]) == pytest.approx(hit[m].mean(), abs=1e-6)
            assert float(mean_conf[b]) == pytest.approx(conf[m].mean(), abs=1e-6)
        else:
            assert np.isnan(float(acc[b]))
    got = jax.jit(lambda a, b: CAL.reliability_curve(a, b, n_bins=10))(labels, probs)
    chex.assert_trees_all_close(got, (acc, mean_conf, counts))
    # a one-hot predictor that is always right has zero top-label ECE
    assert float(CAL.expected_calibration_error(labels, np.eye(4, dtype=np.float32)[labels])) == 0.0
    with pytest.raises(ValueError, match="y_true"):
        CAL.reliability_curve(np.full(200, 4), probs)
    with pytest.raises(ValueError, match="n_bins"):
        CAL.expected_calibration_error(labels, probs, n_bins=0)


def test_platt_scaling_matches_sklearn_sigmoid_calibration():
    scores = (3.0 * (P_TRUE - 0.5) + 0.5 * R.normal(size=N)).astype(np.float32) * 40.0
    cal = CAL.platt_scaling()
    params = cal.fit(scores, Y)
    A, B = _sigmoid_calibration(scores.astype(np.float64), Y)
    assert float(params.a) == pytest.approx(-A, rel=1e-3)
    assert float(params.b) == pytest.approx(-B, rel=1e-3, abs=1e-4)
    np.testing.assert_allclose(cal.predict(params, scores), 1 / (1 + np.exp(A * scores + B)), atol=1e-5)
    chex.assert_trees_all_close(jax.jit(cal.fit)(scores, Y), params, rtol=1e-5)
    with pytest.raises(ValueError, match="y_true"):
        cal.fit(scores, Y + 2)


@pytest.mark.parametrize("increasing", [True, False])
def test_isotonic_matches_sklearn_with_ties_and_weights(increasing):
    x = np.round(R.uniform(size=40) * 5, 0).astype(np.float32)  # heavy ties
    y = (np.sin(x) + x * 0.5 * (1 if increasing else -1) + R.normal(size=40)).astype(np.float32)
    w = R.uniform(0.1, 2.0, 40).astype(np.float32)
    x_new = np.linspace(-1, 6, 23).astype(np.float32)
    iso = CAL.isotonic_regression(increasing=increasing)
    for sw in (None, w):
        params = iso.fit(x, y, sample_weight=sw)
        ref = IsotonicRegression(increasing=increasing, out_of_bounds="clip").fit(x, y, sample_weight=sw)
        np.testing.assert_allclose(iso.predict(params, x_new), ref.predict(x_new), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(iso.predict(params, x), ref.predict(x), rtol=1e-5, atol=1e-5)
        diffs = np.diff(np.asarray(params.y))
        assert np.all(diffs >= -1e-6) if increasing else np.all(diffs <= 1e-6)
    chex.assert_trees_all_close(jax.jit(iso.fit)(x, y), iso.fit(x, y))
    with pytest.raises(ValueError, match="same length"):
        iso.fit(x, y[:5])
    with pytest.raises(TypeError, match="increasing"):
        CAL.isotonic_regression(increasing="auto")


def test_temperature_scaling_matches_scipy():
    logits = (R.normal(size=(80, 5)) * 4).astype(np.float32)
    labels = np.where(R.uniform(size=80) < 0.6, logits.argmax(1), R.integers(0, 5, 80))

    def nll(t):
        lp = scipy.special.log_softmax(logits.astype(np.float64) / t, axis=1)
        return -lp[np.arange(80), labels].mean()

    ref = scipy.optimize.minimize_scalar(nll, bounds=(0.05, 20), method="bounded",
                                         options={"xatol": 1e-8}).x
    T = CAL.temperature_scaling(logits, labels)
    assert float(T) == pytest.approx(ref, rel=1e-3)
    assert float(T) > 1.0  # over-confident logits get softened
    assert float(jax.jit(CAL.temperature_scaling)(logits, labels)) == pytest.approx(float(T), rel=1e-6)
    with pytest.raises(ValueError, match="labels"):
        CAL.temperature_scaling(logits, labels + 5)
    with pytest.raises(ValueError, match="bounds"):
        CAL.temperature_scaling(logits, labels, bounds=(0.0, 1.0))
