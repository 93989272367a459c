"""Structure learning for discrete Bayesian networks: scores, hill climbing, PC, CPDAGs.

Graphs are ``(V, V)`` 0/1 NumPy matrices. In a DAG ``A[i, j] = 1`` means ``i -> j``. In a
partially directed graph (a CPDAG) a directed edge ``i -> j`` is ``A[i, j] = 1, A[j, i] =
0`` and an undirected edge ``i - j`` is ``A[i, j] = A[j, i] = 1``. Every count comes from
:func:`jaxml.bayes.bayesnet.family_counts`: :math:`N_{uk}` rows of the data with parent
configuration :math:`u` and child state :math:`k`, :math:`N_u = \\sum_k N_{uk}`, for a
child with :math:`r` states and :math:`q = \\prod_{p \\in \\mathrm{pa}} r_p` parent
configurations.

**Decomposable scores** (Koller & Friedman 2009, §18.3), :func:`local_score` for one
family and :func:`network_score` for the sum over the families of a DAG:

* ``"loglik"``: the maximised log-likelihood :math:`\\sum_{u,k} N_{uk} \\log (N_{uk} /
  N_u)` (with :math:`0 \\log 0 = 0`);
* ``"bic"``: :math:`\\mathrm{LL} - \\tfrac{\\log N}{2}\\, q (r - 1)` (Schwarz 1978), ``N``
  the number of rows;
* ``"bdeu"`` and ``"k2"``: the log marginal likelihood under a Dirichlet prior with
  :math:`\\alpha_{uk} = a` in every cell (Cooper & Herskovits 1992; Heckerman, Geiger &
  Chickering 1995),

  .. math::

      \\sum_u \\Big[\\log\\Gamma(r a) - \\log\\Gamma(N_u + r a)
      + \\sum_k \\big(\\log\\Gamma(N_{uk} + a) - \\log\\Gamma(a)\\big)\\Big],

  with :math:`a = \\mathrm{ESS} / (q r)` for BDeu (``equivalent_sample_size``) and
  :math:`a = 1` for K2. Parent configurations never seen contribute zero to every score.

**Hill climbing** (:func:`hill_climb`, Koller & Friedman §18.4.3): greedy search over DAGs
with the moves add, delete and reverse one edge, keeping the graph acyclic, and a tabu
list of the inverses of recent moves (as pgmpy's ``HillClimbSearch``). Local scores are
cached per family, so a move rescores only the one or two families it changes.

**PC** (:func:`pc`; Spirtes, Glymour & Scheines 2000): the PC-stable skeleton (Colombo &
Maathuis 2014) with G² or Pearson χ² conditional-independence tests (:func:`ci_test`),
then v-structures, then Meek's (1995) rules R1–R3.

**Equivalence classes**: :func:`dag_to_cpdag` (Chickering 1995; Meek 1995),
:func:`shd` (structural Hamming distance), :func:`is_dag`.
"""

from __future__ import annotations

from collections import deque
from itertools import combinations
from typing import Any, NamedTuple, Sequence

import jax
import numpy as np
from scipy import special, stats

from jaxml.bayes.bayesnet import _check_states, family_counts
from jaxml.core import (as_key, check_array, check_int, check_option, check_positive,
                        check_range)
from jaxml.math.algorithms import topological_sort

__all__ = [
    "SCORES",
    "TESTS",
    "HillClimbResult",
    "PCResult",
    "local_score",
    "network_score",
    "hill_climb",
    "ci_test",
    "pc",
    "dag_to_cpdag",
    "shd",
    "is_dag",
]

SCORES = ("bic", "bdeu", "k2", "loglik")
TESTS = ("g2", "chi2")


class HillClimbResult(NamedTuple):
    """Result of :func:`hill_climb`.

    Attributes:
      adjacency: the learnt DAG, ``(V, V)`` int32, ``adjacency[i, j] = 1`` for ``i -> j``.
      score: its network score.
      num_iter: the number of moves applied.
    """

    adjacency: np.ndarray
    score: float
    num_iter: int


