"""Pairwise MRFs: enumeration, BP, max-product, mean field and Ising denoising against
brute-force NumPy enumeration (itertools over all states) and pgmpy's junction-tree BP."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.bayes import mrf
from jaxml.math.algorithms import bfs


def _oracle(unary, edges, pairwise, max_marginals=False):
    """float64 NumPy brute force over itertools.product of all states: log Z, node and
    edge marginals, MAP, log max-marginals (max over the other variables)."""
    u, e, p = (np.asarray(a, float) for a in (unary, edges, pairwise))
    e = e.astype(int).reshape(-1, 2)
    num_nodes, k = u.shape
    states = np.array(list(itertools.product(range(k), repeat=num_nodes)))
    with np.errstate(invalid="ignore"):
        logp = u[np.arange(num_nodes), states].sum(1)
        if len(e):
            logp = logp + p[np.arange(len(e)), states[:, e[:, 0]], states[:, e[:, 1]]].sum(1)
    log_z = np.logaddexp.reduce(logp)
    prob = np.exp(logp - log_z)
    marg = np.stack([np.bincount(states[:, i], prob, k) for i in range(num_nodes)])
    pair = np.stack([np.bincount(states[:, a] * k + states[:, b], prob, k * k).reshape(k, k)
                     for a, b in e]) if len(e) else np.zeros((0, k, k))
    out = dict(log_z=log_z, marg=marg, pair=pair, map=states[np.argmax(logp)],
               map_score=logp.max(), states=states, logp=logp)
    if max_marginals:
        maxmarg = np.full((num_nodes, k), -np.inf)
        for i in range(num_nodes):
            np.maximum.at(maxmarg[i], states[:, i], logp)
        out["maxmarg"] = maxmarg - maxmarg.max(1, keepdims=True)
    return out


def _tree(seed, num_nodes=7, k=3):
    k_tree, k_pot = jax.random.split(jax.random.PRNGKey(seed))
    edges = mrf.random_tree_edges(k_tree, num_nodes)
    return mrf.random_mrf(k_pot, num_nodes, edges, k)


def _grid(seed, height, width, scale=0.5):
    return mrf.random_mrf(jax.random.PRNGKey(seed), height * width,
                          mrf.grid_edges(height, width), 2, unary_scale=scale,
                          pairwise_scale=scale)


def test_exact_inference_matches_itertools():
    """A loopy 5-node K=3 graph (a 4-cycle with a chord and a pendant)."""
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2], [3, 4]])
    m = mrf.random_mrf(3, 5, edges, 3, unary_scale=1.0, pairwise_scale=1.5)
    ref = _oracle(*m)
    ex = mrf.exact_inference(m)
    np.testing.assert_allclose(ex.log_partition, ref["log_z"], rtol=1e-6)
    np.testing.assert_allclose(ex.marginals, ref["marg"], atol=1e-6)
    np.testing.assert_allclose(ex.pairwise_marginals, ref["pair"], atol=1e-6)
    np.testing.assert_array_equal(ex.map_assignment, ref["map"])
    np.testing.assert_allclose(ex.map_log_score, ref["map_score"], rtol=1e-6)
    assert ex.marginals.shape == (5, 3) and ex.pairwise_marginals.shape == (6, 3, 3)
    assert ex.map_assignment.dtype == jnp.int32
    # the general-factor enumeration on the same model's factors agrees
    gen = mrf.enumerate_factors(mrf.mrf_factors(m), [3] * 5, pairs=edges)
    for a, b in zip(gen, ex):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # log_potential of every state is the oracle's unnormalised log joint
    np.testing.assert_allclose(mrf.log_potential(m, ref["states"]), ref["logp"], atol=1e-5)


def test_float32_enumeration_stays_accurate_over_many_states():
    """3**12 = 531441 joint states in float32: marginals within 1e-6 of the float64
    enumeration (summing a bucket's 177147 terms one after another was 3e-4 off)."""
    m = _tree(1, num_nodes=12)
    ex32 = mrf.exact_inference(m)
    with jax.enable_x64(True):
        ex64 = mrf.exact_inference(mrf.PairwiseMRF(
            jnp.asarray(np.asarray(m.log_unary), jnp.float64), jnp.asarray(m.edges),
            jnp.asarray(np.asarray(m.log_pairwise), jnp.float64)))
        marg64, pair64 = np.asarray(ex64.marginals), np.asarray(ex64.pairwise_marginals)
    np.testing.assert_allclose(ex32.marginals, marg64, atol=1e-6)
    np.testing.assert_allclose(ex32.pairwise_marginals, pair64, atol=1e-4)
    np.testing.assert_allclose(ex32.marginals.sum(1), 1.0, atol=1e-6)


def test_enumerate_factors_mixed_cardinalities_and_triple_factor():
    rng = np.random.default_rng(0)
    cards = [2, 3, 4]
    t012 = rng.normal(size=(2, 3, 4))
    t20 = rng.normal(size=(4, 2))   # scope (2, 0): table axes in scope order
    t1 = rng.normal(size=3)
    factors = [((0, 1, 2), t012), ((2, 0), t20), ((1,), t1)]
    logp = np.zeros(cards)
    for a, b, c in itertools.product(*map(range, cards)):
        logp[a, b, c] = t012[a, b, c] + t20[c, a] + t1[b]
    log_z = np.logaddexp.reduce(logp.ravel())
    p = np.exp(logp - log_z)
    res = mrf.enumerate_factors(factors, cards, pairs=[[2, 1]])
    np.testing.assert_allclose(res.log_partition, log_z, rtol=1e-6)
    np.testing.assert_allclose(res.marginals[0, :2], p.sum((1, 2)), atol=1e-6)
    np.testing.assert_allclose(res.marginals[1, :3], p.sum((0, 2)), atol=1e-6)
    np.testing.assert_allclose(res.marginals[2], p.sum((0, 1)), atol=1e-6)
    np.testing.assert_array_equal(res.marginals[0, 2:], 0.0)  # zero padding past K_0 = 2
    np.testing.assert_allclose(res.pairwise_marginals[0, :4, :3], p.sum(0).T, atol=1e-6)
    np.testing.assert_array_equal(res.map_assignment,
                                  np.unravel_index(np.argmax(logp), cards))


def test_tree_bp_exact_float64():
    """Sum-product on random 7-node K=3 trees = brute force to 1e-6 (marginals, edge
    marginals, Bethe log Z); max-product decodes the enumeration MAP."""
    trees = [[np.asarray(a) for a in _tree(seed)] for seed in range(3)]
    with jax.enable_x64(True):
        for u, e, p in trees:
            m = mrf.PairwiseMRF(jnp.asarray(u, jnp.float64), jnp.asarray(e),
                                jnp.asarray(p, jnp.float64))
            assert m.log_unary.dtype == jnp.float64
            ref = _oracle(*m, max_marginals=True)
            bp = mrf.belief_propagation(m, num_iters=7)  # diameter <= 6
            assert bp.node_beliefs.dtype == jnp.float64
            np.testing.assert_allclose(bp.node_beliefs, ref["marg"], atol=1e-6)
            np.testing.assert_allclose(bp.edge_beliefs, ref["pair"], atol=1e-6)
            np.testing.assert_allclose(bp.log_partition, ref["log_z"], atol=1e-6)
            np.testing.assert_allclose(
                mrf.bethe_log_partition(m, ref["marg"], ref["pair"]), ref["log_z"], atol=1e-8)
            assert bp.residuals.shape == (7,) and float(bp.residuals[-1]) < 1e-12
            mp = mrf.max_product_bp(m, num_iters=7)
            np.testing.assert_array_equal(mp.assignment, ref["map"])
            np.testing.assert_allclose(mp.log_max_marginals, ref["maxmarg"], atol=1e-8)
            np.testing.assert_allclose(mp.log_score, ref["map_score"], atol=1e-10)
            np.testing.assert_array_equal(mp.assignment, mrf.exact_inference(m).map_assignment)


def test_tree_bp_one_sweep_short_of_diameter_is_not_exact():
    """A 7-node K=3 ferromagnetic chain (diameter 6) with a field on the last node only:
    5 sweeps leave node 0 uniform, 7 sweeps give its exact marginal."""
    edges = np.array([[i, i + 1] for i in range(6)])
    unary = np.zeros((7, 3))
    unary[6] = [0.0, 0.0, 4.0]
    pair = np.tile(3.0 * np.eye(3), (6, 1, 1))
    m = mrf.pairwise_mrf(unary, edges, pair)
    ref = _oracle(*m)
    assert ref["marg"][0, 2] > 0.5
    short = mrf.belief_propagation(m, num_iters=5).node_beliefs
    np.testing.assert_allclose(short[0], 1 / 3, atol=1e-6)
    full = mrf.belief_propagation(m, num_iters=7).node_beliefs
    np.testing.assert_allclose(full, ref["marg"], atol=1e-6)


def test_tree_bp_matches_pgmpy():
    pytest.importorskip("pgmpy")
    from pgmpy.factors.discrete import DiscreteFactor
    from pgmpy.inference import BeliefPropagation
    from pgmpy.models import DiscreteMarkovNetwork

    m = _tree(11)
    u, e, p = (np.asarray(a, float) for a in m)
    net = DiscreteMarkovNetwork()
    net.add_nodes_from(range(7))
    net.add_edges_from([tuple(map(int, ab)) for ab in e])
    net.add_factors(*[DiscreteFactor([i], [3], np.exp(u[i])) for i in range(7)],
                    *[DiscreteFactor([int(a), int(b)], [3, 3], np.exp(p[j]))
                      for j, (a, b) in enumerate(e)])
    ref = BeliefPropagation(net).query(list(range(7)), joint=False, show_progress=False)
    ref = np.stack([ref[i].values for i in range(7)])
    bp = mrf.belief_propagation(m, num_iters=7)
    np.testing.assert_allclose(bp.node_beliefs, ref, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 3), (4, 4)])
