"""Bayesian networks: exact inference (enumeration, VE, MAP) against brute-force sums of
the full joint and pgmpy; interventions against the truncated factorisation and the
backdoor formula; d-separation against networkx; CPT learning against pgmpy's estimators
and the true Asia tables; ancestral sampling against exact marginals."""

import itertools
import math

import jax
import jax.numpy as jnp
import networkx as nx
import numpy as np
import pytest
import scipy.stats

from jaxml.bayes import bayesnet as bn
from jaxml.bayes import bn_inference as bni

# --- independent oracles, written without the library's inference code ---------------


def brute_joint(net):
    """float64 joint probabilities p(x), shape ``cards``, as an explicit product of CPT
    entries over every state (itertools, no factor algebra)."""
    cpts = [np.asarray(c, np.float64) for c in net.cpts]
    joint = np.zeros(net.cards)
    for x in itertools.product(*[range(k) for k in net.cards]):
        p = 1.0
        for v, ps in enumerate(net.parents):
            p *= cpts[v][tuple(x[q] for q in ps) + (x[v],)]
        joint[x] = p
    return joint


def brute_posterior(joint, targets, evidence):
    """p(x_targets | evidence) from a dense joint by slicing and summing with numpy."""
    index = tuple(evidence.get(v, slice(None)) for v in range(joint.ndim))
    sliced = joint[index]
    free = [v for v in range(joint.ndim) if v not in evidence]
    summed = sliced.sum(axis=tuple(i for i, v in enumerate(free) if v not in targets))
    kept = [v for v in free if v in targets]
    table = np.transpose(summed, [kept.index(v) for v in targets])
    return table / table.sum()


def truncated_joint(net, do):
    """p(x | do(X = x*)) = 1[x_X = x*] prod_{v not in X} p(x_v | pa_v), by brute force."""
    cpts = [np.asarray(c, np.float64) for c in net.cpts]
    joint = np.zeros(net.cards)
    for x in itertools.product(*[range(k) for k in net.cards]):
        if any(x[v] != s for v, s in do.items()):
            continue
        p = 1.0
        for v, ps in enumerate(net.parents):
            if v not in do:
                p *= cpts[v][tuple(x[q] for q in ps) + (x[v],)]
        joint[x] = p
    return joint


def to_pgmpy(net):
    """Our network as a pgmpy DiscreteBayesianNetwork. pgmpy's TabularCPD values are
    (child card, prod of parent cards) with the first evidence variable slowest; our CPT
    is (parent cards..., child card), so reshape(-1, card).T is exactly that layout."""
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    model = DiscreteBayesianNetwork([(net.names[p], net.names[v]) for p, v in net.edges])
    model.add_nodes_from(net.names)
    cpds = []
    for v, ps in enumerate(net.parents):
        values = np.asarray(net.cpts[v], np.float64).reshape(-1, net.cards[v]).T
        cpds.append(TabularCPD(
            net.names[v], net.cards[v], values,
            evidence=[net.names[p] for p in ps] or None,
            evidence_card=[net.cards[p] for p in ps] or None,
            state_names={net.names[u]: list(range(net.cards[u])) for u in ps + (v,)}))
    model.add_cpds(*cpds)
    assert model.check_model()
    return model


def pgmpy_table(factor, names):
    """A pgmpy DiscreteFactor's values with axes in the order ``names``."""
    return np.transpose(factor.values, [factor.variables.index(n) for n in names])


EVIDENCE = {
    "sprinkler": [{}, {3: 1}, {3: 1, 0: 0}, {1: 1, 3: 1}, {2: 0}],
    "asia": [{}, {6: 1}, {6: 1, 7: 1}, {0: 1, 7: 1, 2: 0}, {5: 0}, {3: 1, 4: 0, 6: 0}],
}
NETS = {"sprinkler": bn.sprinkler, "asia": bn.asia}