class PCResult(NamedTuple):
    """Result of :func:`pc`.

    Attributes:
      cpdag: the learnt partially directed graph, ``(V, V)`` int32 (see the module
        docstring for the encoding).
      skeleton: the learnt undirected skeleton, symmetric ``(V, V)`` int32.
      sepsets: for every pair ``frozenset({i, j})`` found independent, the conditioning
        set (sorted tuple) that separated it.
    """

    cpdag: np.ndarray
    skeleton: np.ndarray
    sepsets: dict[frozenset[int], tuple[int, ...]]


# --- validation ------------------------------------------------------------------------


def _check_data(data: Any, cards: Any) -> tuple[jax.Array, tuple[int, ...]]:
    """``data`` as an ``(N, V)`` int array with states in range, ``cards`` as ints."""
    if np.ndim(cards) != 1:
        raise ValueError(f"cards must be a sequence of ints (one per column), got {cards!r}")
    cards = tuple(check_int(c, f"cards[{v}]", minimum=1) for v, c in enumerate(cards))
    data = check_array(data, "data", ndim=2, dtype_kind="i")
    if data.shape[1] != len(cards):
        raise ValueError(f"cards must have one entry per column of data ({data.shape[1]}), "
                         f"got {len(cards)}")
    names = tuple(f"variable {v}" for v in range(len(cards)))
    return _check_states(data, names, cards, "data"), cards


def _check_variable(v: Any, name: str, num_variables: int) -> int:
    v = check_int(v, name)
    if not 0 <= v < num_variables:
        raise ValueError(f"{name} must be a variable index in [0, {num_variables}), got {v}")
    return v


def _check_variable_set(vs: Any, name: str, num_variables: int,
                        excluded: Sequence[int]) -> tuple[int, ...]:
    """Distinct variable indices, none of them in ``excluded``."""
    vs = tuple(_check_variable(v, f"{name}[{i}]", num_variables) for i, v in enumerate(vs))
    if len(set(vs)) != len(vs):
        raise ValueError(f"{name} must not repeat a variable, got {vs}")
    if set(vs) & set(excluded):
        raise ValueError(f"{name} must not contain {tuple(excluded)}, got {vs}")
    return vs


def _check_matrix(a: Any, name: str, num_nodes: int | None = None) -> np.ndarray:
    """A square 0/1 matrix (of side ``num_nodes`` if given) as int32."""
    a = np.asarray(check_array(a, name, ndim=2))
    if a.shape[0] != a.shape[1] or (num_nodes is not None and a.shape[0] != num_nodes):
        side = "square" if num_nodes is None else f"of shape ({num_nodes}, {num_nodes})"
        raise ValueError(f"{name} must be a {side} adjacency matrix, got shape {a.shape}")
    if not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1")
    return a.astype(np.int32)


def _check_dag(a: Any, name: str, num_nodes: int | None = None) -> np.ndarray:
    a = _check_matrix(a, name, num_nodes)
    if not _acyclic(a):
        raise ValueError(f"{name} must be a directed acyclic graph (no self-loops, no cycles)")
    return a


def _check_no_loops(a: np.ndarray, name: str) -> np.ndarray:
    if np.diagonal(a).any():
        raise ValueError(f"{name} must have a zero diagonal (no self-loops)")
    return a


# --- graphs ----------------------------------------------------------------------------


def _acyclic(a: np.ndarray) -> bool:
    if np.diagonal(a).any():
        return False
    try:
        topological_sort(a.shape[0], np.argwhere(a).astype(np.int64).reshape(-1, 2))
    except ValueError:
        return False
    return True


def is_dag(adjacency: Any) -> bool:
    """Whether a square 0/1 matrix is a DAG: no self-loop and no directed cycle (an
    undirected CPDAG edge, both entries 1, is a 2-cycle, so a CPDAG with one is not)."""
    return _acyclic(_check_matrix(adjacency, "adjacency"))


def _parents(adjacency: np.ndarray, v: int) -> tuple[int, ...]:
    return tuple(int(p) for p in np.flatnonzero(adjacency[:, v]))


