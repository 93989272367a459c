r"""UMAP: uniform manifold approximation and projection (McInnes, Healy & Melville, 2018),
as umap-learn computes it, with an exact kNN graph and a batched SGD layout in one jit.

**kNN graph.** Brute-force exact neighbours by one matrix product per block
(:func:`jaxml.classical.neighbors.kneighbors`); as umap-learn, a point's ``n_neighbors``
= :math:`k` neighbours include the point itself in column 0 (distance 0), so each point has
:math:`k-1` true neighbours. Fine for :math:`n \lesssim 2\cdot10^4` (an :math:`n\times n`
product in blocks).

**Local metric** (umap-learn's ``smooth_knn_dist``). With sorted neighbour distances
:math:`d_{i1}=0\le d_{i2}\le\dots\le d_{ik}`, :math:`\rho_i` is the
``local_connectivity``-th smallest *non-zero* distance (linearly interpolated for a
fractional value; 1 = the nearest neighbour), and :math:`\sigma_i` solves

.. math:: \sum_{j=2}^{k} \exp\!\big(-\max(d_{ij}-\rho_i, 0)/\sigma_i\big) = \log_2(k)\cdot
          \text{bandwidth}

by umap-learn's bisection: start at :math:`\sigma=1`, double until bracketed, then halve the
bracket, 64 steps, stopping a row once the sum is within :math:`10^{-5}` of the target.
Guard (``MIN_K_DIST_SCALE`` = 1e-3): :math:`\sigma_i \ge 10^{-3}\,\overline{d_{i\cdot}}`
(the row's mean distance) when :math:`\rho_i>0`, else :math:`\ge 10^{-3}\,\overline{d}` (the
mean over all rows).

**Fuzzy simplicial set.** Directed memberships :math:`A_{ij} = \exp(-(d_{ij}-\rho_i)/\sigma_i)`
(1 when :math:`d_{ij}\le\rho_i`, 0 on the diagonal), combined by the fuzzy union
(probabilistic t-conorm) mixed with the intersection by ``set_op_mix_ratio`` :math:`r`:

.. math:: W = r\,(A + A^\top - A\circ A^\top) + (1-r)\,A\circ A^\top.

Stored as a fixed-size edge list of :math:`2nk` directed edges: the :math:`nk` kNN edges
:math:`(i,j)` with :math:`W_{ij}` and their reverses :math:`(j,i)`, a reverse being dropped
(weight 0) when :math:`i` is also among :math:`j`'s neighbours (it is then a kNN edge
already). Weights 0 mark absent edges everywhere.

**Low-dimensional similarity.** :math:`\phi(y_i,y_j) = (1 + a\,\lVert y_i-y_j\rVert^{2b})^{-1}`,
with :math:`(a,b)` the least-squares fit (umap-learn's ``find_ab_params``; Levenberg–Marquardt
from :math:`(1,1)` as SciPy's ``curve_fit``) of :math:`\phi` to
:math:`\psi(x) = 1` for :math:`x<` ``min_dist``, :math:`\exp(-(x-\text{min\_dist})/\text{spread})`
otherwise, at 300 points on :math:`[0, 3\,\text{spread}]`.

**Objective and its per-edge gradients.** The fuzzy cross-entropy

.. math:: C = \sum_{ij} W_{ij}\log\frac{W_{ij}}{\phi_{ij}} +
          (1-W_{ij})\log\frac{1-W_{ij}}{1-\phi_{ij}} .

With :math:`s=\lVert y_i-y_j\rVert^2`, the attractive term :math:`-\log\phi` has gradient
:math:`\partial_{y_i}(-\log\phi) = \frac{2ab\,s^{b-1}}{1+a s^b}(y_i-y_j)` and the repulsive
term :math:`-\log(1-\phi)` has :math:`\partial_{y_i} = -\frac{2b}{s\,(1+a s^b)}(y_i-y_j)`.
SGD samples edge :math:`(i,j)` with probability :math:`\propto W_{ij}` (every
``epochs_per_sample`` :math:`= \max W / W_{ij}` epochs) and moves :math:`y_i` by
:math:`\alpha\,\mathrm{clip}_{[-4,4]}(-\partial_{y_i}(-\log\phi))` and :math:`y_j` by the
opposite; each sampled edge also draws negative samples :math:`k` uniformly among all
points (``negative_sample_rate`` per sample, on the same epoch clock as umap-learn) and moves
:math:`y_i` by :math:`\alpha\,\mathrm{clip}(\frac{2\gamma b}{(10^{-3}+s)(1+a s^b)}(y_i-y_k))`
(:math:`\gamma` = ``repulsion_strength``; umap-learn's :math:`10^{-3}` keeps it finite).
The learning rate decays linearly, :math:`\alpha_n = \alpha_0(1-(n-1)/N)` in epoch
:math:`n \ge 1` of :math:`N`. Edges with :math:`W_{ij} < \max W / N` are pruned first.
Default :math:`N` = 500 for :math:`n\le 10^4`, else 200.

**Batched rather than Hogwild updates.** umap-learn walks the edges one at a time within an
epoch, each update seeing the positions the previous ones produced (and, in parallel mode,
racing on them, "Hogwild"). Here an epoch is one vectorised step: every sampled edge's
attractive and negative-sample moves are computed from the positions at the start of the
epoch, clipped per edge and coordinate exactly as umap-learn, and summed per point with
``segment_sum``. Why: the whole layout is then one ``lax.scan`` over epochs of fixed-shape
gathers and scatter-adds (all :math:`2nk` edges with a per-epoch mask for the sampled
ones, and :math:`2\times` ``negative_sample_rate`` negative slots per edge, masked down to
umap-learn's count, which never exceeds that bound), so it jits, vmaps and runs on
accelerators; a sequential loop over :math:`10^5`–:math:`10^6` edges per epoch cannot. The
cost is that a point's moves within an epoch do not see each other (a point with many
sampled edges gets their sum at once rather than a path through them); in practice (tests)
the embeddings are of the same quality as umap-learn's (trustworthiness within 0.01), but
not the same numbers.

**Initialisation.** ``"spectral"``: the eigenvectors of the 2nd to
``n_components+1``-th smallest eigenvalues of the normalised Laplacian
:math:`L = I - D^{-1/2} W D^{-1/2}` of the pruned graph (a private Laplacian-eigenmap helper:
dense ``eigh`` up to 1000 points, beyond that LOBPCG on the sparse edge list, applied to
:math:`((I + D^{-1/2} W D^{-1/2})/2)^4` to spread the clustered top eigenvalues); scaled so that
the largest absolute coordinate is 10, plus :math:`\mathcal N(0, 10^{-4})` noise (umap-learn's
``noisy_scale_coords``). umap-learn lays out disconnected graphs component by component;
here a disconnected graph gets the plain eigenvectors (each component then starts collapsed
near a point, which the layout spreads). ``"random"``: uniform on :math:`[-10,10]`. Either is
then rescaled per coordinate to :math:`[0,10]` before the layout, as umap-learn.

**Transform** (umap-learn's ``transform``). New points get their ``n_neighbors`` nearest
*training* points; memberships as above with ``local_connectivity - 1`` (so
:math:`\rho = 0` by default) and umap-learn's sum over columns 2..k for :math:`\sigma`; the
initial position is the membership-weighted mean of the neighbours' embeddings (a neighbour
with membership exactly 1, a duplicate, is copied). Then ``n_epochs // 3`` epochs (default
100 for up to :math:`10^4` new points, else 30) of the same layout with :math:`\alpha_0/4`,
the training embedding fixed (tails and negatives are training points). As umap-learn the
pruning threshold :math:`\max W/N` uses the maximum over the whole batch of new points.

References:
  McInnes, Healy & Melville, "UMAP: Uniform Manifold Approximation and Projection for
  Dimension Reduction", arXiv:1802.03426, 2018.
  umap-learn 0.5 (``umap/umap_.py``, ``umap/layouts.py``, ``umap/spectral.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental.sparse.linalg import lobpcg_standard

from jaxml.classical.neighbors import kneighbors
from jaxml.core import (
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_probability,
    check_X,
    is_traced,
    pytree_dataclass,
)
from jaxml.unsupervised.manifold import _nearest_others

__all__ = [
    "FuzzyGraph",
    "UMAPEmbedder",
    "UMAPParams",
    "attractive_update",
    "edge_cross_entropy",
    "find_ab_params",
    "fuzzy_simplicial_set",
    "membership_strengths",
    "repulsive_update",
    "smooth_knn_dist",
    "umap",
]

SMOOTH_K_TOLERANCE = 1e-5  # umap-learn's bisection tolerance on the membership sum
MIN_K_DIST_SCALE = 1e-3  # umap-learn's floor on sigma, relative to the mean distance
_DENSE_EIGH_MAX = 1000  # spectral init: dense eigh up to this many points, LOBPCG beyond


class UMAPEmbedder(NamedTuple):
    """``fit(key, X) -> UMAPParams`` (``params.embedding (n, n_components)``) and
    ``transform(key, params, X_new) -> (m, n_components)``."""

    fit: Callable[..., Any]
    transform: Callable[..., Any]


class FuzzyGraph(NamedTuple):
    """The fuzzy simplicial set as ``2 n k`` directed edges (module docstring):
    ``rows, cols, weights`` (weight 0: no edge), with the ``knn_indices, knn_dists (n, k)``
    (self in column 0) and the per-point ``sigmas, rhos (n,)`` it was built from."""

    rows: jax.Array
    cols: jax.Array
    weights: jax.Array
    sigmas: jax.Array
    rhos: jax.Array
    knn_indices: jax.Array
    knn_dists: jax.Array


@pytree_dataclass
class UMAPParams:
    """A fitted UMAP: the ``embedding (n, n_components)``, the curve parameters ``a, b``,
    the training data ``X (n, d)`` (for ``transform``) and its fuzzy ``graph``."""

    embedding: jax.Array
    a: jax.Array
    b: jax.Array
    X: jax.Array
    graph: FuzzyGraph


# ----------------------------------------------------------------------------- local metric


def _rho(D, local_connectivity):
    """The interpolated ``local_connectivity``-th smallest non-zero distance of each sorted row."""
    k = D.shape[1]
    nnz = jnp.sum(D > 0.0, axis=1)
    first = k - nnz  # rows are sorted: the zeros come first
    lc = jnp.asarray(local_connectivity, D.dtype)
    index = jnp.floor(lc).astype(jnp.int32)
    interp = lc - index

    def nz(m):  # m-th non-zero distance of every row (clipped gather)
        return jnp.take_along_axis(D, jnp.clip(first + m, 0, k - 1)[:, None], 1)[:, 0]

    lower, upper = nz(index - 1), nz(index)
    with_index = lower + jnp.where(interp > SMOOTH_K_TOLERANCE, interp * (upper - lower), 0.0)
    rho = jnp.where(index > 0, with_index, interp * nz(0))
    return jnp.where(nnz >= lc, rho, jnp.where(nnz > 0, jnp.max(D, axis=1), 0.0))


@partial(jax.jit, static_argnames="n_iter")
def _smooth_knn_dist(D, k, n_iter, local_connectivity, bandwidth):
    rho = _rho(D, local_connectivity)
    target = jnp.log2(jnp.asarray(k, D.dtype)) * bandwidth
    shifted = D[:, 1:] - rho[:, None]  # umap-learn sums from the second column

    def psum(mid):
        return jnp.sum(jnp.where(shifted > 0, jnp.exp(-shifted / mid[:, None]), 1.0), axis=1)

    def step(_, carry):
        lo, hi, mid, done = carry
        s = psum(mid)
        done = done | (jnp.abs(s - target) < SMOOTH_K_TOLERANCE)
        high = s > target
        new_hi = jnp.where(high, mid, hi)
        new_lo = jnp.where(high, lo, mid)
        new_mid = jnp.where(high | jnp.isfinite(hi), 0.5 * (new_lo + new_hi), 2.0 * mid)
        keep = lambda old, new: jnp.where(done, old, new)
        return keep(lo, new_lo), keep(hi, new_hi), keep(mid, new_mid), done

    n = D.shape[0]
    init = (jnp.zeros(n, D.dtype), jnp.full(n, jnp.inf, D.dtype), jnp.ones(n, D.dtype),
            jnp.zeros(n, bool))
    sigma = jax.lax.fori_loop(0, n_iter, step, init)[2]
    floor = MIN_K_DIST_SCALE * jnp.where(rho > 0, jnp.mean(D, axis=1), jnp.mean(D))
    return jnp.maximum(sigma, floor), rho


def smooth_knn_dist(distances, k, *, n_iter: int = 64, local_connectivity: Any = 1.0,
                    bandwidth: Any = 1.0) -> tuple[jax.Array, jax.Array]:
    """umap-learn's ``smooth_knn_dist``: ``(sigmas, rhos)``, each ``(n,)``.

    Args:
      distances: ``(n, k_cols)`` neighbour distances, each row sorted ascending, the point
        itself (distance 0) in column 0 (it is skipped in the sum, as umap-learn).
      k: the neighbour count whose ``log2`` is the target sum (traceable).
      n_iter: bisection steps (static).
      local_connectivity: which non-zero neighbour sets ``rho`` (1 = the nearest; traceable).
      bandwidth: factor on the target (traceable).
    """
    D = check_X(distances, "distances")
    if D.shape[1] < 2:
        raise ValueError(f"distances must have at least 2 columns, got shape {D.shape}")
    if not is_traced(D) and np.any(np.asarray(D) < 0):
        raise ValueError("distances must be non-negative")
    check_positive(k, "k")
    check_positive(local_connectivity, "local_connectivity", strict=False)
    check_positive(bandwidth, "bandwidth")
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    return _smooth_knn_dist(D, k, n_iter, local_connectivity, bandwidth)


def membership_strengths(knn_indices, knn_dists, sigmas, rhos, *,
                         bipartite: bool = False) -> jax.Array:
    """Directed memberships ``(n, k)``: ``exp(-(d - rho)/sigma)``, 1 when ``d <= rho`` (or
    ``sigma == 0``), and 0 for a point's own column unless ``bipartite`` (queries vs a
    different point set, as in ``transform``)."""
    d = knn_dists - rhos[:, None]
    s = sigmas[:, None]
    safe = jnp.where(s == 0.0, 1.0, s)
    vals = jnp.where((d <= 0.0) | (s == 0.0), 1.0, jnp.exp(-d / safe))
    if not bipartite:
        self_col = knn_indices == jnp.arange(knn_indices.shape[0])[:, None]
        vals = jnp.where(self_col, 0.0, vals)
    return vals


# ----------------------------------------------------------------------------- fuzzy graph


def _knn_with_self(X, n_neighbors):
    """umap-learn's kNN convention: ``n_neighbors`` columns, the point itself first."""
    n = X.shape[0]
    dist, idx = _nearest_others(X, n_neighbors - 1)
    dist = jnp.concatenate([jnp.zeros((n, 1), dist.dtype), dist], axis=1)
    idx = jnp.concatenate([jnp.arange(n, dtype=idx.dtype)[:, None], idx], axis=1)
    return idx, dist


