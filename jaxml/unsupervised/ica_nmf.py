r"""FastICA and non-negative matrix factorisation.

**FastICA** (Hyvärinen & Oja, 2000; Hyvärinen, Karhunen & Oja, *Independent Component
Analysis*, 2001). Observations are a linear mixture :math:`x = As` of independent,
non-Gaussian sources. After centring and PCA whitening,
:math:`\tilde x = \sqrt n\,K(x - \mu)` with :math:`K = D^{-1}U^\top` (top ``k`` rows) from
the SVD :math:`X_c^\top = UDV^\top` (the sign of each column of :math:`U` fixed so its
first entry is positive), the unmixing is a rotation :math:`W`. With a contrast
:math:`G` and :math:`g = G'`, the fixed-point step for one row :math:`w` is

.. math:: w \leftarrow \mathbb E[\tilde x\, g(w^\top\tilde x)]
          - \mathbb E[g'(w^\top\tilde x)]\, w,

a Newton step on :math:`\mathbb E[G(w^\top\tilde x)]` under :math:`\lVert w\rVert = 1`.
Contrasts: ``logcosh`` :math:`g(u) = \tanh(\alpha u)`; ``exp``
:math:`g(u) = u e^{-u^2/2}`; ``cube`` :math:`g(u) = u^3` (kurtosis).
*Parallel*: all rows at once, then symmetric decorrelation
:math:`W \leftarrow (WW^\top)^{-1/2}W`. *Deflation*: one row at a time, Gram–Schmidt
against the rows already found. Both stop when
:math:`\max_i \bigl||w_i^{\text{new}}\cdot w_i| - 1\bigr| <` ``tol``. Sources are then
rescaled to unit variance (scikit-learn's ``whiten="unit-variance"``); the unmixing matrix
is ``components = W K`` (rows), the mixing matrix its pseudo-inverse.

**NMF** (Lee & Seung, 2001; Cichocki & Phan, 2009; Févotte & Idier, 2011). Find
:math:`W\ge 0` ``(n, k)`` and :math:`H\ge 0` ``(k, d)`` minimising
:math:`\tfrac12\lVert X - WH\rVert_F^2` (``beta_loss="frobenius"``) or the generalised
Kullback–Leibler divergence :math:`\sum X\log\frac{X}{WH} - X + WH`
(``"kullback-leibler"``). The reported error is :math:`\sqrt{2D}` (the Frobenius norm of
the residual for the first).

* *Multiplicative updates* (``solver="mu"``), W then H each iteration:
  Frobenius :math:`W \leftarrow W\odot\frac{XH^\top}{WHH^\top}`,
  :math:`H \leftarrow H\odot\frac{W^\top X}{W^\top WH}`; KL
  :math:`W \leftarrow W\odot\frac{(X/WH)H^\top}{\mathbf 1 H^\top}`,
  :math:`H \leftarrow H\odot\frac{W^\top(X/WH)}{W^\top\mathbf 1}`. Each step does not increase
  the loss. Every 10 iterations, stop when the error fell by less than ``tol`` times the
  initial error.
* *Coordinate descent* (``solver="cd"``, Frobenius): for each component ``t`` in turn,
  the exact non-negative minimiser in column ``t`` of W,
  :math:`W_{:t} \leftarrow \max(0, W_{:t} - (WHH^\top - XH^\top)_{:t}/(HH^\top)_{tt})`
  (rows are independent, so a column is one vector update), then the same for
  :math:`H^\top`. Stop when the projected-gradient violation falls below ``tol`` times the
  first iteration's.

Initialisation: ``"nndsvd"`` (Boutsidis & Gallopoulos, 2008) splits each singular pair
:math:`(u_j, v_j)` into its positive and negative parts and keeps the pair with the larger
:math:`\lVert u_\pm\rVert\lVert v_\pm\rVert`, scaled by :math:`\sqrt{\sigma_j}` times that
product; entries below 1e-6 are set to zero. ``"nndsvda"`` fills those zeros with the mean
of X. ``"random"`` draws :math:`\sqrt{\bar X/k}\,|\mathcal N(0,1)|`. ``"custom"`` takes
``W``, ``H`` given to ``fit``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxml.core import (
    Transformer,
    check_array,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    is_traced,
    pytree_dataclass,
)
from jaxml.unsupervised.decomposition import _check_n_components

__all__ = [
    "FastICAParams",
    "NMFParams",
    "amari_index",
    "beta_divergence",
    "fast_ica",
    "nmf",
    "nmf_init",
    "nmf_solve",
]


# ----------------------------------------------------------------------------- FastICA


@pytree_dataclass
class FastICAParams:
    """``components (k, d)`` (unmixing, sources = (x - mean) @ components.T),
    ``mixing (d, k)``, ``mean (d,)``, ``whitening (k, d)`` and ``n_iter ()``."""

    components: jax.Array
    mixing: jax.Array
    mean: jax.Array
    whitening: jax.Array
    n_iter: jax.Array


def _logcosh(u, alpha):
    t = jnp.tanh(alpha * u)
    return t, jnp.mean(alpha * (1 - t**2), axis=-1)


def _exp(u, alpha):
    e = jnp.exp(-0.5 * u**2)
    return u * e, jnp.mean((1 - u**2) * e, axis=-1)


def _cube(u, alpha):
    return u**3, jnp.mean(3 * u**2, axis=-1)


_CONTRASTS = {"logcosh": _logcosh, "exp": _exp, "cube": _cube}


def _sym_decorrelation(W):
    s, u = jnp.linalg.eigh(W @ W.T)
    s = jnp.maximum(s, jnp.finfo(W.dtype).tiny)
    return (u / jnp.sqrt(s)[None, :]) @ u.T @ W


def _ica_parallel(X1, W0, g, alpha, tol, max_iter):
    n = X1.shape[1]

    def cond(c):
        i, _, lim = c
        return (i < max_iter) & (lim >= tol)

    def body(c):
        i, W, _ = c
        gu, g_u = g(W @ X1, alpha)
        W1 = _sym_decorrelation(gu @ X1.T / n - g_u[:, None] * W)
        lim = jnp.max(jnp.abs(jnp.abs(jnp.sum(W1 * W, axis=1)) - 1))
        return i + 1, W1, lim

    i, W, _ = lax.while_loop(cond, body, (0, _sym_decorrelation(W0), jnp.inf))
    return W, i


def _ica_deflation(X1, W0, g, alpha, tol, max_iter):
    k = W0.shape[0]

    def one(j, c):
        W, total = c
        w = W0[j] / jnp.linalg.norm(W0[j])

        def cond(s):
            i, _, lim = s
            return (i < max_iter) & (lim >= tol)

        def body(s):
            i, w, _ = s
            gu, g_u = g((w @ X1)[None, :], alpha)
            w1 = jnp.mean(X1 * gu, axis=1) - g_u[0] * w
            w1 = w1 - (W @ w1) @ W  # rows >= j of W are still zero
            w1 = w1 / jnp.linalg.norm(w1)
            return i + 1, w1, jnp.abs(jnp.abs(w1 @ w) - 1)

        i, w, _ = lax.while_loop(cond, body, (0, w, jnp.inf))
        return W.at[j].set(w), jnp.maximum(total, i)

    return lax.fori_loop(0, k, one, (jnp.zeros_like(W0), 0))


@partial(jax.jit, static_argnames=("k", "fun", "algorithm", "max_iter"))
def _fast_ica(X, W0, alpha, tol, k, fun, algorithm, max_iter):
    n = X.shape[0]
    mean = jnp.mean(X, axis=0)
    XT = (X - mean[None, :]).T
    u, d = jnp.linalg.svd(XT, full_matrices=False)[:2]
    u = u * jnp.sign(u[0])[None, :]
    K = (u / d[None, :]).T[:k]
    X1 = K @ XT * jnp.sqrt(n)
    solve = _ica_parallel if algorithm == "parallel" else _ica_deflation
    W, n_iter = solve(X1, W0, _CONTRASTS[fun], alpha, tol, max_iter)
    S = (W @ K @ XT).T
    W = W / jnp.std(S, axis=0)[:, None]
    components = W @ K
    return FastICAParams(components=components, mixing=jnp.linalg.pinv(components), mean=mean,
                         whitening=K, n_iter=jnp.asarray(n_iter))


def fast_ica(n_components: int, *, algorithm: str = "parallel", fun: str = "logcosh",
             alpha: float = 1.0, tol: float = 1e-4, max_iter: int = 200) -> Transformer:
    """FastICA (module docstring): ``fit(key, X, w_init=None) -> FastICAParams``.

    ``w_init`` ``(k, k)`` is the starting rotation; by default a standard normal draw from
    ``key``. ``alpha`` (the logcosh scale, in [1, 2]) and ``tol`` are traceable.
    ``transform`` returns unit-variance sources, ``inverse_transform`` remixes them.
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    algorithm = check_option(algorithm, "algorithm", ("parallel", "deflation"))
    fun = check_option(fun, "fun", tuple(_CONTRASTS))
    check_positive(alpha, "alpha")
    check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    def fit(key, X, w_init=None) -> FastICAParams:
        X = check_X(X)
        k = _check_n_components(n_components, X, min_rows=2)
        if w_init is None:
            w_init = jax.random.normal(key, (k, k), X.dtype)
        else:
            w_init = check_array(w_init, "w_init", ndim=2, dtype_kind="f")
            if w_init.shape != (k, k):
                raise ValueError(f"w_init must have shape {(k, k)}, got {w_init.shape}")
        return _fast_ica(X, w_init.astype(X.dtype), alpha, tol, k, fun, algorithm, max_iter)

    def transform(params: FastICAParams, X) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.mean.shape[0])
        return (X - params.mean[None, :]) @ params.components.T

    def inverse_transform(params: FastICAParams, S) -> jax.Array:
        S = check_X(S, "S")
        check_n_features(S, params.components.shape[0], "S")
        return S @ params.mixing.T + params.mean[None, :]

    return Transformer(fit=fit, transform=transform, inverse_transform=inverse_transform)