def _reachability(adjacency: np.ndarray) -> np.ndarray:
    """``R[a, b]`` is True iff a directed path of one or more edges leads from a to b
    (transitive closure by repeated squaring)."""
    reach = adjacency.astype(bool)
    while True:
        longer = reach | ((reach.astype(np.int64) @ reach.astype(np.int64)) > 0)
        if (longer == reach).all():
            return reach
        reach = longer


def shd(a: Any, b: Any) -> int:
    """Structural Hamming distance between two graphs on the same nodes.

    Each unordered pair ``{i, j}`` has one of four statuses: no edge, ``i -> j``,
    ``j -> i`` or undirected ``i - j``. The SHD is the number of pairs whose status
    differs, so a missing, an extra, a reversed edge, and a directed-versus-undirected
    edge each count 1 (the convention of Tsamardinos, Brown & Aliferis 2006 for CPDAGs,
    with a reversal counted once). Works for DAGs, CPDAGs and mixtures.

    Args:
      a, b: ``(V, V)`` 0/1 matrices with a zero diagonal.
    """
    a = _check_no_loops(_check_matrix(a, "a"), "a")
    b = _check_no_loops(_check_matrix(b, "b", a.shape[0]), "b")
    status_a, status_b = a + 2 * a.T, b + 2 * b.T
    return int(np.triu(status_a != status_b, k=1).sum())


# --- scores ----------------------------------------------------------------------------


def _family_table(data: jax.Array, cards: tuple[int, ...], child: int,
                  parents: tuple[int, ...]) -> np.ndarray:
    """:math:`N_{uk}` as a float64 ``(q, r)`` table (parent configurations flattened)."""
    counts = family_counts(data, cards, child, parents)
    return np.asarray(counts, np.float64).reshape(-1, cards[child])


def _log_likelihood(counts: np.ndarray) -> float:
    """:math:`\\sum_{uk} N_{uk}\\log N_{uk} - \\sum_u N_u \\log N_u`."""
    totals = counts.sum(axis=1)
    return float(special.xlogy(counts, counts).sum() - special.xlogy(totals, totals).sum())


def _dirichlet_log_marginal(counts: np.ndarray, a: float) -> float:
    """Log marginal likelihood of the table under Dirichlet(a, ..., a) rows."""
    r = counts.shape[1]
    totals = counts.sum(axis=1)
    rows = special.gammaln(r * a) - special.gammaln(totals + r * a)
    cells = special.gammaln(counts + a) - special.gammaln(a)
    return float(rows.sum() + cells.sum())


def _score_table(counts: np.ndarray, score: str, equivalent_sample_size: float) -> float:
    q, r = counts.shape
    if score == "loglik":
        return _log_likelihood(counts)
    if score == "bic":
        return _log_likelihood(counts) - 0.5 * np.log(counts.sum()) * q * (r - 1)
    if score == "k2":
        return _dirichlet_log_marginal(counts, 1.0)
    return _dirichlet_log_marginal(counts, equivalent_sample_size / (q * r))


class _LocalScores:
    """Local scores of families, cached by (child, sorted parents)."""

    def __init__(self, data: jax.Array, cards: tuple[int, ...], score: str,
                 equivalent_sample_size: Any):
        self.data, self.cards = data, cards
        self.score = check_option(score, "score", SCORES)
        check_positive(equivalent_sample_size, "equivalent_sample_size")
        self.ess = float(equivalent_sample_size)
        self.cache: dict[tuple[int, tuple[int, ...]], float] = {}

    def __call__(self, child: int, parents: Sequence[int]) -> float:
        key = (child, tuple(sorted(parents)))
        if key not in self.cache:
            table = _family_table(self.data, self.cards, child, key[1])
            self.cache[key] = _score_table(table, self.score, self.ess)
        return self.cache[key]

    def network(self, adjacency: np.ndarray) -> float:
        return float(sum(self(v, _parents(adjacency, v)) for v in range(len(self.cards))))