def _fuzzy_union(idx, A, set_op_mix_ratio):
    """Edge list of ``W = r (A + A^T - A∘A^T) + (1 - r) A∘A^T`` (module docstring)."""
    n, k = idx.shape
    rows = jnp.repeat(jnp.arange(n, dtype=idx.dtype), k)
    cols = idx.reshape(-1)
    back = idx[cols] == rows[:, None]  # (nk, k): is i among j's neighbours, and where
    mutual = jnp.any(back, axis=1)
    a = A.reshape(-1)
    a_t = jnp.sum(jnp.where(back, A[cols], 0.0), axis=1)
    prod = a * a_t
    w = set_op_mix_ratio * (a + a_t - prod) + (1.0 - set_op_mix_ratio) * prod
    w_rev = jnp.where(mutual, 0.0, w)
    return (jnp.concatenate([rows, cols]), jnp.concatenate([cols, rows]),
            jnp.concatenate([w, w_rev]))


@partial(jax.jit, static_argnames="n_neighbors")
def _fuzzy_graph(X, n_neighbors, local_connectivity, set_op_mix_ratio):
    idx, dist = _knn_with_self(X, n_neighbors)
    sigmas, rhos = _smooth_knn_dist(dist, float(n_neighbors), 64, local_connectivity, 1.0)
    A = membership_strengths(idx, dist, sigmas, rhos)
    rows, cols, w = _fuzzy_union(idx, A, set_op_mix_ratio)
    return FuzzyGraph(rows, cols, w, sigmas, rhos, idx, dist)