# --- exact inference ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sprinkler", "asia"])
def test_ve_and_enumeration_match_brute_force(name):
    net = NETS[name]()
    joint = brute_joint(net)
    V = net.num_variables
    worst = 0.0
    for ev in EVIDENCE[name]:
        free = [v for v in range(V) if v not in ev]
        targets = [(v,) for v in free] + list(itertools.combinations(free, 2))[:3]
        targets.append(tuple(reversed(free[:3])))  # a joint over 3, in non-sorted order
        for t in targets:
            want = brute_posterior(joint, t, ev)
            for method in ("ve", "enumeration"):
                got = bni.query(net, list(t), ev, method=method)
                assert got.shape == tuple(net.cards[v] for v in t)
                worst = max(worst, float(np.max(np.abs(np.asarray(got, np.float64) - want))))
            by_name = bni.query(net, [net.names[v] for v in t],
                                {net.names[v]: s for v, s in ev.items()}, heuristic="min_degree")
            worst = max(worst, float(np.max(np.abs(np.asarray(by_name, np.float64) - want))))
        # log p(e) by both methods
        index = tuple(ev.get(v, slice(None)) for v in range(V))
        for method in ("ve", "enumeration"):
            np.testing.assert_allclose(bni.log_evidence(net, ev, method=method),
                                       np.log(joint[index].sum()), rtol=1e-6, atol=1e-6)
    assert worst < 1e-6, worst


def test_single_variable_query_shape_and_name():
    net = bn.asia()
    p = bni.query(net, "lung", {"xray": 1})
    assert p.shape == (2,)
    np.testing.assert_allclose(p, bni.query(net, ["lung"], {6: 1})[:], atol=0)


def test_sprinkler_textbook_values():
    # Murphy's tables: p(S=1|W=1) = 0.2781/0.6471 = 0.430, p(R=1|W=1) = 0.4581/0.6471 = 0.708
    net = bn.sprinkler()
    for method in ("ve", "enumeration"):
        assert abs(float(bni.query(net, "sprinkler", {"wet_grass": 1}, method=method)[1])
                   - 0.2781 / 0.6471) < 1e-4
        assert abs(float(bni.query(net, "rain", {"wet_grass": 1}, method=method)[1])
                   - 0.4581 / 0.6471) < 1e-4
    assert abs(float(jnp.exp(bni.log_evidence(net, {"wet_grass": 1}))) - 0.6471) < 1e-4


@pytest.mark.parametrize("name", ["sprinkler", "asia"])
def test_matches_pgmpy_variable_elimination_and_belief_propagation(name):
    from pgmpy.inference import BeliefPropagation, VariableElimination

    net = NETS[name]()
    model = to_pgmpy(net)
    ve, bp = VariableElimination(model), BeliefPropagation(model)
    worst = 0.0
    for ev in EVIDENCE[name][:4]:
        named_ev = {net.names[v]: s for v, s in ev.items()}
        free = [net.names[v] for v in range(net.num_variables) if v not in ev]
        for var in free:
            ours = np.asarray(bni.query(net, var, named_ev), np.float64)
            for engine in (ve, bp):
                ref = engine.query([var], evidence=named_ev or None, show_progress=False) \
                    if engine is ve else engine.query([var], evidence=named_ev or None)
                worst = max(worst, float(np.max(np.abs(ours - ref.values))))
        pair = free[-2:][::-1]
        ref = ve.query(pair, evidence=named_ev or None, joint=True, show_progress=False)
        ours = np.asarray(bni.query(net, pair, named_ev), np.float64)
        worst = max(worst, float(np.max(np.abs(ours - pgmpy_table(ref, pair)))))
    assert worst < 1e-6, worst


