r"""Classic algorithms: graph search, shortest paths, MST, dynamic programming, greedy.

Where JAX helps and where it does not:

* **Plain Python** (with ``heapq``/``collections.deque``): BFS, DFS, Dijkstra,
  topological sort, cycle detection, Kruskal, Prim, activity selection, fractional
  knapsack and Huffman coding. These are pointer-chasing algorithms whose control flow
  depends on the data at every step (priority queues, visited sets); tracing them buys
  nothing, so they run eagerly on Python ints.
* **JAX**: Bellman–Ford (every round relaxes all edges at once with a ``segment_min``,
  ``fori_loop`` over rounds) and the dynamic programmes — edit distance, longest common
  subsequence, 0/1 knapsack and max-product (Viterbi) on a chain — each a ``lax.scan``
  over one dimension of the table with vectorised work along the other.

Graphs are given as ``num_nodes`` and an ``(m, 2)`` integer edge list (``edges[i] = (u,
v)``), plus ``(m,)`` weights where needed; ``directed`` says whether ``(u, v)`` also
means ``(v, u)``. Neighbours are visited in edge-list order (as networkx visits them in
insertion order, so traversal orders agree with it exactly).

Recurrences (Cormen et al., *Introduction to Algorithms*, 3rd ed., ch. 15-16, 22-24):

* edit distance: :math:`D_{i,j} = \min(D_{i-1,j}+1, D_{i,j-1}+1, D_{i-1,j-1} + [a_i ≠ b_j])`.
* LCS: :math:`L_{i,j} = L_{i-1,j-1}+1` if :math:`a_i = b_j`, else
  :math:`\max(L_{i-1,j}, L_{i,j-1})`.
* 0/1 knapsack: :math:`V_{i,c} = \max(V_{i-1,c},\ V_{i-1,c-w_i} + v_i)`.
* max-product on a chain: :math:`δ_t(k) = u_t(k) + \max_j (δ_{t-1}(j) + P_{jk})`
  (log space), back-pointers :math:`\arg\max_j` give the best path (Viterbi 1967).
* Bellman–Ford: :math:`d_v ← \min(d_v, \min_{(u,v)} d_u + w_{uv})`, :math:`n-1` rounds; a
  further improving round proves a negative cycle.
"""

from __future__ import annotations

import functools
import heapq
from collections import deque
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core import check_array, check_int, is_traced

__all__ = [
    "bfs",
    "dfs",
    "dijkstra",
    "bellman_ford",
    "topological_sort",
    "has_cycle",
    "kruskal",
    "prim",
    "edit_distance",
    "lcs_length",
    "knapsack_01",
    "max_product_chain",
    "activity_selection",
    "fractional_knapsack",
    "huffman_code",
    "ShortestPaths",
]


class ShortestPaths(NamedTuple):
    """Distances from the source (``inf`` if unreachable) and predecessors (-1: none)."""

    dist: Any
    pred: Any


# --------------------------------------------------------------------------- graphs


def _check_graph(num_nodes, edges, weights=None):
    num_nodes = check_int(num_nodes, "num_nodes", minimum=1)
    e = np.asarray(edges)
    if e.size == 0:
        e = e.reshape(0, 2)
    if e.ndim != 2 or e.shape[1] != 2:
        raise ValueError(f"edges must have shape (m, 2), got {e.shape}")
    if e.dtype.kind not in "iu":
        raise TypeError(f"edges must hold integer node ids, got dtype {e.dtype}")
    if e.size and (e.min() < 0 or e.max() >= num_nodes):
        raise ValueError(f"edges must hold node ids in [0, {num_nodes}), got "
                         f"[{e.min()}, {e.max()}]")
    if weights is None:
        return num_nodes, e.astype(np.int64), None
    w = np.asarray(weights, dtype=float)
    if w.shape != (e.shape[0],):
        raise ValueError(f"weights must have shape ({e.shape[0]},), got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite")
    return num_nodes, e.astype(np.int64), w


def _check_source(source, num_nodes):
    source = check_int(source, "source", minimum=0)
    if source >= num_nodes:
        raise ValueError(f"source must be < num_nodes={num_nodes}, got {source}")
    return source


def _adjacency(num_nodes, edges, weights, directed):
    """Neighbour lists in insertion order, without duplicate neighbours; of parallel
    edges the lightest is kept."""
    adj: list[dict[int, float]] = [dict() for _ in range(num_nodes)]
    ws = weights if weights is not None else np.ones(len(edges))
    for (u, v), w in zip(edges.tolist(), ws.tolist()):
        arcs = [(u, v)] if directed else [(u, v), (v, u)]
        for a, b in arcs:
            adj[a][b] = min(w, adj[a].get(b, np.inf))
    return adj


