"""Preprocessing: scaling, transforms, encodings, feature selection, imbalance handling.

Transformers follow :class:`jaxml.core.Transformer`: a factory returns
``Transformer(fit, transform, inverse_transform)`` and ``fit(X) -> params`` is a pytree.

Scaling (per feature j):

* standard: :math:`z = (x - \\mu_j)/\\sigma_j` (population std; a constant column keeps
  scale 1, as scikit-learn);
* min-max: :math:`z = a + (b-a)(x - \\min_j)/(\\max_j - \\min_j)`;
* robust: :math:`z = (x - \\mathrm{median}_j)/(Q_{75,j} - Q_{25,j})`.

Transforms: ``log1p`` and Box–Cox (Box & Cox 1964)
:math:`x^{(\\lambda)} = (x^\\lambda - 1)/\\lambda` (:math:`\\log x` at 0) with λ fitted per
feature by maximising the profile log-likelihood
:math:`\\ell(\\lambda) = -\\tfrac n2 \\log \\hat\\sigma^2(x^{(\\lambda)}) + (\\lambda-1)\\sum\\log x`
(golden-section search, so it is jittable).

Encodings: one-hot for integer codes; target encoding (Micci-Barreca 2001) replaces
category c by :math:`(\\sum_{i:x_i=c} y_i + m\\bar y)/(n_c + m)` — shrinkage of the
category mean towards the global mean with smoothing m.

Feature selection: χ² between non-negative features and classes (observed class
totals :math:`O_{kj} = \\sum_{i:y_i=k} x_{ij}` vs :math:`E_{kj} = p_k\\sum_i x_{ij}`,
p-value from χ² with K−1 degrees of freedom); mutual information of discrete features
:math:`I(X;Y) = \\sum p(x,y)\\log\\frac{p(x,y)}{p(x)p(y)}`; recursive feature elimination
(Guyon et al. 2002) with a ridge model, dropping the smallest \\|coef\\| each round;
L1 (lasso) selection. Multicollinearity diagnostics (variance inflation factors) are
:func:`jaxml.math.stats.vif`.

Imbalance: "balanced" class weights :math:`n/(K n_k)`; random over-/under-sampling;
SMOTE (Chawla et al. 2002): a synthetic point :math:`x + u(x_{nn} - x)`, u ~ U(0,1),
on the segment to one of x's k nearest same-class neighbours; focal loss (Lin et al.
2017) :math:`-\\alpha_t(1-p_t)^\\gamma\\log p_t`; threshold moving (pick the decision
threshold that maximises F1 or Youden's J on validation scores).

Resamplers need a static output size: they return ``n_per_class`` rows per class
(default: the majority count for over-sampling, the minority count for
under-sampling, computed from concrete labels), grouped by class.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaincc

from jaxml.classical.linear import lasso, ridge
from jaxml.core import (
    Transformer,
    as_key,
    check_array,
    check_bool,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    is_traced,
    pytree_dataclass,
)

__all__ = [
    "ScalerParams",
    "standard_scaler",
    "min_max_scaler",
    "robust_scaler",
    "log1p_transformer",
    "box_cox",
    "box_cox_inverse",
    "box_cox_transformer",
    "one_hot",
    "one_hot_encoder",
    "target_encoder",
    "chi2",
    "mutual_info_discrete",
    "select_k_best",
    "rfe",
    "l1_selection",
    "compute_class_weight",
    "random_oversample",
    "random_undersample",
    "smote",
    "focal_loss",
    "best_threshold",
]


# ---------------------------------------------------------------------------- scaling


@pytree_dataclass
class ScalerParams:
    """An affine per-feature map ``z = (x - offset) / scale``."""

    offset: jax.Array
    scale: jax.Array


def _fix_scale(scale: jax.Array) -> jax.Array:
    """Near-zero scales (constant features) become 1, as scikit-learn does."""
    return jnp.where(scale < 10 * jnp.finfo(scale.dtype).eps, 1.0, scale)


def _affine_transformer(fit_fn) -> Transformer:
    def fit(X) -> ScalerParams:
        return fit_fn(check_X(X))

    def transform(params: ScalerParams, X) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.scale.shape[0])
        return (X - params.offset[None, :]) / params.scale[None, :]

    def inverse_transform(params: ScalerParams, Z) -> jax.Array:
        Z = check_X(Z, "Z")
        check_n_features(Z, params.scale.shape[0], "Z")
        return Z * params.scale[None, :] + params.offset[None, :]

    return Transformer(fit=fit, transform=transform, inverse_transform=inverse_transform)


def standard_scaler(*, with_mean: bool = True, with_std: bool = True) -> Transformer:
    """Standardise features to zero mean and unit (population) variance."""
    with_mean = check_bool(with_mean, "with_mean")
    with_std = check_bool(with_std, "with_std")

    def fit_fn(X):
        mean = jnp.mean(X, axis=0)
        std = _fix_scale(jnp.std(X, axis=0))
        return ScalerParams(
            offset=mean if with_mean else jnp.zeros_like(mean),
            scale=std if with_std else jnp.ones_like(std),
        )

    return _affine_transformer(fit_fn)


def min_max_scaler(*, feature_range: tuple[float, float] = (0.0, 1.0)) -> Transformer:
    """Map each feature's training range onto ``feature_range``."""
    lo, hi = (float(v) for v in feature_range)
    if not lo < hi:
        raise ValueError(f"feature_range must be (min, max) with min < max, got {feature_range}")

    def fit_fn(X):
        x_min, x_max = jnp.min(X, axis=0), jnp.max(X, axis=0)
        width = _fix_scale(x_max - x_min) / (hi - lo)
        return ScalerParams(offset=x_min - lo * width, scale=width)

    return _affine_transformer(fit_fn)


