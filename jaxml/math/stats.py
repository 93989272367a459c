r"""Statistics: hypothesis tests, power, kernel density estimation, AIC/BIC, VIF.

**Hypothesis tests (M.st.1).** A test statistic :math:`T` with a known null distribution
gives the p-value :math:`P_{H_0}(T \text{ at least as extreme})`; rejecting when
:math:`p\le\alpha` has type I error :math:`\alpha`, and the power :math:`1-\beta` is the
rejection probability under an alternative (:math:`\beta` = type II error).

- z-test: :math:`z = (\bar x-\mu_0)/(\sigma/\sqrt n)\sim\mathcal N(0,1)`.
- one-sample t: :math:`t = (\bar x-\mu_0)/(s/\sqrt n)\sim t_{n-1}`.
- two-sample Student (pooled): :math:`s_p^2 = \frac{(n_1-1)s_1^2+(n_2-1)s_2^2}{n_1+n_2-2}`,
  :math:`t = (\bar x_1-\bar x_2)/(s_p\sqrt{1/n_1+1/n_2})\sim t_{n_1+n_2-2}`.
- Welch: :math:`t = (\bar x_1-\bar x_2)/\sqrt{s_1^2/n_1+s_2^2/n_2}` with the
  Welch–Satterthwaite degrees of freedom
  :math:`\nu = (s_1^2/n_1+s_2^2/n_2)^2/\big(\frac{(s_1^2/n_1)^2}{n_1-1}+\frac{(s_2^2/n_2)^2}{n_2-1}\big)`.
- paired t: the one-sample test on differences :math:`d_i = x_i - y_i`.
- chi-square: :math:`X^2 = \sum (O-E)^2/E\sim\chi^2_{\nu}` with :math:`\nu = k-1-\text{ddof}`
  (goodness of fit) or :math:`(r-1)(c-1)` (independence, :math:`E_{ij} = R_iC_j/N`, with
  Yates' continuity correction for :math:`\nu = 1` as in SciPy).

CDFs come from regularised incomplete functions:
:math:`P(|T_\nu|>t) = I_{\nu/(\nu+t^2)}(\nu/2, 1/2)` and
:math:`P(\chi^2_\nu > x) = Q(\nu/2, x/2)` (``betainc``, ``gammaincc``); quantiles for the
confidence intervals :math:`\bar x \pm t_{1-\alpha/2,\nu}\,\mathrm{SE}` are found by
bisection. Enable float64 (``jax.enable_x64(True)``) to match SciPy to 1e-6.

**Kernel density estimation (M.st.2).** :math:`\hat f_h(x) = \frac1n\sum_i K_h(x-x_i)` with
isotropic kernels normalised in :math:`d` dimensions (:math:`V_d = \pi^{d/2}/\Gamma(d/2+1)`,
:math:`r = \lVert x - x_i\rVert`): Gaussian :math:`(2\pi h^2)^{-d/2}e^{-r^2/2h^2}`; uniform
(tophat) :math:`\mathbb 1[r<h]/(V_dh^d)`; Epanechnikov
:math:`\frac{d+2}{2V_dh^d}(1-r^2/h^2)_+` (the kernels of scikit-learn's ``KernelDensity``).
Bandwidths: Scott :math:`h = \hat\sigma n^{-1/(d+4)}`, Silverman
:math:`h = \hat\sigma (n(d+2)/4)^{-1/(d+4)}` (SciPy's ``gaussian_kde`` factors), or
leave-one-out likelihood cross-validation
:math:`\arg\max_h \sum_i \log\frac{1}{n-1}\sum_{j\ne i}K_h(x_i-x_j)`.

**Model selection and collinearity (M.st.3).** For a Gaussian linear model with :math:`k`
regression coefficients, the maximised log-likelihood is
:math:`\ell = -\frac n2(\log 2\pi + \log(\mathrm{RSS}/n) + 1)`; :math:`\mathrm{AIC} = 2k - 2\ell`
(Akaike 1974), :math:`\mathrm{BIC} = k\log n - 2\ell` (Schwarz 1978). Following statsmodels,
:math:`k` counts the coefficients (intercept included) but not :math:`\sigma^2`, which shifts
every model by the same constant. The variance inflation factor
:math:`\mathrm{VIF}_j = 1/(1-R_j^2)`, with :math:`R_j^2` from regressing feature :math:`j` on the
others with an intercept, equals the :math:`j`-th diagonal entry of the inverse correlation
matrix.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import betainc, gammainc, gammaincc, logsumexp, ndtr, ndtri

from jaxml.core import (
    DensityModel,
    check_array,
    check_int,
    check_option,
    check_positive,
    check_probability,
    is_traced,
    pytree_dataclass,
)

__all__ = [
    "TestResult",
    "Chi2Result",
    "t_cdf",
    "t_ppf",
    "chi2_sf",
    "chi2_ppf",
    "z_test",
    "ttest_1samp",
    "ttest_ind",
    "ttest_rel",
    "variance_ci",
    "chisquare",
    "chi2_contingency",
    "z_test_power",
    "PowerResult",
    "simulate_power",
    "KERNELS",
    "kde_log_kernel",
    "kde_log_density",
    "scott_bandwidth",
    "silverman_bandwidth",
    "cv_bandwidth",
    "KDEParams",
    "kde",
    "ICResult",
    "gaussian_linear_ic",
    "vif",
]

ALTERNATIVES = ("two-sided", "less", "greater")


class TestResult(NamedTuple):
    """A location test: statistic, p-value, degrees of freedom and a confidence interval.

    ``estimate`` is the tested quantity (mean, mean difference); the interval is two-sided
    for ``alternative="two-sided"`` and one-sided (an infinite end) otherwise, as SciPy.
    """

    statistic: jax.Array
    pvalue: jax.Array
    df: jax.Array
    estimate: jax.Array
    ci_low: jax.Array
    ci_high: jax.Array


class Chi2Result(NamedTuple):
    statistic: jax.Array
    pvalue: jax.Array
    df: jax.Array
    expected: jax.Array


# ----------------------------------------------------------------------------- distributions


@jax.jit
def t_cdf(t: Any, df: Any) -> jax.Array:
    """Student-t CDF: ``1 − ½ I_{ν/(ν+t²)}(ν/2, ½)`` for ``t > 0`` (symmetric otherwise)."""
    t, df = jnp.asarray(t), jnp.asarray(df)
    x = df / (df + t * t)
    tail = 0.5 * betainc(0.5 * df, 0.5, x)
    return jnp.where(t > 0, 1.0 - tail, tail)


@jax.jit
def chi2_sf(x: Any, df: Any) -> jax.Array:
    """Chi-square survival function ``Q(ν/2, x/2)``."""
    x, df = jnp.asarray(x), jnp.asarray(df)
    return gammaincc(0.5 * df, 0.5 * jnp.maximum(x, 0.0))


def _bisect(f, lo, hi, num_iters: int = 200):
    """Root of an increasing ``f`` on ``[lo, hi]`` by bisection (vectorised)."""

    def step(_, bounds):
        a, b = bounds
        mid = 0.5 * (a + b)
        below = f(mid) < 0
        return jnp.where(below, mid, a), jnp.where(below, b, mid)

    a, b = lax.fori_loop(0, num_iters, step, (lo, hi))
    return 0.5 * (a + b)


@jax.jit
def t_ppf(q: Any, df: Any) -> jax.Array:
    """Student-t quantile: solve ``I_x(ν/2, ½) = 2 min(q, 1−q)`` for ``x``, then
    ``t = ∓√(ν(1−x)/x)``."""
    q, df = jnp.asarray(q), jnp.asarray(df)
    dtype = jnp.result_type(q, df, float)
    q, df = q.astype(dtype), df.astype(dtype)
    tail = jnp.minimum(q, 1 - q)
    x = _bisect(
        lambda x: betainc(0.5 * df, 0.5, x) - 2 * tail, jnp.zeros_like(tail), jnp.ones_like(tail)
    )
    t = jnp.sqrt(df * (1 - x) / x)
    return jnp.where(q < 0.5, -t, t)


@jax.jit
def chi2_ppf(q: Any, df: Any) -> jax.Array:
    """Chi-square quantile by bisection on ``P(ν/2, x/2) = q``."""
    q, df = jnp.asarray(q), jnp.asarray(df)
    dtype = jnp.result_type(q, df, float)
    q, df = q.astype(dtype), df.astype(dtype)
    hi = 100.0 * jnp.maximum(df, 1.0) + 100.0
    return _bisect(lambda x: gammainc(0.5 * df, 0.5 * x) - q, jnp.zeros_like(q + df), hi + 0 * q)


def _p_from_cdf(cdf_stat: jax.Array, sf_stat: jax.Array, alternative: str) -> jax.Array:
    if alternative == "less":
        return cdf_stat
    if alternative == "greater":
        return sf_stat
    return jnp.minimum(2.0 * jnp.minimum(cdf_stat, sf_stat), 1.0)


def _interval(est, se, crit, alternative: str):
    """Two-sided ``est ± crit·se`` or the one-sided interval with an infinite end."""
    if alternative == "two-sided":
        return est - crit * se, est + crit * se
    if alternative == "less":
        return jnp.full_like(est, -jnp.inf), est + crit * se
    return est - crit * se, jnp.full_like(est, jnp.inf)


def _level(confidence, alternative: str):
    """The quantile level of the critical value: ``(1+c)/2`` two-sided, ``c`` one-sided."""
    return 0.5 + 0.5 * confidence if alternative == "two-sided" else confidence


def _t_result(est, se, df, mu0, alternative: str, confidence) -> TestResult:
    stat = (est - mu0) / se
    p = _p_from_cdf(t_cdf(stat, df), t_cdf(-stat, df), alternative)
    lo, hi = _interval(est, se, t_ppf(_level(confidence, alternative), df), alternative)
    return TestResult(stat, p, jnp.asarray(df, stat.dtype), est, lo, hi)


def _check_common(alternative: str, confidence: Any) -> None:
    check_option(alternative, "alternative", ALTERNATIVES)
    check_probability(confidence, "confidence")
    if not is_traced(confidence) and not 0 < float(confidence) < 1:
        raise ValueError(f"confidence must lie strictly in (0, 1), got {confidence}")


def _sample(x: Any, name: str, min_size: int = 2) -> jax.Array:
    x = check_array(x, name, ndim=1, dtype_kind="f")
    if x.shape[0] < min_size:
        raise ValueError(f"{name} must have at least {min_size} observations, got {x.shape[0]}")
    return x


# ----------------------------------------------------------------------------- tests


def z_test(
    x: Any,
    mu0: Any = 0.0,
    *,
    sigma: Any = None,
    alternative: str = "two-sided",
    confidence: float = 0.95,
) -> TestResult:
    """One-sample z-test of ``H₀: μ = μ₀``.

    ``sigma`` is the known population standard deviation; if ``None`` the sample standard
    deviation (``ddof=1``) is plugged in (the large-sample z-test of statsmodels'
    ``ztest``). The interval is ``x̄ ± z_{1−α/2} σ/√n``; ``df`` is ``inf``.
    """
    x = _sample(x, "x")
    _check_common(alternative, confidence)
    if sigma is not None:
        check_positive(sigma, "sigma")
    n = x.shape[0]
    est = jnp.mean(x)
    s = jnp.std(x, ddof=1) if sigma is None else jnp.asarray(sigma, est.dtype)
    se = s / jnp.sqrt(n)
    z = (est - mu0) / se
    p = _p_from_cdf(ndtr(z), ndtr(-z), alternative)
    lo, hi = _interval(est, se, ndtri(_level(confidence, alternative)), alternative)
    return TestResult(z, p, jnp.asarray(jnp.inf, z.dtype), est, lo, hi)


def ttest_1samp(
    x: Any, mu0: Any = 0.0, *, alternative: str = "two-sided", confidence: float = 0.95
) -> TestResult:
    """One-sample Student t-test of ``H₀: μ = μ₀`` (``scipy.stats.ttest_1samp``)."""
    x = _sample(x, "x")
    _check_common(alternative, confidence)
    n = x.shape[0]
    se = jnp.std(x, ddof=1) / jnp.sqrt(n)
    return _t_result(jnp.mean(x), se, n - 1.0, mu0, alternative, confidence)


def ttest_ind(
    x: Any,
    y: Any,
    *,
    equal_var: bool = True,
    alternative: str = "two-sided",
    confidence: float = 0.95,
) -> TestResult:
    """Two-sample t-test of ``H₀: μ_x = μ_y``: pooled Student (``equal_var=True``) or Welch.

    The estimate and interval are for ``μ_x − μ_y`` (``scipy.stats.ttest_ind``).
    """
    x, y = _sample(x, "x"), _sample(y, "y")
    _check_common(alternative, confidence)
    n1, n2 = x.shape[0], y.shape[0]
    v1, v2 = jnp.var(x, ddof=1), jnp.var(y, ddof=1)
    if equal_var:
        df = n1 + n2 - 2.0
        sp2 = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
        se = jnp.sqrt(sp2 * (1.0 / n1 + 1.0 / n2))
    else:
        a, b = v1 / n1, v2 / n2
        se = jnp.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    return _t_result(jnp.mean(x) - jnp.mean(y), se, df, 0.0, alternative, confidence)


def ttest_rel(
    x: Any, y: Any, *, alternative: str = "two-sided", confidence: float = 0.95
) -> TestResult:
    """Paired t-test: the one-sample t-test on ``x − y`` (``scipy.stats.ttest_rel``)."""
    x, y = _sample(x, "x"), _sample(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length for a paired test, got {x.shape}, {y.shape}")
    return ttest_1samp(x - y, 0.0, alternative=alternative, confidence=confidence)


def variance_ci(x: Any, *, confidence: float = 0.95) -> tuple[jax.Array, jax.Array]:
    """Chi-square interval for ``σ²``: ``[(n−1)s²/χ²_{1−α/2}, (n−1)s²/χ²_{α/2}]``."""
    x = _sample(x, "x")
    _check_common("two-sided", confidence)
    df = x.shape[0] - 1.0
    ss = df * jnp.var(x, ddof=1)
    alpha = 1.0 - confidence
    return ss / chi2_ppf(1 - alpha / 2, df), ss / chi2_ppf(alpha / 2, df)


def chisquare(observed: Any, expected: Any = None, *, ddof: int = 0) -> Chi2Result:
    """Pearson goodness-of-fit ``X² = Σ (O − E)²/E`` on ``k − 1 − ddof`` degrees of freedom.

    ``expected`` defaults to uniform; it must have the same total as ``observed``
    (``scipy.stats.chisquare``).
    """
    obs = check_array(observed, "observed", ndim=1, dtype_kind="f")
    k = obs.shape[0]
    ddof = check_int(ddof, "ddof", minimum=0)
    if k - 1 - ddof < 1:
        raise ValueError(f"ddof={ddof} leaves no degrees of freedom for {k} categories")
    if expected is None:
        exp = jnp.full_like(obs, jnp.mean(obs))
    else:
        exp = check_array(expected, "expected", ndim=1, dtype_kind="f")
        if exp.shape != obs.shape:
            raise ValueError(f"expected must have shape {obs.shape}, got {exp.shape}")
        if not is_traced(exp):
            if np.any(np.asarray(exp) <= 0):
                raise ValueError("expected must be > 0 in every category")
            if not np.isclose(float(jnp.sum(exp)), float(jnp.sum(obs)), rtol=1e-6):
                raise ValueError("expected must have the same total as observed")
    stat = jnp.sum((obs - exp) ** 2 / exp)
    df = jnp.asarray(k - 1.0 - ddof, stat.dtype)
    return Chi2Result(stat, chi2_sf(stat, df), df, exp)


def chi2_contingency(table: Any, *, correction: bool = True) -> Chi2Result:
    """Chi-square test of independence on an ``(r, c)`` contingency table.

    ``E_ij = R_i C_j / N``; ``df = (r − 1)(c − 1)``. With ``correction`` and ``df == 1``,
    Yates' correction moves each ``O_ij`` up to ``0.5`` towards ``E_ij``
    (``scipy.stats.chi2_contingency``).
    """
    obs = check_array(table, "table", ndim=2, dtype_kind="f")
    r, c = obs.shape
    if r < 2 or c < 2:
        raise ValueError(f"table must be at least 2x2, got shape {obs.shape}")
    if not is_traced(obs) and np.any(np.asarray(obs) < 0):
        raise ValueError("table must hold non-negative counts")
    total = jnp.sum(obs)
    exp = jnp.outer(jnp.sum(obs, axis=1), jnp.sum(obs, axis=0)) / total
    if not is_traced(exp) and np.any(np.asarray(exp) == 0):
        raise ValueError("table has a zero row or column sum (an expected count of zero)")
    df = (r - 1) * (c - 1)
    if correction and df == 1:
        diff = exp - obs
        obs = obs + jnp.sign(diff) * jnp.minimum(0.5, jnp.abs(diff))
    stat = jnp.sum((obs - exp) ** 2 / exp)
    dft = jnp.asarray(float(df), stat.dtype)
    return Chi2Result(stat, chi2_sf(stat, dft), dft, exp)


# ----------------------------------------------------------------------------- power


def z_test_power(
    effect_size: Any, n: int, *, alpha: float = 0.05, alternative: str = "two-sided"
) -> jax.Array:
    """Analytic power of the z-test for the standardised effect ``δ = (μ − μ₀)/σ``.

    Two-sided: ``Φ(δ√n − z_{1−α/2}) + Φ(−δ√n − z_{1−α/2})``; one-sided:
    ``Φ(±δ√n − z_{1−α})``.
    """
    n = check_int(n, "n", minimum=1)
    check_option(alternative, "alternative", ALTERNATIVES)
    check_probability(alpha, "alpha")
    shift = jnp.asarray(effect_size, jnp.result_type(float)) * math.sqrt(n)
    if alternative == "two-sided":
        z = ndtri(1 - alpha / 2)
        return ndtr(shift - z) + ndtr(-shift - z)
    z = ndtri(1 - alpha)
    return ndtr(shift - z) if alternative == "greater" else ndtr(-shift - z)


class PowerResult(NamedTuple):
    """Monte-Carlo rejection rate with its standard error.

    With ``effect_size = 0`` the rejection rate estimates the type I error (should be
    ``≈ α``); otherwise it is the power and ``type_ii_error = 1 − power``.
    """

    rejection_rate: jax.Array
    type_ii_error: jax.Array
    std_error: jax.Array


def simulate_power(
    key: jax.Array,
    effect_size: Any,
    n: int,
    *,
    alpha: float = 0.05,
    test: str = "z",
    alternative: str = "two-sided",
    num_sims: int = 2000,
) -> PowerResult:
    """Rejection rate of a one-sample test on ``num_sims`` data sets ``x ~ N(δ, 1)^n``.

    ``test="z"`` uses the known ``σ = 1``; ``test="t"`` the one-sample t-test. All data
    sets are tested at once (vectorised), so this is one compiled computation.
    """
    n = check_int(n, "n", minimum=2)
    num_sims = check_int(num_sims, "num_sims", minimum=1)
    check_option(test, "test", ("z", "t"))
    check_option(alternative, "alternative", ALTERNATIVES)
    check_probability(alpha, "alpha")
    return _simulate_power(key, effect_size, n, alpha, test, alternative, num_sims)


@partial(jax.jit, static_argnames=("n", "test", "alternative", "num_sims"))
def _simulate_power(key, effect_size, n, alpha, test, alternative, num_sims) -> PowerResult:
    dtype = jnp.result_type(float)
    x = jax.random.normal(key, (num_sims, n), dtype) + jnp.asarray(effect_size, dtype)
    mu = jnp.mean(x, axis=1)
    if test == "z":
        stat = mu * math.sqrt(n)
        p = _p_from_cdf(ndtr(stat), ndtr(-stat), alternative)
    else:
        stat = mu / (jnp.std(x, axis=1, ddof=1) / math.sqrt(n))
        p = _p_from_cdf(t_cdf(stat, n - 1.0), t_cdf(-stat, n - 1.0), alternative)
    rate = jnp.mean(p <= alpha)
    return PowerResult(rate, 1.0 - rate, jnp.sqrt(rate * (1 - rate) / num_sims))


# ----------------------------------------------------------------------------- M.st.2 KDE

KERNELS = ("gaussian", "epanechnikov", "tophat")


def _log_unit_ball_volume(d: int) -> float:
    return 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1)


def kde_log_kernel(sq_dist: jax.Array, bandwidth: Any, d: int, kernel: str) -> jax.Array:
    """``log K_h`` of an isotropic ``d``-dim kernel at squared distances ``sq_dist``."""
    check_option(kernel, "kernel", KERNELS)
    h = jnp.asarray(bandwidth, sq_dist.dtype)
    u2 = sq_dist / (h * h)
    if kernel == "gaussian":
        return -0.5 * u2 - 0.5 * d * jnp.log(2 * jnp.pi * h * h)
    log_norm = _log_unit_ball_volume(d) + d * jnp.log(h)
    if kernel == "tophat":
        return jnp.where(u2 < 1.0, -log_norm, -jnp.inf)
    inside = u2 < 1.0
    log_shape = jnp.log(jnp.where(inside, 1.0 - u2, 1.0))
    return jnp.where(inside, log_shape + math.log((d + 2) / 2.0) - log_norm, -jnp.inf)


def _sq_dists(A: jax.Array, B: jax.Array) -> jax.Array:
    diff = A[:, None, :] - B[None, :, :]
    return jnp.sum(diff * diff, axis=-1)


def _kde_inputs(X: Any, name: str = "X") -> jax.Array:
    return check_array(X, name, ndim=2, dtype_kind="f")


def kde_log_density(
    X_train: Any, X_eval: Any, bandwidth: Any, *, kernel: str = "gaussian"
) -> jax.Array:
    """``log f̂_h(x) = logsumexp_i log K_h(x − x_i) − log n`` for each row of ``X_eval``.

    Matches ``sklearn.neighbors.KernelDensity(kernel, bandwidth).score_samples``; points
    outside the support of a compact kernel get ``-inf``.
    """
    X_train, X_eval = _kde_inputs(X_train, "X_train"), _kde_inputs(X_eval, "X_eval")
    if X_eval.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_eval must have {X_train.shape[1]} features, got {X_eval.shape[1]}")
    check_positive(bandwidth, "bandwidth")
    logk = kde_log_kernel(_sq_dists(X_eval, X_train), bandwidth, X_train.shape[1], kernel)
    return logsumexp(logk, axis=1) - jnp.log(X_train.shape[0])


def _sigma_hat(X: jax.Array) -> jax.Array:
    """Sample std (``ddof=1``); for ``d > 1`` the root mean of the per-feature variances."""
    return jnp.sqrt(jnp.mean(jnp.var(X, axis=0, ddof=1)))


def scott_bandwidth(X: Any) -> jax.Array:
    """Scott's rule ``h = σ̂ n^{−1/(d+4)}``."""
    X = _kde_inputs(X)
    n, d = X.shape
    return _sigma_hat(X) * n ** (-1.0 / (d + 4))