def amari_index(W: Any, A: Any) -> jax.Array:
    r"""Amari et al. (1996) distance of ``P = W A`` from a scaled permutation, in [0, 1]:

    .. math:: \frac{1}{2k(k-1)}\Big[\sum_i\Big(\frac{\sum_j|P_{ij}|}{\max_j|P_{ij}|}-1\Big)
              + \sum_j\Big(\frac{\sum_i|P_{ij}|}{\max_i|P_{ij}|}-1\Big)\Big].

    0 exactly when ``W`` unmixes ``A`` up to permutation and scaling.
    """
    P = jnp.abs(check_X(W, "W") @ check_X(A, "A"))
    k = P.shape[0]
    if P.shape != (k, k) or k < 2:
        raise ValueError(f"W @ A must be square with k >= 2, got shape {P.shape}")
    rows = jnp.sum(jnp.sum(P, axis=1) / jnp.max(P, axis=1) - 1)
    cols = jnp.sum(jnp.sum(P, axis=0) / jnp.max(P, axis=0) - 1)
    return (rows + cols) / (2 * k * (k - 1))


# ----------------------------------------------------------------------------- NMF

_EPS = float(np.finfo(np.float32).eps)  # floor on denominators and on WH in KL terms
_ZERO_H = float(np.finfo(np.float64).eps)  # KL: entries of H below this are set to 0


