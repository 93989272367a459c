r"""Drift detection on features and predictions, and A/B tests.

A reference sample (training or last week's traffic) is compared with a current one.

* **Kolmogorov–Smirnov** (continuous feature): :math:`D = \sup_t |F_{ref}(t) - F_{cur}(t)|`
  over the empirical CDFs; under H₀ (same distribution) :math:`\sqrt{n_e} D` tends to the
  Kolmogorov distribution, :math:`P(K > \lambda) = 2\sum_{k\ge1}(-1)^{k-1}e^{-2k^2\lambda^2}`,
  with :math:`n_e = nm/(n+m)`.
* **Chi-square** (categorical feature): the 2 × K contingency table of category counts,
  :func:`jaxml.math.stats.chi2_contingency` without continuity correction.
* **Population stability index**: bins from the reference's quantiles (so every bin holds
  ≈ 1/B of the reference), proportions r_b, c_b floored at ``eps``,
  :math:`\mathrm{PSI} = \sum_b (c_b - r_b)\ln(c_b/r_b)`; the usual reading is < 0.1 stable,
  0.1–0.25 moderate, > 0.25 major shift. Quantile bins make it invariant to any strictly
  increasing transform of the feature.
* **Maximum mean discrepancy** (multivariate): the unbiased estimate with an RBF kernel k,
  :math:`\widehat{\mathrm{MMD}}^2 = \frac{1}{n(n-1)}\sum_{i\ne j}k(x_i,x_j) +
  \frac{1}{m(m-1)}\sum_{i\ne j}k(y_i,y_j) - \frac{2}{nm}\sum_{i,j}k(x_i,y_j)`, bandwidth by
  the median heuristic, and a permutation test: p = (1 + #{π: MMD²_π ≥ MMD²}) / (1 + P),
  all P relabellings in one ``vmap``.
* **Classifier two-sample test**: a held-out accuracy of telling the samples apart, tested
  against Binomial(n, ½).
* **Calibration drift** (predicted probabilities p_i against outcomes y_i of the current
  window): the Hosmer–Lemeshow statistic over G equal-count groups of sorted p,
  :math:`H = \sum_g (O_g - E_g)^2 / (E_g(1 - E_g/n_g))` with O_g = Σ y_i, E_g = Σ p_i;
  for a model still calibrated (y_i ∼ Bernoulli(p_i)) it is approximately χ²_G (G, not
  G − 2: the model was not fitted on this window). The p-value is exact up to Monte Carlo:
  the fraction of S outcome vectors drawn from Bernoulli(p) whose H reaches the observed.
* **Sequential detection**: Page's CUSUM with Siegmund's run-length approximation (mean time
  to a false alarm, mean detection delay after a known onset).
* **Canary rollout**: staged traffic shares, each stage a one-sided two-proportion test at
  α/stages, rollback at the first significant stage; latencies compared by the one-sided
  Mann–Whitney U test (:func:`slower_pvalue`).
* **Sequential A/B tests**: looks at information fractions t_k with Lan–DeMets alpha
  spending (O'Brien–Fleming or Pocock type) and the exact group-sequential z boundaries.
* **A/B test** of two conversion rates: the pooled two-proportion z-test
  :math:`z = (\hat p_B - \hat p_A)/\sqrt{\hat p(1-\hat p)(1/n_A + 1/n_B)}` (z² is the
  uncorrected 2 × 2 chi-square), and the per-group sample size for power 1 − β at level α,
  :math:`n = \big(z_{1-\alpha/2}\sqrt{2\bar p(1-\bar p)} + z_{1-\beta}\sqrt{p_A(1-p_A)+p_B(1-p_B)}\big)^2/(p_A-p_B)^2`.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betainc, ndtr, ndtri

from jaxml.classical.kernels import rbf_kernel, squared_distances
from jaxml.classical.linear.logistic import logistic_regression
from jaxml.core.validation import check_int, check_positive, check_probability
from jaxml.math.stats import chi2_contingency
from jaxml.trust.fairness import check_binary_labels


class DriftResult(NamedTuple):
    """``statistic``, ``pvalue`` (NaN for PSI, which has no null distribution) and
    ``drift``: whether the detector fires (p ≤ α, or PSI above its threshold)."""

    statistic: float
    pvalue: float
    drift: bool


def _sample(values: Any, name: str, ndim: int = 1) -> np.ndarray:
    arr = np.asarray(values, np.float64)
    if arr.ndim != ndim or arr.shape[0] < 2:
        raise ValueError(f"{name} must be a {ndim}-D array with at least 2 rows, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def kolmogorov_sf(lam: Any) -> np.ndarray:
    """P(K > λ) of the Kolmogorov distribution (the series above; 1 for λ ≤ 0)."""
    lam = np.asarray(lam, np.float64)
    k = np.arange(1, 101)
    terms = (-1.0) ** (k - 1) * np.exp(-2.0 * k ** 2 * np.maximum(lam[..., None], 1e-3) ** 2)
    return np.where(lam <= 0.2, 1.0, np.clip(2.0 * terms.sum(-1), 0.0, 1.0))  # the series is 1 − 1e-20 at 0.2


def ks_drift(reference: Any, current: Any, *, alpha: float = 0.05) -> DriftResult:
    """Two-sample Kolmogorov–Smirnov test (asymptotic p-value)."""
    check_probability(alpha, "alpha")
    ref, cur = np.sort(_sample(reference, "reference")), np.sort(_sample(current, "current"))
    grid = np.concatenate([ref, cur])
    d = float(np.max(np.abs(np.searchsorted(ref, grid, side="right") / ref.size
                            - np.searchsorted(cur, grid, side="right") / cur.size)))
    p = float(kolmogorov_sf(math.sqrt(ref.size * cur.size / (ref.size + cur.size)) * d))
    return DriftResult(d, p, p <= alpha)


def chi2_drift(reference: Any, current: Any, *, alpha: float = 0.05) -> DriftResult:
    """Chi-square test of equal category frequencies (categories: the union of both samples)."""
    check_probability(alpha, "alpha")
    ref, cur = np.asarray(reference).ravel(), np.asarray(current).ravel()
    if ref.size == 0 or cur.size == 0:
        raise ValueError("reference and current must be non-empty")
    categories = np.union1d(ref, cur)
    if categories.size < 2:
        raise ValueError("the samples must hold at least two categories between them")
    table = np.stack([np.sum(ref[:, None] == categories, 0), np.sum(cur[:, None] == categories, 0)])
    result = chi2_contingency(table.astype(np.float64), correction=False)
    p = float(result.pvalue)
    return DriftResult(float(result.statistic), p, p <= alpha)


def population_stability_index(reference: Any, current: Any, *, bins: int = 10, eps: float = 1e-4,
                               threshold: float = 0.25) -> DriftResult:
    """PSI over ``bins`` reference-quantile bins; ``drift`` when PSI > ``threshold``."""
    bins = check_int(bins, "bins", minimum=2)
    check_positive(eps, "eps")
    ref, cur = _sample(reference, "reference"), _sample(current, "current")
    edges = np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1])
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=bins) / ref.size
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=bins) / cur.size
    r, c = np.maximum(r, eps), np.maximum(c, eps)
    value = float(np.sum((c - r) * np.log(c / r)))
    return DriftResult(value, float("nan"), value > threshold)


def hosmer_lemeshow(y_true: Any, y_prob: Any, *, n_groups: int = 10) -> float:
    """H over ``n_groups`` equal-count groups of the sorted probabilities (module docstring)."""
    y, p = _calibration_inputs(y_true, y_prob, n_groups)
    return float(_hl_statistic(jnp.asarray(y, jnp.float64 if jax.config.x64_enabled else jnp.float32),
                               jnp.asarray(p), _groups_of(p, n_groups), n_groups))


def _calibration_inputs(y_true: Any, y_prob: Any, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    check_int(n_groups, "n_groups", minimum=1)
    y = check_binary_labels(y_true, "y_true")
    p = np.asarray(y_prob, np.float64)
    if p.shape != y.shape:
        raise ValueError(f"y_prob must have the shape of y_true {y.shape}, got {p.shape}")
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("y_prob must hold probabilities in [0, 1]")
    if y.size < 2 * n_groups:
        raise ValueError(f"need at least 2 examples per group ({2 * n_groups}), got {y.size}")
    return y, p


def _groups_of(p: np.ndarray, n_groups: int) -> jax.Array:
    """Group index of every example: equal-count groups of the probabilities in sorted order."""
    rank = np.empty(p.size, np.int64)
    rank[np.argsort(p, kind="stable")] = np.arange(p.size)
    return jnp.asarray(rank * n_groups // p.size)


def _hl_statistic(y: jax.Array, p: jax.Array, groups: jax.Array, n_groups: int) -> jax.Array:
    observed = jax.ops.segment_sum(y, groups, num_segments=n_groups)
    expected = jax.ops.segment_sum(p.astype(y.dtype), groups, num_segments=n_groups)
    counts = jax.ops.segment_sum(jnp.ones_like(y), groups, num_segments=n_groups)
    variance = jnp.maximum(expected * (1 - expected / counts), 1e-12)
    return jnp.sum((observed - expected) ** 2 / variance)


@partial(jax.jit, static_argnums=(3, 4))
def _simulated_hl(key: jax.Array, p: jax.Array, groups: jax.Array, n_groups: int, num_simulations: int) -> jax.Array:
    """H of ``num_simulations`` outcome vectors drawn from Bernoulli(p): its null law."""
    simulate = lambda k: _hl_statistic(jax.random.bernoulli(k, p).astype(p.dtype), p, groups, n_groups)  # noqa: E731
    return jax.vmap(simulate)(jax.random.split(key, num_simulations))


def calibration_drift(key: jax.Array, y_true: Any, y_prob: Any, *, n_groups: int = 10, alpha: float = 0.05,
                      num_simulations: int = 2000) -> DriftResult:
    """Has the model stopped being calibrated on this window? Hosmer–Lemeshow H with its
    simulated p-value (module docstring): (1 + #{s: H*_s ≥ H}) / (1 + S), the S outcome
    vectors y* ∼ Bernoulli(p) in one ``vmap``."""
    check_probability(alpha, "alpha")
    check_int(num_simulations, "num_simulations", minimum=1)
    y, p = _calibration_inputs(y_true, y_prob, n_groups)
    dtype = jnp.float64 if jax.config.x64_enabled else jnp.float32
    p_j, groups = jnp.asarray(p, dtype), _groups_of(p, n_groups)
    observed = _hl_statistic(jnp.asarray(y, dtype), p_j, groups, n_groups)
    null = _simulated_hl(key, p_j, groups, n_groups, num_simulations)
    pvalue = float((1 + jnp.sum(null >= observed)) / (1 + num_simulations))
    return DriftResult(float(observed), pvalue, pvalue <= alpha)


def median_heuristic_gamma(Z: Any) -> float:
    """γ = 1 / median(‖z_i − z_j‖²) over distinct pairs (the RBF kernel is exp(−γ‖·‖²))."""
    Z = jnp.asarray(Z)
    sq = np.asarray(squared_distances(Z, Z))
    return float(1.0 / max(np.median(sq[np.triu_indices(sq.shape[0], 1)]), 1e-12))


def mmd2_unbiased(K: jax.Array, n: int) -> jax.Array:
    """Unbiased MMD² from the pooled Gram matrix ``K`` whose first ``n`` rows are the reference."""
    m = K.shape[0] - n
    kxx, kyy, kxy = K[:n, :n], K[n:, n:], K[:n, n:]
    return ((kxx.sum() - jnp.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - jnp.trace(kyy)) / (m * (m - 1))
            - 2.0 * kxy.mean())


@partial(jax.jit, static_argnums=2)
def _permutation_null(K: jax.Array, keys: jax.Array, n: int) -> jax.Array:
    """MMD² of every random relabelling of the pooled sample (one program per shape)."""
    def permuted(k):
        perm = jax.random.permutation(k, K.shape[0])
        return mmd2_unbiased(K[perm][:, perm], n)

    return jax.vmap(permuted)(keys)


def mmd_drift(key: jax.Array, reference: Any, current: Any, *, gamma: float | None = None,
              num_permutations: int = 500, alpha: float = 0.05) -> DriftResult:
    """Kernel two-sample test: unbiased MMD² with an RBF kernel and a permutation p-value."""
    check_probability(alpha, "alpha")
    num_permutations = check_int(num_permutations, "num_permutations", minimum=1)
    X, Y = _sample(reference, "reference", 2), _sample(current, "current", 2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"reference and current must have the same number of columns, got {X.shape[1]} and "
                         f"{Y.shape[1]}")
    Z = jnp.asarray(np.concatenate([X, Y]), jnp.float32)
    gamma = median_heuristic_gamma(Z) if gamma is None else float(check_positive(gamma, "gamma"))
    K = rbf_kernel(Z, gamma=gamma)
    n = X.shape[0]
    observed = mmd2_unbiased(K, n)

    null = _permutation_null(K, jax.random.split(key, num_permutations), n)
    p = float((1 + jnp.sum(null >= observed)) / (1 + num_permutations))
    return DriftResult(float(observed), p, p <= alpha)


class ABTest(NamedTuple):
    """Pooled two-proportion z-test: rates, difference B − A, z and the p-value."""

    rate_a: float
    rate_b: float
    difference: float
    statistic: float
    pvalue: float


def _counts(successes: Any, trials: Any, name: str) -> tuple[int, int]:
    n = check_int(trials, f"n_{name}", minimum=1)
    s = check_int(successes, f"successes_{name}", minimum=0)
    if s > n:
        raise ValueError(f"successes_{name} ({s}) must be <= n_{name} ({n})")
    return s, n


def two_proportion_z_test(successes_a: int, n_a: int, successes_b: int, n_b: int, *,
                          alternative: str = "two-sided") -> ABTest:
    """H₀: p_A = p_B against ``"two-sided"``, ``"greater"`` (p_B > p_A) or ``"less"``."""
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    sa, na = _counts(successes_a, n_a, "a")
    sb, nb = _counts(successes_b, n_b, "b")
    pooled = (sa + sb) / (na + nb)
    if pooled in (0.0, 1.0):
        raise ValueError("the pooled rate is 0 or 1: the z statistic is undefined")
    ra, rb = sa / na, sb / nb
    z = (rb - ra) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    upper, lower = float(ndtr(-z)), float(ndtr(z))
    p = {"two-sided": min(1.0, 2 * min(upper, lower)), "greater": upper, "less": lower}[alternative]
    return ABTest(ra, rb, rb - ra, z, p)


def ab_sample_size(p_a: float, p_b: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Per-group size for the two-sided pooled test to detect p_A ≠ p_B with ``power``."""
    check_probability(alpha, "alpha")
    check_probability(power, "power")
    for name, p in (("p_a", p_a), ("p_b", p_b)):
        if not 0 < p < 1:
            raise ValueError(f"{name} must be in (0, 1), got {p}")
    if p_a == p_b:
        raise ValueError("p_a and p_b must differ (no sample size detects a zero effect)")
    bar = (p_a + p_b) / 2
    z_a, z_b = float(ndtri(1 - alpha / 2)), float(ndtri(power))
    n = (z_a * math.sqrt(2 * bar * (1 - bar)) + z_b * math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))) ** 2
    return math.ceil(n / (p_a - p_b) ** 2)


