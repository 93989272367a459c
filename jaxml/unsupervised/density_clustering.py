r"""Density-based clustering: DBSCAN and OPTICS on a dense neighbourhood matrix.

Both algorithms work on the full :math:`n \times n` Euclidean distance matrix
:math:`D_{ij} = \lVert x_i - x_j \rVert` (from :func:`jaxml.classical.kernels.squared_distances`
of the centred data, which keeps the matmul expansion's cancellation small). Memory and
work are :math:`O(n^2)` per pass, so they are meant for ``n`` up to a few thousand
points; in exchange every step is a jittable array program.

**DBSCAN** (Ester, Kriegel, Sander & Xu, 1996). The :math:`\varepsilon`-neighbourhood of
:math:`x_i` is :math:`N_\varepsilon(i) = \{ j : D_{ij} \le \varepsilon \}`, the point
itself included. :math:`x_i` is a *core point* when :math:`|N_\varepsilon(i)| \ge`
``min_samples``. Clusters are the connected components of the graph on core points with
an edge wherever :math:`D_{ij} \le \varepsilon`. They are found by min-label propagation
inside a ``lax.while_loop``: each core point starts with its own index as label,
repeatedly takes the smallest label among its core neighbours, then jumps to its label's
label (pointer jumping), until nothing changes; each component ends labelled by its
smallest member index. A non-core point with a core neighbour is a *border point*; it
joins the cluster of lowest number among its core neighbours. All other points are noise
(label :math:`-1`). Clusters are numbered :math:`0, 1, \dots` in increasing order of
their smallest core index.

This is exactly scikit-learn's labelling: ``sklearn.cluster.DBSCAN`` grows clusters one
after another by depth-first search started from the core points in index order, and a
border point keeps the label of the first cluster that reaches it — the one with the
lowest number.

**OPTICS** (Ankerst, Breunig, Kriegel & Sander, 1999). With ``min_samples`` :math:`= m`,
the *core distance* of :math:`x_p` is the distance to its :math:`m`-th nearest point (the
point itself counted first), or :math:`\infty` when that exceeds ``max_eps``. The
*reachability distance* of :math:`x_o` from a core point :math:`x_p` is
:math:`\operatorname{rd}(o \mid p) = \max(\operatorname{core}(p), D_{po})`. The ordering
is built greedily: start with every reachability :math:`\infty`; at each of the
:math:`n` steps take the unprocessed point with the smallest reachability (ties to the
lowest index, which is also how an all-:math:`\infty` tie picks the next seed), mark it
processed, and if it is a core point lower the reachability of every unprocessed
:math:`o` with :math:`D_{po} \le` ``max_eps`` to :math:`\operatorname{rd}(o \mid p)`
when that is strictly smaller (recording :math:`p` as predecessor). This is scikit-learn's
``_compute_optics_graph``, a ``lax.fori_loop`` of :math:`n` steps with :math:`O(n)` work
each. (scikit-learn additionally rounds distances to the dtype's decimal precision;
we do not, so exact ties in its float64 arithmetic are ties here too.)

*DBSCAN-cut extraction* at :math:`\varepsilon \le` ``max_eps`` (scikit-learn's
``cluster_optics_dbscan``): walking the ordering, a point whose reachability exceeds
:math:`\varepsilon` and whose core distance is at most :math:`\varepsilon` starts a new
cluster; a point with reachability above :math:`\varepsilon` and core distance above it is
noise; all others continue the current cluster. The ξ-steepness extraction of the OPTICS
paper is not implemented.

**Predicting** new points (not part of either paper): a query joins the cluster of its
nearest core sample if that lies within :math:`\varepsilon`, and is noise otherwise.

References:
  Ester, Kriegel, Sander & Xu, "A density-based algorithm for discovering clusters in
  large spatial databases with noise", KDD 1996.
  Ankerst, Breunig, Kriegel & Sander, "OPTICS: ordering points to identify the
  clustering structure", SIGMOD 1999.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.classical.kernels import squared_distances
from jaxml.core import (
    Clusterer,
    check_int,
    check_n_features,
    check_positive,
    check_X,
    is_traced,
    pytree_dataclass,
)

__all__ = [
    "DBSCANParams",
    "OPTICSParams",
    "cluster_optics_dbscan",
    "core_sample_indices",
    "dbscan",
    "dbscan_labels",
    "euclidean_distance_matrix",
    "optics",
    "optics_graph",
    "reachability_plot",
]


@pytree_dataclass
class DBSCANParams:
    """A fitted DBSCAN: ``labels (n,)`` (−1 = noise), ``core_mask (n,)`` and the training
    points ``X`` (kept for :func:`predict`); ``eps`` is the radius used."""

    labels: jax.Array
    core_mask: jax.Array
    X: jax.Array
    eps: jax.Array


@pytree_dataclass
class OPTICSParams:
    """A fitted OPTICS, named as scikit-learn's attributes: ``ordering (n,)``,
    ``reachability (n,)`` and ``core_distances (n,)`` indexed by sample (``inf`` where
    undefined), ``predecessor (n,)`` (−1 where none), the DBSCAN-cut ``labels`` at
    ``eps``, and the training points ``X``."""

    ordering: jax.Array
    reachability: jax.Array
    core_distances: jax.Array
    predecessor: jax.Array
    labels: jax.Array
    X: jax.Array
    eps: jax.Array


# ----------------------------------------------------------------------------- distances


def euclidean_distance_matrix(X: jax.Array, Z: jax.Array | None = None) -> jax.Array:
    """``D_ij = ||x_i - z_j||`` (``Z = X`` when omitted), through ``squared_distances``
    after subtracting the mean of ``X`` (distances are translation invariant and the
    expansion ``|x|² + |z|² - 2 x·z`` loses less when the norms are small)."""
    centre = jnp.mean(X, axis=0)
    Xc = X - centre
    Zc = Xc if Z is None else Z - centre
    D = jnp.sqrt(squared_distances(Xc, Zc))
    if Z is None:  # exact zeros on the diagonal
        D = jnp.where(jnp.eye(X.shape[0], dtype=bool), 0.0, D)
    return D


def _check_min_samples(min_samples: Any, n: int | None = None) -> int:
    min_samples = check_int(min_samples, "min_samples", minimum=1)
    if n is not None and min_samples > n:
        raise ValueError(f"min_samples must be <= the number of samples {n}, "
                         f"got {min_samples}")
    return min_samples


# ----------------------------------------------------------------------------- DBSCAN


def _component_minima(adjacency: jax.Array, core: jax.Array) -> jax.Array:
    """For every core point the smallest index in its connected component of the core
    graph (``n`` for non-core points), by min-label propagation with pointer jumping."""
    n = core.shape[0]
    big = jnp.int32(n)
    start = jnp.where(core, jnp.arange(n, dtype=jnp.int32), big)
    core_edges = adjacency & core[:, None] & core[None, :]

    def step(comp):
        lowest = jnp.min(jnp.where(core_edges, comp[None, :], big), axis=1)
        lowest = jnp.where(core, lowest, big)
        # Pointer jumping: a core point's label is itself a core point of the component.
        jumped = jnp.where(core, lowest[jnp.minimum(lowest, n - 1)], big)
        return jnp.minimum(lowest, jumped)

    def not_done(carry):
        comp, previous = carry
        return jnp.any(comp != previous)

    def body(carry):
        comp, _ = carry
        return step(comp), comp

    comp, _ = jax.lax.while_loop(not_done, body, (step(start), start))
    return comp


def dbscan_labels(D: jax.Array, eps: Any, min_samples: int) -> tuple[jax.Array, jax.Array]:
    """``(labels, core_mask)`` of DBSCAN on a distance matrix ``D (n, n)``; jittable, with
    ``eps`` traceable (see the module docstring for the rule)."""
    n = D.shape[0]
    adjacency = D <= eps
    core = jnp.sum(adjacency, axis=1) >= min_samples
    comp = _component_minima(adjacency, core)
    big = jnp.int32(n)
    # Border points: the lowest component among core neighbours (components are numbered
    # by their smallest index, so "lowest" is the same under either numbering).
    via_core = jnp.min(jnp.where(adjacency & core[None, :], comp[None, :], big), axis=1)
    comp = jnp.where(core, comp, via_core)
    roots = core & (comp == jnp.arange(n))
    rank = jnp.cumsum(roots.astype(jnp.int32)) - 1
    labels = jnp.where(comp < n, rank[jnp.minimum(comp, n - 1)], -1)
    return labels.astype(jnp.int32), core


def _nearest_core_labels(X_train, labels, core_mask, eps, X) -> jax.Array:
    """Each row of ``X`` takes the label of its nearest core training point if that is
    within ``eps``, else −1."""
    D = euclidean_distance_matrix(X_train, X).T  # (m, n)
    D = jnp.where(core_mask[None, :], D, jnp.inf)
    nearest = jnp.argmin(D, axis=1)
    close = jnp.take_along_axis(D, nearest[:, None], axis=1)[:, 0] <= eps
    return jnp.where(close, labels[nearest], -1).astype(jnp.int32)


def dbscan(eps: Any = 0.5, min_samples: int = 5) -> Clusterer:
    """DBSCAN as ``Clusterer(fit, predict)``; deterministic, so ``fit(X)`` takes no key.

    Args:
      eps: neighbourhood radius :math:`\\varepsilon > 0` (traceable: ``jax.vmap`` over a
        grid of radii compiles once).
      min_samples: points (itself included) an :math:`\\varepsilon`-ball needs for its
        centre to be a core point; a static int ``>= 1``.

    ``fit(X) -> DBSCANParams`` with labels identical to ``sklearn.cluster.DBSCAN``;
    ``predict(params, X_new)`` labels new points by their nearest core sample within
    ``eps`` (−1 otherwise). Uses an ``n × n`` distance matrix: for ``n`` up to a few
    thousand.
    """
    check_positive(eps, "eps")
    min_samples = _check_min_samples(min_samples)

    def fit(X):
        X = check_X(X)
        radius = jnp.asarray(eps, X.dtype)  # an array, so new radii reuse the compile
        labels, core = dbscan_labels(euclidean_distance_matrix(X), radius, min_samples)
        return DBSCANParams(labels=labels, core_mask=core, X=X, eps=radius)

    def predict(params: DBSCANParams, X):
        X = check_X(X)
        check_n_features(X, params.X.shape[1])
        return _nearest_core_labels(params.X, params.labels, params.core_mask, params.eps, X)

    return Clusterer(fit=fit, predict=predict)


def core_sample_indices(params: DBSCANParams | OPTICSParams) -> np.ndarray:
    """Indices of the core samples, ascending (scikit-learn's ``core_sample_indices_``);
    host code, since the count depends on the data."""
    if isinstance(params, OPTICSParams):
        return np.flatnonzero(np.asarray(params.core_distances) <= float(params.eps))
    return np.flatnonzero(np.asarray(params.core_mask))


# ----------------------------------------------------------------------------- OPTICS


def _check_radius(value: Any, name: str) -> None:
    """A radius ``> 0``, where ``inf`` (no bound) is allowed."""
    if is_traced(value) or not (np.ndim(value) == 0 and np.isposinf(value)):
        check_positive(value, name)


def optics_graph(D: jax.Array, min_samples: int, max_eps: Any = jnp.inf):
    """``(ordering, reachability, core_distances, predecessor)`` of OPTICS on a distance
    matrix ``D (n, n)``: a ``lax.fori_loop`` of ``n`` greedy steps, each ``O(n)``."""
    n = D.shape[0]
    kth = -jax.lax.top_k(-D, min_samples)[0][:, -1]
    core_distances = jnp.where(kth <= max_eps, kth, jnp.inf)
    inf = jnp.full((n,), jnp.inf, D.dtype)

    def body(step, carry):
        ordering, reach, pred, processed = carry
        masked = jnp.where(processed, jnp.inf, reach)
        best = jnp.argmin(masked)
        # Every unprocessed point still at infinity: the lowest unprocessed index.
        point = jnp.where(processed[best], jnp.argmin(processed), best).astype(jnp.int32)
        processed = processed.at[point].set(True)
        ordering = ordering.at[step].set(point)
        row = D[point]
        rd = jnp.maximum(row, core_distances[point])
        improve = ((~processed) & (row <= max_eps) & (rd < reach)
                   & jnp.isfinite(core_distances[point]))
        reach = jnp.where(improve, rd, reach)
        pred = jnp.where(improve, point, pred)
        return ordering, reach, pred, processed

    start = (jnp.zeros(n, jnp.int32), inf, jnp.full((n,), -1, jnp.int32),
             jnp.zeros(n, bool))
    ordering, reach, pred, _ = jax.lax.fori_loop(0, n, body, start)
    return ordering, reach, core_distances, pred


def cluster_optics_dbscan(reachability: jax.Array, core_distances: jax.Array,
                          ordering: jax.Array, eps: Any) -> jax.Array:
    """DBSCAN-cut labels at radius ``eps`` from an OPTICS ordering (the semantics of
    ``sklearn.cluster.cluster_optics_dbscan``); jittable, ``eps`` traceable."""
    far = reachability > eps
    near_core = core_distances <= eps
    starts = (far & near_core)[ordering].astype(jnp.int32)
    labels = jnp.zeros_like(ordering).at[ordering].set(jnp.cumsum(starts) - 1)
    return jnp.where(far & ~near_core, -1, labels).astype(jnp.int32)


def optics(min_samples: int = 5, *, max_eps: Any = np.inf, eps: Any = None) -> Clusterer:
    """OPTICS as ``Clusterer(fit, predict)``; ``fit(X) -> OPTICSParams``.

    Args:
      min_samples: the ``m`` of the core distance (static int ``>= 1``; at most ``n``).
      max_eps: neighbourhood radius bounding the search (``inf``: all points).
      eps: radius of the DBSCAN-cut extraction stored in ``labels`` (default
        ``max_eps``, as scikit-learn's ``cluster_method="dbscan"``); must be finite-or-inf
        and ``<= max_eps``.

    ``predict`` labels new points by their nearest core sample (core distance
    ``<= eps``) within ``eps``. Uses an ``n × n`` distance matrix.
    """
    min_samples = _check_min_samples(min_samples)
    _check_radius(max_eps, "max_eps")
    eps = max_eps if eps is None else eps
    _check_radius(eps, "eps")
    if not (is_traced(eps) or is_traced(max_eps)) and float(eps) > float(max_eps):
        raise ValueError(f"eps must be <= max_eps={max_eps}, got {eps}")

    def fit(X):
        X = check_X(X)
        _check_min_samples(min_samples, X.shape[0])
        radius, bound = jnp.asarray(eps, X.dtype), jnp.asarray(max_eps, X.dtype)
        D = euclidean_distance_matrix(X)
        ordering, reach, core_d, pred = optics_graph(D, min_samples, bound)
        labels = cluster_optics_dbscan(reach, core_d, ordering, radius)
        return OPTICSParams(ordering=ordering, reachability=reach, core_distances=core_d,
                            predecessor=pred, labels=labels, X=X, eps=radius)

    def predict(params: OPTICSParams, X):
        X = check_X(X)
        check_n_features(X, params.X.shape[1])
        core = params.core_distances <= params.eps
        return _nearest_core_labels(params.X, params.labels, core, params.eps, X)

    return Clusterer(fit=fit, predict=predict)


# ----------------------------------------------------------------------------- plotting


def reachability_plot(ax: Any, params: OPTICSParams, *, labels: Any = None) -> Any:
    """Draw the reachability plot on a matplotlib ``ax``: bars of
    ``reachability[ordering]`` (infinite values drawn at the top of the finite range,
    hatched), coloured by ``labels`` (default ``params.labels``; noise grey), and the
    extraction radius ``eps`` as a dashed line when finite. Returns ``ax``."""
    ordering = np.asarray(params.ordering)
    reach = np.asarray(params.reachability)[ordering]
    labels = np.asarray(params.labels if labels is None else labels)[ordering]
    finite = np.isfinite(reach)
    top = float(reach[finite].max()) * 1.05 if finite.any() else 1.0
    heights = np.where(finite, reach, top)
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    colours = [(0.6, 0.6, 0.6, 1.0) if lab < 0 else cmap(lab % 10) for lab in labels]
    x = np.arange(reach.size)
    ax.bar(x[finite], heights[finite], width=1.0, color=np.asarray(colours)[finite])
    if (~finite).any():
        ax.bar(x[~finite], heights[~finite], width=1.0, color="none", edgecolor="k",
               hatch="//", label="unreachable (inf)")
    eps = float(params.eps)
    if np.isfinite(eps):
        ax.axhline(eps, color="k", linestyle="--", linewidth=1.0, label=f"eps = {eps:g}")
    ax.set_xlabel("OPTICS ordering")
    ax.set_ylabel("reachability distance")
    ax.set_xlim(-0.5, reach.size - 0.5)
    return ax