def silverman_bandwidth(X: Any) -> jax.Array:
    """Silverman's rule ``h = σ̂ (n(d+2)/4)^{−1/(d+4)}``."""
    X = _kde_inputs(X)
    n, d = X.shape
    return _sigma_hat(X) * (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))


def cv_bandwidth(
    X: Any, bandwidths: Any, *, kernel: str = "gaussian"
) -> tuple[jax.Array, jax.Array]:
    """Leave-one-out likelihood cross-validation over a grid of bandwidths.

    Returns ``(best bandwidth, LOO log-likelihood per bandwidth)``; the pairwise distance
    matrix is computed once and the grid is a ``vmap``.
    """
    X = _kde_inputs(X)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"X must have at least 2 rows for leave-one-out, got {n}")
    hs = check_array(bandwidths, "bandwidths", ndim=1, dtype_kind="f")
    if not is_traced(hs) and np.any(np.asarray(hs) <= 0):
        raise ValueError("bandwidths must all be > 0")
    check_option(kernel, "kernel", KERNELS)
    sq = _sq_dists(X, X)
    off_diag = ~jnp.eye(n, dtype=bool)

    def loo(h):
        logk = jnp.where(off_diag, kde_log_kernel(sq, h, d, kernel), -jnp.inf)
        return jnp.sum(logsumexp(logk, axis=1) - jnp.log(n - 1.0))

    scores = jax.vmap(loo)(hs)
    return hs[jnp.argmax(scores)], scores