def bfs(num_nodes: int, edges, source: int, *, directed: bool = False):
    """Breadth-first search from ``source``.

    Returns:
      ``(order, hops)``: nodes in visiting order and the number of edges on a shortest
      path to each node (-1 if unreachable). :math:`O(n + m)`.
    """
    num_nodes, edges, _ = _check_graph(num_nodes, edges)
    source = _check_source(source, num_nodes)
    adj = _adjacency(num_nodes, edges, None, directed)
    hops = np.full(num_nodes, -1, dtype=np.int64)
    hops[source] = 0
    order, queue = [source], deque([source])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if hops[v] < 0:
                hops[v] = hops[u] + 1
                order.append(v)
                queue.append(v)
    return order, hops


def dfs(num_nodes: int, edges, source: int, *, directed: bool = False) -> list[int]:
    """Depth-first search from ``source``; returns the preorder.

    Iterative with a stack of neighbour iterators, so the order equals recursive DFS
    (and no recursion limit applies). :math:`O(n + m)`.
    """
    num_nodes, edges, _ = _check_graph(num_nodes, edges)
    source = _check_source(source, num_nodes)
    adj = _adjacency(num_nodes, edges, None, directed)
    seen = {source}
    order = [source]
    stack = [iter(adj[source])]
    while stack:
        for v in stack[-1]:
            if v not in seen:
                seen.add(v)
                order.append(v)
                stack.append(iter(adj[v]))
                break
        else:
            stack.pop()
    return order


def dijkstra(num_nodes: int, edges, weights, source: int, *,
             directed: bool = True) -> ShortestPaths:
    """Dijkstra's single-source shortest paths with a binary heap (weights ≥ 0).

    :math:`O((n + m) \\log n)`. Raises ``ValueError`` on a negative weight (use
    :func:`bellman_ford`).
    """
    num_nodes, edges, weights = _check_graph(num_nodes, edges, weights)
    source = _check_source(source, num_nodes)
    if np.any(weights < 0):
        raise ValueError("weights must be non-negative for Dijkstra; use bellman_ford")
    adj = _adjacency(num_nodes, edges, weights, directed)
    dist = np.full(num_nodes, np.inf)
    pred = np.full(num_nodes, -1, dtype=np.int64)
    dist[source] = 0.0
    heap = [(0.0, source)]
    done = np.zeros(num_nodes, dtype=bool)
    while heap:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        for v, w in adj[u].items():
            if d + w < dist[v]:
                dist[v] = d + w
                pred[v] = u
                heapq.heappush(heap, (dist[v], v))
    return ShortestPaths(dist=dist, pred=pred)


def bellman_ford(num_nodes: int, edges, weights, source: int, *,
                 directed: bool = True) -> tuple[ShortestPaths, jax.Array]:
    """Bellman–Ford in JAX: all edges relaxed at once per round, ``n - 1`` rounds.

    Each round computes :math:`\\min_{(u,v)} d_u + w_{uv}` for every ``v`` with
    ``jax.ops.segment_min``. Negative weights are allowed.

    Returns:
      ``(ShortestPaths(dist, pred), has_negative_cycle)`` where ``has_negative_cycle``
      is True if a negative cycle is reachable from ``source`` (then ``dist`` is not
      meaningful). :math:`O(nm)` work.
    """
    num_nodes, edges, weights = _check_graph(num_nodes, edges, weights)
    source = _check_source(source, num_nodes)
    if not directed:
        edges = np.concatenate([edges, edges[:, ::-1]])
        weights = np.concatenate([weights, weights])
    # pad the edge list to a power of two with inert (0 -> 0, +inf) edges: one
    # compilation serves all graphs of similar size
    m_pad = max(8, 1 << int(np.ceil(np.log2(max(len(edges), 1)))))
    pad = m_pad - len(edges)
    u = jnp.asarray(np.concatenate([edges[:, 0], np.zeros(pad, np.int64)]), jnp.int32)
    v = jnp.asarray(np.concatenate([edges[:, 1], np.zeros(pad, np.int64)]), jnp.int32)
    w = jnp.asarray(np.concatenate([weights, np.full(pad, np.inf)]), jnp.result_type(float))
    return _bellman_ford(u, v, w, source, num_nodes)