def local_score(data: Any, cards: Sequence[int], child: int, parents: Sequence[int] = (),
                score: str = "bic", equivalent_sample_size: Any = 10.0) -> float:
    """The score of one family ``parents -> child`` (formulas in the module docstring).

    Args:
      data: ``(N, V)`` integer states, column ``v`` in ``[0, cards[v])``.
      cards: number of states of each variable.
      child: the child's column.
      parents: distinct parent columns, not containing ``child``.
      score: one of :data:`SCORES`.
      equivalent_sample_size: BDeu's ESS, ``> 0`` (ignored by the other scores).

    BIC, BDeu and the log-likelihood equal pgmpy 1.1's ``BIC``, ``BDeu`` and
    ``LogLikelihood`` (given the full state lists); its ``K2`` is larger by
    :math:`\\log\\Gamma(r)` per parent configuration absent from the data, which it adds
    to the prior term but not to the data term.

    Raises:
      ValueError: bad shapes, states out of range, an unknown score, a non-positive ESS.
    """
    data, cards = _check_data(data, cards)
    child = _check_variable(child, "child", len(cards))
    parents = _check_variable_set(parents, "parents", len(cards), (child,))
    return _LocalScores(data, cards, score, equivalent_sample_size)(child, parents)


def network_score(data: Any, cards: Sequence[int], adjacency: Any, score: str = "bic",
                  equivalent_sample_size: Any = 10.0) -> float:
    """The sum of :func:`local_score` over the families of the DAG ``adjacency``.

    Raises:
      ValueError: as :func:`local_score`, or ``adjacency`` not a ``(V, V)`` DAG.
    """
    data, cards = _check_data(data, cards)
    adjacency = _check_dag(adjacency, "adjacency", len(cards))
    return _LocalScores(data, cards, score, equivalent_sample_size).network(adjacency)


# --- hill climbing ---------------------------------------------------------------------


def _legal_moves(adjacency: np.ndarray, max_indegree: int):
    """Moves ``(kind, i, j)`` that keep the graph acyclic and within ``max_indegree``:
    ``("add", i, j)`` adds ``i -> j``; ``("delete", i, j)`` and ``("reverse", i, j)``
    act on an existing ``i -> j``. Adding ``i -> j`` is acyclic iff no path leads from
    ``j`` to ``i``; reversing it iff no path other than the edge leads from ``i`` to
    ``j``, i.e. no other child of ``i`` reaches ``j``."""
    reach = _reachability(adjacency)
    indegree = adjacency.sum(axis=0)
    for i in range(len(adjacency)):
        for j in range(len(adjacency)):
            if i == j:
                continue
            if adjacency[i, j]:
                yield ("delete", i, j)
                others = [c for c in np.flatnonzero(adjacency[i]) if c != j]
                if indegree[i] < max_indegree and not reach[others, j].any():
                    yield ("reverse", i, j)
            elif not adjacency[j, i] and indegree[j] < max_indegree and not reach[j, i]:
                yield ("add", i, j)


def _changed_families(adjacency: np.ndarray, move: tuple[str, int, int]
                      ) -> dict[int, tuple[int, ...]]:
    """``{child: new parents}`` for the families a move changes."""
    kind, i, j = move
    without_i = tuple(p for p in _parents(adjacency, j) if p != i)
    if kind == "add":
        return {j: without_i + (i,)}
    if kind == "delete":
        return {j: without_i}
    return {j: without_i, i: _parents(adjacency, i) + (j,)}


def _inverse(move: tuple[str, int, int]) -> tuple[str, int, int]:
    kind, i, j = move
    return {"add": ("delete", i, j), "delete": ("add", i, j), "reverse": ("reverse", j, i)}[kind]


def _best_move(adjacency: np.ndarray, scores: _LocalScores, tabu: deque, max_indegree: int):
    """The non-tabu legal move with the largest score gain (the first in
    :func:`_legal_moves`' order among ties) and its gain; ``(None, -inf)`` if none."""
    best, best_gain = None, -np.inf
    for move in _legal_moves(adjacency, max_indegree):
        if move in tabu:
            continue
        families = _changed_families(adjacency, move)
        gain = sum(scores(v, new) - scores(v, _parents(adjacency, v))
                   for v, new in families.items())
        if gain > best_gain:
            best, best_gain = (move, families), gain
    return best, best_gain


