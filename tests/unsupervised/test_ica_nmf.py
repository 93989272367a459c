"""FastICA and NMF vs scikit-learn, closed forms and a known mixture."""

import warnings

import chex
import jax
import numpy as np
import pytest
from sklearn import decomposition as skd
from sklearn.decomposition._nmf import _initialize_nmf

from jaxml.unsupervised import ica_nmf


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


MIXING = np.array([[1.0, 1.0, 1.0], [0.5, 2.0, 1.0], [1.5, 1.0, 2.0]])


def _mixture(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 8, n)
    S = np.c_[np.sin(2 * t), np.sign(np.sin(3 * t)), rng.laplace(size=n)]
    return S, S @ MIXING.T


def _match_up_to_permutation_and_sign(A, B):
    """min over sources of the best |correlation| with a peer source, and that the best
    matches form a permutation."""
    C = np.abs(np.corrcoef(np.asarray(A).T, np.asarray(B).T)[: A.shape[1], A.shape[1]:])
    best = np.argmax(C, axis=1)
    assert sorted(best) == list(range(A.shape[1]))
    return C[np.arange(A.shape[1]), best].min()


@pytest.mark.parametrize("algorithm", ["parallel", "deflation"])
@pytest.mark.parametrize("fun", ["logcosh", "exp", "cube"])
def test_fast_ica_matches_sklearn_sources_with_same_w_init(algorithm, fun):
    _, X = _mixture()
    w_init = np.random.default_rng(1).normal(size=(3, 3))
    est = ica_nmf.fast_ica(3, algorithm=algorithm, fun=fun)
    p = est.fit(jax.random.key(0), X, w_init=w_init)
    sk = skd.FastICA(3, algorithm=algorithm, fun=fun, w_init=w_init, whiten="unit-variance")
    S_sk = sk.fit_transform(X)
    S = est.transform(p, X)
    assert _match_up_to_permutation_and_sign(S, S_sk) > 1 - 1e-9
    np.testing.assert_allclose(p.components, sk.components_, atol=1e-8)
    assert int(p.n_iter) == sk.n_iter_


@pytest.mark.parametrize("algorithm", ["parallel", "deflation"])
def test_fast_ica_recovers_known_mixture(algorithm):
    S_true, X = _mixture()
    est = ica_nmf.fast_ica(3, algorithm=algorithm)
    p = est.fit(jax.random.key(2), X)
    assert float(ica_nmf.amari_index(p.components, MIXING)) < 0.06
    assert _match_up_to_permutation_and_sign(est.transform(p, X), S_true) > 0.99
    np.testing.assert_allclose(np.std(np.asarray(est.transform(p, X)), axis=0), 1.0, rtol=1e-8)
    np.testing.assert_allclose(est.inverse_transform(p, est.transform(p, X)), X, atol=1e-8)
    chex.assert_trees_all_equal(est.fit(jax.random.key(2), X), p)


def test_amari_index_closed_form():
    P = np.array([[0.0, 2.0], [-3.0, 0.0]])
    assert float(ica_nmf.amari_index(P, np.eye(2))) == 0.0
    # P = [[1, 1], [0, 1]]: rows (1 + 0) / 2; cols (0 + 1) / 2 -> (1 + 1) / (2*2*1) = 0.5
    np.testing.assert_allclose(ica_nmf.amari_index(np.array([[1.0, 1.0], [0.0, 1.0]]), np.eye(2)),
                               0.5)


def _nonneg(n=40, d=12, seed=0):
    rng = np.random.default_rng(seed)
    return np.abs(rng.normal(size=(n, 4))) @ np.abs(rng.normal(size=(4, d))) + 0.1 * np.abs(
        rng.normal(size=(n, d)))


@pytest.mark.parametrize("init", ["nndsvd", "nndsvda"])
def test_nndsvd_init_matches_sklearn(init):
    X = _nonneg()
    W, H = ica_nmf.nmf_init(jax.random.key(0), X, 4, init)
    W_sk, H_sk = _initialize_nmf(X, 4, init=init)
    np.testing.assert_allclose(W, W_sk, atol=1e-9)
    np.testing.assert_allclose(H, H_sk, atol=1e-9)