def robust_scaler(
    *,
    with_centering: bool = True,
    with_scaling: bool = True,
    quantile_range: tuple[float, float] = (25.0, 75.0),
) -> Transformer:
    """Centre by the median and scale by the inter-quantile range (outlier-robust)."""
    with_centering = check_bool(with_centering, "with_centering")
    with_scaling = check_bool(with_scaling, "with_scaling")
    q_lo, q_hi = (float(v) for v in quantile_range)
    if not 0.0 <= q_lo < q_hi <= 100.0:
        raise ValueError(f"quantile_range must satisfy 0 <= low < high <= 100, got {quantile_range}")

    def fit_fn(X):
        median = jnp.median(X, axis=0)
        lo, hi = jnp.percentile(X, jnp.asarray([q_lo, q_hi]), axis=0)
        iqr = _fix_scale(hi - lo)
        return ScalerParams(
            offset=median if with_centering else jnp.zeros_like(median),
            scale=iqr if with_scaling else jnp.ones_like(iqr),
        )

    return _affine_transformer(fit_fn)


# ------------------------------------------------------------------------- transforms


def log1p_transformer() -> Transformer:
    """``z = log(1 + x)`` (inverse ``expm1``) for non-negative, right-skewed features.

    ``fit`` only checks the input and returns an empty params dict.
    """

    def _check_domain(X, name):
        X = check_X(X, name)
        if not is_traced(X) and bool(jnp.any(X <= -1)):
            raise ValueError(f"{name} must be > -1 for log1p")
        return X

    def fit(X) -> dict:
        _check_domain(X, "X")
        return {}

    def transform(params: dict, X) -> jax.Array:
        return jnp.log1p(_check_domain(X, "X"))

    def inverse_transform(params: dict, Z) -> jax.Array:
        return jnp.expm1(check_X(Z, "Z"))

    return Transformer(fit=fit, transform=transform, inverse_transform=inverse_transform)


