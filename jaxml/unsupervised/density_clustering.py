r"""Density-based clustering: DBSCAN and OPTICS on a dense neighbourhood matrix.

Both algorithms work on the full :math:`n \times n` Euclidean distance matrix
:math:`D_{ij} = \lVert x_i - x_j \rVert` (from :func:`jaxml.classical.kernels.squared_distances`
of the centred data, which keeps the matmul expansion's cancellation small). Memory and
work are :math:`O(n^2)` per pass, so they are meant for ``n`` up to a few thousand
points; in exchange every step is a jittable array program, except the ξ extraction of
OPTICS clusters, a sequential scan run on the host.

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
noise; all others continue the current cluster.

*ξ-steepness extraction* (the OPTICS paper's section 4.3, as scikit-learn's
``cluster_optics_xi`` defines it): host-side NumPy, see :func:`cluster_optics_xi`. Write
:math:`r_0, \dots, r_{n-1}` for the reachability plot ``reachability[ordering]`` and
append :math:`r_n = \infty`, so a cluster can end at the last point. With
:math:`\kappa = 1 - \xi`, position :math:`i < n` is *steep upward* when
:math:`r_i \le \kappa\, r_{i+1}`, *steep downward* when :math:`r_{i+1} \le \kappa\, r_i`
(:math:`r_i / r_{i+1} \ge 1/\kappa`; the paper's Definition 9 has this inequality the
wrong way round), *upward* when :math:`r_i < r_{i+1}` and *downward* when
:math:`r_i > r_{i+1}` (:math:`\infty/\infty` is neither). A *steep down area* starts at a
steep downward point and runs over the following points until an upward point, or until
more than ``min_samples`` consecutive points that are neither steep downward nor upward;
it ends at its last steep downward point. Steep up areas are the mirror image (steep
upward points, stopped by downward ones).

The plot is scanned once, left to right, jumping from steep point to steep point and
skipping those inside an area already found. The *maximum in between* ``mib`` is the
largest :math:`r` since the end of the last area. Every steep down area :math:`D =
[d_s, d_e]` still open remembers the largest ``mib`` met after it, :math:`\mathrm{mib}_D`,
and is dropped once a ``mib`` exceeds :math:`\kappa\, r_{d_s}` (all are dropped when
``mib`` is infinite). At a steep up area :math:`U = [u_s, u_e]`, with :math:`t =
r_{u_e + 1}`, each open :math:`D` with :math:`\mathrm{mib}_D \le \kappa t` proposes the
cluster :math:`[d_s, u_e]` of ordering positions, whose ends are then brought to
comparable heights (Definition 11, 4b-c): if :math:`\kappa\, r_{d_s} \ge t` the start
moves right, within :math:`D`, while the next point is higher than :math:`t`; else if
:math:`\kappa t \ge r_{d_s}` the end moves left, within :math:`U`, while the previous
point is higher than :math:`r_{d_s}`. With ``predecessor_correction`` (Schubert & Gertz,
2018, Algorithm 2) the end then moves left while :math:`r_{\mathrm{start}} \le
r_{\mathrm{end}}` and the predecessor of the end point is not among the points before it
in the cluster (a candidate that shrinks to nothing is discarded). A candidate is kept if
it still has at least ``min_cluster_size`` points, starts inside :math:`D` and ends at or
after :math:`u_s`. The candidates of one :math:`U` are recorded innermost (latest
:math:`D`) first, so the list of ``[start, end]`` rows comes sorted with every cluster
after the clusters nested in it.

Labels come from that list: walking it in order, a cluster none of whose points is
labelled yet takes the next label :math:`0, 1, \dots` for all its points. Only leaf-most
clusters are labelled; a cluster overlapping a labelled one gets no label, and its points
outside the labelled ones stay noise (:math:`-1`).

**Predicting** new points (not part of either paper): a query joins the cluster of its
nearest core sample if that lies within :math:`\varepsilon`, and is noise otherwise.

References:
  Ester, Kriegel, Sander & Xu, "A density-based algorithm for discovering clusters in
  large spatial databases with noise", KDD 1996.
  Ankerst, Breunig, Kriegel & Sander, "OPTICS: ordering points to identify the
  clustering structure", SIGMOD 1999.
  Schubert & Gertz, "Improving the cluster structure extracted from OPTICS plots",
  LWDA 2018.
"""

