r"""Exact inference, interventions and d-separation in discrete Bayesian networks.

Networks are :class:`jaxml.bayes.bayesnet.BayesNet`: CPT ``cpts[v]`` of shape
``(cards of parents[v]) + (cards[v],)``. Everything here is in log space, so zero
probabilities (deterministic nodes such as Asia's ``either``) are ``-inf``, never NaN.
(Koller & Friedman, *Probabilistic Graphical Models*, 2009, ch. 3, 9, 13, 21; Pearl,
*Causality*, 2nd ed. 2009, ch. 1, 3; Darwiche, *Modeling and Reasoning with Bayesian
Networks*, 2009, ch. 6.)

**Factors.** A :class:`Factor` is a scope (variable indices) and a log table with one axis
per scope variable. Variable ``v``'s CPT is the factor
:math:`\phi_v(x_{\mathrm{pa}(v)}, x_v) = \log p(x_v \mid x_{\mathrm{pa}(v)})`, and

.. math::

    \log p(x) = \sum_v \phi_v, \qquad
    (\phi \cdot \psi)(x_{S\cup T}) = \phi(x_S) + \psi(x_T), \qquad
    \Big(\sum_{x_w} \phi\Big)(x_{S\setminus w}) = \operatorname{LSE}_{x_w} \phi(x_S),

the max-marginal using ``max`` for ``LSE``; *reducing* by evidence :math:`x_w = e`
slices the table at ``e`` and drops the axis (:func:`factor_product`,
:func:`factor_marginalize`, :func:`factor_reduce`).

**Queries.** :func:`query` returns :math:`p(x_Q \mid x_E = e)` (the joint table over the
query variables, in the order asked) by

* ``method="enumeration"``: the dense log joint of all :math:`\prod_v K_v` states
  (:func:`joint_log_table`), sliced at the evidence and log-sum-exp'ed over the rest;
* ``method="ve"``: variable elimination (Zhang & Poole 1994). Barren variables (neither
  query, evidence nor an ancestor of one) sum to one and are dropped first; the CPT factors
  are reduced by the evidence; every other hidden variable :math:`w` is eliminated in turn,
  replacing the factors that mention it by :math:`\sum_{x_w}\prod \phi`; the remaining
  factors multiply to :math:`p(x_Q, e)`, normalised by :math:`p(e) = \sum_{x_Q} p(x_Q, e)`
  (:func:`log_evidence`). The order is greedy on the interaction graph of the factors
  (an edge between two variables that share a factor; for the CPTs, the moral graph):
  at each step the variable whose elimination adds the fewest fill edges (``"min_fill"``)
  or has the fewest neighbours (``"min_degree"``), ties to the smallest index
  (:func:`elimination_order`). The cost is exponential in the induced width of the order
  only, not in the number of variables.

:func:`map_query` is max-product elimination: hidden variables are summed out first,
then the MAP variables maxed out, and a traceback through the stored max-factors decodes
:math:`\arg\max_{x_Q} p(x_Q, e)` (the MPE when ``Q`` is every unobserved variable; the
marginal MAP otherwise, exact because all sums are done inside the max).

**Interventions.** :func:`intervene` performs Pearl's graph surgery for
:math:`\mathrm{do}(X = x^*)`: ``X`` loses its parents and its CPT becomes the point mass
at :math:`x^*`, which is the *truncated factorisation*

.. math::

    p(x \mid \mathrm{do}(X = x^*)) = \mathbb 1[x_X = x^*]
        \prod_{v \ne X} p(x_v \mid x_{\mathrm{pa}(v)});

``query(..., do={...})`` queries the mutilated network. With a set ``Z`` satisfying the
backdoor criterion (e.g. ``Z = pa(X)``) this equals the adjustment formula
:math:`p(y \mid \mathrm{do}(x)) = \sum_z p(y \mid x, z)\, p(z)`, which is in general
different from the observational :math:`p(y \mid x)`.

**d-separation.** :func:`d_separated` decides whether ``X`` and ``Y`` are d-separated by
``Z`` with the ancestral moral graph criterion (Lauritzen et al. 1990): restrict the DAG
to the ancestors of :math:`X\cup Y\cup Z`, marry co-parents and drop directions, delete
``Z``; ``X`` and ``Y`` are d-separated iff no path joins them. d-separation implies
:math:`X \perp Y \mid Z` in every distribution that factorises over the DAG.

Variables are given by name or index everywhere; states are integers ``0 .. K-1``.
The query functions are jittable in the CPTs (``jax.jit(lambda net: query(net, ...))``):
the graph, the variables and the evidence are static Python values. The
zero-probability-evidence check runs only outside ``jit``.

Usage::

    from jaxml.bayes import bayesnet, bn_inference as bni
    net = bayesnet.sprinkler()
    bni.query(net, "rain", {"wet_grass": 1})                     # (2,), p(rain | wet)
    bni.query(net, ["sprinkler", "rain"], {"wet_grass": 1})       # (2, 2) joint posterior
    bni.query(net, "wet_grass", do={"sprinkler": 1})              # p(wet | do(sprinkler=1))
    bni.map_query(net, evidence={"wet_grass": 1})                 # MPE states, log p(x*, e)
    bni.d_separated(net, "sprinkler", "rain", ["cloudy"])         # True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.bayes.bayesnet import BayesNet, variable_index
from jaxml.core import check_int, check_option, is_traced
from jaxml.core.pytree import pytree_dataclass, static_field
from jaxml.math.algorithms import bfs

__all__ = [
    "Factor",
    "MAPResult",
    "DEFAULT_MAX_STATES",
    "HEURISTICS",
    "cpt_factors",
    "factor_product",
    "factor_marginalize",
    "factor_reduce",
    "joint_log_table",
    "elimination_order",
    "induced_width",
    "query",
    "log_evidence",
    "map_query",
    "intervene",
    "ancestors",
    "moral_graph",
    "d_separated",
]

DEFAULT_MAX_STATES = 2**20
"""Largest joint state space :func:`joint_log_table` (enumeration) builds by default."""

HEURISTICS = ("min_fill", "min_degree")
METHODS = ("ve", "enumeration")


@pytree_dataclass
class Factor:
    """A log-space factor: ``log_table`` has one axis per variable of ``variables``.

    Attributes:
      log_table: array of shape ``(cards[v] for v in variables)``; ``-inf`` is a zero.
      variables: the scope, distinct variable indices (static).
    """

    log_table: jax.Array
    variables: tuple[int, ...] = static_field()


class MAPResult(NamedTuple):
    """Result of :func:`map_query`.

    Attributes:
      variables: the MAP variables' indices, in the order of ``states``.
      states: ``(len(variables),)`` int32, :math:`\\arg\\max_{x_Q} p(x_Q, e)`.
      log_prob: :math:`\\max_{x_Q} \\log p(x_Q, e)` (joint with the evidence; subtract
        :func:`log_evidence` for the log posterior of the MAP state).
    """

    variables: tuple[int, ...]
    states: jax.Array
    log_prob: jax.Array


# --- factor algebra -------------------------------------------------------------------


def cpt_factors(net: BayesNet, variables: Sequence[int] | None = None) -> list[Factor]:
    """The CPTs as log factors over ``parents[v] + (v,)`` (all variables by default)."""
    vs = range(net.num_variables) if variables is None else variables
    return [Factor(jnp.log(net.cpts[v]), tuple(net.parents[v]) + (v,)) for v in vs]


def _aligned(f: Factor, scope: tuple[int, ...]) -> jax.Array:
    """``f``'s table transposed to ``scope``'s order, with size-1 axes where absent."""
    present = [v for v in scope if v in f.variables]
    table = jnp.transpose(f.log_table, [f.variables.index(v) for v in present])
    return table.reshape([table.shape[present.index(v)] if v in f.variables else 1
                          for v in scope])


def factor_product(*factors: Factor) -> Factor:
    """:math:`\\prod_f \\phi_f` (a sum of log tables); the scope lists the first factor's
    variables, then each new variable in order of appearance."""
    if not factors:
        raise ValueError("factor_product needs at least one factor")
    scope: list[int] = []
    for f in factors:
        scope += [v for v in f.variables if v not in scope]
    scope_t = tuple(scope)
    total = _aligned(factors[0], scope_t)
    for f in factors[1:]:
        total = total + _aligned(f, scope_t)  # broadcasts to the union's full shape
    return Factor(total, scope_t)


def factor_marginalize(f: Factor, variables: Sequence[int], *, op: str = "sum") -> Factor:
    """Sum out (log-sum-exp, ``op="sum"``) or max out (``op="max"``) ``variables``."""
    check_option(op, "op", ("sum", "max"))
    missing = [v for v in variables if v not in f.variables]
    if missing:
        raise ValueError(f"variables {missing} are not in the factor's scope {f.variables}")
    axes = tuple(f.variables.index(v) for v in variables)
    table = _reduce_axes(f.log_table, axes, op) if axes else f.log_table
    return Factor(table, tuple(v for v in f.variables if v not in variables))


@functools.partial(jax.jit, static_argnums=(1, 2))
def _reduce_axes(table: jax.Array, axes: tuple[int, ...], op: str) -> jax.Array:
    # one small compiled kernel per (shape, axes) instead of one per primitive inside
    # logsumexp, which is what op-by-op queries spend their time on
    return jax.nn.logsumexp(table, axis=axes) if op == "sum" else jnp.max(table, axis=axes)


def factor_reduce(f: Factor, evidence: Mapping[int, int]) -> Factor:
    """Slice ``f`` at the observed states of the evidence variables in its scope."""
    index = tuple(int(evidence[v]) if v in evidence else slice(None) for v in f.variables)
    return Factor(f.log_table[index], tuple(v for v in f.variables if v not in evidence))


# --- validation of variables and evidence ----------------------------------------------


def _variable_list(net: BayesNet, variables: Any, name: str) -> tuple[int, ...]:
    if variables is None:
        return ()
    if isinstance(variables, (str, int, np.integer)):
        variables = [variables]
    try:
        indices = tuple(variable_index(net, v) for v in variables)
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    if len(set(indices)) != len(indices):
        raise ValueError(f"{name} repeats a variable: {variables}")
    return indices


def _assignment(net: BayesNet, values: Any, name: str) -> dict[int, int]:
    """``{variable (name or index): state}`` → ``{index: state}``, range-checked."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise TypeError(f"{name} must be a dict {{variable: state}}, got "
                        f"{type(values).__name__}")
    out: dict[int, int] = {}
    for var, state in values.items():
        try:
            v = variable_index(net, var)
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
        if v in out:
            raise ValueError(f"{name} gives variable {net.names[v]!r} twice")
        state = check_int(state, f"{name}[{var!r}] (a state)")
        if not 0 <= state < net.cards[v]:
            raise ValueError(f"{name}[{var!r}] = {state} is out of range: "
                             f"{net.names[v]!r} has states [0, {net.cards[v]})")
        out[v] = state
    return out


