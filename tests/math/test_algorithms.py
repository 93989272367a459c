"""Graph algorithms vs networkx; DP and greedy algorithms vs brute force."""

import itertools

import jax
import jax.numpy as jnp
import networkx as nx
import numpy as np
import pytest
import scipy.optimize

from jaxml.math import algorithms as al


def _random_graph(seed, n=9, p=0.3, directed=False, low=1.0, high=10.0):
    rng = np.random.default_rng(seed)
    edges = [(u, v) for u in range(n) for v in range(n)
             if u != v and (directed or u < v) and rng.uniform() < p]
    rng.shuffle(edges)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    weights = np.round(rng.uniform(low, high, size=len(edges)), 3)
    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from(range(n))
    for (u, v), w in zip(edges.tolist(), weights.tolist()):
        g.add_edge(u, v, weight=w)
    return n, edges, weights, g


@pytest.mark.parametrize("directed", [False, True])
def test_bfs_dfs_match_networkx(directed):
    for seed in range(10):
        n, edges, _, g = _random_graph(seed, directed=directed)
        order, hops = al.bfs(n, edges, 0, directed=directed)
        assert order == [0] + [v for _, v in nx.bfs_edges(g, 0)]
        ref = nx.single_source_shortest_path_length(g, 0)
        assert {i: int(h) for i, h in enumerate(hops) if h >= 0} == ref
        assert al.dfs(n, edges, 0, directed=directed) == list(nx.dfs_preorder_nodes(g, 0))


def test_dijkstra_and_bellman_ford_match_networkx():
    for seed in range(8):
        directed = bool(seed % 2)
        n, edges, weights, g = _random_graph(seed, directed=directed)
        ref = nx.single_source_dijkstra_path_length(g, 0)
        expected = np.array([ref.get(i, np.inf) for i in range(n)])
        d = al.dijkstra(n, edges, weights, 0, directed=directed)
        np.testing.assert_allclose(d.dist, expected)
        results = [d]
        if seed < 4:
            (bf, neg) = al.bellman_ford(n, edges, weights, 0, directed=directed)
            assert not bool(neg)
            np.testing.assert_allclose(bf.dist, expected, rtol=1e-6)
            results.append(bf)
        for dist_pred in results:  # predecessors lie on shortest paths
            for v in range(1, n):
                p = int(dist_pred.pred[v])
                if np.isfinite(expected[v]):
                    assert np.isclose(expected[p] + g[p][v]["weight"], expected[v], rtol=1e-5)
                else:
                    assert p == -1


@pytest.mark.parametrize("directed", [True, False])
def test_dijkstra_keeps_the_lightest_of_parallel_edges(directed):
    """Each edge drawn twice or three times with different weights: the shortest paths
    equal networkx's on the multigraph (which relaxes every parallel edge), and Bellman–Ford
    agrees."""
    rng = np.random.default_rng(7)
    n, edges, weights, _ = _random_graph(11, n=8, p=0.4, directed=directed)
    copies = rng.integers(1, 4, size=len(edges))
    multi_edges = np.repeat(edges, copies, axis=0)
    multi_weights = np.round(rng.uniform(1.0, 10.0, size=len(multi_edges)), 3)
    g = nx.MultiDiGraph() if directed else nx.MultiGraph()
    g.add_nodes_from(range(n))
    for (u, v), w in zip(multi_edges.tolist(), multi_weights.tolist()):
        g.add_edge(u, v, weight=w)
    ref = nx.single_source_dijkstra_path_length(g, 0)
    expected = np.array([ref.get(i, np.inf) for i in range(n)])
    assert (copies > 1).any() and np.isfinite(expected).sum() > 3
    got = al.dijkstra(n, multi_edges, multi_weights, 0, directed=directed)
    np.testing.assert_allclose(got.dist, expected)
    (bf, _) = al.bellman_ford(n, multi_edges, multi_weights, 0, directed=directed)
    np.testing.assert_allclose(bf.dist, expected, rtol=1e-6)


