"""HMM inference against hmmlearn and brute-force enumeration; Baum–Welch monotonicity."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hmmlearn import hmm as hl

from jaxml.bayes import hmm
from jaxml.bayes.inference import log_density

PI = np.array([0.6, 0.3, 0.1])
A = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]])
B = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
MEANS = np.array([[0.0, 1.0], [2.0, -1.0], [-2.0, 0.0]])
VARS = np.array([[1.0, 0.5], [0.3, 1.0], [1.0, 2.0]])


def _cat_params():
    return hmm.CategoricalHMM(jnp.asarray(PI, jnp.float32), jnp.asarray(A, jnp.float32),
                              jnp.asarray(B, jnp.float32))


def _gauss_params():
    return hmm.GaussianHMM(jnp.asarray(PI, jnp.float32), jnp.asarray(A, jnp.float32),
                           jnp.asarray(MEANS, jnp.float32), jnp.asarray(VARS, jnp.float32))


def test_categorical_matches_hmmlearn():
    params = _cat_params()
    states, obs = hmm.sample(0, params, 120)
    ref = hl.CategoricalHMM(n_components=3)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = PI, A, B
    X = np.asarray(obs)[:, None]
    np.testing.assert_allclose(hmm.log_likelihood(params, obs), ref.score(X), rtol=1e-5)
    post = hmm.forward_backward(params, obs)
    np.testing.assert_allclose(post.smoothed, ref.predict_proba(X), atol=1e-3)
    np.testing.assert_allclose(post.smoothed.sum(1), 1.0, atol=1e-4)
    ref_logp, ref_path = ref.decode(X, algorithm="viterbi")
    path, logp = hmm.viterbi(params, obs)
    np.testing.assert_array_equal(path, ref_path)
    np.testing.assert_allclose(logp, ref_logp, rtol=1e-5)
    assert path.dtype == jnp.int32 and path.shape == (120,)
    assert states.shape == (120,) and obs.dtype == jnp.int32


def test_gaussian_matches_hmmlearn():
    params = _gauss_params()
    _, obs = hmm.sample(1, params, 100)
    ref = hl.GaussianHMM(n_components=3, covariance_type="diag")
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = PI, A, MEANS, VARS
    X = np.asarray(obs, dtype=float)
    np.testing.assert_allclose(hmm.log_likelihood(params, obs), ref.score(X), rtol=1e-5)
    np.testing.assert_allclose(hmm.forward_backward(params, obs).smoothed,
                               ref.predict_proba(X), atol=2e-3)
    np.testing.assert_array_equal(hmm.viterbi(params, obs)[0], ref.predict(X))


def test_brute_force_enumeration():
    """Forward likelihood, smoothed marginals and pairwise counts = sums over all K^T paths."""
    params = _cat_params()
    obs = np.array([0, 2, 2, 1, 0])
    joint = {}
    for path in itertools.product(range(3), repeat=len(obs)):
        p = PI[path[0]] * B[path[0], obs[0]]
        for t in range(1, len(obs)):
            p *= A[path[t - 1], path[t]] * B[path[t], obs[t]]
        joint[path] = p
    evidence = sum(joint.values())
    gamma = np.zeros((len(obs), 3))
    xi = np.zeros((3, 3))
    for path, p in joint.items():
        for t, z in enumerate(path):
            gamma[t, z] += p / evidence
        for t in range(len(obs) - 1):
            xi[path[t], path[t + 1]] += p / evidence
    post = hmm.forward_backward(params, obs)
    np.testing.assert_allclose(post.log_likelihood, np.log(evidence), rtol=1e-5)
    np.testing.assert_allclose(post.smoothed, gamma, atol=1e-5)
    np.testing.assert_allclose(post.expected_transitions, xi, atol=1e-5)
    best = max(joint, key=joint.get)
    np.testing.assert_array_equal(hmm.viterbi(params, obs)[0], best)


def test_jit_matches_eager_and_determinism():
    params = _cat_params()
    _, obs = hmm.sample(2, params, 50)
    _, obs_again = hmm.sample(2, params, 50)
    np.testing.assert_array_equal(obs, obs_again)
    eager = hmm.forward_backward(params, obs)
    jitted = jax.jit(hmm.forward_backward)(params, obs)
    np.testing.assert_allclose(eager.smoothed, jitted.smoothed, atol=1e-6)
    np.testing.assert_array_equal(hmm.viterbi(params, obs)[0],
                                  jax.jit(hmm.viterbi)(params, obs)[0])


def test_baum_welch_monotone_and_matches_hmmlearn():
    with jax.enable_x64(True):
        params = _cat_params()
        obs = np.stack([np.asarray(hmm.sample(k, params, 150)[1]) for k in range(3)])
        init = hmm.CategoricalHMM(
            jnp.ones(3) / 3,
            jnp.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.3, 0.2, 0.5]]),
            jnp.array([[0.4, 0.3, 0.3], [0.3, 0.4, 0.3], [0.3, 0.3, 0.4]]))
        result = hmm.baum_welch(init, obs, max_iter=15, tol=-np.inf)
        ll = np.asarray(result.log_likelihood)
        assert int(result.n_iter) == 15
        assert np.all(np.diff(ll) >= -1e-8)
        ref = hl.CategoricalHMM(n_components=3, n_iter=15, tol=-np.inf, init_params="",
                                params="ste")
        ref.startprob_ = np.ones(3) / 3
        ref.transmat_ = np.asarray(init.transition_matrix)
        ref.emissionprob_ = np.asarray(init.emission_probs)
        ref.fit(obs.reshape(-1, 1), lengths=[150] * 3)
        np.testing.assert_allclose(result.params.transition_matrix, ref.transmat_, atol=1e-6)
        np.testing.assert_allclose(result.params.emission_probs, ref.emissionprob_, atol=1e-6)
        np.testing.assert_allclose(ll[-1], ref.monitor_.history[-1], rtol=1e-8)


def test_gaussian_baum_welch_monotone():
    with jax.enable_x64(True):
        truth = _gauss_params()
        _, obs = hmm.sample(3, truth, 200)
        init = hmm.GaussianHMM(jnp.ones(3) / 3, jnp.full((3, 3), 1 / 3),
                               jnp.asarray(MEANS) + 0.5, jnp.ones((3, 2)))
        result = hmm.baum_welch(init, obs, max_iter=30, tol=1e-6)
        n = int(result.n_iter)
        ll = np.asarray(result.log_likelihood[:n])
        assert np.all(np.diff(ll) >= -1e-8)
        assert np.all(np.isnan(np.asarray(result.log_likelihood[n:])))
        assert result.params.means.shape == (3, 2)


def test_numpyro_model_marginalises_states():
    """The model's log density = Dirichlet priors + brute-force-enumerated likelihood."""
    obs = jnp.array([0, 2, 2, 1, 0, 1])
    params = {"initial_probs": jnp.asarray(PI, jnp.float32),
              "transition_matrix": jnp.asarray(A, jnp.float32),
              "emission_probs": jnp.asarray(B, jnp.float32)}
    value = log_density(hmm.numpyro_model, params, obs, num_states=3, num_categories=3,
                        concentration=2.0)
    evidence = 0.0
    for path in itertools.product(range(3), repeat=len(obs)):
        p = PI[path[0]] * B[path[0], obs[0]]
        for t in range(1, len(obs)):
            p *= A[path[t - 1], path[t]] * B[path[t], obs[t]]
        evidence += p
    from scipy.stats import dirichlet
    prior = dirichlet.logpdf(PI, [2.0] * 3)
    prior += sum(dirichlet.logpdf(row, [2.0] * 3) for row in A)
    prior += sum(dirichlet.logpdf(row, [2.0] * 3) for row in B)
    np.testing.assert_allclose(value, prior + np.log(evidence), rtol=1e-5)