def _check_n_neighbors(n_neighbors, n):
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=2)
    if n_neighbors >= n:
        raise ValueError(f"n_neighbors must be less than the number of samples ({n}), "
                         f"got {n_neighbors}")
    return n_neighbors


def _check_input(X):
    X = check_X(X)
    if X.shape[0] < 3:
        raise ValueError(f"X must have at least 3 samples for UMAP, got {X.shape[0]}")
    return X


def fuzzy_simplicial_set(X, n_neighbors: int = 15, *, local_connectivity: Any = 1.0,
                         set_op_mix_ratio: Any = 1.0) -> FuzzyGraph:
    """The fuzzy simplicial set of ``X (n, d)`` on its exact ``n_neighbors`` graph (self
    included, as umap-learn), as a :class:`FuzzyGraph` edge list."""
    X = _check_input(X)
    n_neighbors = _check_n_neighbors(n_neighbors, X.shape[0])
    check_positive(local_connectivity, "local_connectivity", strict=False)
    check_probability(set_op_mix_ratio, "set_op_mix_ratio")
    return _fuzzy_graph(X, n_neighbors, local_connectivity, set_op_mix_ratio)


# ----------------------------------------------------------------------------- curve a, b


@partial(jax.jit, static_argnames=("dtype", "n_steps"))
def _find_ab(spread, min_dist, dtype, n_steps=100):
    spread = jnp.asarray(spread, dtype)
    min_dist = jnp.asarray(min_dist, dtype)
    x = jnp.linspace(0.0, 3.0, 300, dtype=dtype) * spread
    y = jnp.where(x < min_dist, 1.0, jnp.exp(-(x - min_dist) / spread))
    pos = x > 0
    logx = jnp.log(jnp.where(pos, x, 1.0))

    def residual_and_jac(p):
        a, b = p
        u = jnp.where(pos, jnp.exp(2.0 * b * logx), 0.0)  # x^(2b), 0 at x = 0
        f = 1.0 / (1.0 + a * u)
        J = jnp.stack([-u * f**2, -2.0 * a * u * logx * f**2], axis=1)
        return f - y, J

    def step(_, carry):  # Levenberg–Marquardt with multiplicative damping
        p, lam = carry
        r, J = residual_and_jac(p)
        g = J.T @ r
        H = J.T @ J
        delta = jnp.linalg.solve(H + lam * jnp.diag(jnp.diag(H)), -g)
        r_new, _ = residual_and_jac(p + delta)
        better = jnp.sum(r_new**2) < jnp.sum(r**2)
        return (jnp.where(better, p + delta, p),
                jnp.clip(jnp.where(better, lam * 0.3, lam * 10.0), 1e-12, 1e12))

    p, _ = jax.lax.fori_loop(0, n_steps, step, (jnp.ones(2, dtype), jnp.asarray(1e-3, dtype)))
    return p[0], p[1]


