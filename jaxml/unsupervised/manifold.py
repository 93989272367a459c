r"""t-SNE: t-distributed stochastic neighbour embedding (van der Maaten & Hinton, 2008).

**Input affinities.** For each point :math:`i` a Gaussian over the others,

.. math:: P_{j|i} = \frac{\exp(-\beta_i d_{ij}^2)}{\sum_{k\ne i}\exp(-\beta_i d_{ik}^2)},

with the precision :math:`\beta_i` found by bisection so that the perplexity
:math:`2^{H(P_{\cdot|i})}` (equivalently the entropy in nats, :math:`\log` perplexity)
matches the target; as scikit-learn, :math:`\beta` starts at 1, doubles or halves until
the target is bracketed, then bisects. Rows are shifted by their smallest distance before
exponentiating (the ratio is unchanged, nothing underflows). The joint affinities are
:math:`p_{ij} = (P_{j|i} + P_{i|j}) / 2n`, floored at float64's machine epsilon as
scikit-learn does, so :math:`\sum_{ij} p_{ij} = 1`.

**Output affinities.** A Student-t kernel with :math:`\nu` = ``max(n_components - 1, 1)``
degrees of freedom (as scikit-learn),

.. math:: w_{ij} = (1 + \lVert y_i - y_j\rVert^2/\nu)^{-(\nu+1)/2}, \qquad
          q_{ij} = w_{ij} / Z, \quad Z = \sum_{k\ne l} w_{kl}.

**Objective and gradient.** :math:`\mathrm{KL}(P\Vert Q) = \sum_{i\ne j} p_{ij}\log(p_{ij}/q_{ij})`
with

.. math:: \frac{\partial\,\mathrm{KL}}{\partial y_i} = \frac{2(\nu+1)}{\nu}\sum_j
          (p_{ij} - q_{ij})\,u_{ij}\,(y_i - y_j), \qquad u_{ij} = (1 + \lVert y_i-y_j\rVert^2/\nu)^{-1}

(:math:`u = w` for :math:`\nu = 1`, the 2-D case, the familiar :math:`4\sum(p-q)w(y_i-y_j)`).
The first sum is the attractive force, the :math:`q` part the repulsive one.

**Optimisation** (scikit-learn's schedule). Gradient descent with momentum and
delta-bar-delta gains: with update :math:`u` and gains :math:`g`, a coordinate whose
gradient sign disagrees with its last update (``u * grad < 0``) gets :math:`g \mathrel{+}= 0.2`,
the others :math:`g \mathrel{*}= 0.8`, clipped at ``min_gain`` = 0.01; then
:math:`u \leftarrow m u - \eta\, g\odot\nabla`, :math:`y \leftarrow y + u`. The first
``n_iter_exaggeration`` (250) iterations run on :math:`\alpha P` (early exaggeration,
:math:`\alpha = 12`) with momentum 0.5; then updates and gains are reset and the rest run on
:math:`P` with momentum 0.8. ``learning_rate="auto"`` is :math:`\max(n/\alpha/4, 50)`
(Belkina et al., 2019; scikit-learn's factor 4 matches its gradient's factor 4). Both stages
are one ``lax.scan`` each inside one jitted program. scikit-learn's early stopping
(gradient norm below 1e-7, 300 checks without progress) is not applied: every run does
``max_iter`` iterations.

**Initialisation.** ``"pca"``: the first ``n_components`` principal-component scores
(:func:`jaxml.unsupervised.decomposition.pca`), rescaled so the first column has standard
deviation 1e-4 (as scikit-learn); ``"random"``: :math:`10^{-4}\,\mathcal N(0, I)` from ``key``.

**Approximate gradient for large n** (``method="interp"``, 2-D only), O(n·k + G² log G)
per iteration:

* *attraction* on a sparse :math:`P`: affinities are calibrated on the
  :math:`k = \min(n-1, \lfloor 3\cdot\text{perplexity}\rfloor)` nearest neighbours only (as
  openTSNE and scikit-learn's Barnes–Hut), symmetrised as an edge list of :math:`2nk`
  (row, column, value) triples whose duplicates add up; the force is a gather and a
  ``segment_sum`` over edges;
* *repulsion* by particle-mesh interpolation on a uniform :math:`G\times G` grid spanning the
  embedding (the idea of FIt-SNE, Linderman et al., 2019, with bilinear rather than
  polynomial interpolation): each point deposits the charges :math:`(1, y_{i1}, y_{i2})`
  on its four surrounding nodes with bilinear weights; the node potentials
  :math:`\sum_b K(x_a - x_b)\,c_b` for the kernels :math:`K_1 = w` and :math:`K_2 = wu` are
  one zero-padded FFT convolution each; they are interpolated back with the same weights.
  Then :math:`Z \approx \sum_i\phi_1(y_i) - \sum_i s_i` (:math:`s_i`, a point's own
  interpolated self-interaction, is computed exactly from its 4×4 node pairs) and the
  repulsion is :math:`y_i\phi_{2,0}(y_i) - \phi_{2,1:}(y_i)`, in which the self-term cancels
  exactly.

Why this approximation: every step is a fixed-shape gather, scatter-add or FFT, so the whole
optimisation stays one ``lax.scan`` with no data-dependent trees (Barnes–Hut's quadtree
would need pointer chasing and dynamic depth) and no sampling noise (negative-sampling
estimates of :math:`Z` and of the repulsion make the KL jitter). Its error is that of
bilinear interpolation of a kernel of width 1 on a grid of spacing
:math:`h = \text{extent}/(G-1)`, :math:`O(h^2)`; ``n_grid`` trades accuracy for time.

References:
  van der Maaten & Hinton, "Visualizing Data using t-SNE", JMLR 9, 2008.
  van der Maaten, "Accelerating t-SNE using Tree-Based Algorithms", JMLR 15, 2014.
  Linderman, Rachh, Hoskins, Steinerberger & Kluger, "Fast interpolation-based t-SNE for
  improved visualization of single-cell RNA-seq data", Nature Methods 16, 2019.
  Belkina et al., "Automated optimized parameters for t-SNE ...", Nature Comm. 10, 2019.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.classical.kernels import squared_distances
from jaxml.classical.neighbors import kneighbors
from jaxml.core import (
    check_int,
    check_option,
    check_positive,
    check_range,
    check_X,
    pytree_dataclass,
)
from jaxml.unsupervised.decomposition import pca

__all__ = [
    "Embedder",
    "SparseP",
    "TSNEParams",
    "binary_search_perplexity",
    "interpolated_kl",
    "joint_probabilities",
    "joint_probabilities_nn",
    "kl_divergence",
    "kl_gradient",
    "sparse_kl_exact_z",
    "tsne",
]

MACHINE_EPSILON = float(np.finfo(np.float64).eps)  # scikit-learn's floor on P and Q


class Embedder(NamedTuple):
    """``fit(key, X) -> params`` with ``params.embedding (n, n_components)``."""

    fit: Callable[..., Any]


@pytree_dataclass
class TSNEParams:
    """A fitted t-SNE: ``embedding (n, n_components)``, the final ``kl_divergence ()``
    (exact for ``"exact"``, on the sparse P with the interpolated Z for ``"interp"``) and
    ``kl_history (max_iter,)``, the KL at the start of every iteration (against the
    exaggerated P during early exaggeration)."""

    embedding: jax.Array
    kl_divergence: jax.Array
    kl_history: jax.Array


# ----------------------------------------------------------------------------- input affinities


def binary_search_perplexity(sq_distances, perplexity, *, n_steps: int = 100) -> jax.Array:
    """Conditional affinities ``P_{j|i}`` of each row of squared distances ``(n, m)``.

    Entries equal to ``+inf`` (a point's own column) get probability 0. Each row's
    precision is found by scikit-learn's doubling/bisection scheme, run for ``n_steps``
    steps on all rows at once. Returns ``(n, m)`` rows summing to 1.
    """
    D = jnp.asarray(sq_distances)
    D = D - jnp.min(D, axis=1, keepdims=True)  # shift: P unchanged, no underflow
    target = jnp.log(jnp.asarray(perplexity, D.dtype))
    finite = jnp.isfinite(D)
    Dz = jnp.where(finite, D, 0.0)

    def entropy_and_p(beta):
        e = jnp.where(finite, jnp.exp(-Dz * beta[:, None]), 0.0)
        s = jnp.sum(e, axis=1)
        p = e / s[:, None]
        return jnp.log(s) + beta * jnp.sum(p * Dz, axis=1), p

    def step(_, carry):
        beta, lo, hi = carry
        h, _p = entropy_and_p(beta)
        too_flat = h > target  # entropy too high: sharpen (raise beta)
        lo = jnp.where(too_flat, beta, lo)
        hi = jnp.where(too_flat, hi, beta)
        up = jnp.where(jnp.isinf(hi), beta * 2.0, 0.5 * (beta + hi))
        down = jnp.where(jnp.isinf(lo), beta * 0.5, 0.5 * (beta + lo))
        return jnp.where(too_flat, up, down), lo, hi

    n = D.shape[0]
    init = (jnp.ones(n, D.dtype), jnp.full(n, -jnp.inf, D.dtype), jnp.full(n, jnp.inf, D.dtype))
    beta, _, _ = jax.lax.fori_loop(0, n_steps, step, init)
    return entropy_and_p(beta)[1]


def _check_perplexity(perplexity, n: int):
    check_positive(perplexity, "perplexity")
    if not isinstance(perplexity, jax.core.Tracer) and float(perplexity) >= n:
        raise ValueError(f"perplexity must be less than the number of samples ({n}), "
                         f"got {perplexity}")
    return perplexity


def _check_input(X):
    X = check_X(X)
    if X.shape[0] < 3:
        raise ValueError(f"X must have at least 3 samples for t-SNE, got {X.shape[0]}")
    return X


def _joint_dense(X, perplexity):
    n = X.shape[0]
    D = squared_distances(X, X)
    D = jnp.where(jnp.eye(n, dtype=bool), jnp.inf, D)
    cond = binary_search_perplexity(D, perplexity)
    P = (cond + cond.T) / (2.0 * n)
    return jnp.where(jnp.eye(n, dtype=bool), 0.0, jnp.maximum(P, MACHINE_EPSILON))


def joint_probabilities(X, perplexity) -> jax.Array:
    """Dense joint affinities ``p_ij (n, n)`` of ``X (n, d)`` (zero diagonal, sum 1)."""
    X = _check_input(X)
    return _joint_dense(X, _check_perplexity(perplexity, X.shape[0]))


class SparseP(NamedTuple):
    """Symmetric sparse affinities as an edge list with duplicates (values add up).

    Layout (what the interpolated gradient relies on): ``2·n·k`` edges; the first half is
    the directed k-nearest-neighbour list, row ``i``'s ``k`` edges at ``i·k .. i·k+k-1``,
    and the second half is its transpose, edge for edge with the same values."""

    rows: jax.Array
    cols: jax.Array
    values: jax.Array
    merged: jax.Array  # the summed p_ij of each edge's (row, col) pair
    multiplicity: jax.Array  # how many edges share this edge's (row, col) pair


def _nearest_others(X, k):
    """k nearest neighbours of every row excluding the row itself (ties with duplicates)."""
    n = X.shape[0]
    dist, idx = kneighbors(X, X, k + 1)
    keep = idx != jnp.arange(n)[:, None]
    order = jnp.argsort(~keep, axis=1, stable=True)[:, :k]  # kept columns first
    return jnp.take_along_axis(dist, order, 1), jnp.take_along_axis(idx, order, 1)


def _merge_duplicates(rows, cols, values, n):
    order = jnp.lexsort((cols, rows))
    r, c, v = rows[order], cols[order], values[order]
    new = jnp.concatenate([jnp.ones(1, bool), (r[1:] != r[:-1]) | (c[1:] != c[:-1])])
    seg = jnp.cumsum(new) - 1
    summed = jax.ops.segment_sum(v, seg, num_segments=r.shape[0])[seg]
    count = jax.ops.segment_sum(jnp.ones_like(v), seg, num_segments=r.shape[0])[seg]
    return (jnp.zeros_like(values).at[order].set(summed),
            jnp.zeros_like(values).at[order].set(count))


def _joint_sparse(X, perplexity, k):
    n = X.shape[0]
    dist, idx = _nearest_others(X, k)
    cond = binary_search_perplexity(dist**2, perplexity)
    rows = jnp.repeat(jnp.arange(n, dtype=jnp.int32), k)
    cols = idx.reshape(-1)
    v = cond.reshape(-1) / (2.0 * n)
    R, C, V = jnp.concatenate([rows, cols]), jnp.concatenate([cols, rows]), jnp.concatenate([v, v])
    return SparseP(R, C, V, *_merge_duplicates(R, C, V, n))


def joint_probabilities_nn(X, perplexity, *, n_neighbors: int | None = None) -> SparseP:
    """Sparse joint affinities on the ``n_neighbors`` (default ``3·perplexity``) nearest
    neighbours, as a :class:`SparseP` edge list."""
    X = _check_input(X)
    n = X.shape[0]
    _check_perplexity(perplexity, n)
    k = min(n - 1, int(3 * float(perplexity))) if n_neighbors is None else n_neighbors
    k = check_int(k, "n_neighbors", minimum=1)
    if k >= n:
        raise ValueError(f"n_neighbors must be less than the number of samples ({n}), got {k}")
    return _joint_sparse(X, perplexity, k)


# ----------------------------------------------------------------------------- exact objective


def _student_t(d2, dof):
    u = 1.0 / (1.0 + d2 / dof)
    return u ** ((dof + 1.0) / 2.0), u


def _kl_and_grad(P, Y, dof):
    n = Y.shape[0]
    off = ~jnp.eye(n, dtype=bool)
    w, u = _student_t(squared_distances(Y, Y), dof)
    w = jnp.where(off, w, 0.0)
    Q = jnp.maximum(w / jnp.sum(w), MACHINE_EPSILON)
    kl = jnp.sum(jnp.where(off, P * jnp.log(jnp.maximum(P, MACHINE_EPSILON) / Q), 0.0))
    M = jnp.where(off, (P - w / jnp.sum(w)) * u, 0.0)
    grad = (2.0 * (dof + 1.0) / dof) * (jnp.sum(M, axis=1)[:, None] * Y - M @ Y)
    return kl, grad


def kl_divergence(P, Y) -> jax.Array:
    """``KL(P || Q)`` of dense joint affinities ``P (n, n)`` and an embedding ``Y (n, c)``."""
    Y = check_X(Y, "Y")
    return _kl_and_grad(jnp.asarray(P), Y, float(max(Y.shape[1] - 1, 1)))[0]


def kl_gradient(P, Y) -> jax.Array:
    """The analytic gradient ``dKL/dY (n, c)`` (module docstring)."""
    Y = check_X(Y, "Y")
    return _kl_and_grad(jnp.asarray(P), Y, float(max(Y.shape[1] - 1, 1)))[1]


# ----------------------------------------------------------------------------- interpolated objective


def _pair_kernels(d2, dof):
    """The two repulsion kernels at squared distance ``d2``: K1 = w and K2 = w*u."""
    w, u = _student_t(d2, dof)
    return w, w * u


def _grid_kernels(h, G, dof):
    """Kernels K1 and K2 on the circulant (2G, 2G) offset grid of spacing h."""
    k = jnp.arange(2 * G)
    off = jnp.where(k < G, k, k - 2 * G).astype(h.dtype)
    return _pair_kernels((off[:, None] * h[0]) ** 2 + (off[None, :] * h[1]) ** 2, dof)


def _interpolated_pair_kernels(cell_i, cell_j, f_i, f_j, h, dof):
    """The grid's stand-in for K1, K2 between points i and j: the kernels between their
    nodes, weighted by both points' bilinear weights. Per axis the node offset is the cell
    offset plus -1, 0 or 1, with weights ``(1-f_i)f_j``, ``(1-f_i)(1-f_j) + f_i f_j`` and
    ``f_i(1-f_j)``; the 16 node pairs collapse to these 3 × 3 offsets. The kernels are
    evaluated directly (no table gathers), equal to the grid's circulant kernels."""
    delta = (cell_i - cell_j).astype(h.dtype)
    weights = ((1 - f_i) * f_j, (1 - f_i) * (1 - f_j) + f_i * f_j, f_i * (1 - f_j))
    g1 = g2 = 0.0
    for sx, wx in zip((-1, 0, 1), weights):
        dx2 = ((delta[:, 0] + sx) * h[0]) ** 2
        for sy, wy in zip((-1, 0, 1), weights):
            k1, k2 = _pair_kernels(dx2 + ((delta[:, 1] + sy) * h[1]) ** 2, dof)
            ww = wx[:, 0] * wy[:, 1]
            g1, g2 = g1 + ww * k1, g2 + ww * k2
    return g1, g2


def _interp_kl_and_grad(S: SparseP, Y, dof, n_grid, exaggeration):
    n = Y.shape[0]
    G = n_grid
    c = 2.0 * (dof + 1.0) / dof
    # Every edge term is symmetric (p, w, u, the grid's pair kernels) or antisymmetric
    # (the forces), so only the first, directed half of the list is evaluated: row i's k
    # edges are consecutive, so its forces sum by a reshape, and the transposed half adds
    # the same terms negated at the columns (SparseP's layout).
    half = S.rows.shape[0] // 2
    k = half // n
    cols = S.cols[:half]
    diff = (Y[:, None, :] - Y[cols].reshape(n, k, -1)).reshape(half, -1)
    w_e, u_e = _student_t(jnp.sum(diff**2, axis=1), dof)
    p = exaggeration * S.values[:half]
    # repulsion on the grid
    lo = jnp.min(Y, axis=0)
    h = jnp.maximum((jnp.max(Y, axis=0) - lo) / (G - 2), 1e-6)  # one spare node at the top
    t = (Y - lo) / h
    i0 = jnp.clip(jnp.floor(t), 0, G - 2).astype(jnp.int32)
    f = t - i0
    corners = [(0, 0), (1, 0), (0, 1), (1, 1)]
    cw = [(f[:, 0] if a else 1 - f[:, 0]) * (f[:, 1] if b else 1 - f[:, 1]) for a, b in corners]
    charges = jnp.concatenate([jnp.ones((n, 1), Y.dtype), Y], axis=1)
    grid = jnp.zeros((2 * G, 2 * G, 3), Y.dtype)
    for (a, b), wt in zip(corners, cw):
        grid = grid.at[i0[:, 0] + a, i0[:, 1] + b].add(wt[:, None] * charges)
    K1, K2 = _grid_kernels(h, G, dof)
    F = jnp.fft.rfft2(grid, axes=(0, 1))
    phi1 = jnp.fft.irfft2(F[..., 0] * jnp.fft.rfft2(K1), s=(2 * G, 2 * G))
    phi2 = jnp.fft.irfft2(F * jnp.fft.rfft2(K2)[..., None], s=(2 * G, 2 * G), axes=(0, 1))
    at1 = sum(wt * phi1[i0[:, 0] + a, i0[:, 1] + b] for (a, b), wt in zip(corners, cw))
    at2 = sum(wt[:, None] * phi2[i0[:, 0] + a, i0[:, 1] + b] for (a, b), wt in zip(corners, cw))
    self_term, _ = _interpolated_pair_kernels(i0, i0, f, f, h, dof)
    # near field (P3M): on the kNN edges swap the grid's pair interaction for the exact one
    rows = jnp.repeat(jnp.arange(n), k)
    g1, g2 = _interpolated_pair_kernels(i0[rows], i0[cols], f[rows], f[cols], h, dof)
    share = 1.0 / S.multiplicity[:half]
    z_near = 2.0 * jnp.sum(share * (w_e - g1))
    Z = jnp.maximum(jnp.sum(at1 - self_term) + z_near, MACHINE_EPSILON)
    # per edge: attraction p u (y_i - y_j) less the near-field repulsion correction
    force = (p * u_e - share * (w_e * u_e - g2) / Z)[:, None] * diff
    edge_force = (force.reshape(n, k, -1).sum(1)
                  - jax.ops.segment_sum(force, cols, num_segments=n))
    grad = c * (edge_force - (at2[:, :1] * Y - at2[:, 1:]) / Z)
    # KL on the sparse P (p log p - p log w) + sum(p) log Z, duplicates weighted by value
    kl = 2.0 * jnp.sum(p * (jnp.log(jnp.maximum(exaggeration * S.merged[:half],
                                                 MACHINE_EPSILON)) - jnp.log(w_e)))
    return kl + 2.0 * jnp.sum(p) * jnp.log(Z), grad


def interpolated_kl(S: SparseP, Y, *, n_grid: int = 256) -> jax.Array:
    """The ``"interp"`` objective (sparse P, grid-interpolated Z) of an embedding."""
    return _interp_kl_and_grad(S, jnp.asarray(Y), 1.0, n_grid, 1.0)[0]


def sparse_kl_exact_z(S: SparseP, Y, *, batch_size: int = 2048) -> jax.Array:
    """KL of the sparse P against the exact Q (Z by blocked O(n²) sums); for checks."""
    Y = jnp.asarray(Y)
    dof = float(max(Y.shape[1] - 1, 1))

    def block(Yb):
        return jnp.sum(_student_t(squared_distances(Yb, Y), dof)[0], axis=1)

    n = Y.shape[0]
    Z = 0.0
    for s in range(0, n, batch_size):
        Z = Z + jnp.sum(block(Y[s:s + batch_size]))
    Z = Z - n  # the diagonal, w_ii = 1
    w_e = _student_t(jnp.sum((Y[S.rows] - Y[S.cols]) ** 2, axis=1), dof)[0]
    return jnp.sum(S.values * (jnp.log(S.merged) - jnp.log(w_e))) + jnp.sum(S.values) * jnp.log(Z)


# ----------------------------------------------------------------------------- optimiser


class _GDState(NamedTuple):
    Y: jax.Array
    update: jax.Array
    gains: jax.Array


def _descend(objective, Y, n_steps, momentum, learning_rate, min_gain):
    """``n_steps`` of momentum gradient descent with delta-bar-delta gains, one scan."""

    def step(state, _):
        kl, grad = objective(state.Y)
        inc = state.update * grad < 0.0
        gains = jnp.maximum(jnp.where(inc, state.gains + 0.2, state.gains * 0.8), min_gain)
        update = momentum * state.update - learning_rate * gains * grad
        return _GDState(state.Y + update, update, gains), kl

    init = _GDState(Y, jnp.zeros_like(Y), jnp.ones_like(Y))
    state, kls = jax.lax.scan(step, init, None, length=n_steps)
    return state.Y, kls


def _initial_embedding(key, X, n_components, init):
    if init == "pca":
        est = pca(n_components)
        Y = est.transform(est.fit(X), X)
        return Y / jnp.std(Y[:, 0]) * 1e-4
    return 1e-4 * jax.random.normal(key, (X.shape[0], n_components), X.dtype)


def tsne(n_components: int = 2, *, perplexity: Any = 30.0, early_exaggeration: Any = 12.0,
         learning_rate: Any = "auto", max_iter: int = 1000, n_iter_exaggeration: int = 250,
         momentum_exaggeration: Any = 0.5, momentum: Any = 0.8, min_gain: Any = 0.01,
         init: str = "pca", method: str = "exact", n_grid: int = 256,
         n_neighbors: int | None = None) -> Embedder:
    """t-SNE (module docstring). ``fit(key, X) -> TSNEParams``.

    Args:
      n_components: embedding dimension (static); ``method="interp"`` needs 2.
      perplexity: effective number of neighbours, ``0 < perplexity < n`` (traceable).
      early_exaggeration: factor on P in the first stage (traceable).
      learning_rate: ``"auto"`` = ``max(n / early_exaggeration / 4, 50)`` or a positive
        number (traceable).
      max_iter: total iterations, ``> n_iter_exaggeration`` (static).
      n_iter_exaggeration: iterations with exaggerated P and ``momentum_exaggeration``.
      init: ``"pca"`` or ``"random"`` (from ``key``).
      method: ``"exact"`` (O(n²) per iteration) or ``"interp"`` (sparse P + grid repulsion).
      n_grid: grid nodes per axis for ``"interp"`` (static).
      n_neighbors: neighbours for the sparse P of ``"interp"`` (default ``3·perplexity``).
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    n_iter_exaggeration = check_int(n_iter_exaggeration, "n_iter_exaggeration", minimum=0)
    if n_iter_exaggeration >= max_iter:
        raise ValueError(f"n_iter_exaggeration must be less than max_iter ({max_iter}), "
                         f"got {n_iter_exaggeration}")
    init = check_option(init, "init", ("pca", "random"))
    method = check_option(method, "method", ("exact", "interp"))
    n_grid = check_int(n_grid, "n_grid", minimum=8)
    if method == "interp" and n_components != 2:
        raise ValueError(f"n_components must be 2 for method='interp', got {n_components}")
    check_positive(perplexity, "perplexity")
    check_positive(early_exaggeration, "early_exaggeration")
    check_range(momentum, "momentum", low=0.0, high=1.0)
    check_range(momentum_exaggeration, "momentum_exaggeration", low=0.0, high=1.0)
    check_positive(min_gain, "min_gain")
    if isinstance(learning_rate, str):
        check_option(learning_rate, "learning_rate", ("auto",))
    else:
        check_positive(learning_rate, "learning_rate")
    dof = float(max(n_components - 1, 1))

    def _n_neighbors(n):
        k = min(n - 1, int(3 * float(perplexity))) if n_neighbors is None else n_neighbors
        k = check_int(k, "n_neighbors", minimum=1)
        if k >= n:
            raise ValueError(f"n_neighbors must be less than the number of samples ({n}), "
                             f"got {k}")
        return k

    def fit(key, X) -> TSNEParams:
        X = _check_input(X)
        n = X.shape[0]
        _check_perplexity(perplexity, n)
        if method == "interp":
            _n_neighbors(n)
        if init == "pca" and n_components > min(X.shape):
            raise ValueError(f"n_components={n_components} must be <= min(n_samples, "
                             f"n_features)={min(X.shape)} for init='pca'")
        return _run(key, X)

    @jax.jit
    def _run(key, X) -> TSNEParams:
        n = X.shape[0]
        lr = (jnp.maximum(n / early_exaggeration / 4.0, 50.0) if isinstance(learning_rate, str)
              else learning_rate)
        Y0 = _initial_embedding(key, X, n_components, init)
        if method == "exact":
            P = _joint_dense(X, perplexity)
            objective = partial(_kl_and_grad, dof=dof)
            exaggerated = lambda Y: objective(early_exaggeration * P, Y)
            plain = lambda Y: objective(P, Y)
        else:
            S = _joint_sparse(X, perplexity, _n_neighbors(n))
            exaggerated = lambda Y: _interp_kl_and_grad(S, Y, dof, n_grid, early_exaggeration)
            plain = lambda Y: _interp_kl_and_grad(S, Y, dof, n_grid, 1.0)
        Y, kl1 = _descend(exaggerated, Y0, n_iter_exaggeration, momentum_exaggeration, lr,
                          min_gain)
        Y, kl2 = _descend(plain, Y, max_iter - n_iter_exaggeration, momentum, lr, min_gain)
        return TSNEParams(embedding=Y, kl_divergence=plain(Y)[0],
                          kl_history=jnp.concatenate([kl1, kl2]))

    return Embedder(fit=fit)