def box_cox(x: jax.Array, lmbda: jax.Array) -> jax.Array:
    """Box–Cox transform of positive ``x``, stable near ``lmbda = 0``."""
    log_x = jnp.log(x)
    small = jnp.abs(lmbda) < 1e-8
    safe = jnp.where(small, 1.0, lmbda)
    return jnp.where(small, log_x, jnp.expm1(safe * log_x) / safe)


def box_cox_inverse(z: jax.Array, lmbda: jax.Array) -> jax.Array:
    """Inverse of :func:`box_cox`: :math:`(\\lambda z + 1)^{1/\\lambda}` or :math:`e^z`."""
    small = jnp.abs(lmbda) < 1e-8
    safe = jnp.where(small, 1.0, lmbda)
    return jnp.where(small, jnp.exp(z), jnp.exp(jnp.log1p(safe * z) / safe))


def _box_cox_llf(lmbda: jax.Array, x: jax.Array) -> jax.Array:
    z = box_cox(x, lmbda)
    n = x.shape[0]
    return -0.5 * n * jnp.log(jnp.var(z)) + (lmbda - 1.0) * jnp.sum(jnp.log(x))


def _golden_max(f, lo: float, hi: float, n_iter: int) -> jax.Array:
    """Maximise a unimodal scalar function on ``[lo, hi]`` by golden-section search."""
    ratio = (np.sqrt(5.0) - 1.0) / 2.0

    def body(_, ab):
        a, b = ab
        c = b - ratio * (b - a)
        d = a + ratio * (b - a)
        keep_left = f(c) > f(d)
        return jnp.where(keep_left, a, c), jnp.where(keep_left, d, b)

    a, b = jax.lax.fori_loop(0, n_iter, body, (jnp.asarray(lo), jnp.asarray(hi)))
    return (a + b) / 2


@pytree_dataclass
class BoxCoxParams:
    """Fitted per-feature Box–Cox exponents ``lmbda`` ``(d,)``."""

    lmbda: jax.Array


def box_cox_transformer(*, bounds: tuple[float, float] = (-5.0, 5.0), n_iter: int = 60) -> Transformer:
    """Box–Cox with the maximum-likelihood λ per feature (``scipy.stats.boxcox``'s MLE).

    Args:
      bounds: search interval for λ.
      n_iter: golden-section iterations (interval shrinks by 0.618 each).
    """
    lo, hi = (float(v) for v in bounds)
    if not lo < hi:
        raise ValueError(f"bounds must be (low, high) with low < high, got {bounds}")
    n_iter = check_int(n_iter, "n_iter", minimum=1)

    def _positive(X, name):
        X = check_X(X, name)
        if not is_traced(X) and bool(jnp.any(X <= 0)):
            raise ValueError(f"{name} must be strictly positive for Box-Cox")
        return X

    def fit(X) -> BoxCoxParams:
        X = _positive(X, "X")
        lm = jax.vmap(lambda col: _golden_max(lambda l: _box_cox_llf(l, col), lo, hi, n_iter))(X.T)
        return BoxCoxParams(lmbda=lm)

    def transform(params: BoxCoxParams, X) -> jax.Array:
        X = _positive(X, "X")
        check_n_features(X, params.lmbda.shape[0])
        return box_cox(X, params.lmbda[None, :])

    def inverse_transform(params: BoxCoxParams, Z) -> jax.Array:
        Z = check_X(Z, "Z")
        check_n_features(Z, params.lmbda.shape[0], "Z")
        return box_cox_inverse(Z, params.lmbda[None, :])

    return Transformer(fit=fit, transform=transform, inverse_transform=inverse_transform)


# -------------------------------------------------------------------------- encodings