def _check_spread_min_dist(spread, min_dist):
    check_positive(spread, "spread")
    check_positive(min_dist, "min_dist", strict=False)
    if not (is_traced(spread) or is_traced(min_dist)) and float(min_dist) > float(spread):
        raise ValueError(f"min_dist must be less than or equal to spread ({spread}), "
                         f"got {min_dist}")


def find_ab_params(spread: Any = 1.0, min_dist: Any = 0.1) -> tuple[jax.Array, jax.Array]:
    """``(a, b)`` of the curve ``1 / (1 + a x^(2b))`` fitted by least squares to the
    offset exponential of ``min_dist``/``spread`` (umap-learn's ``find_ab_params``;
    traceable in both)."""
    _check_spread_min_dist(spread, min_dist)
    return _find_ab(spread, min_dist, jnp.result_type(float))


# ----------------------------------------------------------------------------- gradients


def _phi(s, a, b):
    return 1.0 / (1.0 + a * s**b)


def edge_cross_entropy(y_i, y_j, w, a, b) -> jax.Array:
    """Fuzzy cross-entropy of one edge of weight ``w``, up to the constant
    ``w log w + (1-w) log(1-w)``: ``-w log phi - (1 - w) log(1 - phi)``."""
    s = jnp.sum((y_i - y_j) ** 2)
    phi = _phi(s, a, b)
    return -w * jnp.log(phi) - (1.0 - w) * jnp.log1p(-phi)