def test_map_query_matches_brute_force_and_pgmpy():
    from pgmpy.inference import VariableElimination

    for make, evs in ((bn.sprinkler, [{}, {3: 1}, {0: 1}]),
                      (bn.asia, [{6: 1, 7: 1}, {0: 1, 7: 1}, {}])):
        net = make()
        joint = brute_joint(net)
        model = VariableElimination(to_pgmpy(net))
        for ev in evs:
            res = bni.map_query(net, evidence=ev)
            index = tuple(ev.get(v, slice(None)) for v in range(net.num_variables))
            best = joint[index].max()
            np.testing.assert_allclose(res.log_prob, np.log(best), rtol=1e-6)
            full = dict(ev)
            full.update(zip(res.variables, np.asarray(res.states).tolist()))
            state = tuple(full[v] for v in range(net.num_variables))
            np.testing.assert_allclose(joint[state], best, rtol=1e-6)  # an argmax
            if np.sum(np.isclose(joint[index], best, rtol=1e-9)) == 1:  # unique MPE
                named_ev = {net.names[v]: s for v, s in ev.items()}
                ref = model.map_query([net.names[v] for v in res.variables],
                                      evidence=named_ev or None, show_progress=False)
                assert {net.names[v]: int(s) for v, s in zip(res.variables, res.states)} \
                    == {k: int(s) for k, s in ref.items()}
    # marginal MAP over (lung, bronc) given dysp: sum the others out, then maximise
    net = bn.asia()
    joint = brute_joint(net)
    table = brute_posterior(joint, (3, 4), {7: 1}) * joint[..., 1].sum()
    res = bni.map_query(net, ["lung", "bronc"], {"dysp": 1})
    assert tuple(np.asarray(res.states)) == np.unravel_index(np.argmax(table), table.shape)
    np.testing.assert_allclose(res.log_prob, np.log(table.max()), rtol=1e-6)


def test_factor_algebra_and_any_elimination_order():
    """VE by hand with the public factor operations in random orders equals the joint."""
    net = bn.asia()
    joint = brute_joint(net)
    rng = np.random.default_rng(0)
    ev = {6: 1, 7: 1}
    for _ in range(3):
        factors = [bni.factor_reduce(f, ev) for f in bni.cpt_factors(net)]
        hidden = [v for v in rng.permutation(net.num_variables).tolist()
                  if v not in ev and v != 3]
        for v in hidden:
            touching = [f for f in factors if v in f.variables]
            factors = [f for f in factors if v not in f.variables]
            factors.append(bni.factor_marginalize(bni.factor_product(*touching), [v]))
        final = bni.factor_product(*factors)
        assert final.variables == (3,)
        p = np.exp(np.asarray(final.log_table, np.float64))
        np.testing.assert_allclose(p / p.sum(), brute_posterior(joint, (3,), ev), atol=1e-6)
    # product / max-out against numpy broadcasting
    a = bni.Factor(jnp.log(jnp.asarray([[0.1, 0.9], [0.4, 0.6]])), (0, 2))
    b = bni.Factor(jnp.log(jnp.asarray([[0.3, 0.7, 0.2], [0.5, 0.5, 0.1]])), (2, 1))
    ab = bni.factor_product(a, b)
    assert ab.variables == (0, 2, 1)
    want = np.exp(np.asarray(a.log_table))[:, :, None] * np.exp(np.asarray(b.log_table))[None]
    np.testing.assert_allclose(np.exp(ab.log_table), want, rtol=1e-6)
    np.testing.assert_allclose(np.exp(bni.factor_marginalize(ab, [2], op="max").log_table),
                               want.max(axis=1), rtol=1e-6)


def _width(adjacency, order):
    """Induced width of an elimination order (independent of the library)."""
    adj = {v: set(n) for v, n in adjacency.items()}
    width = 0
    for v in order:
        nbrs = adj.pop(v)
        width = max(width, len(nbrs))
        for a in nbrs:
            adj[a] = (adj[a] | nbrs) - {a, v}
    return width