def _check_net(net: Any) -> BayesNet:
    if not isinstance(net, BayesNet):
        raise TypeError(f"net must be a BayesNet (see bayesnet.bayes_net), got "
                        f"{type(net).__name__}")
    return net


# --- enumeration ----------------------------------------------------------------------


def joint_log_table(net: BayesNet, *, max_states: int = DEFAULT_MAX_STATES) -> jax.Array:
    """The dense log joint :math:`\\log p(x)`, one axis per variable (shape ``cards``).

    Raises:
      ValueError: more than ``max_states`` joint states (use ``method="ve"``).
    """
    net = _check_net(net)
    max_states = check_int(max_states, "max_states", minimum=1)
    total = math.prod(net.cards)
    if total > max_states:
        raise ValueError(f"enumeration needs prod(cards) = {total} joint states, more than "
                         f"max_states={max_states}: use method='ve'")
    return _sum_aligned(cpt_factors(net), tuple(range(net.num_variables)), net.cards)


def _sum_aligned(factors: list[Factor], scope: tuple[int, ...], cards) -> jax.Array:
    total = jnp.zeros(tuple(cards[v] for v in scope))
    for f in factors:
        total = total + _aligned(f, scope)
    return total


def _enumerate(net: BayesNet, targets: tuple[int, ...], evidence: dict[int, int],
               max_states: int) -> jax.Array:
    """Unnormalised :math:`\\log p(x_Q, e)` by slicing and summing the dense joint."""
    full = Factor(joint_log_table(net, max_states=max_states), tuple(range(net.num_variables)))
    reduced = factor_reduce(full, evidence)
    hidden = [v for v in reduced.variables if v not in targets]
    marg = factor_marginalize(reduced, hidden)
    return jnp.transpose(marg.log_table, [marg.variables.index(v) for v in targets])


