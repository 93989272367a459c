"""jaxml.math.prob vs scipy.stats, exact enumeration, closed forms and grid posteriors."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from scipy.special import gammaln

from jaxml.math import prob as P

KEY = jax.random.PRNGKey(0)
RNG = np.random.default_rng(1)
ALPHA3 = np.array([1.5, 2.0, 3.0])
COV2 = np.array([[2.0, 0.6], [0.6, 1.0]])
MEAN2 = np.array([0.5, -1.0])

# name -> (constructor args, frozen scipy oracle)
FAMILIES = {
    "bernoulli": ((0.3,), ss.bernoulli(0.3)),
    "binomial": ((10, 0.3), ss.binom(10, 0.3)),
    "multinomial": ((10, np.array([0.2, 0.3, 0.5])), ss.multinomial(10, [0.2, 0.3, 0.5])),
    "uniform": ((-1.0, 2.0), ss.uniform(loc=-1.0, scale=3.0)),
    "gaussian": ((1.0, 2.0), ss.norm(1.0, 2.0)),
    "mvn": ((MEAN2, COV2), ss.multivariate_normal(MEAN2, COV2)),
    "exponential": ((2.0,), ss.expon(scale=0.5)),
    "gamma": ((2.5, 1.5), ss.gamma(2.5, scale=1 / 1.5)),
    "beta": ((2.0, 5.0), ss.beta(2.0, 5.0)),
    "poisson": ((3.0,), ss.poisson(3.0)),
    "dirichlet": ((ALPHA3,), ss.dirichlet(ALPHA3)),
    "wishart": ((5.0, COV2), ss.wishart(df=5.0, scale=COV2)),
}


def _scipy_logp(name, oracle, x):
    x = np.asarray(x, np.float64)
    if name in ("bernoulli", "binomial", "poisson"):
        return oracle.logpmf(x)
    if name == "multinomial":
        return oracle.logpmf(x)
    if name == "dirichlet":
        x = x / x.sum(axis=1, keepdims=True)
    if name in ("dirichlet", "wishart"):
        return np.array([oracle.logpdf(xi) for xi in x])
    return oracle.logpdf(x)


def _scipy_moments(name, oracle):
    if name == "multinomial":
        return oracle.mean(), np.diag(oracle.cov())
    if name == "mvn":
        return oracle.mean, np.diag(oracle.cov)
    if name == "dirichlet":
        return oracle.mean(), oracle.var()
    if name == "wishart":
        return oracle.mean(), oracle.var()
    return oracle.mean(), oracle.var()


@pytest.mark.parametrize("name", list(FAMILIES))
def test_distribution_logpdf_and_moments_match_scipy(name):
    args, oracle = FAMILIES[name]
    dist = P.make(name, *args)
    draw = jax.jit(lambda k: P.sample(k, dist, (2000,)))  # one compilation per family
    big = draw(KEY)
    assert big.shape == (2000,) + dist.event_shape
    np.testing.assert_array_equal(np.asarray(draw(KEY)), np.asarray(big))  # deterministic
    x = big[:6]
    logp = P.log_prob(dist, x)
    np.testing.assert_allclose(logp, _scipy_logp(name, oracle, x), rtol=1e-4, atol=1e-4)
    m, v = _scipy_moments(name, oracle)
    np.testing.assert_allclose(P.mean(dist), m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(P.variance(dist), v, rtol=1e-5, atol=1e-6)
    se = np.sqrt(np.asarray(v) / big.shape[0])
    assert np.all(np.abs(np.asarray(big, np.float64).mean(axis=0) - m) <= 5 * se + 1e-6)


def test_sample_and_log_prob_jit_agreement():
    dist = P.gaussian(1.0, 2.0)
    x = P.sample(KEY, dist, (5,))
    np.testing.assert_allclose(jax.jit(lambda k: P.sample(k, dist, (5,)))(KEY), x, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(P.log_prob)(dist, x), P.log_prob(dist, x), rtol=1e-6)
    assert x.dtype == jnp.float32


def test_distribution_bad_parameters_raise():
    with pytest.raises(ValueError, match="p must be <= 1"):
        P.bernoulli(1.5)
    with pytest.raises(ValueError, match="concentration must be > 0"):
        P.gamma(-1.0, 1.0)
    with pytest.raises(ValueError, match="probs must sum to 1"):
        P.multinomial(5, np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match="high must be > low"):
        P.uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="cov must be symmetric positive definite"):
        P.mvn(MEAN2, np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="df must be > 1"):
        P.wishart(1.0, COV2)
    with pytest.raises(ValueError, match="name must be one of"):
        P.make("cauchy", 0.0, 1.0)
    with pytest.raises(TypeError, match="dist must be a numpyro Distribution"):
        P.mean(3.0)


# ----------------------------------------------------------------------------- M.pr.2


def test_tables_marginal_conditional_bayes_by_enumeration():
    RNG = np.random.default_rng(101)  # per-test stream: order-independent
    joint = RNG.random((2, 3, 4))
    joint /= joint.sum()
    pxz = P.marginal(joint, (0, 2))
    brute = np.zeros((2, 4))
    for i, j, k in itertools.product(range(2), range(3), range(4)):
        brute[i, k] += joint[i, j, k]
    np.testing.assert_allclose(pxz, brute, rtol=1e-5)
    cond = P.conditional(joint, given=1)  # P(X, Z | Y)
    for j in range(3):
        np.testing.assert_allclose(cond[:, j, :], joint[:, j, :] / joint[:, j, :].sum(), rtol=1e-5)
    np.testing.assert_allclose(jax.jit(P.conditional, static_argnames="given")(joint, given=1), cond,
                               rtol=1e-6)
    # Bayes' rule on a diagnostic test: prevalence 1%, sensitivity 95%, false-positive 5%
    post, evidence = P.bayes_rule(np.array([0.01, 0.99]), np.array([0.95, 0.05]))
    assert float(evidence) == pytest.approx(0.01 * 0.95 + 0.99 * 0.05)
    assert float(post[0]) == pytest.approx(0.0095 / (0.0095 + 0.0495), rel=1e-5)
    indep = np.outer([0.3, 0.7], [0.2, 0.5, 0.3])
    assert bool(P.is_independent(indep))
    assert not bool(P.is_independent(joint.sum(axis=2)))
    zero_row = np.array([[0.5, 0.5], [0.0, 0.0]])
    assert np.all(np.isnan(np.asarray(P.conditional(zero_row, given=0))[1]))
    with pytest.raises(ValueError, match="joint must sum to 1"):
        P.marginal(joint * 2, 0)
    with pytest.raises(ValueError, match="keep has axis 3"):
        P.marginal(joint, 3)
    with pytest.raises(ValueError, match="likelihood must have shape"):
        P.bayes_rule(np.array([0.5, 0.5]), np.array([0.1, 0.2, 0.3]))


def test_lln_and_clt_demonstrations():
    dist = P.exponential(2.0)
    run = P.lln_running_mean(KEY, dist, 5000)
    assert run.shape == (5000,) and run.dtype == jnp.float32
    draws = P.sample(KEY, dist, (5000,))
    assert float(run[0]) == pytest.approx(float(draws[0]))
    assert abs(float(run[-1]) - 0.5) < 4 * 0.5 / np.sqrt(5000)
    np.testing.assert_array_equal(np.asarray(P.lln_running_mean(KEY, dist, 5000)), np.asarray(run))
    z = np.asarray(P.clt_standardized_means(KEY, P.uniform(0.0, 1.0), 30, 2000))
    assert z.shape == (2000,)
    assert abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.1
    assert ss.kstest(z, "norm").pvalue > 1e-3
    jz = jax.jit(lambda k: P.clt_standardized_means(k, P.uniform(0.0, 1.0), 30, 2000))(KEY)
    np.testing.assert_allclose(jz, z, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="dist must be a scalar distribution"):
        P.lln_running_mean(KEY, P.mvn(MEAN2, COV2), 10)
    with pytest.raises(ValueError, match="n must be >= 1"):
        P.clt_standardized_means(KEY, dist, 0, 10)


# ----------------------------------------------------------------------------- M.pr.3


def _fd_hessian(f, theta, rel=1e-4):
    theta = np.asarray(theta, np.float64)
    k = theta.size
    H = np.zeros((k, k))
    hs = rel * np.maximum(np.abs(theta), 1e-2)
    for i in range(k):
        for j in range(k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i], ej[j] = hs[i], hs[j]
            H[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                       + f(theta - ei - ej)) / (4 * hs[i] * hs[j])
    return H


def _check_fisher(result, loglik, theta):
    observed = -_fd_hessian(loglik, theta)
    np.testing.assert_allclose(np.asarray(result.fisher, np.float64), observed, rtol=2e-3,
                               atol=1e-3 * np.abs(observed).max())


def test_mle_closed_forms_and_fisher_information():
    RNG = np.random.default_rng(102)  # per-test stream: order-independent
    xb = RNG.binomial(1, 0.3, 200).astype(np.float64)
    r = P.mle_bernoulli(xb)
    assert float(r.params["p"]) == pytest.approx(xb.mean(), rel=1e-6)
    _check_fisher(r, lambda t: ss.bernoulli.logpmf(xb, t[0]).sum(), [xb.mean()])

    xn = RNG.binomial(8, 0.4, 100).astype(np.float64)
    r = P.mle_binomial(xn, 8)
    assert float(r.params["p"]) == pytest.approx(xn.mean() / 8, rel=1e-6)
    _check_fisher(r, lambda t: ss.binom.logpmf(xn, 8, t[0]).sum(), [xn.mean() / 8])

    C = RNG.multinomial(6, [0.2, 0.3, 0.5], size=50).astype(np.float64)
    r = P.mle_multinomial(C)
    phat = C.sum(0) / C.sum()
    np.testing.assert_allclose(r.params["probs"], phat, rtol=1e-6)
    _check_fisher(r, lambda t: ss.multinomial.logpmf(C, 6, [t[0], t[1], 1 - t[0] - t[1]]).sum(),
                  phat[:2])

    xg = RNG.normal(1.0, 2.0, 300)
    r = P.mle_gaussian(xg)
    assert float(r.params["sigma2"]) == pytest.approx(xg.var(), rel=1e-5)
    _check_fisher(r, lambda t: ss.norm.logpdf(xg, t[0], np.sqrt(t[1])).sum(), [xg.mean(), xg.var()])

    X = RNG.multivariate_normal(MEAN2, COV2, size=200)
    r = P.mle_mvn(X)
    cov = np.cov(X.T, bias=True)
    np.testing.assert_allclose(r.params["cov"], cov, rtol=1e-4)
    _check_fisher(r, lambda t: ss.multivariate_normal.logpdf(X, t, cov).sum(), X.mean(0))

    xe = RNG.exponential(0.5, 300)
    r = P.mle_exponential(xe)
    _check_fisher(r, lambda t: ss.expon.logpdf(xe, scale=1 / t[0]).sum(), [1 / xe.mean()])

    xp = RNG.poisson(3.0, 300).astype(np.float64)
    r = P.mle_poisson(xp)
    _check_fisher(r, lambda t: ss.poisson.logpmf(xp, t[0]).sum(), [xp.mean()])

    xu = RNG.uniform(-1, 2, 50)
    r = P.mle_uniform(xu)
    assert r.fisher is None and float(r.params["high"]) == pytest.approx(xu.max())
    with pytest.raises(ValueError, match="non-regular"):
        P.standard_errors(r)


def test_mle_iterative_families_match_scipy_fit():
    RNG = np.random.default_rng(103)  # per-test stream: order-independent
    xg = RNG.gamma(2.5, 1 / 1.5, 400)
    r = P.mle_gamma(xg)
    a, _, scale = ss.gamma.fit(xg, floc=0)
    assert float(r.params["concentration"]) == pytest.approx(a, rel=1e-3)
    assert float(r.params["rate"]) == pytest.approx(1 / scale, rel=1e-3)
    th = [float(r.params["concentration"]), float(r.params["rate"])]
    _check_fisher(r, lambda t: ss.gamma.logpdf(xg, t[0], scale=1 / t[1]).sum(), th)

    xb = RNG.beta(2.0, 5.0, 400)
    r = P.mle_beta(xb)
    a, b, _, _ = ss.beta.fit(xb, floc=0, fscale=1)
    assert float(r.params["a"]) == pytest.approx(a, rel=1e-3)
    assert float(r.params["b"]) == pytest.approx(b, rel=1e-3)
    _check_fisher(r, lambda t: ss.beta.logpdf(xb, t[0], t[1]).sum(), [a, b])

    D = RNG.dirichlet(ALPHA3, 500)
    r = P.mle_dirichlet(D)
    alpha = np.asarray(r.params["alpha"], np.float64)

    def ll(t, data=D):  # Dirichlet log-likelihood written out with scipy's gammaln
        return (t - 1) @ np.log(data).sum(0) + len(data) * (gammaln(t.sum()) - gammaln(t).sum())

    sub = D[:20] / D[:20].sum(axis=1, keepdims=True)
    assert ll(ALPHA3, sub) == pytest.approx(sum(ss.dirichlet.logpdf(d, ALPHA3) for d in sub))
    grad = np.array([(ll(alpha + e) - ll(alpha - e)) / 2e-4 for e in 1e-4 * np.eye(3)])
    assert np.abs(grad).max() < 0.05  # the score vanishes at the MLE
    assert np.all(np.abs(alpha - ALPHA3) < 4 * np.asarray(P.standard_errors(r)))
    _check_fisher(r, ll, alpha)
    jr = jax.jit(P.mle_gamma)(xg.astype(np.float32))
    assert float(jr.params["concentration"]) == pytest.approx(
        float(P.mle_gamma(xg).params["concentration"]), rel=1e-5)
    with pytest.raises(ValueError, match="x must be > 0"):
        P.mle_gamma(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="x must lie strictly inside"):
        P.mle_beta(np.array([0.5, 1.0]))


def test_mle_bias_consistency_and_cramer_rao():
    keys = jax.random.split(KEY, 4000)
    # Gaussian variance MLE: E[σ̂²] = (n-1)/n σ² (biased); n=5, σ²=4
    data = jax.vmap(lambda k: 2.0 * jax.random.normal(k, (5,)))(keys)
    s2 = jax.vmap(lambda x: P.mle_gaussian(x).params["sigma2"])(data)
    assert float(jnp.mean(s2)) == pytest.approx(4.0 * 4 / 5, rel=0.05)
    # Bernoulli: Var(p̂) ≈ 1/I_n(p) = p(1-p)/n, and p̂ concentrates as n grows (consistency)
    draws = jax.vmap(lambda k: jax.random.bernoulli(k, 0.3, (200,)).astype(jnp.float32))(keys)
    phat = jax.vmap(lambda x: P.mle_bernoulli(x).params["p"])(draws)
    assert float(jnp.var(phat)) == pytest.approx(0.3 * 0.7 / 200, rel=0.1)
    assert float(jnp.std(phat)) < float(jnp.std(jax.vmap(
        lambda x: P.mle_bernoulli(x[:20]).params["p"])(draws)))


# ----------------------------------------------------------------------------- M.pr.4


def _grid_moments(grid, log_post):
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    m = np.sum(w * grid)
    return m, np.sum(w * (grid - m) ** 2)


def test_beta_binomial_and_map_vs_grid():
    k, n = np.array([3.0, 5.0]), np.array([10.0, 8.0])
    post = P.beta_binomial_update(2.0, 3.0, k, n)
    assert float(post.a) == 10.0 and float(post.b) == 13.0
    grid = np.linspace(1e-4, 1 - 1e-4, 20001)
    lp = ss.beta.logpdf(grid, 2, 3) + sum(ss.binom.logpmf(ki, ni, grid) for ki, ni in zip(k, n))
    m, v = _grid_moments(grid, lp)
    assert m == pytest.approx(ss.beta(10, 13).mean(), rel=1e-4)
    assert v == pytest.approx(ss.beta(10, 13).var(), rel=1e-3)
    mode = float(P.beta_mode(post))
    assert mode == pytest.approx(grid[np.argmax(lp)], abs=1e-4)
    newton = P.map_newton(lambda t: (post.a - 1) * jnp.log(t[0]) + (post.b - 1) * jnp.log(1 - t[0]),
                          jnp.array([0.5]))
    assert float(newton[0]) == pytest.approx(mode, rel=1e-5)
    jp = jax.jit(P.beta_binomial_update)(2.0, 3.0, k, n)
    assert float(jp.a) == 10.0
    with pytest.raises(ValueError, match="successes must lie"):
        P.beta_binomial_update(1.0, 1.0, np.array([5.0]), np.array([3.0]))


def test_normal_normal_and_gamma_poisson_vs_grid():
    RNG = np.random.default_rng(104)  # per-test stream: order-independent
    x = RNG.normal(1.0, 2.0, 10)
    post = P.normal_normal_update(0.0, 1.5, x, 4.0)
    grid = np.linspace(-6, 6, 40001)
    lp = ss.norm.logpdf(grid, 0, np.sqrt(1.5)) + ss.norm.logpdf(x[:, None], grid, 2.0).sum(0)
    m, v = _grid_moments(grid, lp)
    assert float(post.mean) == pytest.approx(m, rel=1e-4, abs=1e-5)
    assert float(post.var) == pytest.approx(v, rel=1e-3)

    c = RNG.poisson(3.0, 15).astype(np.float64)
    gp = P.gamma_poisson_update(2.0, 0.5, c)
    grid = np.linspace(1e-3, 15, 40001)
    lp = ss.gamma.logpdf(grid, 2.0, scale=2.0) + ss.poisson.logpmf(c[:, None], grid).sum(0)
    m, v = _grid_moments(grid, lp)
    assert float(gp.alpha / gp.beta) == pytest.approx(m, rel=1e-4)
    assert float(gp.alpha / gp.beta**2) == pytest.approx(v, rel=1e-3)
    assert float(P.gamma_mode(gp)) == pytest.approx(grid[np.argmax(lp)], abs=1e-3)
    newton = P.map_newton(
        lambda t: jnp.sum(jax.scipy.stats.poisson.logpmf(c, t[0]))
        + jax.scipy.stats.gamma.logpdf(t[0], 2.0, scale=2.0), jnp.array([float(c.mean())]))
    assert float(newton[0]) == pytest.approx(float(P.gamma_mode(gp)), rel=1e-4)
    with pytest.raises(ValueError, match="tau2 must be > 0"):
        P.normal_normal_update(0.0, 0.0, x, 1.0)
    with pytest.raises(ValueError, match="x must be non-negative counts"):
        P.gamma_poisson_update(1.0, 1.0, np.array([-1.0]))


def test_normal_inverse_gamma_vs_grid():
    RNG = np.random.default_rng(105)  # per-test stream: order-independent
    x = RNG.normal(1.0, 1.5, 12)
    post = P.normal_inverse_gamma_update(0.5, 2.0, 3.0, 2.0, x)
    mu = np.linspace(-2, 4, 601)[:, None]
    s2 = np.linspace(0.05, 12, 1200)[None, :]
    lp = (ss.norm.logpdf(mu, 0.5, np.sqrt(s2 / 2.0)) + ss.invgamma.logpdf(s2, 3.0, scale=2.0)
          + ss.norm.logpdf(x[:, None, None], mu[None], np.sqrt(s2)[None]).sum(0))
    w = np.exp(lp - lp.max())
    w /= w.sum()
    assert float(post.mu) == pytest.approx(np.sum(w * mu), rel=1e-3)
    assert float(post.beta / (post.alpha - 1)) == pytest.approx(np.sum(w * s2), rel=2e-3)
    jp = jax.jit(P.normal_inverse_gamma_update)(0.5, 2.0, 3.0, 2.0, x)
    assert float(jp.beta) == pytest.approx(float(post.beta), rel=1e-6)
    with pytest.raises(ValueError, match="kappa0 must be > 0"):
        P.normal_inverse_gamma_update(0.0, -1.0, 1.0, 1.0, x)


def test_dirichlet_multinomial_vs_grid():
    RNG = np.random.default_rng(106)  # per-test stream: order-independent
    counts = RNG.multinomial(8, [0.2, 0.3, 0.5], size=3).astype(np.float64)
    post = P.dirichlet_multinomial_update(np.array([1.0, 2.0, 2.0]), counts)
    np.testing.assert_allclose(post.alpha, [1, 2, 2] + counts.sum(0))
    g = np.linspace(1e-3, 1 - 1e-3, 500)
    p1, p2 = np.meshgrid(g, g, indexing="ij")
    p3 = 1 - p1 - p2
    ok = p3 > 1e-3
    P3 = np.stack([p1[ok], p2[ok], p3[ok]], axis=1)
    lp = ss.dirichlet.logpdf(P3.T, [1.0, 2.0, 2.0]) + (counts.sum(0)[None, :] * np.log(P3)).sum(1)
    w = np.exp(lp - lp.max())
    w /= w.sum()
    np.testing.assert_allclose(post.alpha / post.alpha.sum(), (w[:, None] * P3).sum(0), rtol=2e-3)
    with pytest.raises(ValueError, match="counts must have 3 categories"):
        P.dirichlet_multinomial_update(np.ones(3), np.ones(4))


def test_normal_wishart_vs_grid_and_sequential_updates():
    RNG = np.random.default_rng(107)  # per-test stream: order-independent
    # d = 1: Λ ~ W(ν, W) = Gamma(ν/2, rate 1/(2W)); grid over (μ, λ)
    x = RNG.normal(0.7, 0.8, 10)[:, None]
    post = P.normal_wishart_update(np.zeros(1), 1.5, 3.0, np.array([[0.5]]), x)
    mu = np.linspace(-2.5, 3.5, 601)[:, None]
    lam = np.linspace(0.01, 20, 2000)[None, :]
    lp = (ss.norm.logpdf(mu, 0.0, 1 / np.sqrt(1.5 * lam)) + ss.gamma.logpdf(lam, 1.5, scale=1.0)
          + ss.norm.logpdf(x[:, :, None], mu[None], 1 / np.sqrt(lam)[None]).sum(0))
    w = np.exp(lp - lp.max())
    w /= w.sum()
    assert float(post.mu[0]) == pytest.approx(np.sum(w * mu), rel=2e-3)
    assert float(post.nu * post.W[0, 0]) == pytest.approx(np.sum(w * lam), rel=2e-3)
    # d = 2: updating with all data equals updating with the two halves in turn
    X = RNG.multivariate_normal(MEAN2, COV2, size=20)
    W0 = np.eye(2) * 0.3
    full = P.normal_wishart_update(np.zeros(2), 1.0, 4.0, W0, X)
    half = P.normal_wishart_update(np.zeros(2), 1.0, 4.0, W0, X[:10])
    both = P.normal_wishart_update(half.mu, half.kappa, half.nu, half.W, X[10:])
    for a, b in zip(full, both):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    jf = jax.jit(P.normal_wishart_update)(np.zeros(2), 1.0, 4.0, W0, X)
    np.testing.assert_allclose(jf.W, full.W, rtol=1e-5)
    with pytest.raises(ValueError, match="W0 must be symmetric positive definite"):
        P.normal_wishart_update(np.zeros(2), 1.0, 4.0, -W0, X)
    with pytest.raises(ValueError, match="X must have 2 columns"):
        P.normal_wishart_update(np.zeros(2), 1.0, 4.0, W0, X[:, :1])


# ----------------------------------------------------------------------------- common jit suite

_POS = np.abs(RNG.normal(1.0, 0.3, 30)) + 0.1
JIT_CASES = {
    "mle_bernoulli": (P.mle_bernoulli, (np.array([0.0, 1.0, 1.0, 0.0, 1.0]),)),
    "mle_binomial": (lambda x: P.mle_binomial(x, 5), (np.array([1.0, 3.0, 2.0]),)),
    "mle_multinomial": (P.mle_multinomial, (np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]]),)),
    "mle_uniform": (P.mle_uniform, (_POS,)),
    "mle_gaussian": (P.mle_gaussian, (_POS,)),
    "mle_mvn": (P.mle_mvn, (RNG.normal(size=(10, 2)),)),
    "mle_exponential": (P.mle_exponential, (_POS,)),
    "mle_poisson": (P.mle_poisson, (np.array([1.0, 4.0, 2.0, 3.0]),)),
    "mle_beta": (P.mle_beta, (_POS / (_POS.max() + 0.1),)),
    "mle_dirichlet": (P.mle_dirichlet, (RNG.dirichlet(ALPHA3, 30),)),
    "marginal": (lambda j: P.marginal(j, 0), (np.full((2, 2), 0.25),)),
    "bayes_rule": (P.bayes_rule, (np.array([0.3, 0.7]), np.array([0.9, 0.2]))),
    "is_independent": (P.is_independent, (np.full((2, 2), 0.25),)),
    "lln_running_mean": (lambda k: P.lln_running_mean(k, P.gaussian(0.0, 1.0), 50), (KEY,)),
    "normal_normal_update": (lambda x: P.normal_normal_update(0.0, 1.0, x, 2.0), (_POS,)),
    "gamma_poisson_update": (lambda x: P.gamma_poisson_update(1.0, 1.0, x), (np.array([1.0, 2.0]),)),
    "dirichlet_multinomial_update": (P.dirichlet_multinomial_update,
                                     (np.ones(3), np.array([1.0, 0.0, 4.0]))),
    "map_newton": (lambda t0: P.map_newton(lambda t: -jnp.sum((t - 2.0) ** 2), t0), (np.zeros(2),)),
}


@pytest.mark.parametrize("name", list(JIT_CASES))
def test_jit_matches_eager(name):
    fn, args = JIT_CASES[name]
    eager = fn(*args)
    jitted = jax.jit(fn)(*args)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5), eager, jitted)
    assert jax.tree.structure(eager) == jax.tree.structure(jitted)
