r"""Information theory: entropy, divergences, mutual information, channel capacity.

**Quantities (M.in.1)**, in nats by default (``base=2`` gives bits), with
:math:`0\log 0 = 0`:

- entropy :math:`H(X) = -\sum_x p(x)\log p(x)`; joint entropy :math:`H(X,Y)` is the
  entropy of the joint table; conditional entropy :math:`H(Y\mid X) = H(X,Y) - H(X)`;
- cross-entropy :math:`H(p,q) = -\sum p\log q = H(p) + D_{KL}(p\Vert q)`, so minimising
  cross-entropy over :math:`q` (the classification loss) is maximum likelihood;
- Kullback–Leibler :math:`D_{KL}(p\Vert q) = \sum p\log(p/q)\ge 0` (Gibbs' inequality;
  :math:`+\infty` when :math:`q = 0 < p`); Jensen–Shannon
  :math:`JS = \tfrac12 D(p\Vert m) + \tfrac12 D(q\Vert m)`, :math:`m = (p+q)/2`, bounded by
  :math:`\log 2`;
- mutual information :math:`I(X;Y) = D_{KL}(p_{XY}\Vert p_Xp_Y) = H(X) + H(Y) - H(X,Y)`;
- Gaussian closed forms: :math:`H(\mathcal N(\mu,\Sigma)) = \tfrac12\log\det(2\pi e\Sigma)`,
  :math:`D_{KL}(\mathcal N_0\Vert\mathcal N_1) = \tfrac12[\operatorname{tr}(\Sigma_1^{-1}\Sigma_0)
  + \Delta\mu^\top\Sigma_1^{-1}\Delta\mu - d + \log\frac{\det\Sigma_1}{\det\Sigma_0}]`, and
  :math:`I(X;Y) = \tfrac12\log\frac{\det\Sigma_{XX}\det\Sigma_{YY}}{\det\Sigma}`
  (:math:`-\tfrac12\log(1-\rho^2)` for two scalars).

**Channel capacity (M.in.2).** For a discrete memoryless channel :math:`W(y\mid x)`,
:math:`C = \max_{p} I(X;Y)`. Blahut–Arimoto (Blahut 1972; Arimoto 1972) alternates
:math:`q(x\mid y)\propto p(x)W(y\mid x)` and
:math:`p(x)\propto\exp\sum_y W(y\mid x)\log q(x\mid y)`. With
:math:`c_x = \exp D(W(\cdot\mid x)\Vert pW)` the capacity is bracketed by
:math:`\log\sum_x p_xc_x \le C \le \log\max_x c_x`, which gives the stopping rule. Closed
forms used as checks: binary symmetric channel :math:`1 - H_2(\epsilon)` bits, binary
erasure channel :math:`1-\epsilon` bits (Cover & Thomas, *Elements of Information Theory*,
ch. 7).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import entr, rel_entr, xlogy

from jaxml.core import check_array, check_int, check_option, is_traced

__all__ = [
    "entropy",
    "joint_entropy",
    "conditional_entropy",
    "cross_entropy",
    "kl_divergence",
    "js_divergence",
    "mutual_information",
    "gaussian_entropy",
    "gaussian_kl",
    "gaussian_mutual_information",
    "blahut_arimoto",
]


def _log_base(base: Any) -> float:
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, (int, float)) or base <= 0 or base == 1:
        raise ValueError(f"base must be a positive number other than 1 (or None), got {base!r}")
    return math.log(base)


def _nonneg(p: Any, name: str, *, ndim: Any = None) -> jax.Array:
    p = check_array(p, name, ndim=ndim, dtype_kind="f")
    if p.ndim == 0:
        raise ValueError(f"{name} must have rank >= 1, got a scalar")
    if not is_traced(p) and np.any(np.asarray(p) < 0):
        raise ValueError(f"{name} must be non-negative")
    return p


def _normalise(p: jax.Array, axis: int) -> jax.Array:
    return p / jnp.sum(p, axis=axis, keepdims=True)


def _table(pxy: Any) -> jax.Array:
    pxy = _nonneg(pxy, "pxy", ndim=2)
    if not is_traced(pxy) and not np.isclose(float(jnp.sum(pxy)), 1.0, atol=1e-5):
        raise ValueError(f"pxy must sum to 1, got {float(jnp.sum(pxy))}")
    return pxy


def entropy(p: Any, *, base: float | None = None, axis: int = -1) -> jax.Array:
    """Shannon entropy ``−Σ p log p`` along ``axis``; ``p`` is normalised first (as SciPy)."""
    p = _nonneg(p, "p")
    return jnp.sum(entr(_normalise(p, axis)), axis=axis) / _log_base(base)


def joint_entropy(pxy: Any, *, base: float | None = None) -> jax.Array:
    """``H(X, Y)`` of a 2-D joint probability table."""
    pxy = _table(pxy)
    return jnp.sum(entr(pxy)) / _log_base(base)


def conditional_entropy(pxy: Any, *, given: int = 0, base: float | None = None) -> jax.Array:
    """``H(Y | X) = H(X, Y) − H(X)`` where ``X`` is axis ``given`` of the table."""
    pxy = _table(pxy)
    check_option(given, "given", (0, 1))
    px = jnp.sum(pxy, axis=1 - given)
    return (jnp.sum(entr(pxy)) - jnp.sum(entr(px))) / _log_base(base)


def _pair(p: Any, q: Any, axis: int) -> tuple[jax.Array, jax.Array]:
    p, q = _nonneg(p, "p"), _nonneg(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return _normalise(p, axis), _normalise(q, axis)


def cross_entropy(p: Any, q: Any, *, base: float | None = None, axis: int = -1) -> jax.Array:
    """``H(p, q) = −Σ p log q`` (``inf`` where ``q = 0 < p``)."""
    p, q = _pair(p, q, axis)
    return -jnp.sum(xlogy(p, q), axis=axis) / _log_base(base)


def kl_divergence(p: Any, q: Any, *, base: float | None = None, axis: int = -1) -> jax.Array:
    """``D_KL(p ‖ q) = Σ p log(p/q)`` (``scipy.stats.entropy(p, q)``)."""
    p, q = _pair(p, q, axis)
    return jnp.sum(rel_entr(p, q), axis=axis) / _log_base(base)


def js_divergence(p: Any, q: Any, *, base: float | None = None, axis: int = -1) -> jax.Array:
    """Jensen–Shannon divergence; its square root is SciPy's ``jensenshannon`` distance."""
    p, q = _pair(p, q, axis)
    m = 0.5 * (p + q)
    js = 0.5 * jnp.sum(rel_entr(p, m), axis=axis) + 0.5 * jnp.sum(rel_entr(q, m), axis=axis)
    return js / _log_base(base)