def hill_climb(data: Any, cards: Sequence[int], score: str = "bic",
               max_indegree: int | None = None, tabu_length: int = 100,
               max_iter: int = 1_000_000, start: Any = None,
               equivalent_sample_size: Any = 10.0, epsilon: Any = 1e-4,
               restarts: int = 0, perturb: int = 3, key: Any = None) -> HillClimbResult:
    """Greedy hill climbing over DAGs with a tabu list (Koller & Friedman 2009, §18.4.3).

    Each iteration evaluates every legal move — add ``i -> j``, delete or reverse an
    existing edge — whose result is acyclic, respects ``max_indegree`` and is not in the
    tabu list; the gain of a move is the change of the one (add, delete) or two
    (reverse) local scores it touches, so the decomposable score is never recomputed
    in full, and local scores are cached per family. The best move is applied and its
    inverse (delete for add, add for delete, the opposite reversal) enters the tabu list
    of the ``tabu_length`` most recent moves. The search stops when the best gain is
    below ``epsilon``, no move is legal, or after ``max_iter`` moves. Ties go to the
    first move in the order (i, j) row-major, so the search is deterministic.

    Greedy search stops at a local optimum; with ``restarts > 0`` (random restarts with
    perturbation, as bnlearn's ``hc``) the best DAG so far is perturbed by ``perturb``
    random legal moves and climbed again from there, ``restarts`` times, keeping the
    best-scoring result (drawn from ``key``).

    Args:
      data: ``(N, V)`` integer states, column ``v`` in ``[0, cards[v])``.
      cards: number of states of each variable.
      score: one of :data:`SCORES`.
      max_indegree: the most parents a node may have (``None``: no limit).
      tabu_length: length of the tabu list, ``>= 0``.
      max_iter: the most moves, ``>= 0``.
      start: the initial DAG as a ``(V, V)`` 0/1 matrix (default: no edges).
      equivalent_sample_size: BDeu's ESS, ``> 0``.
      epsilon: the smallest gain that counts as an improvement, ``>= 0``.
      restarts: the number of perturbed restarts, ``>= 0``.
      perturb: random moves applied before each restart, ``>= 1``.
      key: PRNG key (or int seed) of the perturbations; needed when ``restarts > 0``.

    Returns:
      :class:`HillClimbResult` (``num_iter`` counts the moves of every climb).

    Raises:
      ValueError: bad data or cards, an unknown score, a cyclic or wrongly shaped
        ``start``, a ``start`` with more parents than ``max_indegree``, a negative
        ``max_indegree``, ``tabu_length``, ``max_iter`` or ``epsilon``.
    """
    data, cards = _check_data(data, cards)
    scores = _LocalScores(data, cards, score, equivalent_sample_size)
    num_variables = len(cards)
    max_indegree = (num_variables if max_indegree is None
                    else check_int(max_indegree, "max_indegree", minimum=0))
    tabu = deque(maxlen=check_int(tabu_length, "tabu_length", minimum=0))
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    epsilon = float(check_positive(epsilon, "epsilon", strict=False))
    if start is None:
        adjacency = np.zeros((num_variables, num_variables), np.int32)
    else:
        adjacency = _check_dag(start, "start", num_variables)
        if adjacency.sum(axis=0).max() > max_indegree:
            raise ValueError(f"start has a node with more than max_indegree={max_indegree} "
                             "parents")
    restarts = check_int(restarts, "restarts", minimum=0)
    perturb = check_int(perturb, "perturb", minimum=1)
    if restarts and key is None:
        raise ValueError("key is needed for restarts > 0 (the perturbations are random)")
    adjacency, num_iter = _climb(adjacency, scores, tabu, max_indegree, max_iter, epsilon)
    best_score = scores.network(adjacency)
    keys = jax.random.split(as_key(key), restarts) if restarts else []
    for restart_key in keys:
        candidate = adjacency.copy()
        for move_key in jax.random.split(restart_key, perturb):
            moves = list(_legal_moves(candidate, max_indegree))
            if moves:
                pick = int(jax.random.randint(move_key, (), 0, len(moves)))
                _apply(candidate, _changed_families(candidate, moves[pick]))
        tabu.clear()
        candidate, climbed = _climb(candidate, scores, tabu, max_indegree, max_iter, epsilon)
        num_iter += climbed
        if scores.network(candidate) > best_score + epsilon:
            adjacency, best_score = candidate, scores.network(candidate)
    return HillClimbResult(adjacency=adjacency, score=best_score, num_iter=num_iter)


