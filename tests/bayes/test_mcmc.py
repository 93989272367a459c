"""MCMC by hand: Metropolis–Hastings and Gibbs samplers against closed-form posteriors and
brute-force enumeration, within Monte-Carlo error measured by our own ESS; diagnostics
against numpyro.diagnostics (the oracle only here, never in the library)."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.diagnostics as nd
import numpyro.distributions as dist
import pytest
from scipy import stats
from sklearn.metrics import adjusted_rand_score

from jaxml.bayes import mcmc

Z = 4.0  # tolerance in Monte-Carlo standard errors


def _mc_se(draws):
    """Monte-Carlo standard error of the mean of ``draws (n_chains, n_samples)``:
    sd / sqrt(ESS), with our ESS (itself checked against numpyro below)."""
    draws = np.asarray(draws, np.float64)
    ess = float(mcmc.effective_sample_size(jnp.asarray(draws, jnp.float32)))
    return draws.std() / np.sqrt(ess)


def _assert_mean_within(draws, expected, label):
    draws = np.asarray(draws, np.float64)
    err, se = abs(draws.mean() - expected), _mc_se(draws)
    assert err < Z * se, f"{label}: |{draws.mean():.5f} - {expected:.5f}| >= {Z} x {se:.5f}"


def _std_normal_log_density(x):
    return -0.5 * jnp.sum(x**2)


def _leaves_equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def _ar1_chains(seed, n_chains, n, phis, offsets):
    rng = np.random.default_rng(seed)
    x = np.zeros((n_chains, n, len(phis)))
    x[:, 0] = rng.normal(size=(n_chains, len(phis)))
    for t in range(1, n):
        x[:, t] = phis * x[:, t - 1] + rng.normal(size=(n_chains, len(phis)))
    return x + np.asarray(offsets)[:, None, None]


# --- Metropolis–Hastings ---------------------------------------------------------------

def test_random_walk_recovers_conjugate_normal_posterior():
    # y_i ~ N(theta, S) (S known, 2-D), theta ~ N(mu0, L0): posterior
    # N(m, V), V = (L0^-1 + n S^-1)^-1, m = V (L0^-1 mu0 + n S^-1 ybar).
    rng = np.random.default_rng(0)
    S = np.array([[1.0, 0.6], [0.6, 2.0]])
    L0, mu0 = np.diag([4.0, 1.0]), np.array([1.0, -1.0])
    y = rng.multivariate_normal([0.5, -0.3], S, size=12)
    S_inv, L0_inv = np.linalg.inv(S), np.linalg.inv(L0)
    V = np.linalg.inv(L0_inv + len(y) * S_inv)
    m = V @ (L0_inv @ mu0 + len(y) * S_inv @ y.mean(0))

    S_inv_j, L0_inv_j = jnp.asarray(S_inv, jnp.float32), jnp.asarray(L0_inv, jnp.float32)
    y_j, mu0_j = jnp.asarray(y, jnp.float32), jnp.asarray(mu0, jnp.float32)

    def log_post(theta):
        r = y_j - theta
        return (-0.5 * jnp.einsum("nd,de,ne->", r, S_inv_j, r)
                - 0.5 * (theta - mu0_j) @ L0_inv_j @ (theta - mu0_j))

    init = jnp.array([[-3.0, 3.0], [3.0, -3.0], [3.0, 3.0], [-3.0, -3.0]] * 2)
    res = mcmc.random_walk_metropolis(0, log_post, init, n_samples=4000, n_burnin=500,
                                      scale=jnp.asarray(2.0 * np.sqrt(np.diag(V)) / np.sqrt(2),
                                                        jnp.float32))
    th = np.asarray(res.samples, np.float64)
    assert res.samples.shape == (8, 4000, 2) and res.log_density.shape == (8, 4000)
    np.testing.assert_allclose(res.log_density, jax.vmap(jax.vmap(log_post))(res.samples),
                               rtol=1e-5, atol=1e-3)
    assert np.all(np.asarray(mcmc.split_r_hat(res.samples)) < 1.02)
    for j in range(2):
        _assert_mean_within(th[..., j], m[j], f"mean[{j}]")
        _assert_mean_within((th[..., j] - m[j]) ** 2, V[j, j], f"var[{j}]")
    _assert_mean_within((th[..., 0] - m[0]) * (th[..., 1] - m[1]), V[0, 1], "cov")
    assert np.all((res.acceptance_rate > 0.2) & (res.acceptance_rate < 0.8))


def test_random_walk_acceptance_rate_matches_closed_form_under_vmap():
    # N(0, 1) target, N(x, s^2) proposal, started in stationarity: the acceptance rate is
    # 2 P(|y + e| < |y|) = (2 / pi) arctan(2 / s). The chains are independent, so the
    # spread of the per-chain rates gives the Monte-Carlo error honestly.
    init = jax.random.normal(jax.random.PRNGKey(1), (16, 1))
    scales = jnp.array([0.5, 2.4, 6.0])

    def rates(s):
        return mcmc.random_walk_metropolis(2, _std_normal_log_density, init,
                                           n_samples=3000, scale=s).acceptance_rate

    per_chain = np.asarray(jax.vmap(rates)(scales))  # traced scale: one compile
    expected = 2 / np.pi * np.arctan(2 / np.asarray(scales))
    se = per_chain.std(axis=1, ddof=1) / np.sqrt(per_chain.shape[1])
    assert np.all(np.abs(per_chain.mean(axis=1) - expected) < Z * se), (per_chain.mean(1),
                                                                         expected, se)


def test_independence_metropolis_recovers_gamma_posterior():
    # y_i ~ Poisson(lam), lam ~ Gamma(a0, b0): lam | y ~ Gamma(a0 + sum y, b0 + n).
    rng = np.random.default_rng(3)
    y = rng.poisson(3.0, size=20)
    a0, b0 = 2.0, 0.5
    a, b = a0 + y.sum(), b0 + len(y)

    def log_post(x):  # unnormalised prior x likelihood, -inf off the support
        lam = x[0]
        logp = (a0 - 1 + y.sum()) * jnp.log(lam) - (b0 + len(y)) * lam
        return jnp.where(lam > 0, logp, -jnp.inf)

    q = dist.Gamma(a / 2, b / 2)  # same mean, twice the variance: pi / q bounded
    res = mcmc.independence_metropolis(4, log_post, jnp.full((8, 1), 5.0), q.sample,
                                       q.log_prob, n_samples=3000, n_burnin=100)
    again = mcmc.independence_metropolis(4, log_post, jnp.full((8, 1), 5.0), q.sample,
                                         q.log_prob, n_samples=3000, n_burnin=100)
    assert _leaves_equal(res, again)  # a fixed key reproduces the chains bit for bit
    lam = np.asarray(res.samples[..., 0], np.float64)
    _assert_mean_within(lam, a / b, "mean")
    _assert_mean_within((lam - a / b) ** 2, a / b**2, "var")
    assert np.all(lam > 0) and np.all((res.acceptance_rate > 0.5) & (res.acceptance_rate < 1))


def test_independence_metropolis_with_the_target_as_proposal_always_accepts():
    q = dist.Normal(jnp.array([1.0, -2.0]), jnp.array([0.5, 2.0]))
    res = mcmc.independence_metropolis(5, lambda x: q.log_prob(x).sum(), jnp.zeros((4, 2)),
                                       q.sample, q.log_prob, n_samples=500)
    assert np.all(np.asarray(res.acceptance_rate) > 0.995)
    assert res.samples.shape == (4, 500, 2)


def test_metropolis_hastings_hastings_correction_for_a_multiplicative_walk():
    # x' = x exp(s e): q(x'|x) = LogNormal(log x, s), so log q(x|x') - log q(x'|x) =
    # log x' - log x. Without it the chain would target x pi(x) (mean 2.0, not 1.5).
    shape, rate, s = 3.0, 2.0, 0.7

    def propose(key, x):
        new = x * jnp.exp(s * jax.random.normal(key, x.shape))
        return new, jnp.sum(jnp.log(new) - jnp.log(x))

    def log_p(x):
        return jnp.where(x[0] > 0, (shape - 1) * jnp.log(x[0]) - rate * x[0], -jnp.inf)

    res = mcmc.metropolis_hastings(6, log_p, jnp.ones((8, 1)), propose, n_samples=3000,
                                   n_burnin=200)
    x = np.asarray(res.samples[..., 0], np.float64)
    _assert_mean_within(x, shape / rate, "mean")
    _assert_mean_within((x - shape / rate) ** 2, shape / rate**2, "var")


def test_thinning_and_a_traced_rho_sweep():
    # thinning keeps every 4th sweep: x is AR(1) in sweeps with coefficient rho^2, so the
    # thinned chain's lag-1 autocorrelation is rho^8 (Bartlett's standard error); rho is
    # traced, so both correlations run in one vmap
    rhos = jnp.array([0.9, -0.9])
    g4 = jax.vmap(lambda r: mcmc.gibbs_bivariate_gaussian(
        1, jnp.zeros((4, 2)), rho=r, n_samples=3000, n_burnin=20, thin=4))(rhos)
    assert g4.shape == (2, 4, 3000, 2)
    phi = 0.9**8
    for rho, s in zip(np.asarray(rhos), g4):
        r1 = float(mcmc.autocorrelation(s)[:, 1, 0].mean())
        assert abs(r1 - phi) < Z * np.sqrt((1 - phi**2) / 3000 / 4), (rho, r1, phi)
        _assert_mean_within(s[..., 0] * s[..., 1], rho, f"correlation at rho={rho}")


# --- Gibbs -----------------------------------------------------------------------------

def test_gibbs_bivariate_gaussian_moments_and_lag1_autocorrelation():
    rho, mean, std = 0.95, np.array([1.0, -2.0]), np.array([2.0, 0.5])
    init = jnp.array([[-5.0, 5.0], [5.0, -5.0], [0.0, 0.0], [2.0, 2.0]] * 2)
    s = mcmc.gibbs_bivariate_gaussian(7, init, rho=rho, mean=mean, std=std, n_samples=5000,
                                      n_burnin=200)
    assert s.shape == (8, 5000, 2) and s.dtype == jnp.float32
    assert np.array_equal(s, mcmc.gibbs_bivariate_gaussian(7, init, rho=rho, mean=mean,
                                                            std=std, n_samples=5000,
                                                            n_burnin=200))
    x = np.asarray(s, np.float64)
    z = (x - mean) / std
    for j in range(2):
        _assert_mean_within(x[..., j], mean[j], f"mean[{j}]")
        _assert_mean_within(z[..., j] ** 2, 1.0, f"var[{j}]")
    _assert_mean_within(z[..., 0] * z[..., 1], rho, "correlation")
    # x_t is AR(1) with coefficient rho^2; Bartlett: var(r_1) ~ (1 - phi^2) / N per chain
    phi = rho**2
    r1 = np.asarray(mcmc.autocorrelation(s)[:, 1, 0], np.float64)
    se = np.sqrt((1 - phi**2) / x.shape[1] / x.shape[0])
    assert abs(r1.mean() - phi) < Z * se, (r1.mean(), phi, se)
    assert np.all(np.asarray(mcmc.split_r_hat(s)) < 1.02)


def _ising_bonds(height, width, periodic):
    """Nearest-neighbour bonds as an explicit list: right and down of every site, wrapped
    on a torus (on a side of 2 the wrap repeats the bond: a double bond)."""
    bonds = []
    for r, c in itertools.product(range(height), range(width)):
        for dr, dc in ((0, 1), (1, 0)):
            rr, cc = r + dr, c + dc
            if periodic:
                bonds.append((r * width + c, (rr % height) * width + cc % width))
            elif rr < height and cc < width:
                bonds.append((r * width + c, rr * width + cc))
    return np.array(bonds)


def _ising_exact(height, width, periodic, J, h):
    """E[m], E[m^2], E[E] by enumerating all 2^(HW) configurations."""
    n = height * width
    states = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)  # (2^n, n)
    bonds = _ising_bonds(height, width, periodic)
    energy = (-J * (states[:, bonds[:, 0]] * states[:, bonds[:, 1]]).sum(1)
              - h * states.sum(1))
    w = np.exp(-(energy - energy.min()))
    w /= w.sum()
    m = states.mean(1)
    return w @ m, w @ m**2, w @ energy


@pytest.mark.parametrize("height,width,boundary,update,J,h", [
    (3, 3, "free", "sequential", 0.4, 0.15),
    (3, 3, "periodic", "sequential", 0.3, -0.1),
    (4, 4, "periodic", "checkerboard", 0.3, 0.1),
])
def test_gibbs_ising_matches_enumeration(height, width, boundary, update, J, h):
    init = jnp.asarray(np.where(np.random.default_rng(8).random((8, height, width)) < 0.5,
                                -1.0, 1.0), jnp.float32)
    res = mcmc.gibbs_ising(9, init, coupling=J, field=h, n_samples=2500, n_burnin=100,
                           boundary=boundary, update=update)
    assert res.spins.shape == (8, 2500, height, width) and res.spins.dtype == jnp.int8
    assert _leaves_equal(res, mcmc.gibbs_ising(9, init, coupling=J, field=h, n_samples=2500,
                                               n_burnin=100, boundary=boundary,
                                               update=update))
    assert set(np.unique(np.asarray(res.spins))) <= {-1, 1}
    np.testing.assert_allclose(res.magnetisation, np.asarray(res.spins).mean((2, 3)),
                               atol=1e-6)
    exact_m, exact_m2, exact_e = _ising_exact(height, width, boundary == "periodic", J, h)
    m = np.asarray(res.magnetisation, np.float64)
    _assert_mean_within(m, exact_m, "magnetisation")
    _assert_mean_within(m**2, exact_m2, "m^2")
    _assert_mean_within(res.energy, exact_e, "energy")


def test_gibbs_ising_coupling_sweep_in_one_vmap_matches_enumeration():
    # 3x3 free grid, checkerboard updates, J traced: one compile serves the sweep
    couplings = jnp.array([0.2, 0.45])
    init = jnp.ones((8, 3, 3))
    res = jax.vmap(lambda J: mcmc.gibbs_ising(21, init, coupling=J, field=0.15,
                                              n_samples=2500, n_burnin=100))(couplings)
    assert res.energy.shape == (2, 8, 2500)
    for J, m, e in zip(np.asarray(couplings), np.asarray(res.magnetisation, np.float64),
                       np.asarray(res.energy, np.float64)):
        exact_m, exact_m2, exact_e = _ising_exact(3, 3, False, float(J), 0.15)
        _assert_mean_within(m, exact_m, f"magnetisation at J={J}")
        _assert_mean_within(m**2, exact_m2, f"m^2 at J={J}")
        _assert_mean_within(e, exact_e, f"energy at J={J}")


@pytest.mark.parametrize("height,width,boundary", [(3, 4, "free"), (2, 3, "periodic"),
                                                   (3, 3, "periodic"), (1, 5, "free")])
def test_ising_energy_matches_bond_list(height, width, boundary):
    rng = np.random.default_rng(10)
    bonds = _ising_bonds(height, width, boundary == "periodic")
    for _ in range(3):
        s = np.where(rng.random((height, width)) < 0.5, -1.0, 1.0)
        flat = s.reshape(-1)
        expected = -0.7 * (flat[bonds[:, 0]] * flat[bonds[:, 1]]).sum() - 0.2 * flat.sum()
        got = mcmc.ising_energy(s, coupling=0.7, field=0.2, boundary=boundary)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def _gmm_log_joint_scipy(X, z, K, var, m0, tau2, alpha):
    """p(z) by the Pólya urn (sequential predictive), p(X_k) per coordinate as one
    multivariate normal N(m0 1, var I + tau2 11^T) from scipy."""
    counts = np.zeros(K)
    log_pz = 0.0
    for i, k in enumerate(z):
        log_pz += np.log((counts[k] + alpha) / (i + K * alpha))
        counts[k] += 1
    log_px = 0.0
    for k in range(K):
        Xk = X[z == k]
        nk = len(Xk)
        if nk == 0:
            continue
        cov = var * np.eye(nk) + tau2 * np.ones((nk, nk))
        for j in range(X.shape[1]):
            log_px += stats.multivariate_normal(np.full(nk, m0[j]), cov).logpdf(Xk[:, j])
    return log_pz + log_px


def test_collapsed_gmm_log_joint_matches_scipy():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(9, 2)) * 2
    m0 = np.array([0.5, -1.0])
    for _ in range(4):
        z = rng.integers(0, 3, size=9)
        got = mcmc.collapsed_gmm_log_joint(X, z, n_components=3, variance=0.7,
                                           prior_mean=m0, prior_variance=3.0, alpha=0.8)
        expected = _gmm_log_joint_scipy(X, z, 3, 0.7, m0, 3.0, 0.8)
        np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_collapsed_gmm_co_clustering_matches_enumeration():
    # Posterior P(z_i = z_j | X) (label-invariant) by enumerating all 2^6 assignments
    # with the scipy log joint, against the sampler's co-clustering frequencies.
    X = np.array([[-1.3], [-0.9], [-0.2], [0.3], [1.0], [1.5]])
    K, var, tau2, alpha = 2, 0.4, 2.0, 1.0
    zs = np.array(list(itertools.product(range(K), repeat=len(X))))
    logw = np.array([_gmm_log_joint_scipy(X, z, K, var, np.zeros(1), tau2, alpha)
                     for z in zs])
    w = np.exp(logw - logw.max())
    w /= w.sum()
    init = jnp.asarray(np.random.default_rng(12).integers(0, K, size=(8, len(X))))
    res = mcmc.gibbs_gmm_collapsed(13, X, init, n_components=K, variance=var,
                                   prior_variance=tau2, alpha=alpha, n_samples=3000,
                                   n_burnin=50)
    z = np.asarray(res.assignments)
    assert z.shape == (8, 3000, 6) and res.assignments.dtype == jnp.int32
    np.testing.assert_allclose(
        res.log_joint[:, :5],
        [[_gmm_log_joint_scipy(X, zz, K, var, np.zeros(1), tau2, alpha) for zz in row]
         for row in z[:, :5]], rtol=1e-5)
    for i, j in itertools.combinations(range(len(X)), 2):
        exact = w @ (zs[:, i] == zs[:, j])
        _assert_mean_within((z[..., i] == z[..., j]).astype(float), exact, f"P(z{i}=z{j})")


def test_collapsed_gmm_recovers_well_separated_clusters():
    rng = np.random.default_rng(14)
    centres = np.array([[-6.0, 0.0], [6.0, 0.0], [0.0, 8.0]])
    labels = np.repeat(np.arange(3), 30)
    X = centres[labels] + rng.normal(scale=1.0, size=(90, 2))
    init = jnp.asarray(rng.integers(0, 3, size=(4, 90)))
    res = mcmc.gibbs_gmm_collapsed(15, X, init, n_components=3, variance=1.0,
                                   prior_variance=50.0, alpha=1.0, n_samples=20,
                                   n_burnin=20)
    for chain in np.asarray(res.assignments[:, -1]):
        assert adjusted_rand_score(labels, chain) >= 0.95
    # the log joint rises from the random start to the fitted clustering
    start = mcmc.collapsed_gmm_log_joint(X, init[0], n_components=3, variance=1.0,
                                         prior_variance=50.0)
    assert float(res.log_joint[0, -1]) > float(start)


# --- diagnostics -----------------------------------------------------------------------

def test_diagnostics_equal_numpyro_float64():
    x = _ar1_chains(16, 4, 500, np.array([0.0, 0.5, 0.95]), [0.0, 0.1, -0.2, 0.3])
    odd = x[:, :-1]  # 499 draws: split R-hat drops the middle one, ESS pairs the lags
    with jax.enable_x64(True):
        xj = jnp.asarray(x)
        for ours, ref in [
            (mcmc.split_r_hat(odd), nd.split_gelman_rubin(odd)),
            (mcmc.effective_sample_size(odd), nd.effective_sample_size(odd)),
            (mcmc.split_r_hat(xj), nd.split_gelman_rubin(x)),
            (mcmc.gelman_rubin(xj), nd.gelman_rubin(x)),
            (mcmc.effective_sample_size(xj), nd.effective_sample_size(x)),
            (mcmc.effective_sample_size(xj, bias=False), nd.effective_sample_size(x, False)),
            (mcmc.effective_sample_size(xj[:1]), nd.effective_sample_size(x[:1])),
            (mcmc.autocorrelation(xj), nd.autocorrelation(x, axis=1)),
            (mcmc.autocorrelation(xj, axis=1, bias=False),
             nd.autocorrelation(x, axis=1, bias=False)),
            (mcmc.autocovariance(xj[0, :, 1], axis=0), nd.autocovariance(x[0, :, 1])),
        ]:
            assert ours.dtype == jnp.float64 and ours.shape == ref.shape
            np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def test_diagnostics_equal_numpyro_float32_and_under_jit():
    x = _ar1_chains(17, 3, 800, np.array([0.3, 0.9]), [0.0, 0.2, -0.1]).astype(np.float32)
    ref = (nd.split_gelman_rubin(x), nd.effective_sample_size(x),
           nd.autocorrelation(x, axis=1))
    eager = (mcmc.split_r_hat(x), mcmc.effective_sample_size(x), mcmc.autocorrelation(x))
    jitted = jax.jit(lambda v: (mcmc.split_r_hat(v), mcmc.effective_sample_size(v),
                                mcmc.autocorrelation(v)))(jnp.asarray(x))
    for ours, theirs, jit_ours in zip(eager, ref, jitted):
        assert ours.dtype == jnp.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=2e-6)
        np.testing.assert_allclose(jit_ours, ours, rtol=1e-5, atol=1e-6)


def test_diagnostics_detect_unmixed_chains():
    # chains stuck at different levels: R-hat far above 1; white noise: ESS ~ C N.
    rng = np.random.default_rng(18)
    stuck = rng.normal(size=(4, 300)) + np.array([0, 3, 6, 9])[:, None]
    assert float(mcmc.split_r_hat(stuck)) > 2.0
    noise = rng.normal(size=(4, 1000))
    assert 0.85 < float(mcmc.effective_sample_size(noise)) / 4000 < 1.15
    trend = np.linspace(0, 5, 400)[None] + rng.normal(size=(4, 400)) * 0.1
    assert float(mcmc.gelman_rubin(trend)) < 1.01 < float(mcmc.split_r_hat(trend))


# --- jit, determinism ------------------------------------------------------------------

_X_SMALL = jnp.array([[-0.5], [0.2], [0.4], [-0.1]])


def _three_samplers(key):
    # module-level callables: the samplers' jit caches them, so repeated calls compile once
    return (
        mcmc.random_walk_metropolis(key, _std_normal_log_density, jnp.zeros((2, 2)),
                                    n_samples=20, scale=0.8, n_burnin=3, thin=2),
        mcmc.gibbs_ising(key, jnp.ones((2, 3, 3)), coupling=0.3, n_samples=20,
                         update="sequential"),
        mcmc.gibbs_gmm_collapsed(key, _X_SMALL, jnp.zeros((2, 4), jnp.int32),
                                 n_components=2, variance=0.5, n_samples=20),
    )


def test_jit_matches_eager_and_fixed_key_is_deterministic():
    # (the other samplers' determinism is checked in their own tests)
    key = jax.random.PRNGKey(19)
    eager = _three_samplers(key)
    assert _leaves_equal(eager, _three_samplers(key))
    jitted = jax.jit(_three_samplers)(key)
    for e, j in zip(jax.tree.leaves(eager), jax.tree.leaves(jitted)):
        np.testing.assert_allclose(e, j, rtol=1e-5, atol=1e-5)
    other = _three_samplers(jax.random.PRNGKey(20))
    for e, o in zip(eager, other):
        assert not _leaves_equal(e, o)
    rwm = eager[0]  # n_burnin=3, thin=2: 20 kept states, 40 counted transitions
    assert rwm.samples.shape == (2, 20, 2) and rwm.log_density.shape == (2, 20)
    counts = np.asarray(rwm.acceptance_rate) * 40
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-4)
    # one key per chain: the chains differ
    assert not np.array_equal(eager[0].samples[0], eager[0].samples[1])
    assert not np.array_equal(eager[1].spins[0], eager[1].spins[1])


# --- bad input -------------------------------------------------------------------------

def test_bad_input_raises():
    logp = _std_normal_log_density
    rwm = mcmc.random_walk_metropolis
    with pytest.raises(ValueError, match="init must have rank 2"):
        rwm(0, logp, jnp.zeros(3), n_samples=5)
    with pytest.raises(ValueError, match="init must be finite"):
        rwm(0, logp, jnp.array([[np.nan]]), n_samples=5)
    with pytest.raises(TypeError, match="log_density must be callable"):
        rwm(0, 3.0, jnp.zeros((2, 1)), n_samples=5)
    with pytest.raises(ValueError, match="log_density must map .* to a scalar"):
        rwm(0, lambda x: x**2, jnp.zeros((2, 3)), n_samples=5)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="scale must be"):
            rwm(0, logp, jnp.zeros((2, 2)), n_samples=5, scale=bad)
    with pytest.raises(ValueError, match="scale must be > 0"):
        rwm(0, logp, jnp.zeros((2, 2)), n_samples=5, scale=jnp.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"scale must be a scalar or \(2,\)"):
        rwm(0, logp, jnp.zeros((2, 2)), n_samples=5, scale=jnp.ones(3))
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        rwm(0, logp, jnp.zeros((2, 2)), n_samples=0)
    with pytest.raises(ValueError, match="thin must be >= 1"):
        rwm(0, logp, jnp.zeros((2, 2)), n_samples=3, thin=0)
    with pytest.raises(ValueError, match="n_burnin must be >= 0"):
        rwm(0, logp, jnp.zeros((2, 2)), n_samples=3, n_burnin=-1)
    q = dist.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match="proposal_log_prob must be callable"):
        mcmc.independence_metropolis(0, logp, jnp.zeros((2, 1)), q.sample, None,
                                     n_samples=3)
    with pytest.raises(ValueError, match="proposal_sample must return 2 values"):
        mcmc.independence_metropolis(0, logp, jnp.zeros((2, 2)), q.sample, q.log_prob,
                                     n_samples=3)
    with pytest.raises(TypeError, match="propose must be callable"):
        mcmc.metropolis_hastings(0, logp, jnp.zeros((2, 1)), "walk", n_samples=3)
    for bad in (1.0, -1.0, 1.5, np.nan):
        with pytest.raises(ValueError, match=r"rho must be a correlation with \|rho\| < 1"):
            mcmc.gibbs_bivariate_gaussian(0, jnp.zeros((2, 2)), rho=bad, n_samples=3)
    with pytest.raises(ValueError, match=r"init must be \(n_chains, 2\)"):
        mcmc.gibbs_bivariate_gaussian(0, jnp.zeros((2, 3)), rho=0.1, n_samples=3)
    with pytest.raises(ValueError, match="std must be > 0"):
        mcmc.gibbs_bivariate_gaussian(0, jnp.zeros((2, 2)), rho=0.1, std=(1.0, 0.0),
                                      n_samples=3)


def test_bad_ising_and_gmm_input_raises():
    with pytest.raises(ValueError, match="init must hold spins -1 or \\+1"):
        mcmc.gibbs_ising(0, jnp.zeros((2, 3, 3)), n_samples=3)
    with pytest.raises(ValueError, match="init must have rank 3"):
        mcmc.gibbs_ising(0, jnp.ones((3, 3)), n_samples=3)
    with pytest.raises(ValueError, match="need even height and width"):
        mcmc.gibbs_ising(0, jnp.ones((2, 3, 4)), n_samples=3, boundary="periodic")
    with pytest.raises(ValueError, match="both sides >= 2"):
        mcmc.gibbs_ising(0, jnp.ones((2, 1, 4)), n_samples=3, boundary="periodic",
                         update="sequential")
    with pytest.raises(ValueError, match="boundary must be one of"):
        mcmc.gibbs_ising(0, jnp.ones((2, 2, 2)), n_samples=3, boundary="open")
    with pytest.raises(ValueError, match="update must be one of"):
        mcmc.gibbs_ising(0, jnp.ones((2, 2, 2)), n_samples=3, update="random")
    with pytest.raises(ValueError, match="coupling must be"):
        mcmc.gibbs_ising(0, jnp.ones((2, 2, 2)), n_samples=3, coupling=np.inf)
    X = np.zeros((4, 2))
    gmm = mcmc.gibbs_gmm_collapsed
    with pytest.raises(ValueError, match=r"init must hold labels in \[0, 2\)"):
        gmm(0, X, np.full((2, 4), 2), n_components=2, variance=1.0, n_samples=3)
    with pytest.raises(ValueError, match="init must have 4 labels"):
        gmm(0, X, np.zeros((2, 3), int), n_components=2, variance=1.0, n_samples=3)
    with pytest.raises(ValueError, match="variance must be > 0"):
        gmm(0, X, np.zeros((2, 4), int), n_components=2, variance=0.0, n_samples=3)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        gmm(0, X, np.zeros((2, 4), int), n_components=2, variance=1.0, alpha=-1.0,
            n_samples=3)
    with pytest.raises(ValueError, match=r"prior_mean must be a scalar or \(2,\)"):
        gmm(0, X, np.zeros((2, 4), int), n_components=2, variance=1.0,
            prior_mean=np.zeros(3), n_samples=3)
    with pytest.raises(ValueError, match="X must have rank 2"):
        mcmc.collapsed_gmm_log_joint(np.zeros(4), np.zeros(4, int), n_components=2,
                                     variance=1.0)


def test_bad_diagnostics_input_raises():
    x = np.random.default_rng(0).normal(size=(3, 10))
    with pytest.raises(ValueError, match=r"x must be chains of shape \(n_chains, n_samples"):
        mcmc.split_r_hat(x[0])
    with pytest.raises(ValueError, match="at least 2 chains"):
        mcmc.split_r_hat(x[:1])
    with pytest.raises(ValueError, match="at least 2 chains"):
        mcmc.gelman_rubin(x[:1])
    with pytest.raises(ValueError, match="at least 4 samples per chain"):
        mcmc.split_r_hat(x[:, :3])
    with pytest.raises(ValueError, match="at least 2 samples per chain"):
        mcmc.effective_sample_size(x[:, :1])
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        mcmc.autocorrelation(x, axis=2)
    with pytest.raises(TypeError, match="x must be array-like of numbers"):
        mcmc.effective_sample_size(np.array([["a", "b"]]))