def test_random_init_is_nonnegative_scaled_and_deterministic():
    X = _nonneg(n=400, d=50)
    W, H = ica_nmf.nmf_init(jax.random.key(0), X, 4, "random")
    chex.assert_shape((W, H), ((400, 4), (4, 50)))
    assert np.all(np.asarray(W) >= 0) and np.all(np.asarray(H) >= 0)
    # E|N(0,1)| = sqrt(2/pi); both factors scale by sqrt(mean(X)/k)
    expected = np.sqrt(X.mean() / 4) * np.sqrt(2 / np.pi)
    np.testing.assert_allclose(np.mean(np.asarray(W)), expected, rtol=0.05)
    chex.assert_trees_all_equal(ica_nmf.nmf_init(jax.random.key(0), X, 4, "random"), (W, H))


@pytest.mark.parametrize("solver,beta_loss", [("mu", "frobenius"), ("mu", "kullback-leibler"),
                                              ("cd", "frobenius")])
def test_nmf_matches_sklearn_from_same_custom_init(solver, beta_loss):
    X = _nonneg()
    W0, H0 = _initialize_nmf(X, 4, init="nndsvda")
    est = ica_nmf.nmf(4, init="custom", solver=solver, beta_loss=beta_loss, max_iter=300)
    p = est.fit(None, X, W=W0, H=H0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = skd.NMF(4, init="custom", solver=solver, beta_loss=beta_loss, max_iter=300)
        sk.fit(X, W=W0.copy(), H=H0.copy())
    rel = abs(float(p.reconstruction_err) - sk.reconstruction_err_) / sk.reconstruction_err_
    assert rel < 0.01
    np.testing.assert_allclose(p.components, sk.components_, atol=1e-6)
    assert int(p.n_iter) == sk.n_iter_
    W = est.transform(p, X)
    assert np.all(np.asarray(W) >= 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(W, sk.transform(X), atol=1e-2)
    np.testing.assert_allclose(
        float(np.sqrt(2 * ica_nmf.beta_divergence(X, W, p.components, beta_loss))),
        float(p.reconstruction_err), rtol=0.05)


def test_nmf_default_init_and_decreasing_loss():
    X = _nonneg()
    errs = [float(ica_nmf.nmf(4, solver="mu", tol=0.0, max_iter=m).fit(jax.random.key(0), X)
                  .reconstruction_err) for m in (1, 10, 100)]
    assert errs[0] >= errs[1] >= errs[2]
    est = ica_nmf.nmf(4)
    p = est.fit(jax.random.key(0), X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = skd.NMF(4, init="nndsvda", solver="cd").fit(X)
    assert abs(float(p.reconstruction_err) / sk.reconstruction_err_ - 1) < 0.01
    chex.assert_trees_all_close(jax.jit(est.fit)(jax.random.key(0), X), p, atol=1e-10)


def test_beta_divergence_closed_form():
    X = np.array([[1.0, 0.0], [2.0, 3.0]])
    W, H = np.eye(2), np.array([[2.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(ica_nmf.beta_divergence(X, W, H), 0.5 * (1 + 1 + 1 + 4))
    kl = 1 * np.log(1 / 2) + 2 * np.log(2) + 3 * np.log(3) - 6 + 5
    np.testing.assert_allclose(ica_nmf.beta_divergence(X, W, H, "kullback-leibler"), kl)


def test_bad_input_raises_naming_the_argument():
    X = _nonneg(n=10, d=5)
    with pytest.raises(ValueError, match="non-negative"):
        ica_nmf.nmf(2).fit(None, X - 1.0)
    with pytest.raises(ValueError, match="n_components"):
        ica_nmf.nmf(6).fit(None, X)
    with pytest.raises(ValueError, match="solver"):
        ica_nmf.nmf(2, solver="als")
    with pytest.raises(ValueError, match="solver='cd'"):
        ica_nmf.nmf(2, solver="cd", beta_loss="kullback-leibler")
    with pytest.raises(ValueError, match="init='custom'"):
        ica_nmf.nmf(2, init="custom").fit(None, X)
    with pytest.raises(ValueError, match="init"):
        ica_nmf.nmf(2, init="svd")
    bad = X.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        ica_nmf.nmf(2).fit(None, bad)
    with pytest.raises(ValueError, match="X must be finite"):
        ica_nmf.fast_ica(2).fit(jax.random.key(0), bad)
    with pytest.raises(ValueError, match="fun"):
        ica_nmf.fast_ica(2, fun="tanh")
    with pytest.raises(ValueError, match="algorithm"):
        ica_nmf.fast_ica(2, algorithm="symmetric")
    with pytest.raises(ValueError, match="n_components"):
        ica_nmf.fast_ica(6).fit(jax.random.key(0), X)
    with pytest.raises(ValueError, match="w_init"):
        ica_nmf.fast_ica(2).fit(jax.random.key(0), X, w_init=np.eye(3))