# ----------------------------------------------------------------------------- classifier two-sample test
_LOGISTIC = logistic_regression(1.0, n_classes=2)
_fit_logistic = jax.jit(_LOGISTIC.fit)


def classifier_drift(reference: Any, current: Any, *, alpha: float = 0.05, test_fraction: float = 0.5,
                     seed: int = 0) -> DriftResult:
    """Classifier two-sample test (Lopez-Paz & Oquab 2017): logistic regression learns to tell
    current rows (label 1) from reference rows on a random part of both; on the held-out
    n rows its accuracy is Binomial(n, ½)/n under H₀, so p = P(Bin(n, ½) ≥ correct).
    ``statistic`` is the held-out accuracy."""
    check_probability(alpha, "alpha")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    X, Y = _sample(reference, "reference", 2), _sample(current, "current", 2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"reference and current must have the same number of columns, got {X.shape[1]} and "
                         f"{Y.shape[1]}")
    Z = np.concatenate([X, Y]).astype(np.float32)
    labels = np.r_[np.zeros(len(X)), np.ones(len(Y))].astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(Z))
    n_test = max(1, int(round(test_fraction * len(Z))))
    test, train = order[:n_test], order[n_test:]
    mean, std = Z[train].mean(0), Z[train].std(0) + 1e-12
    fitted = _fit_logistic((Z[train] - mean) / std, labels[train])
    correct = int(np.sum(np.asarray(_LOGISTIC.predict(fitted, (Z[test] - mean) / std)) == labels[test]))
    # P(Bin(n, ½) ≥ k) = I_{1/2}(k, n − k + 1)
    p = 1.0 if correct == 0 else float(betainc(float(correct), float(n_test - correct + 1), 0.5))
    return DriftResult(correct / n_test, p, p <= alpha)


