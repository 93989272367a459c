r"""Linear decompositions: PCA (full, randomized, incremental), truncated SVD, factor analysis.

**PCA.** With the centred data :math:`X_c = X - \mathbf 1\mu^\top = U S V^\top`, the
principal axes are the rows of :math:`V^\top`, the explained variances
:math:`\lambda_i = \sigma_i^2/(n-1)` and the explained-variance ratios
:math:`\lambda_i / \sum_j \operatorname{Var}(x_j)`. Scores are
:math:`Z = X_c V_k` (whitened: :math:`Z\,\mathrm{diag}(\lambda)^{-1/2}`, unit variance), and
:math:`\hat X = Z V_k^\top + \mu` maps back. The noise variance is the mean of the discarded
variances, :math:`(\sum_j \operatorname{Var}(x_j) - \sum_{i\le k}\lambda_i)/(\min(n,d) - k)`
(0 when nothing is discarded), the probabilistic-PCA maximum-likelihood estimate.

*Sign convention.* A singular pair :math:`(u_i, v_i)` is defined up to a common sign. Every
solver here makes the largest-magnitude entry of each component :math:`v_i` positive (as
scikit-learn's ``svd_flip(..., u_based_decision=False)``), so components are unique
whenever the singular values are distinct and that entry is not tied.

*Randomized SVD* (Halko, Martinsson & Tropp, 2011, Alg. 4.4 and 5.1). Draw a Gaussian
test matrix :math:`\Omega\in\mathbb R^{d\times (k+p)}` (``p`` = ``n_oversamples``), form
:math:`Y = A\Omega` and orthonormalise, then run ``q`` power iterations
:math:`Q \leftarrow \operatorname{qr}(A\,\operatorname{qr}(A^\top Q))`, which raise the
spectrum to the power :math:`2q+1` and sharpen the range estimate when singular values
decay slowly. With :math:`B = Q^\top A = \tilde U S V^\top` (small), :math:`A \approx
(Q\tilde U) S V^\top`; keep the top ``k``. The error is close to the optimal
:math:`\sigma_{k+1}` with high probability.

*Incremental PCA* (Ross, Lim, Lin & Yang, 2008; scikit-learn's ``IncrementalPCA``). After
:math:`n` rows the model is (mean :math:`\mu`, per-feature variance, the top ``k``
singular values :math:`S` and axes :math:`V`). A batch :math:`B` of :math:`m` rows with mean
:math:`\mu_B` is merged by the SVD of the stacked matrix

.. math:: \begin{bmatrix} S V^\top \\ B - \mathbf 1\mu_B^\top \\
          \sqrt{nm/(n+m)}\,(\mu - \mu_B)^\top \end{bmatrix},

whose Gram matrix is exactly the scatter matrix of all :math:`n+m` rows about the new mean
when the old scatter is rank ``k`` (and approximately otherwise); the last row is the
between-means correction. Mean and variance are updated with Chan's pairwise formulas.

**Truncated SVD** (LSA). No centring: :math:`X \approx U_k S_k V_k^\top`, scores
:math:`X V_k = U_k S_k`; explained variances are the (population) variances of the scores.

**Factor analysis** (Barber, *Bayesian Reasoning and Machine Learning*, alg. 21.1; as
scikit-learn). The model :math:`x = Wz + \mu + \varepsilon`, :math:`z\sim\mathcal N(0, I_k)`,
:math:`\varepsilon\sim\mathcal N(0, \Psi)` with diagonal :math:`\Psi`, has covariance
:math:`\Sigma = W^\top W + \Psi` (rows of :math:`W\in\mathbb R^{k\times d}` are the factors).
For fixed :math:`\Psi` the likelihood is maximised in closed form through the SVD of the
scaled data :math:`\tilde X = X_c\Psi^{-1/2}/\sqrt n` with top singular values
:math:`s_i` and vectors :math:`v_i`: :math:`W = \operatorname{diag}(\sqrt{\max(s_i^2-1, 0)})
V_k^\top \Psi^{1/2}`, and the log-likelihood is

.. math:: \ell = -\tfrac n2\Big(d\log 2\pi + k + \sum_{i\le k}\log s_i^2
          + \sum_{i>k} s_i^2 + \sum_j \log\psi_j\Big).

The EM step then sets :math:`\psi_j = \max(\operatorname{Var}(x_j) - \sum_i W_{ij}^2,
10^{-12})`; iteration stops when :math:`\ell` rises by less than ``tol``. The transform is
the posterior mean :math:`\mathbb E[z\mid x] = (I + W\Psi^{-1}W^\top)^{-1}W\Psi^{-1}(x-\mu)`.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from jaxml.core import (
    Transformer,
    check_bool,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    pytree_dataclass,
)
from jaxml.math.linalg import _flip_signs

__all__ = [
    "FactorAnalysisParams",
    "IncrementalPCAState",
    "PCAParams",
    "TruncatedSVDParams",
    "factor_analysis",
    "factor_analysis_covariance",
    "factor_analysis_score",
    "factor_analysis_score_samples",
    "incremental_pca",
    "incremental_pca_init",
    "incremental_pca_params",
    "incremental_pca_update",
    "pca",
    "randomized_pca",
    "randomized_svd",
    "svd_flip",
    "truncated_svd",
]


# ----------------------------------------------------------------------------- helpers


def _check_n_components(n_components: int, X: jax.Array, *, min_rows: int = 1) -> int:
    n_components = check_int(n_components, "n_components", minimum=1)
    n, d = X.shape
    if n < min_rows:
        raise ValueError(f"X must have at least {min_rows} rows, got shape {X.shape}")
    if n_components > min(n, d):
        raise ValueError(f"n_components must be <= min(n_samples, n_features) = {min(n, d)}, "
                         f"got {n_components}")
    return n_components


def svd_flip(U: Any, Vt: Any) -> tuple[jax.Array, jax.Array]:
    """Fix the sign of each singular pair so that the largest-|.| entry of each row of
    ``Vt`` is positive; the matching column of ``U`` flips with it (``U S Vt`` unchanged)."""
    flipped = _flip_signs(Vt)
    signs = jnp.sign(jnp.sum(flipped * Vt, axis=1))  # +1 kept, -1 flipped
    return U * signs[None, :], flipped


def _qr(A: jax.Array) -> jax.Array:
    return jnp.linalg.qr(A)[0]


@partial(jax.jit, static_argnames=("k", "n_oversamples", "n_power_iter"))
def _randomized_svd(key, A, k, n_oversamples, n_power_iter):
    n, d = A.shape
    width = min(k + n_oversamples, n, d)
    omega = jax.random.normal(key, (d, width), A.dtype)
    Q = _qr(A @ omega)
    Q = lax.fori_loop(0, n_power_iter, lambda _, Q: _qr(A @ _qr(A.T @ Q)), Q)
    Ub, s, Vt = jnp.linalg.svd(Q.T @ A, full_matrices=False)
    U, Vt = svd_flip(Q @ Ub[:, :k], Vt[:k])
    return U, s[:k], Vt


def randomized_svd(key: jax.Array, A: Any, k: int, *, n_oversamples: int = 10,
                   n_power_iter: int = 4) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Top-``k`` SVD ``A ≈ U diag(s) Vt`` by a Gaussian range finder with power iterations
    (Halko et al. 2011); see the module docstring. Signs follow :func:`svd_flip`.

    Returns ``U (n, k)``, ``s (k,)`` decreasing, ``Vt (k, d)``.
    """
    A = check_X(A, "A")
    k = check_int(k, "k", minimum=1)
    if k > min(A.shape):
        raise ValueError(f"k must be <= min(A.shape) = {min(A.shape)}, got {k}")
    n_oversamples = check_int(n_oversamples, "n_oversamples", minimum=0)
    n_power_iter = check_int(n_power_iter, "n_power_iter", minimum=0)
    return _randomized_svd(key, A, k, n_oversamples, n_power_iter)


