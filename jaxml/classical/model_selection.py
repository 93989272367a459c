"""Model selection: fold generators, vmapped cross-validation and grid search, learning
and validation curves, and the Monte-Carlo bias–variance decomposition.

**Folds as masks.** A split is a pair of boolean masks ``Folds(train, test)`` of shape
``(n_splits, n_samples)``. Masks keep every fold the same shape, so cross-validation
over all folds × hyperparameters is one ``jax.vmap`` inside one ``jax.jit``:

* estimators whose ``fit(X, y, sample_weight=w)`` accepts weights are fitted on the full
  data with the train mask as weights (a 0/1-weighted objective is the objective on the
  training subset), e.g. :func:`jaxml.classical.linear.ridge` and
  :func:`jaxml.classical.linear.logistic_regression`;
* any other estimator is fitted on gathered training rows, which needs every fold to
  have the same number of training rows (e.g. ``n`` divisible by ``n_splits``).

Predictions are made on all rows and scored with the test mask as sample weights.
The generators reproduce scikit-learn's ``KFold``, ``StratifiedKFold``, ``GroupKFold``
and ``TimeSeriesSplit`` (``shuffle=False``) fold for fold; :func:`permute_folds` gives
shuffled variants from an explicit key.

**Cross-validation estimate** (Stone 1974): for K folds :math:`F_k`,
:math:`\\widehat{\\mathrm{err}} = \\frac1K\\sum_k \\mathrm{score}(y_{F_k}, f^{-k}(X_{F_k}))`.

**Bias–variance** (Geman, Bienenstock & Doursat 1992): for squared loss at a test point
x with :math:`y = f(x) + \\varepsilon`, :math:`\\mathrm{Var}\\,\\varepsilon = \\sigma^2`,

.. math:: \\mathbb E_{D,\\varepsilon}(y - \\hat f_D(x))^2 = (\\mathbb E_D\\hat f_D(x) - f(x))^2
          + \\mathrm{Var}_D \\hat f_D(x) + \\sigma^2,

estimated by refitting on ``n_rounds`` independent training sets (one vmapped fit).
"""

from __future__ import annotations

import inspect
import itertools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.classical import metrics
from jaxml.core import (
    as_key,
    check_array,
    check_int,
    check_positive,
    check_same_length,
    check_X,
)

__all__ = [
    "Folds",
    "kfold",
    "stratified_kfold",
    "group_kfold",
    "time_series_split",
    "permute_folds",
    "fold_indices",
    "param_grid_product",
    "CVResult",
    "cross_validate",
    "GridSearchResult",
    "grid_search",
    "learning_curve",
    "validation_curve",
    "BiasVariance",
    "bias_variance_decomposition",
]


# ------------------------------------------------------------------------------ folds


class Folds(NamedTuple):
    """Boolean ``(n_splits, n_samples)`` masks of the training and test rows per split."""

    train: jax.Array
    test: jax.Array


def _folds_from_assignment(fold_of: np.ndarray, n_splits: int) -> Folds:
    test = fold_of[None, :] == np.arange(n_splits)[:, None]
    return Folds(train=jnp.asarray(~test), test=jnp.asarray(test))


def _check_splits(n_splits: int, n: int, what: str = "n_samples") -> int:
    n_splits = check_int(n_splits, "n_splits", minimum=2)
    if n_splits > n:
        raise ValueError(f"n_splits={n_splits} is greater than {what}={n}")
    return n_splits


