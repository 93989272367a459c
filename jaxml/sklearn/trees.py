"""scikit-learn-compatible trees and tree ensembles over jaxml's pure estimators.

``DecisionTreeClassifier``/``DecisionTreeRegressor`` wrap :mod:`jaxml.classical.trees`,
``RandomForest*`` and ``ExtraTrees*`` wrap :mod:`jaxml.classical.forests`,
``GradientBoosting*`` wrap :mod:`jaxml.classical.boosting`, ``HistGradientBoosting*``
wrap :mod:`jaxml.classical.hist_boosting` and ``Stacking*`` wrap
:mod:`jaxml.classical.stacking`. They follow scikit-learn's estimator contract like the
other :mod:`jaxml.sklearn` classes: ``__init__`` only stores its keyword arguments,
``fit`` validates with ``validate_data``, fits the pure estimator **in float64** (jitted
once per hyperparameters and input shape, the cache of
:func:`jaxml.sklearn.linear.fit_x64`) and keeps the fitted pytree with NumPy leaves in an
attribute ending in ``_`` (``tree_``, ``forest_``, ``boosted_``, ``stacked_``), so the
estimators pickle, clone and work in ``Pipeline``, ``GridSearchCV`` and
``cross_val_score``. Classifiers take any labels (strings included) and map them through
``classes_``.

Differences from scikit-learn, common to all classes:

* ``max_depth`` fixes the array layout of a tree (``2^(max_depth+1) - 1`` nodes), so it
  is a static int in ``1..20``; ``None`` ("grow until the leaves are pure") raises a
  ``ValueError``. Defaults are the pure factories': 5 for a single tree, 10 for the
  forests, 3 for boosting. ``HistGradientBoosting*`` grow to ``max_leaf_nodes`` leaves
  instead, and their ``max_depth`` is scikit-learn's (None: unbounded).
* Randomness comes from a JAX key made from ``random_state`` (an int, default 0; None
  means 0 and a ``numpy.random.RandomState`` gives one draw), so every fit is
  deterministic. The same ``random_state`` does not give scikit-learn's trees.
* No ``n_jobs``, ``verbose``, ``warm_start`` or ``splitter``; ``max_leaf_nodes`` only in
  the decision trees and ``HistGradientBoosting*``, ``class_weight`` only in the latter; only dense input. Only the
  decision trees take ``sample_weight`` (integer weights equal repeated rows there).
  The forests do not (bootstrap draws count rows), nor stacking, nor boosting: its
  gradients are sums of floats, so a split that ties exactly with another under weights
  may not tie under repeated rows, and the tie-break then differs — weights would not
  be equivalent to repetitions, which scikit-learn's checks require of an estimator with
  ``sample_weight``.
* Classifiers need at least two classes in ``y`` (the pure classifiers do); scikit-learn's
  trees and forests also fit a single class.
"""

from __future__ import annotations

import functools
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from jaxml.classical import boosting, forests, hist_boosting, linear, stacking, trees
from jaxml.classical.histograms import hist_feature_importances
from jaxml.core import (
    Classifier,
    Regressor,
    check_bool,
    check_int,
    check_option,
    check_positive,
    check_range,
)
from jaxml.sklearn.linear import (
    LogisticRegression,
    Ridge,
    _jitted_fit,
    _LinearRegressorBase,
    call_x64,
    config_key,
    encode_labels,
)
from jaxml.sklearn.naive_bayes import _NaiveBayesBase

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "StackingClassifier",
    "StackingRegressor",
]


# ------------------------------------------------------------------------------ helpers


def _fit_x64(factory, config, *args):
    """``factory(**config).fit(*args)`` in float64 (key, ``sample_weight``... allowed),
    through ``fit_x64``'s cache of jitted fits; every array leaf of the result as NumPy."""
    with jax.enable_x64(True):
        args = jax.tree.map(jnp.asarray, args)
        params = _jitted_fit(factory, config_key(config))(*args)
        return jax.tree.map(np.asarray, params)


@functools.lru_cache(maxsize=256)
def _jitted_method(factory, config, name):
    return jax.jit(getattr(factory(**dict(config)), name))


def _call_x64(factory, config, name, params, X):
    """The pure estimator's method ``name(params, X)`` jitted, in float64, as NumPy."""
    with jax.enable_x64(True):
        fn = _jitted_method(factory, config_key(config), name)
        return np.asarray(fn(params, jnp.asarray(X, jnp.float64)))


def _seed(random_state) -> int:
    """The int seed of the fit's JAX key (see the module docstring)."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= random_state < 2**32:
            raise ValueError(f"random_state must be in [0, 2**32), got {random_state}")
        return int(random_state)
    raise TypeError(
        f"random_state must be None, an int or a numpy RandomState, got {random_state!r}"
    )


def _key(random_state):
    return jax.random.PRNGKey(_seed(random_state))


def _max_depth(max_depth):
    if max_depth is None:
        raise ValueError(
            "max_depth=None (grow until the leaves are pure) is not supported: the depth "
            "fixes the tree's array layout; give an int in 1..20"
        )
    return max_depth


def _check_sample_weights(sample_weight, X):
    if sample_weight is None:
        return None
    return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)


_jitted_apply = jax.jit(trees.apply)


def _mean_importances(tree_stack):
    """Mean of the normalised importances of a stack of trees (any leading axes)."""
    lead = tree_stack.feature.ndim - 1
    flat = jax.tree.map(lambda a: a.reshape((-1,) + a.shape[lead:]), tree_stack)
    return call_x64(forests.forest_feature_importances, forests.Forest(trees=flat))


# --------------------------------------------------------------------------- the bases


class _TreeModel(BaseEstimator):
    """Shared ``fit``/method plumbing: subclasses give ``_spec`` (the pure factory and its
    hyperparameters), whether ``fit`` takes a key and where the fitted params go."""

    _stochastic = False  # the pure fit takes a PRNG key first
    _params_attr = "tree_"
    _min_classes = 2  # the pure classifiers need two classes
    _ensure_all_finite = True  # "allow-nan" where NaN marks a missing value

    def _spec(self, n_classes, n_features):
        """``(factory, hyperparameters)`` of the pure estimator."""
        raise TypeError("subclasses define _spec")

    def _validate(self, X, y):
        finite = self._ensure_all_finite
        if is_classifier(self):
            X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite=finite)
            target = encode_labels(self, y, min_classes=self._min_classes)
            self.n_classes_ = int(self.classes_.size)
            return X, target, self.n_classes_
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True,
                             ensure_all_finite=finite)
        return X, y, None

    def _fit(self, X, y, sample_weight=None):
        X, target, n_classes = self._validate(X, y)
        sample_weight = _check_sample_weights(sample_weight, X)
        factory, config = self._spec(n_classes, X.shape[1])
        args = (X, target) if sample_weight is None else (X, target, sample_weight)
        if self._stochastic:
            args = (_key(self.random_state),) + args
        params = _fit_x64(factory, config, *args)
        self._fitted_spec = (factory, config)
        setattr(self, self._params_attr, params)
        self._after_fit(params, target)
        return self

    def _after_fit(self, params, target):
        pass

    def _call(self, name, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False,
                          ensure_all_finite=self._ensure_all_finite)
        factory, config = self._fitted_spec
        return _call_x64(factory, config, name, getattr(self, self._params_attr), X)


class _ClassifierMethods(ClassifierMixin):
    def predict_proba(self, X):
        """Class probabilities ``(n, n_classes_)`` in the order of ``classes_``."""
        return self._call("predict_proba", X)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba` (``-inf`` where a probability is 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class label (ties: the first in ``classes_``)."""
        codes = self._call("predict", X)
        return self.classes_[codes]


