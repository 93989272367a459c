"""Tests for jaxml.theory.double_descent against closed forms, NumPy and Flax oracles."""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.theory import double_descent as dd


def test_minnorm_mc_matches_finite_closed_form():
    n = 20
    ps = np.array([4, 10, 15, 26, 40, 120])
    mc = dd.least_squares_risk_mc(jax.random.key(0), n, ps, r2=1.0, sigma2=0.5, num_trials=400,
                                  trial_batch=200)
    exact = np.asarray(dd.minnorm_risk_finite(n, ps, r2=1.0, sigma2=0.5))
    z = (np.asarray(mc.mean) - exact) / np.asarray(mc.stderr)
    assert np.all(np.abs(z) < 4), z
    assert mc.draws.shape == (400, len(ps)) and mc.mean.dtype == jnp.float32


def test_samplewise_minnorm_mc_matches_finite_closed_form_and_more_data_hurts():
    p = 20
    ns = np.array([2, 6, 12, 16, 26, 40, 120])
    mc = dd.least_squares_risk_mc_samples(jax.random.key(3), p, ns, r2=1.0, sigma2=1.0, num_trials=400,
                                          trial_batch=200)
    exact = np.asarray(dd.minnorm_risk_finite(ns, p, r2=1.0, sigma2=1.0))
    z = (np.asarray(mc.mean) - exact) / np.asarray(mc.stderr)
    assert np.all(np.abs(z) < 4), z
    # below n = p the risk grows with n: more data hurts
    assert np.all(np.diff(np.asarray(mc.mean)[:4]) > 0)
    with pytest.raises(ValueError, match="ns"):
        dd.least_squares_risk_mc_samples(jax.random.key(0), p, np.array([0, 3]))


def test_minnorm_mc_deterministic_and_optimal_ridge_removes_peak():
    n, ps = 10, np.array([5, 10, 20])
    a = dd.least_squares_risk_mc(jax.random.key(1), n, ps, num_trials=40)
    b = dd.least_squares_risk_mc(jax.random.key(1), n, ps, num_trials=40)
    np.testing.assert_array_equal(a.draws, b.draws)
    ridge = dd.least_squares_risk_mc(jax.random.key(1), n, ps, num_trials=40,
                                     lam=dd.optimal_ridge_lambda(ps / n))
    assert float(ridge.mean[1]) < 1.0 < float(a.mean[1])  # r² = 1 bounds the ridge risk


def test_closed_forms_and_asymptotic_limit():
    cf = np.asarray(dd.minnorm_risk_finite(100, np.array([50, 99, 100, 101, 200]), r2=2.0, sigma2=0.5))
    np.testing.assert_allclose(cf[0], 0.5 * 50 / 49, rtol=1e-6)
    np.testing.assert_allclose(cf[4], 2.0 * 0.5 + 0.5 * 100 / 99, rtol=1e-6)
    assert np.all(np.isnan(cf[1:4]))
    n = 100_000
    for gamma in (0.3, 0.8, 1.5, 4.0):
        np.testing.assert_allclose(dd.minnorm_risk_finite(n, int(gamma * n)),
                                   dd.minnorm_risk_asymptotic(gamma), rtol=1e-3)
    assert np.isinf(dd.minnorm_risk_asymptotic(1.0))


@pytest.mark.parametrize("p", [3, 8, 12, 20])
def test_masked_ridge_solution_matches_numpy(p):
    rng = np.random.default_rng(p)
    n, p_max = 8, 20
    X = rng.normal(size=(n, p_max)).astype(np.float32)
    y = rng.normal(size=n).astype(np.float32)
    beta = dd.masked_ridge_solution(jnp.asarray(X), jnp.asarray(y), p)
    expected = np.zeros(p_max)
    expected[:p] = np.linalg.pinv(X[:, :p].astype(np.float64)) @ y
    np.testing.assert_allclose(beta, expected, atol=2e-3 * max(1, np.abs(expected).max()))
    lam = 0.3
    ridge = jax.jit(dd.masked_ridge_solution)(jnp.asarray(X), jnp.asarray(y), p, lam)
    Xp = X[:, :p].astype(np.float64)
    expected_r = np.zeros(p_max)
    expected_r[:p] = np.linalg.solve(Xp.T @ Xp + n * lam * np.eye(p), Xp.T @ y)
    np.testing.assert_allclose(ridge, expected_r, atol=1e-4)