def test_loopy_bp_on_grids_close_to_exact(shape):
    """Damped loopy BP on binary grids with N(0, 0.5^2) log-potentials: marginals within
    1e-2 of brute force (measured: <= 1.5e-3 over these seeds) and converged."""
    for seed in range(3):
        m = _grid(seed, *shape)
        ref = _oracle(*m)
        bp = mrf.belief_propagation(m, num_iters=200, damping=0.5)
        err = np.abs(np.asarray(bp.node_beliefs) - ref["marg"]).max()
        assert err < 1e-2, err
        assert err > 1e-6  # loopy: the Bethe answer is an approximation
        assert float(bp.residuals[-1]) < 1e-5
        assert abs(float(bp.log_partition) - ref["log_z"]) < 1e-2
        np.testing.assert_allclose(bp.node_beliefs.sum(1), 1.0, atol=1e-5)
        np.testing.assert_allclose(bp.edge_beliefs.sum((1, 2)), 1.0, atol=1e-5)


def test_damping_keeps_the_fixed_point_and_slows_the_updates():
    """One vmap over the (traced) damping: d = 0 and d = 0.7 reach the same fixed point;
    the first damped sweep moves the messages by (1 - d) of the undamped one."""
    m = _grid(4, 3, 3)
    run = jax.vmap(lambda d: mrf.belief_propagation(m, num_iters=200, damping=d))
    out = run(jnp.array([0.0, 0.7]))
    np.testing.assert_allclose(out.node_beliefs[0], out.node_beliefs[1], atol=1e-5)
    np.testing.assert_allclose(out.residuals[1, 0], 0.3 * out.residuals[0, 0], rtol=1e-4)
    assert float(out.residuals[1, -1]) < 1e-5


