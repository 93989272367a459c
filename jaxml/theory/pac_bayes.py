r"""Non-vacuous PAC-Bayes bounds for stochastic neural networks (Dziugaite & Roy 2017).

**Binary kl and its inversion.** For q, p ∈ [0, 1] the KL divergence between Bernoulli(q)
and Bernoulli(p) is

    kl(q‖p) = q ln(q/p) + (1 − q) ln((1 − q)/(1 − p)),   0 ln 0 = 0,

convex in p, zero at p = q and increasing on [q, 1]. Its upper inversion is

    kl⁻¹(q, c) = sup{p ∈ [q, 1] : kl(q‖p) ≤ c},   c ≥ 0,

so kl⁻¹(q, 0) = q, kl⁻¹(1, c) = 1, and kl⁻¹(0, c) = 1 − e^{−c} (kl(0‖p) = −ln(1 − p)).
:func:`kl_inverse` finds it by bisection on [q, 1] (a fixed number of halvings, so it is
jittable and differentiable nowhere it matters); it returns the upper end of the final
bracket, so the value never falls below the true inverse by more than rounding.

**PAC-Bayes-kl bound (Langford & Seeger 2001; Maurer 2004).** For a prior P chosen
before seeing the m i.i.d. training examples, with probability ≥ 1 − δ, simultaneously
for every posterior Q over classifiers,

    kl(ê(Q) ‖ e(Q)) ≤ (KL(Q‖P) + ln(2√m/δ)) / m =: B_RE(Q),

where ê(Q) and e(Q) are the empirical and true 0-1 errors of the Gibbs (stochastic)
classifier. Hence e(Q) ≤ kl⁻¹(ê(Q), B_RE(Q)) (:func:`pac_bayes_kl_bound`), and by
Pinsker's inequality kl(q‖p) ≥ 2(p − q)², e(Q) ≤ ê(Q) + √(B_RE(Q)/2)
(:func:`pac_bayes_sqrt_bound`), the smooth form that is optimised.

**Union bound over prior variances (Dziugaite & Roy 2017, §3).** The prior is
P_λ = N(w₀, λI) with w₀ the random initialisation. To tune λ on the data, take the grid
λ_j = c·exp(−j/b), j = 1, 2, …, and spend δ_j = 6δ/(π²j²) (Σ_j δ_j = δ) on prior P_{λ_j}.
The bound for λ_j then carries the extra cost

    ln(δ/δ_j) = 2 ln j + ln(π²/6),   j = b ln(c/λ)   (:func:`union_bound_cost`),

which during optimisation is evaluated at the continuous j of the current λ; the final
bound rounds j to the better of ⌊j⌋ and ⌈j⌉ (:func:`final_bound`).

**Stochastic network and objective.** Q = N(w, diag s²) over every weight of an MLP. With
KL(Q‖P_λ) = Σ_i [ln(√λ/s_i) + (s_i² + (w_i − w₀ᵢ)²)/(2λ) − ½] (closed form,
:func:`jaxml.bayes.vi.kl_diag_gaussians`), Dziugaite & Roy minimise over (w, log s, log λ)

    ℓ̂(Q) + √( (KL(Q‖P_λ) + 2 ln(b ln(c/λ)) + ln(π²/6) + ln(2√m/δ)) / (2m) ),

where the 0-1 error is replaced by the logistic surrogate ℓ(y, f) = ln(1 + e^{−y f}) / ln 2
(an upper bound on 1[y f ≤ 0] for y ∈ {±1}) and the expectation over Q by one
reparameterised sample w + s ⊙ ε, ε ~ N(0, I), per step (:func:`pac_bayes_objective`).

**Monte-Carlo correction (Langford & Caruana 2001).** ê(Q) is an expectation over Q; it is
estimated by ê_n, the mean training error of n networks drawn from Q. Each draw's error
is in [0, 1] and the draws are independent, so with probability ≥ 1 − δ′,
ê(Q) ≤ kl⁻¹(ê_n, ln(2/δ′)/n) (:func:`mc_error_upper`). The final bound,

    e(Q) ≤ kl⁻¹( kl⁻¹(ê_n, ln(2/δ′)/n), B_RE(Q; λ_j) ),

holds with probability ≥ 1 − δ − δ′.

**Data-dependent priors (Pérez-Ortiz et al. 2021, "Tighter risk certificates for neural
networks", JMLR).** Split the training set S = S_prior ⊔ S_bound. The bound above needs only
that P be fixed before the examples *in its empirical term* are seen, so the prior mean may
be w_P = an SGD solution trained on S_prior, P_λ = N(w_P, λI) (the same λ grid and union
bound), provided ê(Q), ê_n and m all refer to S_bound alone: with probability ≥ 1 − δ − δ′
over S_bound (conditionally on S_prior), for every Q,

    e(Q) ≤ kl⁻¹( kl⁻¹(ê_n(S_bound), ln(2/δ′)/n), (KL(Q‖P_{λ_j}) + 2 ln j + ln(π²/6)
                 + ln(2√m_b/δ)) / m_b ),   m_b = |S_bound|.

The posterior Q may depend on all of S (the bound holds for all Q simultaneously), so its
optimisation may use S_prior too. What breaks validity is a prior that has seen any example
of S_bound; :func:`data_dependent_bound` therefore takes the two index sets, refuses
overlapping ones and sets m = |S_bound| itself. With w_P = w₀ (no data) it is exactly
:func:`final_bound` with m = |S_bound|.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jax.scipy.special import xlogy

from jaxml.bayes.vi import kl_diag_gaussians
from jaxml.core import check_array, check_int, check_positive, check_range, is_traced

__all__ = ["binary_kl", "kl_inverse", "kl_bound_rhs", "pac_bayes_kl_bound",
           "pac_bayes_sqrt_bound", "grid_index", "grid_log_var", "union_bound_cost",
           "mc_error_upper", "StochasticNet", "init_stochastic_net", "posterior_kl",
           "sample_params", "logistic_surrogate", "zero_one_error", "pac_bayes_objective",
           "mc_train_error", "final_bound", "PriorSplit", "prior_split",
           "data_dependent_bound"]

LN_PI2_6 = math.log(math.pi ** 2 / 6)


def _probabilities(x: Any, name: str) -> jax.Array:
    x = check_array(x, name, dtype_kind="f")
    if not is_traced(x) and not bool(jnp.all((x >= 0) & (x <= 1))):
        raise ValueError(f"{name} must lie in [0, 1]")
    return x


def _non_negative(x: Any, name: str) -> jax.Array:
    x = check_array(x, name, dtype_kind="f")
    if not is_traced(x) and not bool(jnp.all(x >= 0)):
        raise ValueError(f"{name} must be >= 0")
    return x


def _check_delta(delta: Any, name: str = "delta") -> float:
    check_range(delta, name, low=0.0, high=1.0, low_open=True, high_open=True,
                expected="a probability in (0, 1)")
    return delta


def binary_kl(q: Any, p: Any) -> jax.Array:
    """kl(q‖p) between Bernoulli(q) and Bernoulli(p), elementwise; +inf where p ∈ {0, 1}
    and q ≠ p."""
    return _kl(_probabilities(q, "q"), _probabilities(p, "p"))


def _kl(q, p):
    return xlogy(q, q) - xlogy(q, p) + xlogy(1 - q, 1 - q) - xlogy(1 - q, 1 - p)


def _kl_inverse(q, c, iters: int):
    def halve(_, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        inside = _kl(q, mid) <= c
        return jnp.where(inside, mid, lo), jnp.where(inside, hi, mid)

    q, c = jnp.broadcast_arrays(q, c)
    _, hi = jax.lax.fori_loop(0, iters, halve, (q, jnp.ones_like(q)))
    return jnp.where(c <= 0, q, jnp.where(q >= 1, 1.0, hi))


def kl_inverse(q: Any, c: Any, *, iters: int = 64) -> jax.Array:
    """kl⁻¹(q, c) = sup{p ∈ [q, 1] : kl(q‖p) ≤ c} by ``iters`` bisection steps
    (elementwise; broadcasts ``q`` against ``c``). The upper end of the bracket is
    returned, so rounding errs on the side of a larger (still valid) bound."""
    q = _probabilities(q, "q")
    c = _non_negative(c, "c")
    check_int(iters, "iters", minimum=1)
    return _kl_inverse(q, c.astype(q.dtype), iters)


def kl_bound_rhs(kl: Any, m: int, delta: float) -> jax.Array:
    """B_RE = (KL(Q‖P) + ln(2√m/δ)) / m, the right side of the PAC-Bayes-kl bound."""
    kl = _non_negative(kl, "kl")
    check_int(m, "m", minimum=1)
    _check_delta(delta)
    return (kl + jnp.log(2 * jnp.sqrt(float(m)) / delta)) / m


def pac_bayes_kl_bound(emp_err: Any, kl: Any, m: int, delta: float) -> jax.Array:
    """e(Q) ≤ kl⁻¹(ê(Q), (KL(Q‖P) + ln(2√m/δ))/m) with probability ≥ 1 − δ."""
    emp_err = _probabilities(emp_err, "emp_err")
    return kl_inverse(emp_err, kl_bound_rhs(kl, m, delta))


def pac_bayes_sqrt_bound(emp_err: Any, kl: Any, m: int, delta: float) -> jax.Array:
    """The Pinsker relaxation ê(Q) + √(B_RE/2) ≥ :func:`pac_bayes_kl_bound` (smooth)."""
    emp_err = _probabilities(emp_err, "emp_err")
    return emp_err + jnp.sqrt(kl_bound_rhs(kl, m, delta) / 2)


def _check_grid(c: float, b: float) -> None:
    check_positive(c, "c")
    check_positive(b, "b")


def grid_index(log_var: Any, *, c: float, b: float) -> jax.Array:
    """j = b ln(c/λ) for λ = exp(log_var): the (continuous) position of λ on the grid
    λ_j = c·exp(−j/b)."""
    _check_grid(c, b)
    return b * (math.log(c) - jnp.asarray(log_var))


def grid_log_var(j: Any, *, c: float, b: float) -> jax.Array:
    """ln λ_j = ln c − j/b."""
    _check_grid(c, b)
    return math.log(c) - jnp.asarray(j) / b


def union_bound_cost(log_var: Any, *, c: float, b: float) -> jax.Array:
    """ln(δ/δ_j) = 2 ln(b ln(c/λ)) + ln(π²/6), the price of choosing λ from the grid
    (δ_j = 6δ/(π²j²)); j is clipped to ≥ 1 (λ ≤ c·e^{−1/b}, the first grid point)."""
    j = jnp.maximum(grid_index(log_var, c=c, b=b), 1.0)
    return 2 * jnp.log(j) + LN_PI2_6


def mc_error_upper(err_n: Any, n: int, delta_prime: float) -> jax.Array:
    """kl⁻¹(ê_n, ln(2/δ′)/n): with probability ≥ 1 − δ′ an upper bound on the Gibbs
    error ê(Q) from the mean error ê_n of n independent draws from Q."""
    err_n = _probabilities(err_n, "err_n")
    check_int(n, "n", minimum=1)
    _check_delta(delta_prime, "delta_prime")
    return kl_inverse(err_n, jnp.asarray(math.log(2 / delta_prime) / n, err_n.dtype))


# ---------------------------------------------------------------------------------------
# The stochastic network
# ---------------------------------------------------------------------------------------


class StochasticNet(NamedTuple):
    """Posterior N(mean, diag exp(log_std)²) over every weight, and the prior's log
    variance ln λ (the prior is N(w₀, λI))."""

    mean: Any
    log_std: Any
    log_prior_var: jax.Array


def init_stochastic_net(params: Any, *, log_std: float | None = None,
                        log_prior_var: float) -> StochasticNet:
    """Posterior centred at ``params``; s = |w| elementwise (Dziugaite & Roy's start) when
    ``log_std`` is None, else every s = e^{log_std}."""
    if log_std is None:
        stds = jax.tree.map(lambda w: jnp.log(jnp.maximum(jnp.abs(w), 1e-8)), params)
    else:
        stds = jax.tree.map(lambda w: jnp.full_like(w, log_std), params)
    return StochasticNet(params, stds, jnp.asarray(log_prior_var, jnp.float32))


def posterior_kl(net: StochasticNet, prior_mean: Any, log_prior_var: Any = None) -> jax.Array:
    """KL(N(w, diag s²) ‖ N(w₀, λI)) summed over all weights; λ = exp(log_prior_var),
    by default the net's own."""
    log_var = net.log_prior_var if log_prior_var is None else jnp.asarray(log_prior_var)
    mu_q, _ = ravel_pytree(net.mean)
    log_s, _ = ravel_pytree(net.log_std)
    mu_p, _ = ravel_pytree(prior_mean)
    if mu_p.shape != mu_q.shape:
        raise ValueError(f"prior_mean has {mu_p.size} weights, the posterior {mu_q.size}")
    sigma_p = jnp.full_like(mu_q, 1.0) * jnp.exp(0.5 * log_var)
    return kl_diag_gaussians(mu_q, jnp.exp(log_s), mu_p, sigma_p)


def sample_params(key: jax.Array, net: StochasticNet) -> Any:
    """One draw w + s ⊙ ε, ε ~ N(0, I) (reparameterised: differentiable in w and s)."""
    mean, unravel = ravel_pytree(net.mean)
    log_s, _ = ravel_pytree(net.log_std)
    return unravel(mean + jnp.exp(log_s) * jax.random.normal(key, mean.shape, mean.dtype))


def _margin(logits: jax.Array) -> jax.Array:
    """f = z₁ − z₀ for two logits (class 1 predicted iff f > 0), or the single logit."""
    return logits[..., 1] - logits[..., 0] if logits.shape[-1] == 2 else logits[..., 0]


def logistic_surrogate(logits: jax.Array, y: jax.Array) -> jax.Array:
    """Mean ln(1 + e^{−y f})/ln 2 with y ∈ {±1} from labels in {0, 1}: an upper bound on
    the 0-1 error of sign(f)."""
    signed = (2 * y - 1) * _margin(logits)
    return jnp.mean(jax.nn.softplus(-signed)) / math.log(2)


def zero_one_error(logits: jax.Array, y: jax.Array) -> jax.Array:
    """Mean 1[prediction ≠ y] for labels in {0, 1} (ties f = 0 count as errors)."""
    return jnp.mean((2 * y - 1) * _margin(logits) <= 0)


def pac_bayes_objective(key: jax.Array, net: StochasticNet, prior_mean: Any,
                        apply_fn: Callable, x: jax.Array, y: jax.Array, *, m: int,
                        delta: float, c: float, b: float) -> jax.Array:
    """ℓ̂(w + s⊙ε) + √((KL(Q‖P_λ) + 2 ln(b ln(c/λ)) + ln(π²/6) + ln(2√m/δ)) / (2m)):
    the logistic surrogate on the batch (x, y) at one posterior draw plus the smooth
    PAC-Bayes penalty (λ clipped to the first grid point)."""
    logits = apply_fn({"params": sample_params(key, net)}, x)
    log_var = jnp.minimum(net.log_prior_var, math.log(c) - 1.0 / b)
    kl = posterior_kl(net, prior_mean, log_var) + union_bound_cost(log_var, c=c, b=b)
    rhs = (kl + math.log(2 * math.sqrt(m) / delta)) / m
    return logistic_surrogate(logits, y) + jnp.sqrt(rhs / 2)


def mc_train_error(key: jax.Array, net: StochasticNet, apply_fn: Callable, x: jax.Array,
                   y: jax.Array, n: int, *, chunk: int = 1) -> jax.Array:
    """ê_n: the mean over ``n`` posterior draws of each draw's 0-1 error on (x, y), the
    draws taken ``chunk`` at a time under ``vmap`` (``n`` a multiple of ``chunk``)."""
    check_int(n, "n", minimum=1)
    check_int(chunk, "chunk", minimum=1)
    if n % chunk:
        raise ValueError(f"n ({n}) must be a multiple of chunk ({chunk})")

    def one(k):
        return zero_one_error(apply_fn({"params": sample_params(k, net)}, x), y)

    keys = jax.random.split(key, n)
    keys = keys.reshape(n // chunk, chunk, *keys.shape[1:])
    errs = jax.lax.map(jax.vmap(one), keys)
    return jnp.mean(errs)


def final_bound(err_n: Any, n: int, net: StochasticNet, prior_mean: Any, *, m: int,
                delta: float, delta_prime: float, c: float, b: float) -> dict[str, jax.Array]:
    """The bound that holds with probability ≥ 1 − δ − δ′: λ rounded to the better of the
    neighbouring grid points j = ⌊b ln(c/λ)⌋, ⌈b ln(c/λ)⌉ (j ≥ 1), then
    kl⁻¹(kl⁻¹(ê_n, ln(2/δ′)/n), (KL(Q‖P_{λ_j}) + 2 ln j + ln(π²/6) + ln(2√m/δ))/m).

    Returns ``bound``, ``err_upper`` (the MC-corrected ê), ``kl`` (at λ_j), ``j``."""
    check_int(m, "m", minimum=1)
    _check_delta(delta)
    err_upper = mc_error_upper(err_n, n, delta_prime)
    j0 = jnp.maximum(jnp.floor(grid_index(net.log_prior_var, c=c, b=b)), 1.0)
    js = jnp.stack([j0, j0 + 1])
    kls = jax.vmap(lambda j: posterior_kl(net, prior_mean, grid_log_var(j, c=c, b=b)))(js)
    cost = 2 * jnp.log(js) + LN_PI2_6
    rhs = (kls + cost + math.log(2 * math.sqrt(m) / delta)) / m
    bounds = _kl_inverse(err_upper, rhs, 64)
    best = jnp.argmin(bounds)
    return {"bound": bounds[best], "err_upper": err_upper, "kl": kls[best], "j": js[best]}


class PriorSplit(NamedTuple):
    """Disjoint index sets of the training set: ``prior`` trains the prior mean w_P,
    ``bound`` is the only data the bound's empirical term may use (m = len(bound))."""

    prior: np.ndarray
    bound: np.ndarray


def prior_split(num_examples: int, prior_fraction: float, *, seed: int = 0) -> PriorSplit:
    """A random split of ``range(num_examples)`` into ⌊prior_fraction·num_examples⌋ prior
    indices and the rest (both sorted, both non-empty)."""
    check_int(num_examples, "num_examples", minimum=2)
    check_range(prior_fraction, "prior_fraction", low=0.0, high=1.0, low_open=True,
                high_open=True, expected="a fraction in (0, 1)")
    n_prior = int(prior_fraction * num_examples)
    if not 0 < n_prior < num_examples:
        raise ValueError(f"prior_fraction {prior_fraction} leaves an empty part of "
                         f"num_examples={num_examples}")
    perm = np.random.default_rng(seed).permutation(num_examples)
    return PriorSplit(np.sort(perm[:n_prior]), np.sort(perm[n_prior:]))


def data_dependent_bound(err_n: Any, n: int, net: StochasticNet, prior_mean: Any,
                         split: PriorSplit, *, delta: float, delta_prime: float, c: float,
                         b: float) -> dict[str, jax.Array]:
    """:func:`final_bound` for a prior mean trained on ``split.prior`` only: ``err_n`` must
    be the mean error of ``n`` posterior draws on the examples ``split.bound``, and
    m = len(split.bound). Raises ValueError when the index sets overlap (a prior that has
    seen part of S_bound voids the bound)."""
    if not isinstance(split, PriorSplit):
        raise TypeError(f"split must be a PriorSplit, got {type(split).__name__}")
    prior_idx, bound_idx = np.asarray(split.prior), np.asarray(split.bound)
    shared = np.intersect1d(prior_idx, bound_idx)
    if shared.size:
        raise ValueError(f"split.prior and split.bound share {shared.size} examples: the "
                         "prior may depend only on data outside the bound's empirical term")
    if len(np.unique(bound_idx)) != len(bound_idx) or not len(bound_idx):
        raise ValueError("split.bound must be non-empty and free of repeats")
    return final_bound(err_n, n, net, prior_mean, m=len(bound_idx), delta=delta,
                       delta_prime=delta_prime, c=c, b=b)