from __future__ import annotations

import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.classical.kernels import squared_distances
from jaxml.core import (
    Clusterer,
    check_bool,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_range,
    check_X,
    is_traced,
    pytree_dataclass,
)

__all__ = [
    "DBSCANParams",
    "OPTICSParams",
    "cluster_optics_dbscan",
    "cluster_optics_xi",
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
    undefined), ``predecessor (n,)`` (−1 where none), the ``labels`` (the DBSCAN cut at
    ``eps``, or the ξ leaf clusters), the training points ``X``, the radius ``eps`` that
    ``predict`` and :func:`core_sample_indices` use, and ``cluster_hierarchy (m, 2)``:
    the ξ clusters as ``[start, end]`` positions in ``ordering`` (both inclusive;
    scikit-learn's ``cluster_hierarchy_``), empty ``(0, 2)`` for the DBSCAN cut."""

    ordering: jax.Array
    reachability: jax.Array
    core_distances: jax.Array
    predecessor: jax.Array
    labels: jax.Array
    X: jax.Array
    eps: jax.Array
    cluster_hierarchy: jax.Array


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


# ----------------------------------------------------------------------------- OPTICS ξ


def _xi_count(value: Any, name: str, n: int) -> int:
    """An int ``>= 2`` (at most ``n``) or a fraction of ``n`` in ``(0, 1]``, rounded down
    and raised to at least 2 (scikit-learn's rule for ``min_samples`` and
    ``min_cluster_size`` in the ξ extraction)."""
    expected = "an int >= 2 or a fraction in (0, 1]"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}, got {value!r}")
    if isinstance(value, numbers.Integral):
        if value < 2:
            raise ValueError(f"{name} must be {expected}, got {value}")
        if value > n:
            raise ValueError(f"{name} must be <= the number of samples {n}, got {value}")
        return int(value)
    if not 0.0 < value <= 1.0:  # NaN fails too
        raise ValueError(f"{name} must be {expected}, got {value}")
    return max(2, int(value * n))


def _check_xi(xi: Any) -> float:
    if isinstance(xi, (bool, np.bool_)):
        raise TypeError(f"xi must be a real scalar, got {xi!r}")
    check_range(xi, "xi", low=0.0, high=1.0, low_open=True, high_open=True,
                expected="a number in (0, 1)")
    return float(xi)


def _host_optics_arrays(reachability, predecessor, ordering):
    """The three OPTICS arrays as NumPy, checked: same length ``n``, ``reachability``
    real, ``>= 0`` or ``inf``, ``ordering`` a permutation of ``0..n-1`` and
    ``predecessor`` sample indices or −1."""
    for name, value in (("reachability", reachability), ("predecessor", predecessor),
                        ("ordering", ordering)):
        if is_traced(value):
            raise TypeError(f"cluster_optics_xi runs on the host (a sequential scan, not "
                            f"jittable): {name} must be a concrete array, not a tracer")
    reach = np.asarray(reachability)
    pred, order = np.asarray(predecessor), np.asarray(ordering)
    if reach.ndim != 1 or reach.dtype.kind not in "iuf":
        raise ValueError(f"reachability must be a 1-D real array, got shape {reach.shape} "
                         f"and dtype {reach.dtype}")
    n = reach.shape[0]
    if n == 0:
        raise ValueError("reachability must not be empty")
    if np.isnan(reach).any() or (reach < 0).any():
        raise ValueError("reachability must be >= 0 (inf allowed) and not NaN")
    for name, arr in (("predecessor", pred), ("ordering", order)):
        if arr.shape != (n,) or arr.dtype.kind not in "iu":
            raise ValueError(f"{name} must be a 1-D int array of length {n} like "
                             f"reachability, got shape {arr.shape} and dtype {arr.dtype}")
    if not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"ordering must be a permutation of 0..{n - 1}")
    if ((pred < -1) | (pred >= n)).any():
        raise ValueError(f"predecessor must hold sample indices in 0..{n - 1} or -1")
    return reach, pred.astype(np.int64), order.astype(np.int64)


