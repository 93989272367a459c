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
from jax.scipy.special import ndtr, ndtri

from jaxml.classical.kernels import rbf_kernel, squared_distances
from jaxml.core.validation import check_int, check_positive, check_probability
from jaxml.math.stats import chi2_contingency


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
