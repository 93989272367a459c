r"""Gradient boosting as functional gradient descent, with second-order (XGBoost) trees.

Boosting fits an additive model :math:`F_M(x) = F_0 + \eta\sum_{m=1}^M f_m(x)` by
descending the training loss :math:`\sum_i w_i\, \ell(y_i, F(x_i))` in function space
(Friedman, 2001): at round :math:`m`, with the per-sample gradient and Hessian of the loss
at the current prediction,

.. math::
    g_i = \partial_F \ell(y_i, F_{m-1}(x_i)), \qquad h_i = \partial_F^2 \ell(y_i, F_{m-1}(x_i)),

a regression tree :math:`f_m` is grown on :math:`(g, h)` by the second-order rule of
:class:`jaxml.classical.trees.NewtonRule` — each leaf takes the Newton step
:math:`-T_\alpha(G)/(H + \lambda)` of its samples and a split gains
:math:`T_\alpha(G_L)^2/(H_L+\lambda) + T_\alpha(G_R)^2/(H_R+\lambda) - T_\alpha(G)^2/(H+\lambda)`
(Chen & Guestrin, 2016) — and the prediction moves by the shrinkage :math:`\eta` times the
tree. The loss is any JAX function ``loss(y, f)`` of one sample: :math:`g` and :math:`h`
come from ``jax.grad``. Losses with no curvature where it matters (absolute error,
quantile, Huber: its Hessian vanishes outside :math:`\pm\delta`, and Newton leaves
would then divide by :math:`\lambda` alone) use :math:`h = 1`, i.e. first-order boosting
whose leaves are the (shrunk) mean negative gradient, started from the weighted median
(the quantile for the quantile loss). Multiclass softmax grows one tree per class per round on the diagonal of the
Hessian, :math:`p_k(1-p_k)`.

Options: row subsampling per round (stochastic gradient boosting, Friedman 2002), column
subsampling per node (``max_features``), early stopping on an evaluation set, staged
predictions. The whole fit is one ``lax.scan`` over rounds, jittable, and continuous
hyperparameters (``learning_rate``, ``reg_lambda``, ``reg_alpha``, ``min_split_loss``,
``min_child_weight``) may be traced, so a sweep over them is one ``vmap``.
"""

from __future__ import annotations

import functools

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxml.classical.histograms import HistTree, apply_hist, bin_codes
from jaxml.classical.trees import (
    NewtonRule,
    apply,
    check_tree_rules,
    grow_tree,
)
from jaxml.core import (
    Classifier,
    Regressor,
    as_key,
    check_array,
    check_class_codes,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_range,
    check_same_length,
    check_X,
    is_traced,
    pytree_dataclass,
    static_field,
)

__all__ = [
    "Boosted",
    "LOSSES",
    "gradient_boosting_regressor",
    "gradient_boosting_classifier",
    "staged_decision",
]


def _huber(delta):
    def loss(y, f):
        r = jnp.abs(y - f)
        return jnp.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))
    return loss


def _quantile(alpha):
    def loss(y, f):
        r = y - f
        return jnp.maximum(alpha * r, (alpha - 1.0) * r)
    return loss


LOSSES: dict[str, Callable[..., Callable]] = {
    "squared_error": lambda **_: (lambda y, f: 0.5 * (y - f) ** 2),
    "absolute_error": lambda **_: (lambda y, f: jnp.abs(y - f)),
    "huber": lambda delta=1.0, **_: _huber(delta),
    "quantile": lambda alpha=0.5, **_: _quantile(alpha),
    "poisson": lambda **_: (lambda y, f: jnp.exp(f) - y * f),
    "log_loss": lambda **_: (lambda y, f: jnp.logaddexp(0.0, f) - y * f),  # binary, margin f
}
# zero (or, for Huber, mostly zero) curvature: h = 1, and the weighted median or quantile
# as the initial constant
FIRST_ORDER = ("absolute_error", "quantile", "huber")


@pytree_dataclass
class Boosted:
    """A boosted ensemble.

    Attributes:
      trees: the rounds' trees, a :class:`Tree` with leading axis ``(M,)`` (or
        ``(M, K)`` for softmax).
      base_score: the initial prediction :math:`F_0` (``()`` or ``(K,)``).
      learning_rate: the shrinkage :math:`\\eta`.
      n_rounds_used: rounds kept after early stopping (all ``M`` without it).
      train_loss: ``(M + 1,)`` mean training loss after each round (index 0: :math:`F_0`).
      eval_loss: ``(M + 1,)`` the same on the evaluation set (NaN without one).
      design: what the trees read instead of raw ``X``: ``None`` (exact trees) or the
        fitted :class:`jaxml.classical.histograms.Bins` (histogram trees).
      n_classes: 0 for regression and binary, ``K`` for softmax (static).
    """

    trees: Any
    base_score: jax.Array
    learning_rate: jax.Array
    n_rounds_used: jax.Array
    train_loss: jax.Array
    eval_loss: jax.Array
    design: Any = None
    n_classes: int = static_field(default=0)