@pytree_dataclass
class NMFParams:
    """``components (k, d)`` (``H``), ``reconstruction_err ()`` (``sqrt(2 D)`` on the
    training data) and ``n_iter ()``."""

    components: jax.Array
    reconstruction_err: jax.Array
    n_iter: jax.Array


def beta_divergence(X: Any, W: Any, H: Any, beta_loss: str = "frobenius") -> jax.Array:
    """``D(X || WH)``: ``½‖X − WH‖²_F`` or the generalised KL divergence (zeros of X
    contribute ``WH``; ``WH`` is floored at float32 eps inside the logarithm)."""
    beta_loss = check_option(beta_loss, "beta_loss", ("frobenius", "kullback-leibler"))
    return _divergence(check_X(X), check_X(W, "W"), check_X(H, "H"), beta_loss)


def _divergence(X, W, H, beta_loss):
    WH = W @ H
    if beta_loss == "frobenius":
        return 0.5 * jnp.sum((X - WH) ** 2)
    present = X > _EPS
    ratio = jnp.where(present, X / jnp.maximum(WH, _EPS), 1.0)
    return jnp.sum(jnp.where(present, X * jnp.log(ratio), 0.0)) + jnp.sum(WH) - jnp.sum(
        jnp.where(present, X, 0.0))


def _error(X, W, H, beta_loss):
    return jnp.sqrt(2 * _divergence(X, W, H, beta_loss))


