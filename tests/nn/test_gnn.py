import networkx as nx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.data.graphs import (KARATE_CLUBS, batch_graphs, karate_club, make_graph, molecule_graphs, pad_graph,
                               stochastic_block_model)
from jaxml.nn.gnn import (GATConv, GCNConv, GNNClassifier, MessagePassing, SAGEConv, TopKPool, aggregate,
                          global_pool, sample_neighbours)
from jaxml.train.objective import minimize
from jaxml.train.state import cross_entropy_loss

RNG = np.random.default_rng(0)
N, F = 9, 5
EDGES = np.array([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (6, 7), (1, 6), (8, 2)])
GRAPH = make_graph(RNG.normal(size=(N, F)).astype(np.float32), EDGES[:, 0], EDGES[:, 1], undirected=True)
A = np.zeros((N, N))
A[EDGES[:, 1], EDGES[:, 0]] = A[EDGES[:, 0], EDGES[:, 1]] = 1.0  # A[i, j] = 1: an edge j → i


def _apply(layer, graph=GRAPH):
    variables = layer.init(jax.random.PRNGKey(0), graph, graph.nodes)
    return variables, layer.apply(variables, graph, graph.nodes)


def test_gcn_equals_the_dense_normalised_adjacency():
    variables, out = _apply(GCNConv(4))
    a_tilde = A + np.eye(N)
    d = a_tilde.sum(1)
    w = np.asarray(variables["params"]["Dense_0"]["kernel"])
    expected = np.diag(d**-0.5) @ a_tilde @ np.diag(d**-0.5) @ np.asarray(GRAPH.nodes) @ w
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("aggregator", ["mean", "max"])
def test_sage_equals_the_dense_formula(aggregator):
    variables, out = _apply(SAGEConv(4, aggregator))
    p = variables["params"]
    h = np.asarray(GRAPH.nodes)
    if aggregator == "mean":
        neighbours = (A / A.sum(1, keepdims=True)) @ h
    else:
        neighbours = np.stack([h[A[i] > 0].max(0) for i in range(N)])
    expected = h @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"] + neighbours @ p["Dense_1"]["kernel"]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("concat", [True, False])
def test_gat_equals_the_dense_masked_softmax(concat):
    variables, out = _apply(GATConv(3, heads=2, concat=concat))
    p = variables["params"]
    z = (np.asarray(GRAPH.nodes) @ np.asarray(p["Dense_0"]["kernel"])).reshape(N, 2, 3)
    heads = []
    for k in range(2):
        e = (z[:, k] @ np.asarray(p["att_dst"][k]))[:, None] + (z[:, k] @ np.asarray(p["att_src"][k]))[None, :]
        e = np.where(e > 0, e, 0.2 * e)
        e = np.where(A + np.eye(N) > 0, e, -np.inf)
        alpha = np.exp(e - e.max(1, keepdims=True))
        alpha /= alpha.sum(1, keepdims=True)
        heads.append(alpha @ z[:, k])
    expected = np.concatenate(heads, axis=1) if concat else np.mean(heads, axis=0)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_aggregation_and_pooling_equal_dense_and_loops():
    h = np.asarray(GRAPH.nodes)
    np.testing.assert_allclose(aggregate(GRAPH, GRAPH.nodes[GRAPH.senders], "sum"), A @ h, rtol=1e-5, atol=1e-5)
    graphs = [GRAPH, make_graph(np.ones((3, F)), [0, 1], [1, 2])]
    batch = batch_graphs(graphs)
    assert batch.n_graphs == 2
    for how, reduce in (("sum", np.sum), ("mean", np.mean), ("max", np.max)):
        pooled = global_pool(batch, batch.nodes, how)
        np.testing.assert_allclose(pooled, [reduce(np.asarray(g.nodes), axis=0) for g in graphs], rtol=1e-5)


@pytest.mark.parametrize("layer", [GCNConv(4), SAGEConv(4, "max"), GATConv(4, heads=2), MessagePassing(4)],
                         ids=["gcn", "sage", "gat", "mpnn"])