class _RegressorMethods(RegressorMixin):
    def predict(self, X):
        """Predicted targets ``(n,)``."""
        return self._call("predict", X)


# ------------------------------------------------------------------------ single trees


class _DecisionTree(_TreeModel):
    def __init__(
        self,
        *,
        criterion,
        max_depth=5,
        min_samples_split=2,
        min_samples_leaf=1,
        min_impurity_decrease=0.0,
        ccp_alpha=0.0,
        max_leaf_nodes=None,
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha
        self.max_leaf_nodes = max_leaf_nodes

    def _rules(self):
        return dict(
            criterion=self.criterion,
            max_depth=_max_depth(self.max_depth),
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            min_impurity_decrease=self.min_impurity_decrease,
            ccp_alpha=self.ccp_alpha,
            max_leaf_nodes=self.max_leaf_nodes,
        )

    def fit(self, X, y, sample_weight=None):
        """Grow (and with ``ccp_alpha`` prune) the tree; ``sample_weight`` optional.
        Returns ``self``."""
        return self._fit(X, y, sample_weight)

    def _after_fit(self, params, target):
        self.feature_importances_ = call_x64(trees.feature_importances, params)

    def apply(self, X):
        """Heap index of the leaf each row falls in (node ``k``'s children are
        ``2k+1``, ``2k+2``)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return call_x64(_jitted_apply, self.tree_, X)

    def get_depth(self):
        """Depth of the grown tree (at most ``max_depth``)."""
        check_is_fitted(self)
        reached = np.flatnonzero(self.tree_.n_node_samples > 0)
        return int(np.log2(reached.max() + 1)) if reached.size else 0

    def get_n_leaves(self):
        """Number of leaves of the grown tree."""
        check_is_fitted(self)
        return int(np.sum(self.tree_.is_leaf & (self.tree_.n_node_samples > 0)))


class DecisionTreeClassifier(_ClassifierMethods, _DecisionTree):
    """CART classification tree (:func:`jaxml.classical.trees.decision_tree_classifier`).

    The tree is grown level by level inside ``jit`` and stored in heap order: ``tree_`` is
    a :class:`jaxml.classical.trees.Tree` with NumPy arrays ``feature``, ``threshold``,
    ``value`` (``(N, n_classes_)`` weighted class fractions), ``impurity``,
    ``n_node_samples``, ``weighted_n_node_samples`` and ``is_leaf``. On data without
    tied split scores it grows scikit-learn's tree for the same hyperparameters.

    Args:
      criterion: ``"gini"``, ``"entropy"``, ``"log_loss"`` (= entropy) or
        ``"gain_ratio"`` (C4.5's, an addition).
      max_depth: static depth in ``1..20`` (default 5; None is not supported).
      min_samples_split, min_samples_leaf, min_impurity_decrease, ccp_alpha,
        max_leaf_nodes: as in scikit-learn (``min_samples_*`` are ints: no fractions;
        ``max_leaf_nodes`` best-first growth within the static ``max_depth``).

    Attributes: ``classes_``, ``n_classes_``, ``n_features_in_``, ``tree_``,
    ``feature_importances_`` (impurity decrease, summing to 1). Unlike scikit-learn there
    is no ``splitter``/``max_features``/``random_state`` (the search is exhaustive;
    ties go to the first feature, not a random one).
    """

    def __init__(
        self,
        *,
        criterion="gini",
        max_depth=5,
        min_samples_split=2,
        min_samples_leaf=1,
        min_impurity_decrease=0.0,
        ccp_alpha=0.0,
        max_leaf_nodes=None,
    ):
        super().__init__(
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_impurity_decrease=min_impurity_decrease,
            ccp_alpha=ccp_alpha,
            max_leaf_nodes=max_leaf_nodes,
        )

    def _spec(self, n_classes, n_features):
        return trees.decision_tree_classifier, dict(self._rules(), n_classes=n_classes)


class DecisionTreeRegressor(_RegressorMethods, _DecisionTree):
    """CART regression tree (:func:`jaxml.classical.trees.decision_tree_regressor`).

    Leaves predict the weighted mean of their targets (``criterion="squared_error"``) or
    their weighted median (``"absolute_error"``); ``tree_.value`` is ``(N, 1)``
    (scikit-learn's is ``(N, 1, 1)``). The other arguments and attributes are
    :class:`DecisionTreeClassifier`'s, without ``classes_``.
    """

    def __init__(
        self,
        *,
        criterion="squared_error",
        max_depth=5,
        min_samples_split=2,
        min_samples_leaf=1,
        min_impurity_decrease=0.0,
        ccp_alpha=0.0,
        max_leaf_nodes=None,
    ):
        super().__init__(
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_impurity_decrease=min_impurity_decrease,
            ccp_alpha=ccp_alpha,
            max_leaf_nodes=max_leaf_nodes,
        )

    def _spec(self, n_classes, n_features):
        return trees.decision_tree_regressor, self._rules()


# ----------------------------------------------------------------------------- forests


class _Forest(_TreeModel):
    _stochastic = True
    _params_attr = "forest_"

    def __init__(
        self,
        n_estimators,
        *,
        criterion,
        max_depth,
        min_samples_split,
        min_samples_leaf,
        min_impurity_decrease,
        max_features,
        bootstrap,
        oob_score,
        max_leaf_nodes,
        random_state,
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_impurity_decrease = min_impurity_decrease
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.max_leaf_nodes = max_leaf_nodes
        self.random_state = random_state

    def _spec(self, n_classes, n_features):
        config = dict(
            n_estimators=self.n_estimators,
            criterion=self.criterion,
            max_depth=_max_depth(self.max_depth),
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            min_impurity_decrease=self.min_impurity_decrease,
            max_features=self.max_features,
            bootstrap=self.bootstrap,
            oob_score=self.oob_score,
            max_leaf_nodes=self.max_leaf_nodes,
        )
        if n_classes is not None:
            config["n_classes"] = n_classes
        return self._factory, config

    def fit(self, X, y):
        """Grow the ``n_estimators`` trees (one jitted ``vmap``); returns ``self``."""
        return self._fit(X, y)

    def _after_fit(self, params, target):
        self.feature_importances_ = call_x64(forests.forest_feature_importances, params)
        if params.oob is None:
            return
        score, n_never = call_x64(forests.oob_score, params, target)
        if int(n_never) > 0:
            warnings.warn(
                f"{int(n_never)} samples were in every bootstrap sample and have no OOB "
                "prediction (NaN); they are left out of oob_score_. Use more estimators.",
                UserWarning,
                stacklevel=3,
            )
        self.oob_score_ = float(score)
        if is_classifier(self):
            self.oob_decision_function_ = params.oob
        else:
            self.oob_prediction_ = params.oob


class RandomForestClassifier(_ClassifierMethods, _Forest):
    """Random forest classifier (:func:`jaxml.classical.forests.random_forest_classifier`).

    Bootstrap samples and ``max_features`` random candidates per node; ``predict_proba``
    averages the trees' leaf class fractions.

    Args:
      n_estimators: number of trees (static; all grown under one ``vmap``).
      criterion: ``"gini"``, ``"entropy"``, ``"log_loss"`` or ``"gain_ratio"``.
      max_depth: static depth of every tree in ``1..20`` (default 10; None is not
        supported, while scikit-learn grows until pure by default).
      min_samples_split, min_samples_leaf, min_impurity_decrease: pre-pruning, as in
        scikit-learn (ints: no fractions).
      max_features: candidate features per node: ``"sqrt"``, ``"log2"``, an int, a
        fraction in ``(0, 1]`` or None (all); features constant in a node do not count.
      bootstrap: grow each tree on a bootstrap sample (draw counts as weights).
      oob_score: compute the out-of-bag score (needs ``bootstrap=True``).
      max_leaf_nodes: grow each tree best first to at most this many leaves (within
        ``max_depth``), or None.
      random_state: seed of the JAX key (see the module docstring).

    Attributes: ``forest_`` (the :class:`jaxml.classical.forests.Forest`: the trees
    stacked on a leading axis), ``feature_importances_`` (mean of the trees' normalised
    importances), ``n_features_in_``, ``classes_``, ``n_classes_``; with ``oob_score``
    also ``oob_score_`` (accuracy) and ``oob_decision_function_`` (NaN for a sample in
    every bootstrap). No ``estimators_``, no ``sample_weight``.
    """

    _factory = staticmethod(forests.random_forest_classifier)

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="gini",
        max_depth=10,
        min_samples_split=2,
        min_samples_leaf=1,
        min_impurity_decrease=0.0,
        max_features="sqrt",
        bootstrap=True,
        oob_score=False,
        max_leaf_nodes=None,
        random_state=0,
    ):
        super().__init__(
            n_estimators,
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_impurity_decrease=min_impurity_decrease,
            max_features=max_features,
            bootstrap=bootstrap,
            oob_score=oob_score,
            max_leaf_nodes=max_leaf_nodes,
            random_state=random_state,
        )


class RandomForestRegressor(_RegressorMethods, _Forest):
    """Random forest regressor (:func:`jaxml.classical.forests.random_forest_regressor`).

    Bootstrap samples, every feature a candidate by default (as scikit-learn);
    ``predict`` averages the trees.

    Args:
      n_estimators: number of trees (static; all grown under one ``vmap``).
      criterion: ``"squared_error"`` or ``"absolute_error"`` (leaves: weighted medians).
      max_depth: static depth of every tree in ``1..20`` (default 10; None is not
        supported, while scikit-learn grows until pure by default).
      min_samples_split, min_samples_leaf, min_impurity_decrease: pre-pruning, as in
        scikit-learn (ints: no fractions).
      max_features: candidate features per node: ``"sqrt"``, ``"log2"``, an int, a
        fraction in ``(0, 1]`` or None (all); features constant in a node do not count.
      bootstrap: grow each tree on a bootstrap sample (draw counts as weights).
      oob_score: compute the out-of-bag score (needs ``bootstrap=True``).
      max_leaf_nodes: grow each tree best first to at most this many leaves (within
        ``max_depth``), or None.
      random_state: seed of the JAX key (see the module docstring).

    Attributes: ``forest_`` (the :class:`jaxml.classical.forests.Forest`: the trees
    stacked on a leading axis), ``feature_importances_`` (mean of the trees' normalised
    importances), ``n_features_in_``; with ``oob_score`` also ``oob_score_`` (R²) and
    ``oob_prediction_`` (NaN for a sample in every bootstrap). No ``estimators_``, no
    ``sample_weight``.
    """

    _factory = staticmethod(forests.random_forest_regressor)

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="squared_error",
        max_depth=10,
        min_samples_split=2,
        min_samples_leaf=1,
        min_impurity_decrease=0.0,
        max_features=1.0,
        bootstrap=True,
        oob_score=False,
        max_leaf_nodes=None,
        random_state=0,
    ):
        super().__init__(
            n_estimators,
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_impurity_decrease=min_impurity_decrease,
            max_features=max_features,
            bootstrap=bootstrap,
            oob_score=oob_score,
            max_leaf_nodes=max_leaf_nodes,
            random_state=random_state,
        )


class ExtraTreesClassifier(_ClassifierMethods, _Forest):
    """Extremely randomised trees (:func:`jaxml.classical.forests.extra_trees_classifier`).

    One threshold drawn uniformly per candidate feature, no bootstrap by default;
    ``predict_proba`` averages the trees' leaf class fractions.

    Args:
      n_estimators: number of trees (static; all grown under one ``vmap``).
      criterion: ``"gini"``, ``"entropy"``, ``"log_loss"`` or ``"gain_ratio"``.
      max_depth: static depth of every tree in ``1..20`` (default 10; None is not
        supported, while scikit-learn grows until pure by default).
      min_samples_split, min_samples_leaf, min_impurity_decrease: pre-pruning, as in
        scikit-learn (ints: no fractions).
      max_features: candidate features per node: ``"sqrt"``, ``"log2"``, an int, a
        fraction in ``(0, 1]`` or None (all); features constant in a node do not count.
      bootstrap: grow each tree on a bootstrap sample (draw counts as weights).
      oob_score: compute the out-of-bag score (needs ``bootstrap=True``).
      max_leaf_nodes: grow each tree best first to at most this many leaves (within
        ``max_depth``), or None.
      random_state: seed of the JAX key (see the module docstring).

    Attributes: ``forest_`` (the :class:`jaxml.classical.forests.Forest`: the trees
    stacked on a leading axis), ``feature_importances_`` (mean of the trees' normalised
    importances), ``n_features_in_``, ``classes_``, ``n_classes_``; with ``oob_score``
    also ``oob_score_`` (accuracy) and ``oob_decision_function_`` (NaN for a sample in
    every bootstrap). No ``estimators_``, no ``sample_weight``.
    """

    _factory = staticmethod(forests.extra_trees_classifier)

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="gini",
        max_depth=10,
        min_samples_split=2,
        min_samples_leaf=1,
        min_impurity_decrease=0.0,
        max_features="sqrt",
        bootstrap=False,
        oob_score=False,
        max_leaf_nodes=None,
        random_state=0,
    ):
        super().__init__(
            n_estimators,
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_impurity_decrease=min_impurity_decrease,
            max_features=max_features,
            bootstrap=bootstrap,
            oob_score=oob_score,
            max_leaf_nodes=max_leaf_nodes,
            random_state=random_state,
        )


class ExtraTreesRegressor(_RegressorMethods, _Forest):
    """Extremely randomised regression trees
    (:func:`jaxml.classical.forests.extra_trees_regressor`).

    One threshold drawn uniformly per candidate feature, no bootstrap by default;
    ``predict`` averages the trees.

    Args:
      n_estimators: number of trees (static; all grown under one ``vmap``).
      criterion: ``"squared_error"`` or ``"absolute_error"`` (leaves: weighted medians).
      max_depth: static depth of every tree in ``1..20`` (default 10; None is not
        supported, while scikit-learn grows until pure by default).
      min_samples_split, min_samples_leaf, min_impurity_decrease: pre-pruning, as in
        scikit-learn (ints: no fractions).
      max_features: candidate features per node: ``"sqrt"``, ``"log2"``, an int, a
        fraction in ``(0, 1]`` or None (all); features constant in a node do not count.
      bootstrap: grow each tree on a bootstrap sample (draw counts as weights).
      oob_score: compute the out-of-bag score (needs ``bootstrap=True``).
      max_leaf_nodes: grow each tree best first to at most this many leaves (within
        ``max_depth``), or None.
      random_state: seed of the JAX key (see the module docstring).

    Attributes: ``forest_`` (the :class:`jaxml.classical.forests.Forest`: the trees
    stacked on a leading axis), ``feature_importances_`` (mean of the trees' normalised
    importances), ``n_features_in_``; with ``oob_score`` also ``oob_score_`` (R²) and
    ``oob_prediction_`` (NaN for a sample in every bootstrap). No ``estimators_``, no
    ``sample_weight``.
    """

    _factory = staticmethod(forests.extra_trees_regressor)

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="squared_error",
        max_depth=10,
        min_samples_split=2,
        min_samples_leaf=1,
        min_impurity_decrease=0.0,
        max_features=1.0,
        bootstrap=False,
        oob_score=False,
        max_leaf_nodes=None,
        random_state=0,
    ):
        super().__init__(
            n_estimators,
            criterion=criterion,
            max_depth=max_depth,
            min_samples_split=min_samples_split,
            min_samples_leaf=min_samples_leaf,
            min_impurity_decrease=min_impurity_decrease,
            max_features=max_features,
            bootstrap=bootstrap,
            oob_score=oob_score,
            max_leaf_nodes=max_leaf_nodes,
            random_state=random_state,
        )


# ---------------------------------------------------------------------------- boosting


class _GradientBoosting(_TreeModel):
    _stochastic = True
    _params_attr = "boosted_"

    def _boosting_config(self, n_features):
        return dict(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_depth=_max_depth(self.max_depth),
            reg_lambda=self.reg_lambda,
            reg_alpha=self.reg_alpha,
            min_split_loss=self.min_split_loss,
            min_child_weight=self.min_child_weight,
            min_samples_leaf=self.min_samples_leaf,
            subsample=self.subsample,
            max_features=forests.resolve_max_features(self.max_features, n_features),
        )

    def fit(self, X, y):
        """Boost ``n_estimators`` rounds (one jitted ``lax.scan``); returns ``self``.
        No ``sample_weight`` (see the module docstring)."""
        return self._fit(X, y)

    def _after_fit(self, params, target):
        self.n_estimators_ = int(params.n_rounds_used)
        self.train_score_ = params.train_loss[1:]
        if isinstance(params.trees, trees.Tree):  # the exact trees the wrapper grows
            self.feature_importances_ = _mean_importances(params.trees)


class GradientBoostingClassifier(_ClassifierMethods, _GradientBoosting):
    """Gradient-boosted trees for classification
    (:func:`jaxml.classical.boosting.gradient_boosting_classifier`).

    Second-order (XGBoost) trees on the log-loss: with two classes one tree per round on
    the margin (pure loss ``"log_loss"``; ``decision_function`` is ``(n,)``, positive
    favours ``classes_[1]``), with more classes ``n_classes_`` trees per round on the
    softmax (pure loss ``"softmax"``; ``decision_function`` is ``(n, n_classes_)``). The
    leaves take Newton steps ``-G/(H + reg_lambda)``, so the trees are XGBoost's rather
    than scikit-learn's (which fits least-squares trees to the gradient and then adjusts
    the leaves); there is no ``init``, ``criterion``, ``validation_fraction`` or
    ``n_iter_no_change``.

    Args:
      loss: ``"log_loss"`` (the only one; binary or multinomial as above).
      n_estimators: boosting rounds (static).
      learning_rate: shrinkage of every tree.
      max_depth: static depth of every tree in ``1..20`` (default 3; None unsupported).
      min_samples_leaf: least samples of a child.
      min_child_weight: least Hessian sum of a child (XGBoost's).
      min_split_loss: least gain of a split (XGBoost's γ).
      reg_lambda, reg_alpha: L2 and L1 penalties on the leaf weights (XGBoost's λ, α).
      subsample: fraction of rows drawn (Bernoulli) each round.
      max_features: candidate features per node: ``"sqrt"``, ``"log2"``, an int, a
        fraction in ``(0, 1]`` or None (all).
      random_state: seed of the JAX key (row and feature draws).

    Attributes: ``classes_``, ``n_classes_``, ``n_features_in_``, ``boosted_`` (the
    :class:`jaxml.classical.boosting.Boosted`), ``n_estimators_``, ``train_score_`` (mean
    training loss after each round), ``feature_importances_`` (mean of the trees'
    normalised gain importances).
    """

    def __init__(
        self,
        *,
        loss="log_loss",
        learning_rate=0.1,
        n_estimators=100,
        subsample=1.0,
        max_depth=3,
        min_samples_leaf=1,
        min_child_weight=1.0,
        min_split_loss=0.0,
        reg_lambda=1.0,
        reg_alpha=0.0,
        max_features=None,
        random_state=0,
    ):
        self.loss = loss
        self.learning_rate = learning_rate
        self.n_estimators = n_estimators
        self.subsample = subsample
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.min_child_weight = min_child_weight
        self.min_split_loss = min_split_loss
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.max_features = max_features
        self.random_state = random_state

    def _spec(self, n_classes, n_features):
        check_option(self.loss, "loss", ("log_loss",))
        return boosting.gradient_boosting_classifier, dict(
            self._boosting_config(n_features),
            loss="log_loss" if n_classes == 2 else "softmax",
            n_classes=n_classes,
        )

    def decision_function(self, X):
        """Raw margins: ``(n,)`` for two classes, else ``(n, n_classes_)``."""
        return self._call("decision_function", X)


class _BoostingRegressorMethods(_RegressorMethods):
    """``predict`` and the ``y >= 0`` check of ``loss="poisson"`` (both boostings)."""

    def _validate(self, X, y):
        X, y, n_classes = super()._validate(X, y)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs y >= 0; some value(s) of y are negative")
        return X, y, n_classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags


class GradientBoostingRegressor(_BoostingRegressorMethods, _GradientBoosting):
    """Gradient-boosted regression trees
    (:func:`jaxml.classical.boosting.gradient_boosting_regressor`).

    Second-order (XGBoost) trees where the loss has curvature (squared error, Poisson),
    first-order boosting from the weighted median for absolute error, Huber and quantile.
    The differences from scikit-learn are :class:`GradientBoostingClassifier`'s.

    Args:
      loss: ``"squared_error"``, ``"absolute_error"``, ``"huber"``, ``"quantile"`` or
        ``"poisson"`` (log link; ``y >= 0``; ``predict`` returns the mean).
      n_estimators: boosting rounds (static).
      learning_rate: shrinkage of every tree.
      max_depth: static depth of every tree in ``1..20`` (default 3; None unsupported).
      min_samples_leaf: least samples of a child.
      min_child_weight: least Hessian sum of a child (XGBoost's).
      min_split_loss: least gain of a split (XGBoost's γ).
      reg_lambda, reg_alpha: L2 and L1 penalties on the leaf weights (XGBoost's λ, α).
      subsample: fraction of rows drawn (Bernoulli) each round.
      max_features: candidate features per node: ``"sqrt"``, ``"log2"``, an int, a
        fraction in ``(0, 1]`` or None (all).
      random_state: seed of the JAX key (row and feature draws).
      huber_delta: the Huber threshold (fixed; scikit-learn's is the ``alpha``-quantile
        of the residuals).
      quantile_alpha: the quantile level of ``loss="quantile"`` (scikit-learn's ``alpha``).

    Attributes: ``n_features_in_``, ``boosted_``, ``n_estimators_``, ``train_score_``,
    ``feature_importances_`` (as :class:`GradientBoostingClassifier`).
    """

    def __init__(
        self,
        *,
        loss="squared_error",
        learning_rate=0.1,
        n_estimators=100,
        subsample=1.0,
        max_depth=3,
        min_samples_leaf=1,
        min_child_weight=1.0,
        min_split_loss=0.0,
        reg_lambda=1.0,
        reg_alpha=0.0,
        max_features=None,
        huber_delta=1.0,
        quantile_alpha=0.5,
        random_state=0,
    ):
        self.loss = loss
        self.learning_rate = learning_rate
        self.n_estimators = n_estimators
        self.subsample = subsample
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.min_child_weight = min_child_weight
        self.min_split_loss = min_split_loss
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.max_features = max_features
        self.huber_delta = huber_delta
        self.quantile_alpha = quantile_alpha
        self.random_state = random_state

    def _spec(self, n_classes, n_features):
        return boosting.gradient_boosting_regressor, dict(
            self._boosting_config(n_features),
            loss=self.loss,
            huber_delta=self.huber_delta,
            quantile_alpha=self.quantile_alpha,
        )



# ------------------------------------------------------------------ histogram boosting

_EARLY_STOPPING_MIN_SAMPLES = 10_000  # early_stopping="auto" turns it on above this many rows


def _dtype_categories(X):
    """Names of the columns of a DataFrame ``X`` with a categorical dtype (none for arrays)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return []
    return [str(c) for c, dt in zip(X.columns, dtypes) if getattr(dt, "name", "") == "category"]


class _HistGradientBoosting(_TreeModel):
    _stochastic = True
    _params_attr = "boosted_"
    _ensure_all_finite = "allow-nan"  # NaN is a missing value, routed by a learned direction

    def _categorical(self, n_features):
        """``categorical_features`` as sorted feature indices."""
        cat = self.categorical_features
        if cat is None or (isinstance(cat, str) and cat == "from_dtype"):
            return ()
        cat = np.asarray(cat)
        if cat.ndim != 1:  # another string included
            raise ValueError("categorical_features must be None, 'from_dtype', a boolean mask, "
                             f"feature indices or feature names, got {self.categorical_features!r}")
        if cat.size == 0:
            return ()
        if cat.dtype.kind == "b":
            if cat.size != n_features:
                raise ValueError(f"categorical_features as a boolean mask needs one entry per "
                                 f"feature ({n_features}), got {cat.size}")
            return tuple(int(j) for j in np.flatnonzero(cat))
        if cat.dtype.kind in "OUS":
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError("categorical_features given as feature names needs X with "
                                 "feature names (a DataFrame)")
            unknown = [str(c) for c in cat if c not in set(names)]
            if unknown:
                raise ValueError(f"categorical_features names {unknown} are not features of X")
            return tuple(sorted({int(np.flatnonzero(names == c)[0]) for c in cat}))
        if cat.dtype.kind in "iu":
            outside = cat[(cat < 0) | (cat >= n_features)]
            if outside.size:
                raise ValueError(f"categorical_features index {int(outside[0])} is out of "
                                 f"range for {n_features} features")
            return tuple(sorted({int(j) for j in cat}))
        raise ValueError("categorical_features must be a boolean mask, feature indices or "
                         f"feature names, got dtype {cat.dtype}")

    @staticmethod
    def _check_category_codes(X, categorical, max_bins):
        """The pure factory checks the codes only on concrete ``X``, and its fit is jitted."""
        for j in categorical:
            column = X[:, j]
            codes = column[~np.isnan(column) & (column >= 0)]  # NaN, negative: missing
            bad = codes[(codes != np.round(codes)) | (codes >= max_bins)]
            if bad.size:
                raise ValueError(
                    f"categorical_features: feature {j} must hold integer codes "
                    f"0..max_bins-1 (max_bins={max_bins}; NaN or negative: missing), "
                    f"got {bad[0]!r}"
                )

    def _growth(self):
        """``policy``/``num_leaves``/``max_depth`` of the pure factory."""
        max_depth = self.max_depth
        if max_depth is not None:
            check_int(max_depth, "max_depth", minimum=1)
        if self.max_leaf_nodes is None:
            if max_depth is None:
                raise ValueError(
                    "max_leaf_nodes=None with max_depth=None (unbounded trees) is not "
                    "supported: the tree's shape is static; give max_leaf_nodes or max_depth"
                )
            return {"policy": "depthwise", "max_depth": max_depth}
        num_leaves = check_int(self.max_leaf_nodes, "max_leaf_nodes", minimum=2)
        return {"policy": "leafwise", "num_leaves": num_leaves, "max_depth": max_depth}

    def _hist_config(self, n_features):
        for name in ("monotonic_cst", "interaction_cst"):
            if getattr(self, name) is not None:
                raise ValueError(f"{name} is not supported (only None), "
                                 f"got {getattr(self, name)!r}")
        if check_bool(self.warm_start, "warm_start"):
            raise ValueError("warm_start=True is not supported (only False)")
        check_positive(self.l2_regularization, "l2_regularization", strict=False)
        check_range(self.max_features, "max_features", low=0.0, high=1.0, low_open=True)
        n_drawn = max(1, int(np.ceil(self.max_features * n_features)))
        return dict(
            n_estimators=check_int(self.max_iter, "max_iter", minimum=1),
            learning_rate=self.learning_rate,
            **self._growth(),
            max_bin=check_int(self.max_bins, "max_bins", minimum=2),
            reg_lambda=self.l2_regularization,
            min_samples_leaf=self.min_samples_leaf,
            max_features=None if n_drawn >= n_features else n_drawn,
            categorical_features=self._categorical(n_features),
        )

    def _early_stopping(self, n_samples):
        """Whether this fit stops early, the hyperparameters of it checked."""
        if not (isinstance(self.early_stopping, str) and self.early_stopping == "auto"):
            check_bool(self.early_stopping, "early_stopping")
        if not (isinstance(self.scoring, str) and self.scoring == "loss"):
            raise ValueError("scoring must be 'loss' (the only one supported), "
                             f"got {self.scoring!r}")
        check_int(self.n_iter_no_change, "n_iter_no_change", minimum=1)
        fraction = self.validation_fraction
        if isinstance(fraction, numbers.Integral) and not isinstance(fraction, bool):
            check_int(fraction, "validation_fraction", minimum=1)
        elif fraction is not None:
            check_range(fraction, "validation_fraction", low=0.0, high=1.0, low_open=True,
                        high_open=True)
        if isinstance(self.early_stopping, str):
            return n_samples > _EARLY_STOPPING_MIN_SAMPLES
        return bool(self.early_stopping)

    def fit(self, X, y):
        """Bin ``X`` and boost ``max_iter`` rounds (one jitted ``lax.scan``), with early
        stopping on a held-out ``validation_fraction`` when it is on; returns ``self``.
        No ``sample_weight`` (see the class docstring)."""
        if isinstance(self.categorical_features, str) and _dtype_categories(X):
            raise ValueError(
                f"categorical_features='from_dtype': the categorical columns "
                f"{_dtype_categories(X)} are not supported; encode them as integer codes "
                "0..max_bins-1 and pass their indices as categorical_features"
            )
        X, target, n_classes = self._validate(X, y)
        n, d = X.shape
        factory, config = self._spec(n_classes, d)
        self._check_category_codes(X, config["categorical_features"], config["max_bin"])
        seed = _seed(self.random_state)
        self.do_early_stopping_ = self._early_stopping(n)
        weights = self._class_weights(target)
        args = (_key(seed), X, target, weights)
        if self.do_early_stopping_:
            config = dict(config, n_iter_no_change=self.n_iter_no_change)
            if self.validation_fraction is not None:
                stratify = target if n_classes is not None else None
                rows = np.arange(n)
                train, val = train_test_split(rows, test_size=self.validation_fraction,
                                              stratify=stratify, random_state=seed)
                args = (_key(seed), X[train], target[train],
                        None if weights is None else weights[train], (X[val], target[val]))
            else:  # scikit-learn's validation_fraction=None: stop on the training loss
                args = (*args, (X, target))
        params = _fit_x64(factory, config, *args)
        self._fitted_spec = (factory, config)
        self.boosted_ = params
        self._after_fit(params, target)
        return self

    def _class_weights(self, target):
        """Per-sample weights of ``class_weight`` (classifier), else None."""

    def _after_fit(self, params, target):
        self.n_iter_ = int(params.n_rounds_used)
        kept = slice(0, self.n_iter_ + 1)
        self.train_score_ = -params.train_loss[kept]
        self.validation_score_ = (-params.eval_loss[kept] if self.do_early_stopping_
                                  else np.empty(0))
        rounds = jax.tree.map(lambda a: a[: self.n_iter_], params.trees)
        self.feature_importances_ = call_x64(hist_feature_importances, rounds)
        categorical = self._fitted_spec[1]["categorical_features"]
        mask = np.isin(np.arange(self.n_features_in_), categorical)
        self.is_categorical_ = mask if categorical else None
        self.n_trees_per_iteration_ = max(int(params.n_classes), 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


_HIST_DOC = """
    The trees are :mod:`jaxml.classical.histograms`': every feature binned once at fit
    into at most ``max_bins`` bins (the midpoints between distinct values when there are
    that few, else exact quantiles; scikit-learn takes quantiles of a 200 000-row
    subsample), split search on per-node gradient histograms, best-first (leaf-wise)
    growth to ``max_leaf_nodes`` leaves, NaN routed by a learned default direction
    (where a node saw none, to its larger child, as scikit-learn), categorical splits by
    sorting categories on ``G/(H + 10)``. Leaves take the Newton step
    ``-G/(H + l2_regularization)`` shrunk by ``learning_rate``, as scikit-learn's.

    Args:
      learning_rate: shrinkage of every tree.
      max_iter: boosting rounds (static; the pure factory's ``n_estimators``).
      max_leaf_nodes: leaves of every tree (static; ``num_leaves``, best-first growth).
        None grows complete trees level by level to ``max_depth`` (the same trees:
        without a leaf bound the growth order does not matter), which then must be an
        int ``<= 16``; None for both is not supported (the shapes are static).
      max_depth: bound on the depth (edges from the root), None for none.
      min_samples_leaf: least samples of a child (default 20, as scikit-learn).
      l2_regularization: L2 penalty on the leaf weights (``reg_lambda``; default 0).
      max_features: fraction of the features drawn at random **per tree** (LightGBM's
        ``feature_fraction``, ``ceil(max_features * n_features)`` of them); scikit-learn
        draws them per split.
      max_bins: bins of non-missing values per feature (``max_bin``); missing values get
        one more.
      categorical_features: None or ``"from_dtype"`` (no categorical feature: columns of
        a pandas categorical dtype raise a ``ValueError``, as jaxml takes integer codes,
        not categories), a boolean mask, or feature indices or names (names need a
        DataFrame). Those features must hold integer codes ``0..max_bins-1``; NaN and
        negative codes are missing. A category no training row of a node holds (one
        unseen at fit included) goes to its right child; scikit-learn sends categories
        unseen at fit with the missing values.
      early_stopping: ``"auto"`` (on above 10 000 samples, as scikit-learn), True or
        False. When on, ``validation_fraction`` of the rows (a float in (0, 1) or a count;
        stratified for the classifier; None: the training rows) are held out and the
        rounds are cut at the least validation loss once ``n_iter_no_change`` rounds in a
        row have not improved on it. All ``max_iter`` rounds are still computed (one
        ``lax.scan``), and unlike scikit-learn, which keeps ``n_iter_no_change`` rounds
        past the best, the model ends at the best round; there is no ``tol`` (any
        decrease is an improvement).
      scoring: ``"loss"`` only (the validation loss); scorers and None raise.
      random_state: seed of the JAX key (the ``max_features`` draws) and of the
        validation split (see the module docstring; default 0).
      monotonic_cst, interaction_cst: only None; warm_start: only False.

    Not supported (no such argument): ``tol`` (see ``early_stopping``), ``verbose``,
    ``sample_weight`` in ``fit`` (as :class:`GradientBoostingClassifier`, and here zero
    weights would also move the bin edges and ``min_samples_leaf`` counts rows, so
    weights are not repetitions — scikit-learn's own check of that fails for its
    histogram boosting too), ``staged_predict``/``staged_decision_function`` (nor the
    :class:`GradientBoostingClassifier` wrappers have them; see
    :func:`jaxml.classical.boosting.staged_decision`), ``X_val``/``y_val`` in ``fit``.
    In a ``Stacking*`` layer the estimator fits without early stopping.
"""


class HistGradientBoostingClassifier(_ClassifierMethods, _HistGradientBoosting):
    __doc__ = """Histogram gradient boosting for classification
    (:func:`jaxml.classical.hist_boosting.hist_gradient_boosting_classifier`).

    With two classes one tree per round on the margin (``decision_function`` is
    ``(n,)``, positive favours ``classes_[1]``), with more ``n_classes_`` trees per round
    on the softmax (``decision_function`` is ``(n, n_classes_)``). Randomness only comes
    in with ``max_features < 1`` or early stopping, so the default fit is deterministic.
    """ + _HIST_DOC + """
    The classifier also takes ``loss`` (``"log_loss"`` only) and ``class_weight``:
    None, ``"balanced"`` (``n_samples / (n_classes * count)``, from all rows before the
    validation split) or a dict ``{label: weight}`` (missing labels: 1), every weight
    finite and ``> 0``. The weights scale the rows' gradients and Hessians, the initial
    score and the bin quantiles; the validation loss of early stopping is unweighted
    (scikit-learn's is weighted).

    Attributes: ``classes_``, ``n_classes_``, ``n_features_in_``, ``boosted_`` (the
    :class:`jaxml.classical.boosting.Boosted`; ``design`` holds the bins), ``n_iter_``
    (rounds kept), ``n_trees_per_iteration_``, ``do_early_stopping_``, ``train_score_``
    and ``validation_score_`` (minus the mean loss before and after each kept round;
    ``train_score_`` always, ``validation_score_`` only with early stopping, else empty;
    scikit-learn's ``train_score_`` is empty without it too), ``is_categorical_`` and,
    beyond scikit-learn, ``feature_importances_`` (total split gain per feature over the
    kept rounds, normalised to sum 1: LightGBM's ``importance_type="gain"``).
    """

    def __init__(
        self,
        loss="log_loss",
        *,
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=31,
        max_depth=None,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_features=1.0,
        max_bins=255,
        categorical_features="from_dtype",
        monotonic_cst=None,
        interaction_cst=None,
        warm_start=False,
        early_stopping="auto",
        scoring="loss",
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=0,
        class_weight=None,
    ):
        self.loss = loss
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_features = max_features
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.monotonic_cst = monotonic_cst
        self.interaction_cst = interaction_cst
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.class_weight = class_weight

    def _spec(self, n_classes, n_features):
        check_option(self.loss, "loss", ("log_loss",))
        return hist_boosting.hist_gradient_boosting_classifier, dict(
            self._hist_config(n_features),
            loss="log_loss" if n_classes == 2 else "softmax",
            n_classes=n_classes,
        )

    def _class_weights(self, target):
        class_weight = self.class_weight
        if class_weight is None:
            return None
        if isinstance(class_weight, dict):
            per_class = np.array([float(class_weight.get(c, 1.0)) for c in self.classes_])
        elif isinstance(class_weight, str) and class_weight == "balanced":
            counts = np.bincount(target, minlength=self.n_classes_)
            per_class = target.size / (self.n_classes_ * counts)
        else:
            raise ValueError("class_weight must be None, 'balanced' or a dict "
                             f"{{label: weight}}, got {class_weight!r}")
        if not np.all(np.isfinite(per_class) & (per_class > 0)):
            raise ValueError(f"class_weight must give every class a finite weight > 0, "
                             f"got {class_weight!r}")
        return per_class[target]

    def decision_function(self, X):
        """Raw margins: ``(n,)`` for two classes, else ``(n, n_classes_)``."""
        return self._call("decision_function", X)


class HistGradientBoostingRegressor(_BoostingRegressorMethods, _HistGradientBoosting):
    __doc__ = """Histogram gradient boosting for regression
    (:func:`jaxml.classical.hist_boosting.hist_gradient_boosting_regressor`).

    Second-order trees for squared error and Poisson (log link; ``y >= 0``; ``predict``
    returns the mean), first-order ones (``h = 1``) started from the weighted median
    (quantile) for absolute error and quantile: their leaves are the shrunk mean negative
    gradient, where scikit-learn refits each leaf to the median (quantile) of its
    residuals. Without ``max_features < 1`` or early stopping the fit is deterministic.
    """ + _HIST_DOC + """
    The regressor also takes ``loss`` (``"squared_error"``, ``"absolute_error"``,
    ``"quantile"`` or ``"poisson"``; scikit-learn's ``"gamma"`` raises) and
    ``quantile`` (the level of ``loss="quantile"``, required for it).

    Attributes: ``n_features_in_``, ``boosted_``, ``n_iter_``,
    ``n_trees_per_iteration_`` (1), ``do_early_stopping_``, ``train_score_``,
    ``validation_score_``, ``is_categorical_``, ``feature_importances_`` (as
    :class:`HistGradientBoostingClassifier`).
    """

    def __init__(
        self,
        loss="squared_error",
        *,
        quantile=None,
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=31,
        max_depth=None,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_features=1.0,
        max_bins=255,
        categorical_features="from_dtype",
        monotonic_cst=None,
        interaction_cst=None,
        warm_start=False,
        early_stopping="auto",
        scoring="loss",
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=0,
    ):
        self.loss = loss
        self.quantile = quantile
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_features = max_features
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.monotonic_cst = monotonic_cst
        self.interaction_cst = interaction_cst
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state

    def _spec(self, n_classes, n_features):
        check_option(self.loss, "loss", ("squared_error", "absolute_error", "quantile", "poisson"))
        config = dict(self._hist_config(n_features), loss=self.loss)
        if self.loss == "quantile":
            if self.quantile is None:
                raise ValueError("loss='quantile' needs quantile, a float in (0, 1)")
            check_range(self.quantile, "quantile", low=0.0, high=1.0, low_open=True,
                        high_open=True)
            config["quantile_alpha"] = float(self.quantile)
        return hist_boosting.hist_gradient_boosting_regressor, config


# ---------------------------------------------------------------------------- stacking


def _layer_spec(est, n_classes, n_features, where):
    """``(factory, hyperparameters, seed or None)`` of the pure estimator behind a
    :mod:`jaxml.sklearn` estimator, for a stacking layer."""
    if not isinstance(est, BaseEstimator) or is_classifier(est) != (n_classes is not None):
        kind = "classifier" if n_classes is not None else "regressor"
        raise TypeError(f"{where} must be a jaxml.sklearn {kind}, got {est!r}")
    if isinstance(est, HistGradientBoostingClassifier) and est.class_weight is not None:
        raise TypeError(f"{where}: class_weight is not supported in stacking")
    if isinstance(est, _TreeModel) and not isinstance(est, _Stacking):
        factory, config = est._spec(n_classes, n_features)
        return factory, config, _seed(est.random_state) if est._stochastic else None
    if isinstance(est, LogisticRegression):
        class_weight = est.class_weight
        if isinstance(class_weight, dict):
            raise TypeError(f"{where}: a dict class_weight is not supported in stacking")
        return linear.logistic_regression, dict(
            C=est.C, penalty=est.penalty, solver=est.solver, fit_intercept=est.fit_intercept,
            class_weight=class_weight, n_classes=n_classes, tol=est.tol, max_iter=est.max_iter,
        ), None
    if isinstance(est, _LinearRegressorBase):
        return (*est._estimator(), None)
    if isinstance(est, _NaiveBayesBase):
        return (*est._spec(n_classes), None)
    raise TypeError(
        f"{where} must be a jaxml.sklearn tree, forest, boosting, linear or naive Bayes "
        f"estimator (one with a pure jaxml estimator behind it), got {type(est).__name__}"
    )


def _layer(factory, config, seed, classifier):
    """The pure estimator of a layer with jitted, cached ``fit`` (its key bound) and
    prediction functions; call it under ``jax.enable_x64``."""
    key = config_key(config)
    fit = _jitted_fit(factory, key)
    if seed is not None:
        fit = functools.partial(fit, jax.random.PRNGKey(seed))
    predict = _jitted_method(factory, key, "predict")
    if not classifier:
        return Regressor(fit=fit, predict=predict)
    return Classifier(fit=fit, predict=predict,
                      predict_proba=_jitted_method(factory, key, "predict_proba"))


class _Stacking(_TreeModel):
    _params_attr = "stacked_"

    def __init__(self, estimators=None, final_estimator=None, *, cv=5, passthrough=False):
        self.estimators = estimators
        self.final_estimator = final_estimator
        self.cv = cv
        self.passthrough = passthrough

    def _named_estimators(self):
        if self.estimators is None:
            return self._default_estimators()
        if not isinstance(self.estimators, (list, tuple)) or not self.estimators:
            raise TypeError("estimators must be a non-empty list of (name, estimator) pairs, "
                            f"got {self.estimators!r}")
        names = []
        for i, pair in enumerate(self.estimators):
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
                raise TypeError(f"estimators[{i}] must be a (name, estimator) pair, got {pair!r}")
            names.append(pair[0])
        if len(set(names)) != len(names):
            raise ValueError(f"estimators must have unique names, got {names}")
        return list(self.estimators)

    def fit(self, X, y):
        """Fit the level-0 estimators on ``cv`` folds and on all rows, and the final
        estimator on their out-of-fold predictions; returns ``self``."""
        X, target, n_classes = self._validate(X, y)
        cv = check_int(self.cv, "cv", minimum=2)
        passthrough = check_bool(self.passthrough, "passthrough")
        n, d = X.shape
        if n < cv:
            raise ValueError(f"{type(self).__name__} with cv={cv} needs at least {cv} samples, "
                             f"got n_samples={n}")
        base = [_layer_spec(est, n_classes, d, f"estimators[{i}] ({name!r})")
                for i, (name, est) in enumerate(self._named_estimators())]
        columns = 1 if n_classes is None or n_classes == 2 else n_classes
        width = columns * len(base) + (d if passthrough else 0)
        final_estimator = self.final_estimator
        if final_estimator is None:
            final_estimator = self._default_final()
        final = _layer_spec(final_estimator, n_classes, width, "final_estimator")
        self._fitted_spec = (tuple(base), final, cv, passthrough)
        with jax.enable_x64(True):
            params = self._pure().fit(jnp.asarray(X), jnp.asarray(target))
            self.stacked_ = jax.tree.map(np.asarray, params)
        return self

    def _pure(self):
        base, final, cv, passthrough = self._fitted_spec
        classifier = is_classifier(self)
        return stacking.stacking([_layer(*spec, classifier) for spec in base],
                                 _layer(*final, classifier), n_splits=cv,
                                 passthrough=passthrough)

    def _call(self, name, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with jax.enable_x64(True):
            return np.asarray(getattr(self._pure(), name)(self.stacked_, jnp.asarray(X)))


class StackingClassifier(_ClassifierMethods, _Stacking):
    """Stacked generalisation of classifiers (:func:`jaxml.classical.stacking.stacking`).

    The pure :func:`jaxml.classical.stacking.stacking` fits every level-0 estimator on
    the other folds of ``cv`` folds (stratified folds without shuffling, as
    scikit-learn's ``cv=int``), fits the final estimator on their out-of-fold class
    probabilities (only that of ``classes_[1]`` with two classes) and refits the level-0
    estimators on all rows. Each layer is the pure jaxml estimator
    behind a :mod:`jaxml.sklearn` estimator (the trees, forests and boosting here, the
    linear models, naive Bayes), read from its hyperparameters; the estimators given are
    never fitted themselves.

    Args:
      estimators: list of ``(name, estimator)`` pairs; None means
        ``[("tree", DecisionTreeClassifier()), ("logistic", LogisticRegression())]``.
      final_estimator: the level-1 estimator; None means ``LogisticRegression()``
        (scikit-learn's default is the same).
      cv: number of folds (an int ``>= 2``; no CV splitter objects).
      passthrough: also give the final estimator the raw features.

    Attributes: ``stacked_`` (the :class:`jaxml.classical.stacking.StackedParams`: the
    level-0 params refitted on all rows and the final params), ``n_features_in_``,
    ``classes_``, ``n_classes_``. Unlike scikit-learn there are no fitted
    ``estimators_``/``final_estimator_`` objects, no ``stack_method`` choice, no
    ``transform`` and no ``sample_weight``.
    """

    def _default_estimators(self):
        return [("tree", DecisionTreeClassifier()), ("logistic", LogisticRegression())]

    def _default_final(self):
        return LogisticRegression()


class StackingRegressor(_RegressorMethods, _Stacking):
    """Stacked generalisation of regressors (:func:`jaxml.classical.stacking.stacking`).

    The pure :func:`jaxml.classical.stacking.stacking` fits every level-0 estimator on
    the other folds of ``cv`` folds (contiguous folds without shuffling, as
    scikit-learn's ``cv=int``), fits the final estimator on their out-of-fold predictions
    and refits the level-0 estimators on all rows. Each layer is the pure jaxml estimator
    behind a :mod:`jaxml.sklearn` estimator (the trees, forests and boosting here, the
    linear models, naive Bayes), read from its hyperparameters; the estimators given are
    never fitted themselves.

    Args:
      estimators: list of ``(name, estimator)`` pairs; None means
        ``[("tree", DecisionTreeRegressor()), ("ridge", Ridge())]``.
      final_estimator: the level-1 estimator; None means ``Ridge()``
        (scikit-learn's default is ``RidgeCV()``).
      cv: number of folds (an int ``>= 2``; no CV splitter objects).
      passthrough: also give the final estimator the raw features.

    Attributes: ``stacked_`` (the :class:`jaxml.classical.stacking.StackedParams`: the
    level-0 params refitted on all rows and the final params), ``n_features_in_``.
    Unlike scikit-learn there are no fitted ``estimators_``/``final_estimator_`` objects,
    no ``stack_method`` choice, no ``transform`` and no ``sample_weight``.
    """

    def _default_estimators(self):
        return [("tree", DecisionTreeRegressor()), ("ridge", Ridge())]

    def _default_final(self):
        return Ridge()