class TreeLearner(NamedTuple):
    """How the boosting loop sees the data and grows a round's tree.

    ``prepare(X, sample_weight) -> (design, Z)`` fits what the trees read (e.g. bins)
    and encodes the training rows; ``grow(design, Z, key, g, h, weights) -> tree`` grows one tree on the
    per-sample gradients, Hessians and weights. Trees are read by :func:`tree_output`.
    """

    prepare: Callable[[jax.Array], tuple[Any, Any]]
    grow: Callable[..., Any]
    check_X: Callable[..., jax.Array]


def encode(design, X):
    """The representation trees of a :class:`Boosted` read: ``X`` or its bin codes."""
    return X if design is None else bin_codes(design, X)


def tree_output(tree, Z) -> jax.Array:
    """One tree's output ``(n,)`` at encoded rows ``Z``."""
    if isinstance(tree, HistTree):
        return tree.value[apply_hist(tree, Z)]
    return tree.value[apply(tree, Z), 0]


def _softmax_loss(y, f):
    return jax.nn.logsumexp(f) - f[y]


def _derivatives(loss, y, F, first_order):
    """Per-sample gradient and Hessian diagonal of ``loss(y_i, F_i)`` (autodiff; for
    softmax the diagonal :math:`p_k(1 - p_k)`)."""
    grad = jax.vmap(jax.grad(loss, argnums=1))(y, F)
    if first_order:
        return grad, jnp.ones_like(grad)
    if F.ndim == 2:
        p = jax.nn.softmax(F, axis=1)
        return grad, p * (1 - p)
    hess = jax.vmap(jax.grad(jax.grad(loss, argnums=1), argnums=1))(y, F)
    return grad, hess


def _initial_score(loss_name, loss, y, w, n_classes):
    """The best constant: argmin_c Σ w ℓ(y, c) (Newton's method; a weighted median or
    quantile for the first-order losses; class log-frequencies for softmax)."""
    if n_classes:
        freq = jax.ops.segment_sum(w, y, num_segments=n_classes) / jnp.sum(w)
        return jnp.log(jnp.maximum(freq, 1e-12))
    if loss_name in FIRST_ORDER:
        level = None if loss_name == "quantile" else 0.5
        if level is None:  # quantile: the loss's own alpha, read from its slope at r > 0
            level = jax.grad(loss, argnums=0)(1.0, 0.0)
        order = jnp.argsort(y)
        cum = jnp.cumsum(w[order]) / jnp.sum(w)
        return y[order][jnp.argmax(cum >= level)]

    def newton(c, _):
        g = jnp.sum(w * jax.vmap(jax.grad(loss, argnums=1), in_axes=(0, None))(y, c))
        h = jnp.sum(w * jax.vmap(jax.grad(jax.grad(loss, argnums=1), argnums=1),
                                 in_axes=(0, None))(y, c))
        return c - g / jnp.maximum(h, 1e-12), None

    start = jnp.asarray(0.0, y.dtype)
    return lax.scan(newton, start, None, length=50)[0]


def exact_tree_learner(*, max_depth, rule, min_split_loss, min_child_weight, min_samples_leaf,
                       max_features) -> TreeLearner:
    """Exact-split second-order CART trees (:func:`jaxml.classical.trees.grow_tree`)."""
    check_tree_rules(max_depth, 2, min_samples_leaf, 0.0)

    def grow(_, X, key, g, h, weights):
        return grow_tree(X, jnp.stack([weights * g, weights * h], axis=1), weights,
                         criterion=rule, max_depth=max_depth, min_samples_split=2,
                         min_samples_leaf=min_samples_leaf,
                         min_impurity_decrease=min_split_loss,
                         min_child_weight=min_child_weight, max_features=max_features,
                         key=key if max_features is not None else None)

    return TreeLearner(prepare=lambda X, _: (None, X), grow=grow, check_X=check_X)


