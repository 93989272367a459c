"""Structure learning: scores against pgmpy's BIC/BDeu/K2/LogLikelihood, CI tests against
scipy.stats.chi2_contingency and pgmpy's GSq/ChiSquare, dag_to_cpdag against a brute-force
enumeration of the Markov equivalence class, hill climbing against pgmpy's
HillClimbSearch and the true Asia/sprinkler graphs, PC on the same networks.

Measured (Asia / sprinkler, 10 000 rows from ``sample(0, net, 10_000)``): hill climbing
(BIC) ends at SHD 1 / 0 from the true CPDAG with a score at or above the true DAG's
(-22483.81 vs -22483.92 on Asia: it drops the weak asia - tub edge; equal on
sprinkler); PC (G², alpha = 0.01) ends at SHD 1 / 0 (Asia: asia - tub again). PC's
rule that a zero-dof test never removes an edge matters on Asia: ``either = tub OR lung``
is constant in every stratum of {tub, lung}, and accepting those tests as independences
would cut either - xray and either - dysp (SHD 4). The assertions leave a margin of one.
Whole file: about 25 s on 2 CPU cores.
"""

import itertools
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.stats

from jaxml.bayes import bayesnet as bn
from jaxml.bayes import structure as st

NETS = {"asia": bn.asia, "sprinkler": bn.sprinkler}


@pytest.fixture(scope="module")
def samples():
    """10 000 rows from each classic network, key 0."""
    return {name: np.asarray(bn.sample(0, make(), 10_000)) for name, make in NETS.items()}


def random_net(seed, num_variables=5, max_card=3, edge_prob=0.5):
    """A random DAG (parents among lower indices) with Dirichlet(1) CPT rows."""
    rng = np.random.default_rng(seed)
    cards = [int(c) for c in rng.integers(2, max_card + 1, num_variables)]
    parents = [tuple(p for p in range(v) if rng.random() < edge_prob)
               for v in range(num_variables)]
    cpts = [rng.dirichlet(np.ones(cards[v]), size=tuple(cards[p] for p in ps))
            for v, ps in enumerate(parents)]
    return bn.bayes_net([f"x{v}" for v in range(num_variables)], cards, parents, cpts)


def to_frame(data, cards):
    names = [f"x{v}" for v in range(len(cards))]
    return (pd.DataFrame(np.asarray(data), columns=names),
            {n: list(range(c)) for n, c in zip(names, cards)})


# --- scores ----------------------------------------------------------------------------


def pgmpy_scorer(score, frame, state_names, ess=10.0):
    from pgmpy import structure_score as ps

    if score == "bdeu":
        return ps.BDeu(frame, equivalent_sample_size=ess, state_names=state_names)
    cls = {"bic": ps.BIC, "k2": ps.K2, "loglik": ps.LogLikelihood}[score]
    return cls(frame, state_names=state_names)


def k2_unseen_term(data, cards, child, parents):
    """pgmpy 1.1's K2 adds :math:`q \\log\\Gamma(r)` but subtracts :math:`\\log\\Gamma
    (N_u + r)` only over the parent configurations seen (its own code comments out the
    adjustment), so it exceeds the Cooper–Herskovits score by :math:`\\log\\Gamma(r)`
    per unseen configuration; this is that excess."""
    q = int(np.prod([cards[p] for p in parents]))
    seen = len(np.unique(data[:, list(parents)], axis=0)) if parents else 1
    return (q - seen) * math.lgamma(cards[child])


@pytest.mark.parametrize("seed", [0, 1])
def test_scores_match_pgmpy(seed):
    net = random_net(seed)
    # 300 rows: with three 3-state parents most parent configurations are empty
    data = np.asarray(bn.sample(seed, net, 300))
    frame, state_names = to_frame(data, net.cards)
    rng = np.random.default_rng(seed)
    families = [(v, ps) for v, ps in enumerate(net.parents)]
    families += [(int(v), tuple(int(p) for p in rng.choice(
        [u for u in range(5) if u != v], size=k, replace=False)))
        for v, k in zip(rng.integers(0, 5, 6), [0, 1, 2, 3, 3, 4])]
    worst = 0.0
    for score, ess in [("bic", 10.0), ("bdeu", 10.0), ("bdeu", 2.5), ("k2", 10.0),
                       ("loglik", 10.0)]:
        ref = pgmpy_scorer(score, frame, state_names, ess)
        for v, ps in families:
            ours = st.local_score(data, net.cards, v, ps, score=score,
                                  equivalent_sample_size=ess)
            want = ref.local_score(f"x{v}", tuple(f"x{p}" for p in ps))
            if score == "k2":
                want -= k2_unseen_term(data, net.cards, v, ps)
            worst = max(worst, abs(ours - want) / abs(want))
        ours = st.network_score(data, net.cards, net.adjacency(), score=score,
                                equivalent_sample_size=ess)
        want = sum(ref.local_score(f"x{v}", tuple(f"x{p}" for p in ps))
                   for v, ps in enumerate(net.parents))
        worst = max(worst, abs(ours - want) / abs(want))
    assert worst < 1e-6, worst


