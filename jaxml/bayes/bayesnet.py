"""Discrete Bayesian networks: a DAG with conditional probability tables, as arrays.

A Bayesian network over discrete variables :math:`X_1, \\dots, X_V` factorises the joint
distribution along a directed acyclic graph (Pearl 1988; Koller & Friedman 2009, ch. 3):

.. math::

    p(x_1, \\dots, x_V) = \\prod_{v=1}^{V} p(x_v \\mid x_{\\mathrm{pa}(v)}).

:class:`BayesNet` stores variable ``v``'s conditional probability table (CPT) as an array
of shape ``(card[pa_1], ..., card[pa_k], card[v])``: the parents' axes in the order of
``parents[v]``, the child's own states last, so every row ``cpt[u]`` is a probability
vector. The graph (names, cardinalities, parents) is static pytree structure and the
CPTs are leaves, so a network passes through ``jax.jit`` and ``jax.vmap`` like any
pytree. States are integer codes ``0 .. card - 1``; in the classic networks below ``0``
is "no"/false and ``1`` is "yes"/true.

* :func:`bayes_net` builds and validates a network (acyclic, CPT shapes, rows that sum
  to one); :func:`topological_order` gives an order in which parents come first.
* :func:`sample`: ancestral (forward) sampling — draw each variable from its CPT row
  given its already-drawn parents, in topological order; vmapped over samples.
* :func:`log_joint`: :math:`\\log p(x)` of full assignments, the sum of CPT entries.
* :func:`family_counts`: the sufficient statistics :math:`N_{v, u, k} = \\#\\{n : x_{n,v}
  = k, x_{n,\\mathrm{pa}(v)} = u\\}` that parameter learning and the structure scores use.
* :func:`fit_cpts`: parameter learning for a given DAG — maximum likelihood, Dirichlet
  pseudo-counts or the BDeu prior's posterior-mean CPTs.
* :func:`sprinkler` (Murphy's version of Pearl's sprinkler) and :func:`asia` (Lauritzen
  & Spiegelhalter 1988, "chest clinic") are written out in code. Alarm (37 variables) is
  not included.

Exact inference (enumeration, variable elimination, MAP), interventions (the do-operator)
and d-separation are in :mod:`jaxml.bayes.bn_inference`.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core import (
    as_key,
    check_array,
    check_int,
    check_option,
    check_positive,
    check_stochastic_matrix,
    is_traced,
)
from jaxml.core.pytree import pytree_dataclass, static_field
from jaxml.math.algorithms import topological_sort

__all__ = [
    "BayesNet",
    "bayes_net",
    "topological_order",
    "variable_index",
    "sample",
    "log_joint",
    "check_assignments",
    "family_counts",
    "fit_cpts",
    "sprinkler",
    "asia",
]


@pytree_dataclass
class BayesNet:
    """A discrete Bayesian network.

    Attributes:
      names: variable names, one per variable.
      cards: number of states of each variable.
      parents: ``parents[v]`` is the tuple of variable ``v``'s parent indices.
      cpts: ``cpts[v]`` has shape ``(cards[p] for p in parents[v]) + (cards[v],)``.
    """

    cpts: tuple[jax.Array, ...]
    names: tuple[str, ...] = static_field()
    cards: tuple[int, ...] = static_field()
    parents: tuple[tuple[int, ...], ...] = static_field()

    @property
    def num_variables(self) -> int:
        return len(self.names)

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """Directed edges ``(parent, child)``, sorted."""
        return tuple(sorted((p, v) for v, ps in enumerate(self.parents) for p in ps))

    def adjacency(self) -> np.ndarray:
        """``A[i, j] = 1`` iff ``i -> j``."""
        A = np.zeros((self.num_variables,) * 2, dtype=np.int32)
        for p, v in self.edges:
            A[p, v] = 1
        return A


def _check_structure(names, cards, parents) -> tuple[tuple[str, ...], tuple[int, ...],
                                                      tuple[tuple[int, ...], ...]]:
    names = tuple(str(n) for n in names)
    if not names:
        raise ValueError("names must name at least one variable")
    if len(set(names)) != len(names):
        raise ValueError(f"names must be unique, got {names}")
    V = len(names)
    if len(cards) != V or len(parents) != V:
        raise ValueError(f"cards and parents must have one entry per variable ({V}); "
                         f"got {len(cards)} cards and {len(parents)} parent lists")
    cards = tuple(check_int(c, f"cards[{v}]", minimum=1) for v, c in enumerate(cards))
    checked_parents = []
    for v, ps in enumerate(parents):
        ps = tuple(int(p) for p in ps)
        for p in ps:
            if not 0 <= p < V:
                raise ValueError(f"parents[{v}] contains {p}, expected a variable index "
                                 f"in [0, {V})")
        if v in ps:
            raise ValueError(f"parents[{v}] contains the variable itself (a self-loop)")
        if len(set(ps)) != len(ps):
            raise ValueError(f"parents[{v}] repeats a parent: {ps}")
        checked_parents.append(ps)
    edges = [(p, v) for v, ps in enumerate(checked_parents) for p in ps]
    try:
        topological_sort(V, np.asarray(edges, dtype=np.int64).reshape(-1, 2))
    except ValueError:
        raise ValueError("parents must describe a directed acyclic graph: the edges "
                         "contain a cycle") from None
    return names, cards, tuple(checked_parents)


def _parent_indices(names: Sequence[str], parents: Sequence[Sequence[int | str]]
                    ) -> list[tuple[Any, ...]]:
    """Parent names replaced by indices; ``ValueError`` for an unknown name."""
    names = tuple(str(n) for n in names)
    index = {n: i for i, n in enumerate(names)}
    out = [tuple(index[p] if isinstance(p, str) and p in index else p for p in ps)
           for ps in parents]
    for v, ps in enumerate(out):
        unknown = [p for p in ps if isinstance(p, str)]
        if unknown:
            raise ValueError(f"parents[{v}] names unknown variables {unknown}; "
                             f"known: {names}")
    return out


def bayes_net(names: Sequence[str], cards: Sequence[int],
              parents: Sequence[Sequence[int | str]], cpts: Sequence[Any]) -> BayesNet:
    """Build a validated :class:`BayesNet`.

    Args:
      names: variable names.
      cards: number of states per variable.
      parents: per variable, its parents as indices or names; the order fixes the order
        of the CPT's leading axes.
      cpts: per variable, an array of shape ``(cards of its parents) + (its card,)``
        whose last axis sums to one.

    Raises:
      ValueError: a cycle, a self-loop, an unknown parent, a CPT of the wrong shape,
        negative entries or rows that do not sum to one.
    """
    names, cards, parents = _check_structure(names, cards, _parent_indices(names, parents))
    if len(cpts) != len(names):
        raise ValueError(f"cpts must have one table per variable ({len(names)}), "
                         f"got {len(cpts)}")
    tables = []
    for v, table in enumerate(cpts):
        expected = tuple(cards[p] for p in parents[v]) + (cards[v],)
        table = check_array(table, f"cpts[{v}] ({names[v]})", dtype_kind="f")
        if table.shape != expected:
            raise ValueError(f"cpts[{v}] ({names[v]}) must have shape {expected} (parents' "
                             f"cards, then its own), got {table.shape}")
        check_stochastic_matrix(table.reshape(-1, cards[v]), f"cpts[{v}] ({names[v]})")
        tables.append(table)
    return BayesNet(cpts=tuple(tables), names=names, cards=cards, parents=parents)


def topological_order(net: BayesNet) -> list[int]:
    """Variables ordered so that every parent precedes its children (smallest index first
    among ties)."""
    return topological_sort(net.num_variables,
                            np.asarray(net.edges, dtype=np.int64).reshape(-1, 2))


def variable_index(net: BayesNet, variable: int | str) -> int:
    """The index of a variable given by name or index; ``ValueError`` if unknown."""
    if isinstance(variable, str):
        if variable not in net.names:
            raise ValueError(f"unknown variable {variable!r}; known: {net.names}")
        return net.names.index(variable)
    v = int(variable)
    if not 0 <= v < net.num_variables:
        raise ValueError(f"variable index {v} out of range [0, {net.num_variables})")
    return v


def sample(key: Any, net: BayesNet, num_samples: int) -> jax.Array:
    """Ancestral sampling: ``num_samples`` joint draws, shape ``(num_samples, V)`` int32.

    Each variable is drawn from ``cpts[v][x_pa(v)]`` after its parents (topological
    order); the draws of one variable are a single vmapped categorical.
    """
    key = as_key(key)
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    columns: list[jax.Array | None] = [None] * net.num_variables
    keys = jax.random.split(key, net.num_variables)
    for v in topological_order(net):
        rows = net.cpts[v][tuple(columns[p] for p in net.parents[v])]
        if not net.parents[v]:
            rows = jnp.broadcast_to(rows, (num_samples, net.cards[v]))
        columns[v] = jax.random.categorical(keys[v], jnp.log(rows), axis=-1).astype(jnp.int32)
    return jnp.stack(columns, axis=1)


def check_assignments(net: BayesNet, data: Any, name: str = "data") -> jax.Array:
    """An ``(N, V)`` integer array with every column within its variable's states."""
    return _check_states(data, net.names, net.cards, name)