def _boosting(task, *, loss, n_estimators, learning_rate, max_depth, reg_lambda, reg_alpha,
              min_split_loss, min_child_weight, min_samples_leaf, subsample, max_features,
              n_iter_no_change, n_classes=None, loss_options=None, learner=None, goss=None):
    """The boosting loop; ``learner(rule) -> TreeLearner`` grows the trees (exact CART
    by default); ``goss=(top_rate, other_rate)`` samples rows by :func:`goss_weights`
    instead of ``subsample``."""
    check_int(n_estimators, "n_estimators", minimum=1)
    check_positive(learning_rate, "learning_rate")
    check_int(min_samples_leaf, "min_samples_leaf", minimum=1)
    check_positive(reg_lambda, "reg_lambda", strict=False)
    check_positive(reg_alpha, "reg_alpha", strict=False)
    check_positive(min_split_loss, "min_split_loss", strict=False)
    check_positive(min_child_weight, "min_child_weight", strict=False)
    check_range(subsample, "subsample", low=0.0, high=1.0, low_open=True)
    if max_features is not None:
        check_int(max_features, "max_features", minimum=1)
    if n_iter_no_change is not None:
        check_int(n_iter_no_change, "n_iter_no_change", minimum=1)
    softmax = task == "classification" and loss == "softmax"
    loss_fn = _softmax_loss if softmax else LOSSES[loss](**(loss_options or {}))
    first_order = loss in FIRST_ORDER
    rule = NewtonRule(reg_lambda=reg_lambda, reg_alpha=reg_alpha)
    if learner is None:
        trees = exact_tree_learner(max_depth=max_depth, rule=rule, min_split_loss=min_split_loss,
                                   min_child_weight=min_child_weight,
                                   min_samples_leaf=min_samples_leaf, max_features=max_features)
    else:
        trees = learner(rule)

    def fit(key, X, y, sample_weight=None, eval_set=None) -> Boosted:
        X = trees.check_X(X)
        if task == "classification":
            K = check_class_codes(y, n_classes=n_classes)
            y = check_array(y, "y", ndim=1, dtype_kind="i")
            if not softmax and K != 2:
                raise ValueError(f"loss='log_loss' is binary; y has {K} classes "
                                 "(use loss='softmax')")
            target = y if softmax else y.astype(X.dtype)
        else:
            K = 0
            y = check_array(y, "y", ndim=1, dtype_kind="f")
            target = y.astype(X.dtype)
        check_same_length(X, y, "X", "y")
        n, d = X.shape
        if max_features is not None and max_features > d:
            raise ValueError(f"max_features must be <= the number of features ({d}), "
                             f"got {max_features}")
        w = (jnp.ones((n,), X.dtype) if sample_weight is None else
             check_array(sample_weight, "sample_weight", ndim=1, dtype_kind="f").astype(X.dtype))
        X_val = y_val = None
        if eval_set is not None:
            X_val, y_val = eval_set
            X_val = trees.check_X(X_val, "eval_set X")
            check_n_features(X_val, d, "eval_set X")
            y_val = jnp.asarray(y_val).astype(target.dtype)
        return fit_checked(as_key(key), X, target, w, X_val, y_val, K=K)

    @functools.partial(jax.jit, static_argnames="K")
    def fit_checked(key, X, target, w, X_val, y_val, K) -> Boosted:
        """The fit on validated inputs, one compiled program (checks need concrete
        values, so they run before it, in :func:`fit`)."""
        n = X.shape[0]
        eval_set = None if X_val is None else (X_val, y_val)
        base = _initial_score(loss, loss_fn, target, w, K if softmax else 0).astype(X.dtype)
        design, Z = trees.prepare(X, w)
        if eval_set is not None:
            Z_val = encode(design, X_val)
        shape = (n, K) if softmax else (n,)
        F = jnp.broadcast_to(base, shape)
        F_val = None if eval_set is None else jnp.broadcast_to(base, (X_val.shape[0],) + shape[1:])

        def mean_loss(targets, F_):
            return jnp.mean(jax.vmap(loss_fn)(targets, F_))

        def round_(carry, key):
            F, F_val = carry
            k_rows, k_tree = jax.random.split(key)
            g, h = _derivatives(loss_fn, target, F, first_order)
            weights = w
            if goss is not None:
                weights = w * goss_weights(k_rows, g if g.ndim == 1 else jnp.sum(jnp.abs(g), 1),
                                           *goss)
            elif is_traced(subsample) or float(subsample) < 1.0:
                weights = w * jax.random.bernoulli(k_rows, subsample, (n,)).astype(X.dtype)
            if softmax:
                keys = jax.random.split(k_tree, K)
                tree = jax.vmap(trees.grow, in_axes=(None, None, 0, 1, 1, None))(
                    design, Z, keys, g, h, weights)
                step = jax.vmap(tree_output, in_axes=(0, None), out_axes=1)
            else:
                tree = trees.grow(design, Z, k_tree, g, h, weights)
                step = tree_output
            F = F + learning_rate * step(tree, Z)
            if F_val is not None:
                F_val = F_val + learning_rate * step(tree, Z_val)
                val = mean_loss(y_val, F_val)
            else:
                val = jnp.asarray(jnp.nan, X.dtype)
            return (F, F_val), (tree, mean_loss(target, F), val)

        keys = jax.random.split(key, n_estimators)
        _, (fitted, train_loss, eval_loss) = lax.scan(round_, (F, F_val), keys)
        first_train = mean_loss(target, jnp.broadcast_to(base, shape))
        train_loss = jnp.concatenate([first_train[None], train_loss])
        first_val = (mean_loss(y_val, jnp.broadcast_to(base, F_val.shape)) if eval_set is not None
                     else jnp.asarray(jnp.nan, X.dtype))
        eval_loss = jnp.concatenate([first_val[None], eval_loss])
        used = jnp.asarray(n_estimators)
        if eval_set is not None and n_iter_no_change is not None:
            used = _early_stop(eval_loss, n_iter_no_change)
        return Boosted(trees=fitted, base_score=base, learning_rate=jnp.asarray(learning_rate),
                       n_rounds_used=used, train_loss=train_loss, eval_loss=eval_loss,
                       design=design, n_classes=K if softmax else 0)

    def decision(params: Boosted, X):
        per_round = _per_round(params, X)
        kept = jnp.arange(per_round.shape[0]) < params.n_rounds_used
        kept = kept.reshape((-1,) + (1,) * (per_round.ndim - 1))
        base = jnp.broadcast_to(params.base_score, per_round.shape[1:])
        return base + params.learning_rate * jnp.sum(jnp.where(kept, per_round, 0.0), axis=0)

    if task == "regression":
        def predict(params: Boosted, X):
            F = decision(params, X)
            return jnp.exp(F) if loss == "poisson" else F

        return Regressor(fit=fit, predict=predict)

    def predict_proba(params: Boosted, X):
        F = decision(params, X)
        if softmax:
            return jax.nn.softmax(F, axis=1)
        p = jax.nn.sigmoid(F)
        return jnp.stack([1 - p, p], axis=1)

    def predict(params: Boosted, X):
        return jnp.argmax(predict_proba(params, X), axis=1).astype(jnp.int32)

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba,
                      decision_function=decision)