def mutual_information(pxy: Any, *, base: float | None = None) -> jax.Array:
    """``I(X; Y) = Σ p(x,y) log(p(x,y)/(p(x)p(y)))`` of a 2-D joint table."""
    pxy = _table(pxy)
    px, py = jnp.sum(pxy, axis=1), jnp.sum(pxy, axis=0)
    return jnp.sum(rel_entr(pxy, jnp.outer(px, py))) / _log_base(base)


def _cov(S: Any, name: str) -> jax.Array:
    S = check_array(S, name, ndim=2, dtype_kind="f")
    if S.shape[0] != S.shape[1]:
        raise ValueError(f"{name} must be square, got shape {S.shape}")
    if not is_traced(S) and np.linalg.eigvalsh(0.5 * (np.asarray(S) + np.asarray(S).T)).min() <= 0:
        raise ValueError(f"{name} must be positive definite")
    return S


def gaussian_entropy(cov: Any, *, base: float | None = None) -> jax.Array:
    """Differential entropy ``½ log det(2πe Σ)`` of ``N(μ, Σ)``."""
    cov = _cov(cov, "cov")
    d = cov.shape[0]
    logdet = jnp.linalg.slogdet(cov)[1]
    return 0.5 * (d * math.log(2 * math.pi * math.e) + logdet) / _log_base(base)