def _steep_area_end(steep: np.ndarray, against: np.ndarray, start: int, slack: int) -> int:
    """Last position of the maximal steep area that begins at the steep point ``start``:
    it absorbs further ``steep`` points, stops at a point going the other way
    (``against``) or after more than ``slack`` consecutive points that are neither."""
    end, flat = start, 0
    for i in range(start, steep.shape[0]):
        if steep[i]:
            end, flat = i, 0
        elif against[i]:
            break
        else:
            flat += 1
            if flat > slack:
                break
    return end


def _predecessor_corrected(plot, pred_plot, position, start, end):
    """Schubert & Gertz's correction of the candidate ``[start, end]``: drop points from
    the right while the start is not higher than the end and the end's predecessor lies
    outside ``start..end-1``. ``None`` when nothing is left."""
    while start < end:
        if plot[start] > plot[end]:
            return start, end
        p = pred_plot[end]
        if p >= 0 and start <= position[p] < end:
            return start, end
        end -= 1
    return None


def _xi_clusters(plot, pred_plot, ordering, xi, min_samples, min_cluster_size,
                 predecessor_correction) -> list[tuple[int, int]]:
    """The ξ clusters of the reachability plot (see the module docstring), as
    ``(start, end)`` positions, each after the clusters nested in it."""
    n = plot.shape[0]
    r = np.concatenate([plot.astype(np.float64), [np.inf]])  # float64, as scikit-learn
    kappa = 1.0 - xi
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = r[:-1] / r[1:]  # NaN for inf / inf: neither steep, up nor down
    steep_up, steep_down = ratio <= kappa, ratio >= 1.0 / kappa
    rising, falling = ratio < 1.0, ratio > 1.0
    position = np.empty(n, np.int64)
    position[ordering] = np.arange(n)

    open_downs: list[list] = []  # [start, end, largest mib since]: open steep down areas
    clusters: list[tuple[int, int]] = []
    resume, mib = 0, 0.0  # first position not inside a found area; maximum in between
    for s in np.flatnonzero(steep_up | steep_down):
        s = int(s)
        if s < resume:
            continue
        mib = max(mib, float(r[resume:s + 1].max()))
        if np.isinf(mib):
            open_downs = []
        else:
            open_downs = [d for d in open_downs if mib <= r[d[0]] * kappa]
            for d in open_downs:
                d[2] = max(d[2], mib)
        if steep_down[s]:
            end = _steep_area_end(steep_down, rising, s, min_samples)
            open_downs.append([s, end, 0.0])
            resume = end + 1
            mib = float(r[resume])
            continue
        up_end = _steep_area_end(steep_up, falling, s, min_samples)
        resume = up_end + 1
        mib = float(r[resume])
        after = r[up_end + 1]  # the first point past the steep up area
        found = []
        for d_start, d_end, d_mib in open_downs:
            if after * kappa < d_mib:
                continue
            top = r[d_start]
            lo, hi = d_start, up_end
            if top * kappa >= after:  # D starts much higher: start where D reaches `after`
                while lo < d_end and r[lo + 1] > after:
                    lo += 1
            elif after * kappa >= top:  # U ends much higher: end where U passes `top`
                while hi > s and r[hi - 1] > top:
                    hi -= 1
            if predecessor_correction:
                corrected = _predecessor_corrected(r, pred_plot, position, lo, hi)
                if corrected is None:
                    continue
                lo, hi = corrected
            if hi - lo + 1 >= min_cluster_size and lo <= d_end and hi >= s:
                found.append((lo, hi))
        clusters.extend(found[::-1])  # the latest D, the innermost cluster, first
    return clusters