def test_hard_zero_potentials_stay_exact():
    """-inf log-potentials (zero potentials): tree BP still equals enumeration, no NaN."""
    m = _tree(5)
    pair = np.array(m.log_pairwise)
    pair[0, 0, :] = -np.inf          # state 0 of edges[0, 0] is forbidden
    pair[2, :, 1] = -np.inf
    unary = np.array(m.log_unary)
    unary[3, 2] = -np.inf
    m = mrf.pairwise_mrf(unary, m.edges, pair)
    ref = _oracle(*m)
    bp = mrf.belief_propagation(m, num_iters=7)
    assert np.all(np.isfinite(np.asarray(bp.node_beliefs)))
    np.testing.assert_allclose(bp.node_beliefs, ref["marg"], atol=1e-5)
    np.testing.assert_allclose(bp.log_partition, ref["log_z"], atol=1e-4)
    assert float(bp.node_beliefs[3, 2]) == 0.0
    mp = mrf.max_product_bp(m, num_iters=7)
    np.testing.assert_array_equal(mp.assignment, ref["map"])
    # damped messages keep the zeros (the mixture is taken in probability space)
    damped = mrf.belief_propagation(m, num_iters=7, damping=0.5)
    assert np.all(np.isfinite(np.asarray(damped.node_beliefs)))
    assert float(damped.node_beliefs[3, 2]) == 0.0
    # the same model from probability-form potentials
    m2 = mrf.pairwise_mrf_from_potentials(np.exp(unary), m.edges, np.exp(pair))
    np.testing.assert_allclose(mrf.exact_inference(m2).marginals, ref["marg"], atol=1e-6)


