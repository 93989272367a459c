"""Tests for jaxml.theory.pac_bayes: binary kl and its inversion against direct formulas,
an independent bisection and scipy's brentq; bound formulas; the union-bound cost; the
Monte-Carlo correction; a held-out check that the bound holds; bad input."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

from jaxml.nn.models import MLP
from jaxml.theory import pac_bayes as pb


def _kl_direct(q, p):
    """Bernoulli KL written out term by term in float64, with 0 ln 0 = 0."""
    out = 0.0
    if q > 0:
        out += q * math.log(q / p)
    if q < 1:
        out += (1 - q) * math.log((1 - q) / (1 - p))
    return out


def _bisect(q, c, iters=200):
    lo, hi = q, 1.0
    for _ in range(iters):
        mid = (lo + hi) / 2
        if _kl_direct(q, mid) <= c:
            lo = mid
        else:
            hi = mid
    return lo


def test_binary_kl_matches_direct_formula_and_edge_cases():
    qs = np.array([0.0, 0.01, 0.3, 0.5, 0.9, 1.0])
    ps = np.array([0.2, 0.5, 0.1, 0.5, 0.95, 0.7])
    got = np.asarray(pb.binary_kl(qs, ps))
    np.testing.assert_allclose(got, [_kl_direct(q, p) for q, p in zip(qs, ps)], rtol=1e-5, atol=1e-7)
    assert float(pb.binary_kl(0.0, 0.0)) == 0.0 and float(pb.binary_kl(1.0, 1.0)) == 0.0
    assert np.isinf(float(pb.binary_kl(0.3, 0.0))) and np.isinf(float(pb.binary_kl(0.3, 1.0)))


@pytest.mark.parametrize("q,c", [(0.01, 0.001), (0.1, 0.05), (0.3, 0.2), (0.5, 1.0), (0.9, 0.01),
                                 (0.02, 3.0)])
def test_kl_inverse_matches_bisection_and_brentq(q, c):
    got = float(pb.kl_inverse(q, c))
    ours = _bisect(q, c)
    root = brentq(lambda p: _kl_direct(q, p) - c, q, 1 - 1e-15, xtol=1e-14)
    assert got == pytest.approx(ours, abs=2e-6)
    assert got == pytest.approx(root, abs=2e-6)
    assert got >= q and _kl_direct(q, min(got, 1 - 1e-12)) >= c - 1e-4


def test_kl_inverse_edge_cases_and_jit():
    np.testing.assert_allclose(pb.kl_inverse(0.0, 0.7), 1 - math.exp(-0.7), rtol=1e-5)
    assert float(pb.kl_inverse(1.0, 0.3)) == 1.0
    assert float(pb.kl_inverse(0.37, 0.0)) == pytest.approx(0.37)
    assert float(pb.kl_inverse(0.2, 50.0)) == pytest.approx(1.0, abs=1e-6)
    qs, cs = jnp.array([0.05, 0.2, 0.6]), jnp.array([0.01, 0.1, 0.3])
    np.testing.assert_allclose(jax.jit(pb.kl_inverse)(qs, cs), pb.kl_inverse(qs, cs), rtol=1e-6)
    assert pb.kl_inverse(qs, 0.1).shape == (3,)


def test_bound_functions_equal_direct_formulas():
    m, delta, kl, err = 1000, 0.025, 37.0, 0.08
    rhs = (kl + math.log(2 * math.sqrt(m) / delta)) / m
    assert float(pb.kl_bound_rhs(kl, m, delta)) == pytest.approx(rhs, rel=1e-6)
    assert float(pb.pac_bayes_kl_bound(err, kl, m, delta)) == pytest.approx(_bisect(err, rhs), abs=2e-6)
    sqrt_bound = float(pb.pac_bayes_sqrt_bound(err, kl, m, delta))
    assert sqrt_bound == pytest.approx(err + math.sqrt(rhs / 2), rel=1e-6)
    assert sqrt_bound >= float(pb.pac_bayes_kl_bound(err, kl, m, delta))  # Pinsker
    n, dp, err_n = 500, 0.01, 0.12
    assert float(pb.mc_error_upper(err_n, n, dp)) == pytest.approx(
        _bisect(err_n, math.log(2 / dp) / n), abs=2e-6)


def test_union_bound_cost_on_the_grid():
    c, b = 0.1, 100.0
    for j in (1, 7, 350):
        log_var = math.log(c) - j / b
        assert float(pb.grid_log_var(j, c=c, b=b)) == pytest.approx(log_var)
        assert float(pb.grid_index(log_var, c=c, b=b)) == pytest.approx(j, rel=1e-4)
        # δ_j = 6δ/(π² j²): the cost is ln(δ/δ_j)
        assert float(pb.union_bound_cost(log_var, c=c, b=b)) == pytest.approx(
            math.log(math.pi ** 2 * j ** 2 / 6), rel=1e-4)
    assert sum(6 / (math.pi ** 2 * j ** 2) for j in range(1, 200_000)) == pytest.approx(1, abs=1e-5)


def _tiny_net(key, d=3, width=4):
    model = MLP((width,), num_outputs=2)
    params = model.init(key, jnp.zeros((1, d)))["params"]
    return model, params


def test_posterior_kl_matches_closed_form_and_sampling():
    model, params = _tiny_net(jax.random.key(0))
    prior = jax.tree.map(lambda w: w + 0.1, params)
    net = pb.init_stochastic_net(params, log_std=-1.0, log_prior_var=-2.0)
    d = sum(w.size for w in jax.tree.leaves(params))
    s2, lam = math.exp(-2.0), math.exp(-2.0)
    closed = 0.5 * d * (s2 / lam + 0.01 / lam - 1 + math.log(lam / s2))
    assert float(pb.posterior_kl(net, prior)) == pytest.approx(closed, rel=1e-5)
    net_abs = pb.init_stochastic_net(params, log_prior_var=-2.0)
    leaves = jax.tree.leaves(params)
    np.testing.assert_allclose(np.exp(jax.tree.leaves(net_abs.log_std)[0]),
                               np.maximum(np.abs(leaves[0]), 1e-8), rtol=1e-6)
    draws = jax.vmap(lambda k: pb.sample_params(k, net))(jax.random.split(jax.random.key(1), 2000))
    for w, dw in zip(leaves, jax.tree.leaves(draws)):
        np.testing.assert_allclose(dw.mean(0), w, atol=0.04)
        np.testing.assert_allclose(dw.std(0), math.exp(-1.0), rtol=0.1)


def test_surrogate_upper_bounds_zero_one_error():
    logits = jax.random.normal(jax.random.key(2), (64, 2)) * 3
    y = (jax.random.uniform(jax.random.key(3), (64,)) > 0.5).astype(jnp.int32)
    f = np.asarray(logits[:, 1] - logits[:, 0])
    err = np.mean((2 * np.asarray(y) - 1) * f <= 0)
    assert float(pb.zero_one_error(logits, y)) == pytest.approx(err)
    direct = np.mean(np.log1p(np.exp(-(2 * np.asarray(y) - 1) * f))) / math.log(2)
    assert float(pb.logistic_surrogate(logits, y)) == pytest.approx(direct, rel=1e-5)
    assert float(pb.logistic_surrogate(logits, y)) >= err


def test_objective_is_differentiable_and_equals_its_formula():
    model, params = _tiny_net(jax.random.key(4))
    x = jax.random.normal(jax.random.key(5), (16, 3))
    y = (x[:, 0] > 0).astype(jnp.int32)
    net = pb.init_stochastic_net(params, log_std=-2.0, log_prior_var=-4.0)
    key = jax.random.key(6)
    val, g = jax.value_and_grad(lambda n: pb.pac_bayes_objective(
        key, n, params, model.apply, x, y, m=16, delta=0.025, c=0.1, b=100.0))(net)
    logits = model.apply({"params": pb.sample_params(key, net)}, x)
    kl = float(pb.posterior_kl(net, params)) + float(pb.union_bound_cost(-4.0, c=0.1, b=100.0))
    expected = float(pb.logistic_surrogate(logits, y)) + math.sqrt(
        (kl + math.log(2 * math.sqrt(16) / 0.025)) / 16 / 2)
    assert float(val) == pytest.approx(expected, rel=1e-5)
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(g))
    assert float(g.log_prior_var) != 0.0


def test_bound_holds_on_held_out_data():
    """A fixed posterior on a noisy linear problem: the final (MC-corrected, union-bound)
    bound computed on m training points is above the Gibbs error on 20,000 fresh points."""
    model, params0 = _tiny_net(jax.random.key(7), d=2, width=8)

    def data(key, n):
        kx, kn = jax.random.split(key)
        x = jax.random.normal(kx, (n, 2))
        flip = jax.random.uniform(kn, (n,)) < 0.1
        return x, jnp.where(flip, x[:, 0] < 0, x[:, 0] > 0).astype(jnp.int32)

    net = pb.init_stochastic_net(params0, log_std=-1.5, log_prior_var=math.log(0.1) - 3.5 / 100)
    gibbs_error = jax.jit(lambda k, x, y: pb.mc_train_error(k, net, model.apply, x, y, 200, chunk=50))
    bound = jax.jit(lambda e: pb.final_bound(e, 200, net, params0, m=300, delta=0.025,
                                             delta_prime=0.01, c=0.1, b=100.0))
    gibbs = float(gibbs_error(jax.random.key(8), *data(jax.random.key(99), 20_000)))
    bounds = []
    for s in range(4):
        err_n = gibbs_error(jax.random.key(200 + s), *data(jax.random.key(100 + s), 300))
        out = bound(err_n)
        assert float(out["j"]) in (3.0, 4.0)
        assert float(out["err_upper"]) >= float(err_n)
        bounds.append(float(out["bound"]))
    assert min(bounds) >= gibbs
    assert max(bounds) < 1.0


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="delta"):
        pb.kl_bound_rhs(1.0, 10, 1.5)
    with pytest.raises(ValueError, match="delta"):
        pb.pac_bayes_kl_bound(0.1, 1.0, 10, 0.0)
    with pytest.raises(ValueError, match="delta_prime"):
        pb.mc_error_upper(0.1, 10, 1.0)
    with pytest.raises(ValueError, match="m must be"):
        pb.kl_bound_rhs(1.0, 0, 0.1)
    with pytest.raises(TypeError, match="m must be an int"):
        pb.kl_bound_rhs(1.0, 10.5, 0.1)
    with pytest.raises(ValueError, match="q must lie in"):
        pb.kl_inverse(1.2, 0.1)
    with pytest.raises(ValueError, match="emp_err must lie in"):
        pb.pac_bayes_kl_bound(-0.1, 1.0, 10, 0.1)
    with pytest.raises(ValueError, match="c must be >= 0"):
        pb.kl_inverse(0.2, -0.1)
    with pytest.raises(ValueError, match="kl must be >= 0"):
        pb.kl_bound_rhs(-1.0, 10, 0.1)
    with pytest.raises(ValueError, match="n .* multiple of chunk"):
        model, params = _tiny_net(jax.random.key(0))
        pb.mc_train_error(jax.random.key(0), pb.init_stochastic_net(params, log_prior_var=-1.0),
                          model.apply, jnp.zeros((2, 3)), jnp.zeros(2, jnp.int32), 10, chunk=3)


def test_prior_split_is_a_disjoint_cover():
    split = pb.prior_split(101, 0.5, seed=3)
    assert len(split.prior) == 50 and len(split.bound) == 51
    assert np.intersect1d(split.prior, split.bound).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate(split)), np.arange(101))
    np.testing.assert_array_equal(pb.prior_split(101, 0.5, seed=3).prior, split.prior)
    with pytest.raises(ValueError, match="prior_fraction"):
        pb.prior_split(10, 1.0)
    with pytest.raises(ValueError, match="prior_fraction"):
        pb.prior_split(10, 0.05)


def _direct_final_bound(err_n, n, net, prior_mean, m, delta, delta_prime, c, b):
    """The final bound written out in float64: closed-form Gaussian KL at the two grid
    points around λ, the union cost, two scalar bisections; the smaller bound."""
    w = np.concatenate([np.ravel(a) for a in jax.tree.leaves(net.mean)]).astype(float)
    s2 = np.exp(2 * np.concatenate([np.ravel(a) for a in jax.tree.leaves(net.log_std)]).astype(float))
    w0 = np.concatenate([np.ravel(a) for a in jax.tree.leaves(prior_mean)]).astype(float)
    q = _bisect(err_n, math.log(2 / delta_prime) / n)
    j0 = max(math.floor(b * (math.log(c) - float(net.log_prior_var))), 1)
    best = math.inf
    for j in (j0, j0 + 1):
        lam = c * math.exp(-j / b)
        kl = 0.5 * np.sum(s2 / lam + (w - w0) ** 2 / lam - 1 + np.log(lam / s2))
        rhs = (kl + 2 * math.log(j) + math.log(math.pi ** 2 / 6)
               + math.log(2 * math.sqrt(m) / delta)) / m
        best = min(best, _bisect(q, rhs))
    return best


def test_data_dependent_bound_uses_only_s_bound_and_rejects_overlap():
    model, w0 = _tiny_net(jax.random.key(10))
    w_p = jax.tree.map(lambda a: a + 0.05, w0)  # stands for an SGD solution on S_prior
    net = pb.init_stochastic_net(jax.tree.map(lambda a: a + 0.08, w0), log_std=-2.5,
                                 log_prior_var=math.log(0.1) - 5.3 / 100)
    split = pb.prior_split(1000, 0.3, seed=0)
    kw = dict(delta=0.025, delta_prime=0.01, c=0.1, b=100.0)
    got = pb.data_dependent_bound(0.12, 500, net, w_p, split, **kw)
    assert float(got["bound"]) == pytest.approx(
        _direct_final_bound(0.12, 500, net, w_p, 700, **kw), abs=2e-5)
    # m is |S_bound| = 700, not the 1000 examples of S
    all_s = pb.final_bound(0.12, 500, net, w_p, m=1000, **kw)
    assert float(got["bound"]) > float(all_s["bound"]) + 1e-4
    # a prior that saw part of S_bound is refused
    leaky = pb.PriorSplit(split.prior, np.concatenate([split.bound, split.prior[:1]]))
    with pytest.raises(ValueError, match="share 1 examples"):
        pb.data_dependent_bound(0.12, 500, net, w_p, leaky, **kw)
    with pytest.raises(ValueError, match="share"):
        pb.data_dependent_bound(0.12, 500, net, w_p, pb.PriorSplit(split.bound, split.bound), **kw)
    with pytest.raises(TypeError, match="split must be a PriorSplit"):
        pb.data_dependent_bound(0.12, 500, net, w_p, (split.prior, split.bound), **kw)


def test_data_dependent_bound_with_w0_prior_equals_data_free_bound():
    model, w0 = _tiny_net(jax.random.key(11))
    net = pb.init_stochastic_net(jax.tree.map(lambda a: 1.1 * a, w0), log_std=-2.0,
                                 log_prior_var=math.log(0.1) - 12.6 / 100)
    split = pb.prior_split(400, 0.5, seed=1)
    kw = dict(delta=0.025, delta_prime=0.01, c=0.1, b=100.0)
    ddp = pb.data_dependent_bound(0.2, 300, net, w0, split, **kw)
    free = pb.final_bound(0.2, 300, net, w0, m=200, **kw)
    for k in ("bound", "err_upper", "kl", "j"):
        assert float(ddp[k]) == float(free[k])
    assert float(free["bound"]) == pytest.approx(
        _direct_final_bound(0.2, 300, net, w0, 200, **kw), abs=2e-5)