def _codes(X: Any, name: str, n_categories: tuple[int, ...]) -> jax.Array:
    X = check_array(X, name, ndim=2, dtype_kind="i")
    if X.shape[1] != len(n_categories):
        raise ValueError(f"{name} has {X.shape[1]} columns but n_categories has {len(n_categories)}")
    if not is_traced(X):
        bad = [j for j, k in enumerate(n_categories) if bool(jnp.any((X[:, j] < 0) | (X[:, j] >= k)))]
        if bad:
            raise ValueError(f"{name} column(s) {bad} hold codes outside [0, n_categories)")
    return X


def _n_categories(n_categories: Any) -> tuple[int, ...]:
    if isinstance(n_categories, (int, np.integer)):
        n_categories = (n_categories,)
    return tuple(check_int(k, "n_categories", minimum=1) for k in n_categories)


def one_hot(codes: Any, n_categories: int) -> jax.Array:
    """``(n,)`` integer codes -> ``(n, n_categories)`` float indicator matrix."""
    n_categories = check_int(n_categories, "n_categories", minimum=1)
    codes = check_array(codes, "codes", ndim=1, dtype_kind="i")
    if not is_traced(codes) and bool(jnp.any((codes < 0) | (codes >= n_categories))):
        raise ValueError(f"codes must lie in [0, {n_categories})")
    return jax.nn.one_hot(codes, n_categories)


def one_hot_encoder(n_categories: Any) -> Transformer:
    """One-hot encode each column of an integer code matrix; columns concatenated.

    ``n_categories`` (static, one per column) fixes the output width
    ``sum(n_categories)``; ``inverse_transform`` takes the arg-max per block.
    """
    cats = _n_categories(n_categories)
    starts = np.concatenate([[0], np.cumsum(cats)])

    def fit(X) -> dict:
        _codes(X, "X", cats)
        return {}

    def transform(params: dict, X) -> jax.Array:
        X = _codes(X, "X", cats)
        return jnp.concatenate([jax.nn.one_hot(X[:, j], k) for j, k in enumerate(cats)], axis=1)

    def inverse_transform(params: dict, Z) -> jax.Array:
        Z = check_X(Z, "Z")
        check_n_features(Z, int(starts[-1]), "Z")
        cols = [jnp.argmax(Z[:, starts[j]:starts[j + 1]], axis=1) for j in range(len(cats))]
        return jnp.stack(cols, axis=1).astype(jnp.int32)

    return Transformer(fit=fit, transform=transform, inverse_transform=inverse_transform)


@pytree_dataclass
class TargetEncoderParams:
    """``encodings[j]``: ``(n_categories[j],)`` encoded values; ``target_mean``: ȳ."""

    encodings: tuple
    target_mean: jax.Array


def target_encoder(n_categories: Any, *, smooth: float = 1.0) -> Transformer:
    """Replace category codes by the smoothed mean target of their category.

    ``fit(X_codes, y)``; ``transform(params, X_codes) -> (n, d)`` floats. Equals
    ``sklearn.preprocessing.TargetEncoder(smooth=m, target_type="continuous")
    .fit(X, y).transform(X)`` (scikit-learn's ``fit_transform`` additionally
    cross-fits; do that with :mod:`jaxml.classical.model_selection` folds). ``smooth``
    may be traced.
    """
    cats = _n_categories(n_categories)
    check_positive(smooth, "smooth", strict=False)

    def fit(X, y) -> TargetEncoderParams:
        X = _codes(X, "X", cats)
        y = check_array(y, "y", ndim=1, dtype_kind="f")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}")
        mean = jnp.mean(y)
        enc = []
        for j, k in enumerate(cats):
            sums = jax.ops.segment_sum(y, X[:, j], num_segments=k)
            counts = jax.ops.segment_sum(jnp.ones_like(y), X[:, j], num_segments=k)
            enc.append((sums + smooth * mean) / (counts + smooth))
        return TargetEncoderParams(encodings=tuple(enc), target_mean=mean)

    def transform(params: TargetEncoderParams, X) -> jax.Array:
        X = _codes(X, "X", cats)
        return jnp.stack([params.encodings[j][X[:, j]] for j in range(len(cats))], axis=1)

    return Transformer(fit=fit, transform=transform)