# ----------------------------------------------------------------------------- sequential detection
def cusum_alarm(x: Any, *, mean: float, sigma: float, k: float = 0.5, h: float = 5.0) -> int:
    """Page's one-sided CUSUM for an upward mean shift: on z_t = (x_t − mean)/σ,
    S_t = max(0, S_{t−1} + z_t − k); the alarm is the first t with S_t > h (``-1`` if none).
    Its average run lengths (in control, and after a shift) are
    :func:`cusum_average_run_length`; k = δ/2 is optimal against a shift of δσ."""
    check_positive(sigma, "sigma")
    check_positive(k, "k", strict=False)
    check_positive(h, "h")
    z = (jnp.asarray(x, jnp.float32) - mean) / sigma
    if z.ndim != 1:
        raise ValueError(f"x must be a 1-D sequence, got shape {z.shape}")
    return int(_cusum_first_alarm(z, k, h))


@jax.jit
def _cusum_first_alarm(z: jax.Array, k: Any, h: Any) -> jax.Array:
    def step(s, zt):
        s = jnp.maximum(0.0, s + zt - k)
        return s, s > h

    _, alarms = jax.lax.scan(step, jnp.zeros((), z.dtype), z)
    return jnp.where(jnp.any(alarms), jnp.argmax(alarms), -1)