def _check_states(data: Any, names: Sequence[str], cards: Sequence[int],
                  name: str) -> jax.Array:
    data = check_array(data, name, ndim=2, dtype_kind="i")
    if data.shape[1] != len(names):
        raise ValueError(f"{name} must have one column per variable ({len(names)}), "
                         f"got {data.shape[1]}")
    if not is_traced(data):
        values = np.asarray(data)
        for v, card in enumerate(cards):
            bad = (values[:, v] < 0) | (values[:, v] >= card)
            if bad.any():
                raise ValueError(f"{name}[:, {v}] ({names[v]}) has state "
                                 f"{values[:, v][bad][0]} out of range [0, {card})")
    return data


def log_joint(net: BayesNet, data: Any) -> jax.Array:
    """:math:`\\log p(x_n) = \\sum_v \\log p(x_{n,v} \\mid x_{n,\\mathrm{pa}(v)})`, shape
    ``(N,)``."""
    data = check_assignments(net, data)
    total = jnp.zeros(data.shape[0])
    for v in range(net.num_variables):
        index = tuple(data[:, p] for p in net.parents[v]) + (data[:, v],)
        total = total + jnp.log(net.cpts[v][index])
    return total


def family_counts(data: Any, cards: Sequence[int], child: int,
                  parents: Sequence[int] = (), weights: Any = None) -> jax.Array:
    """Counts of (parents' states, child's state) in ``data``.

    Args:
      data: ``(N, V)`` integer states (not range-checked here: this is the inner loop of
        structure search; :func:`check_assignments` checks a data set once).
      cards: cardinality of every column.
      child: the child column.
      parents: the parent columns, in the order of the result's leading axes.
      weights: optional ``(N,)`` sample weights.

    Returns:
      Array of shape ``(cards[p] for p in parents) + (cards[child],)`` with
      :math:`N_{u,k}`; jittable (``cards``, ``child`` and ``parents`` static).
    """
    parents = tuple(parents)
    shape = tuple(int(cards[p]) for p in parents) + (int(cards[child]),)
    flat = jnp.zeros(data.shape[0], dtype=jnp.int32)
    for column, size in zip(parents + (child,), shape):
        flat = flat * size + data[:, column].astype(jnp.int32)
    w = jnp.ones(data.shape[0]) if weights is None else jnp.asarray(weights)
    return jnp.zeros(int(np.prod(shape))).at[flat].add(w).reshape(shape)


