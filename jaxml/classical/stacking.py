r"""Meta-ensembles: stacking on out-of-fold predictions, and blending on a holdout.

A level-0 layer of base estimators :math:`f_1, \dots, f_M` feeds a level-1 learner
:math:`g` that is fitted on what the base estimators predict for rows they were *not*
fitted on, so :math:`g` learns how far to trust each of them on new data rather than on
their training rows (where every flexible model looks perfect):

- **stacking** (Wolpert 1992; Breiman 1996): split the rows into folds
  :math:`F_1, \dots, F_K`; for row :math:`i \in F_k` the level-1 feature
  :math:`z_{im} = f_m^{(-k)}(x_i)` comes from :math:`f_m` fitted on the other folds.
  :math:`g` is fitted on :math:`(z_i, y_i)`; the base estimators are then refitted on
  all rows, and prediction is :math:`g(f_1(x), \dots, f_M(x))`.
- **blending**: one holdout split instead of :math:`K` folds; the base estimators keep
  the fit on the training part, :math:`g` is fitted on their holdout predictions.

For classifiers the level-1 features are the base estimators' class probabilities; with
two classes only :math:`P(y = 1)` is kept, since the two columns sum to one (as
scikit-learn's ``StackingClassifier`` does). ``passthrough=True`` appends the raw
features to :math:`z`.

Base estimators are deterministic ``fit(X, y)`` estimators; give a random one its key
first, e.g. ``Regressor(fit=functools.partial(forest.fit, key), predict=forest.predict)``.
Classifiers must agree on ``n_classes`` (give it to each where a fold may miss a class).
"""

from __future__ import annotations

from typing import Sequence

import jax.numpy as jnp
import numpy as np

from jaxml.classical.model_selection import Folds, kfold, stratified_kfold
from jaxml.core import check_bool, check_int, check_X_y
from jaxml.core.estimator import Classifier, Regressor
from jaxml.core.pytree import pytree_dataclass

__all__ = ["StackedParams", "stacking", "blending"]


@pytree_dataclass
class StackedParams:
    """``base``: tuple of the base estimators' fitted params (refitted on all rows for
    stacking, on the training part for blending); ``final``: the level-1 learner's params
    fitted on the out-of-fold (or holdout) level-1 features."""

    base: tuple
    final: object


def _check_layers(estimators, final_estimator):
    if isinstance(estimators, (Classifier, Regressor)) or not isinstance(estimators, Sequence):
        raise TypeError("estimators must be a sequence of jaxml Classifier/Regressor objects")
    estimators = tuple(estimators)
    if not estimators:
        raise ValueError("estimators must hold at least one base estimator")
    is_classifier = isinstance(estimators[0], Classifier)
    for i, est in enumerate(estimators):
        if not isinstance(est, (Classifier, Regressor)):
            raise TypeError(f"estimators[{i}] must be a jaxml Classifier or Regressor, got "
                            f"{type(est).__name__}")
        if isinstance(est, Classifier) != is_classifier:
            raise TypeError("estimators must be all classifiers or all regressors")
    if not isinstance(final_estimator, Classifier if is_classifier else Regressor):
        kind = "Classifier" if is_classifier else "Regressor"
        raise TypeError(f"final_estimator must be a jaxml {kind} to match the base "
                        f"estimators, got {type(final_estimator).__name__}")
    return estimators, is_classifier


def _level_one(estimators, is_classifier, passthrough):
    """``features(base_params, X) -> z``: the base estimators' predictions side by side."""

    def one(est, params, X):
        if not is_classifier:
            return est.predict(params, X)[:, None]
        proba = est.predict_proba(params, X)
        return proba[:, 1:] if proba.shape[1] == 2 else proba

    def features(base_params, X):
        z = jnp.concatenate([one(e, p, X) for e, p in zip(estimators, base_params)], axis=1)
        return jnp.concatenate([z, X.astype(z.dtype)], axis=1) if passthrough else z

    return features


def _assemble(fit, features, final_estimator, is_classifier):
    def predict(params: StackedParams, X):
        return final_estimator.predict(params.final, features(params.base, jnp.asarray(X)))

    if not is_classifier:
        return Regressor(fit=fit, predict=predict)

    def predict_proba(params: StackedParams, X):
        return final_estimator.predict_proba(params.final, features(params.base, jnp.asarray(X)))

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)