@pytest.mark.parametrize("name", ["sprinkler", "asia"])
def test_elimination_order_heuristics(name):
    net = NETS[name]()
    moral = nx.moral_graph(nx.DiGraph(list(net.edges)))
    assert sorted(tuple(sorted(e)) for e in moral.edges) == bni.moral_graph(net)
    adjacency = {v: set(moral[v]) for v in moral}
    treewidth = min(_width(adjacency, order)
                    for order in itertools.permutations(range(net.num_variables)))
    nx_fill, _ = nx.approximation.treewidth_min_fill_in(moral)
    for heuristic in bni.HEURISTICS:
        order = bni.elimination_order(net, heuristic=heuristic)
        assert sorted(order) == list(range(net.num_variables))
        assert bni.induced_width(net, order) == _width(adjacency, order) == treewidth
    assert nx_fill == treewidth


# --- interventions --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sprinkler", "asia"])
def test_interventions_match_truncated_factorisation(name):
    net = NETS[name]()
    cases = ({"sprinkler": [({1: 1}, {}), ({2: 0}, {3: 1}), ({0: 1, 1: 0}, {})],
              "asia": [({5: 1}, {}), ({3: 1}, {6: 1}), ({2: 1, 0: 0}, {7: 1})]})[name]
    for do, ev in cases:
        joint = truncated_joint(net, do)
        surgered = bni.intervene(net, do)
        for v, s in do.items():
            assert surgered.parents[v] == ()
            np.testing.assert_array_equal(surgered.cpts[v], np.eye(net.cards[v])[s])
        for v in range(net.num_variables):
            if v not in do:
                assert surgered.parents[v] == net.parents[v]
        for v in range(net.num_variables):
            if v in ev:
                continue
            for method in ("ve", "enumeration"):
                got = bni.query(net, v, ev, do=do, method=method)
                np.testing.assert_allclose(got, brute_posterior(joint, (v,), ev), atol=1e-6)


def test_sprinkler_do_differs_from_conditioning_as_backdoor_says():
    net = bn.sprinkler()
    do = bni.query(net, "wet_grass", do={"sprinkler": 1})[1]
    seen = bni.query(net, "wet_grass", {"sprinkler": 1})[1]
    # backdoor adjustment over z = cloudy (the parent of sprinkler)
    p_c = bni.query(net, "cloudy")
    adjusted = sum(bni.query(net, "wet_grass", {"sprinkler": 1, "cloudy": c})[1] * p_c[c]
                   for c in range(2))
    np.testing.assert_allclose(do, adjusted, atol=1e-6)
    # observing sprinkler=1 makes cloudy (hence rain) less likely; forcing it does not
    joint = brute_joint(net)
    np.testing.assert_allclose(seen, brute_posterior(joint, (3,), {1: 1})[1], atol=1e-6)
    assert do - seen > 0.01
    # intervening on a child leaves its ancestors' distribution alone
    np.testing.assert_allclose(bni.query(net, "cloudy", do={"rain": 1}), p_c, atol=1e-7)
    assert abs(float(bni.query(net, "cloudy", {"rain": 1})[1] - p_c[1])) > 0.1


# --- d-separation ---------------------------------------------------------------------


def _nx_dsep(G, x, y, z):
    test = getattr(nx, "is_d_separator", None) or nx.d_separated
    return test(G, set(x), set(y), set(z))


@pytest.mark.parametrize("name", ["sprinkler", "asia"])
def test_d_separation_matches_networkx(name):
    net = NETS[name]()
    G = nx.DiGraph()
    G.add_nodes_from(range(net.num_variables))
    G.add_edges_from(net.edges)
    V = range(net.num_variables)
    checked = separated = 0
    for x, y in itertools.combinations(V, 2):
        rest = [v for v in V if v not in (x, y)]
        for k in range(3):
            for z in itertools.combinations(rest, k):
                ours = bni.d_separated(net, x, y, list(z))
                assert ours == _nx_dsep(G, [x], [y], z), (x, y, z)
                checked += 1
                separated += ours
    # a few set-valued queries, by name
    names = net.names
    last = net.num_variables - 1
    for given in [[], [1]] + ([[1, 2]] if last > 4 else []):
        assert bni.d_separated(net, [names[0]], [names[last], names[last - 1]],
                               [names[g] for g in given]) \
            == _nx_dsep(G, [0], [last, last - 1], given)
    assert 0 < separated < checked