def goss_weights(key, g, top_rate, other_rate) -> jax.Array:
    r"""Gradient-based one-side sampling (Ke et al., NeurIPS 2017, Alg. 2): keep the
    :math:`\lceil a n\rceil` samples of largest :math:`|g|`, draw :math:`\lceil b n\rceil`
    of the rest uniformly without replacement and weight them :math:`(1-a)/b`, so the
    estimated split gains stay unbiased; the others get weight 0. ``(n,)`` weights."""
    n = g.shape[0]
    top = int(np.ceil(top_rate * n))
    other = min(int(np.ceil(other_rate * n)), n - top)
    order = jnp.argsort(-jnp.abs(g))
    rest = order[top:][jax.random.permutation(key, n - top)[:other]]
    weights = jnp.zeros((n,), g.dtype).at[order[:top]].set(1.0)
    return weights.at[rest].set((1.0 - top_rate) / other_rate)


def _early_stop(eval_loss, patience):
    """Rounds to keep: the best round so far when ``patience`` rounds in a row have not
    improved on it (the whole run when that never happens)."""
    best_so_far = lax.cummin(eval_loss)
    improved = jnp.concatenate([jnp.array([True]), eval_loss[1:] < best_so_far[:-1]])
    last_improvement = lax.cummax(jnp.where(improved, jnp.arange(eval_loss.shape[0]), 0))
    stalled = jnp.arange(eval_loss.shape[0]) - last_improvement >= patience
    stop = jnp.argmax(stalled)
    return jnp.where(jnp.any(stalled), last_improvement[stop], eval_loss.shape[0] - 1)


def _per_round(params: Boosted, X) -> jax.Array:
    """Each round's tree output at ``X``: ``(M, n)`` or ``(M, n, K)``."""
    trees = params.trees
    X = check_X(X, finite=params.design is None)  # histogram trees route NaN as missing
    check_n_features(X, trees.n_features)
    return _tree_outputs(params, X)