def gaussian_kl(mu0: Any, cov0: Any, mu1: Any, cov1: Any, *, base: float | None = None) -> jax.Array:
    """``D_KL(N(μ₀, Σ₀) ‖ N(μ₁, Σ₁))`` in closed form."""
    cov0, cov1 = _cov(cov0, "cov0"), _cov(cov1, "cov1")
    mu0 = check_array(mu0, "mu0", ndim=1, dtype_kind="f")
    mu1 = check_array(mu1, "mu1", ndim=1, dtype_kind="f")
    d = mu0.shape[0]
    for name, arr, shape in (("mu1", mu1, (d,)), ("cov0", cov0, (d, d)), ("cov1", cov1, (d, d))):
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    L1 = jnp.linalg.cholesky(cov1)
    solve = jax.scipy.linalg.cho_solve
    diff = mu1 - mu0
    tr = jnp.trace(solve((L1, True), cov0))
    maha = diff @ solve((L1, True), diff)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(L1))) - jnp.linalg.slogdet(cov0)[1]
    return 0.5 * (tr + maha - d + logdet) / _log_base(base)


def gaussian_mutual_information(cov: Any, dims_x: Any, *, base: float | None = None) -> jax.Array:
    """``I(X; Y) = ½ log(det Σ_XX det Σ_YY / det Σ)`` for jointly Gaussian ``(X, Y)``.

    Args:
      cov: the joint ``(d, d)`` covariance.
      dims_x: indices of the ``X`` block; the remaining indices form ``Y``.
    """
    cov = _cov(cov, "cov")
    d = cov.shape[0]
    ix = np.unique(np.asarray(dims_x, dtype=int).ravel())
    if ix.size == 0 or ix.size == d or ix.min() < 0 or ix.max() >= d:
        raise ValueError(f"dims_x must be a non-empty proper subset of range({d}), got {dims_x}")
    iy = np.setdiff1d(np.arange(d), ix)
    sxx = cov[np.ix_(ix, ix)]
    syy = cov[np.ix_(iy, iy)]
    ld = lambda m: jnp.linalg.slogdet(m)[1]  # noqa: E731
    return 0.5 * (ld(sxx) + ld(syy) - ld(cov)) / _log_base(base)


def blahut_arimoto(
    W: Any, *, tol: float = 1e-7, max_iter: int = 10_000, base: float | None = 2
) -> tuple[jax.Array, jax.Array]:
    """Capacity of a discrete memoryless channel by the Blahut–Arimoto algorithm.

    Args:
      W: ``(n_x, n_y)`` channel matrix, row ``x`` the distribution ``W(·|x)``.
      tol: stop when the upper and lower capacity bounds differ by less than ``tol`` nats.
      max_iter: iteration cap.
      base: logarithm base of the result (default bits).

    Returns:
      ``(capacity, p)`` with ``p`` the capacity-achieving input distribution.
    """
    W = _nonneg(W, "W", ndim=2)
    if not is_traced(W) and not np.allclose(np.asarray(W).sum(axis=1), 1.0, atol=1e-5):
        raise ValueError("W must have rows that sum to 1 (each a distribution W(.|x))")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    capacity, p = _blahut_arimoto(W, tol, max_iter)
    return capacity / _log_base(base), p


@partial(jax.jit, static_argnames="max_iter")
def _blahut_arimoto(W: jax.Array, tol: Any, max_iter: int) -> tuple[jax.Array, jax.Array]:
    nx = W.shape[0]

    def divergences(p):
        r = p @ W
        return jnp.sum(rel_entr(W, jnp.broadcast_to(r[None, :], W.shape)), axis=1)

    def bounds(p):
        logc = divergences(p)
        lower = jax.nn.logsumexp(logc, b=p)
        return lower, jnp.max(logc), logc

    def cond(state):
        i, _, lower, upper = state
        return (i < max_iter) & (upper - lower > tol)

    def body(state):
        i, p, _, _ = state
        _, _, logc = bounds(p)
        logits = jnp.log(p) + logc
        p = jax.nn.softmax(logits)
        lower, upper, _ = bounds(p)
        return i + 1, p, lower, upper

    p0 = jnp.full((nx,), 1.0 / nx, W.dtype)
    lo0, hi0, _ = bounds(p0)
    _, p, lower, upper = lax.while_loop(cond, body, (jnp.int32(0), p0, lo0, hi0))
    return 0.5 * (lower + upper), p