def _nndsvd(X, k, fill):
    U, s, Vt = jnp.linalg.svd(X, full_matrices=False)
    U, s, Vt = U[:, :k], s[:k], Vt[:k]
    xp, xn = jnp.maximum(U, 0), jnp.maximum(-U, 0)
    yp, yn = jnp.maximum(Vt, 0), jnp.maximum(-Vt, 0)
    nxp, nxn = jnp.linalg.norm(xp, axis=0), jnp.linalg.norm(xn, axis=0)
    nyp, nyn = jnp.linalg.norm(yp, axis=1), jnp.linalg.norm(yn, axis=1)
    mp, mn = nxp * nyp, nxn * nyn
    pos = mp > mn
    safe = lambda v: jnp.where(v > 0, v, 1.0)
    u = jnp.where(pos[None, :], xp / safe(nxp)[None, :], xn / safe(nxn)[None, :])
    v = jnp.where(pos[:, None], yp / safe(nyp)[:, None], yn / safe(nyn)[:, None])
    lam = jnp.sqrt(s * jnp.where(pos, mp, mn))
    # the leading pair of a non-negative matrix is one-signed: take |u_1|, |v_1|
    u = u.at[:, 0].set(jnp.abs(U[:, 0]))
    v = v.at[0].set(jnp.abs(Vt[0]))
    lam = lam.at[0].set(jnp.sqrt(s[0]))
    W, H = lam[None, :] * u, lam[:, None] * v
    W, H = jnp.where(W < 1e-6, 0.0, W), jnp.where(H < 1e-6, 0.0, H)
    if fill:
        avg = jnp.mean(X)
        W, H = jnp.where(W == 0, avg, W), jnp.where(H == 0, avg, H)
    return W, H


def nmf_init(key: jax.Array, X: Any, n_components: int, init: str = "nndsvda") -> tuple[jax.Array, jax.Array]:
    """Starting ``(W, H)`` by ``"nndsvd"``, ``"nndsvda"`` or ``"random"`` (module docstring)."""
    X = _check_nonnegative(X)
    k = _check_n_components(n_components, X)
    init = check_option(init, "init", ("nndsvd", "nndsvda", "random"))
    if init == "random":
        scale = jnp.sqrt(jnp.mean(X) / k)
        kw, kh = jax.random.split(key)
        return (scale * jnp.abs(jax.random.normal(kw, (X.shape[0], k), X.dtype)),
                scale * jnp.abs(jax.random.normal(kh, (k, X.shape[1]), X.dtype)))
    return _nndsvd(X, k, fill=init == "nndsvda")


def _check_nonnegative(X, name="X"):
    X = check_X(X, name)
    if not is_traced(X) and not bool(np.all(np.asarray(X) >= 0)):
        raise ValueError(f"{name} must be non-negative for NMF, found negative entries")
    return X


def _mu_w(X, W, H, beta_loss):
    if beta_loss == "frobenius":
        num, den = X @ H.T, W @ (H @ H.T)
    else:
        num = (X / jnp.maximum(W @ H, _EPS)) @ H.T
        den = jnp.broadcast_to(jnp.sum(H, axis=1)[None, :], W.shape)
    return W * num / jnp.where(den == 0, _EPS, den)


def _mu_h(X, W, H, beta_loss):
    if beta_loss == "frobenius":
        num, den = W.T @ X, (W.T @ W) @ H
    else:
        num = W.T @ (X / jnp.maximum(W @ H, _EPS))
        den = jnp.broadcast_to(jnp.sum(W, axis=0)[:, None], H.shape)
    H = H * num / jnp.where(den == 0, _EPS, den)
    return jnp.where(H < _ZERO_H, 0.0, H) if beta_loss == "kullback-leibler" else H


def _cd_pass(X, W, H):
    """One sweep of coordinate descent on the columns of W; returns (W, violation)."""
    HHt, XHt = H @ H.T, X @ H.T

    def column(t, c):
        W, viol = c
        grad = W @ HHt[:, t] - XHt[:, t]
        pg = jnp.where(W[:, t] == 0, jnp.minimum(grad, 0.0), grad)
        hess = HHt[t, t]
        w = jnp.where(hess != 0, jnp.maximum(W[:, t] - grad / jnp.where(hess != 0, hess, 1.0),
                                             0.0), W[:, t])
        return W.at[:, t].set(w), viol + jnp.sum(jnp.abs(pg))

    return lax.fori_loop(0, W.shape[1], column, (W, jnp.zeros((), W.dtype)))


@partial(jax.jit, static_argnames=("solver", "beta_loss", "max_iter", "update_H"))
def _nmf_solve(X, W, H, tol, solver, beta_loss, max_iter, update_H):
    if solver == "mu":
        err0 = _error(X, W, H, beta_loss)

        def cond(c):
            i, _, _, _, done = c
            return (i < max_iter) & ~done

        def body(c):
            i, W, H, prev, _ = c
            W = _mu_w(X, W, H, beta_loss)
            if update_H:
                H = _mu_h(X, W, H, beta_loss)
            i = i + 1
            check = (i % 10 == 0) & (tol > 0)
            err = lax.cond(check, lambda: _error(X, W, H, beta_loss), lambda: prev)
            done = check & ((prev - err) / err0 < tol)
            return i, W, H, err, done

        i, W, H, _, _ = lax.while_loop(cond, body, (0, W, H, err0, False))
        return W, H, i

    def cond(c):
        i, _, _, viol, viol0 = c
        return (i < max_iter) & ~((i >= 1) & ((viol0 == 0) | (viol / viol0 <= tol)))

    def body(c):
        i, W, H, _, viol0 = c
        W, viol = _cd_pass(X, W, H)
        if update_H:
            Ht, viol_h = _cd_pass(X.T, H.T, W.T)
            H, viol = Ht.T, viol + viol_h
        viol0 = jnp.where(i == 0, viol, viol0)
        return i + 1, W, H, viol, viol0

    zero = jnp.zeros((), X.dtype)
    i, W, H, _, _ = lax.while_loop(cond, body, (0, W, H, zero, zero))
    return W, H, i