@pytree_dataclass
class KDEParams:
    """A fitted KDE: the training points and the bandwidth."""

    data: jax.Array
    bandwidth: jax.Array


def kde(kernel: str = "gaussian", bandwidth: Any = "scott") -> DensityModel:
    """Kernel density estimator as a ``DensityModel(fit, score_samples, sample)``.

    Args:
      kernel: ``"gaussian"``, ``"epanechnikov"`` or ``"tophat"`` (uniform).
      bandwidth: a positive float (traced, so sweeps ``vmap``), ``"scott"`` or
        ``"silverman"``.

    ``sample(key, params, n)`` picks training points uniformly and adds kernel noise: a
    Gaussian, a uniform point in the ``h``-ball, or for Epanechnikov the first ``d``
    coordinates of a uniform point in the ``(d+2)``-dim ``h``-ball (whose marginal density
    is ``∝ (1 − r²/h²)``).
    """
    check_option(kernel, "kernel", KERNELS)
    if isinstance(bandwidth, str):
        check_option(bandwidth, "bandwidth", ("scott", "silverman"))
    else:
        check_positive(bandwidth, "bandwidth")

    def fit(X: Any) -> KDEParams:
        X = _kde_inputs(X)
        if bandwidth == "scott":
            h = scott_bandwidth(X)
        elif bandwidth == "silverman":
            h = silverman_bandwidth(X)
        else:
            h = jnp.asarray(bandwidth, X.dtype)
        return KDEParams(X, h)

    def score_samples(params: KDEParams, X: Any) -> jax.Array:
        X = _kde_inputs(X)
        if X.shape[1] != params.data.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the KDE was fitted with {params.data.shape[1]}"
            )
        logk = kde_log_kernel(
            _sq_dists(X, params.data), params.bandwidth, params.data.shape[1], kernel
        )
        return logsumexp(logk, axis=1) - jnp.log(params.data.shape[0])

    def sample(key: jax.Array, params: KDEParams, n: int) -> jax.Array:
        n = check_int(n, "n", minimum=1)
        m, d = params.data.shape
        k_idx, k_dir, k_rad = jax.random.split(key, 3)
        centres = params.data[jax.random.randint(k_idx, (n,), 0, m)]
        h = params.bandwidth
        if kernel == "gaussian":
            return centres + h * jax.random.normal(k_dir, (n, d), centres.dtype)
        dim = d if kernel == "tophat" else d + 2
        z = jax.random.normal(k_dir, (n, dim), centres.dtype)
        z = z / jnp.linalg.norm(z, axis=1, keepdims=True)
        r = jax.random.uniform(k_rad, (n, 1), centres.dtype) ** (1.0 / dim)
        return centres + h * (r * z)[:, :d]

    return DensityModel(fit, score_samples, sample)