def _attractive_coef(s, a, b):
    safe = jnp.where(s > 0, s, 1.0)
    return jnp.where(s > 0, -2.0 * a * b * safe ** (b - 1.0) / (a * safe**b + 1.0), 0.0)


def _repulsive_coef(s, a, b, gamma):
    safe = jnp.where(s > 0, s, 1.0)
    return jnp.where(s > 0, 2.0 * gamma * b / ((1e-3 + safe) * (a * safe**b + 1.0)), 0.0)


def attractive_update(y_i, y_j, a, b) -> jax.Array:
    """The unclipped attractive move of ``y_i`` along an edge, ``-d(-log phi)/dy_i``."""
    return _attractive_coef(jnp.sum((y_i - y_j) ** 2, -1), a, b)[..., None] * (y_i - y_j)


def repulsive_update(y_i, y_k, a, b, gamma=1.0) -> jax.Array:
    """The unclipped repulsive move of ``y_i`` from a negative sample ``y_k``:
    ``-d(-gamma log(1 - phi))/dy_i`` with umap-learn's ``1e-3`` added to ``s``."""
    return _repulsive_coef(jnp.sum((y_i - y_k) ** 2, -1), a, b, gamma)[..., None] * (y_i - y_k)


# ----------------------------------------------------------------------------- layout


