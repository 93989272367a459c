r"""Discrete Markov random fields: exact enumeration, belief propagation, mean field, Ising.

A pairwise MRF over :math:`V` discrete variables :math:`x_i \in \{0..K-1\}` on an
undirected graph with edges :math:`E` is the Gibbs distribution

.. math::

   p(x) = \frac{1}{Z} \exp\Big(\sum_i \theta_i(x_i) + \sum_{(i,j)\in E}
          \theta_{ij}(x_i, x_j)\Big), \qquad
   Z = \sum_x \exp(\cdots),

held as :class:`PairwiseMRF`: ``log_unary`` :math:`\theta_i` ``(V, K)``, ``edges``
``(E, 2)`` int and ``log_pairwise`` :math:`\theta_{ij}` ``(E, K, K)`` with
``log_pairwise[e, a, b]`` the log-potential of ``x[edges[e, 0]] = a, x[edges[e, 1]] = b``.
Log-potentials may be ``-inf`` (a zero potential, a hard constraint), never NaN or
``+inf``; :func:`pairwise_mrf_from_potentials` takes non-negative potentials instead.
(Koller & Friedman, *Probabilistic Graphical Models*, 2009, ch. 4, 10, 11; Murphy,
*MLPP* §19-22; Wainwright & Jordan, *Graphical Models, Exponential Families, and
Variational Inference*, 2008.)

* **Exact inference by enumeration** (:func:`exact_inference`, and
  :func:`enumerate_factors` for general clique factors ``(variables, log_table)`` with
  per-variable cardinalities): the log joint of all :math:`\prod_i K_i` states in one
  flat vector (row-major, variable 0 slowest), :math:`\log Z = \operatorname{LSE}`,
  node and pairwise marginals by summing :math:`p(x)` over the other variables, the MAP
  state by ``argmax``. Graphs with more than ``max_states`` states are refused.
* **Sum-product belief propagation** (:func:`belief_propagation`, Pearl 1988; Yedidia,
  Freeman & Weiss 2003) on normalised log-messages :math:`\mu_{i\to j}(x_j)`, a flooding
  schedule (every message from the previous sweep's messages, one ``lax.scan`` step per
  sweep):

  .. math::

     \mu_{i\to j}(x_j) \propto \sum_{x_i} \exp\Big(\theta_{ij}(x_i,x_j) + \theta_i(x_i)
       + \sum_{k \in N(i)\setminus j} \mu_{k\to i}(x_i)\Big),

  beliefs :math:`b_i \propto \exp(\theta_i + \sum_{k\in N(i)} \mu_{k\to i})` and
  :math:`b_{ij}(x_i,x_j) \propto \exp(\theta_{ij} + \text{cavity}_{i\setminus j}(x_i) +
  \text{cavity}_{j\setminus i}(x_j))`. The cavity sum "all neighbours but j" is the
  total minus one message, with ``-inf`` entries counted apart so that hard zeros stay
  exact. **Damping** mixes the normalised messages in *probability* space,
  :math:`\mu \leftarrow (1-d)\,\mu^{new} + d\,\mu^{old}` (computed as a ``logaddexp``
  in log space), which keeps the fixed points. The residual of a sweep is
  :math:`\max |\mu^{new} - \mu^{old}|` (probabilities). On a tree BP is exact after
  ``diameter`` sweeps; on loopy graphs (grids) damped BP gives the Bethe approximation.
  The **Bethe estimate** of :math:`\log Z` (exact at the fixed point on a tree) is

  .. math::

     \log Z_{B} = \sum_i \mathbb E_{b_i}[\theta_i] + \sum_{ij}\mathbb E_{b_{ij}}
       [\theta_{ij}] + \sum_{ij} H(b_{ij}) - \sum_i (d_i - 1) H(b_i).

* **Max-product BP** (:func:`max_product_bp`): the same recursion with ``max`` for the
  sum; the max-marginals' ``argmax`` is the MAP state on a tree (when it is unique).
* **Naive mean field** (:func:`mean_field`): :math:`q(x) = \prod_i q_i(x_i)`,
  :math:`q_i \propto \exp(\theta_i + \sum_{j \in N(i)} \mathbb E_{q_j}[\theta_{ij}])`,
  updated in parallel (damped, :math:`q \leftarrow (1-d)q^{new} + d q`) or node by node
  (coordinate ascent, the ELBO never decreases). The ELBO
  :math:`\mathbb E_q[\sum\theta] + H(q) \le \log Z` is returned.
* **Ising models**: spins :math:`s_i = 2x_i - 1 \in \{-1,+1\}` (state 0 is -1),
  :math:`\log\tilde p(s) = \sum_{ij} J_{ij} s_i s_j + \sum_i h_i s_i`
  (:func:`ising_mrf` on :func:`grid_edges`). **Denoising** (:func:`ising_denoise`,
  Besag 1986; Bishop *PRML* §8.3.3): an observed pixel :math:`y_i` is the clean
  :math:`s_i` flipped with probability :math:`p`, so
  :math:`\log p(y_i \mid s_i) = s_i y_i \cdot \tfrac12\log\frac{1-p}{p} + c`, i.e. the
  field :math:`h_i = \tfrac12 y_i \log\frac{1-p}{p}`; with a ferromagnetic prior
  coupling :math:`J > 0` the restored image is the argmax of the posterior beliefs.

Usage (the ``graphical_models`` experiment)::

    from jaxml.bayes import mrf
    k_tree, k_pot, k_grid, k_noise = jax.random.split(jax.random.PRNGKey(0), 4)
    edges = mrf.random_tree_edges(k_tree, 7)
    tree = mrf.random_mrf(k_pot, 7, edges, 3)                 # N(0, 1) log-potentials
    exact = mrf.exact_inference(tree)
    bp = mrf.belief_propagation(tree, num_iters=7)            # >= tree diameter
    bp_err_tree = float(jnp.max(jnp.abs(bp.node_beliefs - exact.marginals)))
    grid = mrf.random_mrf(k_grid, 16, mrf.grid_edges(4, 4), 2, unary_scale=0.5,
                          pairwise_scale=0.5)
    bp = mrf.belief_propagation(grid, num_iters=200, damping=0.5)
    bp_err_grid = float(jnp.max(jnp.abs(bp.node_beliefs
                                        - mrf.exact_inference(grid).marginals)))
    noisy = mrf.flip_noise(k_noise, clean, 0.1)              # clean: (H, W) in {0,1}/±1
    restored = mrf.ising_denoise(noisy, flip_prob=0.1, coupling=1.0).image
    denoise_acc = float(jnp.mean(restored == clean))

Every inference function is jittable (``num_iters`` static) and vmaps over potentials,
e.g. ``jax.vmap(lambda u, p: mrf.belief_propagation(mrf.PairwiseMRF(u, edges, p))
.node_beliefs)(U, P)``. The graph checks (edge range, self-loops) are value checks on
``edges`` (see :mod:`jaxml.core.validation`): they run when ``edges`` is concrete.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core import (
    as_key,
    check_array,
    check_int,
    check_option,
    check_range,
    check_stochastic_matrix,
    is_traced,
)
from jaxml.core.validation import _require

__all__ = [
    "PairwiseMRF",
    "ExactResult",
    "BPResult",
    "MaxProductResult",
    "MeanFieldResult",
    "DenoiseResult",
    "DEFAULT_MAX_STATES",
    "pairwise_mrf",
    "pairwise_mrf_from_potentials",
    "mrf_factors",
    "log_potential",
    "enumerate_factors",
    "exact_inference",
    "belief_propagation",
    "max_product_bp",
    "bethe_log_partition",
    "mean_field",
    "mean_field_elbo",
    "grid_edges",
    "random_tree_edges",
    "random_mrf",
    "ising_mrf",
    "flip_noise",
    "ising_denoise",
]

DEFAULT_MAX_STATES = 2**20
"""Largest number of joint states :func:`enumerate_factors` enumerates by default."""


class PairwiseMRF(NamedTuple):
    """A pairwise MRF in log-potential form (a pytree).

    Attributes:
      log_unary: ``(V, K)`` :math:`\\theta_i(x_i)`.
      edges: ``(E, 2)`` int node pairs, no self-loops, no repeated pair.
      log_pairwise: ``(E, K, K)``; ``[e, a, b]`` is :math:`\\theta_{ij}(a, b)` for
        ``(i, j) = edges[e]``.
    """

    log_unary: jax.Array
    edges: jax.Array
    log_pairwise: jax.Array


class ExactResult(NamedTuple):
    """Output of :func:`exact_inference` / :func:`enumerate_factors`.

    Attributes:
      log_partition: :math:`\\log Z`.
      marginals: ``(V, K_max)`` :math:`p(x_i)`, zero-padded past a variable's
        cardinality.
      pairwise_marginals: ``(P, K_max, K_max)`` :math:`p(x_i, x_j)` for the requested
        pairs ``(i, j)`` (the edges for :func:`exact_inference`), first index ``x_i``.
      map_assignment: ``(V,)`` int32 :math:`\\arg\\max_x p(x)` (the first maximiser in
        row-major order when tied).
      map_log_score: the unnormalised log-potential of the MAP state.
    """

    log_partition: jax.Array
    marginals: jax.Array
    pairwise_marginals: jax.Array
    map_assignment: jax.Array
    map_log_score: jax.Array


class BPResult(NamedTuple):
    """Output of :func:`belief_propagation`.

    Attributes:
      node_beliefs: ``(V, K)`` beliefs :math:`b_i` (probabilities).
      edge_beliefs: ``(E, K, K)`` beliefs :math:`b_{ij}`, first index ``x[edges[e, 0]]``.
      log_messages: ``(2E, K)`` normalised log-messages; row ``e < E`` is
        ``edges[e, 0] → edges[e, 1]``, row ``E + e`` the reverse.
      residuals: ``(num_iters,)`` per-sweep max change of the messages (probabilities);
        ``residuals[-1]`` is the convergence residual.
      log_partition: the Bethe estimate of :math:`\\log Z` from the final beliefs.
    """

    node_beliefs: jax.Array
    edge_beliefs: jax.Array
    log_messages: jax.Array
    residuals: jax.Array
    log_partition: jax.Array


class MaxProductResult(NamedTuple):
    """Output of :func:`max_product_bp`.

    Attributes:
      log_max_marginals: ``(V, K)`` log max-marginals, shifted so each row's max is 0.
      assignment: ``(V,)`` int32 row-wise argmax (the decoded state).
      log_score: the unnormalised log-potential of ``assignment``.
      log_messages: ``(2E, K)`` max-normalised log-messages (rows as in :class:`BPResult`).
      residuals: ``(num_iters,)`` per-sweep max message change.
    """

    log_max_marginals: jax.Array
    assignment: jax.Array
    log_score: jax.Array
    log_messages: jax.Array
    residuals: jax.Array


class MeanFieldResult(NamedTuple):
    """Output of :func:`mean_field`.

    Attributes:
      marginals: ``(V, K)`` factors :math:`q_i` of the mean-field distribution.
      elbo: the ELBO of the final ``q`` (a lower bound on :math:`\\log Z`).
      elbos: ``(num_iters,)`` ELBO after each sweep.
    """

    marginals: jax.Array
    elbo: jax.Array
    elbos: jax.Array


class DenoiseResult(NamedTuple):
    """Output of :func:`ising_denoise`.

    Attributes:
      image: ``(H, W)`` int32 restored image in the input's encoding.
      posterior_on: ``(H, W)`` posterior probability (BP, mean field) or normalised
        max-marginal (max-product) of the "on" state (+1, or 1 for ``{0, 1}`` images).
    """

    image: jax.Array
    posterior_on: jax.Array


# ----------------------------------------------------------------------------- checks


def _check_log_table(x: Any, name: str, *, ndim: int | None = None,
                     allow_empty: bool = False) -> jax.Array:
    """A float array of log-potentials: ``-inf`` allowed, NaN and ``+inf`` not."""
    arr = check_array(x, name, ndim=ndim, dtype_kind="f", finite=False,
                      allow_empty=allow_empty)
    if is_traced(arr):
        ok = jnp.all(jnp.isfinite(arr) | (arr == -jnp.inf))
    else:
        values = np.asarray(arr)
        ok = bool(np.all(np.isfinite(values) | (values == -np.inf)))
    _require(ok, f"{name} must hold log-potentials: finite or -inf, found NaN or +inf")
    return arr


def _check_edges(edges: Any, num_nodes: int, name: str = "edges") -> jax.Array:
    arr = check_array(edges, name, ndim=2, dtype_kind="i", allow_empty=True)
    if arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (E, 2), got {arr.shape}")
    if arr.shape[0] == 0:
        return arr
    if is_traced(arr):
        in_range = jnp.all((arr >= 0) & (arr < num_nodes))
        no_loops = jnp.all(arr[:, 0] != arr[:, 1])
        _require(in_range, f"{name} must hold node indices in [0, {num_nodes})")
        _require(no_loops, f"{name} must not contain self-loops (i, i)")
        return arr
    values = np.asarray(arr)
    if values.min() < 0 or values.max() >= num_nodes:
        raise ValueError(f"{name} must hold node indices in [0, {num_nodes}), got range "
                         f"[{values.min()}, {values.max()}]")
    loops = np.flatnonzero(values[:, 0] == values[:, 1])
    if loops.size:
        raise ValueError(f"{name} must not contain self-loops (i, i), found node "
                         f"{values[loops[0], 0]} at row {loops[0]}")
    pairs = np.sort(values, axis=1)
    _, first, counts = np.unique(pairs, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        row = int(first[np.argmax(counts > 1)])
        raise ValueError(f"{name} must not repeat a node pair, found {tuple(values[row])} "
                         "more than once; add their log-potentials into one edge")
    return arr


def _check_mrf(mrf: Any, name: str = "mrf") -> PairwiseMRF:
    if not isinstance(mrf, PairwiseMRF):
        raise TypeError(f"{name} must be a PairwiseMRF, got {type(mrf).__name__}")
    unary = _check_log_table(mrf.log_unary, f"{name}.log_unary", ndim=2)
    num_nodes, k = unary.shape
    edges = _check_edges(mrf.edges, num_nodes, f"{name}.edges")
    pairwise = _check_log_table(mrf.log_pairwise, f"{name}.log_pairwise", ndim=3,
                                allow_empty=True)
    if pairwise.shape != (edges.shape[0], k, k):
        raise ValueError(f"{name}.log_pairwise must have shape ({edges.shape[0]}, {k}, {k}) "
                         f"(one K×K table per edge), got {pairwise.shape}")
    dtype = jnp.result_type(unary.dtype, pairwise.dtype)
    return PairwiseMRF(unary.astype(dtype), edges, pairwise.astype(dtype))


def _check_damping(damping: Any) -> Any:
    return check_range(damping, "damping", low=0.0, high=1.0, high_open=True)


def pairwise_mrf(log_unary: Any, edges: Any, log_pairwise: Any) -> PairwiseMRF:
    """A validated :class:`PairwiseMRF` from log-potentials (``-inf`` allowed).

    Raises:
      ValueError: wrong shapes, NaN/``+inf`` log-potentials, edge indices outside
        ``[0, V)``, self-loops or a repeated node pair.
    """
    return _check_mrf(PairwiseMRF(log_unary, edges, log_pairwise))


def pairwise_mrf_from_potentials(unary: Any, edges: Any, pairwise: Any) -> PairwiseMRF:
    """A :class:`PairwiseMRF` from non-negative potentials :math:`\\psi = e^\\theta`
    (``unary (V, K)``, ``pairwise (E, K, K)``); zeros become ``-inf``.

    Raises:
      ValueError: negative or non-finite potentials, and the checks of
        :func:`pairwise_mrf`.
    """
    tables = []
    for arr, name, ndim in ((unary, "unary", 2), (pairwise, "pairwise", 3)):
        arr = check_array(arr, name, ndim=ndim, dtype_kind="f", allow_empty=name == "pairwise")
        nonneg = jnp.all(arr >= 0) if is_traced(arr) else bool(np.all(np.asarray(arr) >= 0))
        _require(nonneg, f"{name} potentials must be >= 0 (probability form), found "
                         "negative entries; pass log-potentials to pairwise_mrf instead")
        tables.append(jnp.log(arr))
    return pairwise_mrf(tables[0], edges, tables[1])


def mrf_factors(mrf: PairwiseMRF) -> list[tuple[tuple[int, ...], jax.Array]]:
    """The MRF as clique factors ``[((i,), θ_i), ..., ((i, j), θ_ij), ...]`` for
    :func:`enumerate_factors` (needs concrete ``edges``)."""
    mrf = _check_mrf(mrf)
    if is_traced(mrf.edges):
        raise TypeError("mrf_factors needs concrete edges (the factor scopes are Python "
                        "tuples); close over edges instead of tracing them")
    edges = np.asarray(mrf.edges)
    factors = [((i,), mrf.log_unary[i]) for i in range(mrf.log_unary.shape[0])]
    factors += [((int(a), int(b)), mrf.log_pairwise[e]) for e, (a, b) in enumerate(edges)]
    return factors


def log_potential(mrf: PairwiseMRF, assignment: Any) -> jax.Array:
    """Unnormalised :math:`\\log\\tilde p(x) = \\sum_i\\theta_i(x_i) + \\sum_{ij}
    \\theta_{ij}(x_i, x_j)` of ``assignment`` ``(..., V)`` (ints in ``[0, K)``)."""
    mrf = _check_mrf(mrf)
    num_nodes, k = mrf.log_unary.shape
    x = check_array(assignment, "assignment", dtype_kind="i")
    if x.ndim < 1 or x.shape[-1] != num_nodes:
        raise ValueError(f"assignment must have shape (..., {num_nodes}), got {x.shape}")
    in_range = (jnp.all((x >= 0) & (x < k)) if is_traced(x)
                else bool(np.all((np.asarray(x) >= 0) & (np.asarray(x) < k))))
    _require(in_range, f"assignment must hold states in [0, {k})")
    return _log_potential(mrf, x)


@jax.jit
def _log_potential(mrf: PairwiseMRF, x: jax.Array) -> jax.Array:
    nodes = jnp.arange(mrf.log_unary.shape[0])
    unary = jnp.sum(mrf.log_unary[nodes, x], axis=-1)
    edges = jnp.arange(mrf.edges.shape[0])
    pair = mrf.log_pairwise[edges, x[..., mrf.edges[:, 0]], x[..., mrf.edges[:, 1]]]
    return unary + jnp.sum(pair, axis=-1)


# ------------------------------------------------------------------------ enumeration


def _check_num_states(cards: Sequence[int], max_states: int) -> int:
    max_states = check_int(max_states, "max_states", minimum=1)
    total = math.prod(cards)
    if total > max_states or total >= 2**31:
        what = (f"K**V = {cards[0]}**{len(cards)}" if len(set(cards)) == 1
                else f"prod(cardinalities) = {'*'.join(map(str, cards))}")
        raise ValueError(f"brute-force enumeration needs {what} = {total} joint states, "
                         f"more than max_states={max_states} (and below 2**31); it is "
                         "for small graphs: use belief_propagation or mean_field")
    return total


def _digit(n: jax.Array, strides: jax.Array, cards: jax.Array, i: Any) -> jax.Array:
    """State of variable ``i`` in the flat (row-major) joint index ``n``."""
    return (n // strides[i]) % cards[i]


def _row_sums(table: jax.Array) -> jax.Array:
    """``table.sum(axis=-1)`` over a materialised array (the barrier keeps XLA from
    fusing a transpose into the reduction, which would make it a sequential sum)."""
    return jax.lax.optimization_barrier(table).sum(axis=-1)


def _summarise(log_joint: jax.Array, cards: Sequence[int], pairs: jax.Array) -> ExactResult:
    """Marginals, log Z and MAP from the flat log joint over all states."""
    k_max = max(cards)
    strides = jnp.asarray([math.prod(cards[i + 1:]) for i in range(len(cards))], jnp.int32)
    card_arr = jnp.asarray(cards, jnp.int32)
    n = jnp.arange(log_joint.shape[0], dtype=jnp.int32)
    log_z = jax.nn.logsumexp(log_joint)
    p = jnp.exp(log_joint - log_z)

    # Every sum is a reduction along one contiguous, materialised axis: XLA on CPU adds
    # such a row with many accumulators, while a scatter-add (segment_sum), a one-hot
    # matmul or a reduction over many small axes at once adds the ~prod(K) / K terms of
    # a bucket one after another, and its float32 error grows with the number of states
    # (3e-4 at 3**12 states, against 1e-7 here).
    joint = p.reshape(cards)
    marginals = jnp.stack([
        jnp.pad(_row_sums(jnp.moveaxis(joint, i, 0).reshape(cards[i], -1)),
                (0, k_max - cards[i]))
        for i in range(len(cards))])

    def pair_marginal(pair):
        first = jax.nn.one_hot(_digit(n, strides, card_arr, pair[0]), k_max, dtype=p.dtype)
        second = jax.nn.one_hot(_digit(n, strides, card_arr, pair[1]), k_max, dtype=p.dtype)
        return _row_sums(first.T[:, None, :] * second.T[None, :, :] * p)

    if pairs.shape[0]:
        pairwise = jax.lax.map(pair_marginal, pairs)
    else:
        pairwise = jnp.zeros((0, k_max, k_max), p.dtype)
    best = jnp.argmax(log_joint).astype(jnp.int32)
    assignment = (best // strides) % card_arr
    return ExactResult(log_z, marginals, pairwise, assignment, log_joint[best])


_summarise_jit = jax.jit(_summarise, static_argnums=1)


def enumerate_factors(factors: Sequence[tuple[Sequence[int], Any]],
                      cardinalities: Sequence[int], *, pairs: Any = None,
                      max_states: int = DEFAULT_MAX_STATES) -> ExactResult:
    """Exact inference in a discrete factor graph by enumerating every joint state.

    .. math::

       \\log\\tilde p(x) = \\sum_f \\theta_f(x_{S_f}), \\quad
       \\log Z = \\operatorname{LSE}_x \\log\\tilde p(x), \\quad
       p(x_i) = \\sum_{x_{-i}} e^{\\log\\tilde p(x) - \\log Z}.

    Args:
      factors: ``[(variables, log_table), ...]``: ``variables`` a tuple of distinct
        variable indices (the factor's scope), ``log_table`` of shape
        ``tuple(cardinalities[v] for v in variables)`` (``-inf`` allowed). The scopes
        are static; the tables may be traced.
      cardinalities: ``(V,)`` Python ints ``K_i >= 1``.
      pairs: optional ``(P, 2)`` variable pairs whose joint marginals to return.
      max_states: refuse more than this many joint states (``prod(cardinalities)``).

    Returns:
      :class:`ExactResult`.
    """
    if isinstance(cardinalities, (int, np.integer)) or not isinstance(
            cardinalities, (Sequence, np.ndarray)):
        raise TypeError(f"cardinalities must be a sequence of ints, got {cardinalities!r}")
    cards = [check_int(c, f"cardinalities[{i}]", minimum=1)
             for i, c in enumerate(cardinalities)]
    num_vars = len(cards)
    if num_vars == 0:
        raise ValueError("cardinalities must not be empty")
    total = _check_num_states(cards, max_states)
    if not isinstance(factors, Sequence):
        raise TypeError(f"factors must be a list of (variables, log_table) pairs, got "
                        f"{type(factors).__name__}")
    tables = []
    for f, factor in enumerate(factors):
        if not (isinstance(factor, Sequence) and len(factor) == 2):
            raise TypeError(f"factors[{f}] must be a (variables, log_table) pair")
        scope, table = factor
        if isinstance(scope, (int, np.integer)):
            scope = (scope,)
        scope = tuple(check_int(v, f"factors[{f}] variables") for v in scope)
        if not scope:
            raise ValueError(f"factors[{f}] must have at least one variable")
        if min(scope) < 0 or max(scope) >= num_vars:
            raise ValueError(f"factors[{f}] variables must be in [0, {num_vars}), got {scope}")
        if len(set(scope)) != len(scope):
            raise ValueError(f"factors[{f}] variables must be distinct, got {scope}")
        table = _check_log_table(table, f"factors[{f}] log_table", ndim=len(scope))
        want = tuple(cards[v] for v in scope)
        if table.shape != want:
            raise ValueError(f"factors[{f}] log_table must have shape {want} for variables "
                             f"{scope}, got {table.shape}")
        order = np.argsort(scope)
        shape = [1] * num_vars
        for v in scope:
            shape[v] = cards[v]
        tables.append(jnp.transpose(table, order).reshape(shape))
    dtype = jnp.result_type(float, *[t.dtype for t in tables])
    log_joint = jnp.zeros(cards, dtype)
    for t in tables:
        log_joint = log_joint + t
    if pairs is None:
        pair_arr = jnp.zeros((0, 2), jnp.int32)
    else:
        pair_arr = _check_pairs(pairs, num_vars)
    return _summarise_jit(log_joint.reshape(total), tuple(cards), pair_arr)


def _check_pairs(pairs: Any, num_vars: int) -> jax.Array:
    arr = check_array(pairs, "pairs", ndim=2, dtype_kind="i", allow_empty=True)
    if arr.shape[1] != 2:
        raise ValueError(f"pairs must have shape (P, 2), got {arr.shape}")
    if arr.shape[0] and not is_traced(arr):
        values = np.asarray(arr)
        if values.min() < 0 or values.max() >= num_vars:
            raise ValueError(f"pairs must hold variable indices in [0, {num_vars})")
        if np.any(values[:, 0] == values[:, 1]):
            raise ValueError("pairs must hold two different variables")
    return arr


def exact_inference(mrf: PairwiseMRF, *, max_states: int = DEFAULT_MAX_STATES) -> ExactResult:
    """Exact :math:`\\log Z`, node marginals, edge marginals (on ``mrf.edges``) and MAP
    of a pairwise MRF by enumerating all :math:`K^V` states (jittable, edges may be
    traced: the log joint is accumulated one potential at a time with ``lax.scan``).

    Raises:
      ValueError: when :math:`K^V` > ``max_states``, and the checks of
        :func:`pairwise_mrf`.
    """
    mrf = _check_mrf(mrf)
    num_nodes, k = mrf.log_unary.shape
    cards = [k] * num_nodes
    total = _check_num_states(cards, max_states)
    return _enumerate_pairwise(mrf, total=total)


@functools.partial(jax.jit, static_argnames=("total",))
def _enumerate_pairwise(mrf: PairwiseMRF, *, total: int) -> ExactResult:
    num_nodes, k = mrf.log_unary.shape
    strides = jnp.asarray([k ** (num_nodes - 1 - i) for i in range(num_nodes)], jnp.int32)
    card_arr = jnp.full((num_nodes,), k, jnp.int32)
    n = jnp.arange(total, dtype=jnp.int32)

    def add_unary(acc, inputs):
        i, table = inputs
        return acc + table[_digit(n, strides, card_arr, i)], None

    def add_pair(acc, inputs):
        edge, table = inputs
        a = _digit(n, strides, card_arr, edge[0])
        b = _digit(n, strides, card_arr, edge[1])
        return acc + table[a, b], None

    log_joint = jnp.zeros(total, mrf.log_unary.dtype)
    log_joint, _ = jax.lax.scan(add_unary, log_joint,
                                (jnp.arange(num_nodes, dtype=jnp.int32), mrf.log_unary))
    if mrf.edges.shape[0]:
        log_joint, _ = jax.lax.scan(add_pair, log_joint, (mrf.edges, mrf.log_pairwise))
    return _summarise(log_joint, [k] * num_nodes, mrf.edges)


# ------------------------------------------------------------------ belief propagation


class _Directed(NamedTuple):
    src: jax.Array      # (2E,)
    dst: jax.Array      # (2E,)
    reverse: jax.Array  # (2E,) index of the opposite message
    tables: jax.Array   # (2E, K_src, K_dst)


def _directed(mrf: PairwiseMRF) -> _Directed:
    num_edges = mrf.edges.shape[0]
    u, v = mrf.edges[:, 0], mrf.edges[:, 1]
    idx = jnp.arange(num_edges, dtype=jnp.int32)
    return _Directed(src=jnp.concatenate([u, v]), dst=jnp.concatenate([v, u]),
                     reverse=jnp.concatenate([idx + num_edges, idx]),
                     tables=jnp.concatenate([mrf.log_pairwise,
                                             jnp.swapaxes(mrf.log_pairwise, 1, 2)]))


def _cavities(mrf: PairwiseMRF, graph: _Directed, log_msgs: jax.Array) -> tuple:
    """Node totals ``θ_i + Σ_k μ_{k→i}`` (V, K) and, per directed message ``i → j``,
    the cavity ``θ_i + Σ_{k≠j} μ_{k→i}`` (2E, K). ``-inf`` entries are counted apart
    from the finite sum, so removing one message is exact."""
    num_nodes = mrf.log_unary.shape[0]
    neg_inf = log_msgs == -jnp.inf
    finite = jnp.where(neg_inf, 0.0, log_msgs)
    total_fin = jax.ops.segment_sum(finite, graph.dst, num_nodes)
    total_cnt = jax.ops.segment_sum(neg_inf.astype(jnp.int32), graph.dst, num_nodes)
    totals = mrf.log_unary + jnp.where(total_cnt > 0, -jnp.inf, total_fin)
    cav_fin = total_fin[graph.src] - finite[graph.reverse]
    cav_cnt = total_cnt[graph.src] - neg_inf[graph.reverse].astype(jnp.int32)
    cavity = mrf.log_unary[graph.src] + jnp.where(cav_cnt > 0, -jnp.inf, cav_fin)
    return totals, cavity


def _normalise(x: jax.Array, reduce, axis=-1) -> jax.Array:
    """Shift ``x`` so ``reduce`` (logsumexp or max) over ``axis`` is 0; an all ``-inf``
    slice stays as it is."""
    c = reduce(x, axis=axis, keepdims=True)
    return x - jnp.where(jnp.isfinite(c), c, 0.0)


def _run_bp(mrf: PairwiseMRF, num_iters: int, damping: Any, semiring: str):
    reduce = jax.nn.logsumexp if semiring == "sum" else jnp.max
    graph = _directed(mrf)
    k = mrf.log_unary.shape[1]
    dtype = mrf.log_unary.dtype
    init = (jnp.full((graph.src.shape[0], k), -jnp.log(k), dtype) if semiring == "sum"
            else jnp.zeros((graph.src.shape[0], k), dtype))
    damping = jnp.asarray(damping, dtype)
    log_keep = jnp.log1p(-damping)  # log(1 - d)
    log_old = jnp.log(damping)      # -inf when d = 0: the mixture is then the new message

    def sweep(log_msgs, _):
        _, cavity = _cavities(mrf, graph, log_msgs)
        new = reduce(cavity[:, :, None] + graph.tables, axis=1)
        new = _normalise(new, reduce)
        mixed = _normalise(jnp.logaddexp(log_keep + new, log_old + log_msgs), reduce)
        residual = jnp.max(jnp.abs(jnp.exp(mixed) - jnp.exp(log_msgs)), initial=0.0)
        return mixed, residual

    log_msgs, residuals = jax.lax.scan(sweep, init, None, length=num_iters)
    return graph, log_msgs, residuals


def belief_propagation(mrf: PairwiseMRF, *, num_iters: int = 100,
                       damping: Any = 0.0) -> BPResult:
    """Loopy sum-product belief propagation (flooding schedule) in log space.

    Args:
      mrf: a :class:`PairwiseMRF`.
      num_iters: number of sweeps (static); exact on a tree once it reaches the
        diameter.
      damping: :math:`d \\in [0, 1)`, message mixing in probability space
        :math:`\\mu \\leftarrow (1-d)\\mu^{new} + d\\mu^{old}` (may be traced).

    Returns:
      :class:`BPResult` with beliefs, messages, the residual history and the Bethe
      :math:`\\log Z` estimate.
    """
    mrf = _check_mrf(mrf)
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    _check_damping(damping)
    return _sum_product(mrf, damping, num_iters=num_iters)


@functools.partial(jax.jit, static_argnames=("num_iters",))
def _sum_product(mrf: PairwiseMRF, damping: Any, *, num_iters: int) -> BPResult:
    graph, log_msgs, residuals = _run_bp(mrf, num_iters, damping, "sum")
    totals, cavity = _cavities(mrf, graph, log_msgs)
    log_b = _normalise(totals, jax.nn.logsumexp)
    num_edges = mrf.edges.shape[0]
    log_be = (cavity[:num_edges, :, None] + cavity[num_edges:, None, :]
              + mrf.log_pairwise)
    log_be = _normalise(log_be.reshape(num_edges, -1), jax.nn.logsumexp).reshape(
        log_be.shape)
    log_z = _bethe(mrf, log_b, log_be)
    return BPResult(jnp.exp(log_b), jnp.exp(log_be), log_msgs, residuals, log_z)


def _plogq(p: jax.Array, log_q: jax.Array) -> jax.Array:
    """``p * log_q`` with ``0 * anything = 0`` (so ``0 * -inf`` is 0, not NaN)."""
    return jnp.where(p > 0, p * jnp.where(p > 0, log_q, 0.0), 0.0)


def _bethe(mrf: PairwiseMRF, log_b: jax.Array, log_be: jax.Array) -> jax.Array:
    b, be = jnp.exp(log_b), jnp.exp(log_be)
    num_nodes = mrf.log_unary.shape[0]
    ones = jnp.ones(mrf.edges.shape[0], b.dtype)
    degree = (jax.ops.segment_sum(ones, mrf.edges[:, 0], num_nodes)
              + jax.ops.segment_sum(ones, mrf.edges[:, 1], num_nodes))
    energy = jnp.sum(_plogq(b, mrf.log_unary)) + jnp.sum(_plogq(be, mrf.log_pairwise))
    h_nodes = -jnp.sum(_plogq(b, log_b), axis=1)
    h_edges = -jnp.sum(_plogq(be, log_be))
    return energy + h_edges - jnp.sum((degree - 1) * h_nodes)


_bethe_jit = jax.jit(_bethe)


def bethe_log_partition(mrf: PairwiseMRF, node_beliefs: Any, edge_beliefs: Any) -> jax.Array:
    """The Bethe approximation :math:`\\log Z_B = -F_{Bethe}(b)` (module docstring) at
    node beliefs ``(V, K)`` and edge beliefs ``(E, K, K)`` (probabilities). Exact on a
    tree when the beliefs are the true marginals."""
    mrf = _check_mrf(mrf)
    num_nodes, k = mrf.log_unary.shape
    b = check_stochastic_matrix(node_beliefs, "node_beliefs")
    if b.shape != (num_nodes, k):
        raise ValueError(f"node_beliefs must have shape ({num_nodes}, {k}), got {b.shape}")
    num_edges = mrf.edges.shape[0]
    be = check_array(edge_beliefs, "edge_beliefs", ndim=3, dtype_kind="f", allow_empty=True)
    if be.shape != (num_edges, k, k):
        raise ValueError(f"edge_beliefs must have shape ({num_edges}, {k}, {k}), got "
                         f"{be.shape}")
    if num_edges:
        check_stochastic_matrix(be.reshape(num_edges, k * k), "edge_beliefs")
    return _bethe_jit(mrf, jnp.log(b), jnp.log(be))


def max_product_bp(mrf: PairwiseMRF, *, num_iters: int = 100,
                   damping: Any = 0.0) -> MaxProductResult:
    """Max-product belief propagation in log space (max-sum), flooding schedule.

    :math:`\\mu_{i\\to j}(x_j) = \\max_{x_i} [\\theta_{ij}(x_i, x_j) + \\theta_i(x_i) +
    \\sum_{k\\in N(i)\\setminus j}\\mu_{k\\to i}(x_i)]`, max-normalised, damped as in
    :func:`belief_propagation`. On a tree the max-marginals are exact after ``diameter``
    sweeps and their argmax is the MAP assignment (when the maximiser is unique).

    Returns:
      :class:`MaxProductResult`.
    """
    mrf = _check_mrf(mrf)
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    _check_damping(damping)
    return _max_product(mrf, damping, num_iters=num_iters)


@functools.partial(jax.jit, static_argnames=("num_iters",))
def _max_product(mrf: PairwiseMRF, damping: Any, *, num_iters: int) -> MaxProductResult:
    graph, log_msgs, residuals = _run_bp(mrf, num_iters, damping, "max")
    totals, _ = _cavities(mrf, graph, log_msgs)
    log_mm = _normalise(totals, jnp.max)
    assignment = jnp.argmax(log_mm, axis=1).astype(jnp.int32)
    return MaxProductResult(log_mm, assignment, _log_potential(mrf, assignment), log_msgs,
                            residuals)


# --------------------------------------------------------------------------- mean field


def _expected_pairwise(graph: _Directed, q: jax.Array) -> jax.Array:
    """``(2E, K)``: :math:`\\mathbb E_{q_j}[\\theta_{ij}(x_i, \\cdot)]` for each directed
    edge ``i → j`` (``0 · -inf`` taken as 0)."""
    q_dst = q[graph.dst][:, None, :]
    return jnp.sum(_plogq(jnp.broadcast_to(q_dst, graph.tables.shape), graph.tables), -1)


def _elbo(mrf: PairwiseMRF, q: jax.Array) -> jax.Array:
    log_q = jnp.log(q)
    energy = jnp.sum(_plogq(q, mrf.log_unary))
    if mrf.edges.shape[0]:
        outer = q[mrf.edges[:, 0]][:, :, None] * q[mrf.edges[:, 1]][:, None, :]
        energy = energy + jnp.sum(_plogq(outer, mrf.log_pairwise))
    return energy - jnp.sum(_plogq(q, log_q))


_elbo_jit = jax.jit(_elbo)


def mean_field_elbo(mrf: PairwiseMRF, marginals: Any) -> jax.Array:
    """:math:`\\mathrm{ELBO}(q) = \\mathbb E_q[\\log\\tilde p(x)] + \\sum_i H(q_i) \\le
    \\log Z` for the fully factorised :math:`q = \\prod_i q_i` given by ``marginals``
    ``(V, K)``."""
    mrf = _check_mrf(mrf)
    q = check_stochastic_matrix(marginals, "marginals")
    if q.shape != mrf.log_unary.shape:
        raise ValueError(f"marginals must have shape {mrf.log_unary.shape}, got {q.shape}")
    return _elbo_jit(mrf, q)


def mean_field(mrf: PairwiseMRF, *, num_iters: int = 50, damping: Any = 0.0,
               schedule: str = "sequential", init: Any = None) -> MeanFieldResult:
    """Naive mean-field variational inference.

    Each update sets :math:`q_i \\propto \\exp(\\theta_i + \\sum_{j\\in N(i)}
    \\mathbb E_{q_j}[\\theta_{ij}(x_i, x_j)])` and mixes
    :math:`q_i \\leftarrow (1-d)q_i^{new} + d\\,q_i`. ``schedule="sequential"`` updates
    the nodes one after another within a sweep (coordinate ascent: the ELBO never
    decreases, for any ``d``, because it is concave in each :math:`q_i` alone);
    ``"parallel"`` updates all nodes from the previous sweep (needs damping on strongly
    coupled graphs, where undamped parallel updates can oscillate).

    Args:
      mrf: a :class:`PairwiseMRF`.
      num_iters: sweeps (static).
      damping: :math:`d \\in [0, 1)`.
      schedule: ``"sequential"`` or ``"parallel"``.
      init: optional ``(V, K)`` starting marginals; default ``softmax(log_unary)``.

    Returns:
      :class:`MeanFieldResult` (final ``q``, its ELBO, the ELBO per sweep).
    """
    mrf = _check_mrf(mrf)
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    _check_damping(damping)
    check_option(schedule, "schedule", ("sequential", "parallel"))
    if init is None:
        q0 = jax.nn.softmax(mrf.log_unary, axis=1)
    else:
        q0 = check_stochastic_matrix(init, "init").astype(mrf.log_unary.dtype)
        if q0.shape != mrf.log_unary.shape:
            raise ValueError(f"init must have shape {mrf.log_unary.shape}, got {q0.shape}")
    return _mean_field(mrf, q0, damping, num_iters=num_iters, schedule=schedule)


@functools.partial(jax.jit, static_argnames=("num_iters", "schedule"))
def _mean_field(mrf: PairwiseMRF, q0: jax.Array, damping: Any, *, num_iters: int,
                schedule: str) -> MeanFieldResult:
    graph = _directed(mrf)
    num_nodes = mrf.log_unary.shape[0]
    d = jnp.asarray(damping, mrf.log_unary.dtype)

    def fields(q):
        return mrf.log_unary + jax.ops.segment_sum(_expected_pairwise(graph, q), graph.src,
                                                   num_nodes)

    def parallel_sweep(q, _):
        q = (1 - d) * jax.nn.softmax(fields(q), axis=1) + d * q
        return q, _elbo(mrf, q)

    def node_update(i, q):
        incident = (graph.src == i)[:, None]
        field = mrf.log_unary[i] + jnp.sum(
            jnp.where(incident, _expected_pairwise(graph, q), 0.0), axis=0)
        return q.at[i].set((1 - d) * jax.nn.softmax(field) + d * q[i])

    def sequential_sweep(q, _):
        q = jax.lax.fori_loop(0, num_nodes, node_update, q)
        return q, _elbo(mrf, q)

    sweep = parallel_sweep if schedule == "parallel" else sequential_sweep
    q, elbos = jax.lax.scan(sweep, q0, None, length=num_iters)
    return MeanFieldResult(q, elbos[-1], elbos)


# ------------------------------------------------------------------------------- Ising


def grid_edges(height: int, width: int) -> jax.Array:
    """``(E, 2)`` int32 edges of the 4-neighbour ``height × width`` grid, nodes numbered
    row-major (``r * width + c``): the horizontal edges, then the vertical ones;
    :math:`E = H(W-1) + (H-1)W`."""
    height = check_int(height, "height", minimum=1)
    width = check_int(width, "width", minimum=1)
    ids = np.arange(height * width).reshape(height, width)
    horizontal = np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1)
    vertical = np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], axis=1)
    return jnp.asarray(np.concatenate([horizontal, vertical]).reshape(-1, 2), jnp.int32)


def random_tree_edges(key: Any, num_nodes: int) -> jax.Array:
    """``(V-1, 2)`` int32 edges of a random labelled tree: node ``t`` (in a random order)
    attaches to a uniformly chosen earlier node (a random recursive tree)."""
    key = as_key(key)
    num_nodes = check_int(num_nodes, "num_nodes", minimum=2)
    k_parent, k_perm = jax.random.split(key)
    child = jnp.arange(1, num_nodes)
    parent = jnp.floor(jax.random.uniform(k_parent, (num_nodes - 1,)) * child).astype(
        jnp.int32)
    perm = jax.random.permutation(k_perm, num_nodes).astype(jnp.int32)
    return jnp.stack([perm[parent], perm[child]], axis=1)


def random_mrf(key: Any, num_nodes: int, edges: Any, num_states: int, *,
               unary_scale: Any = 1.0, pairwise_scale: Any = 1.0) -> PairwiseMRF:
    """A :class:`PairwiseMRF` on ``edges`` with i.i.d. Gaussian log-potentials,
    :math:`\\theta_i(a) \\sim N(0, \\sigma_u^2)`, :math:`\\theta_{ij}(a,b) \\sim
    N(0, \\sigma_p^2)`."""
    key = as_key(key)
    num_nodes = check_int(num_nodes, "num_nodes", minimum=1)
    num_states = check_int(num_states, "num_states", minimum=1)
    check_range(unary_scale, "unary_scale", low=0.0)
    check_range(pairwise_scale, "pairwise_scale", low=0.0)
    edges = _check_edges(edges, num_nodes)
    k_u, k_p = jax.random.split(key)
    unary = unary_scale * jax.random.normal(k_u, (num_nodes, num_states))
    pair = pairwise_scale * jax.random.normal(k_p, (edges.shape[0], num_states, num_states))
    return PairwiseMRF(unary, edges, pair)


def _scalar_or(value: Any, name: str, shape: tuple[int, ...]) -> jax.Array:
    arr = check_array(value, name, dtype_kind="f")
    if arr.ndim and arr.shape != shape and arr.size != math.prod(shape):
        raise ValueError(f"{name} must be a scalar or have shape {shape}, got {arr.shape}")
    return jnp.broadcast_to(arr.reshape(shape) if arr.ndim else arr, shape)


def ising_mrf(height: int, width: int, coupling: Any = 1.0, field: Any = 0.0) -> PairwiseMRF:
    """The Ising model :math:`\\log\\tilde p(s) = \\sum_{ij} J_{ij}s_is_j + \\sum_i h_is_i`
    on the 4-neighbour grid (:func:`grid_edges`), as a binary :class:`PairwiseMRF`
    (state 0 is :math:`s=-1`, state 1 is :math:`s=+1`).

    Args:
      height, width: grid size.
      coupling: :math:`J`, a scalar or ``(E,)`` per edge (in :func:`grid_edges` order).
      field: :math:`h`, a scalar or ``(height, width)``.
    """
    edges = grid_edges(height, width)
    j = _scalar_or(coupling, "coupling", (edges.shape[0],))
    h = _scalar_or(field, "field", (height, width)).reshape(-1)
    spins = jnp.asarray([-1.0, 1.0], j.dtype)
    log_unary = h[:, None] * spins
    log_pairwise = j[:, None, None] * jnp.outer(spins, spins)
    return PairwiseMRF(log_unary, edges, log_pairwise)


def _image_encoding(image: jax.Array, encoding: str, name: str) -> str:
    check_option(encoding, "encoding", ("auto", "spin", "binary"))
    if is_traced(image):
        if encoding == "auto":
            raise ValueError(f"encoding='auto' needs a concrete {name}; pass "
                             "encoding='spin' (±1) or 'binary' ({0, 1}) under jit/vmap")
        return encoding
    values = set(np.unique(np.asarray(image)).tolist())
    if encoding == "auto":
        if values <= {-1, 1} and -1 in values:
            return "spin"
        if values <= {0, 1} and 0 in values:
            return "binary"
        if values == {1}:
            raise ValueError(f"{name} holds only 1s: pass encoding='spin' or 'binary'")
    allowed = {-1, 1} if encoding == "spin" else {0, 1} if encoding == "binary" else None
    if allowed is None or not values <= allowed:
        want = ("±1 or {0, 1}" if allowed is None else
                "±1" if encoding == "spin" else "{0, 1}")
        raise ValueError(f"{name} must be a binary image with values {want}, got values "
                         f"{sorted(values)[:5]}")
    return encoding


def _check_image(image: Any, name: str, encoding: str) -> tuple[jax.Array, str]:
    img = check_array(image, name, ndim=2)
    enc = _image_encoding(img, encoding, name)
    spins = img.astype(jnp.result_type(float)) if enc == "spin" else 2.0 * img - 1.0
    return spins.astype(jnp.result_type(float)), enc


def flip_noise(key: Any, image: Any, flip_prob: Any, *, encoding: str = "auto") -> jax.Array:
    """Flip each pixel of a binary image (±1 or {0, 1}) independently with probability
    ``flip_prob``; returns an int32 image in the same encoding."""
    key = as_key(key)
    spins, enc = _check_image(image, "image", encoding)
    check_range(flip_prob, "flip_prob", low=0.0, high=1.0)
    flips = jax.random.bernoulli(key, flip_prob, spins.shape)
    noisy = jnp.where(flips, -spins, spins)
    return (noisy if enc == "spin" else (noisy + 1) / 2).astype(jnp.int32)


def ising_denoise(noisy_image: Any, *, flip_prob: Any, coupling: Any = 1.0,
                  method: str = "bp", num_iters: int = 50, damping: Any = 0.5,
                  encoding: str = "auto") -> DenoiseResult:
    """Restore a binary image corrupted by independent pixel flips with an Ising prior.

    The posterior is the Ising model with coupling :math:`J` and field
    :math:`h_i = \\tfrac12 y_i\\log\\frac{1-p}{p}` (module docstring); each pixel is set
    to the argmax of its belief.

    Args:
      noisy_image: ``(H, W)`` observed image, ±1 or {0, 1}.
      flip_prob: :math:`p \\in (0, 1/2)`, the noise model's flip probability.
      coupling: :math:`J` (ferromagnetic smoothing for :math:`J > 0`), may be traced.
      method: ``"bp"`` (damped loopy sum-product), ``"mean_field"`` (damped parallel
        mean field) or ``"max_product"`` (damped loopy max-product).
      num_iters: sweeps (static).
      damping: :math:`d \\in [0, 1)`.
      encoding: ``"auto"`` (from the values), ``"spin"`` (±1) or ``"binary"`` ({0, 1});
        must be explicit when the image is traced.

    Returns:
      :class:`DenoiseResult` with the restored image in the input's encoding.
    """
    y, enc = _check_image(noisy_image, "noisy_image", encoding)
    check_range(flip_prob, "flip_prob", low=0.0, high=0.5, low_open=True, high_open=True)
    check_range(coupling, "coupling")
    check_option(method, "method", ("bp", "mean_field", "max_product"))
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    _check_damping(damping)
    return _denoise(y, flip_prob, coupling, damping, method=method, num_iters=num_iters,
                    spin=enc == "spin")


@functools.partial(jax.jit, static_argnames=("method", "num_iters", "spin"))
def _denoise(y: jax.Array, flip_prob: Any, coupling: Any, damping: Any, *, method: str,
             num_iters: int, spin: bool) -> DenoiseResult:
    height, width = y.shape
    field = 0.5 * y * jnp.log((1 - flip_prob) / flip_prob)
    model = ising_mrf(height, width, coupling, field)
    if method == "bp":
        on = belief_propagation(model, num_iters=num_iters, damping=damping).node_beliefs[:, 1]
    elif method == "mean_field":
        on = mean_field(model, num_iters=num_iters, damping=damping,
                        schedule="parallel").marginals[:, 1]
    else:
        log_mm = max_product_bp(model, num_iters=num_iters, damping=damping).log_max_marginals
        on = jax.nn.softmax(log_mm, axis=1)[:, 1]
    on = on.reshape(height, width)
    state = (on > 0.5).astype(jnp.int32)
    return DenoiseResult(2 * state - 1 if spin else state, on)