def test_bic_by_hand():
    # y copies x in 3 of 4 rows: LL = 4 * 2 * (1/2) log(1/2)... written out cell by cell
    data = np.array([[0, 0], [0, 0], [1, 1], [1, 0]])
    ll = 2 * np.log(1.0) + 1 * np.log(0.5) + 1 * np.log(0.5)
    np.testing.assert_allclose(st.local_score(data, (2, 2), 1, (0,), "loglik"), ll)
    np.testing.assert_allclose(st.local_score(data, (2, 2), 1, (0,), "bic"),
                               ll - 0.5 * np.log(4) * 2)


@pytest.mark.parametrize("score", ["bic", "bdeu", "loglik"])
def test_equivalent_dags_score_equal(samples, score):
    """BIC, BDeu and the likelihood are score equivalent (Heckerman et al. 1995): Asia
    with asia -> tub reversed is in the same equivalence class and scores the same."""
    net = bn.asia()
    reversed_edge = net.adjacency()
    reversed_edge[0, 1], reversed_edge[1, 0] = 0, 1
    a = st.network_score(samples["asia"], net.cards, net.adjacency(), score)
    b = st.network_score(samples["asia"], net.cards, reversed_edge, score)
    np.testing.assert_allclose(a, b, rtol=1e-9)


# --- conditional independence tests ----------------------------------------------------


def ci_data(seed=0, n=4000):
    """x0, x1 with 3 states (x1 depends on x0), x2, x3 binary strata; every cell occurs."""
    rng = np.random.default_rng(seed)
    x0 = rng.integers(0, 3, n)
    x2 = rng.integers(0, 2, n)
    x3 = rng.integers(0, 2, n)
    x1 = np.where(rng.random(n) < 0.2, x0, rng.integers(0, 3, n))
    return np.stack([x0, x1, x2, x3], axis=1), (3, 3, 2, 2)


@pytest.mark.parametrize("test", ["g2", "chi2"])
@pytest.mark.parametrize("x, y, z", [(0, 1, ()), (0, 1, (2,)), (0, 2, (1, 3)), (2, 3, (0,))])
def test_ci_test_matches_scipy(test, x, y, z):
    data, cards = ci_data()
    lambda_ = "log-likelihood" if test == "g2" else "pearson"
    total_stat, total_dof = 0.0, 0
    for stratum in itertools.product(*[range(cards[v]) for v in z]):
        rows = np.all(data[:, list(z)] == np.array(stratum, dtype=int), axis=1)
        table = np.zeros((cards[x], cards[y]))
        np.add.at(table, (data[rows, x], data[rows, y]), 1)
        stat, _, dof, _ = scipy.stats.chi2_contingency(table, correction=False,
                                                       lambda_=lambda_)
        total_stat, total_dof = total_stat + stat, total_dof + dof
    stat, dof, p = st.ci_test(data, cards, x, y, z, test=test)
    assert dof == total_dof == (cards[x] - 1) * (cards[y] - 1) * int(np.prod(
        [cards[v] for v in z]))
    np.testing.assert_allclose(stat, total_stat, rtol=1e-9)
    np.testing.assert_allclose(p, scipy.stats.chi2.sf(total_stat, total_dof), rtol=1e-9)


@pytest.mark.parametrize("test, cls", [("g2", "GSq"), ("chi2", "ChiSquare")])
def test_ci_test_matches_pgmpy(test, cls):
    """3-state x and y, so no stratum is 2x2 and pgmpy's Yates correction is inactive."""
    from pgmpy import ci_tests

    data, cards = ci_data(1)
    frame, _ = to_frame(data, cards)
    ref = getattr(ci_tests, cls)(frame)
    for x, y, z in [(0, 1, ()), (0, 1, (2, 3)), (1, 0, (3,))]:
        want_stat, want_p = ref.run_test(f"x{x}", f"x{y}", [f"x{v}" for v in z])
        stat, dof, p = st.ci_test(data, cards, x, y, z, test=test)
        assert dof == ref.dof_
        np.testing.assert_allclose([stat, p], [want_stat, want_p], rtol=1e-9, atol=1e-300)