PRIORS = (None, "bdeu")


def fit_cpts(data: Any, names: Sequence[str], cards: Sequence[int],
             parents: Sequence[Sequence[int | str]], *, pseudo_count: Any = 0.0,
             prior: str | None = None, equivalent_sample_size: Any = 1.0,
             weights: Any = None) -> BayesNet:
    """Parameter learning: the CPTs of a given DAG from complete data.

    With counts :math:`N_{vuk}` (:func:`family_counts`: parent configuration :math:`u`,
    child state :math:`k`, :math:`N_{vu} = \\sum_k N_{vuk}`) and a Dirichlet prior
    :math:`\\alpha_{vuk}` on each row, the posterior-mean CPT is

    .. math::

        \\hat\\theta_{vuk} = \\frac{N_{vuk} + \\alpha_{vuk}}{N_{vu} + \\sum_{k'}
        \\alpha_{vuk'}},

    * ``prior=None``: :math:`\\alpha_{vuk} = ` ``pseudo_count``; ``0`` is the maximum
      likelihood estimate :math:`N_{vuk} / N_{vu}` (Koller & Friedman 2009, §17.2), ``1``
      Laplace smoothing (the K2 prior);
    * ``prior="bdeu"``: :math:`\\alpha_{vuk} = \\mathrm{ESS} / (q_v r_v)` with :math:`q_v`
      the number of parent configurations and :math:`r_v` the child's states (Heckerman,
      Geiger & Chickering 1995), ESS = ``equivalent_sample_size``.

    A parent configuration never seen in the data (:math:`N_{vu} = 0`) gets the uniform
    row :math:`1 / r_v` under maximum likelihood (the likelihood does not depend on it;
    pgmpy makes the same choice); with a positive prior its posterior mean is uniform
    anyway.

    Args:
      data: ``(N, V)`` integer states, column ``v`` in ``[0, cards[v])``.
      names: the variable names (one per column).
      cards: number of states per variable.
      parents: per variable, its parents (indices or names); the order fixes the CPT's
        axes, as in :func:`bayes_net`.
      pseudo_count: Dirichlet pseudo-count per cell (``prior=None`` only), ``>= 0``.
      prior: ``None`` or ``"bdeu"``.
      equivalent_sample_size: the BDeu ESS, ``> 0`` (``prior="bdeu"`` only).
      weights: optional ``(N,)`` non-negative sample weights.

    Returns:
      The fitted :class:`BayesNet`.

    Raises:
      ValueError: a cyclic graph, data with a wrong number of columns or states out of
        range, a negative pseudo-count, both ``pseudo_count`` and ``prior="bdeu"``.
    """
    check_option(prior, "prior", PRIORS)
    names, cards, parents = _check_structure(names, cards, _parent_indices(names, parents))
    data = _check_states(data, names, cards, "data")
    if data.shape[0] == 0:
        raise ValueError("data must have at least one row")
    if prior == "bdeu":
        if not is_traced(pseudo_count) and float(pseudo_count) != 0.0:
            raise ValueError("pass either pseudo_count (prior=None) or prior='bdeu' with "
                             f"equivalent_sample_size, not both (pseudo_count={pseudo_count})")
        check_positive(equivalent_sample_size, "equivalent_sample_size")
    else:
        check_positive(pseudo_count, "pseudo_count", strict=False)
    if weights is not None:
        weights = check_array(weights, "weights", ndim=1, dtype_kind="f")
        if weights.shape[0] != data.shape[0]:
            raise ValueError(f"weights must have one entry per row of data "
                             f"({data.shape[0]}), got {weights.shape[0]}")
    tables = []
    for v in range(len(names)):
        counts = family_counts(data, cards, v, parents[v], weights)
        if prior == "bdeu":
            q = int(np.prod([cards[p] for p in parents[v]]))
            alpha = jnp.asarray(equivalent_sample_size, counts.dtype) / (q * cards[v])
        else:
            alpha = jnp.asarray(pseudo_count, counts.dtype)
        cells = counts + alpha
        totals = cells.sum(axis=-1, keepdims=True)
        tables.append(jnp.where(totals > 0, cells / jnp.where(totals > 0, totals, 1.0),
                                1.0 / cards[v]))
    return bayes_net(names, cards, parents, tables)