# ----------------------------------------------------------------------------- PCA


@pytree_dataclass
class PCAParams:
    """A fitted PCA: ``components (k, d)`` (rows, unit norm), ``explained_variance (k,)``,
    ``explained_variance_ratio (k,)``, ``singular_values (k,)``, ``mean (d,)``,
    ``noise_variance ()`` and ``n_samples ()``."""

    components: jax.Array
    explained_variance: jax.Array
    explained_variance_ratio: jax.Array
    singular_values: jax.Array
    mean: jax.Array
    noise_variance: jax.Array
    n_samples: jax.Array


def _pca_params(s, Vt, mean, total_var, n, d) -> PCAParams:
    """Assemble the fitted PCA from the top-k singular values/axes of the centred data."""
    k = s.shape[0]
    var = s**2 / (n - 1)
    rest = min(n, d) - k
    noise = (jnp.maximum(total_var - jnp.sum(var), 0.0) / rest) if rest > 0 else 0.0
    return PCAParams(components=Vt, explained_variance=var,
                     explained_variance_ratio=var / total_var, singular_values=s, mean=mean,
                     noise_variance=jnp.asarray(noise, s.dtype),
                     n_samples=jnp.asarray(n, s.dtype))


def _pca_transformer(fit, whiten: bool) -> Transformer:
    def transform(params: PCAParams, X) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.mean.shape[0])
        Z = (X - params.mean[None, :]) @ params.components.T
        return Z / jnp.sqrt(params.explained_variance)[None, :] if whiten else Z

    def inverse_transform(params: PCAParams, Z) -> jax.Array:
        Z = check_X(Z, "Z")
        check_n_features(Z, params.components.shape[0], "Z")
        if whiten:
            Z = Z * jnp.sqrt(params.explained_variance)[None, :]
        return Z @ params.components + params.mean[None, :]

    return Transformer(fit=fit, transform=transform, inverse_transform=inverse_transform)