# --- variable elimination -------------------------------------------------------------


def _greedy_order(scopes: Sequence[Sequence[int]], eliminate: Sequence[int],
                  heuristic: str) -> list[int]:
    """Greedy min-fill / min-degree order for ``eliminate`` on the interaction graph."""
    adj: dict[int, set[int]] = {}
    for scope in scopes:
        for v in scope:
            adj.setdefault(v, set()).update(w for w in scope if w != v)
    for v in eliminate:
        adj.setdefault(v, set())
    left, order = set(eliminate), []
    while left:
        def score(v):
            nbrs = sorted(adj[v])
            if heuristic == "min_degree":
                return len(nbrs)
            return sum(1 for i, a in enumerate(nbrs) for b in nbrs[i + 1:] if b not in adj[a])
        v = min(sorted(left), key=score)
        nbrs = adj.pop(v)
        for a in nbrs:
            adj[a].discard(v)
            adj[a].update(nbrs - {a})
        left.remove(v)
        order.append(v)
    return order


def elimination_order(net: BayesNet, eliminate: Any = None, *,
                      heuristic: str = "min_fill") -> list[int]:
    """A greedy elimination order on the moral graph of ``net``.

    Args:
      net: the network.
      eliminate: the variables to order (names or indices); all by default.
      heuristic: ``"min_fill"`` (fewest added fill edges) or ``"min_degree"`` (fewest
        neighbours), ties to the smallest index.

    Returns:
      Variable indices in elimination order.
    """
    net = _check_net(net)
    check_option(heuristic, "heuristic", HEURISTICS)
    targets = (range(net.num_variables) if eliminate is None
               else _variable_list(net, eliminate, "eliminate"))
    scopes = [tuple(net.parents[v]) + (v,) for v in range(net.num_variables)]
    return _greedy_order(scopes, list(targets), heuristic)