def cusum_average_run_length(k: float, h: float, shift: float = 0.0) -> float:
    """Siegmund's approximation of the average run length of :func:`cusum_alarm` when the
    standardised mean is ``shift``: with Δ = shift − k and b = h + 1.166,
    ARL = (e^{−2Δb} + 2Δb − 1)/(2Δ²) (b² for Δ = 0). ``shift = 0`` is the in-control
    ARL (the mean time to a false alarm); ``shift = δ`` the mean detection delay."""
    b, delta = h + 1.166, shift - k
    if abs(delta) < 1e-12:
        return b * b
    return (math.exp(-2 * delta * b) + 2 * delta * b - 1) / (2 * delta * delta)


# ----------------------------------------------------------------------------- canary rollout
class CanaryResult(NamedTuple):
    """``decision`` ("promote" or "rollback"), the stage it was taken at, and per stage the
    canary's traffic share, the observed error rates and the one-sided p-value."""

    decision: str
    stage: int
    shares: tuple[float, ...]
    error_rates: tuple[tuple[float, float], ...]
    pvalues: tuple[float, ...]


def canary_pvalue(errors_stable: int, n_stable: int, errors_canary: int, n_canary: int) -> float:
    """One-sided p-value of "the canary errs more often than the stable model" (pooled
    two-proportion z-test); 1 when the pooled error rate is 0 or 1 (nothing to tell apart)."""
    pooled = (errors_stable + errors_canary) / (n_stable + n_canary)
    if pooled in (0.0, 1.0):
        return 1.0
    return two_proportion_z_test(errors_stable, n_stable, errors_canary, n_canary, alternative="greater").pvalue


