r"""Graph neural network layers over padded :class:`jaxml.data.graphs.Graph` s.

Messages travel along directed edges j → i (sender → receiver) and are summed per
receiver with ``jax.ops.segment_sum``; masked (padding) edges carry nothing and masked
nodes are zeroed, so padding changes no real node's output.

* **GCN** (Kipf & Welling 2017): with self-loops Ã = A + I and degrees
  :math:`\tilde d_i = 1 + \sum_j A_{ij}`,
  :math:`H' = \tilde D^{-1/2}\tilde A\tilde D^{-1/2} H W + b`.
* **GraphSAGE** (Hamilton et al. 2017):
  :math:`h_i' = W_\text{self} h_i + W_\text{neigh}\,\mathrm{agg}_{j \in N(i)} h_j + b` with
  the mean or the max over in-neighbours (0 for a node without any);
  :func:`sample_neighbours` draws k in-neighbours per node with replacement, for
  minibatch training on large graphs.
* **GAT** (Veličković et al. 2018), per head: z = W h,
  :math:`e_{ij} = \mathrm{LeakyReLU}_{0.2}(a_\text{dst}^\top z_i + a_\text{src}^\top z_j)`
  over in-neighbours j of i and i itself,
  :math:`\alpha_{ij} = \mathrm{softmax}_j(e_{ij})`, :math:`h_i' = \sum_j \alpha_{ij} z_j`;
  heads concatenated (or averaged).
* **Message passing** (Gilmer et al. 2017; Battaglia et al. 2018): an edge update
  :math:`m_{ij} = \phi_e(h_i, h_j)`, a node update
  :math:`h_i' = \phi_v(h_i, \sum_j m_{ij})` — each an MLP; GCN and SAGE are instances.
* **Pooling**: per-graph sum, mean or max of the node states (readout for graph
  classification), and hierarchical top-k pooling (Gao & Ji 2019): score
  :math:`s = Hp/\lVert p\rVert`, keep the ⌈ratio·n⌉ best-scoring nodes of each graph,
  gate them by tanh(s) and keep the edges between kept nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int, check_option, check_range
from jaxml.data.graphs import Graph


def _num_nodes(graph: Graph) -> int:
    return graph.nodes.shape[0]


def _edge_weights(graph: Graph, dtype) -> jax.Array:
    return graph.edge_mask.astype(dtype)


def _masked_nodes(graph: Graph, h: jax.Array) -> jax.Array:
    return jnp.where(graph.node_mask[:, None], h, 0.0)


def aggregate(graph: Graph, messages: jax.Array, how: str = "sum") -> jax.Array:
    """Per-receiver sum, mean or max of the edge ``messages`` (E, F) over real edges; a
    node without incoming edges gets 0."""
    check_option(how, "how", ("sum", "mean", "max"))
    n = _num_nodes(graph)
    mask = graph.edge_mask[:, None]
    if how == "max":
        best = jax.ops.segment_max(jnp.where(mask, messages, -jnp.inf), graph.receivers, num_segments=n)
        return jnp.where(jnp.isfinite(best), best, 0.0)
    total = jax.ops.segment_sum(jnp.where(mask, messages, 0.0), graph.receivers, num_segments=n)
    if how == "sum":
        return total
    count = jax.ops.segment_sum(graph.edge_mask.astype(messages.dtype), graph.receivers, num_segments=n)
    return total / jnp.maximum(count, 1.0)[:, None]


class GCNConv(nn.Module):
    features: int

    @nn.compact
    def __call__(self, graph: Graph, h: jax.Array) -> jax.Array:
        z = nn.Dense(self.features, use_bias=False)(h)
        weights = _edge_weights(graph, z.dtype)
        degree = 1.0 + jax.ops.segment_sum(weights, graph.receivers, num_segments=_num_nodes(graph))
        norm = jax.lax.rsqrt(degree)
        edge_norm = weights * norm[graph.receivers] * norm[graph.senders]
        out = jax.ops.segment_sum(edge_norm[:, None] * z[graph.senders], graph.receivers,
                                  num_segments=_num_nodes(graph)) + z / degree[:, None]
        return _masked_nodes(graph, out + self.param("bias", nn.initializers.zeros, (self.features,)))


class SAGEConv(nn.Module):
    features: int
    aggregator: str = "mean"

    @nn.compact
    def __call__(self, graph: Graph, h: jax.Array) -> jax.Array:
        check_option(self.aggregator, "aggregator", ("mean", "max"))
        neighbours = aggregate(graph, h[graph.senders], self.aggregator)
        out = nn.Dense(self.features)(h) + nn.Dense(self.features, use_bias=False)(neighbours)
        return _masked_nodes(graph, out)


class GATConv(nn.Module):
    features: int
    heads: int = 1
    concat: bool = True
    negative_slope: float = 0.2

    @nn.compact
    def __call__(self, graph: Graph, h: jax.Array) -> jax.Array:
        heads = check_int(self.heads, "heads", minimum=1)
        n = _num_nodes(graph)
        z = nn.Dense(heads * self.features, use_bias=False)(h).reshape(n, heads, self.features)
        a_src = self.param("att_src", nn.initializers.glorot_uniform(), (heads, self.features))
        a_dst = self.param("att_dst", nn.initializers.glorot_uniform(), (heads, self.features))
        loops = jnp.arange(n, dtype=graph.senders.dtype)
        senders = jnp.concatenate([graph.senders, loops])
        receivers = jnp.concatenate([graph.receivers, loops])
        mask = jnp.concatenate([graph.edge_mask, graph.node_mask])
        logits = nn.leaky_relu((z[receivers] * a_dst).sum(-1) + (z[senders] * a_src).sum(-1), self.negative_slope)
        logits = jnp.where(mask[:, None], logits, -jnp.inf)
        shift = jax.ops.segment_max(logits, receivers, num_segments=n)
        weights = jnp.where(mask[:, None], jnp.exp(logits - shift[receivers]), 0.0)
        alpha = weights / jax.ops.segment_sum(weights, receivers, num_segments=n)[receivers]
        out = jax.ops.segment_sum(alpha[..., None] * z[senders], receivers, num_segments=n)  # (N, heads, F)
        out = out.reshape(n, -1) if self.concat else out.mean(axis=1)
        width = heads * self.features if self.concat else self.features
        return _masked_nodes(graph, out + self.param("bias", nn.initializers.zeros, (width,)))


class MessagePassing(nn.Module):
    """m_ij = φ_e([h_i, h_j]), h_i' = φ_v([h_i, Σ_j m_ij]); φ are one-hidden-layer MLPs."""

    features: int
    hidden: int = 64

    @nn.compact
    def __call__(self, graph: Graph, h: jax.Array) -> jax.Array:
        def mlp(name):
            return nn.Sequential([nn.Dense(self.hidden), nn.relu, nn.Dense(self.features)], name=name)

        messages = mlp("edge")(jnp.concatenate([h[graph.receivers], h[graph.senders]], axis=-1))
        summed = aggregate(graph, messages, "sum")
        return _masked_nodes(graph, mlp("node")(jnp.concatenate([h, summed], axis=-1)))