def induced_width(net: BayesNet, order: Sequence[Any]) -> int:
    """Width of eliminating every variable of the moral graph in ``order``: the largest
    number of neighbours a variable has when it is eliminated (the treewidth is the
    minimum over orders)."""
    net = _check_net(net)
    order = _variable_list(net, order, "order")
    if sorted(order) != list(range(net.num_variables)):
        raise ValueError("order must list every variable exactly once")
    adj = {v: set() for v in range(net.num_variables)}
    for v, ps in enumerate(net.parents):
        family = tuple(ps) + (v,)
        for a in family:
            adj[a].update(b for b in family if b != a)
    width = 0
    for v in order:
        nbrs = adj.pop(v)
        width = max(width, len(nbrs))
        for a in nbrs:
            adj[a].discard(v)
            adj[a].update(nbrs - {a})
    return width


def ancestors(net: BayesNet, variables: Any) -> set[int]:
    """``variables`` (names or indices) and all their ancestors, as indices."""
    net = _check_net(net)
    stack = list(_variable_list(net, variables, "variables"))
    seen = set(stack)
    while stack:
        for p in net.parents[stack.pop()]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def _eliminate(factors: list[Factor], order: Sequence[int], op: str,
               trace: list | None = None) -> list[Factor]:
    """Eliminate ``order`` one by one; with ``trace`` keep each pre-max product."""
    factors = list(factors)
    for v in order:
        touching = [f for f in factors if v in f.variables]
        if not touching:
            continue
        factors = [f for f in factors if v not in f.variables]
        product = factor_product(*touching)
        if trace is not None:
            trace.append((v, product))
        factors.append(factor_marginalize(product, [v], op=op))
    return factors


def _prepared(net: BayesNet, targets: tuple[int, ...], evidence: dict[int, int]):
    """Evidence-reduced CPT factors of the relevant (non-barren) variables, and the
    hidden variables to eliminate."""
    relevant = sorted(ancestors(net, list(targets) + list(evidence)))
    factors = [factor_reduce(f, evidence) for f in cpt_factors(net, relevant)]
    hidden = [v for v in relevant if v not in targets and v not in evidence]
    return factors, hidden


def _final_table(factors: list[Factor], targets: tuple[int, ...], net: BayesNet) -> jax.Array:
    """The product of the factors left after elimination (their scopes lie inside
    ``targets``), laid out in ``targets``' order."""
    return _sum_aligned(factors, targets, net.cards)


def _ve(net: BayesNet, targets: tuple[int, ...], evidence: dict[int, int],
        heuristic: str) -> jax.Array:
    """Unnormalised :math:`\\log p(x_Q, e)` by sum-product variable elimination."""
    factors, hidden = _prepared(net, targets, evidence)
    order = _greedy_order([f.variables for f in factors], hidden, heuristic)
    return _final_table(_eliminate(factors, order, "sum"), targets, net)


