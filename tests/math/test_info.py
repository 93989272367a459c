"""jaxml.math.info vs scipy.stats.entropy, scikit-learn, numerical integration and closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats as ss
from scipy.spatial.distance import jensenshannon
from sklearn.metrics import mutual_info_score

from jaxml.math import info as I

RNG = np.random.default_rng(5)
P3 = np.array([0.1, 0.2, 0.7])
Q3 = np.array([0.3, 0.3, 0.4])
JOINT = RNG.random((3, 4))
JOINT /= JOINT.sum()


def test_entropy_family_matches_scipy():
    RNG = np.random.default_rng(301)  # per-test stream: order-independent
    np.testing.assert_allclose(I.entropy(P3), ss.entropy(P3), rtol=1e-6)
    np.testing.assert_allclose(I.entropy(P3, base=2), ss.entropy(P3, base=2), rtol=1e-6)
    np.testing.assert_allclose(I.entropy(np.array([2.0, 0.0, 2.0])), np.log(2), rtol=1e-6)  # 0 log 0
    batch = RNG.random((5, 4))
    np.testing.assert_allclose(I.entropy(batch), ss.entropy(batch, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(I.entropy(batch, axis=0), ss.entropy(batch, axis=0), rtol=1e-5)
    np.testing.assert_allclose(I.kl_divergence(P3, Q3), ss.entropy(P3, Q3), rtol=1e-5)
    np.testing.assert_allclose(I.cross_entropy(P3, Q3), ss.entropy(P3) + ss.entropy(P3, Q3),
                               rtol=1e-5)
    np.testing.assert_allclose(I.js_divergence(P3, Q3, base=2), jensenshannon(P3, Q3, base=2) ** 2,
                               rtol=1e-5)
    assert float(I.js_divergence(P3, np.array([0.0, 0.0, 1.0]))) <= np.log(2)
    assert np.isinf(float(I.kl_divergence(P3, np.array([0.5, 0.5, 0.0]))))
    assert float(I.kl_divergence(P3, P3)) == pytest.approx(0.0, abs=1e-7)
    np.testing.assert_allclose(jax.jit(I.kl_divergence)(P3, Q3), I.kl_divergence(P3, Q3), rtol=1e-6)
    assert I.entropy(batch).shape == (5,) and I.entropy(P3).dtype == jnp.float32


def test_joint_conditional_and_mutual_information():
    RNG = np.random.default_rng(302)  # per-test stream: order-independent
    px, py = JOINT.sum(1), JOINT.sum(0)
    H = lambda p: -np.sum(p * np.log(p))  # noqa: E731
    np.testing.assert_allclose(I.joint_entropy(JOINT), H(JOINT.ravel()), rtol=1e-5)
    np.testing.assert_allclose(I.conditional_entropy(JOINT, given=0), H(JOINT.ravel()) - H(px),
                               rtol=1e-5)
    # H(Y|X) = Σ_x p(x) H(Y | X=x), by enumeration
    brute = sum(px[i] * H(JOINT[i] / px[i]) for i in range(3))
    np.testing.assert_allclose(I.conditional_entropy(JOINT, given=0), brute, rtol=1e-5)
    np.testing.assert_allclose(I.conditional_entropy(JOINT, given=1), H(JOINT.ravel()) - H(py),
                               rtol=1e-5)
    counts = RNG.integers(1, 20, size=(3, 4)).astype(np.float64)
    np.testing.assert_allclose(I.mutual_information(counts / counts.sum()),
                               mutual_info_score(None, None, contingency=counts), rtol=1e-5)
    np.testing.assert_allclose(I.mutual_information(JOINT),
                               H(px) + H(py) - H(JOINT.ravel()), rtol=1e-4, atol=1e-7)
    assert float(I.mutual_information(np.outer(px, py))) == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(jax.jit(I.mutual_information)(JOINT), I.mutual_information(JOINT),
                               rtol=1e-6)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="p must be non-negative"):
        I.entropy(np.array([0.5, -0.1, 0.6]))
    with pytest.raises(ValueError, match="p and q must have the same shape"):
        I.kl_divergence(P3, Q3[:2])
    with pytest.raises(ValueError, match="pxy must sum to 1"):
        I.mutual_information(JOINT * 3)
    with pytest.raises(ValueError, match="pxy must have rank 2"):
        I.joint_entropy(P3)
    with pytest.raises(ValueError, match="base must be"):
        I.entropy(P3, base=1)
    with pytest.raises(ValueError, match="cov must be positive definite"):
        I.gaussian_entropy(-np.eye(2))
    with pytest.raises(ValueError, match="dims_x must be a non-empty proper subset"):
        I.gaussian_mutual_information(np.eye(2), [0, 1])
    with pytest.raises(ValueError, match="W must have rows that sum to 1"):
        I.blahut_arimoto(np.array([[0.5, 0.6], [0.5, 0.5]]))


def test_gaussian_closed_forms():
    cov = np.array([[2.0, 0.6, 0.1], [0.6, 1.0, 0.3], [0.1, 0.3, 0.5]])
    np.testing.assert_allclose(I.gaussian_entropy(cov), ss.multivariate_normal(np.zeros(3), cov).entropy(),
                               rtol=1e-5)
    rho = 0.6 / np.sqrt(2.0)
    np.testing.assert_allclose(I.gaussian_mutual_information(cov[:2, :2], [0]),
                               -0.5 * np.log(1 - rho**2), rtol=1e-5)
    # block MI = h(X) + h(Y) - h(X, Y)
    hx = ss.multivariate_normal(np.zeros(1), cov[:1, :1]).entropy()
    hy = ss.multivariate_normal(np.zeros(2), cov[1:, 1:]).entropy()
    np.testing.assert_allclose(I.gaussian_mutual_information(cov, [0]),
                               hx + hy - ss.multivariate_normal(np.zeros(3), cov).entropy(), rtol=1e-4)
    # 1-D KL by numerical integration
    m0, s0, m1, s1 = 0.3, 0.8, -0.5, 1.7
    ref, _ = scipy.integrate.quad(
        lambda x: ss.norm.pdf(x, m0, s0) * (ss.norm.logpdf(x, m0, s0) - ss.norm.logpdf(x, m1, s1)),
        -20, 20)
    np.testing.assert_allclose(I.gaussian_kl(np.array([m0]), np.array([[s0**2]]), np.array([m1]),
                                             np.array([[s1**2]])), ref, rtol=1e-5)
    # 2-D KL by Monte Carlo with scipy densities
    mu0, mu1 = np.array([0.0, 1.0]), np.array([0.5, -0.5])
    c0, c1 = cov[:2, :2], cov[1:, 1:]
    x = ss.multivariate_normal(mu0, c0).rvs(200_000, random_state=0)
    mc = np.mean(ss.multivariate_normal(mu0, c0).logpdf(x) - ss.multivariate_normal(mu1, c1).logpdf(x))
    kl = float(I.gaussian_kl(mu0, c0, mu1, c1))
    assert kl == pytest.approx(mc, rel=0.02)
    assert float(jax.jit(I.gaussian_kl)(mu0, c0, mu1, c1)) == pytest.approx(kl, rel=1e-5)
    assert float(I.gaussian_kl(mu0, c0, mu0, c0)) == pytest.approx(0.0, abs=1e-5)


@pytest.mark.parametrize("eps", [0.0, 0.11, 0.3, 0.5])
def test_blahut_arimoto_binary_symmetric_and_erasure_channels(eps):
    bsc = np.array([[1 - eps, eps], [eps, 1 - eps]])
    cap, p = I.blahut_arimoto(bsc)
    assert float(cap) == pytest.approx(1 - ss.entropy([eps, 1 - eps], base=2), abs=1e-5)
    np.testing.assert_allclose(p, [0.5, 0.5], atol=1e-4)
    bec = np.array([[1 - eps, eps, 0.0], [0.0, eps, 1 - eps]])
    cap, _ = I.blahut_arimoto(bec)
    assert float(cap) == pytest.approx(1 - eps, abs=1e-5)


def test_blahut_arimoto_asymmetric_channel_and_jit():
    # Z-channel: 0 → 0 always, 1 → 0 with prob s; C = log2(1 + (1-s) s^{s/(1-s)})
    s = 0.5
    Z = np.array([[1.0, 0.0], [s, 1 - s]])
    cap, p = I.blahut_arimoto(Z)
    assert float(cap) == pytest.approx(np.log2(1 + (1 - s) * s ** (s / (1 - s))), abs=1e-5)
    # the capacity is the mutual information at the returned input distribution
    joint = np.asarray(p)[:, None] * Z
    assert float(cap) == pytest.approx(float(I.mutual_information(joint, base=2)), abs=1e-5)
    # and no other input distribution does better
    for q in np.linspace(0.05, 0.95, 19):
        assert float(I.mutual_information(np.array([q, 1 - q])[:, None] * Z, base=2)) <= float(cap) + 1e-6
    cj, _ = jax.jit(I.blahut_arimoto)(Z)
    assert float(cj) == pytest.approx(float(cap), abs=1e-6)
    nats, _ = I.blahut_arimoto(Z, base=None)
    assert float(nats) == pytest.approx(float(cap) * np.log(2), rel=1e-5)


# ----------------------------------------------------------------------------- common jit suite

JIT_CASES = {
    "entropy": (I.entropy, (P3,)),
    "joint_entropy": (I.joint_entropy, (JOINT,)),
    "conditional_entropy": (I.conditional_entropy, (JOINT,)),
    "cross_entropy": (I.cross_entropy, (P3, Q3)),
    "js_divergence": (I.js_divergence, (P3, Q3)),
    "gaussian_entropy": (I.gaussian_entropy, (np.eye(2) * 2.0,)),
    "gaussian_mutual_information": (lambda c: I.gaussian_mutual_information(c, [0]),
                                    (np.array([[1.0, 0.5], [0.5, 1.0]]),)),
}


@pytest.mark.parametrize("name", list(JIT_CASES))
def test_jit_matches_eager(name):
    fn, args = JIT_CASES[name]
    np.testing.assert_allclose(jax.jit(fn)(*args), fn(*args), rtol=1e-6)