def global_pool(graph: Graph, h: jax.Array, how: str = "mean") -> jax.Array:
    """Per-graph readout (n_graphs, F) of the real nodes' states: sum, mean or max."""
    check_option(how, "how", ("sum", "mean", "max"))
    mask = graph.node_mask[:, None]
    if how == "max":
        best = jax.ops.segment_max(jnp.where(mask, h, -jnp.inf), graph.graph_index, num_segments=graph.n_graphs)
        return jnp.where(jnp.isfinite(best), best, 0.0)
    total = jax.ops.segment_sum(jnp.where(mask, h, 0.0), graph.graph_index, num_segments=graph.n_graphs)
    if how == "sum":
        return total
    count = jax.ops.segment_sum(graph.node_mask.astype(h.dtype), graph.graph_index, num_segments=graph.n_graphs)
    return total / jnp.maximum(count, 1.0)[:, None]


class TopKPool(nn.Module):
    """Hierarchical top-k pooling (module docstring); returns the graph with the dropped
    nodes and their edges masked out, and the gated node states."""

    ratio: float = 0.5

    @nn.compact
    def __call__(self, graph: Graph, h: jax.Array) -> tuple[Graph, jax.Array]:
        check_range(self.ratio, "ratio", low=0.0, high=1.0, low_open=True)
        p = self.param("projection", nn.initializers.normal(1.0), (h.shape[-1],))
        score = h @ p / jnp.linalg.norm(p)
        masked_score = jnp.where(graph.node_mask, score, -jnp.inf)
        # rank of every node among the real nodes of its graph (0 = best)
        index = jnp.arange(h.shape[0])
        other, this = masked_score[None, :], masked_score[:, None]
        ahead = (other > this) | ((other == this) & (index[None, :] < index[:, None]))  # ties: lower index first
        same_graph = graph.graph_index[:, None] == graph.graph_index[None, :]
        rank = (same_graph & graph.node_mask[None, :] & ahead).sum(axis=1)
        size = jax.ops.segment_sum(graph.node_mask.astype(jnp.int32), graph.graph_index, num_segments=graph.n_graphs)
        keep_count = jnp.ceil(self.ratio * size).astype(jnp.int32)[graph.graph_index]
        keep = graph.node_mask & (rank < keep_count)
        edge_keep = graph.edge_mask & keep[graph.senders] & keep[graph.receivers]
        pooled = graph._replace(node_mask=keep, edge_mask=edge_keep)
        return pooled, _masked_nodes(pooled, h * jnp.tanh(score)[:, None])