@functools.partial(jax.jit, static_argnames=("num_nodes",))
def _bellman_ford(u, v, w, source, num_nodes):
    dist0 = jnp.full(num_nodes, jnp.inf, w.dtype).at[source].set(0.0)
    pred0 = jnp.full(num_nodes, -1, jnp.int32)

    def relax(dist, pred):
        cand = dist[u] + w
        best = jax.ops.segment_min(cand, v, num_segments=num_nodes)
        # the first edge attaining the best candidate into each node gives its predecessor
        edge_ids = jnp.arange(u.shape[0])
        is_best = (cand == best[v]) & jnp.isfinite(cand)
        first = jax.ops.segment_min(jnp.where(is_best, edge_ids, u.shape[0]), v,
                                    num_segments=num_nodes)
        improve = best < dist
        new_pred = jnp.where(improve, u[jnp.minimum(first, u.shape[0] - 1)], pred)
        return jnp.where(improve, best, dist), new_pred, jnp.any(improve)

    def body(_, carry):
        dist, pred = carry
        dist, pred, _ = relax(dist, pred)
        return dist, pred

    dist, pred = jax.lax.fori_loop(0, num_nodes - 1, body, (dist0, pred0))
    _, _, still_improving = relax(dist, pred)
    return ShortestPaths(dist=dist, pred=pred), still_improving