def test_mean_field_elbo_is_a_lower_bound_and_monotone():
    for m in (_grid(0, 3, 3, scale=1.0), _tree(2)):
        log_z = float(mrf.exact_inference(m).log_partition)
        seq = mrf.mean_field(m, num_iters=30)
        par = mrf.mean_field(m, num_iters=100, damping=0.5, schedule="parallel")
        for res in (seq, par):
            assert float(res.elbo) <= log_z + 1e-5
            assert float(res.elbo) > log_z - 2.0
            np.testing.assert_allclose(res.marginals.sum(1), 1.0, atol=1e-5)
        assert np.all(np.diff(np.asarray(seq.elbos)) >= -1e-5)  # coordinate ascent
        # the returned ELBO is E_q[log p~] + H(q) computed by enumeration under q
        ref = _oracle(*m)
        q = np.asarray(seq.marginals, float)
        qx = np.prod(q[np.arange(q.shape[0]), ref["states"]], axis=1)
        elbo = np.sum(qx * ref["logp"]) - np.sum(qx * np.log(qx))
        np.testing.assert_allclose(seq.elbo, elbo, rtol=1e-4)
        np.testing.assert_allclose(mrf.mean_field_elbo(m, seq.marginals), seq.elbo, rtol=1e-6)
    # with no edges mean field is exact: q = softmax(θ), ELBO = log Z
    m0 = mrf.pairwise_mrf(np.random.default_rng(0).normal(size=(4, 3)), np.zeros((0, 2)),
                          np.zeros((0, 3, 3)))
    res = mrf.mean_field(m0, num_iters=2)
    np.testing.assert_allclose(res.elbo, mrf.exact_inference(m0).log_partition, rtol=1e-6)
    np.testing.assert_allclose(res.marginals, jax.nn.softmax(m0.log_unary, axis=1), atol=1e-6)


def test_mean_field_fixed_point_equations():
    """At convergence each q_i = softmax(θ_i + Σ_j E_{q_j} θ_ij), checked in NumPy."""
    m = _grid(7, 3, 3)
    q = np.asarray(mrf.mean_field(m, num_iters=30).marginals, float)
    u, e, p = (np.asarray(a, float) for a in m)
    field = u.copy()
    for j, (a, b) in enumerate(e.astype(int)):
        field[a] += p[j] @ q[b]
        field[b] += p[j].T @ q[a]
    expect = np.exp(field - field.max(1, keepdims=True))
    np.testing.assert_allclose(q, expect / expect.sum(1, keepdims=True), atol=1e-5)


def test_grid_edges_and_ising_mrf():
    h, w = 3, 4
    edges = np.asarray(mrf.grid_edges(h, w))
    want = {(r * w + c, r * w + c + 1) for r in range(h) for c in range(w - 1)}
    want |= {(r * w + c, (r + 1) * w + c) for r in range(h - 1) for c in range(w)}
    assert edges.shape == (h * (w - 1) + (h - 1) * w, 2) and edges.dtype == np.int32
    assert set(map(tuple, edges.tolist())) == want
    assert mrf.grid_edges(1, 1).shape == (0, 2)
    rng = np.random.default_rng(0)
    coupling = rng.normal(size=len(edges))
    field = rng.normal(size=(h, w))
    model = mrf.ising_mrf(h, w, coupling, field)
    states = rng.integers(0, 2, size=(10, h * w))
    s = 2.0 * states - 1
    direct = (s[:, edges[:, 0]] * s[:, edges[:, 1]] * coupling).sum(1) + s @ field.ravel()
    np.testing.assert_allclose(mrf.log_potential(model, states), direct, rtol=1e-5)
    # zero field, ferromagnetic coupling: symmetric marginals 1/2 (exact by symmetry)
    ex = mrf.exact_inference(mrf.ising_mrf(2, 3, 0.8))
    np.testing.assert_allclose(ex.marginals, 0.5, atol=1e-6)


