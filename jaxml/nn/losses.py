r"""Per-example losses (reduce them yourself: ``loss(...).mean()``).

With logits z ∈ ℝ^K, p = softmax(z), integer label y and one-hot e_y:

* **Cross-entropy with label smoothing** (Szegedy et al. 2016): targets
  :math:`q = (1 - \varepsilon)e_y + \varepsilon/K`,
  :math:`\ell = -\sum_k q_k \log p_k`; ε = 0 is the plain cross-entropy −log p_y.
* **Focal loss** (Lin et al. 2017) down-weights easy examples: for a binary logit with
  p = sigmoid(z) and :math:`p_t = p` if y = 1 else 1 − p,
  :math:`\ell = -\alpha_t (1 - p_t)^\gamma \log p_t` with
  :math:`\alpha_t = \alpha` if y = 1 else 1 − α (no weighting when α is None);
  the softmax version is :math:`-(1 - p_y)^\gamma \log p_y`. γ = 0 is the cross-entropy.
* **Huber** (Huber 1964) with threshold δ, r = prediction − target:
  :math:`\tfrac12 r^2` if |r| ≤ δ, else :math:`\delta(|r| - \tfrac12\delta)`.
* **Hinge**: binary, t ∈ {−1, +1}, :math:`\max(0, 1 - t s)`; multiclass (Crammer &
  Singer 2001) :math:`\max(0, 1 + \max_{j \ne y} s_j - s_y)`.
* **Contrastive** (Hadsell, Chopra & LeCun 2006) for a pair at Euclidean distance d with
  same ∈ {0, 1}: :math:`\tfrac12\,\text{same}\,d^2 + \tfrac12(1 - \text{same})\max(0, m - d)^2`.
* **Triplet** (Schroff et al. 2015): :math:`\max(0, \lVert a - p\rVert - \lVert a - n\rVert + m)`.
* **KL divergence** between categorical distributions given as log-probabilities:
  :math:`\mathrm{KL}(P \Vert Q) = \sum_k P_k(\log P_k - \log Q_k)`, with 0 log 0 = 0.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxml.core.validation import check_positive, check_probability, check_range


def _log_softmax(logits: jax.Array) -> jax.Array:
    shifted = logits - jax.lax.stop_gradient(logits.max(axis=-1, keepdims=True))
    return shifted - jnp.log(jnp.exp(shifted).sum(axis=-1, keepdims=True))


def _check_labels_match(logits: jax.Array, labels: jax.Array) -> None:
    if logits.ndim < 1 or labels.shape != logits.shape[:-1]:
        raise ValueError(f"labels must have shape logits.shape[:-1] = {logits.shape[:-1]} (integer classes), "
                         f"got {labels.shape}")


def smoothed_targets(labels: jax.Array, num_classes: int, label_smoothing: float, dtype=jnp.float32) -> jax.Array:
    """q = (1 − ε) one_hot(labels) + ε/K."""
    check_range(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    return (1 - label_smoothing) * jax.nn.one_hot(labels, num_classes, dtype=dtype) + label_smoothing / num_classes


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array, *, label_smoothing: float = 0.0) -> jax.Array:
    """−Σ_k q_k log softmax(z)_k with q the one-hot of ``labels`` smoothed by ε = ``label_smoothing``."""
    logits, labels = jnp.asarray(logits), jnp.asarray(labels)
    _check_labels_match(logits, labels)
    targets = smoothed_targets(labels, logits.shape[-1], label_smoothing, logits.dtype)
    return -(targets * _log_softmax(logits)).sum(axis=-1)


def sigmoid_focal_loss(logits: jax.Array, labels: jax.Array, *, gamma: float = 2.0,
                       alpha: float | None = None) -> jax.Array:
    """Binary focal loss −α_t (1 − p_t)^γ log p_t elementwise; ``labels`` in {0, 1}."""
    logits, labels = jnp.asarray(logits), jnp.asarray(labels, dtype=jnp.result_type(logits, jnp.float32))
    if labels.shape != logits.shape:
        raise ValueError(f"labels must have the shape of logits {logits.shape}, got {labels.shape}")
    check_range(gamma, "gamma", low=0.0)
    log_p, log_not_p = jax.nn.log_sigmoid(logits), jax.nn.log_sigmoid(-logits)
    log_p_t = labels * log_p + (1 - labels) * log_not_p
    loss = -((1 - jnp.exp(log_p_t)) ** gamma) * log_p_t
    if alpha is not None:
        check_probability(alpha, "alpha")
        loss = (labels * alpha + (1 - labels) * (1 - alpha)) * loss
    return loss


def softmax_focal_loss(logits: jax.Array, labels: jax.Array, *, gamma: float = 2.0) -> jax.Array:
    """Multiclass focal loss −(1 − p_y)^γ log p_y."""
    logits, labels = jnp.asarray(logits), jnp.asarray(labels)
    _check_labels_match(logits, labels)
    check_range(gamma, "gamma", low=0.0)
    log_p_y = jnp.take_along_axis(_log_softmax(logits), labels[..., None], axis=-1)[..., 0]
    return -((1 - jnp.exp(log_p_y)) ** gamma) * log_p_y


def huber_loss(predictions: jax.Array, targets: jax.Array, *, delta: float = 1.0) -> jax.Array:
    """½r² for |r| ≤ δ, δ(|r| − ½δ) beyond, r = predictions − targets, elementwise."""
    check_positive(delta, "delta")
    r = jnp.abs(jnp.asarray(predictions) - jnp.asarray(targets))
    return jnp.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))


def hinge_loss(scores: jax.Array, targets: jax.Array) -> jax.Array:
    """max(0, 1 − t·s) elementwise, ``targets`` t in {−1, +1}."""
    return jnp.maximum(0.0, 1 - jnp.asarray(targets) * jnp.asarray(scores))


def multiclass_hinge_loss(scores: jax.Array, labels: jax.Array) -> jax.Array:
    """Crammer–Singer max(0, 1 + max_{j≠y} s_j − s_y)."""
    scores, labels = jnp.asarray(scores), jnp.asarray(labels)
    _check_labels_match(scores, labels)
    one_hot = jax.nn.one_hot(labels, scores.shape[-1], dtype=bool)
    s_y = jnp.take_along_axis(scores, labels[..., None], axis=-1)[..., 0]
    runner_up = jnp.where(one_hot, -jnp.inf, scores).max(axis=-1)
    return jnp.maximum(0.0, 1 + runner_up - s_y)


def _distance(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.sqrt(jnp.sum((a - b) ** 2, axis=-1))


def contrastive_loss(x1: jax.Array, x2: jax.Array, same: jax.Array, *, margin: float = 1.0) -> jax.Array:
    """½·same·d² + ½(1 − same)·max(0, m − d)² for embeddings ``x1``, ``x2`` (…, dim)."""
    check_positive(margin, "margin")
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"x1 and x2 must have the same shape, got {x1.shape} and {x2.shape}")
    d, same = _distance(x1, x2), jnp.asarray(same, x1.dtype)
    return 0.5 * same * d**2 + 0.5 * (1 - same) * jnp.maximum(0.0, margin - d) ** 2


def triplet_margin_loss(anchor: jax.Array, positive: jax.Array, negative: jax.Array, *,
                        margin: float = 1.0) -> jax.Array:
    """max(0, ‖a − p‖ − ‖a − n‖ + m) over the last axis."""
    check_positive(margin, "margin")
    anchor, positive, negative = (jnp.asarray(v) for v in (anchor, positive, negative))
    if not anchor.shape == positive.shape == negative.shape:
        raise ValueError(f"anchor, positive and negative must have one shape, got {anchor.shape}, "
                         f"{positive.shape} and {negative.shape}")
    return jnp.maximum(0.0, _distance(anchor, positive) - _distance(anchor, negative) + margin)


def kl_divergence(log_p: jax.Array, log_q: jax.Array) -> jax.Array:
    """KL(P ‖ Q) = Σ_k P_k (log P_k − log Q_k) over the last axis, from log-probabilities
    (terms with P_k = 0 are 0)."""
    log_p, log_q = jnp.asarray(log_p), jnp.asarray(log_q)
    if log_p.shape != log_q.shape:
        raise ValueError(f"log_p and log_q must have the same shape, got {log_p.shape} and {log_q.shape}")
    p = jnp.exp(log_p)
    return jnp.where(p > 0, p * (log_p - log_q), 0.0).sum(axis=-1)
