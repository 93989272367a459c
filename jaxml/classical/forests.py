r"""Random forests and extremely randomised trees: many CART trees grown under one ``vmap``.

A forest of :math:`T` trees averages their leaf values (class fractions or means):

.. math::
    \hat f(x) = \frac1T \sum_{b=1}^T f_b(x).

* **Random forest** (Breiman, 2001): tree :math:`b` is grown on a bootstrap sample (the
  draw counts :math:`m_{bi}` of :math:`n` draws with replacement enter as sample weights)
  and each node looks for its split among ``max_features`` features drawn at random.
  Averaging :math:`T` trees of pairwise correlation :math:`\rho` and variance
  :math:`\sigma^2` leaves variance :math:`\rho\sigma^2 + (1-\rho)\sigma^2/T`; feature
  subsampling lowers :math:`\rho`.
* **Extra-trees** (Geurts, Ernst & Wehenkel, 2006): no bootstrap by default, and each
  candidate feature is split at one threshold drawn uniformly between the node's
  smallest and largest value.
* **Bagging** of any estimator (Breiman, 1996): the same bootstrap-and-average over
  members fitted on resampled rows (:func:`bagging`).
* **Out-of-bag estimate**: a sample left out of tree :math:`b`'s bootstrap
  (:math:`m_{bi} = 0`, probability :math:`(1-1/n)^n \approx e^{-1}`) is predicted by the
  average of those trees only; its score is an almost free estimate of the test score
  (ESL §15.3.1).

The trees are one :class:`jaxml.classical.trees.Tree` with a leading axis of length
``n_estimators``; ``fit(key, X, y)`` is a single jittable program.
"""

from __future__ import annotations

import functools

import math

import jax
import jax.numpy as jnp

from jaxml.classical.trees import (
    CLASSIFICATION_CRITERIA,
    REGRESSION_CRITERIA,
    Tree,
    best_first,
    check_max_leaf_nodes,
    apply,
    check_tree_rules,
    classification_statistics,
    feature_importances,
    grow_tree,
    predict_values,
    regression_statistics,
)
from jaxml.core import (
    Classifier,
    Regressor,
    as_key,
    check_bool,
    check_int,
    check_option,
    pytree_dataclass,
)

__all__ = [
    "Forest",
    "random_forest_classifier",
    "random_forest_regressor",
    "extra_trees_classifier",
    "extra_trees_regressor",
    "resolve_max_features",
    "forest_feature_importances",
    "oob_score",
    "bagging",
    "BaggedParams",
]


@pytree_dataclass
class Forest:
    """``trees``: a :class:`Tree` with a leading axis ``(T, ...)``; ``oob``: out-of-bag
    predictions (class fractions ``(n, K)`` or values ``(n,)``, NaN for a sample that
    was in every bootstrap) or ``None`` when not computed."""

    trees: Tree
    oob: jax.Array | None = None


def resolve_max_features(max_features, n_features: int) -> int | None:
    """scikit-learn's rule: ``"sqrt"`` → ⌊√d⌋, ``"log2"`` → ⌊log₂ d⌋, a float in (0, 1]
    → ⌊f·d⌋, an int as given (all at least 1); ``None`` or ``1.0`` → every feature."""
    if max_features is None:
        return None
    if isinstance(max_features, str):
        check_option(max_features, "max_features", ("sqrt", "log2"))
        k = math.isqrt(n_features) if max_features == "sqrt" else int(math.log2(n_features))
    elif isinstance(max_features, float):
        if not 0.0 < max_features <= 1.0:
            raise ValueError(f"max_features as a fraction must be in (0, 1], got {max_features}")
        k = int(max_features * n_features)
    else:
        k = check_int(max_features, "max_features", minimum=1)
        if k > n_features:
            raise ValueError(f"max_features must be <= the number of features "
                             f"({n_features}), got {k}")
    k = max(1, k)
    return None if k >= n_features else k