def _apply(adjacency: np.ndarray, families: dict[int, tuple[int, ...]]) -> None:
    """Give each ``child`` in ``families`` its new parents, in place."""
    for v, new_parents in families.items():
        adjacency[:, v] = 0
        adjacency[list(new_parents), v] = 1


def _climb(adjacency: np.ndarray, scores: _LocalScores, tabu: deque, max_indegree: int,
           max_iter: int, epsilon: float) -> tuple[np.ndarray, int]:
    """Apply the best non-tabu move while it gains at least ``epsilon`` (at most
    ``max_iter`` moves); returns the DAG (``adjacency`` changed in place) and the count."""
    num_iter = 0
    while num_iter < max_iter:
        best, gain = _best_move(adjacency, scores, tabu, max_indegree)
        if best is None or gain < epsilon:
            break
        move, families = best
        _apply(adjacency, families)
        tabu.append(_inverse(move))
        num_iter += 1
    return adjacency, num_iter


# --- conditional independence tests and PC ---------------------------------------------


def _ci_statistic(data: jax.Array, cards: tuple[int, ...], x: int, y: int,
                  z: tuple[int, ...], test: str) -> tuple[float, int, float]:
    """G² or χ² summed over the strata of ``z``, with sparse degrees of freedom."""
    table = np.asarray(family_counts(data, cards, y, z + (x,)), np.float64)
    table = table.reshape(-1, cards[x], cards[y])
    rows = table.sum(axis=2, keepdims=True)
    cols = table.sum(axis=1, keepdims=True)
    sizes = rows.sum(axis=1, keepdims=True)
    expected = rows * cols / np.where(sizes > 0, sizes, 1.0)
    safe = np.where(expected > 0, expected, 1.0)
    if test == "g2":
        statistic = 2.0 * special.xlogy(table, table / safe).sum()
    else:
        statistic = np.where(expected > 0, (table - expected) ** 2 / safe, 0.0).sum()
    active_rows = (rows[:, :, 0] > 0).sum(axis=1)
    active_cols = (cols[:, 0, :] > 0).sum(axis=1)
    dof = int((np.maximum(active_rows - 1, 0) * np.maximum(active_cols - 1, 0)).sum())
    p_value = float(stats.chi2.sf(statistic, dof)) if dof > 0 else 1.0
    return float(statistic), dof, p_value