def kfold(n_samples: int, n_splits: int = 5) -> Folds:
    """Contiguous folds; the first ``n % n_splits`` folds get one extra row
    (``sklearn.model_selection.KFold(n_splits)``)."""
    n = check_int(n_samples, "n_samples", minimum=1)
    n_splits = _check_splits(n_splits, n)
    sizes = np.full(n_splits, n // n_splits)
    sizes[: n % n_splits] += 1
    return _folds_from_assignment(np.repeat(np.arange(n_splits), sizes), n_splits)


def stratified_kfold(y: Any, n_splits: int = 5) -> Folds:
    """Folds that keep class proportions (``StratifiedKFold(n_splits)``).

    Classes are numbered by first appearance; the sorted label vector is dealt round-robin
    to the folds to decide how many of each class a fold gets, and each class's rows go,
    in order, to folds 0, 1, ... in those numbers.
    """
    y_np = np.asarray(y)
    if y_np.ndim != 1 or y_np.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array, got shape {y_np.shape}")
    n_splits = _check_splits(n_splits, y_np.size)
    _, first, inverse = np.unique(y_np, return_index=True, return_inverse=True)
    code = np.argsort(np.argsort(first))[inverse]  # class index by first appearance
    counts = np.bincount(code)
    if counts.max() < n_splits:
        raise ValueError(f"n_splits={n_splits} is greater than the size of every class {counts}")
    dealt = np.sort(code)
    per_fold = np.stack([np.bincount(dealt[i::n_splits], minlength=counts.size)
                         for i in range(n_splits)])
    fold_of = np.empty(y_np.size, int)
    for c in range(counts.size):
        fold_of[code == c] = np.repeat(np.arange(n_splits), per_fold[:, c])
    return _folds_from_assignment(fold_of, n_splits)


def group_kfold(groups: Any, n_splits: int = 5) -> Folds:
    """Folds that never split a group (``GroupKFold(n_splits)``): groups from largest to
    smallest go to the currently lightest fold."""
    g = np.asarray(groups)
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"groups must be a non-empty 1-D array, got shape {g.shape}")
    _, code = np.unique(g, return_inverse=True)
    sizes = np.bincount(code)
    n_splits = _check_splits(n_splits, sizes.size, "the number of groups")
    by_size = np.argsort(sizes, kind="stable")[::-1]
    load = np.zeros(n_splits)
    fold_of_group = np.zeros(sizes.size, int)
    for grp in by_size:
        lightest = int(np.argmin(load))
        load[lightest] += sizes[grp]
        fold_of_group[grp] = lightest
    return _folds_from_assignment(fold_of_group[code], n_splits)


def time_series_split(n_samples: int, n_splits: int = 5, *, test_size: int | None = None,
                      gap: int = 0, max_train_size: int | None = None) -> Folds:
    """Expanding-window splits for ordered data (``TimeSeriesSplit``): split k tests on
    the k-th block of ``test_size`` rows at the end and trains on everything before it
    (minus ``gap`` rows, at most ``max_train_size``)."""
    n = check_int(n_samples, "n_samples", minimum=1)
    n_splits = check_int(n_splits, "n_splits", minimum=2)
    gap = check_int(gap, "gap", minimum=0)
    size = n // (n_splits + 1) if test_size is None else check_int(test_size, "test_size", minimum=1)
    if size < 1 or n - gap - size * n_splits <= 0:
        raise ValueError(
            f"too many splits: n_splits={n_splits}, test_size={size}, gap={gap} for n_samples={n}")
    idx = np.arange(n)
    train = np.zeros((n_splits, n), bool)
    test = np.zeros((n_splits, n), bool)
    for k, start in enumerate(range(n - n_splits * size, n, size)):
        end = start - gap
        first = 0 if max_train_size is None else max(0, end - max_train_size)
        train[k] = (idx >= first) & (idx < end)
        test[k] = (idx >= start) & (idx < start + size)
    return Folds(train=jnp.asarray(train), test=jnp.asarray(test))


def permute_folds(key: Any, folds: Folds, *, y: Any = None) -> Folds:
    """Shuffled folds: relabel the rows by a random permutation (within each class of
    ``y`` when given, which keeps stratification)."""
    key = as_key(key)
    n = folds.test.shape[1]
    u = np.asarray(jax.random.uniform(key, (n,)))
    if y is None:
        perm = np.argsort(u)
    else:
        y_np = np.asarray(y)
        perm = np.arange(n)
        for c in np.unique(y_np):
            rows = np.flatnonzero(y_np == c)
            perm[rows] = rows[np.argsort(u[rows])]
    inv = np.argsort(perm)
    return Folds(train=folds.train[:, inv], test=folds.test[:, inv])


def fold_indices(folds: Folds) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(train_idx, test_idx), ...]`` as scikit-learn's ``split`` yields them."""
    train, test = np.asarray(folds.train), np.asarray(folds.test)
    return [(np.flatnonzero(a), np.flatnonzero(b)) for a, b in zip(train, test)]


def param_grid_product(**axes: Any) -> dict[str, jax.Array]:
    """The Cartesian product of per-parameter value lists, as equal-length arrays
    (row-major: the last parameter varies fastest), for :func:`cross_validate`."""
    if not axes:
        raise ValueError("param_grid_product needs at least one parameter")
    names = list(axes)
    rows = list(itertools.product(*(np.asarray(axes[k]).reshape(-1) for k in names)))
    return {k: jnp.asarray([r[i] for r in rows]) for i, k in enumerate(names)}