def _clip(g):
    return jnp.clip(g, -4.0, 4.0)


def _epochs_per_sample(w, n_epochs):
    """Prune ``w < max w / n_epochs``; ``(mask, epochs_per_sample = max w / w)``."""
    w_max = jnp.max(w)
    mask = (w > 0) & (w >= w_max / n_epochs)
    eps = jnp.where(mask, n_epochs / (n_epochs * (jnp.where(mask, w, 1.0) / w_max)), jnp.inf)
    return mask, eps


def _hash_ints(seed, epoch, counter, high):
    """Uniform integers in ``[0, high)`` from a counter-based hash (Wellons' lowbias32) of
    (counter, epoch, seed): the layout's negative samples. ``jax.random.randint`` (threefry)
    costs more than the rest of an epoch on CPU; a hash of the slot counter is enough for
    negative sampling (umap-learn uses a Tausworthe generator), and stays a pure function
    of ``key``."""
    x = counter.astype(jnp.uint32) * jnp.uint32(0x9E3779B9)
    x = x + (seed ^ (epoch.astype(jnp.uint32) * jnp.uint32(0x85EBCA6B)))
    for shift, mult in ((16, 0x7FEB352D), (15, 0x846CA68B)):
        x = (x ^ (x >> shift)) * jnp.uint32(mult)
    x = x ^ (x >> 16)
    return (x % jnp.uint32(high)).astype(jnp.int32)


