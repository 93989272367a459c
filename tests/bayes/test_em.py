"""General EM loop on a 1-D Gaussian mixture, against scikit-learn's GaussianMixture."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from jaxml.bayes import em


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(-2.0, 0.5, 150), rng.normal(1.5, 1.0, 250)]
                          ).astype(np.float32)


def test_matches_sklearn_from_same_init(x):
    init = em.GMM1D(weights=jnp.array([0.5, 0.5]), means=jnp.array([-1.0, 1.0]),
                    variances=jnp.array([1.0, 1.0]))
    result = em.fit_gmm1d(0, x, 2, init=init, max_iter=500, tol=1e-7, min_variance=1e-6)
    ref = GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[-1.0], [1.0]],
                          precisions_init=[[[1.0]], [[1.0]]], tol=1e-8, max_iter=500,
                          reg_covar=1e-6).fit(x[:, None].astype(float))
    np.testing.assert_allclose(result.params.means, ref.means_[:, 0], atol=2e-3)
    np.testing.assert_allclose(result.params.variances, ref.covariances_[:, 0, 0], atol=2e-3)
    np.testing.assert_allclose(result.params.weights, ref.weights_, atol=2e-3)
    n = int(result.n_iter)
    np.testing.assert_allclose(result.log_likelihood[n - 1] / x.shape[0],
                               ref.score(x[:, None].astype(float)), atol=1e-4)
    assert bool(result.converged)


def test_log_likelihood_never_decreases_and_history(x):
    with jax.enable_x64(True):
        result = em.fit_gmm1d(3, x, 3, max_iter=40, tol=-1.0)  # tol<0: run all iterations
        ll = np.asarray(result.log_likelihood)
    assert int(result.n_iter) == 40 and ll.shape == (40,)
    assert np.all(np.diff(ll) >= -1e-8)


def test_stops_at_tolerance(x):
    result = em.fit_gmm1d(1, x, 2, max_iter=200, tol=1.0)
    n = int(result.n_iter)
    assert 1 < n < 200
    assert np.all(np.isnan(np.asarray(result.log_likelihood[n:])))


def test_em_is_jittable_and_deterministic(x):
    init = em.GMM1D(jnp.array([0.3, 0.7]), jnp.array([-1.0, 2.0]), jnp.array([1.0, 1.0]))

    def run(p, data):
        return em.em(em.gmm1d_e_step, em.gmm1d_m_step, p, data, max_iter=20, tol=1e-6)

    eager = run(init, jnp.asarray(x))
    jitted = jax.jit(run)(init, jnp.asarray(x))
    np.testing.assert_allclose(eager.params.means, jitted.params.means, rtol=1e-5)
    a = em.fit_gmm1d(5, x, 2)
    b = em.fit_gmm1d(5, x, 2)
    np.testing.assert_array_equal(a.params.means, b.params.means)


def test_bad_input(x):
    with pytest.raises(ValueError, match="n_components"):
        em.fit_gmm1d(0, x[:3], 5)
    with pytest.raises(ValueError, match="x"):
        em.fit_gmm1d(0, x[:, None], 2)
    with pytest.raises(ValueError, match="max_iter"):
        em.em(em.gmm1d_e_step, em.gmm1d_m_step, None, x, max_iter=0)