def slower_pvalue(stable_seconds: Any, canary_seconds: Any) -> float:
    r"""One-sided p-value of "the canary's latencies are stochastically larger": the
    Mann–Whitney U test with the normal approximation, tie and continuity corrections.

    :math:`U = \sum_{i,j} [c_i > s_j] + \tfrac12 [c_i = s_j]` over canary times c (m of
    them) and stable times s (n); under H₀ (one latency distribution) E U = nm/2 and
    :math:`\operatorname{Var} U = \frac{nm}{12}\big(N + 1 - \frac{\sum_k (t_k^3 - t_k)}{N(N-1)}\big)`
    with N = n + m and t_k the sizes of the groups of tied times;
    :math:`p = 1 - \Phi\big((U - nm/2 - \tfrac12)/\sqrt{\operatorname{Var} U}\big)`. A rank test
    is not moved by one stalled request the way a p99 of a few dozen requests is. 1 when
    either sample is empty or all times are equal."""
    stable = np.sort(np.asarray(stable_seconds, np.float64).ravel())
    canary = np.asarray(canary_seconds, np.float64).ravel()
    n, m = stable.size, canary.size
    if n == 0 or m == 0:
        return 1.0
    below = np.searchsorted(stable, canary, side="left")
    equal = np.searchsorted(stable, canary, side="right") - below
    u = float(below.sum() + 0.5 * equal.sum())
    total = n + m
    ties = np.unique(np.concatenate([stable, canary]), return_counts=True)[1].astype(np.float64)
    variance = n * m / 12 * (total + 1 - float((ties**3 - ties).sum()) / (total * (total - 1)))
    if variance <= 0:
        return 1.0
    return 0.5 * math.erfc((u - n * m / 2 - 0.5) / math.sqrt(2 * variance))  # 1 − Φ(z) in float64