def test_random_features_approximate_gaussian_kernel_and_are_deterministic():
    x = jax.random.normal(jax.random.key(0), (5, 3))
    phi = dd.random_features(jax.random.key(1), x, 40_000, kind="fourier", bandwidth=1.5)
    d2 = np.sum((np.asarray(x)[:, None] - np.asarray(x)[None]) ** 2, -1)
    np.testing.assert_allclose(phi @ phi.T, np.exp(-d2 / (2 * 1.5 ** 2)), atol=0.03)
    relu = dd.random_features(jax.random.key(1), x, 7, kind="relu")
    np.testing.assert_array_equal(relu, dd.random_features(jax.random.key(1), x, 7, kind="relu"))
    assert relu.shape == (5, 7) and bool(jnp.all(relu >= 0))


def test_feature_sweep_matches_pinv_per_width():
    rng = np.random.default_rng(0)
    n, m, n_max, block = 12, 9, 36, 6
    phi = rng.normal(size=(n, n_max)).astype(np.float32)
    phit = rng.normal(size=(m, n_max)).astype(np.float32)
    y, yt = rng.integers(0, 3, n), rng.integers(0, 3, m)
    y[:3], yt[:3] = [0, 1, 2], [0, 1, 2]
    sweep = dd.minnorm_feature_sweep(phi, y, phit, yt, block=block)
    Y, Yt = np.eye(3)[y], np.eye(3)[yt]
    for g, N in enumerate(range(block, n_max + 1, block)):
        if N == n:
            continue  # exactly square: the fit exists but is ill-conditioned in float32
        beta = np.linalg.pinv(phi[:, :N].astype(np.float64)) @ Y
        np.testing.assert_allclose(sweep.test_mse[g], np.mean(np.sum((phit[:, :N] @ beta - Yt) ** 2, 1)),
                                   rtol=2e-2)
        np.testing.assert_allclose(sweep.train_mse[g], np.mean(np.sum((phi[:, :N] @ beta - Y) ** 2, 1)),
                                   atol=2e-3)
        np.testing.assert_allclose(sweep.norm[g], np.linalg.norm(beta) * np.sqrt(N / n_max), rtol=2e-2)
    assert sweep.num_features.tolist() == list(range(block, n_max + 1, block))


class _PlainMLP(nn.Module):
    width: int

    @nn.compact
    def __call__(self, x):
        h = nn.relu(nn.Dense(self.width)(x))
        h = nn.relu(nn.Dense(self.width)(h))
        return nn.Dense(10)(h)


class _PlainCNN(nn.Module):
    channels: int

    @nn.compact
    def __call__(self, x):
        h = x[..., None]
        for k in dd.CNN_KERNELS:
            h = nn.relu(nn.Conv(self.channels, (k,), strides=(2,), padding=[(1, 1)])(h))
        return nn.Dense(10)(h.reshape(h.shape[0], -1))


def test_masked_mlp_equals_unmasked_flax_mlp_and_masked_units_get_no_gradient():
    h, max_width = 5, 16
    params = dd.init_masked_mlp(jax.random.key(0), h, in_features=7, max_width=max_width, num_outputs=10)
    x = jax.random.normal(jax.random.key(1), (4, 7))
    sliced = {"params": {
        "Dense_0": {"kernel": params[0]["w"][:, :h], "bias": params[0]["b"][:h]},
        "Dense_1": {"kernel": params[1]["w"][:h, :h], "bias": params[1]["b"][:h]},
        "Dense_2": {"kernel": params[2]["w"][:h], "bias": params[2]["b"]}}}
    np.testing.assert_allclose(dd.masked_mlp_apply(params, x, h), _PlainMLP(h).apply(sliced, x),
                               atol=1e-5)
    np.testing.assert_allclose(jax.jit(dd.masked_mlp_apply)(params, x, h),
                               dd.masked_mlp_apply(params, x, h), atol=1e-6)
    grads = jax.grad(lambda p: jnp.sum(dd.masked_mlp_apply(p, x, h) ** 2))(params)
    assert float(jnp.abs(grads[1]["w"][h:]).max()) == 0.0
    assert float(jnp.abs(grads[1]["w"][:, h:]).max()) == 0.0
    assert float(jnp.abs(grads[2]["w"][h:]).max()) == 0.0
    # PyTorch default init with fan_in of the active width
    assert float(jnp.abs(params[1]["w"]).max()) <= 1 / np.sqrt(h)