def _centre(X: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    mean = jnp.mean(X, axis=0)
    Xc = X - mean[None, :]
    return Xc, mean, jnp.sum(jnp.var(X, axis=0, ddof=1))


def pca(n_components: int, *, whiten: bool = False) -> Transformer:
    """PCA by the full SVD (``jnp.linalg.svd``) of the centred data.

    ``fit(X) -> PCAParams``; ``transform``/``inverse_transform`` as in the module docstring
    (``whiten=True`` scales scores to unit variance).
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    whiten = check_bool(whiten, "whiten")

    def fit(X) -> PCAParams:
        X = check_X(X)
        k = _check_n_components(n_components, X, min_rows=2)
        Xc, mean, total_var = _centre(X)
        _, s, Vt = jnp.linalg.svd(Xc, full_matrices=False)
        return _pca_params(s[:k], _flip_signs(Vt[:k]), mean, total_var, *X.shape)

    return _pca_transformer(fit, whiten)


def randomized_pca(n_components: int, *, whiten: bool = False, n_oversamples: int = 10,
                   n_power_iter: int = 4) -> Transformer:
    """PCA by :func:`randomized_svd` of the centred data: ``fit(key, X) -> PCAParams``."""
    n_components = check_int(n_components, "n_components", minimum=1)
    whiten = check_bool(whiten, "whiten")
    n_oversamples = check_int(n_oversamples, "n_oversamples", minimum=0)
    n_power_iter = check_int(n_power_iter, "n_power_iter", minimum=0)

    def fit(key, X) -> PCAParams:
        X = check_X(X)
        k = _check_n_components(n_components, X, min_rows=2)
        Xc, mean, total_var = _centre(X)
        _, s, Vt = _randomized_svd(key, Xc, k, n_oversamples, n_power_iter)
        return _pca_params(s, Vt, mean, total_var, *X.shape)

    return _pca_transformer(fit, whiten)


class IncrementalPCAState(NamedTuple):
    """Running statistics of incremental PCA after ``n_seen`` rows."""

    mean: jax.Array  # (d,)
    var: jax.Array  # (d,) population variance
    n_seen: jax.Array  # ()
    components: jax.Array  # (k, d)
    singular_values: jax.Array  # (k,)


def incremental_pca_init(n_components: int, n_features: int, dtype: Any = None) -> IncrementalPCAState:
    """The empty state (no rows seen); zero singular values make the first merge exact."""
    n_components = check_int(n_components, "n_components", minimum=1)
    n_features = check_int(n_features, "n_features", minimum=1)
    if n_components > n_features:
        raise ValueError(f"n_components must be <= n_features = {n_features}, got {n_components}")
    dtype = dtype or jnp.result_type(float)
    return IncrementalPCAState(jnp.zeros(n_features, dtype), jnp.zeros(n_features, dtype),
                               jnp.zeros((), dtype), jnp.zeros((n_components, n_features), dtype),
                               jnp.zeros(n_components, dtype))


def _ipca_step(state: IncrementalPCAState, B: jax.Array) -> IncrementalPCAState:
    k = state.components.shape[0]
    m = jnp.asarray(B.shape[0], B.dtype)
    n = state.n_seen
    total = n + m
    b_mean = jnp.mean(B, axis=0)
    b_var = jnp.var(B, axis=0)
    delta = state.mean - b_mean
    mean = (n * state.mean + m * b_mean) / total
    var = (n * state.var + m * b_var + delta**2 * n * m / total) / total
    stacked = jnp.concatenate([state.singular_values[:, None] * state.components,
                               B - b_mean[None, :],
                               (jnp.sqrt(n * m / total) * delta)[None, :]], axis=0)
    _, s, Vt = jnp.linalg.svd(stacked, full_matrices=False)
    return IncrementalPCAState(mean, var, total, _flip_signs(Vt[:k]), s[:k])


def incremental_pca_update(state: IncrementalPCAState, X_batch: Any) -> IncrementalPCAState:
    """Merge one batch of rows into the state (Ross et al. 2008); jittable."""
    X_batch = check_X(X_batch, "X_batch")
    check_n_features(X_batch, state.mean.shape[0], "X_batch")
    return _ipca_step(state, X_batch)


def incremental_pca_params(state: IncrementalPCAState) -> PCAParams:
    """The :class:`PCAParams` described by an incremental state (needs ``n_seen >= 2``)."""
    n = state.n_seen
    d = state.mean.shape[0]
    var = state.singular_values**2 / (n - 1)
    total_var = jnp.sum(state.var) * n / (n - 1)
    rest = jnp.minimum(n, d) - state.components.shape[0]
    noise = jnp.where(rest > 0, jnp.maximum(total_var - jnp.sum(var), 0.0) / jnp.maximum(rest, 1),
                      0.0)
    return PCAParams(components=state.components, explained_variance=var,
                     explained_variance_ratio=var / total_var,
                     singular_values=state.singular_values, mean=state.mean,
                     noise_variance=noise, n_samples=n)


def _batch_bounds(n: int, batch_size: int, min_batch: int) -> list[tuple[int, int]]:
    """Consecutive slices of ``batch_size`` rows; a final remainder shorter than
    ``min_batch`` joins the previous slice (as scikit-learn's ``gen_batches``)."""
    bounds, start = [], 0
    while start < n:
        stop = start + batch_size
        if stop + min_batch > n:
            stop = n
        bounds.append((start, stop))
        start = stop
    return bounds


def incremental_pca(n_components: int, *, batch_size: int | None = None,
                    whiten: bool = False) -> Transformer:
    """PCA fitted batch by batch (:func:`incremental_pca_update`): ``fit(X) -> PCAParams``.

    ``batch_size`` defaults to ``5 * n_features``; full batches run as one ``lax.scan``,
    a last shorter batch (at least ``n_components`` rows, else merged) as one more step.
    For streams, fold :func:`incremental_pca_update` over batches yourself.
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    whiten = check_bool(whiten, "whiten")
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1)

    def fit(X) -> PCAParams:
        X = check_X(X)
        n, d = X.shape
        k = _check_n_components(n_components, X, min_rows=2)
        size = 5 * d if batch_size is None else batch_size
        if size < k:
            raise ValueError(f"batch_size must be >= n_components = {k}, got {size}")
        bounds = _batch_bounds(n, size, k)
        state = incremental_pca_init(k, d, X.dtype)
        full = [b for b in bounds if b[1] - b[0] == size]
        if full:
            batches = X[: len(full) * size].reshape(len(full), size, d)
            state = lax.scan(lambda s, B: (_ipca_step(s, B), None), state, batches)[0]
        for start, stop in bounds[len(full):]:
            state = _ipca_step(state, X[start:stop])
        return incremental_pca_params(state)

    return _pca_transformer(fit, whiten)


# ----------------------------------------------------------------------------- truncated SVD


@pytree_dataclass
class TruncatedSVDParams:
    """``components (k, d)``, ``singular_values (k,)``, ``explained_variance (k,)`` and
    ``explained_variance_ratio (k,)`` of a fitted truncated SVD."""

    components: jax.Array
    singular_values: jax.Array
    explained_variance: jax.Array
    explained_variance_ratio: jax.Array


def truncated_svd(n_components: int, *, algorithm: str = "randomized", n_oversamples: int = 10,
                  n_power_iter: int = 5) -> Transformer:
    """Rank-``k`` SVD of the uncentred data: ``fit(key, X) -> TruncatedSVDParams``.

    ``algorithm="randomized"`` uses :func:`randomized_svd`; ``"full"`` the LAPACK SVD (the
    key is then ignored, so both are called the same way).
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    algorithm = check_option(algorithm, "algorithm", ("randomized", "full"))
    n_oversamples = check_int(n_oversamples, "n_oversamples", minimum=0)
    n_power_iter = check_int(n_power_iter, "n_power_iter", minimum=0)

    def fit(key, X) -> TruncatedSVDParams:
        X = check_X(X)
        k = _check_n_components(n_components, X)
        if algorithm == "randomized":
            U, s, Vt = _randomized_svd(key, X, k, n_oversamples, n_power_iter)
        else:
            U, s, Vt = jnp.linalg.svd(X, full_matrices=False)
            U, Vt = svd_flip(U[:, :k], Vt[:k])
            s = s[:k]
        var = jnp.var(U * s[None, :], axis=0)
        return TruncatedSVDParams(components=Vt, singular_values=s, explained_variance=var,
                                  explained_variance_ratio=var / jnp.sum(jnp.var(X, axis=0)))

    def transform(params: TruncatedSVDParams, X) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.components.shape[1])
        return X @ params.components.T

    def inverse_transform(params: TruncatedSVDParams, Z) -> jax.Array:
        Z = check_X(Z, "Z")
        check_n_features(Z, params.components.shape[0], "Z")
        return Z @ params.components

    return Transformer(fit=fit, transform=transform, inverse_transform=inverse_transform)


# ----------------------------------------------------------------------------- factor analysis

_PSI_FLOOR = 1e-12


@pytree_dataclass
class FactorAnalysisParams:
    """``components (k, d)`` (the loadings ``W``), ``noise_variance (d,)`` (``diag Ψ``),
    ``mean (d,)``, ``loglike ()`` (total log-likelihood at the last iterate) and
    ``n_iter ()``."""

    components: jax.Array
    noise_variance: jax.Array
    mean: jax.Array
    loglike: jax.Array
    n_iter: jax.Array


def _fa_step(Xc, psi, k):
    """Closed-form W and log-likelihood for the current Ψ (module docstring)."""
    n, d = Xc.shape
    sqrt_psi = jnp.sqrt(psi) + _PSI_FLOOR
    s, Vt = jnp.linalg.svd(Xc / (sqrt_psi[None, :] * jnp.sqrt(n)), full_matrices=False)[1:]
    s2 = s**2
    W = jnp.sqrt(jnp.maximum(s2[:k] - 1.0, 0.0))[:, None] * Vt[:k] * sqrt_psi[None, :]
    ll = -0.5 * n * (d * jnp.log(2 * jnp.pi) + k + jnp.sum(jnp.log(s2[:k]))
                     + jnp.sum(s2[k:]) + jnp.sum(jnp.log(psi)))
    return W, ll


def factor_analysis(n_components: int, *, tol: float = 1e-2, max_iter: int = 1000) -> Transformer:
    """Factor analysis by SVD-based EM (module docstring): ``fit(X) -> FactorAnalysisParams``;
    ``transform`` gives the posterior means of the factors. ``tol`` is traceable.

    The log-likelihood of new data: :func:`factor_analysis_score_samples`.
    """
    n_components = check_int(n_components, "n_components", minimum=1)
    check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    def fit(X) -> FactorAnalysisParams:
        X = check_X(X)
        k = _check_n_components(n_components, X, min_rows=2)
        mean = jnp.mean(X, axis=0)
        Xc = X - mean[None, :]
        var = jnp.var(X, axis=0)
        W0 = jnp.zeros((k, X.shape[1]), X.dtype)
        ninf = jnp.asarray(-jnp.inf, X.dtype)

        def cond(c):
            i, _, _, ll, old = c
            return (i < max_iter) & ~(ll - old < tol)

        def body(c):
            i, psi, _, ll, _ = c
            W, new_ll = _fa_step(Xc, psi, k)
            psi_next = jnp.maximum(var - jnp.sum(W**2, axis=0), _PSI_FLOOR)
            converged = new_ll - ll < tol
            # like scikit-learn, keep the Ψ that produced the accepted likelihood
            psi = jnp.where(converged, psi, psi_next)
            return i + 1, psi, W, new_ll, ll

        # (-inf) - (-inf) is NaN and NaN < tol is False, so the first step always runs
        init = (jnp.int32(0), jnp.ones_like(var), W0, ninf, ninf)
        i, psi, W, ll, _ = lax.while_loop(cond, body, init)
        return FactorAnalysisParams(components=W, noise_variance=psi, mean=mean, loglike=ll,
                                    n_iter=i)

    def transform(params: FactorAnalysisParams, X) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.mean.shape[0])
        W_psi = params.components / params.noise_variance[None, :]
        k = W_psi.shape[0]
        cov_z = jnp.linalg.inv(jnp.eye(k, dtype=W_psi.dtype) + W_psi @ params.components.T)
        return (X - params.mean[None, :]) @ W_psi.T @ cov_z

    return Transformer(fit=fit, transform=transform, inverse_transform=None)


def factor_analysis_covariance(params: FactorAnalysisParams) -> jax.Array:
    """The model covariance ``Σ = Wᵀ W + diag(Ψ)`` of shape ``(d, d)``."""
    W = params.components
    return W.T @ W + jnp.diag(params.noise_variance)


def factor_analysis_score_samples(params: FactorAnalysisParams, X: Any) -> jax.Array:
    """Per-row Gaussian log-density ``log N(x; μ, Wᵀ W + Ψ)``, shape ``(n,)``."""
    X = check_X(X)
    check_n_features(X, params.mean.shape[0])
    L = jnp.linalg.cholesky(factor_analysis_covariance(params))
    r = jax.scipy.linalg.solve_triangular(L, (X - params.mean[None, :]).T, lower=True)
    d = X.shape[1]
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diag(L)))
    return -0.5 * (jnp.sum(r**2, axis=0) + d * jnp.log(2 * jnp.pi) + logdet)


def factor_analysis_score(params: FactorAnalysisParams, X: Any) -> jax.Array:
    """Mean per-row log-likelihood (scikit-learn's ``FactorAnalysis.score``)."""
    return jnp.mean(factor_analysis_score_samples(params, X))