def _max_ci_gap(joint, x, y, z):
    """max |p(x,y|z) - p(x|z) p(y|z)| over z with p(z) > 0."""
    other = tuple(v for v in range(joint.ndim) if v not in (x, y) + z)
    marg = joint.sum(axis=other)
    kept = [v for v in range(joint.ndim) if v not in other]
    marg = np.transpose(marg, [kept.index(v) for v in (x, y) + z])
    pz = marg.sum(axis=(0, 1))
    cond = marg / np.where(pz > 0, pz, 1)
    gap = np.abs(cond - cond.sum(1, keepdims=True) * cond.sum(0, keepdims=True))
    return float(np.max(gap * (pz > 0)))


def test_d_separation_implies_numerical_independence():
    net = bn.asia()
    joint = brute_joint(net)
    separated = [(0, 2, ()), (1, 3, ()), (0, 6, (5,)), (2, 5, (3,)), (4, 6, (2,)),
                 (4, 5, (2,)), (6, 7, (5,))]
    connected = [(1, 3, (5,)), (2, 7, ()), (0, 6, ()), (4, 5, (7,)), (1, 3, (7,))]
    for x, y, z in separated:
        assert bni.d_separated(net, x, y, list(z))
        assert _max_ci_gap(joint, x, y, z) < 1e-9
    for x, y, z in connected:
        assert not bni.d_separated(net, x, y, list(z))
        assert _max_ci_gap(joint, x, y, z) > 1e-4


# --- parameter learning ---------------------------------------------------------------


def _pgmpy_rows(cpd, net, v):
    """A pgmpy TabularCPD (its parents sorted by name) in our (parents..., child) layout."""
    factor = cpd.to_factor()
    return pgmpy_table(factor, [net.names[p] for p in net.parents[v]] + [net.names[v]])