def sample_neighbours(key: jax.Array, graph: Graph, k: int) -> Graph:
    """The same nodes with k in-edges per node drawn uniformly with replacement from its
    real in-edges (GraphSAGE's sampling); nodes without in-edges get k masked edges."""
    k = check_int(k, "k", minimum=1)
    n = _num_nodes(graph)
    order = jnp.argsort(jnp.where(graph.edge_mask, graph.receivers, n), stable=True)  # real edges grouped by receiver
    count = jax.ops.segment_sum(graph.edge_mask.astype(jnp.int32), graph.receivers, num_segments=n)
    start = jnp.cumsum(count) - count
    pick = jnp.floor(jax.random.uniform(key, (n, k)) * count[:, None]).astype(jnp.int32)
    edges = order[jnp.minimum(start[:, None] + pick, graph.senders.shape[0] - 1)]
    has = (count > 0)[:, None] & graph.node_mask[:, None]
    return graph._replace(senders=graph.senders[edges].ravel(), receivers=jnp.repeat(jnp.arange(n), k),
                          edge_mask=jnp.broadcast_to(has, (n, k)).ravel())


class GNNClassifier(nn.Module):
    """Stacked graph layers with ReLU between them, then a linear head per node, or per
    graph after ``pool`` ("mean", "sum", "max") when ``pool`` is set."""

    layer: str
    hidden: Sequence[int]
    num_outputs: int
    pool: str | None = None
    heads: int = 1

    @nn.compact
    def __call__(self, graph: Graph, train: bool = False) -> jax.Array:
        check_option(self.layer, "layer", ("gcn", "sage", "gat", "mpnn"))
        h = graph.nodes
        for width in self.hidden:
            conv = {"gcn": lambda: GCNConv(width), "sage": lambda: SAGEConv(width),
                    "gat": lambda: GATConv(width, heads=self.heads), "mpnn": lambda: MessagePassing(width)}
            h = nn.relu(conv[self.layer]()(graph, h))
        if self.pool is not None:
            h = global_pool(graph, h, self.pool)
        return nn.Dense(self.num_outputs)(h)
