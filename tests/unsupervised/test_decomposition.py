"""PCA (full, randomized, incremental), truncated SVD and factor analysis vs scikit-learn."""

import warnings

import chex
import jax
import numpy as np
import pytest
import scipy.stats
from sklearn import decomposition as skd

from jaxml.unsupervised import decomposition as dec


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _data(n=80, d=6, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.2])[:d]
    return rng.normal(size=(n, d)) * scales @ np.linalg.qr(rng.normal(size=(d, d)))[0] + 3.0


def _close_up_to_sign(A, B, atol):
    signs = np.sign(np.sum(np.asarray(A) * B, axis=1, keepdims=True))
    np.testing.assert_allclose(np.asarray(A) * signs, B, atol=atol)


@pytest.mark.parametrize("whiten", [False, True])
def test_pca_matches_sklearn_including_sign(whiten):
    X = _data()
    est = dec.pca(3, whiten=whiten)
    p = est.fit(X)
    sk = skd.PCA(3, whiten=whiten, svd_solver="full").fit(X)
    # same sign convention as svd_flip: compared without any sign alignment
    np.testing.assert_allclose(p.components, sk.components_, atol=1e-10)
    np.testing.assert_allclose(p.explained_variance, sk.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(p.explained_variance_ratio, sk.explained_variance_ratio_, rtol=1e-10)
    np.testing.assert_allclose(p.singular_values, sk.singular_values_, rtol=1e-10)
    np.testing.assert_allclose(p.mean, sk.mean_, atol=1e-12)
    np.testing.assert_allclose(p.noise_variance, sk.noise_variance_, rtol=1e-10)
    Z = est.transform(p, X)
    np.testing.assert_allclose(Z, sk.transform(X), atol=1e-9)
    np.testing.assert_allclose(est.inverse_transform(p, Z), sk.inverse_transform(sk.transform(X)),
                               atol=1e-9)
    if whiten:
        np.testing.assert_allclose(np.var(np.asarray(Z), axis=0, ddof=1), 1.0, rtol=1e-10)


def test_pca_full_rank_round_trip_and_jit():
    X = _data()
    est = dec.pca(6)
    p = est.fit(X)
    np.testing.assert_allclose(est.inverse_transform(p, est.transform(p, X)), X, atol=1e-10)
    assert float(p.noise_variance) == 0.0
    chex.assert_trees_all_close(jax.jit(est.fit)(X), p, atol=1e-12)
    chex.assert_shape(est.transform(p, X[:5]), (5, 6))


def test_randomized_pca_matches_sklearn_up_to_sign_and_is_deterministic():
    X = _data(n=120)
    est = dec.randomized_pca(3, n_power_iter=4)
    key = jax.random.key(3)
    p = est.fit(key, X)
    sk = skd.PCA(3, svd_solver="full").fit(X)
    _close_up_to_sign(p.components, sk.components_, 1e-8)
    np.testing.assert_allclose(p.explained_variance, sk.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(p.explained_variance_ratio, sk.explained_variance_ratio_, rtol=1e-9)
    np.testing.assert_allclose(p.noise_variance, sk.noise_variance_, rtol=1e-8)
    chex.assert_trees_all_equal(est.fit(key, X), p)


def test_randomized_svd_recovers_exact_low_rank_matrix():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(60, 4)) @ rng.normal(size=(4, 30))
    U, s, Vt = dec.randomized_svd(jax.random.key(0), A, 4, n_power_iter=0)
    np.testing.assert_allclose(s, np.linalg.svd(A, compute_uv=False)[:4], rtol=1e-10)
    np.testing.assert_allclose((np.asarray(U) * np.asarray(s)) @ np.asarray(Vt), A, atol=1e-9)
    np.testing.assert_allclose(np.asarray(U).T @ np.asarray(U), np.eye(4), atol=1e-10)


def test_svd_flip_keeps_product_and_makes_max_entry_positive():
    rng = np.random.default_rng(2)
    U, s, Vt = np.linalg.svd(rng.normal(size=(7, 4)), full_matrices=False)
    U2, Vt2 = dec.svd_flip(-U, -Vt)
    np.testing.assert_allclose((np.asarray(U2) * s) @ np.asarray(Vt2), (U * s) @ Vt, atol=1e-12)
    rows = np.asarray(Vt2)
    assert np.all(rows[np.arange(4), np.argmax(np.abs(rows), axis=1)] > 0)


@pytest.mark.parametrize("batch_size", [15, 26])  # 26: a 2-row remainder joins the last batch
def test_incremental_pca_matches_sklearn(batch_size):
    X = _data()
    est = dec.incremental_pca(3, batch_size=batch_size)
    p = est.fit(X)
    sk = skd.IncrementalPCA(3, batch_size=batch_size).fit(X)
    np.testing.assert_allclose(p.components, sk.components_, atol=1e-9)
    np.testing.assert_allclose(p.explained_variance, sk.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(p.explained_variance_ratio, sk.explained_variance_ratio_, rtol=1e-9)
    np.testing.assert_allclose(p.singular_values, sk.singular_values_, rtol=1e-9)
    np.testing.assert_allclose(p.mean, sk.mean_, atol=1e-12)
    np.testing.assert_allclose(est.transform(p, X), sk.transform(X), atol=1e-8)


def test_incremental_pca_streaming_equals_fit_and_exact_when_rank_k():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(90, 3)) @ rng.normal(size=(3, 8)) + 1.0  # rank 3: the merge is exact
    state = dec.incremental_pca_init(3, 8)
    step = jax.jit(dec.incremental_pca_update)
    for start in range(0, 90, 30):
        state = step(state, X[start:start + 30])
    streamed = dec.incremental_pca_params(state)
    chex.assert_trees_all_close(streamed, dec.incremental_pca(3, batch_size=30).fit(X), atol=1e-9)
    full = dec.pca(3).fit(X)
    np.testing.assert_allclose(streamed.components, full.components, atol=1e-9)
    np.testing.assert_allclose(streamed.explained_variance, full.explained_variance, rtol=1e-9)


@pytest.mark.parametrize("algorithm", ["randomized", "full"])
def test_truncated_svd_matches_sklearn(algorithm):
    rng = np.random.default_rng(5)
    X = np.abs(rng.normal(size=(50, 9))) * (rng.random((50, 9)) < 0.4)
    est = dec.truncated_svd(3, algorithm=algorithm)
    p = est.fit(jax.random.key(0), X)
    sk = skd.TruncatedSVD(3, algorithm="arpack").fit(X)
    _close_up_to_sign(p.components, sk.components_, 1e-8)
    np.testing.assert_allclose(p.singular_values, sk.singular_values_, rtol=1e-9)
    np.testing.assert_allclose(p.explained_variance, sk.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(p.explained_variance_ratio, sk.explained_variance_ratio_, rtol=1e-8)
    Z = est.transform(p, X)
    _close_up_to_sign(np.asarray(Z).T, sk.transform(X).T, 1e-8)
    np.testing.assert_allclose(est.inverse_transform(p, Z), sk.inverse_transform(sk.transform(X)),
                               atol=1e-8)


def test_factor_analysis_matches_sklearn_loglike_score_and_transform():
    rng = np.random.default_rng(6)
    W = rng.normal(size=(2, 7))
    X = rng.normal(size=(300, 2)) @ W + rng.normal(size=(300, 7)) * rng.uniform(0.3, 1.5, 7)
    est = dec.factor_analysis(2, tol=1e-8, max_iter=3000)
    p = est.fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = skd.FactorAnalysis(2, tol=1e-8, max_iter=3000, svd_method="lapack").fit(X)
    assert abs(float(p.loglike) - sk.loglike_[-1]) <= 1e-4 * abs(sk.loglike_[-1])
    assert int(p.n_iter) == sk.n_iter_
    np.testing.assert_allclose(dec.factor_analysis_score(p, X), sk.score(X), rtol=1e-8)
    np.testing.assert_allclose(p.noise_variance, sk.noise_variance_, rtol=1e-6)
    np.testing.assert_allclose(dec.factor_analysis_covariance(p), sk.get_covariance(), atol=1e-6)
    np.testing.assert_allclose(est.transform(p, X), sk.transform(X), atol=1e-6)


def test_factor_analysis_score_samples_is_gaussian_logpdf_and_ll_rises():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(100, 2)) @ rng.normal(size=(2, 5)) + rng.normal(size=(100, 5))
    p = dec.factor_analysis(2, tol=1e-6).fit(X)
    ref = scipy.stats.multivariate_normal(np.asarray(p.mean),
                                          np.asarray(dec.factor_analysis_covariance(p)))
    np.testing.assert_allclose(dec.factor_analysis_score_samples(p, X), ref.logpdf(X), rtol=1e-10)
    # EM never lowers the likelihood: more iterations give at least as high a value
    lls = [float(dec.factor_analysis(2, tol=1e-12, max_iter=m).fit(X).loglike) for m in (1, 5, 50)]
    assert lls[0] <= lls[1] <= lls[2]
    np.testing.assert_allclose(lls[2], float(dec.factor_analysis_score(p, X)) * 100, rtol=1e-4)


def test_factor_analysis_tol_sweep_is_one_vmap():
    X = _data(n=60)
    fit = jax.vmap(lambda tol: dec.factor_analysis(2, tol=tol).fit(X))
    out = fit(np.array([1e-1, 1e-3, 1e-6]))
    assert np.all(np.diff(np.asarray(out.n_iter)) >= 0)
    np.testing.assert_allclose(out.loglike[2], dec.factor_analysis(2, tol=1e-6).fit(X).loglike,
                               rtol=1e-12)


def test_bad_input_raises_naming_the_argument():
    X = _data(n=10)
    with pytest.raises(ValueError, match="n_components"):
        dec.pca(7).fit(X)
    with pytest.raises(ValueError, match="n_components"):
        dec.randomized_pca(11).fit(jax.random.key(0), X[:, :4].T)
    with pytest.raises(ValueError, match="n_components"):
        dec.factor_analysis(7).fit(X)
    with pytest.raises(ValueError, match="n_components"):
        dec.truncated_svd(7).fit(jax.random.key(0), X)
    bad = X.copy()
    bad[0, 0] = np.nan
    for fit in (dec.pca(2).fit, dec.incremental_pca(2).fit, dec.factor_analysis(2).fit):
        with pytest.raises(ValueError, match="X must be finite"):
            fit(bad)
    with pytest.raises(ValueError, match="algorithm"):
        dec.truncated_svd(2, algorithm="arpack")
    with pytest.raises(ValueError, match="tol"):
        dec.factor_analysis(2, tol=0.0)
    with pytest.raises(ValueError, match="batch_size"):
        dec.incremental_pca(3, batch_size=2).fit(X)
    with pytest.raises(ValueError, match="X must have at least 2 rows"):
        dec.pca(1).fit(X[:1])
    with pytest.raises(ValueError, match="features"):
        est = dec.pca(2)
        est.transform(est.fit(X), X[:, :3])