def test_ci_test_power_and_sparse_dof():
    data, cards = ci_data()
    assert st.ci_test(data, cards, 0, 1)[2] < 1e-10  # dependent
    assert st.ci_test(data, cards, 0, 2, (3,))[2] > 0.01  # independent
    # x0 is constant in stratum x2 = 0: that stratum adds no degrees of freedom
    sparse = data.copy()
    sparse[sparse[:, 2] == 0, 0] = 0
    assert st.ci_test(sparse, cards, 0, 1, (2,))[1] == 2 * 2
    constant = data.copy()
    constant[:, 0] = 1
    assert st.ci_test(constant, cards, 0, 1) == (0.0, 0, 1.0)


# --- CPDAGs, SHD, is_dag -----------------------------------------------------------------


def v_structures(g):
    V = len(g)
    return {(i, k, j) for k in range(V) for i, j in itertools.combinations(range(V), 2)
            if g[i, k] and g[j, k] and not (g[i, j] or g[j, i])}


def brute_force_cpdag(dag):
    """Orient the skeleton in every way; keep the acyclic orientations with the DAG's
    v-structures (its equivalence class); an edge is directed iff all members agree."""
    edges = list(zip(*np.nonzero(dag)))
    union = np.zeros_like(dag)
    for flips in itertools.product((0, 1), repeat=len(edges)):
        g = np.zeros_like(dag)
        for (i, j), flip in zip(edges, flips):
            g[(j, i) if flip else (i, j)] = 1
        if nx.is_directed_acyclic_graph(nx.DiGraph(g)) and v_structures(g) == v_structures(dag):
            union |= g
    return union


@pytest.mark.parametrize("seed", range(8))
def test_dag_to_cpdag_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(4, 7))
    order = rng.permutation(V)
    dag = np.zeros((V, V), np.int32)
    for a, b in itertools.combinations(range(V), 2):
        if rng.random() < 0.5:
            dag[order[a], order[b]] = 1
    np.testing.assert_array_equal(st.dag_to_cpdag(dag), brute_force_cpdag(dag))


@pytest.mark.parametrize("name", ["asia", "sprinkler"])
def test_dag_to_cpdag_classic_networks(name):
    dag = NETS[name]().adjacency()
    np.testing.assert_array_equal(st.dag_to_cpdag(dag), brute_force_cpdag(dag))


def test_dag_to_cpdag_hand_examples():
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(st.dag_to_cpdag(chain), chain | chain.T)
    collider = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(st.dag_to_cpdag(collider), collider)
    # collider plus c -> d: R1 compels c -> d
    g = np.zeros((4, 4), np.int32)
    g[0, 2] = g[1, 2] = g[2, 3] = 1
    np.testing.assert_array_equal(st.dag_to_cpdag(g), g)


def test_shd_hand_examples():
    empty = np.zeros((3, 3), np.int32)
    a_to_b = empty.copy()
    a_to_b[0, 1] = 1
    b_to_a = a_to_b.T.copy()
    undirected = a_to_b | b_to_a
    assert st.shd(empty, empty) == 0
    assert st.shd(a_to_b, empty) == 1  # missing
    assert st.shd(empty, a_to_b) == 1  # extra
    assert st.shd(a_to_b, b_to_a) == 1  # reversed: one pair
    assert st.shd(a_to_b, undirected) == 1  # directed vs undirected
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert st.shd(chain, chain.T) == 2
    assert st.shd(chain, np.array([[0, 0, 1], [0, 0, 0], [0, 0, 0]])) == 3


def test_is_dag():
    assert st.is_dag(bn.asia().adjacency())
    assert st.is_dag(np.zeros((2, 2)))
    assert not st.is_dag(np.array([[0, 1], [1, 0]]))  # undirected edge / 2-cycle
    assert not st.is_dag(np.array([[1, 0], [0, 0]]))  # self-loop
    assert not st.is_dag(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]]))


# --- hill climbing -----------------------------------------------------------------------


