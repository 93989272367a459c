"""Attacks and certificates against closed forms on linear models, scipy's beta quantiles
and Monte-Carlo checks on a small trained MLP."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from jaxml.data.bundled import load_sklearn
from jaxml.nn.models import MLP
from jaxml.trust.adversarial import (carlini_wagner_l2, clopper_pearson_lower, fgsm, ibp_loss, ibp_verified,
                                     interval_bounds, madry_loss, pgd, robust_accuracy, smoothed_certify,
                                     trades_loss)

W = jnp.array([[1.0, -1.0], [-2.0, 2.0], [0.5, 0.0]])
B = jnp.array([0.1, -0.1])


def _linear(x):
    return x @ W + B


def _ce(logits, y):
    return optax.softmax_cross_entropy_with_integer_labels(logits, y)


@pytest.fixture(scope="module")
def trained():
    X, y = load_sklearn("digits")
    X, y = jnp.asarray(X[:600] / 16.0, jnp.float32), jnp.asarray(y[:600].astype(np.int32))
    model = MLP((32,), 10)
    params = model.init(jax.random.key(0), X[:1])
    tx = optax.adam(1e-2)
    state = tx.init(params)
    loss = lambda p: _ce(model.apply(p, X), y).mean()  # noqa: E731

    @jax.jit
    def step(p, s):
        u, s = tx.update(jax.grad(loss)(p), s)
        return optax.apply_updates(p, u), s

    for _ in range(300):
        params, state = step(params, state)
    return model, params, X, y


def test_fgsm_on_a_linear_model_is_the_closed_form():
    x = jnp.array([[0.5, 0.5, 0.5], [0.2, 0.9, 0.4]])
    y = jnp.array([0, 1])
    # ∇ₓ ℓ = W (softmax − onehot): for two classes its sign is that of ±(W[:,1] − W[:,0])
    direction = jnp.where(y[:, None] == 0, 1.0, -1.0) * (W[:, 1] - W[:, 0])
    expected = jnp.clip(x + 0.1 * jnp.sign(direction), 0, 1)
    np.testing.assert_allclose(np.asarray(fgsm(_linear, x, y, eps=0.1)), np.asarray(expected), atol=1e-7)


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_pgd_stays_in_the_ball_and_box_and_beats_fgsm(trained, norm):
    model, params, X, y = trained
    x, t = X[:64], y[:64]
    f = lambda z: model.apply(params, z)  # noqa: E731
    eps = 0.1 if norm == "linf" else 1.0
    adv = pgd(jax.random.key(1), f, x, t, eps=eps, step_size=eps / 4, num_steps=10, norm=norm, restarts=2)
    delta = np.asarray(adv - x).reshape(64, -1)
    size = np.abs(delta).max(1) if norm == "linf" else np.linalg.norm(delta, axis=1)
    assert np.all(size <= eps * (1 + 1e-5)) and float(adv.min()) >= 0 and float(adv.max()) <= 1
    if norm == "linf":
        one_step = pgd(jax.random.key(2), f, x, t, eps=eps, step_size=eps, num_steps=1, random_start=False)
        np.testing.assert_allclose(np.asarray(one_step), np.asarray(fgsm(f, x, t, eps=eps)), atol=1e-6)
        assert _ce(f(adv), t).mean() >= _ce(f(fgsm(f, x, t, eps=eps)), t).mean()


def test_carlini_wagner_finds_the_minimal_distance_of_a_binary_linear_model():
    w, b = jnp.array([1.0, 2.0, -1.0]), -0.2
    logits = lambda z: jnp.stack([jnp.zeros(z.shape[0]), z @ w + b], -1)  # noqa: E731
    x = jnp.array([[0.5, 0.4, 0.3], [0.3, 0.2, 0.6]])
    y = (x @ w + b > 0).astype(jnp.int32)
    adv = carlini_wagner_l2(logits, x, y, c=10.0, num_steps=1500, learning_rate=0.01)
    assert np.all(np.argmax(np.asarray(logits(adv)), -1) != np.asarray(y))
    minimal = np.abs(np.asarray(x @ w + b)) / np.linalg.norm(np.asarray(w))  # inside the box here
    dist = np.linalg.norm(np.asarray(adv - x), axis=1)
    assert np.all(dist >= minimal - 1e-6) and np.all(dist <= 1.15 * minimal)


def test_clopper_pearson_lower_equals_the_beta_quantile():
    for k, n, alpha in ((0, 10, 0.05), (7, 10, 0.05), (990, 1000, 0.001), (50, 100, 0.1)):
        expected = 0.0 if k == 0 else stats.beta.ppf(alpha, k, n - k + 1)
        assert float(clopper_pearson_lower(k, n, alpha)) == pytest.approx(expected, abs=1e-6)


def test_smoothing_certificate_is_below_the_exact_radius_and_never_broken():
    """For a binary linear classifier the smoothed classifier is the base classifier and
    p_A = Φ(|w·x + b|/(σ‖w‖)), so the exact radius is |w·x + b|/‖w‖."""
    w, b, sigma = jnp.array([1.0, -1.0]), 0.1, 0.5
    logits = lambda z: jnp.stack([jnp.zeros(z.shape[:-1]), z @ w + b], -1)  # noqa: E731
    x = jnp.array([0.6, 0.2])
    cls, radius = smoothed_certify(jax.random.key(3), logits, x, sigma=sigma, n0=100, n=20000, alpha=0.001,
                                   num_classes=2)
    exact = float(jnp.abs(x @ w + b) / jnp.linalg.norm(w))
    assert int(cls) == 1 and 0 < float(radius) <= exact
    # the worst perturbation inside the certified ball moves straight towards the boundary
    worst = x - 0.999 * radius * w / jnp.linalg.norm(w)
    noisy = worst + sigma * jax.random.normal(jax.random.key(4), (20000, 2))
    assert float(jnp.mean(jnp.argmax(logits(noisy), -1) == 1)) > 0.5


def test_ibp_bounds_contain_sampled_outputs_and_are_exact_for_one_layer(trained):
    model, params, X, _ = trained
    x, eps = X[:4], 0.05
    lower, upper = interval_bounds(params, jnp.clip(x - eps, 0, 1), jnp.clip(x + eps, 0, 1))
    noise = jax.random.uniform(jax.random.key(5), (200,) + x.shape, minval=-eps, maxval=eps)
    out = jax.vmap(lambda d: model.apply(params, jnp.clip(x + d, 0, 1)))(noise)
    assert bool(jnp.all(out >= lower - 1e-5)) and bool(jnp.all(out <= upper + 1e-5))
    lin = MLP((), 3)
    p = lin.init(jax.random.key(6), x[:1])
    k, bias = p["params"]["Dense_0"]["kernel"], p["params"]["Dense_0"]["bias"]
    lo, up = interval_bounds(p, x - eps, x + eps)
    np.testing.assert_allclose(np.asarray(lo), np.asarray(x @ k + bias - eps * jnp.abs(k).sum(0)), atol=1e-5)
    np.testing.assert_allclose(np.asarray(up), np.asarray(x @ k + bias + eps * jnp.abs(k).sum(0)), atol=1e-5)


def test_ibp_verified_points_resist_pgd(trained):
    model, params, X, y = trained
    eps = 0.003
    verified = np.asarray(ibp_verified(params, X[:200], y[:200], eps))
    assert verified.sum() > 10
    f = lambda z: model.apply(params, z)  # noqa: E731
    adv = pgd(jax.random.key(7), f, X[:200], y[:200], eps=eps, step_size=eps / 4, num_steps=20, restarts=2)
    assert np.all(np.argmax(np.asarray(f(adv)), -1)[verified] == np.asarray(y[:200])[verified])
    assert float(ibp_loss(params, X[:50], y[:50], eps=eps)) >= float(_ce(f(X[:50]), y[:50]).mean()) * 0.5


def test_training_losses_and_robust_accuracy(trained):
    model, params, X, y = trained
    apply = model.apply
    clean = float(_ce(apply(params, X[:100]), y[:100]).mean())
    madry = madry_loss(jax.random.key(8), apply, params, X[:100], y[:100], eps=0.05, step_size=0.02, num_steps=5)
    assert float(madry) >= clean
    trades0 = trades_loss(jax.random.key(9), apply, params, X[:100], y[:100], eps=0.05, step_size=0.02,
                          num_steps=5, beta=0.0)
    assert float(trades0) == pytest.approx(clean, rel=1e-5)
    acc = np.asarray(robust_accuracy(jax.random.key(10), lambda z: apply(params, z), X[:100], y[:100],
                                     [0.0, 0.05, 0.2], num_steps=5))
    assert acc[0] == pytest.approx(float(jnp.mean(jnp.argmax(apply(params, X[:100]), -1) == y[:100])))
    assert acc[0] >= acc[1] >= acc[2]


def test_bad_input_raises_clear_errors():
    x, y = jnp.zeros((2, 3)), jnp.zeros(2, jnp.int32)
    with pytest.raises(ValueError, match="eps"):
        fgsm(_linear, x, y, eps=-0.1)
    with pytest.raises(ValueError, match="norm"):
        pgd(jax.random.key(0), _linear, x, y, eps=0.1, step_size=0.1, num_steps=1, norm="l1")
    with pytest.raises(ValueError, match="bounds"):
        pgd(jax.random.key(0), _linear, x, y, eps=0.1, step_size=0.1, num_steps=1, bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match="n0"):
        smoothed_certify(jax.random.key(0), _linear, x[0], sigma=0.5, n0=0, n=10, alpha=0.01, num_classes=2)
    with pytest.raises(ValueError, match="alpha"):
        smoothed_certify(jax.random.key(0), _linear, x[0], sigma=0.5, n0=10, n=10, alpha=1.5, num_classes=2)