def _binary_table(p_true) -> np.ndarray:
    """A binary CPT from p(state 1 | parents): the last axis is ``(1 - p, p)``."""
    p = np.asarray(p_true, dtype=np.float32)
    return np.stack([1 - p, p], axis=-1)


def sprinkler() -> BayesNet:
    """The sprinkler network (Murphy's tables for Pearl's example).

    Cloudy → Sprinkler, Cloudy → Rain, {Sprinkler, Rain} → WetGrass, with
    p(C)=0.5; p(S|C)=0.1, p(S|¬C)=0.5; p(R|C)=0.8, p(R|¬C)=0.2;
    p(W|S,R)=0.99, p(W|S,¬R)=0.9, p(W|¬S,R)=0.9, p(W|¬S,¬R)=0.
    """
    return bayes_net(
        names=("cloudy", "sprinkler", "rain", "wet_grass"),
        cards=(2, 2, 2, 2),
        parents=((), ("cloudy",), ("cloudy",), ("sprinkler", "rain")),
        cpts=(_binary_table(0.5), _binary_table([0.5, 0.1]), _binary_table([0.2, 0.8]),
              _binary_table([[0.0, 0.9], [0.9, 0.99]])),
    )


def asia() -> BayesNet:
    """The "Asia" chest-clinic network of Lauritzen & Spiegelhalter (1988).

    Edges: asia → tub, smoke → lung, smoke → bronc, {tub, lung} → either (a deterministic
    OR), either → xray, {bronc, either} → dysp. Tables: p(asia)=0.01, p(smoke)=0.5;
    p(tub|asia)=0.05, p(tub|¬asia)=0.01; p(lung|smoke)=0.1, p(lung|¬smoke)=0.01;
    p(bronc|smoke)=0.6, p(bronc|¬smoke)=0.3; p(xray|either)=0.98, p(xray|¬either)=0.05;
    p(dysp|bronc, either)=0.9, p(dysp|bronc, ¬either)=0.8, p(dysp|¬bronc, either)=0.7,
    p(dysp|¬bronc, ¬either)=0.1.
    """
    return bayes_net(
        names=("asia", "tub", "smoke", "lung", "bronc", "either", "xray", "dysp"),
        cards=(2,) * 8,
        parents=((), ("asia",), (), ("smoke",), ("smoke",), ("tub", "lung"),
                 ("either",), ("bronc", "either")),
        cpts=(_binary_table(0.01), _binary_table([0.01, 0.05]), _binary_table(0.5), _binary_table([0.01, 0.1]),
              _binary_table([0.3, 0.6]), _binary_table([[0.0, 1.0], [1.0, 1.0]]), _binary_table([0.05, 0.98]),
              _binary_table([[0.1, 0.7], [0.8, 0.9]])),
    )