@jax.jit
def _tree_outputs(params: Boosted, X) -> jax.Array:
    trees = params.trees
    Z = encode(params.design, X)
    if params.n_classes:
        return jax.vmap(jax.vmap(lambda t: tree_output(t, Z), out_axes=1))(trees)
    return jax.vmap(lambda t: tree_output(t, Z))(trees)


def staged_decision(params: Boosted, X) -> jax.Array:
    """The raw prediction after each round: ``(M + 1, n)`` (``(M + 1, n, K)`` softmax);
    entry 0 is the base score."""
    per_round = _per_round(params, X)
    base = jnp.broadcast_to(params.base_score, per_round.shape[1:])
    steps = params.learning_rate * per_round
    return jnp.concatenate([base[None], base[None] + jnp.cumsum(steps, axis=0)])


def gradient_boosting_regressor(*, loss: str = "squared_error", n_estimators: int = 100,
                                learning_rate=0.1, max_depth: int = 3, reg_lambda=1.0,
                                reg_alpha=0.0, min_split_loss=0.0, min_child_weight=1.0,
                                min_samples_leaf=1, subsample=1.0,
                                max_features: int | None = None,
                                n_iter_no_change: int | None = None,
                                huber_delta=1.0, quantile_alpha=0.5) -> Regressor:
    """Gradient-boosted regression trees (second order where the loss has curvature).

    Args:
      loss: ``"squared_error"``, ``"absolute_error"``, ``"huber"`` (``huber_delta``),
        ``"quantile"`` (``quantile_alpha``) or ``"poisson"`` (log link; ``predict``
        returns the mean).
      n_estimators: rounds :math:`M` (static).
      learning_rate: shrinkage :math:`\\eta`.
      max_depth: depth of each tree (static).
      reg_lambda, reg_alpha: L2 and L1 penalties on leaf weights (XGBoost's λ, α).
      min_split_loss: XGBoost's γ, the least gain of a split.
      min_child_weight: least Hessian sum of a child.
      min_samples_leaf: least samples of a child.
      subsample: fraction of rows drawn (Bernoulli) each round.
      max_features: candidate features drawn per node, or None for all.
      n_iter_no_change: with ``fit(..., eval_set=(X_val, y_val))``, keep the rounds up
        to the best evaluation loss once this many rounds fail to improve on it.

    Returns:
      ``Regressor``: ``fit(key, X, y, sample_weight=None, eval_set=None) -> Boosted``.
    """
    check_option(loss, "loss", ("squared_error", "absolute_error", "huber", "quantile", "poisson"))
    check_positive(huber_delta, "huber_delta")
    check_range(quantile_alpha, "quantile_alpha", low=0.0, high=1.0, low_open=True,
                high_open=True)
    return _boosting("regression", loss=loss, n_estimators=n_estimators,
                     learning_rate=learning_rate, max_depth=max_depth, reg_lambda=reg_lambda,
                     reg_alpha=reg_alpha, min_split_loss=min_split_loss,
                     min_child_weight=min_child_weight, min_samples_leaf=min_samples_leaf,
                     subsample=subsample, max_features=max_features,
                     n_iter_no_change=n_iter_no_change,
                     loss_options={"delta": huber_delta, "alpha": quantile_alpha})


def gradient_boosting_classifier(*, loss: str = "log_loss", n_estimators: int = 100,
                                 learning_rate=0.1, max_depth: int = 3, reg_lambda=1.0,
                                 reg_alpha=0.0, min_split_loss=0.0, min_child_weight=1.0,
                                 min_samples_leaf=1, subsample=1.0,
                                 max_features: int | None = None,
                                 n_iter_no_change: int | None = None,
                                 n_classes: int | None = None) -> Classifier:
    """Gradient-boosted classification trees: ``"log_loss"`` (binary, one tree per
    round on the margin) or ``"softmax"`` (``K`` trees per round). The other arguments
    are :func:`gradient_boosting_regressor`'s; ``n_classes`` is needed under ``jit``.

    Returns:
      ``Classifier`` with ``decision_function`` (the margins).
    """
    check_option(loss, "loss", ("log_loss", "softmax"))
    return _boosting("classification", loss=loss, n_estimators=n_estimators,
                     learning_rate=learning_rate, max_depth=max_depth, reg_lambda=reg_lambda,
                     reg_alpha=reg_alpha, min_split_loss=min_split_loss,
                     min_child_weight=min_child_weight, min_samples_leaf=min_samples_leaf,
                     subsample=subsample, max_features=max_features,
                     n_iter_no_change=n_iter_no_change, n_classes=n_classes)