# ----------------------------------------------------------------------------- M.st.3


class ICResult(NamedTuple):
    """Maximised log-likelihood, AIC, BIC and the number of coefficients ``k``."""

    llf: jax.Array
    aic: jax.Array
    bic: jax.Array
    k: int


def _lstsq_rss(A: jax.Array, y: jax.Array) -> jax.Array:
    coef = jnp.linalg.lstsq(A, y)[0]
    r = y - A @ coef
    return jnp.sum(r * r)


def gaussian_linear_ic(X: Any, y: Any, *, fit_intercept: bool = True) -> ICResult:
    """AIC/BIC of the OLS fit ``y = X β (+ b) + ε``, ``ε ~ N(0, σ²)``.

    ``ℓ = −n/2 (log 2π + log(RSS/n) + 1)``, ``AIC = 2k − 2ℓ``, ``BIC = k log n − 2ℓ`` with
    ``k`` the number of coefficients (intercept included), as statsmodels' ``OLS``.
    """
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    y = check_array(y, "y", ndim=1, dtype_kind="f")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]}, {y.shape[0]}")
    n = X.shape[0]
    A = jnp.concatenate([jnp.ones((n, 1), X.dtype), X], axis=1) if fit_intercept else X
    k = A.shape[1]
    if n <= k:
        raise ValueError(f"X needs more rows ({n}) than coefficients ({k})")
    rss = _lstsq_rss(A, y)
    llf = -0.5 * n * (math.log(2 * math.pi) + jnp.log(rss / n) + 1.0)
    return ICResult(llf, 2.0 * k - 2.0 * llf, k * math.log(n) - 2.0 * llf, k)


def vif(X: Any) -> jax.Array:
    """Variance inflation factors ``VIF_j = 1/(1 − R_j²) = (R⁻¹)_jj`` for each column.

    ``R`` is the feature correlation matrix; this equals statsmodels'
    ``variance_inflation_factor`` on ``add_constant(X)``. Perfectly collinear columns give
    ``inf`` (or huge values from round-off).
    """
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    n, d = X.shape
    if d < 2:
        raise ValueError(f"X must have at least 2 columns, got shape {X.shape}")
    if n <= d:
        raise ValueError(f"X needs more rows ({n}) than columns ({d})")
    Xc = X - jnp.mean(X, axis=0)[None, :]
    sd = jnp.sqrt(jnp.sum(Xc * Xc, axis=0))
    if not is_traced(sd) and np.any(np.asarray(sd) == 0):
        raise ValueError("X has a constant column; its VIF is undefined")
    Z = Xc / sd[None, :]
    return jnp.diagonal(jnp.linalg.inv(Z.T @ Z))