# -------------------------------------------------------------------- feature selection


def _class_codes(y: Any, n_classes: int | None, name: str = "y") -> tuple[jax.Array, int]:
    y = check_array(y, name, ndim=1, dtype_kind="i")
    if n_classes is None:
        if is_traced(y):
            raise ValueError("n_classes must be given when y is traced (inside jit/vmap)")
        n_classes = int(jnp.max(y)) + 1
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    if not is_traced(y) and bool(jnp.any((y < 0) | (y >= n_classes))):
        raise ValueError(f"{name} must hold class codes in [0, {n_classes})")
    return y, n_classes


def chi2(X: Any, y: Any, *, n_classes: int | None = None) -> tuple[jax.Array, jax.Array]:
    """χ² statistic and p-value of each non-negative feature against the classes.

    Equals ``sklearn.feature_selection.chi2`` (features as counts or frequencies).
    """
    X = check_X(X)
    if not is_traced(X) and bool(jnp.any(X < 0)):
        raise ValueError("X must be non-negative for chi2")
    y, k = _class_codes(y, n_classes)
    if y.shape[0] != X.shape[0]:
        raise ValueError("X and y must have the same number of rows")
    Y = jax.nn.one_hot(y, k, dtype=X.dtype)
    observed = Y.T @ X
    class_prob = jnp.mean(Y, axis=0)
    expected = class_prob[:, None] * jnp.sum(X, axis=0)[None, :]
    stat = jnp.sum(_safe_ratio((observed - expected) ** 2, expected), axis=0)
    n_present = jnp.sum(class_prob > 0)
    pval = gammaincc((n_present - 1) / 2.0, stat / 2.0)
    return stat, pval


def _safe_ratio(a: jax.Array, b: jax.Array) -> jax.Array:
    ok = b != 0
    return jnp.where(ok, a / jnp.where(ok, b, 1.0), 0.0)


def mutual_info_discrete(
    X: Any, y: Any, n_categories: Any, *, n_classes: int | None = None
) -> jax.Array:
    """Mutual information (nats) between each discrete feature and the class label,
    from the empirical contingency table (``mutual_info_classif(discrete_features=True)``
    without its noise)."""
    cats = _n_categories(n_categories)
    X = _codes(X, "X", cats)
    y, k = _class_codes(y, n_classes)
    n = X.shape[0]
    out = []
    for j, c in enumerate(cats):
        joint = jax.ops.segment_sum(jnp.ones(n), X[:, j] * k + y, num_segments=c * k).reshape(c, k) / n
        px = joint.sum(axis=1, keepdims=True)
        py = joint.sum(axis=0, keepdims=True)
        terms = jnp.where(joint > 0, joint * jnp.log(_safe_ratio(joint, px * py) + (joint == 0)), 0.0)
        out.append(jnp.sum(terms))
    return jnp.stack(out)


def select_k_best(scores: Any, k: int) -> jax.Array:
    """Boolean mask of the ``k`` highest scores (ties broken by lower index)."""
    scores = check_array(scores, "scores", ndim=1, dtype_kind="f", finite=False)
    k = check_int(k, "k", minimum=1)
    if k > scores.shape[0]:
        raise ValueError(f"k must be <= the number of features {scores.shape[0]}, got {k}")
    order = jnp.argsort(scores, descending=True, stable=True)
    return jnp.zeros(scores.shape, bool).at[order[:k]].set(True)


