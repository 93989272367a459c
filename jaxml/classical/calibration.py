"""Probability calibration: reliability curves, ECE, Platt, isotonic and temperature scaling.

A classifier is calibrated when :math:`P(Y=1 \\mid \\hat p = p) = p`. Diagnostics:

* **reliability curve**: bin the predicted probabilities; per bin, the mean prediction
  (confidence) against the observed frequency of the positive class — or, for a
  multiclass ``(n, K)`` matrix, the top-label confidence :math:`\\max_k p_{ik}` against
  the accuracy of the arg-max;
* **expected calibration error** (Naeini et al. 2015; Guo et al. 2017):
  :math:`ECE = \\sum_b \\frac{n_b}{n}\\,|\\mathrm{acc}_b - \\mathrm{conf}_b|`, for binary
  probabilities (positive-class frequency vs mean probability) or top-label confidence
  of a multiclass ``(n, K)`` matrix (accuracy of the arg-max vs max probability).

Post-hoc recalibration maps (fit on held-out scores):

* **Platt scaling** (Platt 1999): :math:`p = \\sigma(a s + b)`, fitted by maximum
  likelihood against Platt's smoothed targets :math:`t_+ = (N_++1)/(N_++2)`,
  :math:`t_- = 1/(N_-+2)` (Newton's method on the two parameters);
* **isotonic regression** (Zadrozny & Elkan 2002): the non-decreasing step function
  minimising :math:`\\sum_i w_i (y_i - g(s_i))^2`, by pool-adjacent-violators; predictions
  interpolate linearly between the fitted points and clip outside them;
* **temperature scaling** (Guo et al. 2017): :math:`\\mathrm{softmax}(z/T)` with the single
  T > 0 that minimises the NLL on a validation set (the NLL is convex in 1/T; found by
  golden-section search on log T). It never changes the arg-max.

The bins of the reliability curve are static (``n_bins``), so the curve has a fixed
size with a ``counts`` array; scikit-learn's ``calibration_curve`` drops the empty bins,
i.e. equals ``prob_true[counts > 0]``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core import (
    Regressor,
    check_array,
    check_int,
    check_option,
    is_traced,
    pytree_dataclass,
)

__all__ = [
    "reliability_curve",
    "expected_calibration_error",
    "platt_scaling",
    "isotonic_regression",
    "temperature_scaling",
]


def _binary(y_true: Any, y_prob: Any):
    y_true = check_array(y_true, "y_true", ndim=1, dtype_kind="i")
    y_prob = check_array(y_prob, "y_prob", ndim=1, dtype_kind="f")
    if y_true.shape[0] != y_prob.shape[0]:
        raise ValueError(f"y_true and y_prob must have the same length, got {y_true.shape[0]} and {y_prob.shape[0]}")
    if not is_traced(y_true) and bool(jnp.any((y_true < 0) | (y_true > 1))):
        raise ValueError("y_true must hold binary labels 0/1")
    _check_probabilities(y_prob)
    return y_true, y_prob


def _check_probabilities(y_prob: jax.Array) -> None:
    if not is_traced(y_prob) and bool(jnp.any((y_prob < 0) | (y_prob > 1))):
        raise ValueError("y_prob must hold probabilities in [0, 1]")


def _top_label(y_true: Any, y_prob: Any):
    """``(correct, confidence)`` of the arg-max of an ``(n, K)`` probability matrix."""
    y_true = check_array(y_true, "y_true", ndim=1, dtype_kind="i")
    if y_true.shape[0] != y_prob.shape[0]:
        raise ValueError(f"y_true and y_prob must have the same number of rows, got "
                         f"{y_true.shape[0]} and {y_prob.shape[0]}")
    if not is_traced(y_true) and bool(jnp.any((y_true < 0) | (y_true >= y_prob.shape[1]))):
        raise ValueError(f"y_true must hold labels in [0, {y_prob.shape[1]})")
    _check_probabilities(y_prob)
    correct = (jnp.argmax(y_prob, axis=1) == y_true).astype(y_prob.dtype)
    return correct, jnp.max(y_prob, axis=1)


def reliability_curve(y_true: Any, y_prob: Any, *, n_bins: int = 10,
                      strategy: str = "uniform") -> tuple[jax.Array, jax.Array, jax.Array]:
    """Observed frequency and mean predicted probability per bin.

    Args:
      y_true: labels ``(n,)``.
      y_prob: positive-class probabilities ``(n,)`` (binary labels; the frequency is that
        of the positive class), or an ``(n, K)`` probability matrix: top-label
        reliability (Guo et al. 2017), the frequency being the accuracy of the arg-max
        and the prediction its probability (the confidence).
      n_bins: number of bins (static).
      strategy: ``"uniform"`` (equal-width bins on [0, 1]) or ``"quantile"`` (equal
        counts). A probability on an inner edge goes to the lower bin, as scikit-learn;
        uniform bins are ``[0, 1/B], (1/B, 2/B], ...``.

    Returns:
      ``(prob_true, prob_pred, counts)`` of length ``n_bins``; empty bins hold nan.
    """
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    check_option(strategy, "strategy", ("uniform", "quantile"))
    y_prob = check_array(y_prob, "y_prob", ndim=(1, 2), dtype_kind="f")
    if y_prob.ndim == 1:
        y_true, y_prob = _binary(y_true, y_prob)
        hit, pred = y_true.astype(y_prob.dtype), y_prob
    else:
        hit, pred = _top_label(y_true, y_prob)
    if strategy == "uniform":
        edges = jnp.linspace(0.0, 1.0, n_bins + 1)
    else:
        edges = jnp.percentile(pred, jnp.linspace(0.0, 100.0, n_bins + 1))
    bins = jnp.searchsorted(edges[1:-1], pred, side="left")
    counts = jax.ops.segment_sum(jnp.ones_like(pred), bins, num_segments=n_bins)
    pred_sum = jax.ops.segment_sum(pred, bins, num_segments=n_bins)
    true_sum = jax.ops.segment_sum(hit, bins, num_segments=n_bins)
    safe = jnp.where(counts > 0, counts, 1.0)
    nan = jnp.nan
    return (jnp.where(counts > 0, true_sum / safe, nan), jnp.where(counts > 0, pred_sum / safe, nan),
            counts)


def expected_calibration_error(y_true: Any, y_prob: Any, *, n_bins: int = 15) -> jax.Array:
    """ECE ``Σ_b (n_b/n) |frequency_b - confidence_b|`` over ``n_bins`` equal-width bins.

    ``y_prob`` ``(n,)``: binary ECE of the positive-class probability; ``(n, K)``:
    top-label ECE (Guo et al. 2017). Bins as :func:`reliability_curve`.
    """
    frac, conf, counts = reliability_curve(y_true, y_prob, n_bins=n_bins)
    gaps = jnp.where(counts > 0, counts * jnp.abs(frac - conf), 0.0)
    return jnp.sum(gaps) / jnp.sum(counts)


# --------------------------------------------------------------------------- Platt


@pytree_dataclass
class PlattParams:
    """``p = sigmoid(a * score + b)``."""

    a: jax.Array
    b: jax.Array


def platt_scaling(*, max_iter: int = 100) -> Regressor:
    """Platt scaling: ``fit(scores, y) -> PlattParams``; ``predict(params, scores)``
    returns calibrated positive-class probabilities.

    Same fit as scikit-learn's ``CalibratedClassifierCV(method="sigmoid")`` (whose
    parameters are ``A = -a``, ``B = -b``).
    """
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    def fit(scores, y) -> PlattParams:
        y, _ = _binary(y, jnp.zeros(jnp.shape(y)))
        s = check_array(scores, "scores", ndim=1, dtype_kind="f")
        if s.shape[0] != y.shape[0]:
            raise ValueError("scores and y must have the same length")
        n_pos = jnp.sum(y).astype(s.dtype)
        n_neg = y.shape[0] - n_pos
        t = jnp.where(y == 1, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
        scale = jnp.maximum(jnp.max(jnp.abs(s)), 1.0)
        f = s / scale  # conditioning only: the fitted map is the same

        def nll(theta):
            z = theta[0] * f + theta[1]
            return jnp.mean(jax.nn.softplus(z) - t * z)

        grad, hess = jax.grad(nll), jax.hessian(nll)
        steps = 0.5 ** jnp.arange(12, dtype=s.dtype)

        def body(_, theta):
            g = grad(theta)
            d = jnp.linalg.solve(hess(theta) + 1e-10 * jnp.eye(2, dtype=s.dtype), g)
            trial = jax.vmap(lambda st: nll(theta - st * d))(steps)
            ok = trial <= nll(theta)
            step = jnp.where(jnp.any(ok), steps[jnp.argmax(ok)], 0.0)
            return theta - step * d

        prior = jnp.log((n_pos + 1.0) / (n_neg + 1.0))
        theta = jax.lax.fori_loop(0, max_iter, body, jnp.stack([jnp.zeros((), s.dtype), prior]))
        return PlattParams(a=theta[0] / scale, b=theta[1])

    def predict(params: PlattParams, scores) -> jax.Array:
        s = check_array(scores, "scores", ndim=1, dtype_kind="f")
        return jax.nn.sigmoid(params.a * s + params.b)

    return Regressor(fit=fit, predict=predict)


# ------------------------------------------------------------------------ isotonic


@pytree_dataclass
class IsotonicParams:
    """Fitted points: sorted inputs ``x`` and non-decreasing values ``y`` (ties repeat)."""

    x: jax.Array
    y: jax.Array


def _pava(y: jax.Array, w: jax.Array, start: jax.Array) -> jax.Array:
    """Pool adjacent violators: returns the non-decreasing block means for each element.

    ``start`` marks the first element of each initial block (tied inputs share one).
    Every round merges each block whose mean exceeds the next block's mean with it;
    any order of pooling violators reaches the same (unique) isotonic solution.
    """
    n = y.shape[0]

    def block_means(start):
        block = jnp.cumsum(start) - 1
        wsum = jax.ops.segment_sum(w, block, num_segments=n)
        ysum = jax.ops.segment_sum(w * y, block, num_segments=n)
        mean = ysum / jnp.where(wsum > 0, wsum, 1.0)
        return block, mean

    def violations(start):
        block, mean = block_means(start)
        per_elem = mean[block]
        prev = jnp.concatenate([per_elem[:1], per_elem[:-1]])
        return start & (prev > per_elem) & (jnp.arange(n) > 0)

    def cond(start):
        return jnp.any(violations(start))

    def body(start):
        return start & ~violations(start)

    start = jax.lax.while_loop(cond, body, start)
    block, mean = block_means(start)
    return mean[block]


def isotonic_regression(*, increasing: bool = True) -> Regressor:
    """Isotonic regression: ``fit(x, y, sample_weight=None) -> IsotonicParams``,
    ``predict(params, x_new)`` (linear interpolation, clipped outside the data range).

    Equals ``sklearn.isotonic.IsotonicRegression(increasing=..., out_of_bounds="clip")``,
    including tied inputs (pooled first, as scikit-learn does).
    """
    if not isinstance(increasing, bool):
        raise TypeError(f"increasing must be a bool, got {increasing!r}")
    sign = 1.0 if increasing else -1.0

    def fit(x, y, sample_weight=None) -> IsotonicParams:
        x = check_array(x, "x", ndim=1, dtype_kind="f")
        y = check_array(y, "y", ndim=1, dtype_kind="f")
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
        if sample_weight is None:
            w = jnp.ones_like(y)
        else:
            w = check_array(sample_weight, "sample_weight", ndim=1, dtype_kind="f")
            if w.shape != y.shape:
                raise ValueError("sample_weight must have the same length as y")
        order = jnp.argsort(x, stable=True)
        xs, ys, ws = x[order], y[order], w[order]
        start = jnp.concatenate([jnp.ones((1,), bool), xs[1:] != xs[:-1]])
        fitted = sign * _pava(sign * ys, ws, start)
        return IsotonicParams(x=xs, y=fitted)

    def predict(params: IsotonicParams, x_new) -> jax.Array:
        x_new = check_array(x_new, "x_new", ndim=1, dtype_kind="f")
        return jnp.interp(x_new, params.x, params.y)

    return Regressor(fit=fit, predict=predict)


# --------------------------------------------------------------------- temperature


def _nll(logits: jax.Array, labels: jax.Array, inv_t: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(logits * inv_t, axis=1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))


def temperature_scaling(logits: Any, labels: Any, *, bounds: tuple[float, float] = (0.05, 20.0),
                        n_iter: int = 80) -> jax.Array:
    """The temperature T minimising the validation NLL of ``softmax(logits / T)``.

    Golden-section search over ``log T`` in ``log(bounds)`` (the NLL is convex in 1/T,
    hence unimodal in log T). Apply with ``jax.nn.softmax(logits / T)``.
    """
    logits = check_array(logits, "logits", ndim=2, dtype_kind="f")
    labels = check_array(labels, "labels", ndim=1, dtype_kind="i")
    if labels.shape[0] != logits.shape[0]:
        raise ValueError("logits and labels must have the same number of rows")
    k = logits.shape[1]
    if not is_traced(labels) and bool(jnp.any((labels < 0) | (labels >= k))):
        raise ValueError(f"labels must lie in [0, {k})")
    lo, hi = (float(b) for b in bounds)
    if not 0 < lo < hi:
        raise ValueError(f"bounds must satisfy 0 < low < high, got {bounds}")
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    ratio = (np.sqrt(5.0) - 1.0) / 2.0

    def f(log_t):
        return _nll(logits, labels, jnp.exp(-log_t))

    def body(_, ab):
        a, b = ab
        c = b - ratio * (b - a)
        d = a + ratio * (b - a)
        left = f(c) < f(d)
        return jnp.where(left, a, c), jnp.where(left, d, b)

    a, b = jax.lax.fori_loop(0, n_iter, body, (jnp.log(jnp.asarray(lo)), jnp.log(jnp.asarray(hi))))
    return jnp.exp((a + b) / 2)