def topological_sort(num_nodes: int, edges) -> list[int]:
    """Kahn's algorithm: repeatedly emit a node with no remaining incoming edges.

    Ties are broken by the smallest node id (a heap), so the order is deterministic
    (the lexicographically smallest topological order). Raises ``ValueError`` if the
    graph has a cycle.
    """
    num_nodes, edges, _ = _check_graph(num_nodes, edges)
    adj = _adjacency(num_nodes, edges, None, directed=True)
    indeg = np.zeros(num_nodes, dtype=np.int64)
    for u in range(num_nodes):
        for v in adj[u]:
            indeg[v] += 1
    ready = [i for i in range(num_nodes) if indeg[i] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        u = heapq.heappop(ready)
        order.append(u)
        for v in adj[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(ready, v)
    if len(order) < num_nodes:
        raise ValueError("edges contain a cycle; no topological order exists")
    return order


class _DisjointSets:
    """Union–find with path halving and union by size."""

    def __init__(self, n):
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x):
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b:
            return False
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        return True


def has_cycle(num_nodes: int, edges, *, directed: bool = True) -> bool:
    """Whether the graph has a cycle.

    Directed: DFS with white/grey/black colours — a back edge to a grey node closes a
    cycle. Undirected: union–find — an edge joining two nodes already connected closes
    a cycle (a repeated edge or a self-loop counts as a cycle).
    """
    num_nodes, edges, _ = _check_graph(num_nodes, edges)
    if not directed:
        sets = _DisjointSets(num_nodes)
        return any(not sets.union(u, v) for u, v in edges.tolist())
    adj = _adjacency(num_nodes, edges, None, directed=True)
    colour = [0] * num_nodes  # 0 white, 1 grey (on the stack), 2 black
    for root in range(num_nodes):
        if colour[root]:
            continue
        colour[root] = 1
        stack = [(root, iter(adj[root]))]
        while stack:
            node, it = stack[-1]
            for v in it:
                if colour[v] == 1:
                    return True
                if colour[v] == 0:
                    colour[v] = 1
                    stack.append((v, iter(adj[v])))
                    break
            else:
                colour[node] = 2
                stack.pop()
    return False


def kruskal(num_nodes: int, edges, weights) -> tuple[list[tuple[int, int]], float]:
    """Kruskal's minimum spanning forest: add edges by increasing weight unless they
    close a cycle (union–find). :math:`O(m \\log m)`.

    Returns:
      ``(tree_edges, total_weight)``.
    """
    num_nodes, edges, weights = _check_graph(num_nodes, edges, weights)
    sets = _DisjointSets(num_nodes)
    tree, total = [], 0.0
    for i in np.argsort(weights, kind="stable"):
        u, v = int(edges[i, 0]), int(edges[i, 1])
        if sets.union(u, v):
            tree.append((u, v))
            total += float(weights[i])
    return tree, total


def prim(num_nodes: int, edges, weights) -> tuple[list[tuple[int, int]], float]:
    """Prim's minimum spanning forest: grow each tree from its smallest node by the
    lightest edge leaving it (binary heap). :math:`O(m \\log n)`.

    Returns:
      ``(tree_edges, total_weight)``.
    """
    num_nodes, edges, weights = _check_graph(num_nodes, edges, weights)
    adj: list[list[tuple[float, int]]] = [[] for _ in range(num_nodes)]
    for (u, v), w in zip(edges.tolist(), weights.tolist()):
        adj[u].append((w, v))
        adj[v].append((w, u))
    in_tree = np.zeros(num_nodes, dtype=bool)
    tree, total = [], 0.0
    for root in range(num_nodes):
        if in_tree[root]:
            continue
        in_tree[root] = True
        heap = [(w, root, v) for w, v in adj[root]]
        heapq.heapify(heap)
        while heap:
            w, u, v = heapq.heappop(heap)
            if in_tree[v]:
                continue
            in_tree[v] = True
            tree.append((u, v))
            total += w
            for w2, x in adj[v]:
                if not in_tree[x]:
                    heapq.heappush(heap, (w2, v, x))
    return tree, total


# --------------------------------------------------------------------------- DP in JAX


def _check_sequence(x, name):
    return check_array(x, name, ndim=1, dtype_kind="i", allow_empty=True)


def edit_distance(a, b) -> jax.Array:
    """Levenshtein distance between integer sequences (insert/delete/substitute cost 1).

    ``lax.scan`` over the rows of the DP table; each row is computed from the previous
    one, the within-row insertion chain being a cumulative minimum:
    :math:`D_{i,j} = \\min_k (E_{i,k} + j - k)` with :math:`E` the row before insertions.
    :math:`O(|a||b|)` work, :math:`O(|b|)` memory.
    """
    a = _check_sequence(a, "a")
    b = _check_sequence(b, "b")
    m = b.shape[0]
    cols = jnp.arange(m + 1)

    def row(prev, x):
        sub = prev[:-1] + (b != x)
        dele = prev[1:] + 1
        e = jnp.concatenate([prev[:1] + 1, jnp.minimum(sub, dele)])
        cur = jax.lax.cummin(e - cols) + cols  # insertions along the row
        return cur, None

    last, _ = jax.lax.scan(row, cols, a)
    return last[m]


def lcs_length(a, b) -> jax.Array:
    """Length of the longest common subsequence of two integer sequences.

    ``lax.scan`` over rows; within a row :math:`L_{i,j} = \\max(L_{i,j-1}, F_{i,j})`
    with :math:`F = \\max(L_{i-1,j}, L_{i-1,j-1} + [a_i = b_j])`, i.e. a cumulative max.
    """
    a = _check_sequence(a, "a")
    b = _check_sequence(b, "b")
    m = b.shape[0]

    def row(prev, x):
        diag = prev[:-1] + (b == x)
        f = jnp.concatenate([prev[:1], jnp.maximum(prev[1:], diag)])
        return jax.lax.cummax(f), None

    last, _ = jax.lax.scan(row, jnp.zeros(m + 1, jnp.int32), a)
    return last[m]


def knapsack_01(values, weights, capacity: int) -> tuple[jax.Array, jax.Array]:
    """0/1 knapsack by DP over capacities, with the chosen items.

    ``lax.scan`` over items keeps the row :math:`V_{i,\\cdot}` (length ``capacity + 1``)
    and the take/skip decisions; a reverse scan reads the choice back.

    Args:
      values: ``(n,)`` item values (float).
      weights: ``(n,)`` non-negative integer weights.
      capacity: integer capacity (static: it sets the table width).

    Returns:
      ``(best_value, chosen)`` with ``chosen`` a boolean ``(n,)`` mask.
    """
    values = check_array(values, "values", ndim=1, dtype_kind="f")
    weights = check_array(weights, "weights", ndim=1, dtype_kind="i")
    capacity = check_int(capacity, "capacity", minimum=0)
    if values.shape != weights.shape:
        raise ValueError(f"values and weights must have the same shape, got "
                         f"{values.shape} and {weights.shape}")
    if not is_traced(weights) and bool(jnp.any(weights < 0)):
        raise ValueError("weights must be non-negative")
    caps = jnp.arange(capacity + 1)

    def item(prev, vw):
        v, w = vw
        shifted = jnp.where(caps >= w, prev[jnp.maximum(caps - w, 0)] + v, -jnp.inf)
        take = shifted > prev
        return jnp.where(take, shifted, prev), take

    final, takes = jax.lax.scan(item, jnp.zeros(capacity + 1, values.dtype),
                                (values, weights))

    def back(c, xs):
        take, w = xs
        chosen = take[c]
        return jnp.where(chosen, c - w, c), chosen

    _, chosen = jax.lax.scan(back, jnp.asarray(capacity), (takes, weights), reverse=True)
    return final[capacity], chosen


def max_product_chain(log_unary, log_pairwise) -> tuple[jax.Array, jax.Array]:
    """Max-product (Viterbi) on a chain in log space.

    Maximises :math:`\\sum_t u_t(z_t) + \\sum_{t>0} P(z_{t-1}, z_t)` over label paths.

    Args:
      log_unary: ``(T, K)`` log-potentials :math:`u_t(k)`.
      log_pairwise: ``(K, K)`` log-potentials :math:`P(j, k)`.

    Returns:
      ``(path, score)``: the maximising ``(T,)`` int path and its log score.
    """
    u = check_array(log_unary, "log_unary", ndim=2, dtype_kind="f", finite=False)
    p = check_array(log_pairwise, "log_pairwise", ndim=2, dtype_kind="f", finite=False)
    k = u.shape[1]
    if p.shape != (k, k):
        raise ValueError(f"log_pairwise must have shape ({k}, {k}), got {p.shape}")

    def forward(delta, u_t):
        scores = delta[:, None] + p
        return jnp.max(scores, axis=0) + u_t, jnp.argmax(scores, axis=0)

    last, back_ptrs = jax.lax.scan(forward, u[0], u[1:])
    z_last = jnp.argmax(last)

    def backward(z, ptr):
        prev = ptr[z]
        return prev, prev

    _, earlier = jax.lax.scan(backward, z_last, back_ptrs, reverse=True)
    path = jnp.concatenate([earlier, z_last[None]]).astype(jnp.int32)
    return path, jnp.max(last)


# --------------------------------------------------------------------------- greedy


def _float_vector(x, name) -> np.ndarray:
    """A finite non-empty 1-D float64 NumPy vector (greedy algorithms stay in NumPy)."""
    check_array(x, name, ndim=1)
    return np.asarray(x, dtype=float)


def activity_selection(starts, finishes) -> list[int]:
    """Maximum set of pairwise compatible activities ``[s_i, f_i)``: repeatedly take
    the compatible activity that finishes first (optimal by an exchange argument,
    CLRS Thm 16.1). Returns the chosen indices in order of finish time.
    """
    s = _float_vector(starts, "starts")
    f = _float_vector(finishes, "finishes")
    if s.shape != f.shape:
        raise ValueError(f"starts and finishes must have the same shape, got {s.shape} "
                         f"and {f.shape}")
    if np.any(f < s):
        raise ValueError("finishes must be >= starts")
    chosen, end = [], -np.inf
    for i in np.argsort(f, kind="stable"):
        if s[i] >= end:
            chosen.append(int(i))
            end = f[i]
    return chosen


def fractional_knapsack(values, weights, capacity: float) -> tuple[float, np.ndarray]:
    """Fractional knapsack: fill by decreasing value density :math:`v_i / w_i`, taking a
    fraction of the first item that does not fit (optimal; the LP relaxation's
    solution). Returns ``(best_value, fractions)``.
    """
    v = _float_vector(values, "values")
    w = _float_vector(weights, "weights")
    if v.shape != w.shape:
        raise ValueError(f"values and weights must have the same shape, got {v.shape} "
                         f"and {w.shape}")
    if np.any(w <= 0):
        raise ValueError("weights must be positive")
    if not np.isfinite(capacity) or capacity < 0:
        raise ValueError(f"capacity must be a finite number >= 0, got {capacity}")
    frac = np.zeros_like(v)
    room = float(capacity)
    for i in np.argsort(-v / w, kind="stable"):
        if room <= 0 or v[i] <= 0:
            break
        frac[i] = min(1.0, room / w[i])
        room -= frac[i] * w[i]
    return float(frac @ v), frac


def huffman_code(freqs) -> dict[int, str]:
    """Huffman's optimal prefix code (Huffman 1952): merge the two lightest trees.

    Args:
      freqs: ``(n,)`` positive symbol frequencies, ``n ≥ 1``.

    Returns:
      ``{symbol: bitstring}``; the expected length :math:`\\sum_i p_i |c_i|` is minimal
      among all prefix codes. Ties are broken by creation order, so the code is
      deterministic.
    """
    p = _float_vector(freqs, "freqs")
    if np.any(p <= 0):
        raise ValueError("freqs must be positive")
    if p.size == 1:
        return {0: "0"}
    heap = [(float(w), i, (i,)) for i, w in enumerate(p)]
    heapq.heapify(heap)
    codes = {i: "" for i in range(p.size)}
    counter = p.size
    while len(heap) > 1:
        w1, _, left = heapq.heappop(heap)
        w2, _, right = heapq.heappop(heap)
        for sym in left:
            codes[sym] = "0" + codes[sym]
        for sym in right:
            codes[sym] = "1" + codes[sym]
        heapq.heappush(heap, (w1 + w2, counter, left + right))
        counter += 1
    return codes
