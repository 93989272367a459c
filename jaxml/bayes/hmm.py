"""Hidden Markov models: forward–backward, Viterbi, Baum–Welch, sampling, a NumPyro model.

A HMM with K hidden states has initial probabilities :math:`\\pi_k = p(z_0 = k)`, a
transition matrix :math:`A_{ij} = p(z_{t+1} = j \\mid z_t = i)` and emissions
:math:`p(x_t \\mid z_t = k)`: categorical (:class:`CategoricalHMM`, ``B_{km}``) or Gaussian
with diagonal covariance (:class:`GaussianHMM`). Everything runs in log space on the
per-step emission log-likelihoods :math:`\\ell_t(k) = \\log p(x_t \\mid z_t = k)`
(Rabiner 1989; Murphy, *MLPP* §17.4):

* forward, scaled per step (Rabiner §V.A): :math:`\\tilde\\alpha_t(j) = \\ell_t(j) +
  \\operatorname{LSE}_i(\\log\\hat\\alpha_{t-1}(i) + \\log A_{ij})`,
  :math:`\\log c_t = \\operatorname{LSE}_j \\tilde\\alpha_t(j)`,
  :math:`\\log\\hat\\alpha_t = \\tilde\\alpha_t - \\log c_t = \\log p(z_t \\mid x_{0:t})`,
  and :math:`\\log p(x_{0:T-1}) = \\sum_t \\log c_t`;
* backward with the same normalisers: :math:`\\log\\hat\\beta_t(i) =
  \\operatorname{LSE}_j(\\log A_{ij} + \\ell_{t+1}(j) + \\log\\hat\\beta_{t+1}(j)) - \\log c_{t+1}`;
* smoothed marginals :math:`\\gamma_t \\propto \\hat\\alpha_t\\hat\\beta_t` and pairwise
  marginals :math:`\\xi_t(i,j) \\propto \\hat\\alpha_t(i) A_{ij} p(x_{t+1}|j)
  \\hat\\beta_{t+1}(j)`, each normalised at its own time step; the expected transition
  counts are :math:`\\sum_t \\xi_t`. Every message is O(1) in log space, so the float32
  error does not grow with T (subtracting the total :math:`\\log p(x)` from unscaled
  messages loses about :math:`T\\epsilon` of relative accuracy: posterior rows summed to
  0.974 at T = 3000);
* Viterbi: max-product in log space, :func:`jaxml.math.algorithms.max_product_chain` on
  the unary scores :math:`\\ell_t` (plus :math:`\\log\\pi` at t = 0) and pairwise
  :math:`\\log A`;
* Baum–Welch: EM (:func:`jaxml.bayes.em.em`) with those expected counts; the
  log-likelihood never decreases;
* :func:`numpyro_model`: the same HMM as a NumPyro model with Dirichlet/Normal priors on
  the parameters and the discrete states summed out by the forward algorithm inside the
  model (``numpyro.factor``), so NUTS can sample the parameters. (NumPyro's own
  enumeration machinery needs ``funsor``, which this project does not install; the scan
  is the same marginalisation written by hand.)

Sequences are ``(T,)`` (categorical) or ``(T, D)`` (Gaussian); Baum–Welch also takes a
batch of equal-length sequences ``(N, T[, D])``. The public entry points check that the
parameters are probabilities: ``initial_probs`` a probability vector, the rows of
``transition_matrix`` and ``emission_probs`` probability vectors, Gaussian variances
positive (value checks, see :mod:`jaxml.core.validation`).
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from jaxml.bayes.em import EMResult, em
from jaxml.core import (
    as_key,
    check_array,
    check_int,
    check_option,
    check_probability_vector,
    check_stochastic_matrix,
    is_traced,
    pytree_dataclass,
)
from jaxml.math.algorithms import max_product_chain

__all__ = [
    "CategoricalHMM",
    "GaussianHMM",
    "Posterior",
    "emission_log_likelihoods",
    "forward",
    "backward",
    "forward_backward",
    "log_likelihood",
    "viterbi",
    "sample",
    "baum_welch",
    "numpyro_model",
]


@pytree_dataclass
class CategoricalHMM:
    """``initial_probs (K,)``, ``transition_matrix (K, K)``, ``emission_probs (K, M)``."""

    initial_probs: jax.Array
    transition_matrix: jax.Array
    emission_probs: jax.Array


@pytree_dataclass
class GaussianHMM:
    """Diagonal-Gaussian emissions: ``means (K, D)``, ``variances (K, D)``."""

    initial_probs: jax.Array
    transition_matrix: jax.Array
    means: jax.Array
    variances: jax.Array


class Posterior(NamedTuple):
    """Output of :func:`forward_backward` for one sequence.

    Attributes:
      log_likelihood: ``log p(x_{0:T-1})``.
      smoothed: ``γ (T, K)``, ``p(z_t | x)``.
      expected_transitions: ``(K, K)``, ``Σ_t p(z_t=i, z_{t+1}=j | x)``.
      log_alpha: ``(T, K)`` scaled forward messages ``log p(z_t | x_{0:t})``.
      log_beta: ``(T, K)`` scaled backward messages ``log β̂_t``.
    """

    log_likelihood: jax.Array
    smoothed: jax.Array
    expected_transitions: jax.Array
    log_alpha: jax.Array
    log_beta: jax.Array


def _check_params(params: Any, name: str = "params") -> None:
    if not isinstance(params, (CategoricalHMM, GaussianHMM)):
        raise TypeError(f"{name} must be a CategoricalHMM or GaussianHMM, got "
                        f"{type(params).__name__}")
    initial = check_probability_vector(params.initial_probs, f"{name}.initial_probs")
    k = initial.shape[0]
    trans = check_stochastic_matrix(params.transition_matrix, f"{name}.transition_matrix")
    if trans.shape != (k, k):
        raise ValueError(f"{name}.transition_matrix must be ({k}, {k}), got {trans.shape}")
    if isinstance(params, CategoricalHMM):
        emission = check_stochastic_matrix(params.emission_probs, f"{name}.emission_probs")
        if emission.shape[0] != k:
            raise ValueError(f"{name}.emission_probs must have {k} rows, got {emission.shape}")
        return
    means = check_array(params.means, f"{name}.means", ndim=2, dtype_kind="f")
    variances = check_array(params.variances, f"{name}.variances", ndim=2, dtype_kind="f")
    if means.shape[0] != k or variances.shape != means.shape:
        raise ValueError(f"{name}.means and {name}.variances must both be ({k}, D), got "
                         f"{means.shape} and {variances.shape}")
    if not is_traced(variances) and not bool((variances > 0).all()):
        raise ValueError(f"{name}.variances must be > 0")


def _check_obs(params: Any, obs: Any, *, batched: bool) -> jax.Array:
    base = 1 if isinstance(params, CategoricalHMM) else 2
    ranks = (base, base + 1) if batched else (base,)
    if isinstance(params, CategoricalHMM):
        obs = check_array(obs, "obs", ndim=ranks, dtype_kind="i")
        if not isinstance(obs, jax.core.Tracer):
            m = params.emission_probs.shape[-1]
            if int(obs.min()) < 0 or int(obs.max()) >= m:
                raise ValueError(f"obs must hold categories in [0, {m}), got range "
                                 f"[{int(obs.min())}, {int(obs.max())}]")
    else:
        obs = check_array(obs, "obs", ndim=ranks, dtype_kind="f")
        if obs.shape[-1] != params.means.shape[-1]:
            raise ValueError(f"obs must have {params.means.shape[-1]} features, got "
                             f"{obs.shape[-1]}")
    return obs


def emission_log_likelihoods(params: CategoricalHMM | GaussianHMM, obs: jax.Array) -> jax.Array:
    """``ℓ (T, K)``: ``log p(x_t | z_t = k)`` for one sequence."""
    if isinstance(params, CategoricalHMM):
        return jnp.log(params.emission_probs).T[obs]
    diff = obs[:, None, :] - params.means[None, :, :]
    var = params.variances[None, :, :]
    return -0.5 * jnp.sum(jnp.log(2 * jnp.pi * var) + diff**2 / var, axis=-1)


def forward(log_initial: jax.Array, log_transition: jax.Array,
            log_lik: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Scaled forward pass in log space.

    Returns:
      ``(log_alpha (T, K), log_norms (T,))``: the filtered posteriors
      ``log p(z_t | x_{0:t})`` and the per-step normalisers
      ``log c_t = log p(x_t | x_{0:t-1})``, so ``log p(x) = log_norms.sum()``.
    """
    def normalise(scores):
        log_c = jax.nn.logsumexp(scores)
        return scores - log_c, log_c

    def step(log_alpha, ll):
        nxt, log_c = normalise(jax.nn.logsumexp(log_alpha[:, None] + log_transition,
                                                axis=0) + ll)
        return nxt, (nxt, log_c)

    first, log_c0 = normalise(log_initial + log_lik[0])
    _, (rest, log_cs) = jax.lax.scan(step, first, log_lik[1:])
    return (jnp.concatenate([first[None], rest]),
            jnp.concatenate([log_c0[None], log_cs]))