# -------------------------------------------------------------------- cross-validation


_SCORERS: dict[str, Callable] = {
    "accuracy": metrics.accuracy,
    "r2": metrics.r2,
    "neg_mean_squared_error": lambda t, p, sample_weight=None: -metrics.mse(t, p, sample_weight=sample_weight),
    "neg_mean_absolute_error": lambda t, p, sample_weight=None: -metrics.mae(t, p, sample_weight=sample_weight),
}


def _scorer(scorer: Any) -> Callable:
    if callable(scorer):
        return scorer
    if scorer not in _SCORERS:
        raise ValueError(f"scorer must be a callable or one of {tuple(_SCORERS)}, got {scorer!r}")
    return _SCORERS[scorer]


def _grid(param_grid: dict | None) -> tuple[dict[str, jax.Array], int]:
    if not param_grid:
        return {}, 1
    grid = {k: jnp.asarray(v).reshape(-1) for k, v in param_grid.items()}
    lengths = {k: v.shape[0] for k, v in grid.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"param_grid arrays must have equal lengths (use param_grid_product), got {lengths}")
    return grid, next(iter(lengths.values()))


def _check_folds(folds: Folds, n: int) -> Folds:
    if not isinstance(folds, Folds):
        raise TypeError(f"folds must be a Folds(train, test) of masks, got {type(folds).__name__}")
    if folds.train.ndim != 2 or folds.train.shape != folds.test.shape or folds.train.shape[1] != n:
        raise ValueError(f"folds masks must have shape (n_splits, {n}), got {folds.train.shape}")
    return folds