def canary_rollout(key: jax.Array, error_stable: float, error_canary: float, *, requests_per_stage: int = 2000,
                   shares: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5), alpha: float = 0.05) -> CanaryResult:
    """Simulate a staged canary: at each stage the canary serves ``shares[s]`` of
    ``requests_per_stage`` requests (each an error with the model's error rate) and the
    stage is tested by the one-sided two-proportion z-test of "canary errs more" at level
    α/len(shares) (Bonferroni over stages, so a canary as good as the stable model is rolled
    back with probability ≤ α); rollback at the first significant stage, promotion after the
    last. Replace the simulated errors by logged outcomes to use it on real traffic."""
    for name, p in (("error_stable", error_stable), ("error_canary", error_canary)):
        if not 0 <= p <= 1:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
    requests_per_stage = check_int(requests_per_stage, "requests_per_stage", minimum=2)
    if not shares or any(not 0 < s < 1 for s in shares):
        raise ValueError(f"shares must be a non-empty tuple of fractions in (0, 1), got {shares}")
    check_probability(alpha, "alpha")
    level = alpha / len(shares)
    rates, pvalues = [], []
    for stage, (share, k) in enumerate(zip(shares, jax.random.split(key, len(shares)))):
        n_canary = max(1, int(round(share * requests_per_stage)))
        n_stable = requests_per_stage - n_canary
        k_s, k_c = jax.random.split(k)
        err_s = int(jax.random.binomial(k_s, n_stable, error_stable))
        err_c = int(jax.random.binomial(k_c, n_canary, error_canary))
        rates.append((err_s / n_stable, err_c / n_canary))
        p = canary_pvalue(err_s, n_stable, err_c, n_canary)
        pvalues.append(p)
        if p <= level:
            return CanaryResult("rollback", stage, tuple(shares[:stage + 1]), tuple(rates), tuple(pvalues))
    return CanaryResult("promote", len(shares) - 1, tuple(shares), tuple(rates), tuple(pvalues))


