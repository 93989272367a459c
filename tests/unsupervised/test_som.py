"""Self-organising maps (U.cl.6): batch and online updates vs NumPy implementations of
the update rules, quality measures vs brute force, ordering of a 1-D map, the
radius -> 0 limit of the batch map = a Lloyd step, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import make_blobs

from jaxml.unsupervised import kmeans as km
from jaxml.unsupervised import som as S


@pytest.fixture(scope="module")
def data():
    X, _ = make_blobs(80, n_features=3, centers=4, cluster_std=1.0, random_state=0)
    return X


def _grid(n_rows, n_cols):
    return np.array([(r, c) for r in range(n_rows) for c in range(n_cols)], float)


def _bmu_np(W, x):
    return int(np.argmin(((W - x) ** 2).sum(1)))


def _h_np(grid, c, sigma):
    return np.exp(-((grid - grid[c]) ** 2).sum(1) / (2 * sigma**2))


def _batch_np(W, grid, X, sigma):
    num = np.zeros_like(W)
    den = np.zeros(len(W))
    for x in X:
        h = _h_np(grid, _bmu_np(W, x), sigma)
        num += h[:, None] * x[None, :]
        den += h
    return num / den[:, None]


def _kohonen_np(W, grid, x, sigma, lr):
    h = _h_np(grid, _bmu_np(W, x), sigma)
    return W + lr * h[:, None] * (x - W)


def _schedule(a, b, t, T, kind):
    s = t / max(T - 1, 1)
    return a + s * (b - a) if kind == "linear" else a * (b / a) ** s


# ----------------------------------------------------------------------------- update rules


def test_grid_and_neighbourhood():
    g = np.asarray(S.grid_coordinates(2, 3))
    np.testing.assert_array_equal(g, _grid(2, 3))
    h = np.asarray(S.neighbourhood(g, 4, 0.7))
    np.testing.assert_allclose(h, _h_np(g, 4, 0.7), rtol=1e-6)
    H = np.asarray(S.neighbourhood(g, np.array([0, 5]), 0.7))
    assert H.shape == (6, 2)
    np.testing.assert_allclose(H[:, 1], _h_np(g, 5, 0.7), rtol=1e-6)
    np.testing.assert_allclose(S.decay(2.0, 0.5, 3, 5, "exponential"), 2.0 * 0.25**0.75,
                               rtol=1e-6)
    np.testing.assert_allclose(S.decay(2.0, 0.5, 3, 5, "linear"), 2.0 - 1.5 * 0.75, rtol=1e-6)


def test_batch_step_matches_numpy_and_lloyd(data):
    X = data
    grid = _grid(4, 5)
    with jax.enable_x64(True):
        W = X[:20].copy()
        for sigma in (2.0, 0.8):
            got = np.asarray(S.batch_step(W, grid, X, sigma))
            np.testing.assert_allclose(got, _batch_np(W, grid, X, sigma), atol=1e-12)
        # radius -> 0: the neighbourhood is the identity and the step is Lloyd's
        W6 = X[[0, 20, 40, 60, 10, 30]]
        g6 = _grid(2, 3)
        got = np.asarray(S.batch_step(W6, g6, X, 1e-3))
        lloyd = np.asarray(km.lloyd(X, W6, max_iter=1).centres)
        np.testing.assert_allclose(got, lloyd, atol=1e-12)


def test_online_steps_match_kohonen_loop(data):
    X = data
    grid = _grid(4, 5)
    with jax.enable_x64(True):
        W = X[:20].copy()
        W_np = W.copy()
        for t, x in enumerate(X[20:26]):
            sigma, lr = 2.0 * 0.8**t, 0.5 * 0.9**t
            W = S.online_step(W, grid, x, sigma, lr)
            W_np = _kohonen_np(W_np, grid, x, sigma, lr)
        np.testing.assert_allclose(np.asarray(W), W_np, atol=1e-12)


# ----------------------------------------------------------------------------- quality measures


@pytest.mark.parametrize("diagonal", [True, False])
def test_quality_measures_match_brute_force(data, diagonal):
    X = data
    rng = np.random.default_rng(1)
    grid = _grid(4, 5)
    W = X[rng.choice(len(X), 20, replace=False)] + 0.3 * rng.normal(size=(20, 3))
    with jax.enable_x64(True):
        qe = float(S.quantization_error(W, X))
        te = float(S.topographic_error(W, grid, X, diagonal=diagonal))
        bmu = np.asarray(S.best_matching_units(W, X))
    D = np.sqrt(((X[:, None, :] - W[None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(qe, D.min(1).mean(), rtol=1e-12)
    np.testing.assert_array_equal(bmu, D.argmin(1))
    errors = 0
    for row in D:
        b1, b2 = np.argsort(row)[:2]
        dr, dc = np.abs(grid[b1] - grid[b2])
        adjacent = max(dr, dc) <= 1 if diagonal else dr + dc == 1
        errors += not adjacent
    assert 0 < errors < len(X)  # the case is not trivial
    np.testing.assert_allclose(te, errors / len(X), rtol=1e-12)


def test_pca_init_spans_principal_plane(data):
    X = data
    with jax.enable_x64(True):
        W = np.asarray(S._pca_init(jnp.asarray(X), 3, 4))
    mean = X.mean(0)
    evals, evecs = np.linalg.eigh(np.cov(X.T))
    v1, v2 = evecs[:, -1], evecs[:, -2]
    corner = W[0] - mean  # grid (0, 0): u = (-1, -1)
    np.testing.assert_allclose(abs(corner @ v1), np.sqrt(evals[-1]), rtol=1e-8)
    np.testing.assert_allclose(abs(corner @ v2), np.sqrt(evals[-2]), rtol=1e-8)
    np.testing.assert_allclose(W.mean(0), mean, atol=1e-10)


# ----------------------------------------------------------------------------- training


@pytest.mark.parametrize("algorithm,decay", [("batch", "exponential"), ("online", "linear")])
def test_fit_matches_numpy_loop_and_orders_a_chain(algorithm, decay):
    """The whole ``fit`` (initial rows, schedules, epochs, the online stream) equals a
    NumPy training loop, and a 1-D map trained on 1-D data is ordered (monotone)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(100, 1))
    n_epochs, m = 15, 10
    est = S.som(1, m, algorithm=algorithm, n_epochs=n_epochs, sigma=5.0, sigma_final=0.5,
                learning_rate=0.5, learning_rate_final=0.02, decay=decay)
    grid = _grid(1, m)
    with jax.enable_x64(True):
        for seed in range(3):  # one compile, three random initial codebooks
            key = jax.random.key(seed)
            p = est.fit(key, x)
            w = np.asarray(p.weights)[:, 0]
            steps = np.diff(w)
            assert np.all(steps > 0) or np.all(steps < 0), w
            assert float(p.topographic_error) == 0.0
            assert float(p.quantization_error) < 0.1
        # NumPy replica of the last fit: the key's first half draws the initial rows,
        # its second half one permutation per epoch
        key_init, key_stream = jax.random.split(key)
        W = x[np.asarray(jax.random.choice(key_init, len(x), (m,), replace=False))]
        if algorithm == "batch":
            for t in range(n_epochs):
                W = _batch_np(W, grid, x, _schedule(5.0, 0.5, t, n_epochs, decay))
        else:
            keys = jax.random.split(key_stream, n_epochs)
            order = np.concatenate([np.asarray(jax.random.permutation(k, len(x)))
                                    for k in keys])
            T = len(order)
            for t, i in enumerate(order):
                W = _kohonen_np(W, grid, x[i], _schedule(5.0, 0.5, t, T, decay),
                                _schedule(0.5, 0.02, t, T, decay))
        np.testing.assert_allclose(np.asarray(p.weights), W, atol=1e-10)
        again = est.fit(key, x)
        np.testing.assert_array_equal(np.asarray(again.weights), np.asarray(p.weights))
        labels = np.array([_bmu_np(W, xi) for xi in x])
        np.testing.assert_array_equal(np.asarray(p.labels), labels)
        np.testing.assert_array_equal(np.asarray(est.predict(p, x)), labels)
        np.testing.assert_allclose(float(p.quantization_error),
                                   float(S.quantization_error(p.weights, x)), rtol=1e-12)
    assert p.labels.dtype == jnp.int32 and p.weights.shape == (m, 1)
    assert (p.n_rows, p.n_cols) == (1, m)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_names_the_argument(data):
    X = data
    X_nan = X.copy()
    X_nan[2, 0] = np.nan
    est = S.som(2, 2, n_epochs=1)
    with pytest.raises(ValueError, match="X must be finite"):
        est.fit(jax.random.key(0), X_nan)
    with pytest.raises(ValueError, match="X must be finite"):
        S.quantization_error(X[:4], X_nan)
    with pytest.raises(ValueError, match="algorithm"):
        S.som(2, 2, algorithm="minibatch")
    with pytest.raises(ValueError, match="decay"):
        S.som(2, 2, decay="cosine")
    with pytest.raises(ValueError, match="init"):
        S.som(2, 2, init="kmeans")
    with pytest.raises(ValueError, match="init must have n_rows"):
        S.som(2, 2, init=X[:3])
    with pytest.raises(ValueError, match="n_rows"):
        S.som(0, 2)
    with pytest.raises(ValueError, match="sigma"):
        S.som(2, 2, sigma=0.0)
    with pytest.raises(ValueError, match="learning_rate"):
        S.som(2, 2, learning_rate=float("nan"))
    with pytest.raises(ValueError, match="grid must have shape"):
        S.batch_step(X[:4], _grid(2, 3), X, 1.0)
    with pytest.raises(ValueError, match="X has 2 features"):
        S.quantization_error(X[:4], X[:, :2])
    with pytest.raises(ValueError, match="weights must have at least 2 units"):
        S.topographic_error(X[:1], _grid(1, 1), X)
