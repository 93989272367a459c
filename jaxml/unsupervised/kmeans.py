"""k-means clustering: k-means++ seeding, Lloyd's algorithm, mini-batch k-means.

**Objective.** k-means looks for ``k`` centres :math:`c_1, \\dots, c_k` and an assignment
:math:`a(i) \\in \\{1..k\\}` minimising the *inertia*

.. math::  J(c, a) = \\sum_{i=1}^n \\lVert x_i - c_{a(i)} \\rVert^2 .

**Lloyd's algorithm** alternates two exact partial minimisations:

* assignment step: :math:`a_{t}(i) = \\arg\\min_j \\lVert x_i - c^{(t)}_j \\rVert^2`, which
  minimises :math:`J(c^{(t)}, \\cdot)` point by point;
* centre step: :math:`c^{(t+1)}_j = \\operatorname{mean}\\{x_i : a_t(i) = j\\}`, which
  minimises :math:`J(\\cdot, a_t)` because the mean minimises a sum of squared distances.

Hence :math:`J(c^{(t)}, a_t) \\ge J(c^{(t+1)}, a_t) \\ge J(c^{(t+1)}, a_{t+1})`: the inertia
never increases, and as there are finitely many assignments the algorithm stops. The
fitted ``inertia_history[t]`` is :math:`J(c^{(t)}, a_t)`. Distances come from one matrix
product, :math:`\\lVert x\\rVert^2 - 2 x^\\top c + \\lVert c\\rVert^2`
(:func:`jaxml.classical.kernels.squared_distances`); the data are centred on their mean
first, as scikit-learn does, which keeps that expansion accurate in float32.

As in scikit-learn's ``KMeans(algorithm="lloyd")``: the loop stops when the labels no
longer change ("strict convergence") or when the total squared centre shift
:math:`\\sum_j \\lVert c^{(t+1)}_j - c^{(t)}_j \\rVert^2 \\le` ``tol`` × (mean per-feature
variance of ``X``), or after ``max_iter`` iterations; unless the labels converged
strictly, they are recomputed for the final centres. A cluster that becomes empty is
moved to the point farthest from its own centre (the farthest points go to the empty
clusters in order), that point being taken out of its old cluster's mean.

**k-means++** (Arthur & Vassilvitskii, 2007): the first centre is a uniformly random data
point; each next centre is drawn with probability proportional to :math:`D(x)^2`, the
squared distance to the closest centre chosen so far. scikit-learn's *greedy* variant,
used here, draws ``n_local_trials = 2 + floor(ln k)`` candidates from :math:`D^2` and keeps
the one that leaves the smallest potential :math:`\\sum_i \\min(D(x_i)^2, \\lVert x_i -
c\\rVert^2)`. (Candidates are found by inverse-CDF sampling: ``searchsorted`` of
``u * potential`` in the cumulative sum of :math:`D^2`.)

**Restarts.** ``n_init`` seedings run as one ``vmap`` over split keys; the run with the
smallest inertia is kept.

**Mini-batch k-means** (Sculley, 2010): each step draws ``batch_size`` points (with
replacement), assigns them to the current centres and moves each centre towards the mean
of its batch points with the per-centre learning rate (batch count)/(total count so far),
i.e. each centre is the running mean of every point ever assigned to it — scikit-learn's
update. It runs ``max_iter * n // batch_size`` steps (``max_iter`` counts passes over the
data, as in scikit-learn); scikit-learn's early stopping and random reassignment of
low-count centres are not implemented.

References:
  Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 1982.
  Arthur & Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.
  Sculley, "Web-scale k-means clustering", WWW 2010.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxml.classical.kernels import squared_distances
from jaxml.core import (
    Clusterer,
    check_array,
    check_int,
    check_n_features,
    check_positive,
    check_X,
    pytree_dataclass,
)

__all__ = [
    "KMeansParams",
    "assign",
    "centre_distances",
    "kmeans",
    "kmeans_plusplus",
    "lloyd",
    "minibatch_kmeans",
    "weighted_lloyd_loop",
]


@pytree_dataclass
class KMeansParams:
    """A fitted k-means model.

    Attributes:
      centres: ``(k, d)`` cluster centres.
      labels: ``(n,)`` int32 cluster of each training point.
      inertia: sum of squared distances of the training points to their centres.
      n_iter: Lloyd iterations (mini-batch steps) run.
      inertia_history: ``(max_iter,)`` inertia after each assignment step, NaN after the
        last iteration (mini-batch: the inertia of each step's batch).
    """

    centres: jax.Array
    labels: jax.Array
    inertia: jax.Array
    n_iter: jax.Array
    inertia_history: jax.Array


# ----------------------------------------------------------------------------- checks


def _check_k_vs_n(k: int, n: int) -> None:
    if k > n:
        raise ValueError(f"k must be <= n_samples, got k={k} with n_samples={n}")


def _check_data(X: Any, k: int) -> jax.Array:
    X = check_X(X)
    _check_k_vs_n(k, X.shape[0])
    return X


# ----------------------------------------------------------------------------- building blocks


def assign(X: jax.Array, centres: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Nearest centre of each row: ``(labels (n,) int32, squared distances (n,))``."""
    d2 = squared_distances(X, centres)
    labels = jnp.argmin(d2, axis=1).astype(jnp.int32)
    return labels, jnp.take_along_axis(d2, labels[:, None], axis=1)[:, 0]


_assign_jit = jax.jit(assign)


def _inertia(X: jax.Array, centres: jax.Array, labels: jax.Array) -> jax.Array:
    diff = X - centres[labels]
    return jnp.sum(diff * diff)


@functools.partial(jax.jit, static_argnums=(2, 3))
def _kmeans_plusplus(key, X, k: int, n_local_trials: int):
    n = X.shape[0]
    x_sq = jnp.sum(X * X, axis=1)
    key_first, key_rest = jax.random.split(key)
    first = jax.random.randint(key_first, (), 0, n)
    closest = squared_distances(X[first][None, :], X, x_sq)[0]

    def next_centre(closest, key_c):
        cumulative = jnp.cumsum(closest)
        u = jax.random.uniform(key_c, (n_local_trials,), closest.dtype) * cumulative[-1]
        candidates = jnp.minimum(jnp.searchsorted(cumulative, u, side="left"), n - 1)
        d2 = jnp.minimum(closest[None, :], squared_distances(X[candidates], X, x_sq))
        best = jnp.argmin(jnp.sum(d2, axis=1))
        return d2[best], candidates[best]

    _, rest = jax.lax.scan(next_centre, closest, jax.random.split(key_rest, k - 1))
    indices = jnp.concatenate([first[None], rest]).astype(jnp.int32)
    return X[indices], indices


def kmeans_plusplus(key: Any, X: Any, k: int, *, n_local_trials: int | None = None):
    """Greedy k-means++ seeding (scikit-learn's ``kmeans_plusplus``).

    Args:
      key: PRNG key.
      X: data ``(n, d)``.
      k: number of centres, ``1 <= k <= n`` (static).
      n_local_trials: candidates drawn from :math:`D^2` per centre; ``None`` means
        ``2 + floor(ln k)``; 1 gives plain k-means++ (static).

    Returns:
      ``(centres (k, d), indices (k,))``: the chosen rows of ``X`` and their indices.
    """
    k = check_int(k, "k", minimum=1)
    X = _check_data(X, k)
    if n_local_trials is None:
        n_local_trials = 2 + int(math.log(k))
    n_local_trials = check_int(n_local_trials, "n_local_trials", minimum=1)
    return _kmeans_plusplus(key, X, k, n_local_trials)


def _random_init(key, X, k: int):
    indices = jax.random.choice(key, X.shape[0], (k,), replace=False)
    return X[indices]


def _centre_step(X, labels, centres_old, w):
    """Means of the clusters under sample weights ``w`` (ones for plain k-means; zero
    weight: the point is not in the data). An empty cluster takes one of the weighted
    points farthest from their own centres, removed from its old cluster."""
    k = centres_old.shape[0]
    counts = jax.ops.segment_sum(w, labels, k)
    sums = jax.ops.segment_sum(X * w[:, None], labels, k)
    empty = counts == 0
    dist = jnp.where(w > 0, jnp.sum((X - centres_old[labels]) ** 2, axis=1), -jnp.inf)
    _, far = jax.lax.top_k(dist, k)  # descending
    chosen = far[jnp.clip(jnp.cumsum(empty) - 1, 0, k - 1)]
    moved = jnp.where(empty, w[chosen], 0.0)
    old = labels[chosen]
    sums = sums - jax.ops.segment_sum(X[chosen] * moved[:, None], old, k)
    counts = counts - jax.ops.segment_sum(moved, old, k)
    sums = jnp.where(empty[:, None], X[chosen] * w[chosen][:, None], sums)
    counts = jnp.where(empty, w[chosen], counts)
    return jnp.where(counts[:, None] > 0, sums / jnp.where(counts > 0, counts, 1.0)[:, None],
                     sums)


class _LloydCarry(NamedTuple):
    centres: jax.Array
    labels: jax.Array
    it: jax.Array
    strict: jax.Array
    done: jax.Array
    history: jax.Array


def _tolerance(X, tol):
    return jnp.asarray(tol, X.dtype) * jnp.mean(jnp.var(X, axis=0))


def weighted_lloyd_loop(X, w, centres, max_iter: int, tol_abs) -> _LloydCarry:
    """Lloyd's loop under sample weights ``w``: assign, then :func:`_centre_step`, until
    no weighted point changes label (strict convergence), ``max_iter`` iterations, or a
    total squared centre shift ``<= tol_abs``. The returned ``labels`` are the final
    nearest-centre assignment; ``history[t]`` is the unweighted sum of squared distances
    at iteration ``t`` (NaN after the last). Shared by k-means and bisecting k-means."""
    member = w > 0
    init = _LloydCarry(centres=centres, labels=jnp.full((X.shape[0],), -1, jnp.int32),
                       it=jnp.asarray(0), strict=jnp.asarray(False),
                       done=jnp.asarray(False),
                       history=jnp.full((max_iter,), jnp.nan, X.dtype))

    def cond(c: _LloydCarry):
        return (c.it < max_iter) & ~c.done

    def body(c: _LloydCarry):
        labels, d2 = assign(X, c.centres)
        new = _centre_step(X, labels, c.centres, w)
        strict = jnp.all((labels == c.labels) | ~member)
        shift = jnp.sum((new - c.centres) ** 2)
        return _LloydCarry(centres=new, labels=labels, it=c.it + 1, strict=strict,
                           done=strict | (shift <= tol_abs),
                           history=c.history.at[c.it].set(jnp.sum(d2)))

    out = jax.lax.while_loop(cond, body, init)
    return out._replace(labels=jnp.where(out.strict, out.labels, assign(X, out.centres)[0]))


@functools.partial(jax.jit, static_argnums=(2,))
def _lloyd(X, centres, max_iter: int, tol) -> KMeansParams:
    """Lloyd's loop on ``X`` (already centred by the caller)."""
    out = weighted_lloyd_loop(X, jnp.ones(X.shape[0], X.dtype), centres, max_iter,
                              _tolerance(X, tol))
    return KMeansParams(centres=out.centres, labels=out.labels,
                        inertia=_inertia(X, out.centres, out.labels), n_iter=out.it,
                        inertia_history=out.history)


def _shifted(params: KMeansParams, mean) -> KMeansParams:
    return params.replace(centres=params.centres + mean)


def lloyd(X: Any, centres: Any, *, max_iter: int = 300, tol: Any = 1e-4) -> KMeansParams:
    """Lloyd's algorithm from given initial ``centres`` ``(k, d)``.

    Args:
      X: data ``(n, d)``.
      centres: initial centres ``(k, d)``, ``k <= n``.
      max_iter: the most iterations (static: sizes ``inertia_history``).
      tol: relative tolerance on the total squared centre shift (scaled by the mean
        per-feature variance of ``X``); traced.
    """
    X = check_X(X)
    centres = check_array(centres, "centres", ndim=2, dtype_kind="f").astype(X.dtype)
    check_n_features(centres, X.shape[1], "centres")
    _check_k_vs_n(centres.shape[0], X.shape[0])
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_positive(tol, "tol", strict=False)
    mean = jnp.mean(X, axis=0)
    return _shifted(_lloyd(X - mean, centres - mean, max_iter, tol), mean)


def centre_distances(params: KMeansParams, X: Any) -> jax.Array:
    """``(n, k)`` Euclidean distances of each row of ``X`` to each centre (a transform)."""
    X = check_X(X)
    check_n_features(X, params.centres.shape[1])
    return jnp.sqrt(squared_distances(X, params.centres))


def _predict(params: KMeansParams, X: Any) -> jax.Array:
    X = check_X(X)
    check_n_features(X, params.centres.shape[1])
    return _assign_jit(X, params.centres)[0]


def _check_init(init: Any, k: int):
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise ValueError(f"init must be 'k-means++', 'random' or an array of shape "
                             f"(k, n_features), got {init!r}")
        return init
    init = check_array(init, "init", ndim=2, dtype_kind="f")
    if init.shape[0] != k:
        raise ValueError(f"init must have k={k} rows, got shape {init.shape}")
    return init


def _initial_centres(key, X, k: int, init):
    if isinstance(init, str):
        if init == "random":
            return _random_init(key, X, k)
        return _kmeans_plusplus(key, X, k, 2 + int(math.log(k)))[0]
    check_n_features(init, X.shape[1], "init")
    return init.astype(X.dtype)


def kmeans(k: int, *, n_init: int = 1, max_iter: int = 300, tol: Any = 1e-4,
           init: Any = "k-means++") -> Clusterer:
    """k-means by Lloyd's algorithm with ``n_init`` restarts in one ``vmap``.

    Args:
      k: number of clusters (static).
      n_init: number of seedings (static); must be 1 when ``init`` is an array.
      max_iter: Lloyd iterations per run (static).
      tol: relative centre-shift tolerance (traced); see the module docstring.
      init: ``"k-means++"`` (greedy, as scikit-learn), ``"random"`` (``k`` distinct
        rows) or an array ``(k, d)`` of initial centres.

    Returns:
      ``Clusterer``: ``fit(key, X) -> KMeansParams`` (the key is ignored for an array
      ``init``); ``predict(params, X)`` labels by nearest centre. Distances to the
      centres: :func:`centre_distances`.
    """
    k = check_int(k, "k", minimum=1)
    n_init = check_int(n_init, "n_init", minimum=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_positive(tol, "tol", strict=False)
    init = _check_init(init, k)
    if not isinstance(init, str) and n_init != 1:
        raise ValueError(f"n_init must be 1 when init is an array, got {n_init}")

    @jax.jit
    def fit_checked(key, X) -> KMeansParams:
        mean = jnp.mean(X, axis=0)
        Xc = X - mean

        def one_run(key_r):
            start = _initial_centres(key_r, X, k, init) - mean
            return _lloyd(Xc, start, max_iter, tol)

        runs = jax.vmap(one_run)(jax.random.split(key, n_init))
        best = jnp.argmin(runs.inertia)
        return _shifted(jax.tree.map(lambda a: a[best], runs), mean)

    def fit(key, X) -> KMeansParams:
        return fit_checked(key, _check_data(X, k))

    return Clusterer(fit=fit, predict=_predict)


def minibatch_kmeans(k: int, *, batch_size: int = 1024, max_iter: int = 100,
                     init: Any = "k-means++") -> Clusterer:
    """Mini-batch k-means with scikit-learn's per-centre learning rate 1/count.

    Args:
      k: number of clusters (static).
      batch_size: points per step, drawn with replacement (static; clipped to ``n``).
      max_iter: passes over the data; the number of steps is
        ``max(1, max_iter * n // batch_size)`` (static).
      init: ``"k-means++"``, ``"random"`` or an array ``(k, d)``; seeded on all of ``X``.

    Returns:
      ``Clusterer``; ``fit(key, X) -> KMeansParams`` whose labels and inertia are those of
      the whole training set under the final centres.
    """
    k = check_int(k, "k", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    init = _check_init(init, k)

    @jax.jit
    def fit_checked(key, X) -> KMeansParams:
        n = X.shape[0]
        b = min(batch_size, n)
        n_steps = max(1, max_iter * n // b)
        key_init, key_steps = jax.random.split(key)
        mean = jnp.mean(X, axis=0)
        Xc = X - mean
        centres = _initial_centres(key_init, X, k, init) - mean

        def step(carry, key_t):
            centres, totals = carry
            xb = Xc[jax.random.randint(key_t, (b,), 0, n)]
            labels, d2 = assign(xb, centres)
            counts = jax.ops.segment_sum(jnp.ones(b, X.dtype), labels, k)
            sums = jax.ops.segment_sum(xb, labels, k)
            new_totals = totals + counts
            moved = (centres * totals[:, None] + sums) / jnp.maximum(new_totals, 1.0)[:, None]
            centres = jnp.where(counts[:, None] > 0, moved, centres)
            return (centres, new_totals), jnp.sum(d2)

        (centres, _), history = jax.lax.scan(
            step, (centres, jnp.zeros(k, X.dtype)), jax.random.split(key_steps, n_steps))
        labels, _ = assign(Xc, centres)
        return KMeansParams(centres=centres + mean, labels=labels,
                            inertia=_inertia(Xc, centres, labels),
                            n_iter=jnp.asarray(n_steps), inertia_history=history)

    def fit(key, X) -> KMeansParams:
        return fit_checked(key, _check_data(X, k))

    return Clusterer(fit=fit, predict=_predict)
