r"""Histogram gradient boosting (LightGBM / XGBoost ``hist`` / scikit-learn HGB style).

The boosting loop is :mod:`jaxml.classical.boosting`'s (any differentiable loss, Newton
leaves :math:`-T_\alpha(G)/(H+\lambda)`, shrinkage, subsampling, early stopping, staged
predictions); the trees are :mod:`jaxml.classical.histograms`' — features binned once at
fit (``max_bin``), split search on per-node gradient histograms with histogram
subtraction, level-wise or best-first leaf-wise growth, categorical splits ordered by
gradient statistics, and missing values (NaN) routed by a learned default direction.
Gradient-based one-side sampling (GOSS, Ke et al. 2017) is an option.

The whole fit is one jittable program, and the continuous hyperparameters
(``learning_rate``, ``reg_lambda``, ``reg_alpha``, ``min_split_loss``,
``min_child_weight``) may be traced: a sweep over them is one ``vmap`` over ``fit``.
"""

from __future__ import annotations

import jax.numpy as jnp

from jaxml.classical.boosting import TreeLearner, _boosting
from jaxml.classical.histograms import (
    bin_codes,
    check_categorical,
    check_growth,
    fit_bins,
    grow_hist_tree,
)
from jaxml.core import (
    Classifier,
    Regressor,
    check_option,
    check_positive,
    check_range,
    check_X,
    is_traced,
)

__all__ = ["hist_gradient_boosting_regressor", "hist_gradient_boosting_classifier"]


def _hist_learner(rule, *, policy, max_depth, num_leaves, max_bin, categorical_features,
                  min_split_loss, min_child_weight, min_samples_leaf, cat_smooth,
                  max_features) -> TreeLearner:
    def check(X, name="X"):
        X = check_X(X, name, finite=False)
        if not is_traced(X) and bool(jnp.any(jnp.isinf(X))):
            raise ValueError(f"{name} must not hold inf (NaN marks a missing value)")
        check_categorical(categorical_features, X.shape[1], X, max_bin)
        return X

    def prepare(X, w):
        bins = fit_bins(X, max_bin=max_bin, categorical=categorical_features, sample_weight=w)
        return bins, bin_codes(bins, X)

    def grow(bins, codes, key, g, h, weights):
        stats = jnp.stack([weights * g, weights * h, weights], axis=1)
        return grow_hist_tree(codes, bins, stats, rule=rule, policy=policy,
                              max_depth=max_depth, num_leaves=num_leaves,
                              min_child_weight=min_child_weight,
                              min_samples_leaf=min_samples_leaf, min_split_loss=min_split_loss,
                              cat_smooth=cat_smooth, max_features=max_features, key=key)

    return TreeLearner(prepare=prepare, grow=grow, check_X=check)


def _hist_boosting(task, *, loss, policy, max_depth, num_leaves, max_bin, categorical_features,
                   cat_smooth, goss, **options):
    check_growth(policy, max_depth, num_leaves)
    check_positive(cat_smooth, "cat_smooth", strict=False)
    categorical = check_categorical(categorical_features, 10**9)
    if goss is not None:
        top_rate, other_rate = goss
        check_range(top_rate, "goss top_rate", low=0.0, high=1.0, low_open=True, high_open=True)
        check_range(other_rate, "goss other_rate", low=0.0, high=1.0 - top_rate, low_open=True)

    def learner(rule):
        return _hist_learner(rule, policy=policy, max_depth=max_depth, num_leaves=num_leaves,
                             max_bin=max_bin, categorical_features=categorical,
                             min_split_loss=options["min_split_loss"],
                             min_child_weight=options["min_child_weight"],
                             min_samples_leaf=options["min_samples_leaf"],
                             cat_smooth=cat_smooth, max_features=options["max_features"])

    return _boosting(task, loss=loss, max_depth=max_depth, learner=learner, goss=goss, **options)


_DOC_ARGS = """
      n_estimators: rounds (static); learning_rate: shrinkage.
      policy: ``"depthwise"`` (every node of a level split at once; static
        ``max_depth``) or ``"leafwise"`` (best-first until static ``num_leaves``, bounded
        by ``max_depth`` unless it is ``None``).
      max_bin: bins per feature for non-missing values (static; codes are ``uint8`` up
        to 255), plus one bin for missing values.
      reg_lambda, reg_alpha: L2 and L1 penalties on leaf weights; min_split_loss: least
        gain of a split (γ); min_child_weight: least Hessian sum of a child;
        min_samples_leaf: least samples of a child (LightGBM's ``min_data_in_leaf``).
      subsample: Bernoulli row fraction per round; goss: ``(top_rate, other_rate)`` for
        gradient-based one-side sampling instead (Ke et al. 2017).
      max_features: features drawn per tree (``colsample_bytree``), ``None`` for all.
      categorical_features: indices of features holding integer category codes
        ``0..max_bin-1`` (NaN or negative: missing); split by sorting categories on
        :math:`G/(H + \\texttt{cat\\_smooth})`.
      n_iter_no_change: early stopping with ``fit(..., eval_set=...)``."""


