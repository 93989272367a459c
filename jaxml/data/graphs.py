r"""Graphs as padded arrays, and the graph data sets (nothing downloaded).

A :class:`Graph` holds node features ``nodes`` (N, F), directed edges ``senders`` →
``receivers`` (E,), and masks marking the real nodes and edges; padding to fixed N and E
(:func:`pad_graph`) gives every graph of a data set one shape, so a batch jits once
(as jraph does; jraph does not install with our JAX). :func:`batch_graphs` joins several
graphs into one disconnected graph with a ``graph_index`` per node, which is how the
pooling functions of :mod:`jaxml.nn.gnn` tell the graphs apart.

* **Zachary's karate club** (Zachary 1977): 34 members, 78 friendships, and the two clubs
  the members joined after the split (0: Mr. Hi's, 1: the officer's) — the edge list as
  networkx bundles it.
* **Stochastic block model**: ``sizes[c]`` nodes in block c, an edge between two nodes
  with probability ``p_in`` inside a block and ``p_out`` across; node features are the
  block's mean vector plus Gaussian noise.
* **Molecule-like graphs**: a random tree over ``n`` atoms (each new atom bonds to a random
  earlier one) plus, for "ring" molecules, one bond closing a cycle; atom types one-hot.
  The label is whether the molecule has a ring: a graph property no single node shows.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core.validation import check_int, check_probability


class Graph(NamedTuple):
    """One graph, or a batch joined by :func:`batch_graphs` (``graph_index`` per node)."""

    nodes: jax.Array  # (N, F)
    senders: jax.Array  # (E,) int
    receivers: jax.Array  # (E,) int
    node_mask: jax.Array  # (N,) bool
    edge_mask: jax.Array  # (E,) bool
    graph_index: jax.Array  # (N,) int: which graph a node belongs to
    n_graphs: int = 1


def make_graph(nodes, senders, receivers, *, undirected: bool = False) -> Graph:
    """A graph from node features and an edge list (``undirected=True`` adds every edge's
    reverse); edge indices are checked against the number of nodes."""
    nodes = jnp.asarray(nodes)
    if nodes.ndim != 2:
        raise ValueError(f"nodes must be a (num_nodes, features) array, got shape {nodes.shape}")
    senders, receivers = np.asarray(senders, np.int32).ravel(), np.asarray(receivers, np.int32).ravel()
    if senders.shape != receivers.shape:
        raise ValueError(f"senders and receivers must have one length, got {senders.size} and {receivers.size}")
    n = nodes.shape[0]
    for name, index in (("senders", senders), ("receivers", receivers)):
        if index.size and (index.min() < 0 or index.max() >= n):
            raise ValueError(f"{name} holds node index {int(index.min() if index.min() < 0 else index.max())}, "
                             f"outside [0, {n}) for a graph of {n} nodes")
    if undirected:
        senders, receivers = np.concatenate([senders, receivers]), np.concatenate([receivers, senders])
    return Graph(nodes, jnp.asarray(senders), jnp.asarray(receivers), jnp.ones(n, bool),
                 jnp.ones(senders.size, bool), jnp.zeros(n, jnp.int32))


def pad_graph(graph: Graph, n_nodes: int, n_edges: int) -> Graph:
    """Pad to ``n_nodes`` nodes and ``n_edges`` edges: padded nodes are zeros, padded edges
    join the last padded node to itself, all masked out (so they change nothing)."""
    n, e = graph.nodes.shape[0], graph.senders.shape[0]
    if n_nodes <= n or n_edges < e:
        raise ValueError(f"padding must add at least one node and keep every edge: the graph has {n} nodes and "
                         f"{e} edges, asked for {n_nodes} and {n_edges}")
    dummy = n_nodes - 1
    return Graph(jnp.pad(graph.nodes, ((0, n_nodes - n), (0, 0))),
                 jnp.pad(graph.senders, (0, n_edges - e), constant_values=dummy),
                 jnp.pad(graph.receivers, (0, n_edges - e), constant_values=dummy),
                 jnp.pad(graph.node_mask, (0, n_nodes - n)), jnp.pad(graph.edge_mask, (0, n_edges - e)),
                 jnp.pad(graph.graph_index, (0, n_nodes - n), constant_values=graph.n_graphs - 1), graph.n_graphs)


def batch_graphs(graphs: list[Graph]) -> Graph:
    """One disconnected graph from several (node indices offset), ``graph_index`` per node."""
    if not graphs:
        raise ValueError("graphs must hold at least one graph")
    offsets = np.cumsum([0] + [g.nodes.shape[0] for g in graphs[:-1]])
    cat = lambda xs: jnp.concatenate(list(xs))  # noqa: E731
    return Graph(cat(g.nodes for g in graphs), cat(g.senders + o for g, o in zip(graphs, offsets)),
                 cat(g.receivers + o for g, o in zip(graphs, offsets)), cat(g.node_mask for g in graphs),
                 cat(g.edge_mask for g in graphs),
                 cat(jnp.full(g.nodes.shape[0], i, jnp.int32) for i, g in enumerate(graphs)), len(graphs))


KARATE_EDGES = (
    (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, 7), (0, 8), (0, 10), (0, 11), (0, 12),
    (0, 13), (0, 17), (0, 19), (0, 21), (0, 31), (1, 2), (1, 3), (1, 7), (1, 13), (1, 17), (1, 19),
    (1, 21), (1, 30), (2, 3), (2, 7), (2, 8), (2, 9), (2, 13), (2, 27), (2, 28), (2, 32), (3, 7),
    (3, 12), (3, 13), (4, 6), (4, 10), (5, 6), (5, 10), (5, 16), (6, 16), (8, 30), (8, 32), (8, 33),
    (9, 33), (13, 33), (14, 32), (14, 33), (15, 32), (15, 33), (18, 32), (18, 33), (19, 33),
    (20, 32), (20, 33), (22, 32), (22, 33), (23, 25), (23, 27), (23, 29), (23, 32), (23, 33),
    (24, 25), (24, 27), (24, 31), (25, 31), (26, 29), (26, 33), (27, 33), (28, 31), (28, 33),
    (29, 32), (29, 33), (30, 32), (30, 33), (31, 32), (31, 33), (32, 33),
)
KARATE_CLUBS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)


def karate_club() -> tuple[Graph, jax.Array]:
    """The karate club as an undirected graph with one-hot node identities as features
    (34 × 34), and the club of each member (0 or 1)."""
    senders, receivers = np.array(KARATE_EDGES).T
    return make_graph(jnp.eye(34), senders, receivers, undirected=True), jnp.asarray(KARATE_CLUBS, jnp.int32)


def stochastic_block_model(key: jax.Array, sizes: tuple[int, ...], p_in: float, p_out: float, *,
                           n_features: int = 8, noise: float = 1.0) -> tuple[Graph, jax.Array]:
    """A stochastic block model (module docstring) and the block of every node."""
    sizes = tuple(check_int(s, "sizes", minimum=1) for s in sizes)
    check_probability(p_in, "p_in")
    check_probability(p_out, "p_out")
    n_features = check_int(n_features, "n_features", minimum=1)
    key_edges, key_means, key_noise = jax.random.split(key, 3)
    blocks = np.repeat(np.arange(len(sizes)), sizes)
    n = blocks.size
    probability = np.where(blocks[:, None] == blocks[None, :], p_in, p_out)
    upper = np.triu(np.asarray(jax.random.uniform(key_edges, (n, n))) < probability, k=1)
    senders, receivers = np.nonzero(upper)
    means = jax.random.normal(key_means, (len(sizes), n_features))
    features = means[blocks] + noise * jax.random.normal(key_noise, (n, n_features))
    return make_graph(features, senders, receivers, undirected=True), jnp.asarray(blocks, jnp.int32)


def molecule_graphs(key: jax.Array, n_graphs: int, *, n_atoms: tuple[int, int] = (6, 12),
                    n_atom_types: int = 4) -> tuple[list[Graph], jax.Array]:
    """Molecule-like graphs (module docstring), half of them with a ring, and the labels
    (1: ring)."""
    n_graphs = check_int(n_graphs, "n_graphs", minimum=1)
    low, high = (check_int(v, "n_atoms", minimum=3) for v in n_atoms)
    rng = np.random.default_rng(int(jax.random.randint(key, (), 0, 2**31 - 1)))  # the structure is built in NumPy
    graphs, labels = [], rng.permutation(np.arange(n_graphs) % 2)
    for label in labels:
        n = int(rng.integers(low, high + 1))
        parents = [int(rng.integers(0, i)) for i in range(1, n)]
        senders, receivers = list(range(1, n)), parents
        if label:  # close a ring between two atoms not already bonded
            while True:
                a, b = sorted(rng.choice(n, 2, replace=False).tolist())
                if parents[b - 1] != a:
                    break
            senders.append(b)
            receivers.append(a)
        atoms = np.eye(n_atom_types, dtype=np.float32)[rng.integers(0, n_atom_types, n)]
        graphs.append(make_graph(atoms, senders, receivers, undirected=True))
    return graphs, jnp.asarray(labels, jnp.int32)