def backward(log_transition: jax.Array, log_lik: jax.Array,
             log_norms: jax.Array) -> jax.Array:
    """Scaled backward pass: ``log β̂ (T, K)`` with ``log β̂_{T-1} = 0`` and step t divided
    by the forward normaliser ``c_{t+1}`` (``log_norms`` from :func:`forward`)."""
    def step(log_beta, inputs):
        ll, log_c = inputs
        prev = jax.nn.logsumexp(log_transition + (ll + log_beta)[None, :], axis=1) - log_c
        return prev, prev

    last = jnp.zeros(log_lik.shape[1], log_lik.dtype)
    _, rest = jax.lax.scan(step, last, (log_lik[1:], log_norms[1:]), reverse=True)
    return jnp.concatenate([rest, last[None]])


def _posterior(params: Any, obs: jax.Array) -> Posterior:
    log_lik = emission_log_likelihoods(params, obs)
    log_a = jnp.log(params.transition_matrix)
    log_alpha, log_norms = forward(jnp.log(params.initial_probs), log_a, log_lik)
    log_beta = backward(log_a, log_lik, log_norms)
    smoothed = jax.nn.softmax(log_alpha + log_beta, axis=1)
    log_xi = (log_alpha[:-1, :, None] + log_a[None]
              + (log_lik[1:] + log_beta[1:])[:, None, :])  # (T-1, K, K)
    xi = jax.nn.softmax(log_xi.reshape(log_xi.shape[0], -1), axis=1).reshape(log_xi.shape)
    return Posterior(log_likelihood=log_norms.sum(), smoothed=smoothed,
                     expected_transitions=xi.sum(axis=0),
                     log_alpha=log_alpha, log_beta=log_beta)