def test_fit_cpts_matches_pgmpy_estimators():
    import pandas as pd
    from pgmpy.estimators import BayesianEstimator, MaximumLikelihoodEstimator
    from pgmpy.models import DiscreteBayesianNetwork

    net = bn.asia()
    data = np.asarray(bn.sample(0, net, 300))
    frame = pd.DataFrame(data, columns=list(net.names))
    state_names = {n: [0, 1] for n in net.names}
    model = DiscreteBayesianNetwork([(net.names[p], net.names[v]) for p, v in net.edges])
    counts = bn.family_counts(jnp.asarray(data), net.cards, 5, net.parents[5])
    assert float(counts[1, 1].sum()) == 0  # tub=1, lung=1 unseen: the uniform-row case
    mle = bn.fit_cpts(data, net.names, net.cards, net.parents)
    est = MaximumLikelihoodEstimator(model, frame, state_names=state_names)
    bayes = BayesianEstimator(model, frame, state_names=state_names)
    for v in range(net.num_variables):
        np.testing.assert_allclose(mle.cpts[v], _pgmpy_rows(est.estimate_cpd(net.names[v]),
                                                            net, v), atol=1e-6)
        ref = bayes.estimate_cpd(net.names[v], prior_type="BDeu", equivalent_sample_size=5)
        ours = bn.fit_cpts(data, net.names, net.cards, net.parents, prior="bdeu",
                           equivalent_sample_size=5.0)
        np.testing.assert_allclose(ours.cpts[v], _pgmpy_rows(ref, net, v), atol=1e-6)
        ref = bayes.estimate_cpd(net.names[v], prior_type="dirichlet", pseudo_counts=
                                 np.full((2, 2 ** len(net.parents[v])), 0.5))
        ours = bn.fit_cpts(data, net.names, net.cards, net.parents, pseudo_count=0.5)
        np.testing.assert_allclose(ours.cpts[v], _pgmpy_rows(ref, net, v), atol=1e-6)
    np.testing.assert_allclose(mle.cpts[5][1, 1], [0.5, 0.5])
    # weights: integer weights equal repeating rows
    w = np.random.default_rng(1).integers(0, 3, data.shape[0])
    fw = bn.fit_cpts(data, net.names, net.cards, net.parents, weights=w.astype(np.float32))
    fr = bn.fit_cpts(np.repeat(data, w, axis=0), net.names, net.cards, net.parents)
    for a, b in zip(fw.cpts, fr.cpts):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_fit_cpts_recovers_asia_tables():
    net = bn.asia()
    n = 50_000
    data = bn.sample(3, net, n)
    fitted = bn.fit_cpts(data, net.names, net.cards,
                         [[net.names[p] for p in ps] for ps in net.parents])  # by name
    worst_z = 0.0
    for v in range(net.num_variables):
        counts = np.asarray(bn.family_counts(data, net.cards, v, net.parents[v]))
        n_u = counts.sum(-1)
        true = np.asarray(net.cpts[v], np.float64)
        est = np.asarray(fitted.cpts[v], np.float64)
        seen = n_u >= 30
        se = np.sqrt(true[..., 1] * (1 - true[..., 1]) / np.maximum(n_u, 1))
        err = np.abs(est[..., 1] - true[..., 1])
        exact = seen & (se == 0)
        assert np.all(err[exact] < 1e-6)  # deterministic rows (either = OR) are exact
        z = err[seen & (se > 0)] / se[seen & (se > 0)]
        worst_z = max(worst_z, float(z.max()) if z.size else 0.0)
    assert worst_z < 4.5, worst_z


# --- sampling and the log joint -------------------------------------------------------


def test_sampling_matches_exact_marginals_and_joint():
    net = bn.asia()
    n = 20_000
    x = np.asarray(bn.sample(7, net, n))
    assert x.shape == (n, 8) and x.dtype == np.int32
    exact = np.stack([np.asarray(bni.query(net, v)) for v in range(8)])
    emp = np.stack([np.bincount(x[:, v], minlength=2) / n for v in range(8)])
    z = np.abs(emp - exact)[:, 1] / np.sqrt(exact[:, 1] * exact[:, 0] / n)
    assert z.max() < 4.5, z
    # sprinkler: chi-square goodness of fit of the 16 joint states (scipy oracle)
    net = bn.sprinkler()
    p = brute_joint(net).ravel()
    x = np.asarray(bn.sample(8, net, n))
    obs = np.bincount(np.ravel_multi_index(x.T, net.cards), minlength=16)
    assert np.all(obs[p == 0] == 0)
    stat = scipy.stats.chisquare(obs[p > 0], n * p[p > 0] / p[p > 0].sum())
    assert stat.pvalue > 1e-3


def test_sample_determinism_and_jit():
    net = bn.asia()
    a = bn.sample(11, net, 500)
    np.testing.assert_array_equal(a, bn.sample(11, net, 500))
    assert not np.array_equal(a, bn.sample(12, net, 500))
    jitted = jax.jit(bn.sample, static_argnums=2)(jax.random.PRNGKey(11), net, 500)
    np.testing.assert_array_equal(a, jitted)
    lj = bn.log_joint(net, a)
    np.testing.assert_allclose(jax.jit(bn.log_joint)(net, a), lj, rtol=1e-6)
    joint = brute_joint(net)
    np.testing.assert_allclose(lj, np.log(joint[tuple(np.asarray(a).T)]), rtol=1e-5)


