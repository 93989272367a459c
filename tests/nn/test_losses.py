import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import special

from jaxml.nn.losses import (contrastive_loss, hinge_loss, huber_loss, kl_divergence, multiclass_hinge_loss,
                             sigmoid_focal_loss, smoothed_targets, softmax_cross_entropy, softmax_focal_loss,
                             triplet_margin_loss)

rng = np.random.default_rng(0)
LOGITS = rng.normal(0, 3, (64, 5)).astype(np.float32)
LABELS = rng.integers(0, 5, 64)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_cross_entropy_with_label_smoothing_equals_optax_and_the_formula(eps):
    ours = softmax_cross_entropy(LOGITS, LABELS, label_smoothing=eps)
    targets = optax.smooth_labels(jax.nn.one_hot(LABELS, 5), eps)
    np.testing.assert_allclose(ours, optax.softmax_cross_entropy(LOGITS, targets), rtol=1e-5)
    q = (1 - eps) * np.eye(5)[LABELS] + eps / 5
    np.testing.assert_allclose(ours, -(q * special.log_softmax(LOGITS.astype(np.float64), axis=-1)).sum(-1), rtol=1e-5)
    np.testing.assert_allclose(smoothed_targets(LABELS, 5, eps), q, rtol=1e-6)


@pytest.mark.parametrize("gamma, alpha", [(0.0, None), (2.0, None), (2.0, 0.25)])
def test_sigmoid_focal_loss_equals_optax(gamma, alpha):
    logits, labels = LOGITS[:, 0], (LABELS % 2).astype(np.float32)
    ours = sigmoid_focal_loss(logits, labels, gamma=gamma, alpha=alpha)
    np.testing.assert_allclose(ours, optax.sigmoid_focal_loss(logits, labels, alpha=alpha, gamma=gamma),
                               rtol=1e-5, atol=1e-7)
    if gamma == 0 and alpha is None:  # plain binary cross-entropy
        np.testing.assert_allclose(ours, optax.sigmoid_binary_cross_entropy(logits, labels), rtol=1e-5)


def test_softmax_focal_loss_formula_and_gamma_zero_is_cross_entropy():
    p_y = special.softmax(LOGITS.astype(np.float64), axis=-1)[np.arange(64), LABELS]
    np.testing.assert_allclose(softmax_focal_loss(LOGITS, LABELS, gamma=2.0), -(1 - p_y) ** 2 * np.log(p_y), rtol=1e-4)
    np.testing.assert_allclose(softmax_focal_loss(LOGITS, LABELS, gamma=0.0), softmax_cross_entropy(LOGITS, LABELS),
                               rtol=1e-6)


@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
def test_huber_equals_optax(delta):
    pred, target = rng.normal(0, 2, 200), rng.normal(0, 2, 200)
    np.testing.assert_allclose(huber_loss(pred, target, delta=delta), optax.huber_loss(pred, target, delta=delta),
                               rtol=1e-5, atol=1e-7)


def test_hinge_losses_equal_optax_and_crammer_singer_by_loop():
    scores, signs = LOGITS[:, 0], np.where(LABELS % 2 == 1, 1.0, -1.0)
    np.testing.assert_allclose(hinge_loss(scores, signs), optax.hinge_loss(scores, signs), rtol=1e-6)
    expected = [max(0.0, 1 + max(s[j] for j in range(5) if j != y) - s[y]) for s, y in zip(LOGITS, LABELS)]
    np.testing.assert_allclose(multiclass_hinge_loss(LOGITS, LABELS), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(multiclass_hinge_loss(LOGITS, LABELS), optax.losses.multiclass_hinge_loss(LOGITS, LABELS),
                               rtol=1e-5, atol=1e-6)


def test_contrastive_and_triplet_losses_equal_their_formulas():
    a, p, n = (rng.normal(0, 1, (50, 8)) for _ in range(3))
    same = rng.integers(0, 2, 50)
    d = np.linalg.norm(a - p, axis=1)
    expected = 0.5 * same * d**2 + 0.5 * (1 - same) * np.maximum(0, 2.0 - d) ** 2
    np.testing.assert_allclose(contrastive_loss(a, p, same, margin=2.0), expected, rtol=1e-5)
    triplet = np.maximum(0, d - np.linalg.norm(a - n, axis=1) + 0.5)
    np.testing.assert_allclose(triplet_margin_loss(a, p, n, margin=0.5), triplet, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(triplet_margin_loss(a, p, n, margin=0.5),
                               optax.losses.triplet_margin_loss(a, p, n, margin=0.5, eps=0.0), rtol=1e-5, atol=1e-6)


def test_kl_divergence_equals_scipy_and_handles_zero_probabilities():
    p = special.softmax(rng.normal(0, 1, (10, 6)), axis=-1)
    q = special.softmax(rng.normal(0, 1, (10, 6)), axis=-1)
    p[0, :2] = 0.0
    p[0] /= p[0].sum()
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    ours = kl_divergence(jnp.asarray(log_p, jnp.float32), jnp.asarray(np.log(q), jnp.float32))
    np.testing.assert_allclose(ours, special.rel_entr(p, q).sum(-1), rtol=1e-5)
    assert np.all(np.isfinite(ours)) and float(kl_divergence(np.log(q), np.log(q)).max()) < 1e-6


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="labels must have shape"):
        softmax_cross_entropy(LOGITS, LABELS[:10])
    with pytest.raises(ValueError, match="label_smoothing"):
        softmax_cross_entropy(LOGITS, LABELS, label_smoothing=1.5)
    with pytest.raises(ValueError, match="gamma"):
        softmax_focal_loss(LOGITS, LABELS, gamma=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        sigmoid_focal_loss(LOGITS[:, 0], LABELS % 2, alpha=2.0)
    with pytest.raises(ValueError, match="delta"):
        huber_loss(1.0, 2.0, delta=0.0)
    with pytest.raises(ValueError, match="x1 and x2"):
        contrastive_loss(np.zeros((3, 2)), np.zeros((3, 4)), np.ones(3))
    with pytest.raises(ValueError, match="anchor, positive and negative"):
        triplet_margin_loss(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="log_p and log_q"):
        kl_divergence(np.zeros(3), np.zeros(4))