def rfe(X: Any, y: Any, *, n_features_to_select: int, alpha: float = 1.0) -> tuple[jax.Array, jax.Array]:
    """Recursive feature elimination with ridge regression, one feature per round.

    Each round fits ridge on the surviving features (the others are zeroed, which with
    ``alpha > 0`` gives them zero weight and leaves the rest as a fit on the subset) and
    removes the surviving feature with the smallest ``|coef|``. Equals
    ``sklearn.feature_selection.RFE(Ridge(alpha), step=1)``.

    Returns:
      ``(support, ranking)``: boolean mask of kept features and the elimination rank
      (1 = kept, larger = eliminated earlier), as scikit-learn's ``support_``/``ranking_``.
    """
    X = check_X(X)
    y = check_array(y, "y", ndim=1, dtype_kind="f")
    check_positive(alpha, "alpha")
    d = X.shape[1]
    n_keep = check_int(n_features_to_select, "n_features_to_select", minimum=1)
    if n_keep > d:
        raise ValueError(f"n_features_to_select must be <= {d}, got {n_keep}")
    n_rounds = d - n_keep

    def body(r, carry):
        mask, ranking = carry
        coef = ridge(alpha=alpha).fit(X * mask[None, :], y).coef
        importance = jnp.where(mask > 0, jnp.abs(coef), jnp.inf)
        drop = jnp.argmin(importance)
        return mask.at[drop].set(0.0), ranking.at[drop].set(n_rounds + 1 - r)

    mask, ranking = jax.lax.fori_loop(
        0, n_rounds, body, (jnp.ones(d, X.dtype), jnp.ones(d, jnp.int32))
    )
    return mask > 0, ranking


def l1_selection(X: Any, y: Any, *, alpha: float, threshold: float = 1e-5, tol: float = 1e-4,
                 max_iter: int = 1000) -> tuple[jax.Array, jax.Array]:
    """Embedded selection: keep features whose lasso coefficient exceeds ``threshold``.

    The lasso ``min 1/(2n)||y - Xw - b||² + α||w||₁`` is :func:`jaxml.classical.linear.lasso`
    (coordinate descent with ``tol`` and ``max_iter``); ``threshold = 1e-5`` is
    scikit-learn's ``SelectFromModel`` default for L1 models. Returns ``(support, coef)``.
    """
    check_positive(alpha, "alpha")
    coef = lasso(alpha=alpha, tol=tol, max_iter=max_iter).fit(X, y).coef
    return jnp.abs(coef) > threshold, coef


# ------------------------------------------------------------------------- imbalance


def compute_class_weight(y: Any, *, n_classes: int | None = None) -> jax.Array:
    """"Balanced" weights :math:`w_k = n / (K n_k)` (scikit-learn's
    ``compute_class_weight("balanced", ...)``); every class must occur in ``y``."""
    y, k = _class_codes(y, n_classes)
    counts = jnp.bincount(y, length=k)
    if not is_traced(counts) and bool(jnp.any(counts == 0)):
        raise ValueError(f"y lacks class(es) {np.flatnonzero(np.asarray(counts) == 0).tolist()}")
    return y.shape[0] / (k * counts.astype(jnp.float32))


def _resample_inputs(X, y, n_classes, n_per_class, default):
    X = check_X(X)
    y, k = _class_codes(y, n_classes)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}")
    counts = jnp.bincount(y, length=k)
    if n_per_class is None:
        if is_traced(y):
            raise ValueError("n_per_class must be given when y is traced (inside jit/vmap)")
        n_per_class = int(default(np.asarray(counts)))
    n_per_class = check_int(n_per_class, "n_per_class", minimum=1)
    if not is_traced(counts) and bool(jnp.any(counts == 0)):
        raise ValueError("every class in [0, n_classes) must occur in y")
    return X, y, k, counts, n_per_class


def _class_sorted(key: jax.Array, y: jax.Array, k: int):
    """Row indices sorted by class (random order within a class) and class starts."""
    u = jax.random.uniform(key, y.shape)
    order = jnp.lexsort((u, y))
    counts = jnp.bincount(y, length=k)
    starts = jnp.concatenate([jnp.zeros((1,), counts.dtype), jnp.cumsum(counts)[:-1]])
    return order, counts, starts