def ci_test(data: Any, cards: Sequence[int], x: int, y: int, z: Sequence[int] = (),
            test: str = "g2") -> tuple[float, int, float]:
    """Test :math:`X \\perp Y \\mid Z` on the stratified contingency table.

    For each configuration ``z`` of ``Z`` (a stratum) with counts :math:`O_{ij}` and
    expected counts under independence :math:`E_{ij} = O_{i+} O_{+j} / O_{++}`,

    .. math::

        G^2 = 2 \\sum_{z,i,j} O_{ij} \\log\\frac{O_{ij}}{E_{ij}}, \\qquad
        \\chi^2 = \\sum_{z,i,j} \\frac{(O_{ij} - E_{ij})^2}{E_{ij}},

    both asymptotically :math:`\\chi^2_\\nu` under the null (Agresti 2002, §3.2;
    Spirtes et al. 2000, §5.4.2). No continuity correction is applied.

    Degrees of freedom: :math:`\\nu = \\sum_z (a_z - 1)^+ (b_z - 1)^+` with :math:`a_z,
    b_z` the numbers of states of X and Y that occur in stratum ``z``. This is the
    textbook :math:`(r_X - 1)(r_Y - 1)\\prod r_Z` when every state occurs in every
    stratum and drops the empty rows, columns and strata otherwise (the sparse
    adjustment that pgmpy's tests and bnlearn's ``*-adf`` tests make; it keeps the test
    from accepting independence merely because most strata are empty). When
    :math:`\\nu = 0` the statistic is identically zero and the p-value is 1 (no evidence
    against independence). pgmpy's tests also apply Yates' continuity correction to
    strata whose active table is 2 x 2; these do not.

    Args:
      data: ``(N, V)`` integer states.
      cards: number of states of each variable.
      x, y: the two variables tested.
      z: the conditioning set (distinct, without ``x`` and ``y``).
      test: ``"g2"`` (likelihood ratio) or ``"chi2"`` (Pearson).

    Returns:
      ``(statistic, dof, p_value)``.
    """
    data, cards = _check_data(data, cards)
    x = _check_variable(x, "x", len(cards))
    y = _check_variable(y, "y", len(cards))
    if x == y:
        raise ValueError(f"x and y must be different variables, got {x} twice")
    z = _check_variable_set(z, "z", len(cards), (x, y))
    return _ci_statistic(data, cards, x, y, z, check_option(test, "test", TESTS))


def _pc_skeleton(data: jax.Array, cards: tuple[int, ...], alpha: float, test: str,
                 max_cond_size: int) -> tuple[np.ndarray, dict[frozenset[int], tuple[int, ...]]]:
    """PC-stable adjacency search (Colombo & Maathuis 2014, Algorithm 4.1).

    At level ``l`` every adjacent pair ``(i, j)`` is tested given each ``l``-subset of
    ``i``'s neighbours other than ``j``, the neighbourhoods being frozen at the start of
    the level; the first independence (p-value ``> alpha``) removes the edge and records
    the separating set. Freezing makes the skeleton independent of the variable order.
    A test with zero degrees of freedom (``x`` or ``y`` constant within every stratum,
    e.g. ``x`` a deterministic function of the conditioning set) carries no information
    and never removes an edge (pgmpy's PC makes the same choice).
    """
    num_variables = len(cards)
    adjacent = ~np.eye(num_variables, dtype=bool)
    sepsets: dict[frozenset[int], tuple[int, ...]] = {}
    for level in range(max_cond_size + 1):
        neighbours = [np.flatnonzero(adjacent[i]) for i in range(num_variables)]
        if all(len(nb) - 1 < level for nb in neighbours):
            break
        for i in range(num_variables):
            for j in neighbours[i]:
                if not adjacent[i, j]:
                    continue
                others = [int(k) for k in neighbours[i] if k != j]
                for cond in combinations(others, level):
                    _, dof, p_value = _ci_statistic(data, cards, i, int(j), cond, test)
                    if dof > 0 and p_value > alpha:
                        adjacent[i, j] = adjacent[j, i] = False
                        sepsets[frozenset((i, int(j)))] = cond
                        break
    return adjacent.astype(np.int32), sepsets


def _orient(pdag: np.ndarray, a: int, b: int) -> None:
    """Orient ``a - b`` as ``a -> b``; an edge already directed is left as it is."""
    if pdag[a, b] and pdag[b, a]:
        pdag[b, a] = 0


def _meek_orients(pdag: np.ndarray, a: int, b: int) -> bool:
    """Whether one of Meek's rules orients the undirected edge ``a - b`` as ``a -> b``.

    * R1: some ``c -> a`` with ``c`` and ``b`` non-adjacent (else a new v-structure);
    * R2: some ``a -> c -> b`` (else a cycle);
    * R3: two non-adjacent ``c, d`` with ``a - c -> b`` and ``a - d -> b`` (else the
      v-structure ``c -> b <- d`` together with either orientation of the ``a``-edges
      forces a cycle or a new v-structure).
    """
    directed = (pdag == 1) & (pdag.T == 0)
    undirected = (pdag == 1) & (pdag.T == 1)
    adjacent = (pdag == 1) | (pdag.T == 1)
    if (directed[:, a] & ~adjacent[:, b]).any():
        return True
    if (directed[a] & directed[:, b]).any():
        return True
    middles = np.flatnonzero(undirected[a] & directed[:, b])
    return any(not adjacent[c, d] for c, d in combinations(middles, 2))


