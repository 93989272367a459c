"""Expectation–maximisation as a reusable loop, with a 1-D Gaussian mixture demo.

EM (Dempster, Laird & Rubin 1977) maximises a marginal likelihood
:math:`\\log p(x \\mid \\theta) = \\log \\sum_z p(x, z \\mid \\theta)` by alternating

* **E-step**: the expected sufficient statistics of :math:`z` under
  :math:`q(z) = p(z \\mid x, \\theta^{(t)})`, together with
  :math:`\\log p(x \\mid \\theta^{(t)})`;
* **M-step**: :math:`\\theta^{(t+1)} = \\arg\\max_\\theta \\mathbb E_q[\\log p(x, z \\mid
  \\theta)]`, a function of those statistics.

Because :math:`\\log p(x\\mid\\theta) = \\mathcal L(q, \\theta) + \\mathrm{KL}(q \\,\\|\\,
p(z\\mid x,\\theta))` and the E-step zeroes the KL, the log-likelihood never decreases
(Bishop, PRML §9.4). :func:`em` runs the loop in ``lax.while_loop`` until the increase is
below ``tol`` and records the log-likelihood history; Baum–Welch in
:mod:`jaxml.bayes.hmm` is one instance, :func:`fit_gmm1d` another.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core import as_key, check_array, check_int, check_positive, pytree_dataclass

__all__ = ["EMResult", "em", "GMM1D", "gmm1d_e_step", "gmm1d_m_step", "fit_gmm1d"]


class EMResult(NamedTuple):
    """Output of :func:`em`.

    Attributes:
      params: the final parameters (after the last M-step).
      log_likelihood: ``(max_iter,)``; entry ``t`` is ``log p(x | θ⁽ᵗ⁾)`` computed in the
        E-step of iteration ``t``; NaN after the last iteration.
      n_iter: number of E/M iterations run.
      converged: whether the increase dropped below ``tol`` before ``max_iter``.
    """

    params: Any
    log_likelihood: jax.Array
    n_iter: jax.Array
    converged: jax.Array


class _Carry(NamedTuple):
    params: Any
    history: jax.Array
    it: jax.Array
    prev: jax.Array
    done: jax.Array


def em(e_step: Callable[[Any, Any], tuple[Any, jax.Array]],
       m_step: Callable[[Any, Any], Any], init_params: Any, data: Any, *,
       max_iter: int = 100, tol: float = 1e-4) -> EMResult:
    """Run EM from ``init_params`` until the log-likelihood gain is below ``tol``.

    Args:
      e_step: ``(params, data) -> (stats, log_likelihood)``.
      m_step: ``(stats, data) -> params`` (same pytree structure as ``init_params``).
      init_params: starting parameters (a pytree of arrays).
      data: anything the two steps need (a pytree of arrays).
      max_iter: the most iterations (static: it sizes the history).
      tol: stop when ``ll_t - ll_{t-1} < tol``; traced.

    Returns:
      :class:`EMResult`. Jittable: ``jax.jit(lambda p, x: em(e, m, p, x))``.
    """
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    dtype = jnp.result_type(float)
    init = _Carry(params=init_params, history=jnp.full((max_iter,), jnp.nan, dtype),
                  it=jnp.asarray(0), prev=jnp.asarray(-jnp.inf, dtype),
                  done=jnp.asarray(False))

    def cond(carry: _Carry) -> jax.Array:
        return (carry.it < max_iter) & ~carry.done

    def body(carry: _Carry) -> _Carry:
        stats, ll = e_step(carry.params, data)
        ll = jnp.asarray(ll, dtype)
        params = m_step(stats, data)
        return _Carry(params=params, history=carry.history.at[carry.it].set(ll),
                      it=carry.it + 1, prev=ll, done=(ll - carry.prev) < tol)

    out = jax.lax.while_loop(cond, body, init)
    return EMResult(params=out.params, log_likelihood=out.history, n_iter=out.it,
                    converged=out.done)


@pytree_dataclass
class GMM1D:
    """A 1-D Gaussian mixture: ``p(x) = Σ_k weights_k N(x; means_k, variances_k)``."""

    weights: jax.Array
    means: jax.Array
    variances: jax.Array


def _component_log_probs(params: GMM1D, x: jax.Array) -> jax.Array:
    var = params.variances[None, :]
    return (jnp.log(params.weights)[None, :]
            - 0.5 * (jnp.log(2 * jnp.pi * var) + (x[:, None] - params.means[None, :]) ** 2 / var))


def gmm1d_e_step(params: GMM1D, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Responsibilities ``r_nk = p(z_n = k | x_n)`` and ``Σ_n log p(x_n)``."""
    logp = _component_log_probs(params, x)
    norm = jax.nn.logsumexp(logp, axis=1, keepdims=True)
    return jnp.exp(logp - norm), norm.sum()


def gmm1d_m_step(resp: jax.Array, x: jax.Array, *, min_variance: float = 1e-6) -> GMM1D:
    """Closed-form M-step: ``N_k = Σ r_nk``, ``π_k = N_k/n``, weighted mean and variance."""
    nk = resp.sum(0) + 10 * jnp.finfo(resp.dtype).eps
    means = resp.T @ x / nk
    variances = (resp * (x[:, None] - means[None, :]) ** 2).sum(0) / nk + min_variance
    return GMM1D(weights=nk / x.shape[0], means=means, variances=variances)


def fit_gmm1d(key: Any, x: Any, n_components: int, *, max_iter: int = 200,
              tol: float = 1e-6, min_variance: float = 1e-6,
              init: GMM1D | None = None) -> EMResult:
    """Fit a 1-D Gaussian mixture by EM.

    Args:
      key: PRNG key; picks ``n_components`` distinct data points as initial means (ignored
        when ``init`` is given).
      x: data ``(n,)``.
      n_components: K (static).
      max_iter, tol: as in :func:`em`.
      min_variance: added to every variance in the M-step (as scikit-learn's
        ``reg_covar``), keeps components from collapsing on a point.
      init: optional starting :class:`GMM1D`.
    """
    x = check_array(x, "x", ndim=1, dtype_kind="f")
    n_components = check_int(n_components, "n_components", minimum=1)
    if n_components > x.shape[0]:
        raise ValueError(f"n_components must be <= len(x)={x.shape[0]}, got {n_components}")
    check_positive(min_variance, "min_variance", strict=False)
    if init is None:
        idx = jax.random.choice(as_key(key), x.shape[0], (n_components,), replace=False)
        init = GMM1D(weights=jnp.full((n_components,), 1.0 / n_components),
                     means=x[idx], variances=jnp.full((n_components,), jnp.var(x)))
    return _fit_gmm1d(init, x, max_iter=max_iter, tol=tol, min_variance=min_variance)


@functools.partial(jax.jit, static_argnames=("max_iter",))
def _fit_gmm1d(init: GMM1D, x: jax.Array, *, max_iter: int, tol: float,
               min_variance: float) -> EMResult:
    return em(gmm1d_e_step, lambda r, d: gmm1d_m_step(r, d, min_variance=min_variance),
              init, x, max_iter=max_iter, tol=tol)
