r"""Anomaly detection: isolation forest, robust covariance (FastMCD, elliptic envelope),
one-class SVM and autoencoder reconstruction error.

Every detector is an :class:`AnomalyDetector` ``(fit, score_samples, decision_function,
predict)`` with scikit-learn's sign conventions: ``score_samples`` is *higher for more
normal* points, ``decision_function = score_samples - offset`` is negative for outliers,
and ``predict`` returns ``+1`` (inlier) or ``-1`` (outlier). With a ``contamination``
:math:`\in (0, 0.5]` the offset is the ``100·contamination`` percentile of the training
scores, so that fraction of the training set is flagged.

**Isolation forest** (Liu, Ting & Zhou, ICDM 2008). Each of ``n_estimators`` trees is
grown on :math:`\psi` = ``max_samples`` points drawn without replacement: a node picks a
feature uniformly among those that vary in it and a threshold uniformly in
:math:`[\min, \max)` of that feature, until a node holds one point (or only identical
points) or the height limit :math:`\lceil \log_2 \psi \rceil` is reached. Trees are the
flat heap arrays of :mod:`jaxml.classical.trees` (node :math:`k` has children
:math:`2k+1` (``x <= threshold``) and :math:`2k+2`). The path length of :math:`x` in a tree is
the depth :math:`e` of its leaf plus :math:`c(m)` for the :math:`m` training points that
leaf still holds, where

.. math::  c(m) = 2 H(m-1) - \frac{2(m-1)}{m}, \qquad H(k) = \sum_{i=1}^{k} \frac1i,

is the average path length of an unsuccessful search in a binary search tree on
:math:`m` keys (:math:`c(1) = 0`). The anomaly score is
:math:`s(x) = 2^{-\mathbb E[h(x)] / c(\psi)}`; ``score_samples`` returns :math:`-s` and
``contamination="auto"`` uses the paper's offset :math:`-0.5`. Here :math:`H` is exact
(:math:`H(k) = \psi_0(k+1) + \gamma`), where scikit-learn uses :math:`\ln k + \gamma`.

**Minimum covariance determinant** (Rousseeuw & Van Driessen, Technometrics 1999). Among
all subsets of :math:`h = \lceil (n + d + 1)/2 \rceil` points, find the one whose
empirical covariance has the smallest determinant. A *C-step* maps a subset :math:`H`
to the :math:`h` points of smallest Mahalanobis distance
:math:`d^2_i = (x_i - \mu_H)^\top \Sigma_H^{-1} (x_i - \mu_H)`; it never increases
:math:`\det \Sigma_H`. FastMCD (the :math:`n \le 500` scheme of scikit-learn, applied at
every :math:`n`): 30 random :math:`h`-subsets, two C-steps each, the 10 of smallest
determinant iterated to a fixed point (at most 30 steps), the best kept (the *raw*
estimate). The raw covariance is made consistent at the normal model by
:math:`c(\alpha) = \alpha / F_{\chi^2_{d+2}}(q_\alpha)`, :math:`q_\alpha = F^{-1}_{\chi^2_d}(\alpha)`,
:math:`\alpha = h/n` (Croux & Haesbroeck 1999; Pison et al. 2002); then points with
:math:`d^2_i < F^{-1}_{\chi^2_d}(0.975)` are re-weighted in: their mean and covariance
(times :math:`c(0.975)`) are the final estimates. **Elliptic envelope** scores
:math:`-d^2(x)` under those estimates.

**One-class SVM** (Schölkopf et al., Neural Computation 2001), libsvm's scaling:

.. math::  \min_\alpha \tfrac12 \alpha^\top K \alpha \quad\text{s.t.}\quad
           0 \le \alpha_i \le 1,\; \textstyle\sum_i \alpha_i = \nu n,

with :math:`f(x) = \sum_i \alpha_i k(x_i, x) - \rho`. It is solved by the project's SMO
(:func:`jaxml.classical.svm.smo_solve`), which keeps :math:`y^\top\alpha = 0` from
:math:`\alpha = 0`: a slack variable :math:`\alpha_0` with :math:`y_0 = -1`, bound
:math:`\nu n`, zero kernel row and linear term :math:`-M` turns the constraint into
:math:`\sum_i \alpha_i - \alpha_0 = 0`; for :math:`M > \nu n \max|K|` any optimum has
:math:`\alpha_0 = \nu n`, so the other variables solve the problem above. :math:`\rho` is
libsvm's (the mean of :math:`(K\alpha)_i` over free support vectors).

**Autoencoder.** A :class:`jaxml.nn.models.MLP` with a bottleneck (widths
``hidden, bottleneck, reversed(hidden)``) trained by :func:`jaxml.train.make_trainer`
to reconstruct standardised inputs under squared error; the anomaly score is the
reconstruction error :math:`\lVert x - g(f(x)) \rVert^2` (``score_samples`` is its negative).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax
from jax.scipy.special import digamma, gammainc

from jaxml.classical import trees
from jaxml.classical.kernels import pairwise_kernel
from jaxml.classical.svm import _check_kernel_args, resolve_gamma, smo_solve
from jaxml.core import (
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_range,
    check_X,
    pytree_dataclass,
    static_field,
)
from jaxml.math.stats import chi2_ppf
from jaxml.nn.models import MLP
from jaxml.train import make_trainer

__all__ = [
    "AnomalyDetector",
    "AutoencoderParams",
    "CovarianceEstimator",
    "IsolationForestParams",
    "MCDEstimate",
    "MCDParams",
    "OneClassSVMParams",
    "autoencoder_detector",
    "average_path_length",
    "c_steps",
    "elliptic_envelope",
    "grow_isolation_tree",
    "isolation_forest",
    "isolation_path_length",
    "mahalanobis",
    "mcd_consistency_factor",
    "min_cov_det",
    "one_class_svm",
]


class AnomalyDetector(NamedTuple):
    """``fit(...) -> params``; ``score_samples(params, X)`` (higher = more normal);
    ``decision_function(params, X) = score_samples - offset`` (negative = outlier);
    ``predict(params, X)`` in ``{+1, -1}``."""

    fit: Callable[..., Any]
    score_samples: Callable[..., Any]
    decision_function: Callable[..., Any]
    predict: Callable[..., Any]


class CovarianceEstimator(NamedTuple):
    """``fit(key, X) -> params``; ``mahalanobis(params, X)`` squared distances."""

    fit: Callable[..., Any]
    mahalanobis: Callable[..., Any]


# --------------------------------------------------------------------------- helpers


def _check_contamination(contamination: Any, allow_auto: bool) -> None:
    if isinstance(contamination, str):
        if not allow_auto:
            raise ValueError(f"contamination must be a number in (0, 0.5], got {contamination!r}")
        check_option(contamination, "contamination", ("auto",))
        return
    check_range(contamination, "contamination", low=0.0, high=0.5, low_open=True)


def _offset(train_scores: jax.Array, contamination: Any) -> jax.Array:
    """The ``100·contamination`` percentile of the training scores (linear interpolation)."""
    return jnp.percentile(train_scores, 100.0 * contamination)


def _predict_from(decision: jax.Array) -> jax.Array:
    return jnp.where(decision >= 0, 1, -1).astype(jnp.int32)


def _detector(fit, score_samples) -> AnomalyDetector:
    def decision_function(params, X):
        return score_samples(params, X) - params.offset

    def predict(params, X):
        return _predict_from(decision_function(params, X))

    return AnomalyDetector(fit, score_samples, decision_function, predict)


# --------------------------------------------------------------------------- isolation forest


def average_path_length(m: Any) -> jax.Array:
    """:math:`c(m) = 2H(m-1) - 2(m-1)/m` for :math:`m \\ge 1` (0 for :math:`m \\le 1`)."""
    m = jnp.asarray(m, jnp.result_type(float))
    safe = jnp.maximum(m, 1.0)
    harmonic = digamma(safe) + np.euler_gamma  # H(m - 1)
    return jnp.where(m > 1, 2.0 * harmonic - 2.0 * (safe - 1.0) / safe, 0.0)


def _node_levels(height: int) -> jax.Array:
    """Depth of each heap node ``k``: ``floor(log2(k + 1))``."""
    n_nodes = 2 ** (height + 1) - 1
    return jnp.asarray(np.floor(np.log2(np.arange(n_nodes) + 1)).astype(np.int32))


def grow_isolation_tree(key: jax.Array, X: jax.Array, height: int) -> trees.Tree:
    """One isolation tree on all rows of ``X`` (the subsample), height limit ``height``.

    Returns a :class:`jaxml.classical.trees.Tree` of depth ``height`` whose
    ``n_node_samples`` counts the training points in each node (``value`` and
    ``impurity`` are unused zeros).
    """
    m, d = X.shape
    n_nodes = 2 ** (height + 1) - 1
    levels = _node_levels(height)

    def grow_level(t, carry):
        node, feature, threshold, is_leaf, counts = carry
        k_feat, k_thr = jax.random.split(jax.random.fold_in(key, t))
        count = jax.ops.segment_sum(jnp.ones(m, jnp.int32), node, num_segments=n_nodes)
        lo = jax.ops.segment_min(X, node, num_segments=n_nodes)
        hi = jax.ops.segment_max(X, node, num_segments=n_nodes)
        varies = (hi - lo) > trees.FEATURE_THRESHOLD
        at_level = levels == t
        split = at_level & jnp.any(varies, axis=1) & (t < height)
        pick = jnp.argmax(jnp.where(varies, jax.random.uniform(k_feat, (n_nodes, d)), -1.0),
                          axis=1).astype(jnp.int32)
        lo_f = jnp.take_along_axis(lo, pick[:, None], axis=1)[:, 0]
        hi_f = jnp.take_along_axis(hi, pick[:, None], axis=1)[:, 0]
        thr = lo_f + jax.random.uniform(k_thr, (n_nodes,), X.dtype) * (hi_f - lo_f)
        thr = jnp.where(split & (thr < hi_f), thr, jnp.where(split, lo_f, 0.0))
        feature = jnp.where(at_level, jnp.where(split, pick, -1), feature)
        threshold = jnp.where(at_level, thr, threshold)
        is_leaf = jnp.where(at_level, ~split & (count > 0), is_leaf)
        counts = jnp.where(at_level, count, counts)
        x_at = jnp.take_along_axis(X, jnp.maximum(feature[node], 0)[:, None], axis=1)[:, 0]
        child = 2 * node + 1 + (x_at > threshold[node]).astype(jnp.int32)
        node = jnp.where(split[node], child, node)
        return node, feature, threshold, is_leaf, counts

    init = (jnp.zeros(m, jnp.int32), jnp.full(n_nodes, -1, jnp.int32),
            jnp.zeros(n_nodes, X.dtype), jnp.zeros(n_nodes, bool), jnp.zeros(n_nodes, jnp.int32))
    _, feature, threshold, is_leaf, counts = lax.fori_loop(0, height + 1, grow_level, init)
    zeros = jnp.zeros(n_nodes, X.dtype)
    return trees.Tree(feature=feature, threshold=threshold, value=zeros[:, None],
                      impurity=zeros, n_node_samples=counts,
                      weighted_n_node_samples=counts.astype(X.dtype), is_leaf=is_leaf,
                      n_features=d)


def isolation_path_length(tree: trees.Tree, X: jax.Array) -> jax.Array:
    """:math:`h(x) = e(x) + c(m_{\\text{leaf}})` for every row of ``X`` (one tree)."""
    leaf = trees.apply(tree, X)
    levels = _node_levels(trees.tree_depth(tree))
    return levels[leaf].astype(X.dtype) + average_path_length(tree.n_node_samples[leaf])


@pytree_dataclass
class IsolationForestParams:
    """Stacked isolation trees (leading axis ``n_estimators``), the subsample size and
    the decision offset."""

    trees: trees.Tree
    offset: jax.Array
    max_samples: int = static_field(default=256)


def isolation_forest(n_estimators: int = 100, max_samples: Any = "auto", *,
                     contamination: Any = "auto") -> AnomalyDetector:
    """Isolation forest (scikit-learn's ``IsolationForest``); ``fit(key, X)``.

    Args:
      n_estimators: number of trees (static).
      max_samples: subsample size :math:`\\psi` per tree (static int ``<= n``), or
        ``"auto"`` (the default, scikit-learn's) for ``min(256, n)``.
      contamination: ``"auto"`` (offset -0.5) or the expected outlier fraction in
        ``(0, 0.5]`` (traced).
    """
    n_estimators = check_int(n_estimators, "n_estimators", minimum=1)
    if isinstance(max_samples, str):
        check_option(max_samples, "max_samples", ("auto",))
    else:
        check_int(max_samples, "max_samples", minimum=2)
    _check_contamination(contamination, allow_auto=True)

    def mean_path(params: IsolationForestParams, X):
        return jnp.mean(jax.vmap(isolation_path_length, in_axes=(0, None))(params.trees, X), 0)

    def score_samples(params: IsolationForestParams, X: Any) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.trees.n_features)
        c_psi = average_path_length(params.max_samples)
        return -jnp.exp2(-mean_path(params, X) / c_psi)

    def fit(key: jax.Array, X: Any) -> IsolationForestParams:
        X = check_X(X)
        n = X.shape[0]
        psi = min(256, n) if max_samples == "auto" else max_samples
        if psi > n:
            raise ValueError(f"max_samples ({psi}) must not exceed the number of samples "
                             f"({n}); pass max_samples='auto' for min(256, n)")
        if psi < 2:
            raise ValueError(f"X must have at least 2 samples, got {n}")
        height = int(np.ceil(np.log2(psi)))

        def one_tree(k):
            k_rows, k_grow = jax.random.split(k)
            rows = jax.random.choice(k_rows, n, (psi,), replace=False)
            return grow_isolation_tree(k_grow, X[rows], height)

        forest = jax.vmap(one_tree)(jax.random.split(key, n_estimators))
        params = IsolationForestParams(forest, jnp.zeros((), X.dtype), psi)
        if isinstance(contamination, str):
            offset = jnp.asarray(-0.5, X.dtype)
        else:
            offset = _offset(score_samples(params, X), contamination)
        return params.replace(offset=offset)

    return _detector(fit, score_samples)


# --------------------------------------------------------------------------- robust covariance


@pytree_dataclass
class MCDEstimate:
    """Location, covariance, log-determinant and support mask of an :math:`h`-subset,
    with the squared Mahalanobis distances of all points under that estimate."""

    location: jax.Array
    covariance: jax.Array
    logdet: jax.Array
    support: jax.Array
    dist: jax.Array


def _mahalanobis_sq(X: jax.Array, location: jax.Array, covariance: jax.Array) -> jax.Array:
    """:math:`(x - \\mu)^\\top \\Sigma^{+} (x - \\mu)` per row (pseudo-inverse, as ``pinvh``)."""
    precision = jnp.linalg.pinv(covariance, hermitian=True)
    centred = X - location
    return jnp.sum((centred @ precision) * centred, axis=1)


def _subset_estimate(X: jax.Array, support: jax.Array) -> MCDEstimate:
    w = support.astype(X.dtype)
    location = (w @ X) / jnp.sum(w)
    centred = X - location
    covariance = (centred * w[:, None]).T @ centred / jnp.sum(w)
    logdet = jnp.linalg.slogdet(covariance)[1]
    return MCDEstimate(location, covariance, logdet, support,
                       _mahalanobis_sq(X, location, covariance))


def _smallest(dist: jax.Array, h: int) -> jax.Array:
    """Mask of the ``h`` smallest entries."""
    ranks = jnp.argsort(jnp.argsort(dist))
    return ranks < h


def c_steps(X: jax.Array, support: jax.Array, h: int, n_steps: int) -> MCDEstimate:
    """Up to ``n_steps`` C-steps from the subset ``support`` (a boolean mask of ``h``
    points), stopping early at a fixed point; returns the estimate of the last subset."""

    def cond(carry):
        _, changed, i = carry
        return changed & (i < n_steps)

    def body(carry):
        est, _, i = carry
        new = _subset_estimate(X, _smallest(est.dist, h))
        return new, jnp.any(new.support != est.support), i + 1

    start = _subset_estimate(X, support)
    est, _, _ = lax.while_loop(cond, body, (start, jnp.asarray(True), jnp.asarray(0)))
    return est


def mcd_consistency_factor(alpha: Any, d: int) -> jax.Array:
    """:math:`c(\\alpha) = \\alpha / F_{\\chi^2_{d+2}}(F^{-1}_{\\chi^2_d}(\\alpha))`."""
    alpha = jnp.asarray(alpha, jnp.result_type(float))
    q = chi2_ppf(alpha, float(d))
    return alpha / gammainc(0.5 * (d + 2), 0.5 * q)


def _support_size(support_fraction: Any, n: int, d: int) -> int:
    if support_fraction is None:
        h = min(int(np.ceil(0.5 * (n + d + 1))), n)
    else:
        h = int(support_fraction * n)
    if h < d + 1:
        raise ValueError(f"the support ({h} points) must exceed the number of features ({d}): "
                         "X needs more samples, or support_fraction must be larger")
    return h


@pytree_dataclass
class MCDParams:
    """Fitted MCD: re-weighted ``location``/``covariance`` (and ``precision``), the raw
    estimate (before the consistency factor, as scikit-learn's ``raw_covariance_``),
    both supports, training distances ``dist`` under
    the final estimate and a decision ``offset`` (elliptic envelope)."""

    location: jax.Array
    covariance: jax.Array
    precision: jax.Array
    raw_location: jax.Array
    raw_covariance: jax.Array
    raw_support: jax.Array
    support: jax.Array
    dist: jax.Array
    offset: jax.Array


def _fit_mcd(key, X, support_fraction, n_trials, n_best) -> MCDParams:
    n, d = X.shape
    h = _support_size(support_fraction, n, d)
    starts = jax.vmap(lambda k: _smallest(jax.random.uniform(k, (n,)), h))(
        jax.random.split(key, n_trials))
    short = jax.vmap(lambda s: c_steps(X, s, h, 2))(starts)
    _, best = lax.top_k(-short.logdet, n_best)
    full = jax.vmap(lambda s: c_steps(X, s, h, 30))(short.support[best])
    raw = jax.tree.map(lambda a: a[jnp.argmin(full.logdet)], full)

    raw_dist = raw.dist / mcd_consistency_factor(h / n, d)
    keep = raw_dist < chi2_ppf(jnp.asarray(0.975, X.dtype), float(d))
    final = _subset_estimate(X, keep)
    covariance = final.covariance * mcd_consistency_factor(0.975, d)
    precision = jnp.linalg.pinv(covariance, hermitian=True)
    dist = _mahalanobis_sq(X, final.location, covariance)
    return MCDParams(final.location, covariance, precision, raw.location, raw.covariance,
                     raw.support, keep, dist, jnp.zeros((), X.dtype))


def _check_mcd_args(support_fraction, n_trials, n_best):
    if support_fraction is not None:
        check_range(support_fraction, "support_fraction", low=0.0, high=1.0, low_open=True)
    check_int(n_trials, "n_trials", minimum=1)
    check_int(n_best, "n_best", minimum=1)
    if n_best > n_trials:
        raise ValueError(f"n_best ({n_best}) must not exceed n_trials ({n_trials})")


def mahalanobis(params: MCDParams, X: Any) -> jax.Array:
    """Squared Mahalanobis distances of the rows of ``X`` under the fitted estimate."""
    X = check_X(X)
    check_n_features(X, params.location.shape[0])
    centred = X - params.location
    return jnp.sum((centred @ params.precision) * centred, axis=1)


def min_cov_det(support_fraction: Any = None, *, n_trials: int = 30,
                n_best: int = 10) -> CovarianceEstimator:
    """FastMCD robust location and covariance (scikit-learn's ``MinCovDet``); ``fit(key, X)``.

    Args:
      support_fraction: :math:`h/n`; ``None`` for :math:`\\lceil (n+d+1)/2 \\rceil`.
      n_trials: random initial subsets (static).
      n_best: subsets iterated to convergence (static).
    """
    _check_mcd_args(support_fraction, n_trials, n_best)

    def fit(key: jax.Array, X: Any) -> MCDParams:
        return _fit_mcd(key, check_X(X), support_fraction, n_trials, n_best)

    return CovarianceEstimator(fit, mahalanobis)


def elliptic_envelope(contamination: Any = 0.1, *, support_fraction: Any = None,
                      n_trials: int = 30, n_best: int = 10) -> AnomalyDetector:
    """Outliers as points far from the MCD ellipse (scikit-learn's ``EllipticEnvelope``):
    ``score_samples = -d^2(x)``, offset the ``contamination`` percentile on the training set."""
    _check_contamination(contamination, allow_auto=False)
    _check_mcd_args(support_fraction, n_trials, n_best)

    def fit(key: jax.Array, X: Any) -> MCDParams:
        params = _fit_mcd(key, check_X(X), support_fraction, n_trials, n_best)
        return params.replace(offset=_offset(-params.dist, contamination))

    def score_samples(params: MCDParams, X: Any) -> jax.Array:
        return -mahalanobis(params, X)

    return _detector(fit, score_samples)


# --------------------------------------------------------------------------- one-class SVM


@pytree_dataclass
class OneClassSVMParams:
    """``f(x) = sum_i dual_coef_i k(x_i, x) - offset`` (``offset`` is libsvm's rho)."""

    X_fit: jax.Array
    dual_coef: jax.Array
    offset: jax.Array
    gamma: jax.Array
    coef0: jax.Array
    n_iter: jax.Array


def one_class_svm(nu: Any = 0.5, *, kernel: str = "rbf", gamma: Any = "scale",
                  degree: int = 3, coef0: Any = 0.0, tol: Any = 1e-3,
                  max_iter: int = 100_000) -> AnomalyDetector:
    """ν-one-class SVM (scikit-learn's ``OneClassSVM``) by SMO; ``fit(X)``.

    ``nu`` in ``(0, 1]`` bounds the fraction of training outliers from above and of
    support vectors from below (traced). ``score_samples`` is
    :math:`\\sum_i \\alpha_i k(x_i, x)`, ``decision_function`` subtracts :math:`\\rho`.
    """
    _check_kernel_args(kernel, gamma, degree, coef0, 1.0, tol, max_iter)
    check_range(nu, "nu", low=0.0, high=1.0, low_open=True)

    def gram(X, Z, g, c0):
        return pairwise_kernel(X, Z, kernel=kernel, gamma=g, degree=degree, coef0=c0)

    def fit(X: Any) -> OneClassSVMParams:
        X = check_X(X)
        n = X.shape[0]
        g = resolve_gamma(gamma, X)
        c0 = jnp.asarray(coef0, X.dtype)
        K = gram(X, None, g, c0)
        total = nu * n
        big = 1.0 + total * jnp.max(jnp.abs(K))
        K_aug = jnp.zeros((n + 1, n + 1), X.dtype).at[:n, :n].set(K)
        y = jnp.concatenate([jnp.ones(n, X.dtype), -jnp.ones(1, X.dtype)])
        p = jnp.concatenate([jnp.zeros(n, X.dtype), -big[None]])
        upper = jnp.concatenate([jnp.ones(n, X.dtype), jnp.asarray(total, X.dtype)[None]])
        res = smo_solve(lambda t: K_aug[t], jnp.diagonal(K_aug), y, p, upper,
                        tol=tol, max_iter=max_iter)
        return OneClassSVMParams(X, res.alpha[:n], res.rho, g, c0, res.n_iter)

    def score_samples(params: OneClassSVMParams, X: Any) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.X_fit.shape[1])
        return gram(X, params.X_fit, params.gamma, params.coef0) @ params.dual_coef

    return _detector(fit, score_samples)


# --------------------------------------------------------------------------- autoencoder


@pytree_dataclass
class AutoencoderParams:
    """Trained autoencoder weights, the standardisation and the decision offset."""

    params: Any
    mean: jax.Array
    scale: jax.Array
    offset: jax.Array
    train_loss: jax.Array


def autoencoder_detector(hidden: tuple[int, ...] = (32,), bottleneck: int = 2, *,
                         epochs: int = 100, batch_size: int = 32, learning_rate: Any = 1e-2,
                         contamination: Any = 0.1) -> AnomalyDetector:
    """Reconstruction-error anomaly detector; ``fit(key, X)``.

    Args:
      hidden: encoder widths (the decoder mirrors them) (static).
      bottleneck: code size (static).
      epochs, batch_size: the training budget (static).
      learning_rate: Adam step size (traced).
      contamination: outlier fraction in ``(0, 0.5]`` that sets the offset (traced).
    """
    hidden = tuple(check_int(w, "hidden", minimum=1) for w in hidden)
    bottleneck = check_int(bottleneck, "bottleneck", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_positive(learning_rate, "learning_rate")
    _check_contamination(contamination, allow_auto=False)

    def model_for(d: int) -> MLP:
        return MLP(features=(*hidden, bottleneck, *reversed(hidden)), num_outputs=d,
                   activation=nn.tanh)

    def reconstruction_error(params: AutoencoderParams, X):
        Z = (X - params.mean) / params.scale
        out = model_for(X.shape[1]).apply({"params": params.params}, Z, train=False)
        return jnp.sum(jnp.square(out - Z), axis=1)

    def score_samples(params: AutoencoderParams, X: Any) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.mean.shape[0])
        return -reconstruction_error(params, X)

    def fit(key: jax.Array, X: Any) -> AutoencoderParams:
        X = check_X(X)
        n, d = X.shape
        if batch_size > n:
            raise ValueError(f"batch_size ({batch_size}) exceeds the number of samples ({n})")
        mean = jnp.mean(X, axis=0)
        std = jnp.std(X, axis=0)
        scale = jnp.where(std > 0, std, 1.0)
        Z = (X - mean) / scale
        trainer = make_trainer(model_for(d), optax.adam(learning_rate), batch_size=batch_size,
                               task="regression")
        state = trainer.init(key, Z[:1])
        state, history = trainer.run_epochs(state, (Z, Z), (Z, Z), epochs)
        params = AutoencoderParams(state.params, mean, scale, jnp.zeros((), X.dtype),
                                   history["train_loss"])
        return params.replace(offset=_offset(-reconstruction_error(params, X), contamination))

    return _detector(fit, score_samples)