def forward_backward(params: CategoricalHMM | GaussianHMM, obs: Any) -> Posterior:
    """Smoothed posteriors of one sequence ``obs`` (``(T,)`` ints or ``(T, D)`` floats)."""
    _check_params(params)
    obs = _check_obs(params, obs, batched=False)
    return _posterior(params, obs)


def log_likelihood(params: CategoricalHMM | GaussianHMM, obs: Any) -> jax.Array:
    """``log p(x_{0:T-1})`` of one sequence by the forward algorithm."""
    _check_params(params)
    obs = _check_obs(params, obs, batched=False)
    log_lik = emission_log_likelihoods(params, obs)
    return forward(jnp.log(params.initial_probs), jnp.log(params.transition_matrix),
                   log_lik)[1].sum()


def viterbi(params: CategoricalHMM | GaussianHMM, obs: Any) -> tuple[jax.Array, jax.Array]:
    """Most probable state path ``argmax_z p(z | x)`` and its joint log-probability
    ``log p(z, x)``, by :func:`jaxml.math.algorithms.max_product_chain`."""
    _check_params(params)
    obs = _check_obs(params, obs, batched=False)
    log_unary = emission_log_likelihoods(params, obs)
    log_unary = log_unary.at[0].add(jnp.log(params.initial_probs))
    return max_product_chain(log_unary, jnp.log(params.transition_matrix))


def sample(key: Any, params: CategoricalHMM | GaussianHMM,
           num_steps: int) -> tuple[jax.Array, jax.Array]:
    """Sample ``(states (T,), obs (T,) or (T, D))`` from the HMM."""
    _check_params(params)
    num_steps = check_int(num_steps, "num_steps", minimum=1)
    key = as_key(key)
    k_init, k_trans, k_emit = jax.random.split(key, 3)
    z0 = jax.random.categorical(k_init, jnp.log(params.initial_probs))
    log_a = jnp.log(params.transition_matrix)

    def step(z, k):
        nxt = jax.random.categorical(k, log_a[z])
        return nxt, nxt

    _, rest = jax.lax.scan(step, z0, jax.random.split(k_trans, num_steps - 1))
    states = jnp.concatenate([z0[None], rest]).astype(jnp.int32)
    if isinstance(params, CategoricalHMM):
        obs = jax.random.categorical(k_emit, jnp.log(params.emission_probs[states]))
        return states, obs.astype(jnp.int32)
    noise = jax.random.normal(k_emit, (num_steps, params.means.shape[-1]))
    return states, params.means[states] + jnp.sqrt(params.variances[states]) * noise


def _e_step(params: Any, obs: jax.Array):
    post = jax.vmap(lambda o: _posterior(params, o))(obs)
    gamma = post.smoothed  # (N, T, K)
    stats = {"initial": gamma[:, 0].sum(0), "transitions": post.expected_transitions.sum(0),
             "gamma": gamma}
    return stats, post.log_likelihood.sum()


def _m_step(stats: dict, obs: jax.Array, *, categorical: bool, num_categories: int,
            min_variance: float):
    initial = stats["initial"] / stats["initial"].sum()
    trans = stats["transitions"] / stats["transitions"].sum(axis=1, keepdims=True)
    gamma = stats["gamma"]
    weight = gamma.sum(axis=(0, 1))[:, None]  # (K, 1)
    if categorical:
        counts = jnp.einsum("ntk,ntm->km", gamma, jax.nn.one_hot(obs, num_categories,
                                                                 dtype=gamma.dtype))
        return CategoricalHMM(initial, trans, counts / weight)
    means = jnp.einsum("ntk,ntd->kd", gamma, obs) / weight
    second = jnp.einsum("ntk,ntd->kd", gamma, obs**2) / weight
    variances = jnp.maximum(second - means**2, 0.0) + min_variance
    return GaussianHMM(initial, trans, means, variances)