def test_bellman_ford_negative_weights_and_cycles():
    for seed in range(4):
        n, edges, weights, g = _random_graph(seed, n=7, p=0.35, directed=True,
                                             low=-3.0, high=8.0)
        (res, neg) = al.bellman_ford(n, edges, weights, 0)
        has_neg = nx.negative_edge_cycle(g.subgraph(nx.descendants(g, 0) | {0}).copy())
        assert bool(neg) == has_neg
        if not has_neg:
            ref = nx.single_source_bellman_ford_path_length(g, 0)
            np.testing.assert_allclose(res.dist, [ref.get(i, np.inf) for i in range(n)],
                                       rtol=1e-5, atol=1e-5)
    edges = np.array([[0, 1], [1, 2], [2, 1], [3, 3]])
    (_, neg) = al.bellman_ford(4, edges, [1.0, -2.0, 1.0, -1.0], 0)
    assert bool(neg)
    (_, neg) = al.bellman_ford(4, edges, [1.0, -1.0, 1.0, -1.0], 0)  # -1 loop unreachable
    assert not bool(neg)
    (r1, _) = al.bellman_ford(4, edges, [1.0, -1.0, 1.0, -1.0], 0)
    np.testing.assert_allclose(r1.dist, [0.0, 1.0, 0.0, np.inf])
    np.testing.assert_array_equal(r1.pred, [-1, 0, 1, -1])


def test_topological_sort_and_cycles_match_networkx():
    for seed in range(10):
        n, edges, _, g = _random_graph(seed, n=8, p=0.25, directed=True)
        dag = np.array([(u, v) if u < v else (v, u) for u, v in edges]).reshape(-1, 2)
        order = al.topological_sort(n, dag)
        dag_nx = nx.DiGraph()
        dag_nx.add_nodes_from(range(n))
        dag_nx.add_edges_from(dag.tolist())
        assert order == list(nx.lexicographical_topological_sort(dag_nx))
        pos = {v: i for i, v in enumerate(order)}
        assert all(pos[u] < pos[v] for u, v in dag.tolist())
        assert al.has_cycle(n, edges, directed=True) == (not nx.is_directed_acyclic_graph(g))
        ug = nx.Graph(g.to_undirected())
        und = np.array(list(ug.edges())).reshape(-1, 2)
        assert al.has_cycle(n, und, directed=False) == (len(nx.cycle_basis(ug)) > 0)
    with pytest.raises(ValueError, match="cycle"):
        al.topological_sort(3, [[0, 1], [1, 2], [2, 0]])


def test_mst_matches_networkx():
    for seed in range(10):
        n, edges, weights, g = _random_graph(seed, n=10, p=0.4)
        ref = sum(d["weight"] for *_, d in nx.minimum_spanning_edges(g, algorithm="kruskal"))
        for algo in (al.kruskal, al.prim):
            tree, total = algo(n, edges, weights)
            np.testing.assert_allclose(total, ref)
            forest = nx.Graph(tree)
            forest.add_nodes_from(range(n))
            assert nx.is_forest(forest)
            assert nx.number_connected_components(forest) == nx.number_connected_components(g)


def _brute_edit(a, b):
    if not a:
        return len(b)
    if not b:
        return len(a)
    return min(_brute_edit(a[1:], b) + 1, _brute_edit(a, b[1:]) + 1,
               _brute_edit(a[1:], b[1:]) + (a[0] != b[0]))


def test_edit_distance_and_lcs_vs_brute_force():
    rng = np.random.default_rng(0)
    ed = jax.jit(al.edit_distance)
    for _ in range(15):
        a = rng.integers(0, 3, size=rng.integers(0, 7)).tolist()
        b = rng.integers(0, 3, size=6).tolist()
        assert int(al.edit_distance(a, b)) == _brute_edit(tuple(a), tuple(b))
        assert int(ed(jnp.asarray(b, jnp.int32), jnp.asarray(b[::-1], jnp.int32))) == \
            _brute_edit(tuple(b), tuple(b[::-1]))
        best = 0
        for r in range(len(a) + 1):
            for sub in itertools.combinations(a, r):
                it = iter(b)
                if all(c in it for c in sub):
                    best = max(best, r)
        lcs = al.lcs_length(a, b)
        assert int(lcs) == best and lcs.dtype == jnp.int32
    assert int(al.edit_distance([1, 2, 3], [])) == 3


def test_knapsack_vs_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(10):
        n = 7
        values = rng.uniform(1, 10, size=n).astype(np.float32)
        weights = rng.integers(1, 8, size=n)
        cap = int(rng.integers(5, 20))
        best = max(values[list(s)].sum() for r in range(n + 1)
                   for s in itertools.combinations(range(n), r) if weights[list(s)].sum() <= cap)
        val, chosen = jax.jit(al.knapsack_01, static_argnums=2)(values, weights, cap)
        np.testing.assert_allclose(val, best, rtol=1e-5)
        assert chosen.shape == (n,) and chosen.dtype == jnp.bool_
        assert weights[np.asarray(chosen)].sum() <= cap
        np.testing.assert_allclose(values[np.asarray(chosen)].sum(), best, rtol=1e-5)
    with pytest.raises(ValueError, match="capacity"):
        al.knapsack_01([1.0], [1], -1)
    with pytest.raises(ValueError, match="same shape"):
        al.knapsack_01([1.0, 2.0], [1], 3)