def _check_max_features(max_features) -> None:
    if max_features is None or isinstance(max_features, (str, float)):
        resolve_max_features(max_features, 4)  # checks the name or the fraction
    else:
        check_int(max_features, "max_features", minimum=1)


def _bootstrap_counts(key, n, dtype):
    """Draw counts of ``n`` draws with replacement from ``n`` samples."""
    draws = jax.random.randint(key, (n,), 0, n)
    return jnp.zeros((n,), dtype).at[draws].add(1.0)


def _forest(task, *, n_estimators, criterion, max_depth, min_samples_split,
            min_samples_leaf, min_impurity_decrease, max_features, bootstrap, oob_score,
            splitter, max_leaf_nodes=None, n_classes=None):
    check_int(n_estimators, "n_estimators", minimum=1)
    criteria = CLASSIFICATION_CRITERIA if task == "classification" else REGRESSION_CRITERIA
    check_option(criterion, "criterion", criteria)
    rule = "entropy" if criterion == "log_loss" else criterion
    check_tree_rules(max_depth, min_samples_split, min_samples_leaf, min_impurity_decrease)
    _check_max_features(max_features)
    check_max_leaf_nodes(max_leaf_nodes)
    check_bool(bootstrap, "bootstrap")
    check_bool(oob_score, "oob_score")
    if oob_score and not bootstrap:
        raise ValueError("oob_score=True needs bootstrap=True (no sample is out of bag)")

    def fit(key, X, y, sample_weight=None) -> Forest:
        if task == "classification":
            X, stats, w = classification_statistics(X, y, sample_weight, n_classes)
            response = None
        else:
            X, stats, w, response = regression_statistics(X, y, sample_weight)
        k = resolve_max_features(max_features, X.shape[1])
        return fit_checked(as_key(key), X, stats, w, response, k=k)

    @functools.partial(jax.jit, static_argnames="k")
    def fit_checked(key, X, stats, w, response, k) -> Forest:
        """The fit on validated inputs, one compiled program (the checks need concrete
        values, so they run before it, in :func:`fit`)."""
        n = X.shape[0]

        def one(key):
            k_boot, k_tree = jax.random.split(key)
            counts = _bootstrap_counts(k_boot, n, X.dtype) if bootstrap else jnp.ones((n,), X.dtype)
            tree = grow_tree(X, stats * counts[:, None], w * counts, criterion=rule,
                             max_depth=max_depth, min_samples_split=min_samples_split,
                             min_samples_leaf=min_samples_leaf,
                             min_impurity_decrease=min_impurity_decrease, response=response,
                             splitter=splitter, max_features=k, key=k_tree)
            if max_leaf_nodes is not None:
                tree = best_first(tree, max_leaf_nodes)
            return tree, counts

        trees, counts = jax.vmap(one)(jax.random.split(key, n_estimators))
        oob = _out_of_bag(trees, X, counts, task) if oob_score else None
        return Forest(trees=trees, oob=oob)

    def mean_values(forest: Forest, X):
        return jnp.mean(predict_values(forest.trees, X), axis=0)

    if task == "classification":
        def predict_proba(forest: Forest, X):
            return mean_values(forest, X)

        def predict(forest: Forest, X):
            return jnp.argmax(mean_values(forest, X), axis=1).astype(jnp.int32)

        return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)

    def predict_regression(forest: Forest, X):
        return mean_values(forest, X)[:, 0]

    return Regressor(fit=fit, predict=predict_regression)


def _out_of_bag(trees: Tree, X, counts, task):
    values = jax.vmap(lambda t: t.value[apply(t, X)])(trees)  # (T, n, K)
    out = (counts == 0).astype(X.dtype)  # (T, n)
    n_out = jnp.sum(out, axis=0)
    mean = jnp.einsum("tn,tnk->nk", out, values) / jnp.where(n_out > 0, n_out, 1.0)[:, None]
    mean = jnp.where(n_out[:, None] > 0, mean, jnp.nan)
    return mean if task == "classification" else mean[:, 0]