def test_long_sequence_posteriors_match_hmmlearn_in_float32():
    """Per-step normalisation: at T = 3000 in float32 the rows of γ still sum to 1 and the
    expected transition counts to T - 1 (unscaled messages gave 0.974 and 2964)."""
    params = _cat_params()
    _, obs = hmm.sample(4, params, 3000)
    post = hmm.forward_backward(params, obs)
    assert post.smoothed.dtype == jnp.float32
    np.testing.assert_allclose(post.smoothed.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(post.expected_transitions.sum(), 2999.0, rtol=1e-5)
    X = np.asarray(obs)[:, None]
    ref = hl.CategoricalHMM(n_components=3)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = PI, A, B
    np.testing.assert_allclose(post.smoothed, ref.predict_proba(X), atol=1e-4)
    np.testing.assert_allclose(post.log_likelihood, ref.score(X), rtol=1e-6)
    one_em_step = hl.CategoricalHMM(n_components=3, n_iter=1, init_params="", params="t")
    one_em_step.startprob_, one_em_step.transmat_, one_em_step.emissionprob_ = PI, A, B
    one_em_step.fit(X)
    counts = np.asarray(post.expected_transitions)
    np.testing.assert_allclose(counts / counts.sum(1, keepdims=True), one_em_step.transmat_,
                               atol=1e-4)


@pytest.mark.parametrize("field, value, match", [
    ("transition_matrix", [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
     "params.transition_matrix must be a stochastic matrix: entries must sum to 1"),
    ("initial_probs", [1.2, -0.1, -0.1], "params.initial_probs must be a probability vector: "
                                         "found negative"),
    ("initial_probs", [np.nan, 0.5, 0.5], "params.initial_probs must be finite"),
    ("emission_probs", [[0.5, 0.5, 0.5]] * 3, "params.emission_probs must be a stochastic"),
])
def test_parameters_must_be_probabilities(field, value, match):
    bad = _cat_params().replace(**{field: jnp.asarray(value, jnp.float32)})
    _, obs = hmm.sample(0, _cat_params(), 5)
    for entry in (hmm.log_likelihood, hmm.viterbi, hmm.forward_backward):
        with pytest.raises(ValueError, match=match):
            entry(bad, obs)
    with pytest.raises(ValueError, match=match.replace("params.", "init.")):
        hmm.baum_welch(bad, obs)
    with pytest.raises(ValueError, match="params.variances must be > 0"):
        hmm.sample(0, _gauss_params().replace(variances=-jnp.ones((3, 2))), 4)


def test_viterbi_is_max_product_on_the_chain():
    """One Viterbi: the HMM's equals the chain DP of jaxml.math.algorithms on log π + ℓ."""
    from jaxml.math.algorithms import max_product_chain
    params = _gauss_params()
    _, obs = hmm.sample(5, params, 40)
    unary = np.asarray(hmm.emission_log_likelihoods(params, obs)).copy()
    unary[0] += np.log(PI)
    path, score = max_product_chain(unary, np.log(A))
    ours, ours_score = hmm.viterbi(params, obs)
    np.testing.assert_array_equal(ours, path)
    np.testing.assert_allclose(ours_score, score, rtol=1e-6)


def test_bad_input():
    params = _cat_params()
    with pytest.raises(ValueError, match="obs"):
        hmm.log_likelihood(params, np.array([0, 3, 1]))
    with pytest.raises(ValueError, match="obs"):
        hmm.viterbi(_gauss_params(), np.zeros((5, 3)))
    with pytest.raises(TypeError, match="params"):
        hmm.forward_backward({"a": 1}, np.array([0, 1]))
    with pytest.raises(ValueError, match="num_steps"):
        hmm.sample(0, params, 0)
    with pytest.raises(ValueError, match="emission"):
        hmm.numpyro_model(jnp.array([0, 1]), num_states=2, emission="poisson")
