r"""Probability: distributions, maximum likelihood, MAP, conjugacy, discrete tables, limit laws.

**Distributions (M.pr.1).** The catalog's twelve families are NumPyro distributions
(``numpyro.distributions`` has all of them, Wishart included), built by small validating
constructors (:func:`bernoulli` … :func:`wishart`, or :func:`make` by name) and used
through one uniform API: :func:`sample` (``key`` first), :func:`log_prob`, :func:`mean`,
:func:`variance`. The API runs NumPyro under ``jax.numpy_rank_promotion("allow")`` because
NumPyro broadcasts implicitly. Parameterisations: Gamma and Exponential use the *rate*
:math:`\beta` (:math:`p(x)\propto x^{\alpha-1}e^{-\beta x}`); Wishart
:math:`W_d(\nu, S)` has density
:math:`|X|^{(\nu-d-1)/2}e^{-\operatorname{tr}(S^{-1}X)/2}/(2^{\nu d/2}|S|^{\nu/2}\Gamma_d(\nu/2))`
and mean :math:`\nu S`.

**Tables and limit laws (M.pr.2).** For a joint table :math:`P(X, Y)`:
marginal :math:`P(x) = \sum_y P(x, y)`, conditional :math:`P(y\mid x) = P(x,y)/P(x)`, Bayes'
rule :math:`P(h\mid e) = P(e\mid h)P(h)/\sum_{h'}P(e\mid h')P(h')`, independence
:math:`P(x,y) = P(x)P(y)`. The law of large numbers says the running mean
:math:`\bar X_n \to \mu` almost surely; the central limit theorem says
:math:`\sqrt n(\bar X_n - \mu)/\sigma \Rightarrow \mathcal N(0, 1)`.

**Maximum likelihood (M.pr.3).** :math:`\hat\theta = \arg\max_\theta\sum_i\log p(x_i\mid\theta)`.
Under regularity conditions :math:`\hat\theta` is consistent and asymptotically
:math:`\mathcal N(\theta, \mathcal I_n(\theta)^{-1})`, where the Fisher information
:math:`\mathcal I_n(\theta) = -\mathbb E[\nabla^2_\theta \log p(x_{1:n}\mid\theta)] = n\,\mathcal I_1(\theta)`
(Cramér–Rao: no unbiased estimator has smaller variance). Each ``mle_*`` returns the
estimate and :math:`\mathcal I_n(\hat\theta)` in closed form; Gamma, Beta and Dirichlet
shapes have no closed-form MLE and are found by Newton's method / Fisher scoring on the
(concave) log-likelihood (Minka 2000, *Estimating a Gamma distribution*; *Estimating a
Dirichlet distribution*). The Gaussian variance MLE :math:`\frac1n\sum(x_i-\bar x)^2` is
biased by the factor :math:`(n-1)/n`; the Uniform endpoints are a non-regular family
(support depends on :math:`\theta`), so no Fisher information exists.

**MAP and conjugacy (M.pr.4).** :math:`\hat\theta_{MAP} = \arg\max\,\log p(x\mid\theta) + \log p(\theta)`.
A conjugate prior keeps the posterior in the prior's family; the updates are:

- Beta–Binomial: :math:`\mathrm{Beta}(a + \sum k_i,\; b + \sum(n_i - k_i))`.
- Normal–Normal, known :math:`\sigma^2`: precision :math:`1/\tau_n^2 = 1/\tau_0^2 + n/\sigma^2`,
  mean :math:`\mu_n = \tau_n^2(\mu_0/\tau_0^2 + \sum x_i/\sigma^2)`.
- Normal–Inverse-Gamma (:math:`\mu\mid\sigma^2\sim\mathcal N(\mu_0,\sigma^2/\kappa_0)`,
  :math:`\sigma^2\sim\mathrm{IG}(\alpha_0,\beta_0)`): :math:`\kappa_n = \kappa_0 + n`,
  :math:`\mu_n = (\kappa_0\mu_0 + n\bar x)/\kappa_n`, :math:`\alpha_n = \alpha_0 + n/2`,
  :math:`\beta_n = \beta_0 + \tfrac12\sum(x_i-\bar x)^2 + \tfrac{\kappa_0 n(\bar x-\mu_0)^2}{2\kappa_n}`.
- Gamma–Poisson (rate): :math:`\mathrm{Gamma}(\alpha + \sum x_i,\; \beta + n)`.
- Dirichlet–Multinomial: :math:`\mathrm{Dir}(\alpha + \sum_i c_i)`.
- Normal–Wishart (:math:`\Lambda\sim W(\nu_0, W_0)`, :math:`\mu\mid\Lambda\sim\mathcal N(\mu_0, (\kappa_0\Lambda)^{-1})`):
  :math:`\kappa_n = \kappa_0+n`, :math:`\nu_n=\nu_0+n`, :math:`\mu_n = (\kappa_0\mu_0+n\bar x)/\kappa_n`,
  :math:`W_n^{-1} = W_0^{-1} + S + \tfrac{\kappa_0 n}{\kappa_n}(\bar x-\mu_0)(\bar x-\mu_0)^\top`,
  :math:`S=\sum(x_i-\bar x)(x_i-\bar x)^\top` (Murphy 2007, *Conjugate Bayesian analysis of the
  Gaussian distribution*; Bishop, *PRML* §2.3.6).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as npd
from jax import lax
from jax.scipy.special import digamma, polygamma

from jaxml.core import check_array, check_int, is_traced

__all__ = [
    "bernoulli",
    "binomial",
    "multinomial",
    "uniform",
    "gaussian",
    "mvn",
    "exponential",
    "gamma",
    "beta",
    "poisson",
    "dirichlet",
    "wishart",
    "DISTRIBUTIONS",
    "make",
    "sample",
    "log_prob",
    "mean",
    "variance",
    "marginal",
    "conditional",
    "bayes_rule",
    "is_independent",
    "lln_running_mean",
    "clt_standardized_means",
    "MLEResult",
    "standard_errors",
    "mle_bernoulli",
    "mle_binomial",
    "mle_multinomial",
    "mle_uniform",
    "mle_gaussian",
    "mle_mvn",
    "mle_exponential",
    "mle_gamma",
    "mle_beta",
    "mle_poisson",
    "mle_dirichlet",
    "map_newton",
    "BetaPosterior",
    "NormalPosterior",
    "NIGPosterior",
    "GammaPosterior",
    "DirichletPosterior",
    "NormalWishartPosterior",
    "beta_binomial_update",
    "beta_mode",
    "normal_normal_update",
    "normal_inverse_gamma_update",
    "gamma_poisson_update",
    "gamma_mode",
    "dirichlet_multinomial_update",
    "normal_wishart_update",
]


# ----------------------------------------------------------------------------- validation


def _param(
    x: Any,
    name: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    strict: bool = True,
    ndim: int | tuple[int, ...] | None = None,
) -> jax.Array:
    """A float parameter, checked to lie in its range when its value is known."""
    arr = check_array(x, name, ndim=ndim, dtype_kind="f")
    if is_traced(arr):
        return arr
    a = np.asarray(arr)
    if lower is not None and np.any(a <= lower if strict else a < lower):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {lower}, got {a}")
    if upper is not None and np.any(a >= upper if strict else a > upper):
        raise ValueError(f"{name} must be {'<' if strict else '<='} {upper}, got {a}")
    return arr


def _simplex(p: Any, name: str, *, ndim: int | tuple[int, ...] | None = None) -> jax.Array:
    arr = _param(p, name, lower=0.0, strict=False, ndim=ndim)
    if not is_traced(arr) and not np.allclose(np.sum(np.asarray(arr, np.float64)), 1.0, atol=1e-5):
        raise ValueError(f"{name} must sum to 1, got sum {float(np.sum(np.asarray(arr)))}")
    return arr


def _spd(S: Any, name: str) -> jax.Array:
    S = check_array(S, name, ndim=2, dtype_kind="f")
    if S.shape[0] != S.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {S.shape}")
    if not is_traced(S):
        a = np.asarray(S, np.float64)
        if not np.allclose(a, a.T, rtol=1e-4, atol=1e-6) or np.linalg.eigvalsh(a).min() <= 0:
            raise ValueError(f"{name} must be symmetric positive definite")
    return S


def _count(n: Any, name: str) -> int:
    return check_int(n, name, minimum=0)


# ----------------------------------------------------------------------------- M.pr.1


def bernoulli(p: Any) -> npd.Distribution:
    """``Bernoulli(p)``: ``P(1) = p``; mean ``p``, variance ``p(1−p)``."""
    return npd.Bernoulli(probs=_param(p, "p", lower=0.0, upper=1.0, strict=False))


def binomial(n: int, p: Any) -> npd.Distribution:
    """``Binomial(n, p)``: ``C(n,k) p^k (1−p)^{n−k}``; mean ``np``, variance ``np(1−p)``."""
    return npd.Binomial(_count(n, "n"), probs=_param(p, "p", lower=0.0, upper=1.0, strict=False))


def multinomial(n: int, probs: Any) -> npd.Distribution:
    """``Multinomial(n, π)``: ``n!/Π c_k! Π π_k^{c_k}``; mean ``nπ``, variance ``nπ(1−π)``."""
    return npd.Multinomial(_count(n, "n"), probs=_simplex(probs, "probs", ndim=1))


def uniform(low: Any, high: Any) -> npd.Distribution:
    """``Uniform(a, b)``: density ``1/(b−a)`` on ``[a, b]``; mean ``(a+b)/2``, var ``(b−a)²/12``."""
    low, high = _param(low, "low"), _param(high, "high")
    if not is_traced(low) and not is_traced(high) and np.any(np.asarray(high) <= np.asarray(low)):
        raise ValueError(f"high must be > low, got low={low}, high={high}")
    return npd.Uniform(low, high)


def gaussian(loc: Any, scale: Any) -> npd.Distribution:
    """``N(μ, σ²)`` with ``scale = σ``."""
    return npd.Normal(_param(loc, "loc"), _param(scale, "scale", lower=0.0))


def mvn(mean_: Any, cov: Any) -> npd.Distribution:
    """``N(μ, Σ)`` in ``d`` dimensions: ``(2π)^{-d/2}|Σ|^{-1/2} exp(−½(x−μ)ᵀΣ⁻¹(x−μ))``."""
    mean_ = check_array(mean_, "mean", ndim=1, dtype_kind="f")
    cov = _spd(cov, "cov")
    if cov.shape[0] != mean_.shape[0]:
        raise ValueError(f"cov must be ({mean_.shape[0]}, {mean_.shape[0]}), got {cov.shape}")
    return npd.MultivariateNormal(mean_, covariance_matrix=cov)


def exponential(rate: Any) -> npd.Distribution:
    """``Exp(λ)``: ``λ e^{−λx}``; mean ``1/λ``, variance ``1/λ²``."""
    return npd.Exponential(_param(rate, "rate", lower=0.0))


def gamma(concentration: Any, rate: Any) -> npd.Distribution:
    """``Gamma(α, β)`` (rate): ``β^α x^{α−1} e^{−βx}/Γ(α)``; mean ``α/β``, variance ``α/β²``."""
    return npd.Gamma(
        _param(concentration, "concentration", lower=0.0), _param(rate, "rate", lower=0.0)
    )


def beta(a: Any, b: Any) -> npd.Distribution:
    """``Beta(a, b)``: ``x^{a−1}(1−x)^{b−1}/B(a, b)``; mean ``a/(a+b)``."""
    return npd.Beta(_param(a, "a", lower=0.0), _param(b, "b", lower=0.0))


def poisson(rate: Any) -> npd.Distribution:
    """``Poisson(λ)``: ``λ^k e^{−λ}/k!``; mean and variance ``λ``."""
    return npd.Poisson(_param(rate, "rate", lower=0.0))


def dirichlet(alpha: Any) -> npd.Distribution:
    """``Dir(α)`` on the simplex: ``Γ(α₀)/ΠΓ(α_k) Π x_k^{α_k−1}``; mean ``α/α₀``."""
    alpha = _param(alpha, "alpha", lower=0.0, ndim=1)
    if alpha.shape[0] < 2:
        raise ValueError(f"alpha must have at least 2 entries, got shape {alpha.shape}")
    return npd.Dirichlet(alpha)


def wishart(df: Any, scale: Any) -> npd.Distribution:
    """``W_d(ν, S)`` over SPD matrices, ``ν > d − 1``; mean ``νS``, ``Var X_ij = ν(S_ij² + S_ii S_jj)``."""
    scale = _spd(scale, "scale")
    df = _param(df, "df", lower=scale.shape[0] - 1.0)
    return npd.Wishart(df, scale_matrix=scale)


DISTRIBUTIONS: dict[str, Callable[..., npd.Distribution]] = {
    "bernoulli": bernoulli,
    "binomial": binomial,
    "multinomial": multinomial,
    "uniform": uniform,
    "gaussian": gaussian,
    "mvn": mvn,
    "exponential": exponential,
    "gamma": gamma,
    "beta": beta,
    "poisson": poisson,
    "dirichlet": dirichlet,
    "wishart": wishart,
}


def make(name: str, *args: Any, **kwargs: Any) -> npd.Distribution:
    """Build a catalog distribution by name: ``make("gamma", 2.0, 3.0)``."""
    if name not in DISTRIBUTIONS:
        raise ValueError(f"name must be one of {tuple(DISTRIBUTIONS)}, got {name!r}")
    return DISTRIBUTIONS[name](*args, **kwargs)


def _dist(d: Any) -> npd.Distribution:
    if not isinstance(d, npd.Distribution):
        raise TypeError(f"dist must be a numpyro Distribution, got {type(d).__name__}")
    return d


def sample(key: jax.Array, dist: npd.Distribution, shape: tuple[int, ...] = ()) -> jax.Array:
    """``shape + batch_shape + event_shape`` draws from ``dist``."""
    dist = _dist(dist)
    with jax.numpy_rank_promotion("allow"):
        return dist.sample(key, tuple(shape))


def log_prob(dist: npd.Distribution, x: Any) -> jax.Array:
    """Log density (or mass) ``log p(x)``, one value per event."""
    dist = _dist(dist)
    with jax.numpy_rank_promotion("allow"):
        return dist.log_prob(jnp.asarray(x))


def mean(dist: npd.Distribution) -> jax.Array:
    """``E[X]`` (shape ``batch_shape + event_shape``)."""
    dist = _dist(dist)
    with jax.numpy_rank_promotion("allow"):
        return jnp.asarray(dist.mean)


def variance(dist: npd.Distribution) -> jax.Array:
    """Element-wise ``Var[X]`` (for MVN the diagonal of ``Σ``; for Wishart per entry)."""
    dist = _dist(dist)
    with jax.numpy_rank_promotion("allow"):
        return jnp.asarray(dist.variance)


# ----------------------------------------------------------------------------- M.pr.2


def _table(joint: Any, name: str = "joint") -> jax.Array:
    t = _simplex(joint, name)
    if t.ndim < 1:
        raise ValueError(f"{name} must have rank >= 1, got a scalar")
    return t


def _axes(axes: int | tuple[int, ...], ndim: int, name: str) -> tuple[int, ...]:
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    for a in axes:
        if not -ndim <= int(a) < ndim:
            raise ValueError(f"{name} has axis {a} out of range for a rank-{ndim} table")
    return tuple(sorted(int(a) % ndim for a in axes))


def marginal(joint: Any, keep: int | tuple[int, ...]) -> jax.Array:
    """``P(X_keep) = Σ_{others} P(X_1..X_N)``: sum out every axis not in ``keep``."""
    joint = _table(joint)
    keep = _axes(keep, joint.ndim, "keep")
    drop = tuple(a for a in range(joint.ndim) if a not in keep)
    return jnp.sum(joint, axis=drop)


def conditional(joint: Any, given: int | tuple[int, ...]) -> jax.Array:
    """``P(others | X_given) = P(X) / P(X_given)``, same shape as ``joint``.

    Summing the result over the non-``given`` axes gives 1 wherever ``P(X_given) > 0``;
    entries conditioned on a zero-probability event are NaN (undefined).
    """
    joint = _table(joint)
    given = _axes(given, joint.ndim, "given")
    drop = tuple(a for a in range(joint.ndim) if a not in given)
    if not drop:
        raise ValueError("given must leave at least one axis to condition")
    denom = jnp.sum(joint, axis=drop, keepdims=True)
    return jnp.where(denom > 0, joint / jnp.where(denom > 0, denom, 1.0), jnp.nan)


def bayes_rule(prior: Any, likelihood: Any) -> tuple[jax.Array, jax.Array]:
    """Posterior over hypotheses ``P(h|e) = P(e|h) P(h) / P(e)``.

    Args:
      prior: ``(k,)`` prior ``P(h)``.
      likelihood: ``(k,)`` likelihood ``P(e|h)`` of the observed evidence under each ``h``.

    Returns:
      ``(posterior (k,), evidence P(e))``.
    """
    prior = _simplex(prior, "prior", ndim=1)
    likelihood = _param(likelihood, "likelihood", lower=0.0, upper=1.0, strict=False, ndim=1)
    if likelihood.shape != prior.shape:
        raise ValueError(f"likelihood must have shape {prior.shape}, got {likelihood.shape}")
    joint = prior * likelihood
    evidence = jnp.sum(joint)
    return joint / evidence, evidence


def is_independent(joint: Any, *, atol: float = 1e-6) -> jax.Array:
    """Whether a 2-D table factorises: ``max |P(x,y) − P(x)P(y)| <= atol``."""
    joint = _simplex(joint, "joint", ndim=2)
    px, py = jnp.sum(joint, axis=1), jnp.sum(joint, axis=0)
    return jnp.max(jnp.abs(joint - jnp.outer(px, py))) <= atol


def _scalar_dist(dist: Any) -> npd.Distribution:
    dist = _dist(dist)
    if dist.event_shape != () or dist.batch_shape != ():
        raise ValueError(
            f"dist must be a scalar distribution, got batch_shape {dist.batch_shape} "
            f"and event_shape {dist.event_shape}"
        )
    return dist


def lln_running_mean(key: jax.Array, dist: npd.Distribution, n: int) -> jax.Array:
    """Law of large numbers: running means ``X̄_1, …, X̄_n`` of ``n`` i.i.d. draws ``(n,)``."""
    dist = _scalar_dist(dist)
    n = check_int(n, "n", minimum=1)
    x = sample(key, dist, (n,)).astype(jnp.result_type(float))
    return jnp.cumsum(x) / jnp.arange(1, n + 1, dtype=x.dtype)


def clt_standardized_means(
    key: jax.Array, dist: npd.Distribution, n: int, num_reps: int
) -> jax.Array:
    """Central limit theorem: ``num_reps`` values of ``√n (X̄_n − μ)/σ``, approx. ``N(0, 1)``."""
    dist = _scalar_dist(dist)
    n = check_int(n, "n", minimum=1)
    num_reps = check_int(num_reps, "num_reps", minimum=1)
    x = sample(key, dist, (num_reps, n)).astype(jnp.result_type(float))
    mu, sigma = mean(dist), jnp.sqrt(variance(dist))
    return jnp.sqrt(n) * (jnp.mean(x, axis=1) - mu) / sigma


# ----------------------------------------------------------------------------- M.pr.3


class MLEResult(NamedTuple):
    """``params``: estimates by name; ``fisher``: total Fisher information ``I_n(θ̂)``.

    The rows/columns of ``fisher`` follow the parameter order given in each ``mle_*``
    docstring (``None`` for the non-regular Uniform family).
    """

    params: dict[str, jax.Array]
    fisher: jax.Array | None


def standard_errors(result: MLEResult) -> jax.Array:
    """Asymptotic standard errors ``sqrt(diag(I_n(θ̂)⁻¹))`` (Cramér–Rao bound)."""
    if result.fisher is None:
        raise ValueError("result has no Fisher information (non-regular family)")
    return jnp.sqrt(jnp.diagonal(jnp.linalg.inv(result.fisher)))


def _sample_1d(x: Any, name: str = "x") -> jax.Array:
    return check_array(x, name, ndim=1, dtype_kind="f")


def mle_bernoulli(x: Any) -> MLEResult:
    """``p̂ = x̄``; Fisher (over ``p``) ``n / (p(1−p))``."""
    x = _sample_1d(x)
    n = x.shape[0]
    p = jnp.mean(x)
    return MLEResult({"p": p}, jnp.reshape(n / (p * (1 - p)), (1, 1)))


def mle_binomial(x: Any, n_trials: int) -> MLEResult:
    """Known ``n_trials``: ``p̂ = Σx / (n · n_trials)``; Fisher ``n · n_trials / (p(1−p))``."""
    x = _sample_1d(x)
    n_trials = check_int(n_trials, "n_trials", minimum=1)
    n = x.shape[0]
    p = jnp.sum(x) / (n * n_trials)
    return MLEResult({"p": p}, jnp.reshape(n * n_trials / (p * (1 - p)), (1, 1)))


def mle_multinomial(counts: Any) -> MLEResult:
    """``π̂ = Σ_i c_i / Σ_i n_i`` from ``(n, k)`` count vectors.

    Fisher over the free parameters ``(π_1, …, π_{k−1})`` (``π_k = 1 − Σ``):
    ``N (diag(1/π_{1:k−1}) + 11ᵀ/π_k)`` with ``N`` the total count.
    """
    counts = check_array(counts, "counts", ndim=2, dtype_kind="f")
    total = jnp.sum(counts)
    probs = jnp.sum(counts, axis=0) / total
    fisher = total * (jnp.diag(1.0 / probs[:-1]) + 1.0 / probs[-1])
    return MLEResult({"probs": probs}, fisher)


def mle_uniform(x: Any) -> MLEResult:
    """``â = min x``, ``b̂ = max x``. Non-regular: no Fisher information (``fisher=None``).

    ``E[b̂] = b − (b − a)/(n + 1)``: biased, but consistent at the fast rate ``1/n``.
    """
    x = _sample_1d(x)
    return MLEResult({"low": jnp.min(x), "high": jnp.max(x)}, None)


def mle_gaussian(x: Any) -> MLEResult:
    """``μ̂ = x̄``, ``σ̂² = (1/n) Σ (x − x̄)²`` (biased by ``(n−1)/n``).

    Fisher over ``(μ, σ²)``: ``n · diag(1/σ², 1/(2σ⁴))``.
    """
    x = _sample_1d(x)
    n = x.shape[0]
    mu = jnp.mean(x)
    var = jnp.mean((x - mu) ** 2)
    return MLEResult({"mu": mu, "sigma2": var}, n * jnp.diag(jnp.stack([1 / var, 0.5 / var**2])))


def mle_mvn(X: Any) -> MLEResult:
    """``μ̂ = x̄``, ``Σ̂ = (1/n) Σ (x − x̄)(x − x̄)ᵀ``; Fisher over ``μ``: ``n Σ̂⁻¹``."""
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    n = X.shape[0]
    mu = jnp.mean(X, axis=0)
    Xc = X - mu[None, :]
    cov = Xc.T @ Xc / n
    return MLEResult({"mean": mu, "cov": cov}, n * jnp.linalg.inv(cov))


def mle_exponential(x: Any) -> MLEResult:
    """``λ̂ = 1/x̄``; Fisher (over ``λ``) ``n/λ²``."""
    x = _sample_1d(x)
    rate = 1.0 / jnp.mean(x)
    return MLEResult({"rate": rate}, jnp.reshape(x.shape[0] / rate**2, (1, 1)))


def mle_poisson(x: Any) -> MLEResult:
    """``λ̂ = x̄``; Fisher (over ``λ``) ``n/λ``."""
    x = _sample_1d(x)
    rate = jnp.mean(x)
    return MLEResult({"rate": rate}, jnp.reshape(x.shape[0] / rate, (1, 1)))


def _trigamma(x: jax.Array) -> jax.Array:
    return polygamma(1, x)


def _positive_sample(x: Any, name: str = "x") -> jax.Array:
    x = _sample_1d(x, name)
    if not is_traced(x) and np.any(np.asarray(x) <= 0):
        raise ValueError(f"{name} must be > 0 for this family")
    return x


def mle_gamma(x: Any, *, num_iters: int = 30) -> MLEResult:
    """Shape by Newton's method on ``log α − ψ(α) = log x̄ − mean(log x)``; ``β̂ = α̂/x̄``.

    Starts from Minka's approximation ``α₀ = (3 − s + √((s−3)² + 24s)) / (12s)``.
    Fisher over ``(α, β)``: ``n [[ψ′(α), −1/β], [−1/β, α/β²]]``.
    """
    x = _positive_sample(x)
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    return _mle_gamma(x, num_iters)


@partial(jax.jit, static_argnames="num_iters")
def _mle_gamma(x: jax.Array, num_iters: int) -> MLEResult:
    xbar = jnp.mean(x)
    s = jnp.log(xbar) - jnp.mean(jnp.log(x))
    a0 = (3 - s + jnp.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)

    def newton(_, a):
        f = jnp.log(a) - digamma(a) - s
        fp = 1.0 / a - _trigamma(a)
        return jnp.maximum(a - f / fp, 0.5 * a)

    a = lax.fori_loop(0, num_iters, newton, a0)
    b = a / xbar
    n = x.shape[0]
    fisher = n * jnp.array([[_trigamma(a), -1.0 / b], [-1.0 / b, a / b**2]])
    return MLEResult({"concentration": a, "rate": b}, fisher)


def _dirichlet_fisher(alpha: jax.Array, n: int) -> jax.Array:
    k = alpha.shape[0]
    return n * (jnp.diag(_trigamma(alpha)) - _trigamma(jnp.sum(alpha)) * jnp.ones((k, k)))


@partial(jax.jit, static_argnames=("n", "num_iters"))
def _dirichlet_mle(mean_log: jax.Array, alpha0: jax.Array, n: int, num_iters: int) -> jax.Array:
    """Fisher scoring ``α ← α + I(α)⁻¹ ∇ℓ(α)`` (= Newton: the Hessian is data-free)."""

    def step(_, alpha):
        grad = n * (digamma(jnp.sum(alpha)) - digamma(alpha) + mean_log)
        delta = jnp.linalg.solve(_dirichlet_fisher(alpha, n), grad)
        new = alpha + delta
        return jnp.where(new > 0, new, 0.5 * alpha)

    return lax.fori_loop(0, num_iters, step, alpha0)


def mle_dirichlet(P: Any, *, num_iters: int = 50) -> MLEResult:
    """Dirichlet MLE from ``(n, k)`` points on the simplex by Fisher scoring.

    Gradient ``n (ψ(α₀) − ψ(α_k) + mean(log p_k))``; Fisher over ``α``:
    ``n (diag ψ′(α) − ψ′(α₀) 11ᵀ)``; starts from the method of moments.
    """
    P = check_array(P, "P", ndim=2, dtype_kind="f")
    if not is_traced(P) and np.any(np.asarray(P) <= 0):
        raise ValueError("P must have entries > 0 (points inside the simplex)")
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    n = P.shape[0]
    m = jnp.mean(P, axis=0)
    v = jnp.var(P[:, 0])
    alpha0 = m * jnp.maximum(m[0] * (1 - m[0]) / v - 1.0, 1e-2)
    alpha = _dirichlet_mle(jnp.mean(jnp.log(P), axis=0), alpha0, n, num_iters)
    return MLEResult({"alpha": alpha}, _dirichlet_fisher(alpha, n))


def mle_beta(x: Any, *, num_iters: int = 50) -> MLEResult:
    """Beta MLE as the two-category Dirichlet MLE on ``(x, 1 − x)``.

    Fisher over ``(a, b)``: ``n [[ψ′(a) − ψ′(a+b), −ψ′(a+b)], [−ψ′(a+b), ψ′(b) − ψ′(a+b)]]``.
    """
    x = _positive_sample(x)
    if not is_traced(x) and np.any(np.asarray(x) >= 1):
        raise ValueError("x must lie strictly inside (0, 1)")
    res = mle_dirichlet(jnp.stack([x, 1 - x], axis=1), num_iters=num_iters)
    a, b = res.params["alpha"][0], res.params["alpha"][1]
    return MLEResult({"a": a, "b": b}, res.fisher)


# ----------------------------------------------------------------------------- M.pr.4


def map_newton(log_joint: Callable, theta0: Any, *, num_iters: int = 50) -> jax.Array:
    """MAP estimate ``argmax_θ log p(x|θ) + log p(θ)`` by Newton's method.

    ``θ ← θ − H⁻¹ g`` with ``g, H`` the gradient and Hessian of ``log_joint`` (a function of
    a 1-D parameter vector). Assumes ``log_joint`` is concave near the start.
    """
    if not callable(log_joint):
        raise TypeError(f"log_joint must be callable, got {type(log_joint).__name__}")
    theta0 = check_array(theta0, "theta0", ndim=1, dtype_kind="f")
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    grad, hess = jax.grad(log_joint), jax.hessian(log_joint)

    def step(_, theta):
        return theta - jnp.linalg.solve(hess(theta), grad(theta))

    return lax.fori_loop(0, num_iters, step, theta0)


class BetaPosterior(NamedTuple):
    a: jax.Array
    b: jax.Array


class NormalPosterior(NamedTuple):
    mean: jax.Array
    var: jax.Array


class NIGPosterior(NamedTuple):
    """``μ | σ² ~ N(mu, σ²/kappa)``, ``σ² ~ InvGamma(alpha, beta)``."""

    mu: jax.Array
    kappa: jax.Array
    alpha: jax.Array
    beta: jax.Array


class GammaPosterior(NamedTuple):
    """``Gamma(alpha, rate=beta)``."""

    alpha: jax.Array
    beta: jax.Array


class DirichletPosterior(NamedTuple):
    alpha: jax.Array


class NormalWishartPosterior(NamedTuple):
    """``Λ ~ Wishart(nu, W)``, ``μ | Λ ~ N(mu, (kappa Λ)⁻¹)``."""

    mu: jax.Array
    kappa: jax.Array
    nu: jax.Array
    W: jax.Array


def beta_binomial_update(a: Any, b: Any, successes: Any, trials: Any) -> BetaPosterior:
    """``Beta(a, b)`` prior, ``k_i ~ Binomial(n_i, p)``: ``Beta(a + Σk, b + Σ(n − k))``."""
    a, b = _param(a, "a", lower=0.0), _param(b, "b", lower=0.0)
    k = check_array(successes, "successes", ndim=(0, 1), dtype_kind="f")
    n = check_array(trials, "trials", ndim=(0, 1), dtype_kind="f")
    if k.shape != n.shape:
        raise ValueError(f"successes and trials must have the same shape, got {k.shape}, {n.shape}")
    if not is_traced(k) and not is_traced(n) and np.any((np.asarray(k) < 0) | (k > n)):
        raise ValueError("successes must lie in [0, trials]")
    return BetaPosterior(a + jnp.sum(k), b + jnp.sum(n - k))


def beta_mode(post: BetaPosterior) -> jax.Array:
    """MAP of ``p``: the Beta mode ``(a − 1)/(a + b − 2)`` (for ``a, b > 1``)."""
    return (post.a - 1) / (post.a + post.b - 2)


def normal_normal_update(mu0: Any, tau2: Any, x: Any, sigma2: Any) -> NormalPosterior:
    """``μ ~ N(μ₀, τ₀²)``, ``x_i ~ N(μ, σ²)`` with known ``σ²``: precisions add.

    The posterior is Gaussian, so its mean is also the MAP estimate.
    """
    mu0 = _param(mu0, "mu0")
    tau2 = _param(tau2, "tau2", lower=0.0)
    sigma2 = _param(sigma2, "sigma2", lower=0.0)
    x = _sample_1d(x)
    precision = 1.0 / tau2 + x.shape[0] / sigma2
    var = 1.0 / precision
    return NormalPosterior(var * (mu0 / tau2 + jnp.sum(x) / sigma2), var)


def normal_inverse_gamma_update(
    mu0: Any, kappa0: Any, alpha0: Any, beta0: Any, x: Any
) -> NIGPosterior:
    """Normal–Inverse-Gamma prior on ``(μ, σ²)`` of a Gaussian; see the module docstring."""
    mu0 = _param(mu0, "mu0")
    kappa0 = _param(kappa0, "kappa0", lower=0.0)
    alpha0 = _param(alpha0, "alpha0", lower=0.0)
    beta0 = _param(beta0, "beta0", lower=0.0)
    x = _sample_1d(x)
    n = x.shape[0]
    xbar = jnp.mean(x)
    kappa = kappa0 + n
    mu = (kappa0 * mu0 + n * xbar) / kappa
    ss = jnp.sum((x - xbar) ** 2)
    beta_n = beta0 + 0.5 * ss + kappa0 * n * (xbar - mu0) ** 2 / (2 * kappa)
    return NIGPosterior(mu, kappa, alpha0 + n / 2, beta_n)


def gamma_poisson_update(alpha: Any, beta_: Any, x: Any) -> GammaPosterior:
    """``λ ~ Gamma(α, rate β)``, ``x_i ~ Poisson(λ)``: ``Gamma(α + Σx, β + n)``."""
    alpha = _param(alpha, "alpha", lower=0.0)
    beta_ = _param(beta_, "beta", lower=0.0)
    x = _sample_1d(x)
    if not is_traced(x) and np.any(np.asarray(x) < 0):
        raise ValueError("x must be non-negative counts")
    return GammaPosterior(alpha + jnp.sum(x), beta_ + x.shape[0])


def gamma_mode(post: GammaPosterior) -> jax.Array:
    """MAP of ``λ``: the Gamma mode ``(α − 1)/β`` (for ``α >= 1``)."""
    return (post.alpha - 1) / post.beta


def dirichlet_multinomial_update(alpha: Any, counts: Any) -> DirichletPosterior:
    """``π ~ Dir(α)``, counts ``(k,)`` or ``(n, k)`` multinomial: ``Dir(α + Σ counts)``."""
    alpha = _param(alpha, "alpha", lower=0.0, ndim=1)
    counts = check_array(counts, "counts", ndim=(1, 2), dtype_kind="f")
    if counts.shape[-1] != alpha.shape[0]:
        raise ValueError(f"counts must have {alpha.shape[0]} categories, got shape {counts.shape}")
    total = counts if counts.ndim == 1 else jnp.sum(counts, axis=0)
    return DirichletPosterior(alpha + total)


def normal_wishart_update(
    mu0: Any, kappa0: Any, nu0: Any, W0: Any, X: Any
) -> NormalWishartPosterior:
    """Normal–Wishart prior on the mean and precision of a ``d``-dim Gaussian.

    Prior ``Λ ~ W(ν₀, W₀)``, ``μ | Λ ~ N(μ₀, (κ₀Λ)⁻¹)``; posterior in the module docstring.
    Posterior means: ``E[μ] = μ_n``, ``E[Λ] = ν_n W_n``.
    """
    mu0 = check_array(mu0, "mu0", ndim=1, dtype_kind="f")
    W0 = _spd(W0, "W0")
    d = mu0.shape[0]
    if W0.shape != (d, d):
        raise ValueError(f"W0 must have shape ({d}, {d}), got {W0.shape}")
    kappa0 = _param(kappa0, "kappa0", lower=0.0)
    nu0 = _param(nu0, "nu0", lower=d - 1.0)
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    if X.shape[1] != d:
        raise ValueError(f"X must have {d} columns, got shape {X.shape}")
    n = X.shape[0]
    xbar = jnp.mean(X, axis=0)
    Xc = X - xbar[None, :]
    S = Xc.T @ Xc
    kappa = kappa0 + n
    diff = xbar - mu0
    W_inv = jnp.linalg.inv(W0) + S + (kappa0 * n / kappa) * jnp.outer(diff, diff)
    W = jnp.linalg.inv(W_inv)
    return NormalWishartPosterior((kappa0 * mu0 + n * xbar) / kappa, kappa, nu0 + n, 0.5 * (W + W.T))
