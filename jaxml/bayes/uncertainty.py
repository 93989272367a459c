"""One predictive API for four uncertainty methods, and the metrics that score them.

:func:`predict` takes any fitted model — a NUTS BNN (:class:`jaxml.bayes.bnn.NUTSPosterior`),
an SVI BNN (:class:`~jaxml.bayes.bnn.SVIPosterior`), an MC-dropout network
(:class:`jaxml.bayes.mc_dropout.DropoutFit`) or a deep ensemble
(:class:`jaxml.bayes.ensembles.EnsembleFit`) — and returns a :class:`Prediction` with the
predictive mean, the total variance split by the law of total variance into

* aleatoric :math:`\\mathbb E_s[\\sigma_s^2]` (regression) or
  :math:`\\mathbb E_s[p_s(1-p_s)]` (per class, classification), and
* epistemic :math:`\\mathrm{Var}_s[\\mu_s]` or :math:`\\mathrm{Var}_s[p_s]`,

and the per-draw samples (posterior draws, dropout masks or ensemble members).

Metrics (Guo et al. 2017; Ovadia et al. 2019):

* negative log-likelihood — :func:`classification_nll`, :func:`gaussian_nll` (moment-matched
  Gaussian) and :func:`mixture_gaussian_nll` (the exact mixture);
* Brier score :math:`\\frac1n\\sum_i \\sum_c (p_{ic} - 1[y_i = c])^2`;
* reliability diagram and expected calibration error: bin the confidence
  :math:`\\max_c p_{ic}` into equal-width bins :math:`B_b`, then
  :math:`\\mathrm{ECE} = \\sum_b \\frac{|B_b|}{n} |\\mathrm{acc}(B_b) - \\mathrm{conf}(B_b)|`;
* OOD detection: AUROC of the predictive entropy :math:`\\mathcal H[\\bar p]` separating
  out-of-distribution (positive) from in-distribution inputs, computed with the
  Mann–Whitney rank formula :math:`\\mathrm{AUC} = (R_+ - n_+(n_+ + 1)/2)/(n_+ n_-)`, ties
  getting average ranks.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxml.bayes import bnn, ensembles, mc_dropout
from jaxml.core import as_key, check_array, check_int

__all__ = [
    "Prediction",
    "METHODS",
    "method_name",
    "predict",
    "summarize",
    "Reliability",
    "gaussian_nll",
    "mixture_gaussian_nll",
    "classification_nll",
    "brier_score",
    "reliability_diagram",
    "expected_calibration_error",
    "predictive_entropy",
    "auroc",
    "ood_auroc",
]

METHODS = ("nuts", "svi", "mc_dropout", "ensemble")


class Prediction(NamedTuple):
    """Predictive summary at ``m`` inputs from ``S`` draws.

    Attributes:
      mean: ``(m,)`` regression mean, or ``(m, C)`` mean class probabilities.
      variance: total predictive variance, same shape as ``mean``
        (``= aleatoric + epistemic``).
      aleatoric: expected noise variance (same shape).
      epistemic: variance of the per-draw means/probabilities (same shape).
      samples: per-draw means ``(S, m)`` or probabilities ``(S, m, C)``.
      noise_variance: per-draw noise variances ``(S, m)`` (regression) or ``None``.
    """

    mean: jax.Array
    variance: jax.Array
    aleatoric: jax.Array
    epistemic: jax.Array
    samples: jax.Array
    noise_variance: jax.Array | None


def method_name(fitted: Any) -> str:
    """Which of :data:`METHODS` produced ``fitted``."""
    if isinstance(fitted, bnn.NUTSPosterior):
        return "nuts"
    if isinstance(fitted, bnn.SVIPosterior):
        return "svi"
    if isinstance(fitted, mc_dropout.DropoutFit):
        return "mc_dropout"
    if isinstance(fitted, ensembles.EnsembleFit):
        return "ensemble"
    raise TypeError("fitted must be a bnn.NUTSPosterior, bnn.SVIPosterior, "
                    f"mc_dropout.DropoutFit or ensembles.EnsembleFit, got {type(fitted).__name__}")


def predict(key: Any, fitted: Any, X_new: Any, *, num_samples: int = 100,
            chunk_size: int = 100) -> Prediction:
    """Predictive mean, variance (total/aleatoric/epistemic) and samples for any method.

    Args:
      key: PRNG key (ignored by ensembles, whose members are the samples).
      fitted: a fitted model of one of the four methods.
      X_new: inputs ``(m, d)``.
      num_samples: posterior draws / dropout masks (ensembles use all members).
      chunk_size: draws evaluated together (BNNs).
    """
    method = method_name(fitted)
    key = as_key(key)
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    if method in ("nuts", "svi"):
        draws, noise = bnn.predict_samples(key, fitted, X_new, num_samples=num_samples,
                                           chunk_size=chunk_size)
        if noise is not None:
            noise = jnp.broadcast_to(noise[:, None], draws.shape)
    elif method == "mc_dropout":
        draws, noise = mc_dropout.predict_samples(key, fitted, X_new, num_samples=num_samples)
    else:
        draws, noise = ensembles.predict_samples(fitted, X_new)
    return summarize(draws, noise)


def summarize(draws: jax.Array, noise_variance: jax.Array | None) -> Prediction:
    """:class:`Prediction` from per-draw means (+ noise variances) or probabilities."""
    mean = draws.mean(0)
    epistemic = draws.var(0)
    if noise_variance is None:
        aleatoric = jnp.mean(draws * (1.0 - draws), axis=0)
    else:
        aleatoric = noise_variance.mean(0)
    return Prediction(mean=mean, variance=aleatoric + epistemic, aleatoric=aleatoric,
                      epistemic=epistemic, samples=draws, noise_variance=noise_variance)


def _check_probs_labels(probs: Any, y: Any) -> tuple[jax.Array, jax.Array]:
    probs = check_array(probs, "probs", ndim=2, dtype_kind="f")
    y = check_array(y, "y", ndim=1, dtype_kind="i")
    if probs.shape[0] != y.shape[0]:
        raise ValueError(f"probs and y must have the same number of rows, got "
                         f"{probs.shape[0]} and {y.shape[0]}")
    if not isinstance(y, jax.core.Tracer) and (int(y.min()) < 0
                                               or int(y.max()) >= probs.shape[1]):
        raise ValueError(f"y must hold labels in [0, {probs.shape[1]})")
    return probs, y


def classification_nll(probs: Any, y: Any, *, eps: float = 1e-12) -> jax.Array:
    """Mean ``-log p(y_i)`` (probabilities clipped below at ``eps``)."""
    probs, y = _check_probs_labels(probs, y)
    picked = jnp.take_along_axis(probs, y[:, None], axis=1)[:, 0]
    return -jnp.mean(jnp.log(jnp.maximum(picked, eps)))


def gaussian_nll(y: Any, mean: Any, variance: Any) -> jax.Array:
    """Mean NLL of ``y`` under ``N(mean, variance)`` (all ``(n,)``)."""
    y = check_array(y, "y", ndim=1, dtype_kind="f")
    mean = check_array(mean, "mean", ndim=1, dtype_kind="f")
    variance = check_array(variance, "variance", ndim=1, dtype_kind="f")
    if not (y.shape == mean.shape == variance.shape):
        raise ValueError(f"y, mean, variance must have the same shape, got {y.shape}, "
                         f"{mean.shape}, {variance.shape}")
    return jnp.mean(0.5 * (jnp.log(2 * jnp.pi * variance) + (y - mean) ** 2 / variance))


def mixture_gaussian_nll(y: Any, means: Any, variances: Any) -> jax.Array:
    """Mean NLL of ``y (n,)`` under the equal-weight mixture of ``N(means_s, variances_s)``
    (``(S, n)`` each), via logsumexp."""
    y = check_array(y, "y", ndim=1, dtype_kind="f")
    means = check_array(means, "means", ndim=2, dtype_kind="f")
    variances = check_array(variances, "variances", ndim=2, dtype_kind="f")
    if means.shape != variances.shape or means.shape[1] != y.shape[0]:
        raise ValueError(f"means and variances must be (S, {y.shape[0]}), got "
                         f"{means.shape} and {variances.shape}")
    log_p = -0.5 * (jnp.log(2 * jnp.pi * variances) + (y[None, :] - means) ** 2 / variances)
    return -jnp.mean(jax.nn.logsumexp(log_p, axis=0) - jnp.log(means.shape[0]))


def brier_score(probs: Any, y: Any) -> jax.Array:
    """Mean over examples of ``Σ_c (p_c - 1[y = c])²``."""
    probs, y = _check_probs_labels(probs, y)
    onehot = jax.nn.one_hot(y, probs.shape[1], dtype=probs.dtype)
    return jnp.mean(jnp.sum((probs - onehot) ** 2, axis=1))


class Reliability(NamedTuple):
    """Reliability-diagram data per confidence bin (empty bins have count 0 and
    confidence/accuracy 0)."""

    bin_edges: jax.Array
    confidence: jax.Array
    accuracy: jax.Array
    count: jax.Array


def reliability_diagram(probs: Any, y: Any, *, num_bins: int = 15) -> Reliability:
    """Mean confidence and accuracy in ``num_bins`` equal-width bins ``(lo, hi]``."""
    probs, y = _check_probs_labels(probs, y)
    num_bins = check_int(num_bins, "num_bins", minimum=1)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(probs.dtype)
    edges = jnp.linspace(0.0, 1.0, num_bins + 1)
    bins = jnp.clip(jnp.searchsorted(edges, conf, side="left") - 1, 0, num_bins - 1)
    count = jnp.zeros(num_bins).at[bins].add(1.0)
    conf_sum = jnp.zeros(num_bins).at[bins].add(conf)
    acc_sum = jnp.zeros(num_bins).at[bins].add(correct)
    safe = jnp.maximum(count, 1.0)
    return Reliability(bin_edges=edges, confidence=conf_sum / safe, accuracy=acc_sum / safe,
                       count=count)


def expected_calibration_error(probs: Any, y: Any, *, num_bins: int = 15) -> jax.Array:
    """ECE with ``num_bins`` equal-width confidence bins (Guo et al. 2017)."""
    rel = reliability_diagram(probs, y, num_bins=num_bins)
    return jnp.sum(rel.count * jnp.abs(rel.accuracy - rel.confidence)) / rel.count.sum()


def predictive_entropy(probs: Any) -> jax.Array:
    """``H[p] = -Σ_c p_c log p_c`` per row of ``probs (n, C)`` (0 log 0 = 0)."""
    probs = check_array(probs, "probs", ndim=2, dtype_kind="f")
    safe = jnp.where(probs > 0, probs, 1.0)
    return -jnp.sum(jnp.where(probs > 0, probs * jnp.log(safe), 0.0), axis=1)


def auroc(scores: Any, labels: Any) -> jax.Array:
    """Area under the ROC curve of ``scores`` for binary ``labels`` (1 = positive),
    by the rank (Mann–Whitney U) formula with average ranks for ties."""
    scores = check_array(scores, "scores", ndim=1, dtype_kind="f")
    labels = check_array(labels, "labels", ndim=1, dtype_kind="i")
    if scores.shape != labels.shape:
        raise ValueError(f"scores and labels must have the same shape, got {scores.shape} "
                         f"and {labels.shape}")
    if not isinstance(labels, jax.core.Tracer):
        values = set(map(int, jnp.unique(labels)))
        if values != {0, 1}:
            raise ValueError(f"labels must contain both classes 0 and 1 only, got {values}")
    sorted_scores = jnp.sort(scores)
    lo = jnp.searchsorted(sorted_scores, scores, side="left")
    hi = jnp.searchsorted(sorted_scores, scores, side="right")
    ranks = (lo + hi + 1) / 2.0  # 1-based average rank
    pos = labels == 1
    n_pos = pos.sum()
    n_neg = labels.shape[0] - n_pos
    rank_sum = jnp.sum(jnp.where(pos, ranks, 0.0))
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def ood_auroc(probs_in: Any, probs_out: Any) -> jax.Array:
    """AUROC of predictive entropy for detecting ``probs_out`` rows (OOD) among
    ``probs_in`` rows (in-distribution)."""
    h_in = predictive_entropy(probs_in)
    h_out = predictive_entropy(probs_out)
    labels = jnp.concatenate([jnp.zeros(h_in.shape[0], jnp.int32),
                              jnp.ones(h_out.shape[0], jnp.int32)])
    return auroc(jnp.concatenate([h_in, h_out]), labels)