def nmf_solve(X: Any, W: Any, H: Any, *, solver: str = "cd", beta_loss: str = "frobenius",
              tol: float = 1e-4, max_iter: int = 200, update_H: bool = True
              ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Run the NMF solver from ``(W, H)``; returns ``(W, H, n_iter)``. With
    ``update_H=False`` only ``W`` moves (the transform of new data)."""
    X = _check_nonnegative(X)
    W, H = _check_nonnegative(W, "W"), _check_nonnegative(H, "H")
    k = H.shape[0]
    if W.shape != (X.shape[0], k) or H.shape[1] != X.shape[1]:
        raise ValueError(f"W and H must have shapes {(X.shape[0], k)} and {(k, X.shape[1])}, "
                         f"got {W.shape} and {H.shape}")
    solver = check_option(solver, "solver", ("cd", "mu"))
    beta_loss = check_option(beta_loss, "beta_loss", ("frobenius", "kullback-leibler"))
    if solver == "cd" and beta_loss != "frobenius":
        raise ValueError("solver='cd' supports only beta_loss='frobenius'; use solver='mu'")
    check_positive(tol, "tol", strict=False)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    return _nmf_solve(X, W.astype(X.dtype), H.astype(X.dtype), tol, solver, beta_loss,
                      max_iter, bool(update_H))


def nmf(n_components: int, *, init: str = "nndsvda", solver: str = "cd",
        beta_loss: str = "frobenius", tol: float = 1e-4, max_iter: int = 200) -> Transformer:
    """NMF (module docstring): ``fit(key, X, W=None, H=None) -> NMFParams``.

    ``init="custom"`` needs ``W`` and ``H``; the key is used only by ``init="random"``.
    ``transform(params, X)`` solves for ``W`` with ``H`` fixed, starting from the constant
    ``sqrt(mean(X)/k)``; ``inverse_transform(params, W) = W @ H``. ``tol`` is traceable.
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    init = check_option(init, "init", ("nndsvd", "nndsvda", "random", "custom"))
    solver = check_option(solver, "solver", ("cd", "mu"))
    beta_loss = check_option(beta_loss, "beta_loss", ("frobenius", "kullback-leibler"))
    if solver == "cd" and beta_loss != "frobenius":
        raise ValueError("solver='cd' supports only beta_loss='frobenius'; use solver='mu'")
    check_positive(tol, "tol", strict=False)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    opts = {"solver": solver, "beta_loss": beta_loss, "tol": tol, "max_iter": max_iter}

    def fit(key, X, W=None, H=None) -> NMFParams:
        X = _check_nonnegative(X)
        k = _check_n_components(n_components, X)
        if init == "custom":
            if W is None or H is None:
                raise ValueError("init='custom' needs both W and H passed to fit")
        else:
            if W is not None or H is not None:
                raise ValueError(f"W and H are only used with init='custom', got init={init!r}")
            W, H = nmf_init(key, X, k, init)
        W, H, n_iter = nmf_solve(X, W, H, **opts)
        return NMFParams(components=H, reconstruction_err=_error(X, W, H, beta_loss),
                         n_iter=n_iter)

    def transform(params: NMFParams, X) -> jax.Array:
        X = _check_nonnegative(X)
        H = params.components
        check_n_features(X, H.shape[1])
        k = H.shape[0]
        W0 = jnp.full((X.shape[0], k), jnp.sqrt(jnp.mean(X) / k), X.dtype)
        return nmf_solve(X, W0, H, update_H=False, **opts)[0]

    def inverse_transform(params: NMFParams, W) -> jax.Array:
        W = check_X(W, "W")
        check_n_features(W, params.components.shape[0], "W")
        return W @ params.components

    return Transformer(fit=fit, transform=transform, inverse_transform=inverse_transform)