def cluster_optics_xi(reachability: Any, predecessor: Any, ordering: Any, min_samples: Any,
                      *, min_cluster_size: Any = None, xi: Any = 0.05,
                      predecessor_correction: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """ξ-steepness clusters of an OPTICS ordering: ``(labels, clusters)`` with the
    semantics of ``sklearn.cluster.cluster_optics_xi`` (rule in the module docstring).

    Host-side NumPy, not jittable: the scan over steep areas is sequential and the number
    of clusters depends on the data. Pass concrete arrays (e.g. the fields of a fitted
    :class:`OPTICSParams`); work is :math:`O(n)` plus, per steep up area, the open steep
    down areas and the corrections.

    Args:
      reachability, predecessor, ordering: ``(n,)`` arrays from :func:`optics_graph`
        (reachability and predecessor indexed by sample; −1: no predecessor).
      min_samples: the OPTICS ``min_samples``, an int ``>= 2`` (at most ``n``) or a
        fraction of ``n`` in ``(0, 1]`` (rounded down, at least 2); a steep area may hold
        at most this many consecutive non-steep points.
      min_cluster_size: least number of points of a cluster, the same kinds of value
        (default ``min_samples``).
      xi: steepness :math:`\\xi \\in (0, 1)`; a steep point changes the reachability by
        a factor of at least :math:`1 - \\xi`.
      predecessor_correction: trim cluster ends whose predecessor is outside the cluster.

    Returns:
      ``labels (n,)`` int64 by sample (−1: noise) and ``clusters (m, 2)`` int64,
      ``[start, end]`` positions in ``ordering`` (both inclusive), each cluster after the
      ones nested in it (scikit-learn's order; ``(0, 2)`` when there is none).
    """
    reach, pred, order = _host_optics_arrays(reachability, predecessor, ordering)
    n = reach.shape[0]
    min_samples = _xi_count(min_samples, "min_samples", n)
    min_cluster_size = (min_samples if min_cluster_size is None
                        else _xi_count(min_cluster_size, "min_cluster_size", n))
    xi = _check_xi(xi)
    predecessor_correction = check_bool(predecessor_correction, "predecessor_correction")

    found = _xi_clusters(reach[order], pred[order], order, xi, min_samples,
                         min_cluster_size, predecessor_correction)
    clusters = np.array(found, dtype=np.int64).reshape(-1, 2)
    by_position = np.full(n, -1, np.int64)
    label = 0
    for start, end in clusters:
        if (by_position[start:end + 1] == -1).all():
            by_position[start:end + 1] = label
            label += 1
    labels = np.empty(n, np.int64)
    labels[order] = by_position
    return labels, clusters


def _optics_fit(X, min_samples, eps, max_eps):
    """The jittable part of an OPTICS fit: graph and DBSCAN cut at ``eps``."""
    radius, bound = jnp.asarray(eps, X.dtype), jnp.asarray(max_eps, X.dtype)
    D = euclidean_distance_matrix(X)
    ordering, reach, core_d, pred = optics_graph(D, min_samples, bound)
    labels = cluster_optics_dbscan(reach, core_d, ordering, radius)
    return OPTICSParams(ordering=ordering, reachability=reach, core_distances=core_d,
                        predecessor=pred, labels=labels, X=X, eps=radius,
                        cluster_hierarchy=jnp.zeros((0, 2), jnp.int32))


# One executable per (min_samples, input shape and dtype): the ξ fit's graph part.
_jit_optics_fit = jax.jit(_optics_fit, static_argnums=1)


def optics(min_samples: int = 5, *, max_eps: Any = np.inf, eps: Any = None,
           cluster_method: str = "dbscan", xi: Any = 0.05, min_cluster_size: Any = None,
           predecessor_correction: bool = True) -> Clusterer:
    """OPTICS as ``Clusterer(fit, predict)``; ``fit(X) -> OPTICSParams``.

    Args:
      min_samples: the ``m`` of the core distance (static int ``>= 1``; at most ``n``;
        ``>= 2`` with ``cluster_method="xi"``).
      max_eps: neighbourhood radius bounding the search (``inf``: all points).
      eps: radius of the DBSCAN-cut extraction (default ``max_eps``, as scikit-learn's
        ``cluster_method="dbscan"``), and the radius ``predict`` uses under either
        method; must be finite-or-inf and ``<= max_eps``.
      cluster_method: ``"dbscan"`` (the cut at ``eps``; ``fit`` is jittable) or ``"xi"``
        (:func:`cluster_optics_xi`: ``fit`` jits the graph, then extracts the clusters
        on the host, so ``fit`` itself cannot be called under ``jax.jit``).
      xi, min_cluster_size, predecessor_correction: the ξ extraction's settings (see
        :func:`cluster_optics_xi`; ``min_cluster_size`` may be a fraction of ``n``);
        unused by ``"dbscan"``.

    ``labels`` holds the chosen method's clusters and ``cluster_hierarchy`` the ξ
    clusters (``(0, 2)`` for ``"dbscan"``). ``predict`` labels new points by their nearest
    core sample (core distance ``<= eps``) within ``eps``. Uses an ``n × n`` distance
    matrix.
    """
    min_samples = _check_min_samples(min_samples)
    _check_radius(max_eps, "max_eps")
    eps = max_eps if eps is None else eps
    _check_radius(eps, "eps")
    if not (is_traced(eps) or is_traced(max_eps)) and float(eps) > float(max_eps):
        raise ValueError(f"eps must be <= max_eps={max_eps}, got {eps}")
    check_option(cluster_method, "cluster_method", ("dbscan", "xi"))
    if cluster_method == "xi":
        if min_samples < 2:
            raise ValueError(f"min_samples must be >= 2 with cluster_method='xi', "
                             f"got {min_samples}")
        _check_xi(xi)
        check_bool(predecessor_correction, "predecessor_correction")
        if min_cluster_size is not None:  # the upper bound n is checked at fit
            _xi_count(min_cluster_size, "min_cluster_size", np.iinfo(np.int64).max)
        for name, value in (("eps", eps), ("max_eps", max_eps)):
            if is_traced(value):
                raise TypeError(f"{name} must be concrete with cluster_method='xi'")

    def fit(X):
        if cluster_method == "dbscan":
            X = check_X(X)
            _check_min_samples(min_samples, X.shape[0])
            return _optics_fit(X, min_samples, eps, max_eps)
        if is_traced(X):
            raise TypeError("optics(cluster_method='xi').fit extracts the clusters on the "
                            "host and cannot be traced (jax.jit/vmap); call it on a "
                            "concrete X, or use cluster_method='dbscan'")
        X = check_X(X)
        _check_min_samples(min_samples, X.shape[0])
        params = _jit_optics_fit(X, min_samples, eps, max_eps)
        labels, clusters = cluster_optics_xi(
            params.reachability, params.predecessor, params.ordering, min_samples,
            min_cluster_size=min_cluster_size, xi=xi,
            predecessor_correction=predecessor_correction)
        return params.replace(labels=jnp.asarray(labels, jnp.int32),
                              cluster_hierarchy=jnp.asarray(clusters, jnp.int32))

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
    hatched), coloured by ``labels`` (default ``params.labels``; noise grey), and either
    the ξ clusters of ``params.cluster_hierarchy`` as brackets under the bars (nested
    clusters lower) or, for a DBSCAN cut, the radius ``eps`` as a dashed line when
    finite. Returns ``ax``."""
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
    clusters = np.asarray(params.cluster_hierarchy).reshape(-1, 2)
    eps = float(params.eps)
    if clusters.shape[0]:  # ξ clusters as brackets under the bars, nested ones lower
        step = 0.03 * top
        for start, end in clusters:
            depth = int(((clusters[:, 0] <= start) & (clusters[:, 1] >= end)).sum())
            ax.hlines(-depth * step, start - 0.5, end + 0.5, color="k", linewidth=1.5)
        ax.axhline(0.0, color="k", linewidth=0.5)
    elif np.isfinite(eps):
        ax.axhline(eps, color="k", linestyle="--", linewidth=1.0, label=f"eps = {eps:g}")
    ax.set_xlabel("OPTICS ordering")
    ax.set_ylabel("reachability distance")
    ax.set_xlim(-0.5, reach.size - 0.5)
    return ax