# ----------------------------------------------------------------------------- sequential A/B tests
SPENDING = ("obrien_fleming", "pocock")


def alpha_spent(t: Any, alpha: float, spending: str = "obrien_fleming") -> np.ndarray:
    """Lan–DeMets spending functions of the information fraction t ∈ (0, 1] (two-sided α):
    O'Brien–Fleming type α(t) = 2 − 2Φ(z_{1−α/2}/√t), Pocock type α(t) = α ln(1 + (e − 1)t)."""
    if spending not in SPENDING:
        raise ValueError(f"spending must be one of {SPENDING}, got {spending!r}")
    t = np.asarray(t, np.float64)
    if spending == "pocock":
        return alpha * np.log1p((math.e - 1) * t)
    return 2.0 - 2.0 * np.asarray(ndtr(float(ndtri(1 - alpha / 2)) / np.sqrt(t)), np.float64)


def group_sequential_bounds(fractions: tuple[float, ...], *, alpha: float = 0.05,
                            spending: str = "obrien_fleming", grid: int = 4001) -> np.ndarray:
    """Two-sided z boundaries c_k for looks at information fractions t_1 < … < t_K = 1: under
    H₀ the z statistics are Z_k = B(t_k)/√t_k for a Brownian motion B, and c_k solves
    P(|Z_j| < c_j for j < k, |Z_k| ≥ c_k) = α(t_k) − α(t_{k−1}). The density of B(t_k) on
    the continuation region is carried from look to look by Gaussian convolution on a grid
    (Armitage, McPherson & Rowe 1969), each c_k by bisection."""
    check_probability(alpha, "alpha")
    t = np.asarray(fractions, np.float64)
    if t.ndim != 1 or t.size == 0 or np.any(np.diff(t) <= 0) or t[0] <= 0 or abs(t[-1] - 1) > 1e-12:
        raise ValueError(f"fractions must increase strictly in (0, 1] and end at 1, got {fractions}")
    spend = np.diff(np.r_[0.0, alpha_spent(t, alpha, spending)])
    x = np.linspace(-12, 12, grid)  # B(t) values
    dx = x[1] - x[0]
    density = np.exp(-x ** 2 / (2 * t[0])) / math.sqrt(2 * math.pi * t[0])
    bounds = []
    for k, tk in enumerate(t):
        if k > 0:
            step = tk - t[k - 1]
            kernel = np.exp(-(x[:, None] - x[None]) ** 2 / (2 * step)) / math.sqrt(2 * math.pi * step)
            density = kernel @ density * dx
        cumulative = np.cumsum(density) * dx
        lo, hi = 0.0, 12.0
        for _ in range(60):  # P(|B(t_k)| ≥ c√t_k, continued so far) = spend_k
            mid = 0.5 * (lo + hi)
            a = mid * math.sqrt(tk)
            tail = np.interp(-a, x, cumulative) + cumulative[-1] - np.interp(a, x, cumulative)
            lo, hi = (mid, hi) if tail > spend[k] else (lo, mid)
        c = 0.5 * (lo + hi)
        bounds.append(c)
        density = np.where(np.abs(x) < c * math.sqrt(tk), density, 0.0)
    return np.asarray(bounds)