@pytest.mark.parametrize("name, max_shd", [("asia", 2), ("sprinkler", 1)])
def test_hill_climb_recovers_classic_networks(samples, name, max_shd):
    net = NETS[name]()
    data = samples[name]
    result = st.hill_climb(data, net.cards, score="bic")
    assert st.is_dag(result.adjacency)
    assert result.adjacency.shape == (net.num_variables,) * 2
    truth = st.dag_to_cpdag(net.adjacency())
    assert st.shd(st.dag_to_cpdag(result.adjacency), truth) <= max_shd
    true_score = st.network_score(data, net.cards, net.adjacency(), "bic")
    assert result.score >= true_score - 1e-6
    np.testing.assert_allclose(result.score,
                               st.network_score(data, net.cards, result.adjacency, "bic"))
    assert result.num_iter >= int(result.adjacency.sum())  # one move per edge at least


def test_hill_climb_bdeu_on_sprinkler(samples):
    net = bn.sprinkler()
    result = st.hill_climb(samples["sprinkler"], net.cards, score="bdeu")
    assert st.shd(st.dag_to_cpdag(result.adjacency), st.dag_to_cpdag(net.adjacency())) == 0


def test_hill_climb_restarts_escape_a_local_optimum():
    """Asia, 10 000 rows from key 2: greedy search stops at SHD 7, 27 below the true
    DAG's BIC; 50 restarts perturbed by 8 random moves reach a DAG that scores at least
    the true one and is 1 edge (asia - tub) from its CPDAG (measured)."""
    net = bn.asia()
    data = np.asarray(bn.sample(2, net, 10_000))
    truth = st.dag_to_cpdag(net.adjacency())
    true_score = st.network_score(data, net.cards, net.adjacency())
    greedy = st.hill_climb(data, net.cards)
    assert greedy.score < true_score - 10 and st.shd(st.dag_to_cpdag(greedy.adjacency),
                                                     truth) >= 5
    restarted = st.hill_climb(data, net.cards, restarts=50, perturb=8, key=0)
    assert restarted.score >= true_score
    assert st.shd(st.dag_to_cpdag(restarted.adjacency), truth) <= 2
    assert restarted.num_iter > greedy.num_iter
    again = st.hill_climb(data, net.cards, restarts=50, perturb=8, key=0)
    np.testing.assert_array_equal(again.adjacency, restarted.adjacency)  # keyed


def pgmpy_hill_climb(data, scoring_method):
    from pgmpy.causal_discovery import HillClimbSearch

    frame, _ = to_frame(data, [2] * data.shape[1])
    ref = HillClimbSearch(scoring_method=scoring_method, return_type="dag",
                          show_progress=False).fit(frame)
    dag = np.zeros((data.shape[1],) * 2, np.int32)
    for a, b in ref.causal_graph_.edges():
        dag[int(a[1:]), int(b[1:])] = 1
    return dag


@pytest.mark.parametrize("name", ["asia", "sprinkler"])
def test_hill_climb_matches_pgmpy(samples, name):
    """K2 is not score equivalent, so the search meets no exact ties and both
    implementations take the same path to the same DAG. BIC is: the first move has a tie
    between ``i -> j`` and ``j -> i``, which pgmpy breaks by set-iteration order (it varies
    with PYTHONHASHSEED) and we by index order; measured over five hash seeds pgmpy ends
    at our score or 6.7–8.3 below it (a worse local optimum), never above."""
    net = NETS[name]()
    data = samples[name]
    ours = st.hill_climb(data, net.cards, score="k2")
    np.testing.assert_array_equal(ours.adjacency, pgmpy_hill_climb(data, "k2"))
    ours = st.hill_climb(data, net.cards, score="bic")
    theirs = st.network_score(data, net.cards, pgmpy_hill_climb(data, "bic-d"), "bic")
    assert ours.score >= theirs - 1e-6


def test_hill_climb_options(samples):
    net = bn.asia()
    data = samples["asia"][:2000]
    capped = st.hill_climb(data, net.cards, max_indegree=1, tabu_length=0)
    assert capped.adjacency.sum(axis=0).max() <= 1
    start = net.adjacency()
    frozen = st.hill_climb(data, net.cards, start=start, max_iter=0)
    np.testing.assert_array_equal(frozen.adjacency, start)
    assert frozen.num_iter == 0
    assert frozen.score == st.network_score(data, net.cards, start)
    improved = st.hill_climb(data, net.cards, start=start)
    assert improved.score >= frozen.score


# --- PC ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, max_shd", [("asia", 2), ("sprinkler", 1)])
def test_pc_classic_networks(samples, name, max_shd):
    net = NETS[name]()
    result = st.pc(samples[name], net.cards, alpha=0.01, test="g2")
    truth = st.dag_to_cpdag(net.adjacency())
    assert st.shd(result.cpdag, truth) <= max_shd
    np.testing.assert_array_equal(result.skeleton, result.skeleton.T)
    np.testing.assert_array_equal(result.skeleton, result.cpdag | result.cpdag.T)
    for pair, sepset in result.sepsets.items():
        i, j = sorted(pair)
        assert not result.skeleton[i, j] and not set(sepset) & pair