def random_oversample(key: jax.Array, X: Any, y: Any, *, n_classes: int | None = None,
                      n_per_class: int | None = None) -> tuple[jax.Array, jax.Array]:
    """Keep every sample and add random duplicates until each class has ``n_per_class``
    rows (default: the majority count, as imblearn's ``RandomOverSampler``).

    Returns ``(X_res, y_res)`` of ``n_classes * n_per_class`` rows grouped by class. If
    ``n_per_class`` is below a class's count, a random subset without replacement is kept.
    """
    key = as_key(key)
    X, y, k, _, m = _resample_inputs(X, y, n_classes, n_per_class, np.max)
    k_order, k_extra = jax.random.split(key)
    order, counts, starts = _class_sorted(k_order, y, k)
    j = jnp.arange(m)
    extra = jax.random.randint(k_extra, (k, m), 0, jnp.iinfo(jnp.int32).max) % counts[:, None]
    within = jnp.where(j[None, :] < counts[:, None], j[None, :], extra)
    idx = order[starts[:, None] + within].reshape(-1)
    return X[idx], y[idx]


def random_undersample(key: jax.Array, X: Any, y: Any, *, n_classes: int | None = None,
                       n_per_class: int | None = None) -> tuple[jax.Array, jax.Array]:
    """Keep ``n_per_class`` random rows of each class, without replacement (default: the
    minority count, as imblearn's ``RandomUnderSampler``)."""
    key = as_key(key)
    X, y, k, counts, m = _resample_inputs(X, y, n_classes, n_per_class, np.min)
    if not is_traced(counts) and bool(jnp.any(counts < m)):
        raise ValueError(f"n_per_class={m} exceeds the size of some class: {np.asarray(counts)}")
    order, counts, starts = _class_sorted(key, y, k)
    idx = order[starts[:, None] + jnp.arange(m)[None, :]].reshape(-1)
    return X[idx], y[idx]


def smote(key: jax.Array, X: Any, y: Any, *, k_neighbors: int = 5, n_classes: int | None = None,
          n_per_class: int | None = None) -> tuple[jax.Array, jax.Array]:
    """SMOTE over-sampling to ``n_per_class`` rows per class (default: majority count).

    Every original sample is kept; each synthetic sample picks a random base point of
    its class, one of the base's ``k_neighbors`` nearest same-class neighbours
    (fewer when the class is smaller), and a uniform point on the segment between them.
    Returns ``(X_res, y_res)`` grouped by class, originals first within a class.
    """
    key = as_key(key)
    X, y, k, counts, m = _resample_inputs(X, y, n_classes, n_per_class, np.max)
    k_neighbors = check_int(k_neighbors, "k_neighbors", minimum=1)
    if not is_traced(counts) and bool(jnp.any(counts < 2)):
        raise ValueError("SMOTE needs at least 2 samples in every class")
    n = X.shape[0]
    kk = min(k_neighbors, n - 1)
    sq = jnp.sum(X**2, axis=1)
    dist = sq[:, None] + sq[None, :] - 2.0 * X @ X.T
    same = (y[:, None] == y[None, :]) & ~jnp.eye(n, dtype=bool)
    _, neighbours = jax.lax.top_k(jnp.where(same, -dist, -jnp.inf), kk)  # (n, kk)
    n_valid = jnp.minimum(kk, counts[y] - 1)  # usable neighbours per sample
    k_order, k_base, k_nb, k_gap = jax.random.split(key, 4)
    order, counts, starts = _class_sorted(k_order, y, k)
    j = jnp.arange(m)
    base_within = jax.random.randint(k_base, (k, m), 0, jnp.iinfo(jnp.int32).max) % counts[:, None]
    base = order[starts[:, None] + base_within]
    nb_slot = jax.random.randint(k_nb, (k, m), 0, jnp.iinfo(jnp.int32).max) % n_valid[base]
    nb = neighbours[base, nb_slot]
    gap = jax.random.uniform(k_gap, (k, m, 1), dtype=X.dtype)
    synthetic = X[base] + gap * (X[nb] - X[base])
    original_idx = order[starts[:, None] + jnp.minimum(j[None, :], counts[:, None] - 1)]
    is_original = (j[None, :] < counts[:, None])[:, :, None]
    X_res = jnp.where(is_original, X[original_idx], synthetic).reshape(k * m, -1)
    y_res = jnp.repeat(jnp.arange(k, dtype=y.dtype), m)
    return X_res, y_res