def _layout(key, head_emb, tail_emb, head, tail, eps, a, b, gamma, alpha0, n_epochs,
            negative_sample_rate, move_other):
    """umap-learn's epoch schedule, each epoch one batched update (module docstring).

    ``move_other`` (fit): head and tail embeddings are one array, tails move too; else
    (transform) ``tail_emb`` is fixed and only ``head_emb`` moves. Each epoch compacts its
    sampled edges (a cumsum scatter) and processes them in chunks of ``C`` edges (a loop of
    ``ceil(n_sampled / C)`` trips), so the negative-sample work is proportional to the
    sampled edges (about a tenth of all) rather than to all ``2 n k``; all chunks read the
    epoch's starting positions.
    """
    n_tail = tail_emb.shape[0]
    n_edges = head.shape[0]
    n_slots = max(2 * negative_sample_rate, 1)
    chunk = min(n_edges, max(256, -(-n_edges // 16)))
    n_pad = -(-n_edges // chunk) * chunk
    active_edge = jnp.isfinite(eps)
    eps_neg = eps / max(negative_sample_rate, 1)
    slot = jnp.arange(n_slots)
    lane = jnp.arange(chunk)
    dtype = head_emb.dtype
    seed = jax.random.bits(key, (), jnp.uint32)

    def epoch(carry, n):
        Y, next_s, next_neg = carry
        T = Y if move_other else tail_emb
        nf = n.astype(dtype)
        alpha = jnp.where(n == 0, alpha0, alpha0 * (1.0 - (nf - 1.0) / n_epochs))
        sampled = active_edge & (next_s <= nf)
        n_neg = jnp.where(sampled, jnp.floor((nf - next_neg) / eps_neg), 0.0)
        if negative_sample_rate == 0:
            n_neg = jnp.zeros_like(n_neg)
        n_sampled = jnp.sum(sampled)
        position = jnp.where(sampled, jnp.cumsum(sampled) - 1, n_pad)
        order = jnp.zeros(n_pad, jnp.int32).at[position].set(
            jnp.arange(n_edges, dtype=jnp.int32), mode="drop")

        def chunk_moves(c, move):
            e = jax.lax.dynamic_slice(order, (c * chunk,), (chunk,))
            valid = c * chunk + lane < n_sampled
            h, t = head[e], tail[e]
            yh = Y[h]
            diff = yh - T[t]
            g = _clip(_attractive_coef(jnp.sum(diff**2, 1), a, b)[:, None] * diff)
            g = jnp.where(valid[:, None], g, 0.0)
            negs = _hash_ints(seed, n, e[:, None] * n_slots + slot[None, :], n_tail)
            dn = yh[:, None, :] - T[negs]
            gn = _clip(_repulsive_coef(jnp.sum(dn**2, 2), a, b, gamma)[..., None] * dn)
            use = valid[:, None] & (slot[None, :] < n_neg[e][:, None])
            gn = jnp.where(use[..., None], gn, 0.0)
            move = move.at[h].add(g + jnp.sum(gn, 1))
            if move_other:
                move = move.at[t].add(-g)
            return move

        n_chunks = (n_sampled + chunk - 1) // chunk
        move = jax.lax.fori_loop(0, n_chunks, chunk_moves, jnp.zeros_like(Y))
        next_s = jnp.where(sampled, next_s + eps, next_s)
        next_neg = next_neg + n_neg * eps_neg
        return (Y + alpha * move, next_s, next_neg), None

    init = (head_emb, eps, eps_neg)
    (Y, _, _), _ = jax.lax.scan(epoch, init, jnp.arange(n_epochs))
    return Y


# ----------------------------------------------------------------------------- initialisation


def _spectral_embedding(key, rows, cols, w, n, dim, dtype):
    """Private Laplacian eigenmap: eigenvectors 2..dim+1 of ``I - D^-1/2 W D^-1/2``
    (largest of ``D^-1/2 W D^-1/2``), dense ``eigh`` or LOBPCG on the edge list."""
    deg = jax.ops.segment_sum(w, cols, num_segments=n)
    dinv = 1.0 / jnp.sqrt(jnp.maximum(deg, jnp.finfo(dtype).tiny))
    if n <= _DENSE_EIGH_MAX:
        N = jnp.zeros((n, n), dtype).at[rows, cols].add(w)
        N = dinv[:, None] * N * dinv[None, :]
        _, vecs = jnp.linalg.eigh(N)
        return vecs[:, n - 2: n - 2 - dim: -1]
    wn = w * dinv[rows] * dinv[cols]

    def filtered(V):  # ((I + N) / 2)^4 V: PSD, N's top eigenvectors, its clustered top
        for _ in range(4):  # eigenvalues (digits: 1, 0.997, 0.995, ...) spread 4x apart
            V = 0.5 * (V + jax.ops.segment_sum(wn[:, None] * V[cols], rows, num_segments=n))
        return V

    block = dim + 4  # extra vectors speed up LOBPCG's convergence on the wanted ones
    V0 = jax.random.normal(key, (n, block), dtype)
    V0 = V0.at[:, 0].set(jnp.sqrt(deg) / jnp.linalg.norm(jnp.sqrt(deg)))
    _, vecs, _ = lobpcg_standard(filtered, V0, m=200)
    return vecs[:, 1: dim + 1]


def _initial_embedding(key, graph_rows, graph_cols, w, n, dim, init, dtype):
    k_eig, k_noise = jax.random.split(key)
    if init == "spectral":
        Y = _spectral_embedding(k_eig, graph_rows, graph_cols, w, n, dim, dtype)
        Y = Y * (10.0 / jnp.max(jnp.abs(Y)))
        Y = Y + 1e-4 * jax.random.normal(k_noise, Y.shape, dtype)
    else:
        Y = jax.random.uniform(k_noise, (n, dim), dtype, -10.0, 10.0)
    lo, hi = jnp.min(Y, axis=0), jnp.max(Y, axis=0)
    return 10.0 * (Y - lo) / (hi - lo)


# ----------------------------------------------------------------------------- estimator


def umap(n_components: int = 2, *, n_neighbors: int = 15, min_dist: Any = 0.1,
         spread: Any = 1.0, n_epochs: int | None = None, learning_rate: Any = 1.0,
         negative_sample_rate: int = 5, repulsion_strength: Any = 1.0,
         local_connectivity: Any = 1.0, set_op_mix_ratio: Any = 1.0, init: str = "spectral",
         a: Any = None, b: Any = None) -> UMAPEmbedder:
    """UMAP (module docstring). ``fit(key, X) -> UMAPParams``;
    ``transform(key, params, X_new) -> (m, n_components)``.

    Args:
      n_components: embedding dimension (static).
      n_neighbors: neighbours per point including itself, ``2 <= n_neighbors < n`` (static).
      min_dist, spread: shape of the target curve, ``0 <= min_dist <= spread`` (traceable).
      n_epochs: layout epochs (static); default 500 for ``n <= 10000``, else 200.
      learning_rate: initial ``alpha`` (traceable).
      negative_sample_rate: negative samples per sampled edge (static).
      repulsion_strength: ``gamma`` on the repulsive moves (traceable).
      local_connectivity: which neighbour sets ``rho`` (traceable).
      set_op_mix_ratio: 1 = fuzzy union, 0 = fuzzy intersection (traceable).
      init: ``"spectral"`` or ``"random"`` (from ``key``).
      a, b: the curve parameters; by default fitted from ``min_dist`` and ``spread``.
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=2)
    if n_epochs is not None:
        n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
    negative_sample_rate = check_int(negative_sample_rate, "negative_sample_rate", minimum=0)
    _check_spread_min_dist(spread, min_dist)
    check_positive(learning_rate, "learning_rate")
    check_positive(repulsion_strength, "repulsion_strength", strict=False)
    check_positive(local_connectivity, "local_connectivity", strict=False)
    check_probability(set_op_mix_ratio, "set_op_mix_ratio")
    init = check_option(init, "init", ("spectral", "random"))
    if (a is None) != (b is None):
        raise ValueError("a and b must be given together (or neither)")
    if a is not None:
        check_positive(a, "a")
        check_positive(b, "b")

    def _ab(dtype):
        if a is not None:
            return jnp.asarray(a, dtype), jnp.asarray(b, dtype)
        return _find_ab(spread, min_dist, dtype)

    def _fit_epochs(n):
        if n_epochs is not None:
            return n_epochs
        return 500 if n <= 10000 else 200

    def fit(key, X) -> UMAPParams:
        X = _check_input(X)
        _check_n_neighbors(n_neighbors, X.shape[0])
        if n_components >= X.shape[0]:
            raise ValueError(f"n_components must be less than the number of samples "
                             f"({X.shape[0]}), got {n_components}")
        return _fit(key, X)

    @jax.jit
    def _fit(key, X) -> UMAPParams:
        n = X.shape[0]
        N = _fit_epochs(n)
        graph = _fuzzy_graph(X, n_neighbors, local_connectivity, set_op_mix_ratio)
        # umap-learn prunes at max / n_epochs, or max / its default count when n_epochs <= 10
        mask, eps = _epochs_per_sample(graph.weights, N if N > 10 else (500 if n <= 10000
                                                                         else 200))
        w = jnp.where(mask, graph.weights, 0.0)
        k_init, k_layout = jax.random.split(key)
        Y0 = _initial_embedding(k_init, graph.rows, graph.cols, w, n, n_components, init,
                                X.dtype)
        a_, b_ = _ab(X.dtype)
        Y = _layout(k_layout, Y0, Y0, graph.rows, graph.cols, eps, a_, b_,
                    repulsion_strength, learning_rate, N, negative_sample_rate, True)
        return UMAPParams(embedding=Y, a=a_, b=b_, X=X, graph=graph)

    def transform(key, params: UMAPParams, X) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.X.shape[1])
        if params.embedding.shape[0] < n_neighbors:
            raise ValueError(f"n_neighbors ({n_neighbors}) exceeds the training set size "
                             f"({params.embedding.shape[0]})")
        return _transform(key, params, X)

    @jax.jit
    def _transform(key, params: UMAPParams, X) -> jax.Array:
        m = X.shape[0]
        dist, idx = kneighbors(params.X, X, n_neighbors)
        lc = jnp.maximum(0.0, jnp.asarray(local_connectivity, X.dtype) - 1.0)
        sigmas, rhos = _smooth_knn_dist(dist, float(n_neighbors), 64, lc, 1.0)
        A = membership_strengths(idx, dist, sigmas, rhos, bipartite=True)
        emb = params.embedding
        one = A == 1.0
        copy = jnp.take_along_axis(idx, jnp.argmax(one, axis=1)[:, None], 1)[:, 0]
        mean = jnp.einsum("mk,mkc->mc", A / jnp.sum(A, axis=1, keepdims=True), emb[idx])
        Y0 = jnp.where(jnp.any(one, axis=1)[:, None], emb[copy], mean)
        N = (100 if m <= 10000 else 30) if n_epochs is None else max(n_epochs // 3, 1)
        _, eps = _epochs_per_sample(A.reshape(-1), N)
        head = jnp.repeat(jnp.arange(m, dtype=idx.dtype), n_neighbors)
        return _layout(key, Y0, emb, head, idx.reshape(-1), eps, params.a, params.b,
                       repulsion_strength, learning_rate / 4.0, N, negative_sample_rate,
                       False)

    return UMAPEmbedder(fit=fit, transform=transform)