def stacking(estimators, final_estimator, *, n_splits: int = 5, passthrough: bool = False):
    """Stacked generalisation on out-of-fold level-0 predictions.

    Args:
      estimators: the base estimators (all ``Classifier`` or all ``Regressor``).
      final_estimator: the level-1 learner, of the same kind.
      n_splits: folds for the out-of-fold predictions when ``fit`` gets no ``folds``:
        :func:`~jaxml.classical.model_selection.stratified_kfold` for classifiers,
        :func:`~jaxml.classical.model_selection.kfold` for regressors (scikit-learn's
        defaults for ``cv=n_splits``).
      passthrough: append the raw features to the level-1 features.

    Returns:
      An estimator of the base estimators' kind with ``fit(X, y, folds=None) ->
      StackedParams``; ``folds`` (a :class:`~jaxml.classical.model_selection.Folds`) must be
      concrete, since each fold's rows are gathered by index.
    """
    estimators, is_classifier = _check_layers(estimators, final_estimator)
    n_splits = check_int(n_splits, "n_splits", minimum=2)
    features = _level_one(estimators, is_classifier, check_bool(passthrough, "passthrough"))

    def fit(X, y, folds: Folds | None = None) -> StackedParams:
        X, y = check_X_y(X, y, y_kind="i" if is_classifier else "f")
        n = X.shape[0]
        if folds is None:
            folds = stratified_kfold(y, n_splits) if is_classifier else kfold(n, n_splits)
        test_masks = np.asarray(folds.test)
        if test_masks.ndim != 2 or test_masks.shape[1] != n:
            raise ValueError(f"folds must have masks of shape (n_splits, {n}), got "
                             f"{test_masks.shape}")
        if not np.array_equal(test_masks.sum(axis=0), np.ones(n)):
            raise ValueError("folds must put every row in exactly one test fold")
        rows, parts = [], []
        for test in test_masks:
            train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
            base = tuple(e.fit(X[train_rows], y[train_rows]) for e in estimators)
            rows.append(test_rows)
            parts.append(features(base, X[test_rows]))
        out_of_fold = jnp.concatenate(parts)[np.argsort(np.concatenate(rows))]
        base = tuple(e.fit(X, y) for e in estimators)
        return StackedParams(base=base, final=final_estimator.fit(out_of_fold, y))

    return _assemble(fit, features, final_estimator, is_classifier)


def blending(estimators, final_estimator, *, holdout: float = 0.2, passthrough: bool = False):
    """Blending: base estimators fitted on the first rows, the level-1 learner on their
    predictions for the last ``round(holdout * n)`` rows (shuffle the rows first if their
    order carries information).

    Args:
      estimators: the base estimators (all ``Classifier`` or all ``Regressor``).
      final_estimator: the level-1 learner, of the same kind.
      holdout: fraction of rows, in ``(0, 1)``, held out for the level-1 learner.
      passthrough: append the raw features to the level-1 features.

    Returns:
      An estimator of the base estimators' kind with ``fit(X, y) -> StackedParams``.
    """
    estimators, is_classifier = _check_layers(estimators, final_estimator)
    if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) or not 0 < holdout < 1:
        raise ValueError(f"holdout must be a fraction in (0, 1), got {holdout!r}")
    features = _level_one(estimators, is_classifier, check_bool(passthrough, "passthrough"))

    def fit(X, y) -> StackedParams:
        X, y = check_X_y(X, y, y_kind="i" if is_classifier else "f")
        n = X.shape[0]
        n_holdout = int(round(holdout * n))
        if not 1 <= n_holdout < n:
            raise ValueError(f"holdout={holdout} leaves {n_holdout} of n_samples={n} rows for "
                             "the level-1 learner; need at least one on each side")
        cut = n - n_holdout
        base = tuple(e.fit(X[:cut], y[:cut]) for e in estimators)
        return StackedParams(base=base, final=final_estimator.fit(features(base, X[cut:]), y[cut:]))

    return _assemble(fit, features, final_estimator, is_classifier)
