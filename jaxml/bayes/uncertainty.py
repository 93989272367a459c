"""One predictive API for four uncertainty methods, and the metrics that score them.

:func:`predict` takes any fitted estimator — a NUTS or SVI BNN (:mod:`jaxml.bayes.bnn`),
an MC-dropout network (:func:`jaxml.bayes.mc_dropout.mc_dropout`) or a deep ensemble
(:func:`jaxml.bayes.ensembles.deep_ensemble`) — with its params, and returns a
:class:`Prediction` with the predictive mean, the total variance split by the law of
total variance into

* aleatoric :math:`\\mathbb E_s[\\sigma_s^2]` (regression) or
  :math:`\\mathbb E_s[p_s(1-p_s)]` (per class, classification), and
* epistemic :math:`\\mathrm{Var}_s[\\mu_s]` or :math:`\\mathrm{Var}_s[p_s]`,

and the per-draw samples (posterior draws, dropout masks or ensemble members).

Metrics (Guo et al. 2017; Ovadia et al. 2019), labels first as in scikit-learn:

* negative log-likelihood — :func:`gaussian_nll` (moment-matched Gaussian) and
  :func:`mixture_gaussian_nll` (the exact mixture) for regression; for classification
  :func:`jaxml.classical.metrics.log_loss`;
* Brier score :math:`\\frac1n\\sum_i \\sum_c (p_{ic} - 1[y_i = c])^2`;
* reliability diagram and expected calibration error of the top-label confidence:
  :func:`jaxml.classical.calibration.reliability_curve` and
  :func:`jaxml.classical.calibration.expected_calibration_error` on the ``(n, C)``
  predictive probabilities;
* OOD detection: AUROC (:func:`jaxml.classical.metrics.roc_auc`) of the predictive
  entropy :math:`\\mathcal H[\\bar p]` separating out-of-distribution (positive) from
  in-distribution inputs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxml.bayes import bnn, ensembles, mc_dropout
from jaxml.classical.metrics import roc_auc
from jaxml.core import as_key, check_array

__all__ = [
    "Prediction",
    "METHODS",
    "method_name",
    "predict",
    "summarize",
    "gaussian_nll",
    "mixture_gaussian_nll",
    "brier_score",
    "predictive_entropy",
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


def method_name(params: Any) -> str:
    """Which of :data:`METHODS` fitted ``params``."""
    if isinstance(params, bnn.NUTSPosterior):
        return "nuts"
    if isinstance(params, bnn.SVIPosterior):
        return "svi"
    if isinstance(params, mc_dropout.DropoutParams):
        return "mc_dropout"
    if isinstance(params, ensembles.EnsembleParams):
        return "ensemble"
    raise TypeError("params must be a bnn.NUTSPosterior, bnn.SVIPosterior, "
                    "mc_dropout.DropoutParams or ensembles.EnsembleParams, got "
                    f"{type(params).__name__}")


def predict(key: Any, estimator: Any, params: Any, X_new: Any) -> Prediction:
    """Predictive mean, variance (total/aleatoric/epistemic) and samples for any method.

    Args:
      key: PRNG key (ignored by ensembles, whose members are the samples).
      estimator: the estimator (a ``Regressor``/``Classifier`` with ``predict_samples``)
        that fitted ``params``; its factory fixes the number of draws.
      params: its fitted parameters.
      X_new: inputs ``(m, d)``.
    """
    if getattr(estimator, "predict_samples", None) is None:
        raise TypeError("estimator must have predict_samples (an estimator of one of "
                        f"{METHODS}), got {type(estimator).__name__}")
    return summarize(*estimator.predict_samples(as_key(key), params, X_new))


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


def _check_labels_probs(y_true: Any, y_prob: Any) -> tuple[jax.Array, jax.Array]:
    y_true = check_array(y_true, "y_true", ndim=1, dtype_kind="i")
    y_prob = check_array(y_prob, "y_prob", ndim=2, dtype_kind="f")
    if y_prob.shape[0] != y_true.shape[0]:
        raise ValueError(f"y_true and y_prob must have the same number of rows, got "
                         f"{y_true.shape[0]} and {y_prob.shape[0]}")
    if not isinstance(y_true, jax.core.Tracer) and (int(y_true.min()) < 0
                                                    or int(y_true.max()) >= y_prob.shape[1]):
        raise ValueError(f"y_true must hold labels in [0, {y_prob.shape[1]})")
    return y_true, y_prob


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


def brier_score(y_true: Any, y_prob: Any) -> jax.Array:
    """Mean over examples of ``Σ_c (p_c - 1[y = c])²`` for ``y_prob (n, C)``."""
    y_true, y_prob = _check_labels_probs(y_true, y_prob)
    onehot = jax.nn.one_hot(y_true, y_prob.shape[1], dtype=y_prob.dtype)
    return jnp.mean(jnp.sum((y_prob - onehot) ** 2, axis=1))


def predictive_entropy(probs: Any) -> jax.Array:
    """``H[p] = -Σ_c p_c log p_c`` per row of ``probs (n, C)`` (0 log 0 = 0)."""
    probs = check_array(probs, "probs", ndim=2, dtype_kind="f")
    safe = jnp.where(probs > 0, probs, 1.0)
    return -jnp.sum(jnp.where(probs > 0, probs * jnp.log(safe), 0.0), axis=1)


def ood_auroc(probs_in: Any, probs_out: Any) -> jax.Array:
    """AUROC of predictive entropy for detecting ``probs_out`` rows (OOD) among
    ``probs_in`` rows (in-distribution)."""
    h_in = predictive_entropy(probs_in)
    h_out = predictive_entropy(probs_out)
    labels = jnp.concatenate([jnp.zeros(h_in.shape[0], jnp.int32),
                              jnp.ones(h_out.shape[0], jnp.int32)])
    return roc_auc(labels, jnp.concatenate([h_in, h_out]))