def test_random_tree_edges_is_a_tree_and_deterministic():
    for seed in range(5):
        edges = mrf.random_tree_edges(seed, 9)
        assert edges.shape == (8, 2) and edges.dtype == jnp.int32
        _, hops = bfs(9, np.asarray(edges), 0)
        assert np.all(hops >= 0)  # 8 edges and connected: a tree
        np.testing.assert_array_equal(edges, mrf.random_tree_edges(seed, 9))


def _disc_image(size=24):
    r, c = np.mgrid[:size, :size]
    img = ((r - 11.5) ** 2 + (c - 11.5) ** 2 < 64).astype(np.int32)
    img[3:7, 2:21] = 1  # a bar touching the disc
    return img


def test_flip_noise():
    clean = _disc_image()
    noisy = mrf.flip_noise(0, clean, 0.1)
    assert noisy.dtype == jnp.int32 and set(np.unique(noisy)) <= {0, 1}
    assert 0.06 < float(jnp.mean(noisy != clean)) < 0.14
    np.testing.assert_array_equal(noisy, mrf.flip_noise(0, clean, 0.1))
    spin = mrf.flip_noise(0, 2 * clean - 1, 0.1)
    np.testing.assert_array_equal(spin, 2 * noisy - 1)  # same flips in either encoding


def test_ising_denoise_restores_the_image():
    clean = _disc_image()
    noisy = mrf.flip_noise(jax.random.PRNGKey(0), clean, 0.1)
    noisy_acc = float(jnp.mean(noisy == clean))
    assert 0.86 < noisy_acc < 0.94
    res = mrf.ising_denoise(noisy, flip_prob=0.1, coupling=1.0)
    acc = float(jnp.mean(res.image == clean))
    assert acc > 0.97 and acc > noisy_acc + 0.05  # measured 0.990 (noisy 0.894)
    assert res.image.dtype == jnp.int32 and res.posterior_on.shape == (24, 24)
    np.testing.assert_array_equal(res.image, (res.posterior_on > 0.5).astype(int))
    spin = mrf.ising_denoise(2 * noisy - 1, flip_prob=0.1, coupling=1.0)
    np.testing.assert_array_equal(spin.image, 2 * res.image - 1)
    for method in ("mean_field", "max_product"):
        other = mrf.ising_denoise(noisy, flip_prob=0.1, coupling=1.0, method=method)
        assert float(jnp.mean(other.image == clean)) > 0.97
    # without coupling the posterior is the noisy image itself
    raw = mrf.ising_denoise(noisy, flip_prob=0.1, coupling=0.0)
    np.testing.assert_array_equal(raw.image, noisy)
    np.testing.assert_allclose(jnp.where(noisy == 1, raw.posterior_on, 1 - raw.posterior_on),
                               0.9, atol=1e-5)


def test_jit_matches_eager():
    m = _grid(2, 3, 3)
    fns = {
        "bp": lambda x: mrf.belief_propagation(x, num_iters=200, damping=0.5),
        "mf": lambda x: mrf.mean_field(x, num_iters=30),
    }
    for name, fn in fns.items():
        eager, jitted = fn(m), jax.jit(fn)(m)
        for a, b in zip(eager, jitted):
            np.testing.assert_allclose(a, b, atol=1e-6, err_msg=name)
    noisy = mrf.flip_noise(1, _disc_image(), 0.1)
    den = jax.jit(lambda y, j: mrf.ising_denoise(y, flip_prob=0.1, coupling=j,
                                                 encoding="binary").image)
    np.testing.assert_array_equal(den(noisy, 1.0),
                                  mrf.ising_denoise(noisy, flip_prob=0.1, coupling=1.0).image)


def test_vmap_over_potential_sets():
    edges = mrf.grid_edges(3, 3)
    models = [_grid(s, 3, 3) for s in range(3)]
    unary = jnp.stack([m.log_unary for m in models])
    pair = jnp.stack([m.log_pairwise for m in models])
    run = jax.vmap(lambda u, p: mrf.belief_propagation(
        mrf.PairwiseMRF(u, edges, p), num_iters=200, damping=0.5).node_beliefs)
    batched = run(unary, pair)
    exact = jax.vmap(lambda u, p: mrf.exact_inference(mrf.PairwiseMRF(u, edges, p)).marginals)
    exact = exact(unary, pair)
    for i, m in enumerate(models):
        np.testing.assert_allclose(
            batched[i], mrf.belief_propagation(m, num_iters=200, damping=0.5).node_beliefs,
            atol=1e-6)
        np.testing.assert_allclose(exact[i], _oracle(*m)["marg"], atol=1e-6)