def test_masked_cnn_equals_unmasked_flax_cnn():
    c, max_c, length = 3, 8, 40
    params = dd.init_masked_cnn(jax.random.key(0), c, length=length, max_width=max_c, num_outputs=10)
    x = jax.random.normal(jax.random.key(1), (2, length))
    out_len = params[-1]["w"].shape[0] // max_c
    sliced = {"params": {
        "Conv_0": {"kernel": params[0]["w"][:, :, :c], "bias": params[0]["b"][:c]},
        "Conv_1": {"kernel": params[1]["w"][:, :c, :c], "bias": params[1]["b"][:c]},
        "Conv_2": {"kernel": params[2]["w"][:, :c, :c], "bias": params[2]["b"][:c]},
        "Dense_0": {"kernel": params[3]["w"].reshape(out_len, max_c, 10)[:, :c].reshape(-1, 10),
                    "bias": params[3]["b"]}}}
    np.testing.assert_allclose(dd.masked_cnn_apply(params, x, c), _PlainCNN(c).apply(sliced, x),
                               atol=1e-5)


def test_corrupt_labels_flips_exact_fraction_to_other_classes():
    y = jnp.arange(200) % 10
    noisy = dd.corrupt_labels(jax.random.key(0), y, 0.15, 10)
    assert int(jnp.sum(noisy != y)) == 30
    assert int(noisy.min()) >= 0 and int(noisy.max()) <= 9
    np.testing.assert_array_equal(noisy, dd.corrupt_labels(jax.random.key(0), y, 0.15, 10))


def test_sgd_width_sweep_shapes_determinism_and_learning():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 6)) * 3
    y = rng.integers(0, 3, 120).astype(np.int32)
    x = (centers[y] + rng.normal(size=(120, 6))).astype(np.float32)
    init = functools.partial(dd.init_masked_mlp, in_features=6, num_outputs=3)
    run = functools.partial(dd.sgd_width_sweep, jax.random.key(0), init, dd.masked_mlp_apply,
                            jnp.array([2.0, 16.0]), jnp.array([60, 100]), (x[:100], y[:100]),
                            (x[100:], y[100:]), num_seeds=2, steps=60, eval_every=30,
                            batch_size=10, lr=0.05)
    hist = run()
    assert hist.test_err.shape == (2, 2, 2) and hist.step.tolist() == [30, 60]
    assert float(hist.train_err[1, :, -1].max()) < 0.2
    np.testing.assert_array_equal(hist.test_err, run().test_err)
    # one padded program for both widths trains the same networks as one program per width
    padded = run(max_width_ratio=np.inf)
    np.testing.assert_allclose(padded.train_loss, hist.train_loss, rtol=1e-4, atol=1e-5)


def test_width_buckets_respect_ratio_and_cover_every_config():
    widths = np.array([300, 2, 3, 47, 4, 62, 300])
    for ratio in (1.0, 1.5, 2.0, np.inf):
        groups = dd.width_buckets(widths, ratio)
        assert sorted(np.concatenate(groups).tolist()) == list(range(len(widths)))
        for g in groups:
            assert widths[g].max() <= ratio * widths[g].min()
    assert len(dd.width_buckets(widths, 1.0)) == 6
    assert len(dd.width_buckets(widths, np.inf)) == 1
    with pytest.raises(ValueError, match="max_ratio"):
        dd.width_buckets(widths, 0.5)