def hist_gradient_boosting_regressor(*, loss: str = "squared_error", n_estimators: int = 100,
                                     learning_rate=0.1, policy: str = "depthwise",
                                     max_depth: int | None = 6, num_leaves: int = 31,
                                     max_bin: int = 255, reg_lambda=1.0, reg_alpha=0.0,
                                     min_split_loss=0.0, min_child_weight=1e-3,
                                     min_samples_leaf: int = 20, subsample=1.0,
                                     goss: tuple[float, float] | None = None,
                                     max_features: int | None = None,
                                     categorical_features=(), cat_smooth=10.0,
                                     n_iter_no_change: int | None = None,
                                     huber_delta=1.0, quantile_alpha=0.5) -> Regressor:
    """Histogram gradient-boosted regression trees; NaN in ``X`` is a missing value.

    Args:
      loss: as :func:`jaxml.classical.boosting.gradient_boosting_regressor`."""
    check_option(loss, "loss", ("squared_error", "absolute_error", "huber", "quantile", "poisson"))
    check_positive(huber_delta, "huber_delta")
    check_range(quantile_alpha, "quantile_alpha", low=0.0, high=1.0, low_open=True,
                high_open=True)
    return _hist_boosting("regression", loss=loss, policy=policy, max_depth=max_depth,
                          num_leaves=num_leaves, max_bin=max_bin,
                          categorical_features=categorical_features, cat_smooth=cat_smooth,
                          goss=goss, n_estimators=n_estimators, learning_rate=learning_rate,
                          reg_lambda=reg_lambda, reg_alpha=reg_alpha,
                          min_split_loss=min_split_loss, min_child_weight=min_child_weight,
                          min_samples_leaf=min_samples_leaf, subsample=subsample,
                          max_features=max_features, n_iter_no_change=n_iter_no_change,
                          loss_options={"delta": huber_delta, "alpha": quantile_alpha})


def hist_gradient_boosting_classifier(*, loss: str = "log_loss", n_estimators: int = 100,
                                      learning_rate=0.1, policy: str = "depthwise",
                                      max_depth: int | None = 6, num_leaves: int = 31,
                                      max_bin: int = 255, reg_lambda=1.0, reg_alpha=0.0,
                                      min_split_loss=0.0, min_child_weight=1e-3,
                                      min_samples_leaf: int = 20, subsample=1.0,
                                      goss: tuple[float, float] | None = None,
                                      max_features: int | None = None,
                                      categorical_features=(), cat_smooth=10.0,
                                      n_iter_no_change: int | None = None,
                                      n_classes: int | None = None) -> Classifier:
    """Histogram gradient-boosted classification trees: ``"log_loss"`` (binary) or
    ``"softmax"`` (one tree per class per round); NaN in ``X`` is a missing value.

    Args:
      loss: ``"log_loss"`` or ``"softmax"``; n_classes: needed under ``jit``."""
    check_option(loss, "loss", ("log_loss", "softmax"))
    return _hist_boosting("classification", loss=loss, policy=policy, max_depth=max_depth,
                          num_leaves=num_leaves, max_bin=max_bin,
                          categorical_features=categorical_features, cat_smooth=cat_smooth,
                          goss=goss, n_estimators=n_estimators, learning_rate=learning_rate,
                          reg_lambda=reg_lambda, reg_alpha=reg_alpha,
                          min_split_loss=min_split_loss, min_child_weight=min_child_weight,
                          min_samples_leaf=min_samples_leaf, subsample=subsample,
                          max_features=max_features, n_iter_no_change=n_iter_no_change,
                          n_classes=n_classes)


hist_gradient_boosting_regressor.__doc__ += _DOC_ARGS + """

    Returns:
      ``Regressor``: ``fit(key, X, y, sample_weight=None, eval_set=None) -> Boosted``
      (its ``design`` holds the fitted bins).
    """
hist_gradient_boosting_classifier.__doc__ += _DOC_ARGS + """

    Returns:
      ``Classifier`` with ``decision_function`` (the margins).
    """