def test_bad_input():
    m = _grid(0, 2, 2)
    u, e, p = (np.asarray(a) for a in m)
    with pytest.raises(TypeError, match="PairwiseMRF"):
        mrf.belief_propagation((u, e, p))
    with pytest.raises(ValueError, match="log_pairwise must have shape"):
        mrf.pairwise_mrf(u, e, p[:, :1])
    with pytest.raises(ValueError, match="log_unary must have rank 2"):
        mrf.pairwise_mrf(u[0], e, p)
    with pytest.raises(ValueError, match=r"edges must have shape \(E, 2\)"):
        mrf.pairwise_mrf(u, np.zeros((4, 3), int), p)
    with pytest.raises(ValueError, match=r"node indices in \[0, 4\)"):
        mrf.pairwise_mrf(u, np.array([[0, 1], [2, 4], [0, 2], [1, 3]]), p)
    with pytest.raises(ValueError, match="self-loops"):
        mrf.pairwise_mrf(u, np.array([[0, 1], [1, 1], [2, 3], [0, 2]]), p)
    with pytest.raises(ValueError, match="repeat a node pair"):
        mrf.pairwise_mrf(u, np.array([[0, 1], [1, 0], [2, 3], [0, 2]]), p)
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        mrf.pairwise_mrf(np.where(u > -9, np.nan, u), e, p)
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        mrf.belief_propagation(mrf.PairwiseMRF(u, e, np.where(p > -9, np.inf, p)))
    with pytest.raises(ValueError, match="must be >= 0"):
        mrf.pairwise_mrf_from_potentials(-np.exp(u), e, np.exp(p))
    with pytest.raises(ValueError, match="finite"):
        mrf.pairwise_mrf_from_potentials(np.exp(u), e, np.where(p > -9, np.inf, p))
    big = mrf.random_mrf(0, 21, np.array([[0, 1]]), 2)
    with pytest.raises(ValueError, match=r"K\*\*V = 2\*\*21 = 2097152 joint states"):
        mrf.exact_inference(big)
    with pytest.raises(ValueError, match="max_states=10 "):
        mrf.exact_inference(m, max_states=10)
    with pytest.raises(ValueError, match=r"prod\(cardinalities\) = 5\*4\*5 = 100"):
        mrf.enumerate_factors([], [5, 4, 5], max_states=99)
    with pytest.raises(ValueError, match="log_table must have shape"):
        mrf.enumerate_factors([((0, 1), np.zeros((2, 2)))], [2, 3])
    with pytest.raises(ValueError, match="distinct"):
        mrf.enumerate_factors([((0, 0), np.zeros((2, 2)))], [2, 3])
    with pytest.raises(ValueError, match=r"in \[0, 2\)"):
        mrf.enumerate_factors([((0, 2), np.zeros((2, 2)))], [2, 3])
    with pytest.raises(ValueError, match="damping"):
        mrf.belief_propagation(m, damping=1.0)
    with pytest.raises(ValueError, match="num_iters must be >= 1"):
        mrf.max_product_bp(m, num_iters=0)
    with pytest.raises(ValueError, match="schedule must be one of"):
        mrf.mean_field(m, schedule="random")
    with pytest.raises(ValueError, match="init must have shape"):
        mrf.mean_field(m, init=np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"states in \[0, 2\)"):
        mrf.log_potential(m, [0, 1, 2, 0])
    with pytest.raises(ValueError, match="flip_prob"):
        mrf.ising_denoise(np.eye(4, dtype=int), flip_prob=0.6)
    with pytest.raises(ValueError, match="binary image"):
        mrf.ising_denoise(np.full((4, 4), 2), flip_prob=0.1)
    with pytest.raises(ValueError, match="only 1s"):
        mrf.ising_denoise(np.ones((4, 4), int), flip_prob=0.1)
    with pytest.raises(ValueError, match="method must be one of"):
        mrf.ising_denoise(np.eye(4, dtype=int), flip_prob=0.1, method="gibbs")
    with pytest.raises(ValueError, match="coupling must be a scalar or have shape"):
        mrf.ising_mrf(2, 2, np.ones(3))
    with pytest.raises(ValueError, match="encoding='auto' needs a concrete"):
        jax.jit(lambda y: mrf.ising_denoise(y, flip_prob=0.1).image)(np.eye(4, dtype=int))