def focal_loss(logits: Any, labels: Any, *, gamma: float = 2.0, alpha: Any = None) -> jax.Array:
    """Mean focal loss :math:`-\\alpha_{y}(1-p_{y})^\\gamma\\log p_{y}` (Lin et al. 2017).

    ``logits`` ``(n, K)`` (softmax) or ``(n,)`` (sigmoid, binary labels); ``alpha`` is
    an optional per-class weight vector (length K, or 2 for binary). ``gamma = 0`` and
    no ``alpha`` is the cross-entropy. Computed from log-probabilities for stability.
    """
    logits = check_array(logits, "logits", ndim=(1, 2), dtype_kind="f")
    labels = check_array(labels, "labels", ndim=1, dtype_kind="i")
    if labels.shape[0] != logits.shape[0]:
        raise ValueError("logits and labels must have the same number of rows")
    check_positive(gamma, "gamma", strict=False)
    if logits.ndim == 1:
        logits = jnp.stack([jnp.zeros_like(logits), logits], axis=1)
    k = logits.shape[1]
    if not is_traced(labels) and bool(jnp.any((labels < 0) | (labels >= k))):
        raise ValueError(f"labels must lie in [0, {k})")
    log_p = jnp.take_along_axis(jax.nn.log_softmax(logits, axis=1), labels[:, None], axis=1)[:, 0]
    loss = -((-jnp.expm1(log_p)) ** gamma) * log_p
    if alpha is not None:
        alpha = check_array(alpha, "alpha", ndim=1, dtype_kind="f")
        if alpha.shape[0] != k:
            raise ValueError(f"alpha must have length {k}, got {alpha.shape[0]}")
        loss = alpha[labels] * loss
    return jnp.mean(loss)


def best_threshold(y_true: Any, y_score: Any, *, criterion: str = "f1") -> tuple[jax.Array, jax.Array]:
    """Threshold moving: the score threshold t (predict 1 when ``score >= t``) that
    maximises ``criterion`` over all observed scores.

    ``criterion`` is ``"f1"`` (:math:`2TP/(2TP+FP+FN)`), ``"youden"`` (TPR − FPR) or
    ``"balanced_accuracy"`` ((TPR + TNR)/2). Returns ``(threshold, best_value)``;
    the smallest-index best point in decreasing-threshold order wins ties.
    """
    from jaxml.classical.metrics import roc_curve

    check_option(criterion, "criterion", ("f1", "youden", "balanced_accuracy"))
    y_true = check_array(y_true, "y_true", ndim=1, dtype_kind="i")
    fpr, tpr, thr, valid = roc_curve(y_true, y_score)
    fpr, tpr, thr, valid = fpr[1:], tpr[1:], thr[1:], valid[1:]
    if criterion == "f1":
        pos = jnp.sum(y_true).astype(jnp.float32)
        neg = y_true.shape[0] - pos
        tp, fp = tpr * pos, fpr * neg
        value = _safe_ratio(2 * tp, tp + fp + pos)
    elif criterion == "youden":
        value = tpr - fpr
    else:
        value = (tpr + 1.0 - fpr) / 2
    value = jnp.where(valid, jnp.nan_to_num(value, nan=-jnp.inf), -jnp.inf)
    best = jnp.argmax(value)
    return thr[best], value[best]