def test_query_jit_and_vmap_over_cpts():
    net = bn.asia()
    f = jax.jit(lambda n: bni.query(n, ["lung", "tub"], {"xray": 1, "dysp": 1}))
    np.testing.assert_allclose(f(net), bni.query(net, ["lung", "tub"], {6: 1, 7: 1}),
                               atol=1e-7)
    g = jax.jit(lambda n: bni.map_query(n, evidence={"xray": 1}).states)
    np.testing.assert_array_equal(g(net), bni.map_query(net, evidence={"xray": 1}).states)
    # a batch of networks that differ in p(smoke): one vmapped query
    p_smoke = jnp.asarray([0.2, 0.5, 0.9])
    tables = jnp.stack([1 - p_smoke, p_smoke], axis=-1)

    def posterior(t):
        cpts = list(net.cpts)
        cpts[2] = t
        return bni.query(net.replace(cpts=tuple(cpts)), "lung", {"dysp": 1})

    batch = jax.vmap(posterior)(tables)
    for i in range(3):
        np.testing.assert_allclose(batch[i], posterior(tables[i]), atol=1e-6)


# --- bad input ------------------------------------------------------------------------


def test_bad_input_errors():
    table = np.asarray([[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="cycle"):
        bn.bayes_net(["a", "b"], [2, 2], [["b"], ["a"]], [table, table])
    with pytest.raises(ValueError, match="sum to 1"):
        bn.bayes_net(["a"], [2], [[]], [np.asarray([0.5, 0.6])])
    net = bn.sprinkler()
    with pytest.raises(ValueError, match="unknown variable 'fog'"):
        bni.query(net, "rain", {"fog": 1})
    with pytest.raises(ValueError, match="out of range"):
        bni.query(net, "rain", {"wet_grass": 2})
    with pytest.raises(ValueError, match="out of range"):
        bni.query(net, 7)
    with pytest.raises(ValueError, match="both queried and observed"):
        bni.query(net, ["rain", "cloudy"], {"rain": 1})
    with pytest.raises(ValueError, match="repeats"):
        bni.query(net, ["rain", "rain"])
    with pytest.raises(ValueError, match="probability zero"):
        bni.query(net, "cloudy", {"sprinkler": 0, "rain": 0, "wet_grass": 1})
    with pytest.raises(ValueError, match="probability zero"):
        bni.query(net, "cloudy", {"sprinkler": 0}, do={"sprinkler": 1})
    with pytest.raises(ValueError, match="method must be one of"):
        bni.query(net, "rain", method="gibbs")
    with pytest.raises(ValueError, match="max_states"):
        bni.query(net, "rain", method="enumeration", max_states=8)
    with pytest.raises(TypeError, match="state"):
        bni.query(net, "rain", {"wet_grass": 0.5})
    with pytest.raises(ValueError, match="out of range"):
        bni.intervene(net, {"sprinkler": 3})
    with pytest.raises(ValueError, match="disjoint"):
        bni.d_separated(net, "rain", ["sprinkler", "rain"])
    with pytest.raises(ValueError, match="unknown variable"):
        bni.d_separated(net, "rain", "sprinkler", ["fog"])
    data = np.asarray(bn.sample(0, net, 50))
    args = (net.names, net.cards, net.parents)
    with pytest.raises(ValueError, match="not both"):
        bn.fit_cpts(data, *args, pseudo_count=1.0, prior="bdeu")
    with pytest.raises(ValueError, match="pseudo_count"):
        bn.fit_cpts(data, *args, pseudo_count=-1.0)
    with pytest.raises(ValueError, match="prior must be one of"):
        bn.fit_cpts(data, *args, prior="k3")
    with pytest.raises(ValueError, match="out of range"):
        bn.fit_cpts(data + 1, *args)
    with pytest.raises(ValueError, match="cycle"):
        bn.fit_cpts(data, net.names, net.cards, [[3], [0], [0], [1, 2]])
    assert math.isinf(float(bni.log_evidence(net, {"sprinkler": 0, "rain": 0,
                                                    "wet_grass": 1})))