def test_padding_changes_nothing(layer):
    padded = pad_graph(GRAPH, N + 4, GRAPH.senders.shape[0] + 7)
    padded = padded._replace(nodes=padded.nodes.at[N:].set(100.0))  # garbage in the padding
    variables, out = _apply(layer)
    out_padded = layer.apply(variables, padded, padded.nodes)
    np.testing.assert_allclose(out_padded[:N], out, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(out_padded[N:], 0.0)


def test_topk_pool_keeps_the_best_nodes_of_each_graph():
    batch = batch_graphs([GRAPH, make_graph(RNG.normal(size=(4, F)).astype(np.float32), [0, 1, 2], [1, 2, 3])])
    layer = TopKPool(0.5)
    variables = layer.init(jax.random.PRNGKey(1), batch, batch.nodes)
    pooled, h = layer.apply(variables, batch, batch.nodes)
    p = np.asarray(variables["params"]["projection"])
    score = np.asarray(batch.nodes) @ p / np.linalg.norm(p)
    for g, (lo, hi) in enumerate([(0, N), (N, N + 4)]):
        keep = np.zeros(hi - lo, bool)
        keep[np.argsort(-score[lo:hi])[: int(np.ceil(0.5 * (hi - lo)))]] = True
        np.testing.assert_array_equal(pooled.node_mask[lo:hi], keep)
    kept = np.asarray(pooled.node_mask)
    s, r = np.asarray(batch.senders), np.asarray(batch.receivers)
    np.testing.assert_array_equal(pooled.edge_mask, kept[s] & kept[r])
    np.testing.assert_allclose(h[kept], (np.asarray(batch.nodes) * np.tanh(score)[:, None])[kept], rtol=1e-5)


def test_neighbour_sampling_draws_real_in_neighbours_uniformly():
    sampled = sample_neighbours(jax.random.PRNGKey(2), GRAPH, 400)
    s, r, m = (np.asarray(a) for a in (sampled.senders, sampled.receivers, sampled.edge_mask))
    assert m.all() and np.all(A[r, s] == 1)  # every sampled edge is a real edge j → i
    for i in range(N):
        neighbours = np.flatnonzero(A[i])
        counts = np.array([(s[r == i] == j).sum() for j in neighbours])
        assert abs(counts / 400 - 1 / neighbours.size).max() < 4 * np.sqrt(0.25 / 400)


def test_karate_club_data_equals_networkx():
    graph, clubs = karate_club()
    nx_graph = nx.karate_club_graph()
    ours = {tuple(sorted(e)) for e in zip(np.asarray(graph.senders).tolist(), np.asarray(graph.receivers).tolist())}
    assert ours == {tuple(sorted(e)) for e in nx_graph.edges()} and graph.senders.shape[0] == 2 * 78
    assert list(KARATE_CLUBS) == [int(nx_graph.nodes[i]["club"] == "Officer") for i in range(34)]
    assert clubs.shape == (34,)


def _train_nodes(model, graph, labelled, labels, steps=200):
    params = model.init(jax.random.PRNGKey(0), graph)

    def objective(key, params, batch):
        idx, y = batch
        return cross_entropy_loss(model.apply(params, graph)[idx], y)

    params, _ = minimize(jax.random.PRNGKey(1), objective, params, optax.adam(0.01), (labelled, labels),
                         epochs=steps, batch_size=labelled.shape[0])
    return jnp.argmax(model.apply(params, graph), axis=-1)


def test_gcn_separates_the_karate_clubs_from_four_labels():
    graph, clubs = karate_club()
    labelled = jnp.array([0, 1, 32, 33])  # the two leaders and one member each
    predicted = _train_nodes(GNNClassifier("gcn", (16, 16), 2), graph, labelled, clubs[labelled])
    rest = np.setdiff1d(np.arange(34), np.asarray(labelled))
    accuracy = float((predicted[rest] == clubs[rest]).mean())
    assert accuracy >= 0.9, accuracy


def test_sbm_node_classification_and_molecule_graph_classification():
    graph, blocks = stochastic_block_model(jax.random.PRNGKey(3), (30, 30, 30), 0.2, 0.01, noise=1.0)
    labelled = jnp.arange(0, 90, 6)
    for layer in ("sage", "gat"):
        predicted = _train_nodes(GNNClassifier(layer, (16,), 3), graph, labelled, blocks[labelled])
        assert float((predicted == blocks).mean()) >= 0.9, layer
    graphs, rings = molecule_graphs(jax.random.PRNGKey(4), 120)
    batch = batch_graphs(graphs)
    model = GNNClassifier("mpnn", (32, 32), 2, pool="sum")
    params = model.init(jax.random.PRNGKey(5), batch)
    train, test = jnp.arange(80), jnp.arange(80, 120)

    def objective(key, params, data):
        idx, y = data
        return cross_entropy_loss(model.apply(params, batch)[idx], y)

    params, _ = minimize(jax.random.PRNGKey(6), objective, params, optax.adam(3e-3), (train, rings[train]),
                         epochs=300, batch_size=80)
    accuracy = float((jnp.argmax(model.apply(params, batch), -1)[test] == rings[test]).mean())
    assert accuracy >= 0.8, accuracy


def test_bad_graphs_are_refused():
    with pytest.raises(ValueError, match=r"receivers holds node index 9, outside \[0, 9\)"):
        make_graph(np.zeros((9, 2)), [0, 1], [1, 9])
    with pytest.raises(ValueError, match="nodes must be a"):
        make_graph(np.zeros(9), [0], [1])
    with pytest.raises(ValueError, match="padding must add"):
        pad_graph(GRAPH, N, 30)
    with pytest.raises(ValueError, match="layer must be one of"):
        GNNClassifier("gin", (4,), 2).init(jax.random.PRNGKey(0), GRAPH)
    with pytest.raises(ValueError, match="aggregator must be one of"):
        _apply(SAGEConv(4, "median"))