def _apply_meek_rules(pdag: np.ndarray) -> np.ndarray:
    """Orient undirected edges by R1–R3 until none applies (Meek 1995: starting from a
    DAG's skeleton and v-structures this yields its CPDAG; R4 is only needed with
    background knowledge)."""
    changed = True
    while changed:
        changed = False
        for a, b in np.argwhere((pdag == 1) & (pdag.T == 1)):
            if pdag[a, b] and pdag[b, a] and _meek_orients(pdag, a, b):
                pdag[b, a] = 0
                changed = True
    return pdag


def pc(data: Any, cards: Sequence[int], alpha: Any = 0.01, test: str = "g2",
       max_cond_size: int | None = None) -> PCResult:
    """The PC algorithm (Spirtes, Glymour & Scheines 2000) in its stable form.

    1. Skeleton: PC-stable adjacency search with :func:`ci_test` at level ``alpha``
       (Colombo & Maathuis 2014), conditioning sets of size at most ``max_cond_size``;
       an edge is removed when some test has ``p > alpha`` and at least one degree of
       freedom (a zero-dof test, as with a node that its conditioning set determines,
       is uninformative and ignored).
    2. V-structures: every unshielded triple ``i - k - j`` (``i, j`` non-adjacent) with
       ``k`` not in ``sepset(i, j)`` becomes ``i -> k <- j``. Triples are visited by
       ``k``, then ``(i, j)`` in lexicographic order; when two v-structures disagree on an
       edge the first orientation is kept (no bidirected edges are produced).
    3. Meek's rules R1–R3 until no edge changes.

    Args:
      data: ``(N, V)`` integer states.
      cards: number of states of each variable.
      alpha: significance level in (0, 1); a pair is independent when ``p > alpha``.
      test: ``"g2"`` or ``"chi2"`` (see :func:`ci_test`).
      max_cond_size: largest conditioning set (default ``V - 2``, no limit).

    Returns:
      :class:`PCResult`.
    """
    data, cards = _check_data(data, cards)
    check_range(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    test = check_option(test, "test", TESTS)
    max_cond_size = (max(len(cards) - 2, 0) if max_cond_size is None
                     else check_int(max_cond_size, "max_cond_size", minimum=0))
    skeleton, sepsets = _pc_skeleton(data, cards, float(alpha), test, max_cond_size)
    pdag = skeleton.copy()
    for k in range(len(cards)):
        for i, j in combinations(np.flatnonzero(skeleton[k]), 2):
            if not skeleton[i, j] and k not in sepsets[frozenset((int(i), int(j)))]:
                _orient(pdag, i, k)
                _orient(pdag, j, k)
    return PCResult(cpdag=_apply_meek_rules(pdag), skeleton=skeleton, sepsets=sepsets)


def dag_to_cpdag(adjacency: Any) -> np.ndarray:
    """The CPDAG (essential graph) of a DAG's Markov equivalence class.

    Two DAGs are Markov equivalent iff they have the same skeleton and the same
    v-structures ``i -> k <- j`` with ``i, j`` non-adjacent (Verma & Pearl 1990). The
    CPDAG keeps an edge directed iff every member of the class orients it the same way
    (a compelled edge, Chickering 1995): the v-structure edges plus those Meek's rules
    R1–R3 then orient (Meek 1995); all other edges are undirected.

    Args:
      adjacency: a ``(V, V)`` 0/1 DAG.

    Returns:
      ``(V, V)`` int32 CPDAG.
    """
    dag = _check_dag(adjacency, "adjacency")
    pdag = dag | dag.T
    for k in range(len(dag)):
        for i, j in combinations(np.flatnonzero(dag[:, k]), 2):
            if not pdag[i, j]:
                pdag[k, i] = pdag[k, j] = 0
    return _apply_meek_rules(pdag)