def _unnormalised(net, variables, evidence, do, method, heuristic, max_states):
    net = _check_net(net)
    check_option(method, "method", METHODS)
    check_option(heuristic, "heuristic", HEURISTICS)
    targets = _variable_list(net, variables, "variables")
    ev = _assignment(net, evidence, "evidence")
    if do is not None:
        net = intervene(net, do)
    both = [net.names[v] for v in targets if v in ev]
    if both:
        raise ValueError(f"variables {both} are both queried and observed (in evidence)")
    if method == "enumeration":
        table = _enumerate(net, targets, ev, max_states)
    else:
        table = _ve(net, targets, ev, heuristic)
    return table, ev


def _check_possible(log_pe: jax.Array, evidence: dict[int, int], net: BayesNet) -> None:
    if not is_traced(log_pe) and not np.isfinite(float(log_pe)):
        shown = {net.names[v]: s for v, s in evidence.items()}
        raise ValueError(f"evidence {shown} has probability zero under the network: the "
                         "posterior is undefined")


def query(net: BayesNet, variables: Any, evidence: Mapping[Any, int] | None = None, *,
          do: Mapping[Any, int] | None = None, method: str = "ve",
          heuristic: str = "min_fill", max_states: int = DEFAULT_MAX_STATES) -> jax.Array:
    """Posterior :math:`p(x_Q \\mid e)` (or :math:`p(x_Q \\mid e, \\mathrm{do}(\\cdot))`).

    Args:
      net: the network.
      variables: a query variable, or a sequence of them (names or indices).
      evidence: ``{variable: observed state}``.
      do: ``{variable: forced state}``: query the intervened network
        (:func:`intervene`) instead; evidence is then conditioned on after surgery.
      method: ``"ve"`` (variable elimination) or ``"enumeration"`` (dense joint).
      heuristic: elimination-order heuristic for VE, ``"min_fill"`` or ``"min_degree"``.
      max_states: size limit of the dense joint for enumeration.

    Returns:
      The posterior table, one axis per query variable in the order given (shape
      ``(cards[q] for q in variables)``; ``(card,)`` for a single variable), summing to 1.

    Raises:
      ValueError: an unknown variable, a state out of range, a variable both queried and
        observed, a repeated variable, evidence of probability zero, an unknown method.
    """
    single = isinstance(variables, (str, int, np.integer))
    if not single and len(variables) == 0:
        raise ValueError("variables must name at least one query variable")
    table, ev = _unnormalised(net, variables, evidence, do, method, heuristic, max_states)
    posterior, log_pe = _normalise(table)
    _check_possible(log_pe, ev, net)
    return posterior


@jax.jit
def _normalise(table: jax.Array) -> tuple[jax.Array, jax.Array]:
    log_pe = jax.nn.logsumexp(table)
    return jnp.exp(table - log_pe), log_pe


def log_evidence(net: BayesNet, evidence: Mapping[Any, int] | None = None, *,
                 do: Mapping[Any, int] | None = None, method: str = "ve",
                 heuristic: str = "min_fill",
                 max_states: int = DEFAULT_MAX_STATES) -> jax.Array:
    """:math:`\\log p(e) = \\log \\sum_{x_{-E}} p(x_{-E}, e)` (``-inf`` if impossible)."""
    table, _ = _unnormalised(net, (), evidence, do, method, heuristic, max_states)
    return jax.nn.logsumexp(table)


def map_query(net: BayesNet, variables: Any = None,
              evidence: Mapping[Any, int] | None = None, *,
              do: Mapping[Any, int] | None = None,
              heuristic: str = "min_fill") -> MAPResult:
    """MAP state :math:`\\arg\\max_{x_Q} p(x_Q, e)` by max-product variable elimination.

    Args:
      net: the network.
      variables: the MAP variables (names or indices); by default every variable not in
        the evidence (the most probable explanation, MPE).
      evidence: ``{variable: observed state}``.
      do: interventions applied first, as in :func:`query`.
      heuristic: elimination-order heuristic (applied to the sum and the max phase).

    Returns:
      :class:`MAPResult`; among ties the traceback takes the smallest state of each
      variable given the ones decoded before it.

    Raises:
      ValueError: as :func:`query`.
    """
    net = _check_net(net)
    check_option(heuristic, "heuristic", HEURISTICS)
    ev = _assignment(net, evidence, "evidence")
    if do is not None:
        net = intervene(net, do)
    if variables is None:
        targets = tuple(v for v in range(net.num_variables) if v not in ev)
    else:
        targets = _variable_list(net, variables, "variables")
    both = [net.names[v] for v in targets if v in ev]
    if both:
        raise ValueError(f"variables {both} are both MAP variables and observed")
    if not targets:
        raise ValueError("map_query needs at least one unobserved variable")
    factors, hidden = _prepared(net, targets, ev)
    factors = _eliminate(factors, _greedy_order([f.variables for f in factors], hidden,
                                                heuristic), "sum")
    trace: list[tuple[int, Factor]] = []
    max_order = _greedy_order([f.variables for f in factors], list(targets), heuristic)
    factors = _eliminate(factors, max_order, "max", trace)
    log_prob = sum((f.log_table for f in factors), jnp.zeros(()))
    _check_possible(log_prob, ev, net)
    decoded: dict[int, jax.Array] = {}
    for v, product in reversed(trace):
        index = tuple(decoded[w] if w != v else slice(None) for w in product.variables)
        decoded[v] = jnp.argmax(product.log_table[index]).astype(jnp.int32)
    states = jnp.stack([decoded.get(v, jnp.zeros((), jnp.int32)) for v in targets])
    return MAPResult(targets, states, log_prob)


