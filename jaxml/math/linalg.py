r"""Linear algebra from first principles: QR, eigenvalues, SVD, PCA, tensors, derivatives.

Every function is pure and jittable (shape-determining arguments such as ``k`` or
``n_components`` are static: ``jax.jit(f, static_argnames=...)``). Iterative algorithms use
``lax.fori_loop``/``lax.while_loop`` so they compile to one XLA loop. These are the
textbook algorithms written for reading; for large matrices call ``jnp.linalg`` (LAPACK).

**Orthogonalisation (M.la.1).** Gram–Schmidt turns the columns :math:`a_j` of
:math:`A\in\mathbb R^{m\times n}` (:math:`m\ge n`, full column rank) into orthonormal
:math:`q_j` with :math:`A = QR`, :math:`R` upper triangular:

.. math:: v_j = a_j - \sum_{i<j} (q_i^\top a_j)\, q_i,\qquad q_j = v_j/\lVert v_j\rVert .

The *classical* variant projects the original :math:`a_j`; the *modified* variant subtracts
each projection from the running remainder, which keeps :math:`\lVert Q^\top Q - I\rVert`
at :math:`O(\varepsilon\,\kappa(A))` instead of :math:`O(\varepsilon\,\kappa(A)^2)`
(Björck 1967). Householder QR applies reflections :math:`H = I - 2vv^\top/v^\top v` that zero
a column below the diagonal; it is backward stable with :math:`Q` orthogonal to machine
precision (Golub & Van Loan, *Matrix Computations*, §5.2). The orthogonal projector onto
:math:`\operatorname{col}(A)` is :math:`P = U_rU_r^\top` (left singular vectors of the
non-zero singular values); :math:`I - P` projects onto the orthogonal complement
:math:`\operatorname{col}(A)^\perp = \operatorname{null}(A^\top)`.

**Scalar invariants (M.la.2).** :math:`\operatorname{rank}A = \#\{\sigma_i > \tau\}` with
NumPy's tolerance :math:`\tau = \sigma_{\max}\max(m,n)\,\varepsilon`;
:math:`\operatorname{tr}A = \sum_i A_{ii} = \sum_i\lambda_i`; with partial pivoting
:math:`PA = LU` so :math:`\det A = \operatorname{sgn}(P)\prod_i U_{ii}`;
:math:`\kappa_2(A) = \sigma_{\max}/\sigma_{\min}`.

**Spectral theorem (M.la.3).** A real symmetric :math:`A = V\Lambda V^\top` with orthogonal
:math:`V`. Power iteration :math:`v \leftarrow Av/\lVert Av\rVert` converges to the dominant
eigenvector at rate :math:`|\lambda_2/\lambda_1|`; Hotelling deflation
:math:`A \leftarrow A - \lambda_1 v_1v_1^\top` exposes the next one. The cyclic Jacobi method
(Jacobi 1846) applies plane rotations :math:`J_{pq}` chosen so that
:math:`(J^\top AJ)_{pq}=0`; each rotation lowers
:math:`\operatorname{off}(A)^2 = \sum_{i\ne j}A_{ij}^2` by :math:`2A_{pq}^2` and sweeps
converge quadratically.

**SVD and Eckart–Young (M.la.4).** One-sided Jacobi (Hestenes 1958) rotates pairs of
columns of :math:`U \leftarrow A` until they are mutually orthogonal, accumulating the
rotations in :math:`V`; then :math:`\sigma_j = \lVert u_j\rVert`. This is implicitly Jacobi on
:math:`A^\top A` without squaring the condition number. The truncated SVD
:math:`A_k = \sum_{i\le k}\sigma_i u_iv_i^\top` is the best rank-:math:`k` approximation in
Frobenius and spectral norm (Eckart & Young 1936), with
:math:`\lVert A - A_k\rVert_F^2 = \sum_{i>k}\sigma_i^2` and
:math:`\lVert A - A_k\rVert_2 = \sigma_{k+1}`.

**PCA two ways (M.la.5).** Maximising the variance :math:`w^\top Cw` of a projection
subject to :math:`\lVert w\rVert = 1`, with :math:`C = X_c^\top X_c/(n-1)`, gives the
Lagrangian stationarity condition :math:`Cw = \lambda w`: the principal axes are the top
eigenvectors of the covariance. Writing :math:`X_c = USV^\top` gives
:math:`C = V\,\tfrac{S^2}{n-1}V^\top`, so the same axes are the right singular vectors with
variances :math:`\sigma_i^2/(n-1)`. The two agree up to the sign of each axis, which is fixed
here by making each component's largest-magnitude entry positive.

**Tensors (M.la.6).** ``einsum`` contractions; the Kronecker product
:math:`(A\otimes B)_{(ip+k),(jq+l)} = A_{ij}B_{kl}` and the Khatri–Rao (column-wise
Kronecker) product :math:`(A\odot B)_{:,r} = a_r\otimes b_r`.

**Derivatives (M.la.7).** The Jacobian :math:`J_{ij} = \partial f_i/\partial x_j`, the
Hessian :math:`H = \nabla^2 f`, and Taylor's approximation
:math:`f(x_0+\delta) \approx f(x_0) + Df(x_0)[\delta] + \tfrac12 D^2f(x_0)[\delta,\delta]`,
with error :math:`O(\lVert\delta\rVert^{2})` (first order) and :math:`O(\lVert\delta\rVert^{3})`
(second order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxml.core import check_array, check_int, check_option

__all__ = [
    "gram_schmidt",
    "householder_qr",
    "column_space_projector",
    "project_onto_column_space",
    "project_onto_orthogonal_complement",
    "matrix_rank",
    "trace",
    "lu",
    "det",
    "slogdet",
    "condition_number",
    "power_iteration",
    "top_k_eigh",
    "eigh_jacobi",
    "svd_jacobi",
    "low_rank_approx",
    "eckart_young_error",
    "PCAResult",
    "pca_eig",
    "pca_svd",
    "pca_transform",
    "tensordot",
    "mode_product",
    "kron",
    "khatri_rao",
    "jacobian",
    "hessian",
    "hvp",
    "taylor_approx",
]


def _matrix(A: Any, name: str = "A", *, square: bool = False) -> jax.Array:
    A = check_array(A, name, ndim=2, dtype_kind="f")
    if square and A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be square, got shape {A.shape}")
    return A


def _eps(dtype: Any) -> float:
    return float(jnp.finfo(dtype).eps)


def _sign(x: jax.Array) -> jax.Array:
    """Sign with sign(0) = +1, so rotations and reflections are always defined."""
    return jnp.where(x >= 0, 1.0, -1.0).astype(x.dtype)


# ----------------------------------------------------------------------------- M.la.1 QR


def gram_schmidt(A: Any, *, modified: bool = True) -> tuple[jax.Array, jax.Array]:
    """Reduced QR by Gram–Schmidt: ``A = Q @ R`` with orthonormal columns in ``Q``.

    Args:
      A: ``(m, n)`` matrix with ``m >= n`` and full column rank.
      modified: ``True`` for modified Gram–Schmidt (subtract each projection from the
        running remainder, numerically better), ``False`` for classical Gram–Schmidt.

    Returns:
      ``Q`` of shape ``(m, n)`` and upper-triangular ``R`` of shape ``(n, n)`` with a
      positive diagonal (so the factorisation is unique).
    """
    A = _matrix(A)
    m, n = A.shape
    if m < n:
        raise ValueError(f"A must have at least as many rows as columns, got shape {A.shape}")
    return _gram_schmidt(A, modified)


@partial(jax.jit, static_argnames="modified")
def _gram_schmidt(A: jax.Array, modified: bool) -> tuple[jax.Array, jax.Array]:
    n = A.shape[1]
    idx = jnp.arange(n)

    def classical(j, carry):
        Q, R = carry
        a = A[:, j]
        r = Q.T @ a  # columns >= j of Q are still zero, so only i < j contribute
        v = a - Q @ r
        rjj = jnp.linalg.norm(v)
        return Q.at[:, j].set(v / rjj), R.at[:, j].set(r.at[j].set(rjj))

    def modified_step(j, carry):
        V, Q, R = carry
        v = V[:, j]
        rjj = jnp.linalg.norm(v)
        q = v / rjj
        r_row = jnp.where(idx > j, q @ V, 0.0)
        V = V - jnp.outer(q, r_row)
        return V, Q.at[:, j].set(q), R.at[j, :].set(r_row.at[j].set(rjj))

    Q0 = jnp.zeros_like(A)
    R0 = jnp.zeros((n, n), A.dtype)
    if modified:
        _, Q, R = lax.fori_loop(0, n, modified_step, (A, Q0, R0))
    else:
        Q, R = lax.fori_loop(0, n, classical, (Q0, R0))
    return Q, R


def householder_qr(A: Any, *, mode: str = "reduced") -> tuple[jax.Array, jax.Array]:
    """QR by Householder reflections (Golub & Van Loan, Alg. 5.2.1).

    For ``k = 0..min(m, n)-1`` the reflection ``H_k = I - 2 v vᵀ / vᵀv`` with
    ``v = x - α e_k``, ``α = -sign(x_k) ||x||`` (no cancellation) zeroes column ``k`` below
    the diagonal; ``Q = H_0 H_1 ⋯``. Signs are normalised so ``diag(R) >= 0``.

    Args:
      A: ``(m, n)`` matrix (any shape).
      mode: ``"reduced"`` (``Q: (m, k)``, ``R: (k, n)``, ``k = min(m, n)``) or
        ``"complete"`` (``Q: (m, m)``, ``R: (m, n)``).
    """
    A = _matrix(A)
    check_option(mode, "mode", ("reduced", "complete"))
    return _householder_qr(A, mode)


@partial(jax.jit, static_argnames="mode")
def _householder_qr(A: jax.Array, mode: str) -> tuple[jax.Array, jax.Array]:
    m, n = A.shape
    k = min(m, n)
    rows = jnp.arange(m)

    def step(j, carry):
        Q, R = carry
        x = jnp.where(rows >= j, R[:, j], 0.0)
        alpha = -_sign(x[j]) * jnp.linalg.norm(x)
        v = x.at[j].add(-alpha)
        vv = v @ v
        beta = jnp.where(vv > 0, 2.0 / jnp.where(vv > 0, vv, 1.0), 0.0)
        R = R - beta * jnp.outer(v, v @ R)
        Q = Q - beta * jnp.outer(Q @ v, v)
        return Q, R

    Q, R = lax.fori_loop(0, k, step, (jnp.eye(m, dtype=A.dtype), A))
    R = jnp.triu(R)
    d = _sign(jnp.diagonal(R)[:k])
    Q = Q.at[:, :k].multiply(d[None, :])
    R = R.at[:k, :].multiply(d[:, None])
    if mode == "reduced":
        return Q[:, :k], R[:k, :]
    return Q, R


def _rank_mask(s: jax.Array, shape: tuple[int, int], rtol: Any) -> jax.Array:
    tol = s[0] * (max(shape) * _eps(s.dtype) if rtol is None else rtol)
    return s > tol


def column_space_projector(A: Any, *, rtol: float | None = None) -> jax.Array:
    """The orthogonal projector ``P = U_r U_rᵀ`` onto ``col(A)`` (works for any rank).

    ``P`` is symmetric and idempotent; singular values below ``rtol * σ_max`` (default
    NumPy's ``max(m, n) ε``) are treated as zero.
    """
    A = _matrix(A)
    U, s, _ = jnp.linalg.svd(A, full_matrices=False)
    Ur = U * _rank_mask(s, A.shape, rtol)[None, :].astype(A.dtype)
    return Ur @ Ur.T


def _rhs(A: jax.Array, y: Any) -> jax.Array:
    y = check_array(y, "y", ndim=(1, 2), dtype_kind="f")
    if y.shape[0] != A.shape[0]:
        raise ValueError(f"y must have {A.shape[0]} rows (the rows of A), got shape {y.shape}")
    return y


def project_onto_column_space(A: Any, y: Any, *, rtol: float | None = None) -> jax.Array:
    """``P y``: the closest point to ``y`` (a vector or columns of a matrix) in ``col(A)``."""
    A = _matrix(A)
    y = _rhs(A, y)
    return column_space_projector(A, rtol=rtol) @ y


def project_onto_orthogonal_complement(A: Any, y: Any, *, rtol: float | None = None) -> jax.Array:
    """``(I - P) y``: the component of ``y`` in ``col(A)^⊥ = null(Aᵀ)``."""
    A = _matrix(A)
    y = _rhs(A, y)
    return y - column_space_projector(A, rtol=rtol) @ y


# ----------------------------------------------------------------------------- M.la.2


def matrix_rank(A: Any, *, rtol: float | None = None) -> jax.Array:
    """Numerical rank: the number of singular values above ``σ_max · max(m, n) · ε``.

    Same default tolerance as ``numpy.linalg.matrix_rank``; ``rtol`` overrides the factor.
    """
    A = _matrix(A)
    s = jnp.linalg.svd(A, compute_uv=False)
    return jnp.sum(_rank_mask(s, A.shape, rtol)).astype(jnp.int32)


def trace(A: Any) -> jax.Array:
    """``tr A = Σ_i A_ii`` (an ``einsum("ii->")``); equals the sum of the eigenvalues."""
    A = _matrix(A, square=True)
    return jnp.einsum("ii->", A)


def lu(A: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
    """LU with partial pivoting: ``A[perm] == L @ U``.

    At step ``k`` the row with the largest ``|U_ik|`` (``i >= k``) is swapped up, then
    multipliers ``l_ik = U_ik / U_kk`` eliminate below the pivot. Multipliers are stored
    below the diagonal of the working matrix, so row swaps move them too.

    Returns:
      ``perm`` (int32 ``(n,)``), unit-lower-triangular ``L`` and upper-triangular ``U``.
      A zero pivot (singular ``A``) leaves its column un-eliminated, so ``U`` has a zero
      on the diagonal and ``det(A) == 0``.
    """
    return _lu(_matrix(A, square=True))


@jax.jit
def _lu(A: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    n = A.shape[0]
    idx = jnp.arange(n)

    def step(k, carry):
        M, perm = carry
        p = jnp.argmax(jnp.where(idx >= k, jnp.abs(M[:, k]), -1.0))
        rk, rp = M[k], M[p]
        M = M.at[k].set(rp).at[p].set(rk)
        pk, pp = perm[k], perm[p]
        perm = perm.at[k].set(pp).at[p].set(pk)
        pivot = M[k, k]
        safe = jnp.where(pivot == 0, 1.0, pivot)
        factors = jnp.where((idx > k) & (pivot != 0), M[:, k] / safe, 0.0)
        M = M - jnp.outer(factors, jnp.where(idx > k, M[k], 0.0))
        M = M.at[:, k].set(jnp.where(idx > k, factors, M[:, k]))
        return M, perm

    M, perm = lax.fori_loop(0, n, step, (A, idx.astype(jnp.int32)))
    L = jnp.tril(M, -1) + jnp.eye(n, dtype=A.dtype)
    return perm, L, jnp.triu(M)


def _perm_sign(perm: jax.Array) -> jax.Array:
    """Sign of a permutation: ``(-1)^(n - #cycles)`` via counting inversions."""
    i, j = jnp.triu_indices(perm.shape[0], 1)
    inversions = jnp.sum(perm[i] > perm[j])
    return jnp.where(inversions % 2 == 0, 1.0, -1.0)


def slogdet(A: Any) -> tuple[jax.Array, jax.Array]:
    """``(sign, log|det A|)`` from the LU factors: ``Σ log|U_ii|`` (no overflow)."""
    perm, _, U = lu(A)
    d = jnp.diagonal(U)
    sign = _perm_sign(perm).astype(U.dtype) * jnp.prod(jnp.sign(d))
    return sign, jnp.sum(jnp.log(jnp.abs(d)))


def det(A: Any) -> jax.Array:
    """``det A = sgn(perm) Π_i U_ii`` from the pivoted LU factorisation."""
    perm, _, U = lu(A)
    return _perm_sign(perm).astype(U.dtype) * jnp.prod(jnp.diagonal(U))


def condition_number(A: Any) -> jax.Array:
    """Spectral condition number ``κ₂(A) = σ_max / σ_min`` (``inf`` when singular)."""
    A = _matrix(A)
    s = jnp.linalg.svd(A, compute_uv=False)
    return jnp.where(s[-1] > 0, s[0] / jnp.where(s[-1] > 0, s[-1], 1.0), jnp.inf)


# ----------------------------------------------------------------------------- M.la.3


def power_iteration(
    key: jax.Array, A: Any, *, num_iters: int = 1000, tol: float = 1e-6
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Dominant eigenpair of a symmetric matrix by power iteration.

    ``v ← A v / ||A v||`` from a random start; the eigenvalue is the Rayleigh quotient
    ``λ = vᵀ A v``. Stops when the residual ``||A v − λ v|| <= tol · |λ|`` or after
    ``num_iters`` iterations. Converges at rate ``|λ₂/λ₁|`` (fails if ``|λ₁| = |λ₂|``).

    Returns:
      ``(eigenvalue, eigenvector, iterations)``.
    """
    A = _matrix(A, square=True)
    num_iters = check_int(num_iters, "num_iters", minimum=1)
    return _power_iteration(key, A, num_iters, tol)


@partial(jax.jit, static_argnames="num_iters")
def _power_iteration(key, A, num_iters, tol):
    v0 = jax.random.normal(key, (A.shape[0],), A.dtype)
    v0 = v0 / jnp.linalg.norm(v0)

    def cond(state):
        i, _, lam, res = state
        return (i < num_iters) & (res > tol * jnp.abs(lam))

    def body(state):
        i, v, _, _ = state
        w = A @ v
        v = w / jnp.linalg.norm(w)
        Av = A @ v
        lam = v @ Av
        return i + 1, v, lam, jnp.linalg.norm(Av - lam * v)

    lam0 = v0 @ A @ v0
    state = (jnp.int32(0), v0, lam0, jnp.asarray(jnp.inf, A.dtype))
    i, v, lam, _ = lax.while_loop(cond, body, state)
    return lam, v, i


def top_k_eigh(
    key: jax.Array, A: Any, k: int, *, num_iters: int = 1000, tol: float = 1e-6
) -> tuple[jax.Array, jax.Array]:
    """The ``k`` largest-magnitude eigenpairs by power iteration with Hotelling deflation.

    After finding ``(λ_i, v_i)``, ``A ← A − λ_i v_i v_iᵀ`` removes it from the spectrum.

    Returns:
      eigenvalues ``(k,)`` in decreasing magnitude and eigenvectors as columns ``(n, k)``.
    """
    A = _matrix(A, square=True)
    k = check_int(k, "k", minimum=1)
    if k > A.shape[0]:
        raise ValueError(f"k must be <= {A.shape[0]} (the size of A), got {k}")

    num_iters = check_int(num_iters, "num_iters", minimum=1)

    def step(B, key_i):
        lam, v, _ = _power_iteration(key_i, B, num_iters, tol)
        return B - lam * jnp.outer(v, v), (lam, v)

    _, (lams, vecs) = lax.scan(step, A, jax.random.split(key, k))
    return lams, vecs.T


def _jacobi_pairs(n: int) -> tuple[jax.Array, jax.Array]:
    p, q = np.triu_indices(n, 1)
    return jnp.asarray(p, jnp.int32), jnp.asarray(q, jnp.int32)


def _rotation(a_pp: jax.Array, a_qq: jax.Array, a_pq: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(c, s)`` of the Jacobi rotation that zeroes ``a_pq`` (Golub & Van Loan Alg. 8.5.1)."""
    nonzero = a_pq != 0
    tau = (a_qq - a_pp) / (2.0 * jnp.where(nonzero, a_pq, 1.0))
    t = _sign(tau) / (jnp.abs(tau) + jnp.sqrt(1.0 + tau * tau))
    t = jnp.where(nonzero, t, 0.0)
    c = 1.0 / jnp.sqrt(1.0 + t * t)
    return c, t * c


def _rotate_columns(M: jax.Array, p: jax.Array, q: jax.Array, c, s) -> jax.Array:
    mp, mq = M[:, p], M[:, q]
    return M.at[:, p].set(c * mp - s * mq).at[:, q].set(s * mp + c * mq)


def eigh_jacobi(
    A: Any, *, tol: float | None = None, max_sweeps: int = 30
) -> tuple[jax.Array, jax.Array]:
    """Symmetric eigendecomposition ``A = V diag(w) Vᵀ`` by the cyclic Jacobi method.

    Each sweep visits every pair ``p < q`` and applies the rotation ``A ← Jᵀ A J`` that
    zeroes ``A_pq``, accumulating ``V ← V J``. Sweeps repeat until
    ``off(A) <= tol · ||A||_F`` (default ``tol = n ε``) or ``max_sweeps``.

    Returns:
      eigenvalues ``w`` in ascending order (as ``numpy.linalg.eigh``) and eigenvectors as
      the columns of ``V``.
    """
    A = _matrix(A, square=True)
    n = A.shape[0]
    max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
    tol = n * _eps(A.dtype) if tol is None else tol
    return _eigh_jacobi(A, tol, max_sweeps)


@partial(jax.jit, static_argnames="max_sweeps")
def _eigh_jacobi(A, tol, max_sweeps):
    n = A.shape[0]
    A = 0.5 * (A + A.T)
    P, Q = _jacobi_pairs(n)
    scale = jnp.linalg.norm(A)

    off_diagonal = ~jnp.eye(n, dtype=bool)

    def off(M):  # summed directly: ||M||² − Σ diag² would cancel catastrophically
        return jnp.sqrt(jnp.sum(jnp.where(off_diagonal, M * M, 0.0)))

    def rotate(i, carry):
        M, V = carry
        p, q = P[i], Q[i]
        c, s = _rotation(M[p, p], M[q, q], M[p, q])
        M = _rotate_columns(M, p, q, c, s)
        M = _rotate_columns(M.T, p, q, c, s).T
        return M, _rotate_columns(V, p, q, c, s)

    def cond(state):
        sweep, M, _ = state
        return (sweep < max_sweeps) & (off(M) > tol * scale)

    def sweep(state):
        k, M, V = state
        M, V = lax.fori_loop(0, P.shape[0], rotate, (M, V))
        return k + 1, M, V

    _, M, V = lax.while_loop(cond, sweep, (jnp.int32(0), A, jnp.eye(n, dtype=A.dtype)))
    w = jnp.diagonal(M)
    order = jnp.argsort(w)
    return w[order], V[:, order]


# ----------------------------------------------------------------------------- M.la.4


def svd_jacobi(
    A: Any, *, tol: float | None = None, max_sweeps: int = 30
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Thin SVD ``A = U diag(s) Vt`` by one-sided (Hestenes) Jacobi.

    For each column pair ``(p, q)`` of the working matrix ``U`` (initially ``A``) with
    ``α = ||u_p||², β = ||u_q||², γ = u_pᵀu_q``, the rotation with
    ``ζ = (β − α)/(2γ)``, ``t = sign(ζ)/(|ζ| + √(1+ζ²))`` makes the two columns orthogonal;
    the same rotation is accumulated in ``V``. Sweeps stop when every
    ``|γ|/√(αβ) <= tol`` (default ``max(m, n) ε``). Finally ``σ_j = ||u_j||`` and
    ``u_j ← u_j/σ_j``; wide matrices are handled through ``Aᵀ``.

    Returns:
      ``U (m, k)``, ``s (k,)`` in decreasing order, ``Vt (k, n)`` with ``k = min(m, n)``.
      Columns of ``U`` for exactly-zero singular values are zero.
    """
    A = _matrix(A)
    m, n = A.shape
    if m < n:
        U, s, Vt = svd_jacobi(A.T, tol=tol, max_sweeps=max_sweeps)
        return Vt.T, s, U.T
    max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
    tol = max(m, n) * _eps(A.dtype) if tol is None else tol
    return _svd_jacobi(A, tol, max_sweeps)


@partial(jax.jit, static_argnames="max_sweeps")
def _svd_jacobi(A, tol, max_sweeps):
    n = A.shape[1]
    P, Q = _jacobi_pairs(n)
    tiny = jnp.finfo(A.dtype).tiny

    def rotate(i, carry):
        W, V, worst = carry
        p, q = P[i], Q[i]
        wp, wq = W[:, p], W[:, q]
        alpha, beta, gamma = wp @ wp, wq @ wq, wp @ wq
        rel = jnp.abs(gamma) / jnp.sqrt(jnp.maximum(alpha * beta, tiny))
        c, s = _rotation(alpha, beta, jnp.where(rel > tol, gamma, 0.0))
        W = _rotate_columns(W, p, q, c, s)
        V = _rotate_columns(V, p, q, c, s)
        return W, V, jnp.maximum(worst, jnp.where(alpha * beta > tiny, rel, 0.0))

    def cond(state):
        sweep, _, _, worst = state
        return (sweep < max_sweeps) & (worst > tol)

    def sweep(state):
        k, W, V, _ = state
        W, V, worst = lax.fori_loop(0, P.shape[0], rotate, (W, V, jnp.zeros((), A.dtype)))
        return k + 1, W, V, worst

    init = (jnp.int32(0), A, jnp.eye(n, dtype=A.dtype), jnp.asarray(jnp.inf, A.dtype))
    _, W, V, _ = lax.while_loop(cond, sweep, init)
    s = jnp.linalg.norm(W, axis=0)
    order = jnp.argsort(-s)
    s, W, V = s[order], W[:, order], V[:, order]
    U = jnp.where(s[None, :] > 0, W / jnp.where(s > 0, s, 1.0)[None, :], 0.0)
    return U, s, V.T


def low_rank_approx(A: Any, k: int) -> jax.Array:
    """Eckart–Young best rank-``k`` approximation ``A_k = U_k diag(s_k) V_kᵀ``."""
    A = _matrix(A)
    k = check_int(k, "k", minimum=0)
    if k > min(A.shape):
        raise ValueError(f"k must be <= min(A.shape) = {min(A.shape)}, got {k}")
    U, s, Vt = svd_jacobi(A)
    return (U[:, :k] * s[None, :k]) @ Vt[:k]


def eckart_young_error(s: Any, k: int) -> jax.Array:
    """``||A − A_k||_F² = Σ_{i>k} σ_i²`` from the singular values ``s`` (decreasing)."""
    s = check_array(s, "s", ndim=1, dtype_kind="f")
    k = check_int(k, "k", minimum=0)
    if k > s.shape[0]:
        raise ValueError(f"k must be <= len(s) = {s.shape[0]}, got {k}")
    return jnp.sum(s[k:] ** 2)


# ----------------------------------------------------------------------------- M.la.5


class PCAResult(NamedTuple):
    """Principal axes as rows of ``components`` ``(k, d)``, their variances, and the mean."""

    components: jax.Array
    explained_variance: jax.Array
    explained_variance_ratio: jax.Array
    mean: jax.Array


def _pca_inputs(X: Any, n_components: int) -> tuple[jax.Array, jax.Array, int]:
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    n, d = X.shape
    if n < 2:
        raise ValueError(f"X must have at least 2 rows, got shape {X.shape}")
    n_components = check_int(n_components, "n_components", minimum=1)
    if n_components > min(n, d):
        raise ValueError(f"n_components must be <= min(n, d) = {min(n, d)}, got {n_components}")
    mean = jnp.mean(X, axis=0)
    return X - mean[None, :], mean, n_components


def _flip_signs(components: jax.Array) -> jax.Array:
    """Make the largest-magnitude entry of every row positive (a unique sign convention)."""
    idx = jnp.argmax(jnp.abs(components), axis=1)
    signs = _sign(jnp.take_along_axis(components, idx[:, None], axis=1))
    return components * signs


def pca_eig(X: Any, n_components: int) -> PCAResult:
    """PCA as variance maximisation: top eigenvectors of ``C = X_cᵀ X_c / (n − 1)``.

    Uses :func:`eigh_jacobi` on the ``(d, d)`` covariance.
    """
    Xc, mean, k = _pca_inputs(X, n_components)
    C = Xc.T @ Xc / (Xc.shape[0] - 1)
    w, V = eigh_jacobi(C)
    w, V = w[::-1], V[:, ::-1]
    var = jnp.maximum(w[:k], 0.0)
    return PCAResult(_flip_signs(V[:, :k].T), var, var / jnp.trace(C), mean)


def pca_svd(X: Any, n_components: int) -> PCAResult:
    """PCA from the SVD ``X_c = U S Vᵀ``: axes ``V``, variances ``σ²/(n − 1)``.

    Uses :func:`svd_jacobi` on the centred data.
    """
    Xc, mean, k = _pca_inputs(X, n_components)
    _, s, Vt = svd_jacobi(Xc)
    var = s**2 / (Xc.shape[0] - 1)
    return PCAResult(_flip_signs(Vt[:k]), var[:k], var[:k] / jnp.sum(var), mean)


def pca_transform(result: PCAResult, X: Any) -> jax.Array:
    """Scores ``(X − mean) @ componentsᵀ`` of shape ``(n, k)``."""
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    if X.shape[1] != result.mean.shape[0]:
        raise ValueError(
            f"X has {X.shape[1]} features, but the PCA was fitted with {result.mean.shape[0]}"
        )
    return (X - result.mean[None, :]) @ result.components.T


# ----------------------------------------------------------------------------- M.la.6

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def tensordot(a: Any, b: Any, axes: int | tuple[Sequence[int], Sequence[int]] = 2) -> jax.Array:
    """``numpy.tensordot`` written as one ``einsum``.

    ``axes=N`` contracts the last ``N`` axes of ``a`` with the first ``N`` of ``b``;
    ``axes=(ax_a, ax_b)`` contracts the listed pairs. The result's axes are ``a``'s free
    axes followed by ``b``'s, e.g. ``axes=1`` on matrices is ``a @ b``.
    """
    a = check_array(a, "a", dtype_kind="f")
    b = check_array(b, "b", dtype_kind="f")
    if isinstance(axes, (int, np.integer)):
        axes = check_int(axes, "axes", minimum=0)
        if axes > min(a.ndim, b.ndim):
            raise ValueError(f"axes={axes} exceeds the rank of a ({a.ndim}) or b ({b.ndim})")
        ax_a, ax_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        ax_a, ax_b = [list(np.atleast_1d(x)) for x in axes]
        if len(ax_a) != len(ax_b):
            raise ValueError(f"axes must pair up the same number of axes, got {axes}")
        ax_a = [int(x) % a.ndim for x in ax_a]
        ax_b = [int(x) % b.ndim for x in ax_b]
    if a.ndim + b.ndim > len(_LETTERS):
        raise ValueError("a and b together have too many axes for einsum")
    for i, j in zip(ax_a, ax_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"axes: a axis {i} has size {a.shape[i]} but b axis {j} has {b.shape[j]}")
    sa = list(_LETTERS[: a.ndim])
    sb = list(_LETTERS[a.ndim : a.ndim + b.ndim])
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in ax_a] + [
        c for j, c in enumerate(sb) if j not in ax_b
    ]
    return jnp.einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


def mode_product(T: Any, M: Any, mode: int) -> jax.Array:
    """The mode-``n`` product ``T ×_n M`` (Kolda & Bader 2009).

    ``(T ×_n M)_{i_1..j..i_N} = Σ_{i_n} T_{i_1..i_n..i_N} M_{j i_n}``: every mode-``n`` fibre of
    ``T`` is multiplied by ``M`` (shape ``(J, I_n)``), so axis ``n`` changes size to ``J``.
    """
    T = check_array(T, "T", dtype_kind="f")
    M = _matrix(M, "M")
    mode = check_int(mode, "mode", minimum=0)
    if mode >= T.ndim:
        raise ValueError(f"mode must be < T.ndim = {T.ndim}, got {mode}")
    if M.shape[1] != T.shape[mode]:
        raise ValueError(f"M must have {T.shape[mode]} columns (T's mode size), got {M.shape}")
    st = _LETTERS[: T.ndim]
    new = _LETTERS[T.ndim]
    out = st[:mode] + new + st[mode + 1 :]
    return jnp.einsum(f"{st},{new}{st[mode]}->{out}", T, M)


def kron(A: Any, B: Any) -> jax.Array:
    """Kronecker product ``A ⊗ B`` of shape ``(m p, n q)`` via ``einsum("ij,kl->ikjl")``."""
    A, B = _matrix(A, "A"), _matrix(B, "B")
    (m, n), (p, q) = A.shape, B.shape
    return jnp.einsum("ij,kl->ikjl", A, B).reshape(m * p, n * q)


def khatri_rao(A: Any, B: Any) -> jax.Array:
    """Khatri–Rao product: column-wise Kronecker, ``(A ⊙ B)[:, r] = A[:, r] ⊗ B[:, r]``."""
    A, B = _matrix(A, "A"), _matrix(B, "B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A and B must have the same number of columns, got {A.shape} and {B.shape}")
    return jnp.einsum("ir,jr->ijr", A, B).reshape(A.shape[0] * B.shape[0], A.shape[1])


# ----------------------------------------------------------------------------- M.la.7


def _callable(f: Any) -> None:
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")


def jacobian(f: Callable, x: Any, *, mode: str = "reverse") -> jax.Array:
    """Jacobian ``J_ij = ∂f_i/∂x_j`` of shape ``f(x).shape + x.shape``.

    ``mode="reverse"`` builds it row by row with VJPs (cheap when outputs are few),
    ``"forward"`` column by column with JVPs (cheap when inputs are few).
    """
    _callable(f)
    check_option(mode, "mode", ("reverse", "forward"))
    x = check_array(x, "x", dtype_kind="f")
    return (jax.jacrev(f) if mode == "reverse" else jax.jacfwd(f))(x)


def hessian(f: Callable, x: Any) -> jax.Array:
    """Hessian ``H_ij = ∂²f/∂x_i∂x_j`` of a scalar ``f``: forward-over-reverse."""
    _callable(f)
    x = check_array(x, "x", dtype_kind="f")
    return jax.jacfwd(jax.jacrev(f))(x)


def hvp(f: Callable, x: Any, v: Any) -> jax.Array:
    """Hessian-vector product ``∇²f(x) v = D(∇f)(x)[v]`` without forming the Hessian.

    Forward-over-reverse with JAX's transforms (``jax.jvp`` of ``jax.grad``): the one
    place code built on JAX takes an HVP from. :func:`jaxml.math.autodiff.hvp` is the same
    construction inside the from-scratch teaching engine.
    """
    _callable(f)
    x = check_array(x, "x", dtype_kind="f")
    v = check_array(v, "v", dtype_kind="f")
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x {x.shape}, got {v.shape}")
    return jax.jvp(jax.grad(f), (x,), (v,))[1]


def taylor_approx(f: Callable, x0: Any, dx: Any, *, order: int = 2) -> jax.Array:
    """Taylor polynomial of ``f`` around ``x0`` evaluated at ``x0 + dx``.

    ``order=1``: ``f(x0) + Df(x0)[dx]``; ``order=2`` adds ``½ D²f(x0)[dx, dx]``. Directional
    derivatives come from nested JVPs, so ``f`` may be vector-valued and no Jacobian or
    Hessian is materialised.
    """
    _callable(f)
    check_option(order, "order", (1, 2))
    x0 = check_array(x0, "x0", dtype_kind="f")
    dx = check_array(dx, "dx", dtype_kind="f")
    if dx.shape != x0.shape:
        raise ValueError(f"dx must have the shape of x0 {x0.shape}, got {dx.shape}")

    def directional(x):
        return jax.jvp(f, (x,), (dx,))[1]

    f0, d1 = jax.jvp(f, (x0,), (dx,))
    if order == 1:
        return f0 + d1
    d2 = jax.jvp(directional, (x0,), (dx,))[1]
    return f0 + d1 + 0.5 * d2
