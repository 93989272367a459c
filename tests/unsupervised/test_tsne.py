"""t-SNE against scikit-learn (P, exact KL, trustworthiness), autodiff, brute force and openTSNE."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.distance import squareform
from sklearn.datasets import load_digits
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities, _joint_probabilities_nn
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import NearestNeighbors

from jaxml.unsupervised import manifold


def _digits(n=None):
    X, _ = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    return X if n is None else X[:n]


def _sk_P(X, perplexity=30.0):
    return squareform(_joint_probabilities(pairwise_distances(X, squared=True), perplexity, 0))


def _kl_numpy(P, Y):
    """KL(P||Q) with the Student-t (1 dof) Q, brute force in float64."""
    Y = np.asarray(Y, np.float64)
    W = 1.0 / (1.0 + ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(W, 0.0)
    Q = W / W.sum()
    mask = P > 0
    return float(np.sum(P[mask] * np.log(P[mask] / np.maximum(Q[mask], 1e-300))))


@pytest.fixture(scope="module")
def small_runs():
    X = _digits(300)
    ours = manifold.tsne(max_iter=500).fit(jax.random.key(0), X)
    sk = TSNE(method="exact", init="pca", perplexity=30.0, max_iter=500, random_state=0).fit(X)
    return X, ours, sk


def test_joint_probabilities_match_sklearn():
    X = _digits(300)
    P_sk = _sk_P(X)
    P = np.asarray(manifold.joint_probabilities(X, 30.0))
    np.testing.assert_allclose(P, P_sk, rtol=1e-3, atol=1e-9)
    assert abs(P.sum() - 1.0) < 1e-5 and np.all(np.diag(P) == 0)


def test_sparse_joint_probabilities_match_sklearn_nn():
    X = _digits(300)
    knn = NearestNeighbors(n_neighbors=90).fit(X).kneighbors_graph(mode="distance")
    knn.data **= 2
    P_sk = _joint_probabilities_nn(knn, 30.0, 0).toarray()
    S = manifold.joint_probabilities_nn(X, 30.0)
    P = np.zeros((300, 300))
    np.add.at(P, (np.asarray(S.rows), np.asarray(S.cols)), np.asarray(S.values))
    # digits are integer-valued, so the 90th-neighbour distance is sometimes tied and the
    # two kNN searches keep different tied points: allow a handful of tiny entries to differ
    bad = ~np.isclose(P, P_sk, rtol=1e-3, atol=1e-8)
    assert bad.mean() < 1e-3 and np.abs(P - P_sk).sum() < 1e-3, (bad.sum(), np.abs(P - P_sk).sum())
    # `merged` is the summed value of every edge's pair
    np.testing.assert_allclose(np.asarray(S.merged), P[np.asarray(S.rows), np.asarray(S.cols)],
                               rtol=1e-5)


def test_perplexity_calibrated():
    X = _digits(200)
    D = pairwise_distances(X, squared=True).astype(np.float32)
    np.fill_diagonal(D, np.inf)
    cond = np.asarray(manifold.binary_search_perplexity(D, 20.0), np.float64)
    H = -np.sum(np.where(cond > 0, cond * np.log(np.maximum(cond, 1e-300)), 0.0), axis=1)
    np.testing.assert_allclose(np.exp(H), 20.0, rtol=1e-3)
    np.testing.assert_allclose(cond.sum(1), 1.0, rtol=1e-5)


def test_gradient_matches_autodiff():
    P = manifold.joint_probabilities(_digits(60), 10.0)
    for c in (2, 3):
        Y = jax.random.normal(jax.random.key(c), (60, c))
        auto = jax.jit(jax.grad(lambda y: manifold.kl_divergence(P, y)))(Y)
        np.testing.assert_allclose(jax.jit(manifold.kl_gradient)(P, Y), auto, rtol=1e-4,
                                   atol=1e-7)


def test_kl_divergence_matches_brute_force():
    X = _digits(100)
    P = _sk_P(X)
    Y = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    assert abs(float(manifold.kl_divergence(P, Y)) - _kl_numpy(P, Y)) < 1e-4


def test_exact_matches_sklearn_small(small_runs):
    X, ours, sk = small_runs
    P = _sk_P(X)
    kl_ours, kl_sk = _kl_numpy(P, ours.embedding), _kl_numpy(P, sk.embedding_)
    assert abs(kl_ours - kl_sk) / kl_sk < 0.05, (kl_ours, kl_sk)
    assert abs(float(ours.kl_divergence) - kl_ours) < 1e-3
    t_ours = trustworthiness(X, np.asarray(ours.embedding), n_neighbors=10)
    t_sk = trustworthiness(X, sk.embedding_, n_neighbors=10)
    assert abs(t_ours - t_sk) < 0.01, (t_ours, t_sk)


def test_kl_history_finite_and_decreasing(small_runs):
    _, ours, _ = small_runs
    h = np.asarray(ours.kl_history)
    assert h.shape == (500,) and np.all(np.isfinite(h))
    assert np.all(np.isfinite(np.asarray(ours.embedding)))
    late = h[260::20]
    assert np.all(np.diff(late) <= 1e-3), late  # the plain stage descends
    assert h[-1] < h[250] and ours.embedding.shape == (300, 2)


def test_interpolated_objective_matches_brute_force(small_runs):
    """Grid repulsion + near-field correction against the dense gradient on the same P."""
    X, ours, _ = small_runs
    S = manifold.joint_probabilities_nn(X, 30.0)
    n = X.shape[0]
    P = jnp.zeros((n, n)).at[S.rows, S.cols].add(S.values)
    for Y in (ours.embedding, 0.3 * ours.embedding):
        kl, g = manifold._interp_kl_and_grad(S, Y, 1.0, 128, 1.0)
        exact_g = manifold.kl_gradient(P, Y)
        rep = manifold._interp_kl_and_grad(S._replace(values=0 * S.values), Y, 1.0, 128, 1.0)[1]
        exact_rep = manifold.kl_gradient(jnp.zeros_like(P), Y)
        assert float(jnp.linalg.norm(rep - exact_rep) / jnp.linalg.norm(exact_rep)) < 0.02
        assert float(jnp.linalg.norm(g - exact_g) / jnp.linalg.norm(exact_g)) < 0.1
        kl_exact = _kl_numpy(np.asarray(P, np.float64), Y)
        assert abs(float(kl) - kl_exact) / kl_exact < 0.005
        assert abs(float(manifold.sparse_kl_exact_z(S, Y)) - kl_exact) / kl_exact < 1e-3


def test_interp_fit_close_to_sklearn_exact(small_runs):
    X, _, sk = small_runs
    res = manifold.tsne(method="interp", max_iter=500, n_grid=128).fit(jax.random.key(0), X)
    S = manifold.joint_probabilities_nn(X, 30.0)
    kl_i = float(manifold.sparse_kl_exact_z(S, res.embedding))
    kl_sk = float(manifold.sparse_kl_exact_z(S, jnp.asarray(sk.embedding_, jnp.float32)))
    # one-sided: no worse than 5% above scikit-learn's exact run. Both KLs are scored on the
    # same P by one function, so a lower value is a genuinely better optimum (on the CI
    # machine's CPU ours reached 0.319 against 0.345 and a two-sided bound failed)
    assert np.isfinite(kl_i) and (kl_i - kl_sk) / kl_sk < 0.05, (kl_i, kl_sk)
    t_i = trustworthiness(X, np.asarray(res.embedding), n_neighbors=10)
    t_sk = trustworthiness(X, sk.embedding_, n_neighbors=10)
    assert abs(t_i - t_sk) < 0.01, (t_i, t_sk)


@pytest.mark.slow
def test_random_init_deterministic_and_sweep_is_one_vmap():
    X = _digits(60)
    key = jax.random.key(3)
    est = manifold.tsne(perplexity=10.0, max_iter=300, init="random")
    a, b = est.fit(key, X), est.fit(key, X)
    np.testing.assert_array_equal(a.embedding, b.embedding)
    c = est.fit(jax.random.key(4), X)
    assert not np.allclose(a.embedding, c.embedding)
    sweep = jax.jit(jax.vmap(lambda p: manifold.tsne(perplexity=p, max_iter=300, init="random")
                             .fit(key, X).kl_history))(jnp.array([5.0, 10.0]))
    # t-SNE is chaotic: vmap's reordered float sums agree with the single run at first
    # (~1e-6) and then drift apart, so compare the first iterations of the slice
    assert sweep.shape == (2, 300) and bool(jnp.all(jnp.isfinite(sweep)))
    np.testing.assert_allclose(sweep[1, :10], a.kl_history[:10], rtol=1e-4)
    assert not np.allclose(sweep[0, :10], sweep[1, :10], rtol=1e-2)


def test_pca_init_matches_sklearn_scaling():
    X = _digits(100)
    Y0 = manifold._initial_embedding(None, jnp.asarray(X), 2, "pca")
    assert abs(float(jnp.std(Y0[:, 0])) - 1e-4) < 1e-8
    from sklearn.decomposition import PCA
    Z = PCA(2).fit_transform(X)
    np.testing.assert_allclose(np.abs(np.asarray(Y0) / 1e-4),
                               np.abs(Z / Z[:, 0].std()), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("kwargs, match", [
    ({"init": "spectral"}, "init"),
    ({"method": "barnes_hut"}, "method"),
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"perplexity": 0.0}, "perplexity"),
    ({"perplexity": float("nan")}, "perplexity"),
    ({"max_iter": 100}, "n_iter_exaggeration"),
    ({"method": "interp", "n_components": 3}, "n_components"),
])
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        manifold.tsne(**kwargs)


def test_bad_input():
    key = jax.random.key(0)
    X = _digits(20)
    with pytest.raises(ValueError, match="perplexity"):
        manifold.tsne(perplexity=20.0, max_iter=300).fit(key, X)
    with pytest.raises(ValueError, match="perplexity"):
        manifold.joint_probabilities(X, 25.0)
    Xn = X.copy()
    Xn[3, 4] = np.nan
    with pytest.raises(ValueError, match="X"):
        manifold.tsne(perplexity=5.0, max_iter=300).fit(key, Xn)
    with pytest.raises(ValueError, match="X"):
        manifold.tsne(perplexity=1.0, max_iter=300).fit(key, X[:2])
    with pytest.raises(ValueError, match="n_neighbors"):
        manifold.joint_probabilities_nn(X, 5.0, n_neighbors=20)
    with pytest.raises(ValueError, match="n_components"):
        manifold.tsne(n_components=5, perplexity=5.0, max_iter=300).fit(key, X[:, :4])


@pytest.mark.slow
def test_exact_matches_sklearn_full_digits():
    """1797 x 64, perplexity 30, PCA init, 1000 iterations (sklearn takes ~3 min)."""
    X = _digits()
    ours = manifold.tsne(max_iter=1000).fit(jax.random.key(0), X)
    sk = TSNE(method="exact", init="pca", perplexity=30.0, max_iter=1000, random_state=0).fit(X)
    P = _sk_P(X)
    kl_ours, kl_sk = _kl_numpy(P, ours.embedding), _kl_numpy(P, sk.embedding_)
    assert abs(kl_ours - kl_sk) / kl_sk < 0.05, (kl_ours, kl_sk)
    t_ours = trustworthiness(X, np.asarray(ours.embedding), n_neighbors=10)
    t_sk = trustworthiness(X, sk.embedding_, n_neighbors=10)
    assert abs(t_ours - t_sk) < 0.01, (t_ours, t_sk)


@pytest.mark.slow
def test_interp_matches_opentsne_10k():
    """MNIST-1D, 10 000 points: KL (sparse P, exact Z) within 5% of openTSNE's FFT t-SNE."""
    openTSNE = pytest.importorskip("openTSNE")
    from jaxml.data.mnist1d import load_mnist1d

    X = load_mnist1d(num_samples=12500).x_train.astype(np.float32)
    assert X.shape[0] >= 10_000
    ours = manifold.tsne(method="interp", max_iter=750).fit(jax.random.key(0), X)
    theirs = np.asarray(openTSNE.TSNE(n_jobs=2, random_state=0).fit(X), np.float32)
    S = manifold.joint_probabilities_nn(X, 30.0)
    kl_ours = float(manifold.sparse_kl_exact_z(S, ours.embedding))
    kl_theirs = float(manifold.sparse_kl_exact_z(S, theirs))
    assert np.isfinite(kl_ours) and abs(kl_ours - kl_theirs) / kl_theirs < 0.05, (kl_ours, kl_theirs)