def test_max_product_chain_vs_brute_force():
    rng = np.random.default_rng(2)
    for _ in range(5):
        T, K = 5, 3
        u = rng.normal(size=(T, K)).astype(np.float32)
        p = rng.normal(size=(K, K)).astype(np.float32)
        score = lambda z: u[np.arange(T), z].sum() + p[z[:-1], z[1:]].sum()  # noqa: E731
        best = max(itertools.product(range(K), repeat=T), key=lambda z: score(np.array(z)))
        path, s = al.max_product_chain(u, p)
        assert path.shape == (T,) and path.dtype == jnp.int32
        assert tuple(int(z) for z in path) == best
        np.testing.assert_allclose(s, score(np.array(best)), rtol=1e-5)
        path_j, _ = jax.jit(al.max_product_chain)(u, p)
        np.testing.assert_array_equal(path, path_j)
    with pytest.raises(ValueError, match="log_pairwise"):
        al.max_product_chain(np.zeros((3, 2)), np.zeros((3, 3)))


def test_greedy_algorithms_are_optimal_vs_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(10):
        n = 8
        s = rng.uniform(0, 10, size=n)
        f = s + rng.uniform(0.5, 4, size=n)
        chosen = al.activity_selection(s, f)
        iv = sorted((s[i], f[i]) for i in chosen)
        assert all(a[1] <= b[0] for a, b in zip(iv, iv[1:]))
        best = max(r for r in range(n + 1) for sub in itertools.combinations(range(n), r)
                   if all(f[i] <= s[j] or f[j] <= s[i]
                          for i, j in itertools.combinations(sub, 2)))
        assert len(chosen) == best

        v, w = rng.uniform(1, 10, size=n), rng.uniform(1, 5, size=n)
        cap = float(rng.uniform(3, 15))
        val, frac = al.fractional_knapsack(v, w, cap)
        lp = scipy.optimize.linprog(-v, A_ub=w[None], b_ub=[cap], bounds=[(0, 1)] * n)
        np.testing.assert_allclose(val, -lp.fun, rtol=1e-6)
        assert frac @ w <= cap + 1e-9 and np.all((frac >= 0) & (frac <= 1))


def _best_prefix_cost(weights):
    """Minimum weighted path length over all full binary trees: try every merge order."""
    if len(weights) == 1:
        return 0.0
    best = np.inf
    for i, j in itertools.combinations(range(len(weights)), 2):
        rest = [w for k, w in enumerate(weights) if k not in (i, j)]
        merged = weights[i] + weights[j]
        best = min(best, merged + _best_prefix_cost(rest + [merged]))
    return best


def test_huffman_optimal_and_prefix_free():
    rng = np.random.default_rng(4)
    for n in (1, 2, 3, 5, 6):
        p = rng.uniform(0.1, 1.0, size=n)
        code = al.huffman_code(p)
        words = [code[i] for i in range(n)]
        assert all(not b.startswith(a) for a, b in itertools.permutations(words, 2))
        if n > 1:
            assert np.isclose(sum(2.0 ** -len(c) for c in words), 1.0)  # Kraft equality
            cost = sum(p[i] * len(code[i]) for i in range(n))
            np.testing.assert_allclose(cost, _best_prefix_cost(list(p)), rtol=1e-9)
    assert al.huffman_code([3.0, 1.0, 1.0]) == al.huffman_code([3.0, 1.0, 1.0])


def test_bad_input_raises():
    with pytest.raises(ValueError, match="edges"):
        al.bfs(3, [[0, 5]], 0)
    with pytest.raises(ValueError, match="edges"):
        al.dfs(3, [0, 1, 2], 0)
    with pytest.raises(ValueError, match="source"):
        al.bfs(3, [[0, 1]], 3)
    with pytest.raises(ValueError, match="non-negative"):
        al.dijkstra(2, [[0, 1]], [-1.0], 0)
    with pytest.raises(ValueError, match="weights"):
        al.kruskal(2, [[0, 1]], [1.0, 2.0])
    with pytest.raises(TypeError, match="edges"):
        al.prim(2, [[0.5, 1.0]], [1.0])
    with pytest.raises(ValueError, match="freqs"):
        al.huffman_code([1.0, 0.0])
    with pytest.raises(ValueError, match="finishes"):
        al.activity_selection([2.0], [1.0])
    with pytest.raises(ValueError, match="a must"):
        al.edit_distance(np.zeros((2, 2), int), [1])