def _check_param_names(estimator_factory: Callable, grid: dict) -> None:
    """Every grid name is a parameter of the factory (unless it takes ``**kwargs``)."""
    try:
        params = inspect.signature(estimator_factory).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    valid = [name for name, p in params.items()
             if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    unknown = [name for name in grid if name not in valid]
    if unknown:
        raise ValueError(f"param_grid names {unknown} are not parameters of the estimator "
                         f"factory; valid names: {valid}")


def _accepts_sample_weight(fit: Callable) -> bool:
    try:
        return "sample_weight" in inspect.signature(fit).parameters
    except (TypeError, ValueError):
        return False


def _gather_indices(train: np.ndarray) -> np.ndarray:
    sizes = train.sum(axis=1)
    if len(set(sizes.tolist())) != 1:
        raise ValueError(
            "this estimator's fit takes no sample_weight, so every fold needs the same number "
            f"of training rows to stay one vmapped call; got {sizes.tolist()}")
    return np.stack([np.flatnonzero(row) for row in train])


def _fold_scores(grid, X, y, train_w, test_w, train_idx, *, estimator_factory, scorer,
                 return_train_score, batch_size):
    """Scores ``(n_candidates, n_folds[, 2])``: vmap over folds inside a vmap (or a
    chunked ``lax.map``) over candidates. Jitted with the callables static, so a repeat
    call with the same factory and scorer reuses the compiled program."""

    def one(params, tw, sw, idx):
        est = estimator_factory(**params)
        if idx is None:
            fitted = est.fit(X, y, sample_weight=tw)
        else:
            fitted = est.fit(X[idx], y[idx])
        pred = est.predict(fitted, X)
        test = scorer(y, pred, sample_weight=sw)
        if not return_train_score:
            return test
        return jnp.stack([test, scorer(y, pred, sample_weight=tw)])

    def per_candidate(params):
        return jax.vmap(one, in_axes=(None, 0, 0, None if train_idx is None else 0))(
            params, train_w, test_w, train_idx)

    if not grid:
        return per_candidate({})[None]
    if batch_size is None:
        return jax.vmap(per_candidate)(grid)
    return jax.lax.map(per_candidate, grid, batch_size=batch_size)


_fold_scores_jit = jax.jit(
    _fold_scores,
    static_argnames=("estimator_factory", "scorer", "return_train_score", "batch_size"),
)


class CVResult(NamedTuple):
    """``test_scores`` ``(n_candidates, n_splits)``; ``train_scores`` likewise or None;
    ``params`` the candidate grid."""

    test_scores: jax.Array
    train_scores: jax.Array | None
    params: dict


def cross_validate(estimator_factory: Callable, X: Any, y: Any, param_grid: dict | None,
                   folds: Folds, scorer: Any = "accuracy", *, return_train_score: bool = False,
                   batch_size: int | None = None) -> CVResult:
    """Score every hyperparameter candidate on every fold in one jitted, vmapped call.

    Args:
      estimator_factory: ``factory(**params) -> Estimator`` (e.g. ``linear.ridge`` or
        ``lambda C: linear.logistic_regression(C=C, n_classes=2)``; labels are traced,
        so classifiers need a static ``n_classes``); its continuous hyperparameters
        must be traceable.
      X, y: the data.
      param_grid: ``{name: (n_candidates,) array}`` (see :func:`param_grid_product`) or
        None for the factory's defaults.
      folds: :class:`Folds` masks.
      scorer: ``"accuracy"``, ``"r2"``, ``"neg_mean_squared_error"``,
        ``"neg_mean_absolute_error"`` or ``f(y_true, y_pred, sample_weight=mask)``
        (higher is better).
      return_train_score: also score on the training rows.
      batch_size: evaluate candidates in vmapped chunks of this size (``lax.map``) to
        bound memory; None vmaps all at once.

    The compiled program is cached on (factory, scorer, shapes): pass the same factory
    object (a module-level function, not a fresh lambda) to reuse it across calls.
    """
    X = check_X(X)
    y = check_array(y, "y", ndim=(1, 2))
    check_same_length(X, y, "X", "y")
    folds = _check_folds(folds, X.shape[0])
    grid, n_cand = _grid(param_grid)
    score = _scorer(scorer)
    if batch_size is not None:
        batch_size = min(check_int(batch_size, "batch_size", minimum=1), n_cand)
    first = {k: v[0] for k, v in grid.items()}
    _check_param_names(estimator_factory, grid)
    weighted = _accepts_sample_weight(estimator_factory(**first).fit)
    train_w = folds.train.astype(X.dtype)
    test_w = folds.test.astype(X.dtype)
    idx = None if weighted else jnp.asarray(_gather_indices(np.asarray(folds.train)))
    out = _fold_scores_jit(grid, X, y, train_w, test_w, idx, estimator_factory=estimator_factory,
                           scorer=score, return_train_score=return_train_score,
                           batch_size=batch_size)
    if return_train_score:
        return CVResult(test_scores=out[..., 0], train_scores=out[..., 1], params=grid)
    return CVResult(test_scores=out, train_scores=None, params=grid)


class GridSearchResult(NamedTuple):
    """Mean/std test score per candidate, the best candidate and its refit on all data."""

    mean_test_score: jax.Array
    std_test_score: jax.Array
    best_index: int
    best_params: dict
    best_score: float
    best_estimator_params: Any
    cv: CVResult


def grid_search(estimator_factory: Callable, X: Any, y: Any, param_grid: dict, folds: Folds,
                scorer: Any = "accuracy", *, refit: bool = True,
                batch_size: int | None = None) -> GridSearchResult:
    """:func:`cross_validate` then pick the candidate with the highest mean test score
    (first on ties, as ``GridSearchCV``) and refit it on all rows."""
    cv = cross_validate(estimator_factory, X, y, param_grid, folds, scorer, batch_size=batch_size)
    mean = jnp.mean(cv.test_scores, axis=1)
    std = jnp.std(cv.test_scores, axis=1)
    best = int(jnp.argmax(jnp.nan_to_num(mean, nan=-jnp.inf)))
    best_params = {k: v[best] for k, v in cv.params.items()}
    fitted = estimator_factory(**best_params).fit(jnp.asarray(X), jnp.asarray(y)) if refit else None
    return GridSearchResult(mean_test_score=mean, std_test_score=std, best_index=best,
                            best_params=best_params, best_score=float(mean[best]),
                            best_estimator_params=fitted, cv=cv)


def validation_curve(estimator_factory: Callable, X: Any, y: Any, param_name: str,
                     param_range: Any, folds: Folds, scorer: Any = "accuracy",
                     *, batch_size: int | None = None) -> tuple[jax.Array, jax.Array]:
    """Train and test scores ``(len(param_range), n_splits)`` as one hyperparameter
    varies (``sklearn.model_selection.validation_curve``)."""
    cv = cross_validate(estimator_factory, X, y, {param_name: param_range}, folds, scorer,
                        return_train_score=True, batch_size=batch_size)
    return cv.train_scores, cv.test_scores


def learning_curve(estimator_factory: Callable, X: Any, y: Any, train_sizes: Any, folds: Folds,
                   scorer: Any = "accuracy", *, params: dict | None = None
                   ) -> tuple[np.ndarray, jax.Array, jax.Array]:
    """Scores as the training set grows: for each size m, fit on the first m training
    rows of every fold (``sklearn.model_selection.learning_curve`` with
    ``shuffle=False``).

    Args:
      train_sizes: fractions in (0, 1] of the smallest training fold, or absolute counts.

    Returns:
      ``(sizes, train_scores, test_scores)``, scores ``(n_sizes, n_splits)``; training
      scores are computed on the m rows used for fitting.
    """
    X = check_X(X)
    y = check_array(y, "y", ndim=(1, 2))
    check_same_length(X, y, "X", "y")
    folds = _check_folds(folds, X.shape[0])
    train = np.asarray(folds.train)
    n_max = int(train.sum(axis=1).min())
    ts = np.asarray(train_sizes, dtype=float).reshape(-1)
    if ts.size == 0 or np.any(ts <= 0):
        raise ValueError("train_sizes must be positive")
    sizes = (np.floor(ts * n_max).astype(int) if np.all(ts <= 1.0) else ts.astype(int))
    sizes = np.unique(np.clip(sizes, 1, n_max))
    rank = np.cumsum(train, axis=1)  # position of each training row within its fold
    train_scores, test_scores = [], []
    for m in sizes:
        sub = Folds(train=jnp.asarray(train & (rank <= m)), test=folds.test)
        cv = cross_validate(estimator_factory, X, y, None if not params else
                            {k: jnp.asarray([v]) for k, v in params.items()},
                            sub, scorer, return_train_score=True)
        train_scores.append(cv.train_scores[0])
        test_scores.append(cv.test_scores[0])
    return sizes, jnp.stack(train_scores), jnp.stack(test_scores)


# ------------------------------------------------------------------- bias–variance


class BiasVariance(NamedTuple):
    """Squared bias, variance, noise and their sum, and the Monte-Carlo expected MSE."""

    bias2: jax.Array
    variance: jax.Array
    noise: jax.Array
    total: jax.Array
    expected_mse: jax.Array


def bias_variance_decomposition(key: Any, estimator: Any, sample_train: Callable,
                                X_test: Any, f_test: Any, *, noise_std: float,
                                n_rounds: int = 200) -> BiasVariance:
    """Monte-Carlo bias–variance decomposition of squared error at fixed test points.

    Args:
      key: PRNG key.
      estimator: a ``Regressor`` (``fit(X, y)``, ``predict(params, X)``).
      sample_train: ``sample_train(key) -> (X, y)``, one training set from the
        data-generating process (jittable, fixed shapes).
      X_test: ``(m, d)`` test inputs; ``f_test``: ``(m,)`` noise-free targets there.
      noise_std: σ of the additive label noise (gives the irreducible error σ²).
      n_rounds: number of training sets, fitted in one ``vmap``.

    Returns:
      :class:`BiasVariance` averaged over test points; ``expected_mse`` is measured
      directly with fresh noisy test labels, so ``total ≈ expected_mse`` checks the
      identity.
    """
    key = as_key(key)
    X_test = check_X(X_test, "X_test")
    f_test = check_array(f_test, "f_test", ndim=1, dtype_kind="f")
    if f_test.shape[0] != X_test.shape[0]:
        raise ValueError("X_test and f_test must have the same number of rows")
    check_positive(noise_std, "noise_std", strict=False)
    n_rounds = check_int(n_rounds, "n_rounds", minimum=2)
    k_train, k_noise = jax.random.split(key)

    @jax.jit
    def run(k_train, k_noise, X_test, f_test):
        def one(k):
            # adding 0 turns arrays closed over by sample_train into tracers, so the
            # estimator's value checks (which need concrete inputs) are skipped in jit
            X, y = jax.tree.map(lambda a: a + jnp.zeros((), a.dtype), sample_train(k))
            return estimator.predict(estimator.fit(X, y), X_test)

        preds = jax.vmap(one)(jax.random.split(k_train, n_rounds))  # (R, m)
        mean_pred = jnp.mean(preds, axis=0)
        bias2 = jnp.mean((mean_pred - f_test) ** 2)
        variance = jnp.mean(jnp.var(preds, axis=0))
        noise = jnp.asarray(noise_std, preds.dtype) ** 2
        y_new = f_test[None, :] + noise_std * jax.random.normal(k_noise, preds.shape, preds.dtype)
        expected = jnp.mean((y_new - preds) ** 2)
        return BiasVariance(bias2=bias2, variance=variance, noise=noise,
                            total=bias2 + variance + noise, expected_mse=expected)

    return run(k_train, k_noise, X_test, f_test)