@functools.partial(jax.jit, static_argnames=("max_iter", "num_categories"))
def _baum_welch(init, obs, tol, min_variance, *, max_iter, num_categories):
    categorical = isinstance(init, CategoricalHMM)
    m_step = functools.partial(_m_step, categorical=categorical,
                               num_categories=num_categories, min_variance=min_variance)
    return em(_e_step, m_step, init, obs, max_iter=max_iter, tol=tol)


def baum_welch(init: CategoricalHMM | GaussianHMM, obs: Any, *, max_iter: int = 100,
               tol: float = 1e-4, min_variance: float = 1e-6) -> EMResult:
    """Maximum-likelihood HMM parameters by Baum–Welch (EM) from ``init``.

    Args:
      init: starting parameters; their type picks the emission model.
      obs: one sequence ``(T[, D])`` or a batch of equal-length sequences ``(N, T[, D])``.
      max_iter: the most EM iterations.
      tol: stop when the total log-likelihood rises by less than ``tol``.
      min_variance: floor added to Gaussian variances.

    Returns:
      :class:`jaxml.bayes.em.EMResult` with the fitted parameters and the
      (non-decreasing) log-likelihood history.
    """
    _check_params(init, "init")
    obs = _check_obs(init, obs, batched=True)
    base = 1 if isinstance(init, CategoricalHMM) else 2
    if obs.ndim == base:
        obs = obs[None]
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    num_categories = (init.emission_probs.shape[-1] if isinstance(init, CategoricalHMM)
                      else 0)
    return _baum_welch(init, obs, jnp.asarray(tol, jnp.result_type(float)),
                       jnp.asarray(min_variance, jnp.result_type(float)),
                       max_iter=max_iter, num_categories=num_categories)


def numpyro_model(obs: jax.Array, *, num_states: int, emission: str = "categorical",
                  num_categories: int | None = None, concentration: float = 1.0,
                  mean_scale: float = 10.0) -> None:
    """Bayesian HMM with the hidden states marginalised by the forward algorithm.

    Priors: ``π ~ Dir(c·1)``, each row ``A_i ~ Dir(c·1)``; categorical emissions
    ``B_k ~ Dir(c·1)``, or Gaussian emissions ``μ_k ~ N(0, mean_scale²)``,
    ``σ_k ~ LogNormal(0, 1)`` per feature. The likelihood ``Σ_n log p(x_n | π, A, B)`` is
    added with ``numpyro.factor("obs_log_likelihood", ...)``.

    Args:
      obs: ``(T,)``/``(N, T)`` ints (categorical) or ``(T, D)``/``(N, T, D)`` floats.
      num_states: K.
      emission: ``"categorical"`` or ``"gaussian"``.
      num_categories: M (categorical only).
      concentration: Dirichlet concentration c.
      mean_scale: prior scale of the Gaussian means.

    Sites: ``initial_probs``, ``transition_matrix``, ``emission_probs`` or
    ``means``/``scales``.
    """
    check_option(emission, "emission", ("categorical", "gaussian"))
    k = num_states
    initial = numpyro.sample("initial_probs", dist.Dirichlet(jnp.full((k,), concentration)))
    with numpyro.plate("states", k):
        trans = numpyro.sample("transition_matrix",
                               dist.Dirichlet(jnp.full((k,), concentration)))
    if emission == "categorical":
        if num_categories is None:
            raise ValueError("num_categories is required for categorical emissions")
        with numpyro.plate("states_emission", k):
            probs = numpyro.sample("emission_probs",
                                   dist.Dirichlet(jnp.full((num_categories,), concentration)))
        params = CategoricalHMM(initial, trans, probs)
        batch = obs if obs.ndim == 2 else obs[None]
    else:
        d = obs.shape[-1]
        means = numpyro.sample("means", dist.Normal(jnp.zeros((k, d)), mean_scale).to_event(2))
        scales = numpyro.sample("scales", dist.LogNormal(jnp.zeros((k, d)), 1.0).to_event(2))
        params = GaussianHMM(initial, trans, means, scales**2)
        batch = obs if obs.ndim == 3 else obs[None]
    log_a = jnp.log(trans)
    log_pi = jnp.log(initial)

    def seq_loglik(o):
        return forward(log_pi, log_a, emission_log_likelihoods(params, o))[1].sum()

    numpyro.factor("obs_log_likelihood", jax.vmap(seq_loglik)(batch).sum())
