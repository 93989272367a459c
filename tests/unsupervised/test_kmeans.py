"""k-means (Lloyd, greedy k-means++, restarts, mini-batch) vs scikit-learn and brute force."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs

from jaxml.unsupervised import kmeans as km


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(400, n_features=3, centers=5, cluster_std=2.0, random_state=0)
    return X


@pytest.mark.parametrize("far_centre", [False, True])
def test_lloyd_matches_sklearn_with_same_init(blobs, far_centre):
    X = blobs
    init = X[:5].copy()
    if far_centre:  # centre 4 owns no point: both relocate it to the farthest point
        init[4] = 100.0
    ref = KMeans(5, init=init, n_init=1, algorithm="lloyd", max_iter=300, tol=1e-4).fit(X)
    est = km.kmeans(5, init=init, max_iter=300, tol=1e-4)
    p = est.fit(jax.random.key(0), X)
    np.testing.assert_array_equal(np.asarray(p.labels), ref.labels_)
    np.testing.assert_allclose(np.asarray(p.centres), ref.cluster_centers_, atol=1e-4)
    np.testing.assert_allclose(float(p.inertia), ref.inertia_, rtol=1e-5)
    assert int(p.n_iter) == ref.n_iter_
    np.testing.assert_array_equal(np.asarray(est.predict(p, X[:50])), ref.predict(X[:50]))
    np.testing.assert_allclose(np.asarray(km.centre_distances(p, X[:50])),
                               ref.transform(X[:50]), atol=1e-3)


def test_inertia_never_increases(blobs):
    p = km.lloyd(blobs, blobs[:5], max_iter=100, tol=0.0)
    n = int(p.n_iter)
    hist = np.asarray(p.inertia_history)
    assert n > 5 and np.all(np.isnan(hist[n:]))
    steps = np.diff(hist[:n])
    assert np.all(steps <= 1e-6 * hist[0]), steps.max()
    assert hist[0] > 1.5 * hist[n - 1]  # it did decrease
    np.testing.assert_allclose(hist[n - 1], float(p.inertia), rtol=1e-5)


def _greedy_pp_distribution(X, n_trials):
    """Exact P(first = i, second = j) of greedy k-means++ with k = 2, by enumeration."""
    n = len(X)
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    P = np.zeros((n, n))
    for i in range(n):
        p = D[i] / D[i].sum()
        pot = np.minimum(D[i][None, :], D).sum(1)  # potential after adding candidate c
        for cands in itertools.product(range(n), repeat=n_trials):
            prob = np.prod(p[list(cands)])
            winner = cands[int(np.argmin(pot[list(cands)]))]
            P[i, winner] += prob / n
    return P


@pytest.mark.parametrize("n_trials", [None, 1])
def test_kmeans_plusplus_seeding_distribution(n_trials):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0], [4.0, 4.0], [-2.0, 1.0]])
    trials = 2 + int(np.log(2)) if n_trials is None else n_trials
    exact = _greedy_pp_distribution(X, trials)
    m = 40_000
    draw = jax.jit(jax.vmap(lambda kk: km.kmeans_plusplus(kk, X, 2, n_local_trials=n_trials)[1]))
    idx = np.asarray(draw(jax.random.split(jax.random.key(3), m)))
    emp = np.zeros_like(exact)
    np.add.at(emp, (idx[:, 0], idx[:, 1]), 1.0 / m)
    assert np.all(idx[:, 0] != idx[:, 1])
    sd = np.sqrt(exact * (1 - exact) / m)
    assert np.all(np.abs(emp - exact) <= 5 * sd + 1e-3), np.abs(emp - exact).max()
    if n_trials is None:  # greedy differs from plain D^2 sampling on this set
        assert np.abs(exact - _greedy_pp_distribution(X, 1)).max() > 0.02


def test_kmeans_plusplus_returns_rows(blobs):
    c, idx = km.kmeans_plusplus(jax.random.key(0), blobs, 6)
    assert c.shape == (6, 3) and len(set(np.asarray(idx).tolist())) == 6
    np.testing.assert_array_equal(np.asarray(c), np.asarray(blobs, np.float32)[np.asarray(idx)])


def test_vmapped_restarts_equal_python_loop(blobs):
    key = jax.random.key(7)
    p = km.kmeans(5, n_init=4, max_iter=50).fit(key, blobs)
    runs = [km.lloyd(blobs, km.kmeans_plusplus(kk, blobs, 5)[0], max_iter=50)
            for kk in jax.random.split(key, 4)]
    best = runs[int(np.argmin([float(r.inertia) for r in runs]))]
    np.testing.assert_allclose(np.asarray(p.centres), np.asarray(best.centres), atol=1e-4)
    np.testing.assert_array_equal(np.asarray(p.labels), np.asarray(best.labels))
    np.testing.assert_allclose(float(p.inertia), float(best.inertia), rtol=1e-5)
    # restarts help: best inertia is the minimum over runs and no worse than sklearn's
    ref = KMeans(5, n_init=4, random_state=0).fit(blobs)
    assert float(p.inertia) <= ref.inertia_ * 1.01


def test_minibatch_close_to_sklearn():
    X, _ = make_blobs(2000, n_features=4, centers=6, cluster_std=1.5, random_state=2)
    p = km.minibatch_kmeans(6, batch_size=128, max_iter=10).fit(jax.random.key(0), X)
    ref = [MiniBatchKMeans(6, batch_size=128, n_init=1, random_state=s).fit(X).inertia_
           for s in range(3)]
    full = KMeans(6, n_init=3, random_state=0).fit(X).inertia_
    assert abs(float(p.inertia) / np.median(ref) - 1) < 0.05, (float(p.inertia), ref)
    assert float(p.inertia) >= full * (1 - 1e-4)  # cannot beat Lloyd's optimum by much
    labels = np.asarray(p.labels)
    np.testing.assert_array_equal(labels, np.asarray(km.assign(jnp.asarray(X, jnp.float32),
                                                               p.centres)[0]))


@pytest.mark.slow
def test_jit_matches_eager(blobs):
    est = km.kmeans(4, max_iter=30)
    key = jax.random.key(1)
    a, b = est.fit(key, blobs), jax.jit(est.fit)(key, blobs)
    np.testing.assert_allclose(np.asarray(a.centres), np.asarray(b.centres), atol=1e-5)
    c = est.fit(key, blobs)
    np.testing.assert_array_equal(np.asarray(a.centres), np.asarray(c.centres))  # determinism


def test_bad_input(blobs):
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="k must be <= n_samples"):
        km.kmeans(5).fit(key, blobs[:3])
    with pytest.raises(ValueError, match="k must be >= 1"):
        km.kmeans(0)
    X = blobs.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        km.kmeans(3).fit(key, X)
    with pytest.raises(ValueError, match="init must be"):
        km.kmeans(3, init="kmeans||")
    with pytest.raises(ValueError, match="init must have k=3 rows"):
        km.kmeans(3, init=blobs[:4])
    with pytest.raises(ValueError, match="n_init must be 1"):
        km.kmeans(3, init=blobs[:3], n_init=2)
    with pytest.raises(ValueError, match="tol"):
        km.kmeans(3, tol=-1.0)
    with pytest.raises(ValueError, match="k must be <= n_samples"):
        km.kmeans_plusplus(key, blobs[:2], 3)
    with pytest.raises(ValueError, match="k must be <= n_samples"):
        km.minibatch_kmeans(4).fit(key, blobs[:3])
    p = km.kmeans(3).fit(key, blobs)
    with pytest.raises(ValueError, match="features"):
        km.kmeans(3).predict(p, blobs[:, :2])