# --- interventions --------------------------------------------------------------------


def intervene(net: BayesNet, interventions: Mapping[Any, int]) -> BayesNet:
    """Graph surgery for :math:`\\mathrm{do}(X = x^*)`: each intervened variable loses
    its parents and gets the point-mass CPT :math:`\\mathbb 1[x_X = x^*]`.

    Args:
      net: the network.
      interventions: ``{variable (name or index): forced state}``.

    Returns:
      The mutilated :class:`BayesNet` (same variables; fewer edges).
    """
    net = _check_net(net)
    forced = _assignment(net, interventions, "do")
    parents = list(net.parents)
    cpts = list(net.cpts)
    for v, state in forced.items():
        parents[v] = ()
        cpts[v] = jax.nn.one_hot(state, net.cards[v], dtype=jnp.asarray(net.cpts[v]).dtype)
    return BayesNet(cpts=tuple(cpts), names=net.names, cards=net.cards,
                    parents=tuple(parents))


# --- d-separation ---------------------------------------------------------------------


def moral_graph(net: BayesNet, variables: Any = None) -> list[tuple[int, int]]:
    """Undirected edges ``(a, b)``, ``a < b``, of the moral graph (parents married,
    directions dropped), optionally of the subgraph induced by ``variables``."""
    net = _check_net(net)
    keep = (set(range(net.num_variables)) if variables is None
            else set(_variable_list(net, variables, "variables")))
    edges = set()
    for v, ps in enumerate(net.parents):
        if v not in keep:
            continue
        family = [p for p in ps if p in keep] + [v]
        for i, a in enumerate(family):
            for b in family[i + 1:]:
                edges.add((min(a, b), max(a, b)))
    return sorted(edges)


def d_separated(net: BayesNet, xs: Any, ys: Any, given: Any = ()) -> bool:
    """Whether ``xs`` and ``ys`` are d-separated by ``given`` in the DAG of ``net``.

    Args:
      net: the network.
      xs, ys: a variable or a collection of variables (names or indices), non-empty.
      given: the conditioning set (may be empty).

    Returns:
      ``True`` iff every path between ``xs`` and ``ys`` is blocked by ``given``
      (ancestral moral graph criterion).

    Raises:
      ValueError: unknown variables, empty ``xs``/``ys``, or overlapping sets.
    """
    net = _check_net(net)
    X = _variable_list(net, xs, "xs")
    Y = _variable_list(net, ys, "ys")
    Z = _variable_list(net, given, "given")
    if not X or not Y:
        raise ValueError("xs and ys must each name at least one variable")
    for a, b, na, nb in ((X, Y, "xs", "ys"), (X, Z, "xs", "given"), (Y, Z, "ys", "given")):
        common = sorted(set(a) & set(b))
        if common:
            raise ValueError(f"{na} and {nb} must be disjoint; both contain "
                             f"{[net.names[v] for v in common]}")
    relevant = ancestors(net, X + Y + Z)
    edges = [(a, b) for a, b in moral_graph(net, sorted(relevant))
             if a not in Z and b not in Z]
    source = net.num_variables  # a virtual node joined to every x
    edges += [(source, x) for x in X]
    _, hops = bfs(net.num_variables + 1, np.asarray(edges, np.int64).reshape(-1, 2),
                  source)
    return not any(hops[y] >= 0 for y in Y)
