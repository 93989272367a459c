"""Markov chain Monte Carlo by hand: Metropolis–Hastings, Gibbs samplers, diagnostics.

Every sampler runs one chain as a ``jax.lax.scan`` and ``jax.vmap``\\ s it over chains,
one key per chain split from ``key`` (the first argument); ``init`` holds each chain's
starting state, so the number of chains is ``init.shape[0]``. A run makes ``n_burnin``
transitions that are thrown away, then ``n_samples * thin`` transitions of which every
``thin``-th state is kept. The samplers are jitted with the callables and sizes static
(pass the same function object again to reuse the compiled chains; a fresh ``lambda``
compiles anew) and continuous parameters traced, so a sweep over them is one ``vmap``;
a fixed key gives the same chains bit for bit.

**Metropolis–Hastings** (Metropolis et al. 1953; Hastings 1970) targets a density known
up to a constant through ``log_density(x) -> scalar`` for ``x (dim,)``. From state
:math:`x` a proposal :math:`x' \\sim q(\\cdot \\mid x)` is accepted with probability

.. math::
    \\alpha(x, x') = \\min\\Bigl(1, \\frac{\\pi(x')\\, q(x \\mid x')}{\\pi(x)\\, q(x' \\mid x)}\\Bigr),

otherwise the chain stays at :math:`x` (a NaN log-ratio counts as a rejection, so a
target that returns NaN or -inf outside its support is never entered).

* :func:`random_walk_metropolis`: :math:`x' = x + s \\odot \\varepsilon`,
  :math:`\\varepsilon \\sim \\mathcal N(0, I)`, with ``scale`` :math:`s` a scalar or one
  per coordinate; :math:`q` is symmetric, so the ratio is :math:`\\pi(x')/\\pi(x)`. For a
  standard normal target in 1-D the stationary acceptance rate is
  :math:`\\tfrac{2}{\\pi}\\arctan(2/s)`.
* :func:`independence_metropolis`: :math:`x' \\sim q` regardless of :math:`x`, with the
  ratio :math:`\\pi(x') q(x) / (\\pi(x) q(x'))`; the proposal is a pair of functions
  ``proposal_sample(key)`` and ``proposal_log_prob(x)``, e.g. a NumPyro distribution's
  ``.sample`` and ``.log_prob`` (the log-probability is summed, so a batch of
  independent coordinates works).
* :func:`metropolis_hastings`: any proposal ``propose(key, x) -> (x', log q(x|x') -
  log q(x'|x))``; the two samplers above are this with their proposals.

Each returns :class:`MCMCResult`: ``samples (n_chains, n_samples, dim)``, the target's
log-density at the samples, and each chain's acceptance rate over the transitions after
burn-in (thinned-out transitions included).

**Gibbs sampling** (Geman & Geman 1984) updates one block at a time from its exact full
conditional:

* :func:`gibbs_bivariate_gaussian`: :math:`(x, y) \\sim \\mathcal N(\\mu, \\Sigma)` with
  standard deviations :math:`\\sigma_x, \\sigma_y` and correlation :math:`\\rho`,
  systematic scan :math:`x \\mid y \\sim \\mathcal N(\\mu_x + \\rho\\frac{\\sigma_x}{\\sigma_y}
  (y - \\mu_y), \\sigma_x^2(1-\\rho^2))`, then :math:`y \\mid x` likewise. The kept
  :math:`x`-sequence is an AR(1) process with coefficient :math:`\\rho^2`, so its lag-k
  autocorrelation is :math:`\\rho^{2k}` (Liu, Wong & Kong 1994).
* :func:`gibbs_ising`: spins :math:`s \\in \\{-1, +1\\}^{H\\times W}` with
  :math:`p(s) \\propto \\exp(-E(s))`,
  :math:`E(s) = -J \\sum_{\\langle ij \\rangle} s_i s_j - h \\sum_i s_i` over the
  nearest-neighbour bonds of the grid (the inverse temperature is folded into ``J`` and
  ``h``). ``boundary="free"``: bonds only inside the grid; ``"periodic"``: the grid wraps
  round into a torus (every site has 4 neighbour slots; on a side of length 2 one
  neighbour fills two slots, a double bond). The full conditional of one spin given its
  neighbours is :math:`p(s_i = +1 \\mid s_{-i}) = \\sigma\\bigl(2(J\\sum_{j \\sim i} s_j +
  h)\\bigr)`. ``update="sequential"`` sweeps the sites one at a time in raster order;
  ``"checkerboard"`` updates all sites with :math:`r + c` even at once and then all odd
  ones, exact because each colour's spins are conditionally independent given the other
  colour (this needs a bipartite lattice, so periodic boundaries need even H and W).
  One kept sample is one full sweep.
* :func:`gibbs_gmm_collapsed`: a mixture of K isotropic Gaussians with known variance
  :math:`\\sigma^2`, :math:`x_i \\mid z_i = k \\sim \\mathcal N(\\mu_k, \\sigma^2 I_d)`,
  means :math:`\\mu_k \\sim \\mathcal N(m_0, \\tau^2 I_d)` and weights
  :math:`\\pi \\sim \\operatorname{Dir}(\\alpha, \\dots, \\alpha)`, both integrated out
  (Neal 2000, algorithm 3 for finite K; Murphy, *MLAPP* §24.2.4). With
  :math:`n_{k}` and :math:`S_k = \\sum_{j \\ne i, z_j = k} x_j` the count and sum of the
  *other* points in component k, the posterior of :math:`\\mu_k` given them has precision
  :math:`\\lambda_k = 1/\\tau^2 + n_k/\\sigma^2` and mean
  :math:`m_k = (m_0/\\tau^2 + S_k/\\sigma^2)/\\lambda_k`, and

  .. math::
      p(z_i = k \\mid z_{-i}, X) \\propto (n_k + \\alpha)\\,
      \\mathcal N\\bigl(x_i;\\, m_k,\\, (\\sigma^2 + 1/\\lambda_k) I_d\\bigr).

  One sweep updates :math:`z_1, \\dots, z_n` in order. The trace also records the
  collapsed log joint :math:`\\log p(X, z)` (:func:`collapsed_gmm_log_joint`).

**Diagnostics** take chains ``(n_chains, n_samples, ...)`` (chain axis first, draw axis
second) and return one value per remaining coordinate; they follow Stan's definitions
as NumPyro implements them (Stan Reference Manual, "Effective sample size" and
"Potential scale reduction"; Gelman et al., *BDA3* §11.4–11.5; Geyer 1992):

* :func:`autocovariance` / :func:`autocorrelation`: per lag :math:`k`,
  :math:`\\hat\\gamma_k = \\frac1N \\sum_{t=0}^{N-1-k} (x_t - \\bar x)(x_{t+k} - \\bar x)`
  (divided by :math:`N - k` with ``bias=False``), by FFT zero-padded to at least
  :math:`2N` (no circular wrap-around); :math:`\\hat\\rho_k = \\hat\\gamma_k/\\hat\\gamma_0`.
* :func:`gelman_rubin` (:math:`\\hat R`) with within-chain variance :math:`W` (mean of
  the chains' variances, ddof 1) and between-chain variance :math:`B/N` (variance of the
  chain means, ddof 1): :math:`\\widehat{\\operatorname{var}}^+ = \\frac{N-1}{N}W + B/N`,
  :math:`\\hat R = \\sqrt{\\widehat{\\operatorname{var}}^+/W}`. :func:`split_r_hat` first
  splits every chain into its first and last :math:`\\lfloor N/2 \\rfloor` draws (the
  middle draw of an odd-length chain is dropped), so a trend within a chain shows too.
* :func:`effective_sample_size`: the combined autocorrelation
  :math:`\\hat\\rho_k = 1 - (W - \\overline{\\hat\\gamma_k})/\\widehat{\\operatorname{var}}^+`
  (:math:`\\overline{\\hat\\gamma_k}` the chains' mean autocovariance, :math:`\\hat\\rho_0 = 1`;
  with one chain :math:`W` is replaced by :math:`\\widehat{\\operatorname{var}}^+`),
  summed in pairs :math:`P_m = \\hat\\rho_{2m} + \\hat\\rho_{2m+1}`, made positive and
  non-increasing by Geyer's initial monotone sequence (:math:`P_m \\leftarrow
  \\min(\\max(P_m, 0), P_{m-1})` for :math:`m \\ge 1`), and
  :math:`\\hat\\tau = -1 + 2\\sum_m P_m`, :math:`\\widehat{\\mathrm{ESS}} = CN/\\hat\\tau`.

These agree with ``numpyro.diagnostics.autocorrelation``, ``split_gelman_rubin``,
``gelman_rubin`` and ``effective_sample_size`` (the tests check it); a constant chain
has zero variance and gives NaN, as there. R-hat needs at least 2 chains (its point is
to compare chains started from dispersed points) and 4 draws (2 for the unsplit form).

Example: random-walk MH on a correlated Gaussian, four chains from dispersed starts,
then R-hat, ESS and the acceptance rates::

    import jax.numpy as jnp
    from jaxml.bayes import mcmc

    prec = jnp.linalg.inv(jnp.array([[1.0, 0.8], [0.8, 1.0]]))
    log_p = lambda x: -0.5 * x @ prec @ x
    init = jnp.array([[-4.0, 4.0], [4.0, -4.0], [4.0, 4.0], [-4.0, -4.0]])
    res = mcmc.random_walk_metropolis(0, log_p, init, n_samples=2000, scale=0.8,
                                      n_burnin=500)
    res.samples.shape                          # (4, 2000, 2)
    mcmc.split_r_hat(res.samples)              # (2,), close to 1 once mixed
    mcmc.effective_sample_size(res.samples)    # (2,)
    res.acceptance_rate                        # (4,)
    mcmc.autocorrelation(res.samples)[:, :50]  # (4, 50, 2): lags 0..49 per chain

    # Ising model on a 16x16 torus, 4 chains, mean magnetisation trace per chain
    spins0 = jnp.ones((4, 16, 16))
    ising = mcmc.gibbs_ising(1, spins0, coupling=0.3, field=0.0, n_samples=1000,
                             boundary="periodic", update="checkerboard")
    mcmc.split_r_hat(ising.energy)             # scalar, energy traces (4, 1000)

References:
  Metropolis, Rosenbluth, Rosenbluth, Teller & Teller (1953), *J. Chem. Phys.* 21.
  Hastings (1970), *Biometrika* 57. Geman & Geman (1984), *IEEE PAMI* 6.
  Liu, Wong & Kong (1994), "Covariance structure of the Gibbs sampler", *Biometrika* 81.
  Mengersen & Tweedie (1996), "Rates of convergence of the Hastings and Metropolis
  algorithms", *Annals of Statistics* 24.
  Geyer (1992), "Practical Markov chain Monte Carlo", *Statistical Science* 7.
  Neal (2000), "Markov chain sampling methods for Dirichlet process mixture models",
  *JCGS* 9. Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
  folding, and localization: an improved R-hat", *Bayesian Analysis* 16.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core import (
    as_key,
    check_array,
    check_int,
    check_option,
    check_positive,
    check_range,
    is_traced,
)

__all__ = [
    "MCMCResult",
    "IsingResult",
    "CollapsedGMMResult",
    "metropolis_hastings",
    "random_walk_metropolis",
    "independence_metropolis",
    "gibbs_bivariate_gaussian",
    "gibbs_ising",
    "ising_energy",
    "gibbs_gmm_collapsed",
    "collapsed_gmm_log_joint",
    "autocovariance",
    "autocorrelation",
    "gelman_rubin",
    "split_r_hat",
    "effective_sample_size",
]


class MCMCResult(NamedTuple):
    """Output of the Metropolis–Hastings samplers.

    Attributes:
      samples: ``(n_chains, n_samples, dim)`` kept states.
      log_density: ``(n_chains, n_samples)`` the target's log-density at the samples.
      acceptance_rate: ``(n_chains,)`` accepted fraction of the post-burn-in transitions.
    """

    samples: jax.Array
    log_density: jax.Array
    acceptance_rate: jax.Array


class IsingResult(NamedTuple):
    """Output of :func:`gibbs_ising`.

    Attributes:
      spins: ``(n_chains, n_samples, H, W)`` int8 spins in {-1, +1}.
      magnetisation: ``(n_chains, n_samples)`` mean spin :math:`\\frac{1}{HW}\\sum_i s_i`.
      energy: ``(n_chains, n_samples)`` :math:`E(s)` (see the module docstring).
    """

    spins: jax.Array
    magnetisation: jax.Array
    energy: jax.Array


class CollapsedGMMResult(NamedTuple):
    """Output of :func:`gibbs_gmm_collapsed`.

    Attributes:
      assignments: ``(n_chains, n_samples, n)`` int32 component labels.
      log_joint: ``(n_chains, n_samples)`` collapsed :math:`\\log p(X, z)`.
    """

    assignments: jax.Array
    log_joint: jax.Array


# --- shared chain machinery ------------------------------------------------------------

def _run_chain(kernel: Callable, record: Callable, state: Any, key: jax.Array, *,
               n_samples: int, n_burnin: int, thin: int,
               after_burnin: Callable = lambda s: s) -> tuple[Any, Any]:
    """``n_burnin`` discarded transitions, then ``n_samples`` records of the state after
    every ``thin`` transitions; ``kernel(key, state) -> state``. Returns the final state
    and the stacked records.

    One scan over the ``n_burnin + n_samples`` outer steps (one transition each while
    burning in, ``thin`` after), so the kernel is traced and compiled once; each record
    is written into a preallocated buffer (a burn-in record lands in slot 0, which the
    first kept record overwrites).
    """
    if n_burnin == 0:
        state = after_burnin(state)
    spec = jax.eval_shape(record, state)
    buffer = jax.tree.map(lambda a: jnp.zeros((n_samples, *a.shape), a.dtype), spec)

    def transitions(s, k, count):
        if thin == 1:
            return kernel(k, s)

        def body(_, carry):
            s, k = carry
            k, sub = jax.random.split(k)
            return kernel(sub, s), k

        return jax.lax.fori_loop(0, count, body, (s, k))[0]

    def outer(carry, xs):
        s, buf = carry
        i, k = xs
        s = transitions(s, k, jnp.where(i < n_burnin, 1, thin))
        if n_burnin > 0:
            reset = after_burnin(s)
            s = jax.tree.map(lambda a, b: jnp.where(i == n_burnin - 1, a, b), reset, s)
        slot = jnp.maximum(i - n_burnin, 0)
        buf = jax.tree.map(lambda b, r: b.at[slot].set(r), buf, record(s))
        return (s, buf), None

    n_outer = n_burnin + n_samples
    (state, buffer), _ = jax.lax.scan(
        outer, (state, buffer), (jnp.arange(n_outer), jax.random.split(key, n_outer)))
    return state, buffer


def _check_run(n_samples: Any, n_burnin: Any, thin: Any) -> tuple[int, int, int]:
    return (check_int(n_samples, "n_samples", minimum=1),
            check_int(n_burnin, "n_burnin", minimum=0),
            check_int(thin, "thin", minimum=1))


def _check_callable(fn: Any, name: str) -> Callable:
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    return fn


def _check_init(init: Any, name: str = "init", *, dim: int | None = None) -> jax.Array:
    init = check_array(init, name, ndim=2, dtype_kind="f")
    if dim is not None and init.shape[1] != dim:
        raise ValueError(f"{name} must be (n_chains, {dim}), got shape {init.shape}")
    return init


def _check_log_density(log_density: Any, x: jax.Array) -> Callable:
    _check_callable(log_density, "log_density")
    out = jax.eval_shape(log_density, jax.ShapeDtypeStruct(x.shape, x.dtype))
    if not hasattr(out, "shape") or out.shape != ():
        shape = getattr(out, "shape", type(out).__name__)
        raise ValueError("log_density must map a state of shape "
                         f"{x.shape} to a scalar, got {shape} (sum a per-coordinate "
                         "log-density)")
    return log_density


# --- Metropolis–Hastings ---------------------------------------------------------------

class _MHState(NamedTuple):
    x: jax.Array
    log_p: jax.Array
    n_accepted: jax.Array


def _mh_kernel(log_density: Callable, propose: Callable) -> Callable:
    def kernel(key, state):
        k_prop, k_accept = jax.random.split(key)
        proposal, log_correction = propose(k_prop, state.x)
        log_p_new = jnp.asarray(log_density(proposal), state.log_p.dtype)
        log_ratio = log_p_new - state.log_p + log_correction
        log_ratio = jnp.where(jnp.isnan(log_ratio), -jnp.inf, log_ratio)
        accept = jnp.log(jax.random.uniform(k_accept, dtype=state.log_p.dtype)) < log_ratio
        return _MHState(jnp.where(accept, proposal, state.x),
                        jnp.where(accept, log_p_new, state.log_p),
                        state.n_accepted + accept.astype(jnp.int32))
    return kernel


def _mh_chains_unjitted(key, init, *, log_density, propose, n_samples, n_burnin, thin):
    kernel = _mh_kernel(log_density, propose)

    def chain(k, x0):
        log_p0 = jnp.asarray(log_density(x0), x0.dtype)
        state0 = _MHState(x0, log_p0, jnp.zeros((), jnp.int32))
        final, (xs, log_ps) = _run_chain(
            kernel, lambda s: (s.x, s.log_p), state0, k, n_samples=n_samples,
            n_burnin=n_burnin, thin=thin,
            after_burnin=lambda s: s._replace(n_accepted=jnp.zeros((), jnp.int32)))
        rate = final.n_accepted.astype(x0.dtype) / (n_samples * thin)
        return xs, log_ps, rate

    keys = jax.random.split(key, init.shape[0])
    return MCMCResult(*jax.vmap(chain)(keys, init))


_mh_chains = jax.jit(_mh_chains_unjitted, static_argnames=("log_density", "propose",
                                                           "n_samples", "n_burnin", "thin"))


def metropolis_hastings(key: Any, log_density: Callable, init: Any, propose: Callable, *,
                        n_samples: int, n_burnin: int = 0, thin: int = 1) -> MCMCResult:
    """Metropolis–Hastings with a user proposal, one chain per row of ``init``.

    Args:
      key: PRNG key or int seed.
      log_density: ``log π(x)`` up to a constant, ``(dim,) -> scalar``.
      init: ``(n_chains, dim)`` starting states.
      propose: ``propose(key, x) -> (x', log q(x | x') - log q(x' | x))`` (the log
        Hastings correction; 0 for a symmetric proposal).
      n_samples: states kept per chain.
      n_burnin: transitions discarded first.
      thin: keep every ``thin``-th state.

    Returns:
      :class:`MCMCResult`.
    """
    n_samples, n_burnin, thin = _check_run(n_samples, n_burnin, thin)
    init = _check_init(init)
    _check_log_density(log_density, init[0])
    _check_callable(propose, "propose")
    return _mh_chains(as_key(key), init, log_density=log_density, propose=propose,
                      n_samples=n_samples, n_burnin=n_burnin, thin=thin)


def _random_walk_proposal(key, x, scale):
    return x + scale * jax.random.normal(key, x.shape, x.dtype), jnp.zeros((), x.dtype)


@functools.partial(jax.jit, static_argnames=("log_density", "n_samples", "n_burnin",
                                             "thin"))
def _random_walk_chains(key, init, scale, *, log_density, n_samples, n_burnin, thin):
    # The proposal closes over the traced scale, so it cannot be a static argument of
    # _mh_chains: this function is jitted itself, with the scale as an array argument.
    return _mh_chains_unjitted(
        key, init, log_density=log_density,
        propose=functools.partial(_random_walk_proposal, scale=scale),
        n_samples=n_samples, n_burnin=n_burnin, thin=thin)


def random_walk_metropolis(key: Any, log_density: Callable, init: Any, *, n_samples: int,
                           scale: Any = 1.0, n_burnin: int = 0,
                           thin: int = 1) -> MCMCResult:
    """Random-walk Metropolis: propose :math:`x' = x + s \\odot \\varepsilon`,
    :math:`\\varepsilon \\sim \\mathcal N(0, I)`.

    Args:
      key: PRNG key or int seed.
      log_density: ``log π(x)`` up to a constant, ``(dim,) -> scalar``.
      init: ``(n_chains, dim)`` starting states.
      n_samples: states kept per chain.
      scale: proposal standard deviation :math:`s > 0`, a scalar or ``(dim,)``; may be
        traced (a sweep over scales is one ``vmap``).
      n_burnin: transitions discarded first.
      thin: keep every ``thin``-th state.

    Returns:
      :class:`MCMCResult`.
    """
    n_samples, n_burnin, thin = _check_run(n_samples, n_burnin, thin)
    init = _check_init(init)
    _check_log_density(log_density, init[0])
    scale = check_array(scale, "scale", ndim=(0, 1), dtype_kind="f")
    if scale.ndim == 1 and scale.shape[0] != init.shape[1]:
        raise ValueError(f"scale must be a scalar or ({init.shape[1]},), got shape "
                         f"{scale.shape}")
    if not is_traced(scale) and not bool(np.all(np.asarray(scale) > 0)):
        raise ValueError(f"scale must be > 0, got {np.asarray(scale)}")
    return _random_walk_chains(as_key(key), init, scale.astype(init.dtype),
                               log_density=log_density, n_samples=n_samples,
                               n_burnin=n_burnin, thin=thin)


@dataclasses.dataclass(frozen=True)
class _IndependenceProposal:
    """``propose(key, x)`` for :func:`independence_metropolis`; a frozen dataclass, so
    equal proposal functions hash equal and the jitted chains compile once."""

    sample: Callable
    log_prob: Callable
    shape: tuple[int, ...]  # the shape of one draw of ``sample``

    def __call__(self, key, x):
        def log_q(v):
            return jnp.sum(self.log_prob(jnp.reshape(v, self.shape))).astype(x.dtype)

        proposal = jnp.reshape(self.sample(key), x.shape).astype(x.dtype)
        return proposal, log_q(x) - log_q(proposal)


def independence_metropolis(key: Any, log_density: Callable, init: Any,
                            proposal_sample: Callable, proposal_log_prob: Callable, *,
                            n_samples: int, n_burnin: int = 0,
                            thin: int = 1) -> MCMCResult:
    """Independence Metropolis–Hastings: proposals :math:`x' \\sim q` drawn afresh.

    Args:
      key: PRNG key or int seed.
      log_density: ``log π(x)`` up to a constant, ``(dim,) -> scalar``.
      init: ``(n_chains, dim)`` starting states.
      proposal_sample: ``key -> draw`` with ``dim`` elements (any shape, e.g. ``()`` for
        a scalar distribution when ``dim == 1``), e.g. ``dist.Gamma(a, b).sample``.
      proposal_log_prob: ``draw -> log q`` on a draw of that shape; its output is summed.
      n_samples: states kept per chain.
      n_burnin: transitions discarded first.
      thin: keep every ``thin``-th state.

    Returns:
      :class:`MCMCResult`. The chain is uniformly ergodic when :math:`\\pi/q` is bounded
      (Mengersen & Tweedie 1996), so give :math:`q` heavier tails than the target.
    """
    n_samples, n_burnin, thin = _check_run(n_samples, n_burnin, thin)
    init = _check_init(init)
    _check_log_density(log_density, init[0])
    _check_callable(proposal_sample, "proposal_sample")
    _check_callable(proposal_log_prob, "proposal_log_prob")
    key = as_key(key)
    draw = jax.eval_shape(proposal_sample, key)
    if not hasattr(draw, "shape") or int(np.prod(draw.shape)) != init.shape[1]:
        raise ValueError(f"proposal_sample must return {init.shape[1]} values (the width "
                         f"of init), got shape {getattr(draw, 'shape', None)}")
    propose = _IndependenceProposal(proposal_sample, proposal_log_prob, tuple(draw.shape))
    return _mh_chains(key, init, log_density=log_density, propose=propose,
                      n_samples=n_samples, n_burnin=n_burnin, thin=thin)


# --- Gibbs: bivariate Gaussian ---------------------------------------------------------

@functools.partial(jax.jit, static_argnames=("n_samples", "n_burnin", "thin"))
def _bivariate_chains(key, init, mean, std, rho, *, n_samples, n_burnin, thin):
    cond_sd = std * jnp.sqrt(1.0 - rho**2)  # (2,)
    slope_x = rho * std[0] / std[1]  # E[x | y] slope
    slope_y = rho * std[1] / std[0]

    def kernel(k, xy):
        e = jax.random.normal(k, (2,), xy.dtype)
        x = mean[0] + slope_x * (xy[1] - mean[1]) + cond_sd[0] * e[0]
        y = mean[1] + slope_y * (x - mean[0]) + cond_sd[1] * e[1]
        return jnp.stack([x, y])

    def chain(k, xy0):
        return _run_chain(kernel, lambda s: s, xy0, k, n_samples=n_samples,
                          n_burnin=n_burnin, thin=thin)[1]

    return jax.vmap(chain)(jax.random.split(key, init.shape[0]), init)


def gibbs_bivariate_gaussian(key: Any, init: Any, *, rho: Any, n_samples: int,
                             mean: Any = (0.0, 0.0), std: Any = (1.0, 1.0),
                             n_burnin: int = 0, thin: int = 1) -> jax.Array:
    """Systematic-scan Gibbs sampler for a bivariate Gaussian (``x | y`` then ``y | x``).

    Args:
      key: PRNG key or int seed.
      init: ``(n_chains, 2)`` starting points (the first update draws x given y, so
        only the y column matters).
      rho: correlation, :math:`|\\rho| < 1`; may be traced.
      n_samples: sweeps kept per chain.
      mean: ``(2,)`` means.
      std: ``(2,)`` standard deviations, > 0.
      n_burnin: sweeps discarded first.
      thin: keep every ``thin``-th sweep.

    Returns:
      ``(n_chains, n_samples, 2)`` samples.
    """
    n_samples, n_burnin, thin = _check_run(n_samples, n_burnin, thin)
    init = _check_init(init, dim=2)
    check_range(rho, "rho", low=-1.0, high=1.0, low_open=True, high_open=True,
                expected="a correlation with |rho| < 1")
    mean = check_array(mean, "mean", ndim=1, dtype_kind="f")
    std = check_array(std, "std", ndim=1, dtype_kind="f")
    if mean.shape != (2,) or std.shape != (2,):
        raise ValueError(f"mean and std must have shape (2,), got {mean.shape} and "
                         f"{std.shape}")
    if not is_traced(std) and not bool(np.all(np.asarray(std) > 0)):
        raise ValueError(f"std must be > 0, got {np.asarray(std)}")
    dtype = init.dtype
    return _bivariate_chains(as_key(key), init, mean.astype(dtype), std.astype(dtype),
                             jnp.asarray(rho, dtype), n_samples=n_samples,
                             n_burnin=n_burnin, thin=thin)


# --- Gibbs: Ising model ----------------------------------------------------------------

def _ising_neighbours(height: int, width: int, periodic: bool) -> np.ndarray:
    """``(H*W, 4)`` flat indices of the up/down/left/right neighbours in raster order;
    a missing neighbour (free boundary) points at index ``H*W``, a zero pad."""
    idx = np.arange(height * width).reshape(height, width)
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    slots = []
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        r, c = rows + dr + 0 * cols, cols + dc + 0 * rows
        if periodic:
            nb = idx[r % height, c % width]
        else:
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
            nb = np.where(inside, idx[np.clip(r, 0, height - 1), np.clip(c, 0, width - 1)],
                          height * width)
        slots.append(nb.reshape(-1))
    return np.stack(slots, axis=1)


def _ising_energy_flat(spins_padded, neighbours, coupling, field):
    s = spins_padded[:-1]
    local = spins_padded[neighbours].sum(axis=1)
    return -0.5 * coupling * jnp.sum(s * local) - field * jnp.sum(s)


@functools.partial(jax.jit, static_argnames=("n_samples", "n_burnin", "thin", "boundary",
                                             "update"))
def _ising_chains(key, init, coupling, field, *, n_samples, n_burnin, thin, boundary,
                  update):
    n_chains, height, width = init.shape
    n_sites = height * width
    neighbours = jnp.asarray(_ising_neighbours(height, width, boundary == "periodic"))
    colour = jnp.asarray((np.add.outer(np.arange(height), np.arange(width)) % 2)
                         .reshape(-1))

    def new_spin(u, padded, sites):
        local = padded[neighbours[sites]].sum(axis=-1)
        p_up = jax.nn.sigmoid(2.0 * (coupling * local + field))
        return jnp.where(u < p_up, 1.0, -1.0).astype(padded.dtype)

    def checkerboard(k, padded):
        u = jax.random.uniform(k, (2, n_sites), padded.dtype)
        for c in (0, 1):
            fresh = new_spin(u[c], padded, jnp.arange(n_sites))
            padded = padded.at[:-1].set(jnp.where(colour == c, fresh, padded[:-1]))
        return padded

    def sequential(k, padded):
        u = jax.random.uniform(k, (n_sites,), padded.dtype)

        def site(i, p):
            return p.at[i].set(new_spin(u[i], p, i))

        return jax.lax.fori_loop(0, n_sites, site, padded)

    kernel = checkerboard if update == "checkerboard" else sequential

    def record(padded):
        return (padded[:-1].astype(jnp.int8), jnp.mean(padded[:-1]),
                _ising_energy_flat(padded, neighbours, coupling, field))

    def chain(k, s0):
        padded = jnp.concatenate([s0.reshape(-1), jnp.zeros((1,), s0.dtype)])
        return _run_chain(kernel, record, padded, k, n_samples=n_samples,
                          n_burnin=n_burnin, thin=thin)[1]

    spins, mag, energy = jax.vmap(chain)(jax.random.split(key, n_chains), init)
    return IsingResult(spins.reshape(n_chains, n_samples, height, width), mag, energy)


def _check_spins(spins: Any, name: str, ndim: int) -> jax.Array:
    spins = check_array(spins, name, ndim=ndim, dtype_kind="f")
    if not is_traced(spins) and not bool(np.all(np.abs(np.asarray(spins)) == 1)):
        raise ValueError(f"{name} must hold spins -1 or +1")
    return spins


def _check_ising_options(height: int, width: int, boundary: str, update: str) -> None:
    check_option(boundary, "boundary", ("free", "periodic"))
    check_option(update, "update", ("checkerboard", "sequential"))
    if boundary == "periodic" and min(height, width) < 2:
        raise ValueError(f"a periodic grid needs both sides >= 2, got {height}x{width}")
    if boundary == "periodic" and update == "checkerboard" and (height % 2 or width % 2):
        raise ValueError("checkerboard updates on a periodic grid need even height and "
                         f"width (a bipartite torus), got {height}x{width}; use "
                         "update='sequential' or boundary='free'")


def ising_energy(spins: Any, *, coupling: Any = 1.0, field: Any = 0.0,
                 boundary: str = "free") -> jax.Array:
    """Energy :math:`E(s) = -J\\sum_{\\langle ij\\rangle} s_i s_j - h\\sum_i s_i` of an
    ``(H, W)`` grid of ±1 spins (``boundary`` as in :func:`gibbs_ising`)."""
    spins = _check_spins(spins, "spins", 2)
    check_option(boundary, "boundary", ("free", "periodic"))
    height, width = spins.shape
    if boundary == "periodic" and min(height, width) < 2:
        raise ValueError(f"a periodic grid needs both sides >= 2, got {height}x{width}")
    neighbours = jnp.asarray(_ising_neighbours(height, width, boundary == "periodic"))
    padded = jnp.concatenate([spins.reshape(-1), jnp.zeros((1,), spins.dtype)])
    return _ising_energy_flat(padded, neighbours, jnp.asarray(coupling, spins.dtype),
                              jnp.asarray(field, spins.dtype))


def gibbs_ising(key: Any, init: Any, *, coupling: Any = 1.0, field: Any = 0.0,
                n_samples: int, boundary: str = "free", update: str = "checkerboard",
                n_burnin: int = 0, thin: int = 1) -> IsingResult:
    """Gibbs sampler for the Ising model :math:`p(s) \\propto \\exp(J\\sum_{\\langle ij
    \\rangle} s_i s_j + h\\sum_i s_i)` on an H×W grid.

    Args:
      key: PRNG key or int seed.
      init: ``(n_chains, H, W)`` starting spins, each -1 or +1.
      coupling: J (inverse temperature folded in); may be traced.
      field: h; may be traced.
      n_samples: sweeps kept per chain.
      boundary: ``"free"`` (no bonds across the edge) or ``"periodic"`` (a torus).
      update: ``"checkerboard"`` (two half-sweeps over the colours) or ``"sequential"``
        (one site at a time in raster order).
      n_burnin: sweeps discarded first.
      thin: keep every ``thin``-th sweep.

    Returns:
      :class:`IsingResult` with the spins, magnetisation and energy per kept sweep.
    """
    n_samples, n_burnin, thin = _check_run(n_samples, n_burnin, thin)
    init = _check_spins(init, "init", 3)
    _check_ising_options(init.shape[1], init.shape[2], boundary, update)
    check_range(coupling, "coupling")
    check_range(field, "field")
    dtype = init.dtype
    return _ising_chains(as_key(key), init, jnp.asarray(coupling, dtype),
                         jnp.asarray(field, dtype), n_samples=n_samples,
                         n_burnin=n_burnin, thin=thin, boundary=boundary, update=update)


# --- Gibbs: collapsed Gaussian mixture -------------------------------------------------

def _gmm_stats(X, z, n_components):
    one_hot = jax.nn.one_hot(z, n_components, dtype=X.dtype)  # (n, K)
    return one_hot.sum(axis=0), one_hot.T @ X


@functools.partial(jax.jit, static_argnames=("n_components",))
def _gmm_log_joint(X, z, n_components, variance, prior_mean, prior_variance, alpha):
    n, d = X.shape
    centred = X - prior_mean
    one_hot = jax.nn.one_hot(z, n_components, dtype=X.dtype)
    counts = one_hot.sum(axis=0)
    linear = one_hot.T @ centred  # (K, d)  Σ_{i in k} (x_i - m0)
    quadratic = one_hot.T @ jnp.sum(centred**2, axis=1)  # (K,)
    log_lik = (-0.5 * counts * d * jnp.log(2 * jnp.pi * variance)
               - 0.5 * d * jnp.log1p(counts * prior_variance / variance)
               - 0.5 / variance * (quadratic - prior_variance
                                   / (variance + counts * prior_variance)
                                   * jnp.sum(linear**2, axis=1)))
    gammaln = jax.scipy.special.gammaln
    log_prior = (gammaln(n_components * alpha) - gammaln(n + n_components * alpha)
                 + jnp.sum(gammaln(counts + alpha) - gammaln(alpha)))
    return log_prior + jnp.sum(log_lik)


@functools.partial(jax.jit, static_argnames=("n_components", "n_samples", "n_burnin",
                                             "thin"))
def _gmm_chains(key, X, init, variance, prior_mean, prior_variance, alpha, *,
                n_components, n_samples, n_burnin, thin):
    n, d = X.shape

    def point(i, carry):
        z, counts, sums, gumbel = carry
        x, old = X[i], z[i]
        counts, sums = counts.at[old].add(-1.0), sums.at[old].add(-x)
        precision = 1.0 / prior_variance + counts / variance  # (K,)
        post_mean = (prior_mean / prior_variance + sums / variance) / precision[:, None]
        pred_var = variance + 1.0 / precision
        logits = (jnp.log(counts + alpha) - 0.5 * d * jnp.log(pred_var)
                  - 0.5 * jnp.sum((x - post_mean) ** 2, axis=1) / pred_var)
        new = jnp.argmax(logits + gumbel[i]).astype(z.dtype)
        return z.at[i].set(new), counts.at[new].add(1.0), sums.at[new].add(x), gumbel

    def kernel(k, z):
        counts, sums = _gmm_stats(X, z, n_components)  # afresh each sweep: no drift
        gumbel = jax.random.gumbel(k, (n, n_components), X.dtype)
        return jax.lax.fori_loop(0, n, point, (z, counts, sums, gumbel))[0]

    def record(z):
        return z, _gmm_log_joint(X, z, n_components, variance, prior_mean,
                                 prior_variance, alpha)

    def chain(k, z0):
        return _run_chain(kernel, record, z0, k, n_samples=n_samples, n_burnin=n_burnin,
                          thin=thin)[1]

    return CollapsedGMMResult(*jax.vmap(chain)(jax.random.split(key, init.shape[0]), init))


def _check_gmm(X, n_components, variance, prior_mean, prior_variance, alpha):
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    n_components = check_int(n_components, "n_components", minimum=1)
    check_positive(variance, "variance")
    check_positive(prior_variance, "prior_variance")
    check_positive(alpha, "alpha")
    prior_mean = check_array(prior_mean, "prior_mean", ndim=(0, 1), dtype_kind="f")
    if prior_mean.ndim == 1 and prior_mean.shape[0] != X.shape[1]:
        raise ValueError(f"prior_mean must be a scalar or ({X.shape[1]},), got shape "
                         f"{prior_mean.shape}")
    dtype = X.dtype
    return (X, n_components, jnp.asarray(variance, dtype),
            jnp.broadcast_to(prior_mean.astype(dtype), (X.shape[1],)),
            jnp.asarray(prior_variance, dtype), jnp.asarray(alpha, dtype))


def _check_assignments(z: Any, name: str, ndim: int, n: int, n_components: int):
    z = check_array(z, name, ndim=ndim, dtype_kind="i")
    if z.shape[-1] != n:
        raise ValueError(f"{name} must have {n} labels (one per row of X) in its last "
                         f"axis, got shape {z.shape}")
    if not is_traced(z):
        values = np.asarray(z)
        if values.min() < 0 or values.max() >= n_components:
            raise ValueError(f"{name} must hold labels in [0, {n_components}), got range "
                             f"[{values.min()}, {values.max()}]")
    return z.astype(jnp.int32)


def collapsed_gmm_log_joint(X: Any, z: Any, *, n_components: int, variance: Any,
                            prior_mean: Any = 0.0, prior_variance: Any = 1.0,
                            alpha: Any = 1.0) -> jax.Array:
    """Collapsed log joint :math:`\\log p(X, z)` of the model of
    :func:`gibbs_gmm_collapsed`, means and weights integrated out.

    :math:`\\log p(z) = \\log\\Gamma(K\\alpha) - \\log\\Gamma(n + K\\alpha) +
    \\sum_k[\\log\\Gamma(n_k + \\alpha) - \\log\\Gamma(\\alpha)]` (Dirichlet–multinomial), and
    per component and coordinate the points are jointly
    :math:`\\mathcal N(m_0\\mathbf 1, \\sigma^2 I + \\tau^2 \\mathbf 1\\mathbf 1^\\top)`, so
    with :math:`y = x - m_0`, :math:`Q_k = \\sum_{i \\in k}\\lVert y_i\\rVert^2`,
    :math:`L_k = \\sum_{i \\in k} y_i`:

    .. math::
        \\log p(X_k) = -\\tfrac{n_k d}{2}\\log(2\\pi\\sigma^2) - \\tfrac d2\\log(1 +
        n_k\\tau^2/\\sigma^2) - \\tfrac{1}{2\\sigma^2}\\Bigl(Q_k - \\frac{\\tau^2
        \\lVert L_k\\rVert^2}{\\sigma^2 + n_k\\tau^2}\\Bigr).

    Args:
      X: ``(n, d)`` data.
      z: ``(n,)`` labels in ``[0, n_components)``.
      n_components, variance, prior_mean, prior_variance, alpha: as in
        :func:`gibbs_gmm_collapsed`.
    """
    X, n_components, variance, prior_mean, prior_variance, alpha = _check_gmm(
        X, n_components, variance, prior_mean, prior_variance, alpha)
    z = _check_assignments(z, "z", 1, X.shape[0], n_components)
    return _gmm_log_joint(X, z, n_components, variance, prior_mean, prior_variance, alpha)


def gibbs_gmm_collapsed(key: Any, X: Any, init: Any, *, n_components: int, variance: Any,
                        n_samples: int, prior_mean: Any = 0.0, prior_variance: Any = 1.0,
                        alpha: Any = 1.0, n_burnin: int = 0,
                        thin: int = 1) -> CollapsedGMMResult:
    """Collapsed Gibbs sampler over the assignments of a Gaussian mixture with known
    isotropic variance (component means and weights integrated out; the conditional is
    in the module docstring).

    Args:
      key: PRNG key or int seed.
      X: ``(n, d)`` data.
      init: ``(n_chains, n)`` starting labels in ``[0, n_components)``.
      n_components: K (static).
      variance: known within-component variance :math:`\\sigma^2 > 0` (every coordinate).
      n_samples: sweeps kept per chain.
      prior_mean: :math:`m_0`, scalar or ``(d,)``.
      prior_variance: :math:`\\tau^2 > 0`, the prior variance of each mean coordinate.
      alpha: symmetric Dirichlet concentration :math:`\\alpha > 0` of the weights.
      n_burnin: sweeps discarded first.
      thin: keep every ``thin``-th sweep.

    Returns:
      :class:`CollapsedGMMResult`. Labels are exchangeable under the symmetric prior, so
      compare clusterings with a label-invariant score (adjusted Rand index,
      co-clustering probabilities).
    """
    n_samples, n_burnin, thin = _check_run(n_samples, n_burnin, thin)
    X, n_components, variance, prior_mean, prior_variance, alpha = _check_gmm(
        X, n_components, variance, prior_mean, prior_variance, alpha)
    init = _check_assignments(init, "init", 2, X.shape[0], n_components)
    return _gmm_chains(as_key(key), X, init, variance, prior_mean, prior_variance, alpha,
                       n_components=n_components, n_samples=n_samples, n_burnin=n_burnin,
                       thin=thin)


# --- diagnostics -----------------------------------------------------------------------

def _check_chains(x: Any, *, min_chains: int, min_samples: int,
                  name: str = "x") -> jax.Array:
    x = check_array(x, name, dtype_kind="f", finite=False)
    if x.ndim < 2:
        raise ValueError(f"{name} must be chains of shape (n_chains, n_samples, ...), got "
                         f"shape {x.shape}")
    if x.shape[0] < min_chains:
        raise ValueError(f"{name} must hold at least {min_chains} chains (axis 0), got "
                         f"{x.shape[0]}")
    if x.shape[1] < min_samples:
        raise ValueError(f"{name} must hold at least {min_samples} samples per chain "
                         f"(axis 1), got {x.shape[1]}")
    return x


@functools.partial(jax.jit, static_argnames=("axis", "bias"))
def _autocovariance(x: jax.Array, axis: int, bias: bool) -> jax.Array:
    x = jnp.moveaxis(x, axis, -1)
    n = x.shape[-1]
    n_fft = 1 << (2 * n - 1).bit_length()  # >= 2n: linear, not circular, correlation
    centred = x - x.mean(axis=-1, keepdims=True)
    spectrum = jnp.fft.rfft(centred, n=n_fft, axis=-1)
    acov = jnp.fft.irfft(spectrum * jnp.conj(spectrum), n=n_fft, axis=-1)[..., :n]
    acov = acov.astype(x.dtype)
    acov = acov / n if bias else acov / jnp.arange(n, 0, -1, dtype=x.dtype)
    return jnp.moveaxis(acov, -1, axis)


def _check_axis(x: jax.Array, axis: Any) -> int:
    axis = check_int(axis, "axis")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for x of shape {x.shape}")
    return axis % x.ndim


def autocovariance(x: Any, *, axis: int = 1, bias: bool = True) -> jax.Array:
    """Autocovariance :math:`\\hat\\gamma_k` at every lag ``0..N-1`` along ``axis`` (by
    default the draw axis of ``(n_chains, n_samples, ...)`` chains; NumPyro's default is
    0), by FFT. ``bias=True`` divides by N, ``False`` by N - k."""
    x = check_array(x, "x", dtype_kind="f", finite=False)
    axis = _check_axis(x, axis)
    return _autocovariance(x, axis, bool(bias))


def autocorrelation(x: Any, *, axis: int = 1, bias: bool = True) -> jax.Array:
    """Autocorrelation :math:`\\hat\\rho_k = \\hat\\gamma_k / \\hat\\gamma_0` at every lag
    along ``axis`` (same shape as ``x``); see :func:`autocovariance`."""
    x = check_array(x, "x", dtype_kind="f", finite=False)
    axis = _check_axis(x, axis)
    return _autocorrelation(x, axis, bool(bias))


@functools.partial(jax.jit, static_argnames=("axis", "bias"))
def _autocorrelation(x: jax.Array, axis: int, bias: bool) -> jax.Array:
    acov = _autocovariance(x, axis, bias)
    return acov / jax.lax.slice_in_dim(acov, 0, 1, axis=axis)


def _variance_stats(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(W, var+)`` of chains ``(C, N, ...)``: mean within-chain variance (ddof 1) and
    :math:`\\frac{N-1}{N}W + B/N`; with one chain both are the pooled ``(N-1)/N W``."""
    n_chains, n = x.shape[:2]
    within = x.var(axis=1, ddof=1).mean(axis=0)
    pooled = within * (n - 1) / n
    if n_chains == 1:
        return pooled, pooled
    return within, pooled + x.mean(axis=1).var(axis=0, ddof=1)