def test_pc_collider_and_chain():
    collider = bn.bayes_net(["a", "b", "c"], [2, 2, 2], [(), (), ("a", "b")],
                            [np.array([0.5, 0.5]), np.array([0.4, 0.6]),
                             np.array([[[0.9, 0.1], [0.3, 0.7]], [[0.2, 0.8], [0.05, 0.95]]])])
    data = np.asarray(bn.sample(1, collider, 5000))
    for test in ("g2", "chi2"):
        result = st.pc(data, collider.cards, test=test)
        np.testing.assert_array_equal(result.cpdag, collider.adjacency())
        assert result.sepsets == {frozenset({0, 1}): ()}
    chain = bn.bayes_net(["a", "b", "c"], [2, 2, 2], [(), ("a",), ("b",)],
                         [np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.8]]),
                          np.array([[0.85, 0.15], [0.25, 0.75]])])
    result = st.pc(np.asarray(bn.sample(2, chain, 5000)), chain.cards)
    adjacency = chain.adjacency()
    np.testing.assert_array_equal(result.cpdag, adjacency | adjacency.T)
    assert result.sepsets == {frozenset({0, 2}): (1,)}


# --- errors ------------------------------------------------------------------------------


def test_bad_inputs():
    data = np.asarray(bn.sample(0, bn.sprinkler(), 50))
    cards = (2, 2, 2, 2)
    with pytest.raises(ValueError, match="data"):
        st.local_score(data[:, 0], cards, 0)
    with pytest.raises(ValueError, match="data"):
        st.local_score(data + 1, cards, 0)
    with pytest.raises(ValueError, match="cards"):
        st.local_score(data, (2, 2, 2), 0)
    with pytest.raises(ValueError, match="score"):
        st.local_score(data, cards, 0, score="aic")
    with pytest.raises(ValueError, match="equivalent_sample_size"):
        st.local_score(data, cards, 0, score="bdeu", equivalent_sample_size=0.0)
    with pytest.raises(ValueError, match="child"):
        st.local_score(data, cards, 4)
    with pytest.raises(ValueError, match="parents"):
        st.local_score(data, cards, 0, (0, 1))
    with pytest.raises(ValueError, match="parents"):
        st.local_score(data, cards, 0, (1, 1))
    with pytest.raises(ValueError, match="adjacency"):
        st.network_score(data, cards, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="adjacency"):
        st.network_score(data, cards, np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0] * 4, [0] * 4]))
    cycle = np.roll(np.eye(4, dtype=int), 1, axis=1)
    with pytest.raises(ValueError, match="start"):
        st.hill_climb(data, cards, start=cycle)
    with pytest.raises(ValueError, match="start"):
        st.hill_climb(data, cards, start=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="max_indegree"):
        st.hill_climb(data, cards, max_indegree=-1)
    with pytest.raises(ValueError, match="max_indegree"):
        st.hill_climb(data, cards, start=bn.sprinkler().adjacency(), max_indegree=1)
    with pytest.raises(ValueError, match="score"):
        st.hill_climb(data, cards, score="mdl")
    with pytest.raises(ValueError, match="key is needed for restarts > 0"):
        st.hill_climb(data, cards, restarts=2)
    with pytest.raises(ValueError, match="perturb"):
        st.hill_climb(data, cards, restarts=2, perturb=0, key=0)
    for alpha in (0.0, 1.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="alpha"):
            st.pc(data, cards, alpha=alpha)
    with pytest.raises(ValueError, match="test"):
        st.pc(data, cards, test="fisher_z")
    with pytest.raises(ValueError, match="test"):
        st.ci_test(data, cards, 0, 1, test="g")
    with pytest.raises(ValueError, match="x and y"):
        st.ci_test(data, cards, 1, 1)
    with pytest.raises(ValueError, match="z"):
        st.ci_test(data, cards, 0, 1, (1,))
    with pytest.raises(ValueError, match="adjacency"):
        st.dag_to_cpdag(cycle)
    with pytest.raises(ValueError, match="adjacency"):
        st.is_dag(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="b"):
        st.shd(np.zeros((3, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="a must hold only 0 and 1"):
        st.shd(np.full((2, 2), 2), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="a must have a zero diagonal"):
        st.shd(np.eye(2), np.zeros((2, 2)))