def oob_score(forest: Forest, y) -> tuple[jax.Array, jax.Array]:
    """Out-of-bag accuracy (classification) or R² (regression) over the samples that were
    out of bag at least once, and the number of samples that never were."""
    if forest.oob is None:
        raise ValueError("the forest was fitted with oob_score=False")
    y = jnp.asarray(y)
    if forest.oob.ndim == 2:
        seen = ~jnp.isnan(forest.oob[:, 0])
        hits = jnp.argmax(jnp.nan_to_num(forest.oob), axis=1) == y
        score = jnp.sum(hits * seen) / jnp.sum(seen)
    else:
        seen = ~jnp.isnan(forest.oob)
        pred = jnp.nan_to_num(forest.oob)
        mean = jnp.sum(y * seen) / jnp.sum(seen)
        residual = jnp.sum(seen * (y - pred) ** 2)
        score = 1.0 - residual / jnp.sum(seen * (y - mean) ** 2)
    return score, jnp.sum(~seen)


def forest_feature_importances(forest: Forest) -> jax.Array:
    """Mean of the trees' impurity-decrease importances, renormalised to sum 1."""
    per_tree = jax.vmap(feature_importances)(forest.trees)
    mean = jnp.mean(per_tree, axis=0)
    total = jnp.sum(mean)
    return jnp.where(total > 0, mean / jnp.where(total > 0, total, 1.0), 0.0)


def random_forest_classifier(*, n_estimators: int = 100, criterion: str = "gini",
                             max_depth: int = 10, min_samples_split=2, min_samples_leaf=1,
                             min_impurity_decrease=0.0, max_features="sqrt",
                             bootstrap: bool = True, oob_score: bool = False,
                             max_leaf_nodes: int | None = None,
                             n_classes: int | None = None) -> Classifier:
    """Random forest classifier (Breiman, 2001): bootstrap + ``max_features`` per node.

    ``fit(key, X, y, sample_weight=None) -> Forest``; ``predict_proba`` averages the
    trees' leaf class fractions. ``max_depth`` is static (the trees' layout); scikit-learn
    grows until pure by default, so pass the same ``max_depth`` to compare.
    ``max_leaf_nodes`` grows each tree best first to that many leaves
    (:func:`jaxml.classical.trees.best_first`), within ``max_depth``.
    """
    return _forest("classification", n_estimators=n_estimators, criterion=criterion,
                   max_depth=max_depth, min_samples_split=min_samples_split,
                   min_samples_leaf=min_samples_leaf,
                   min_impurity_decrease=min_impurity_decrease, max_features=max_features,
                   bootstrap=bootstrap, oob_score=oob_score, splitter="best",
                   max_leaf_nodes=max_leaf_nodes, n_classes=n_classes)


def random_forest_regressor(*, n_estimators: int = 100, criterion: str = "squared_error",
                            max_depth: int = 10, min_samples_split=2, min_samples_leaf=1,
                            min_impurity_decrease=0.0, max_features=1.0,
                            bootstrap: bool = True, oob_score: bool = False,
                            max_leaf_nodes: int | None = None) -> Regressor:
    """Random forest regressor (every feature a candidate by default, as scikit-learn)."""
    return _forest("regression", n_estimators=n_estimators, criterion=criterion,
                   max_depth=max_depth, min_samples_split=min_samples_split,
                   min_samples_leaf=min_samples_leaf,
                   min_impurity_decrease=min_impurity_decrease, max_features=max_features,
                   bootstrap=bootstrap, oob_score=oob_score, splitter="best",
                   max_leaf_nodes=max_leaf_nodes)