@jax.jit
def _gelman_rubin(x: jax.Array) -> jax.Array:
    within, var_plus = _variance_stats(x)
    return jnp.sqrt(var_plus / within)


def gelman_rubin(x: Any) -> jax.Array:
    """Potential scale reduction :math:`\\hat R` of chains ``(n_chains >= 2, n_samples >=
    2, ...)``, one value per coordinate (shape ``x.shape[2:]``)."""
    x = _check_chains(x, min_chains=2, min_samples=2)
    return _gelman_rubin(x)


def split_r_hat(x: Any) -> jax.Array:
    """Split :math:`\\hat R`: :func:`gelman_rubin` of the ``2 * n_chains`` half chains
    (first and last ``n_samples // 2`` draws). Chains ``(n_chains >= 2, n_samples >= 4,
    ...)``; returns shape ``x.shape[2:]``."""
    x = _check_chains(x, min_chains=2, min_samples=4)
    return _split_r_hat(x)


@jax.jit
def _split_r_hat(x: jax.Array) -> jax.Array:
    half = x.shape[1] // 2
    return _gelman_rubin(jnp.concatenate([x[:, :half], x[:, x.shape[1] - half:]], axis=0))


def effective_sample_size(x: Any, *, bias: bool = True) -> jax.Array:
    """Effective sample size of chains ``(n_chains, n_samples >= 2, ...)`` by Geyer's
    initial monotone sequence on the multi-chain autocorrelation (module docstring);
    returns shape ``x.shape[2:]``. ``bias`` is that of the autocovariance estimator."""
    x = _check_chains(x, min_chains=1, min_samples=2)
    return _effective_sample_size(x, bool(bias))


@functools.partial(jax.jit, static_argnames=("bias",))
def _effective_sample_size(x: jax.Array, bias: bool) -> jax.Array:
    n_chains, n = x.shape[:2]
    acov = _autocovariance(x, 1, bias).mean(axis=0)  # (N, ...)
    within, var_plus = _variance_stats(x)
    rho = 1.0 - (within - acov) / var_plus
    rho = rho.at[0].set(1.0)
    pairs = rho[:2 * (n // 2):2] + rho[1:2 * (n // 2):2]  # (N // 2, ...)
    tail = jax.lax.cummin(jnp.maximum(pairs[1:], 0.0), axis=0)
    tau = -1.0 + 2.0 * (pairs[0] + tail.sum(axis=0))
    return n_chains * n / tau
