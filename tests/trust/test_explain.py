"""Shapley estimators against exact enumeration, closed forms and the shap library; LIME
against linear models; counterfactuals on a logistic model."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import shap

from jaxml.trust.explain import (counterfactual, exact_shapley, kernel_shap, lime_signal, lime_tabular,
                                 permutation_shapley)

RNG = np.random.default_rng(0)
D = 6
W1, W2 = RNG.normal(size=(D, 5)).astype(np.float32), RNG.normal(size=5).astype(np.float32)
BACKGROUND = RNG.normal(size=(20, D)).astype(np.float32)
X = RNG.normal(size=D).astype(np.float32)


def _net(z):
    return jnp.tanh(jnp.asarray(z) @ W1) @ W2 + 0.3 * jnp.asarray(z)[..., 0] * jnp.asarray(z)[..., 1]


def test_exact_shapley_axioms_and_linear_closed_form():
    phi = np.asarray(exact_shapley(_net, X, BACKGROUND))
    assert phi.sum() == pytest.approx(float(_net(X[None])[0] - _net(BACKGROUND).mean()), abs=1e-5)
    w = RNG.normal(size=D).astype(np.float32)
    linear = lambda z: jnp.asarray(z) @ w + 1.0  # noqa: E731
    np.testing.assert_allclose(np.asarray(exact_shapley(linear, X, BACKGROUND)), w * (X - BACKGROUND.mean(0)),
                               atol=1e-5)
    symmetric = lambda z: jnp.asarray(z)[..., 0] * jnp.asarray(z)[..., 1]  # noqa: E731
    x, bg = np.array([1.0, 1.0, 3.0, 0, 0, 0], np.float32), np.zeros((3, D), np.float32)
    phi_s = np.asarray(exact_shapley(symmetric, x, bg))
    assert phi_s[0] == pytest.approx(phi_s[1]) and np.allclose(phi_s[2:], 0.0)  # symmetry, dummy
    both = lambda z: _net(z) + 2 * linear(z)  # noqa: E731
    np.testing.assert_allclose(np.asarray(exact_shapley(both, X, BACKGROUND)),
                               phi + 2 * np.asarray(exact_shapley(linear, X, BACKGROUND)), atol=1e-4)  # linearity


def test_exact_shapley_equals_shap_exact_and_linear_explainers():
    masker = shap.maskers.Independent(BACKGROUND, max_samples=len(BACKGROUND))
    ours = np.asarray(exact_shapley(_net, X, BACKGROUND))
    theirs = shap.explainers.Exact(lambda z: np.asarray(_net(z)), masker)(X[None]).values[0]
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    w = RNG.normal(size=D)
    linear = shap.LinearExplainer((w, 0.5), BACKGROUND)
    np.testing.assert_allclose(np.asarray(exact_shapley(lambda z: jnp.asarray(z) @ w + 0.5, X, BACKGROUND)),
                               linear.shap_values(X[None])[0], atol=1e-4)


def test_kernel_and_permutation_shap_converge_to_exact():
    exact = np.asarray(exact_shapley(_net, X, BACKGROUND))
    np.testing.assert_allclose(np.asarray(kernel_shap(_net, X, BACKGROUND)), exact, atol=1e-4)
    errors = {}
    for n in (20, 2000):
        k = np.asarray(kernel_shap(_net, X, BACKGROUND, num_samples=n, key=jax.random.key(1)))
        p = np.asarray(permutation_shapley(jax.random.key(2), _net, X, BACKGROUND, num_permutations=n // 4))
        assert k.sum() == pytest.approx(exact.sum(), abs=1e-4)  # efficiency holds exactly
        errors[n] = (np.abs(k - exact).max(), np.abs(p - exact).max())
    assert errors[2000][0] < errors[20][0] and errors[2000][1] < errors[20][1]
    assert max(errors[2000]) < 0.05 * np.abs(exact).max()


def test_lime_recovers_linear_coefficients():
    w = RNG.normal(size=D).astype(np.float32)
    linear = lambda z: jnp.asarray(z) @ w - 0.7  # noqa: E731
    s = lime_tabular(jax.random.key(3), linear, X, np.ones(D), num_samples=300)
    np.testing.assert_allclose(np.asarray(s.coef), w, atol=1e-3)
    assert s.score > 0.999
    signal = RNG.normal(size=40).astype(np.float32)
    ws = RNG.normal(size=40).astype(np.float32)
    sig = lime_signal(jax.random.key(4), lambda z: jnp.asarray(z) @ ws, signal, num_segments=8, num_samples=400)
    base = signal.mean()
    expected = [np.sum(ws[j * 5:(j + 1) * 5] * (signal[j * 5:(j + 1) * 5] - base)) for j in range(8)]
    np.testing.assert_allclose(np.asarray(sig.coef), expected, atol=1e-3)


def test_counterfactual_flips_a_logistic_model_sparsely():
    w = np.array([2.0, 0.0, 0.0, 0.0, 0.1, 0.0], np.float32)
    prob = lambda z: jax.nn.sigmoid(jnp.asarray(z) @ w - 1.0)  # noqa: E731
    X_train = RNG.normal(size=(200, D)).astype(np.float32)
    x = np.zeros(D, np.float32)
    cf = counterfactual(prob, x, X_train, target=1.0)
    assert cf.valid and cf.prediction > 0.5
    assert cf.changed <= 2 and abs(float(cf.x[0])) > 0.4


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="background"):
        exact_shapley(_net, X, np.zeros((0, D)))
    with pytest.raises(ValueError, match="d must be"):
        exact_shapley(lambda z: z.sum(-1), np.zeros(17), np.zeros((2, 17)))
    with pytest.raises(ValueError, match="num_permutations"):
        permutation_shapley(jax.random.key(0), _net, X, BACKGROUND, num_permutations=0)
    with pytest.raises(ValueError, match="key"):
        kernel_shap(_net, X, BACKGROUND, num_samples=10)
    with pytest.raises(ValueError, match="num_segments"):
        lime_signal(jax.random.key(0), lambda z: z.sum(-1), np.zeros(5), num_segments=6)
    with pytest.raises(ValueError, match="target"):
        counterfactual(lambda z: z.sum(-1), X, BACKGROUND, target=0.5)