def extra_trees_classifier(*, n_estimators: int = 100, criterion: str = "gini",
                           max_depth: int = 10, min_samples_split=2, min_samples_leaf=1,
                           min_impurity_decrease=0.0, max_features="sqrt",
                           bootstrap: bool = False, oob_score: bool = False,
                           max_leaf_nodes: int | None = None,
                           n_classes: int | None = None) -> Classifier:
    """Extremely randomised trees (Geurts et al., 2006): one uniform threshold per
    candidate feature, no bootstrap by default."""
    return _forest("classification", n_estimators=n_estimators, criterion=criterion,
                   max_depth=max_depth, min_samples_split=min_samples_split,
                   min_samples_leaf=min_samples_leaf,
                   min_impurity_decrease=min_impurity_decrease, max_features=max_features,
                   bootstrap=bootstrap, oob_score=oob_score, splitter="random",
                   max_leaf_nodes=max_leaf_nodes, n_classes=n_classes)


def extra_trees_regressor(*, n_estimators: int = 100, criterion: str = "squared_error",
                          max_depth: int = 10, min_samples_split=2, min_samples_leaf=1,
                          min_impurity_decrease=0.0, max_features=1.0,
                          bootstrap: bool = False, oob_score: bool = False,
                          max_leaf_nodes: int | None = None) -> Regressor:
    """Extremely randomised trees for regression."""
    return _forest("regression", n_estimators=n_estimators, criterion=criterion,
                   max_depth=max_depth, min_samples_split=min_samples_split,
                   min_samples_leaf=min_samples_leaf,
                   min_impurity_decrease=min_impurity_decrease, max_features=max_features,
                   bootstrap=bootstrap, oob_score=oob_score, splitter="random",
                   max_leaf_nodes=max_leaf_nodes)


@pytree_dataclass
class BaggedParams:
    """``members``: the base estimator's fitted params with a leading axis ``(B, ...)``;
    ``rows``: ``(B, n)`` the bootstrap row indices each member was fitted on."""

    members: object
    rows: jax.Array


def bagging(estimator, *, n_estimators: int = 10, stochastic: bool = False):
    """Bootstrap aggregation of any jaxml estimator (a ``Classifier`` or ``Regressor``).

    Member :math:`b` is fitted on :math:`n` rows drawn with replacement; predictions are
    the mean of the members' ``predict_proba`` (classifiers) or ``predict`` (regressors).
    All members are fitted under one ``vmap``, so the base estimator must be vmappable
    (give classifiers ``n_classes``, since a bootstrap sample may miss a class).

    Args:
      estimator: the base estimator (its ``fit(X, y)``, or ``fit(key, X, y)`` when
        ``stochastic``).
      n_estimators: number of members ``B``.
      stochastic: whether the base estimator's ``fit`` takes a key first.

    Returns:
      The same kind of estimator with ``fit(key, X, y) -> BaggedParams``.
    """
    check_int(n_estimators, "n_estimators", minimum=1)
    check_bool(stochastic, "stochastic")
    is_classifier = isinstance(estimator, Classifier)
    if not is_classifier and not isinstance(estimator, Regressor):
        raise TypeError(f"estimator must be a jaxml Classifier or Regressor, got "
                        f"{type(estimator).__name__}")

    def fit(key, X, y) -> BaggedParams:
        X, y = jnp.asarray(X), jnp.asarray(y)
        n = X.shape[0]
        keys = jax.random.split(as_key(key), n_estimators)

        def one(key):
            k_rows, k_fit = jax.random.split(key)
            rows = jax.random.randint(k_rows, (n,), 0, n)
            args = (X[rows], y[rows])
            return (estimator.fit(k_fit, *args) if stochastic else estimator.fit(*args)), rows

        members, rows = jax.vmap(one)(keys)
        return BaggedParams(members=members, rows=rows)

    if is_classifier:
        def predict_proba(params: BaggedParams, X):
            per_member = jax.vmap(estimator.predict_proba, in_axes=(0, None))(params.members, X)
            return jnp.mean(per_member, axis=0)

        def predict(params: BaggedParams, X):
            return jnp.argmax(predict_proba(params, X), axis=1).astype(jnp.int32)

        return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)

    def predict_mean(params: BaggedParams, X):
        return jnp.mean(jax.vmap(estimator.predict, in_axes=(0, None))(params.members, X), axis=0)

    return Regressor(fit=fit, predict=predict_mean)
