"""jaxml.math.linalg vs numpy.linalg, scikit-learn PCA, scipy and finite differences."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from sklearn.decomposition import PCA

from jaxml.math import linalg as L

RNG = np.random.default_rng(0)
A64 = RNG.normal(size=(6, 4))
A = A64.astype(np.float32)
S = RNG.normal(size=(5, 5)).astype(np.float32)
SYM = (S + S.T).astype(np.float32)
KEY = jax.random.PRNGKey(0)


def _align_columns(X, Y):
    """Flip signs of the columns of X to match Y (eigen/singular vectors are ± defined)."""
    signs = np.sign(np.sum(np.asarray(X) * np.asarray(Y), axis=0))
    return np.asarray(X) * signs[None, :]


# ----------------------------------------------------------------------------- QR


@pytest.mark.parametrize("modified", [True, False])
def test_gram_schmidt_matches_numpy_qr(modified):
    Q, R = L.gram_schmidt(A, modified=modified)
    assert Q.shape == (6, 4) and R.shape == (4, 4) and Q.dtype == jnp.float32
    np.testing.assert_allclose(Q @ R, A, atol=1e-5)
    np.testing.assert_allclose(Q.T @ Q, np.eye(4), atol=1e-5)
    Qn, Rn = np.linalg.qr(A64)
    d = np.sign(np.diag(Rn))
    np.testing.assert_allclose(R, d[:, None] * Rn, atol=1e-4)
    np.testing.assert_allclose(Q, Qn * d[None, :], atol=1e-4)
    jitted = jax.jit(partial(L.gram_schmidt, modified=modified))(A)
    np.testing.assert_allclose(jitted[0], Q, atol=1e-6)


def test_modified_gram_schmidt_more_orthogonal_than_classical():
    # Läuchli-style ill-conditioned matrix: classical GS loses orthogonality badly.
    eps = 1e-3
    M = np.array([[1, 1, 1], [eps, 0, 0], [0, eps, 0], [0, 0, eps]], np.float32)
    err = {m: float(np.abs(np.asarray(L.gram_schmidt(M, modified=m)[0].T
                                      @ L.gram_schmidt(M, modified=m)[0]) - np.eye(3)).max())
           for m in (True, False)}
    assert err[True] < 1e-2 < err[False]


def test_householder_qr_modes_and_shapes():
    Q, R = L.householder_qr(A)
    assert Q.shape == (6, 4) and R.shape == (4, 4)
    np.testing.assert_allclose(Q @ R, A, atol=1e-5)
    np.testing.assert_allclose(Q.T @ Q, np.eye(4), atol=1e-5)
    assert np.all(np.diag(R) >= 0) and np.allclose(np.tril(R, -1), 0)
    _, Rn = np.linalg.qr(A64)
    np.testing.assert_allclose(np.abs(R), np.abs(Rn), atol=1e-4)
    Qc, Rc = L.householder_qr(A, mode="complete")
    assert Qc.shape == (6, 6) and Rc.shape == (6, 4)
    np.testing.assert_allclose(Qc.T @ Qc, np.eye(6), atol=1e-5)
    np.testing.assert_allclose(Qc @ Rc, A, atol=1e-5)
    Qw, Rw = L.householder_qr(A.T)  # wide matrix
    assert Qw.shape == (4, 4) and Rw.shape == (4, 6)
    np.testing.assert_allclose(Qw @ Rw, A.T, atol=1e-5)
    Qj, Rj = jax.jit(L.householder_qr)(A)
    np.testing.assert_allclose(Rj, R, atol=1e-6)
    with pytest.raises(ValueError, match="mode"):
        L.householder_qr(A, mode="full")


def test_qr_bad_input():
    with pytest.raises(ValueError, match="A must have rank 2"):
        L.gram_schmidt(np.ones(3))
    with pytest.raises(ValueError, match="at least as many rows"):
        L.gram_schmidt(A.T)
    with pytest.raises(ValueError, match="A must be finite"):
        L.householder_qr(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_projections_onto_column_space_and_complement():
    RNG = np.random.default_rng(401)  # per-test stream: order-independent
    B = A[:, :2] @ RNG.normal(size=(2, 3)).astype(np.float32)  # rank 2, 3 columns
    y = RNG.normal(size=6).astype(np.float32)
    Pn = B[:, :2] @ np.linalg.pinv(B[:, :2])  # projector onto the same 2-d column space
    p = L.project_onto_column_space(B, y)
    r = L.project_onto_orthogonal_complement(B, y)
    np.testing.assert_allclose(p, Pn @ y, atol=1e-4)
    np.testing.assert_allclose(p + r, y, atol=1e-5)
    np.testing.assert_allclose(B.T @ r, np.zeros(3), atol=1e-4)  # r ⟂ col(B)
    P = L.column_space_projector(B)
    np.testing.assert_allclose(P @ P, P, atol=1e-5)
    np.testing.assert_allclose(P, P.T, atol=1e-6)
    Y = np.stack([y, 2 * y], axis=1)
    assert L.project_onto_column_space(B, Y).shape == (6, 2)
    np.testing.assert_allclose(jax.jit(L.project_onto_column_space)(B, y), p, atol=1e-6)
    with pytest.raises(ValueError, match="y must have 6 rows"):
        L.project_onto_column_space(B, np.ones(5))


# ----------------------------------------------------------------------------- rank etc.


def test_rank_trace_det_cond_match_numpy():
    low = (A[:, :2] @ A[:, :2].T).astype(np.float32)  # 6x6 of rank 2
    assert int(L.matrix_rank(low)) == np.linalg.matrix_rank(low) == 2
    assert int(L.matrix_rank(A)) == 4
    np.testing.assert_allclose(L.trace(S), np.trace(S), rtol=1e-6)
    np.testing.assert_allclose(L.trace(SYM), np.linalg.eigvalsh(SYM).sum(), atol=1e-4)
    np.testing.assert_allclose(L.det(S), np.linalg.det(S.astype(np.float64)), rtol=1e-4)
    sign, logabs = L.slogdet(S)
    sn, ln = np.linalg.slogdet(S.astype(np.float64))
    assert float(sign) == sn
    np.testing.assert_allclose(logabs, ln, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(L.condition_number(S), np.linalg.cond(S.astype(np.float64)), rtol=1e-3)
    assert float(L.det(np.array([[1.0, 2.0], [2.0, 4.0]]))) == 0.0
    big = 10.0 * np.eye(50, dtype=np.float32)  # det = 1e50 overflows float32; slogdet does not
    assert np.isinf(float(L.det(big)))
    np.testing.assert_allclose(L.slogdet(big)[1], 50 * np.log(10.0), rtol=1e-6)
    assert np.isinf(float(L.condition_number(np.array([[1.0, 0.0], [0.0, 0.0]]))))
    np.testing.assert_allclose(jax.jit(L.det)(S), L.det(S), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(L.matrix_rank)(low), 2)


def test_lu_factorisation_and_pivoting():
    perm, Lo, U = L.lu(S)
    assert perm.dtype == jnp.int32 and Lo.shape == U.shape == (5, 5)
    np.testing.assert_allclose(S[np.asarray(perm)], Lo @ U, atol=1e-5)
    assert np.allclose(np.triu(Lo, 1), 0) and np.allclose(np.diag(Lo), 1)
    assert np.all(np.abs(np.tril(Lo, -1)) <= 1 + 1e-6)  # partial pivoting bounds multipliers
    P, Ls, Us = scipy.linalg.lu(S.astype(np.float64))
    np.testing.assert_allclose(U, Us, atol=1e-4)
    # determinant of a permutation matrix needs the permutation sign
    perm_mat = np.eye(4, dtype=np.float32)[[1, 2, 0, 3]]
    assert float(L.det(perm_mat)) == pytest.approx(np.linalg.det(perm_mat))
    with pytest.raises(ValueError, match="A must be square"):
        L.det(A)


# ----------------------------------------------------------------------------- eigen


def test_power_iteration_and_deflation_match_eigh():
    w = np.linalg.eigvalsh(SYM.astype(np.float64))
    order = np.argsort(-np.abs(w))
    lam, v, iters = L.power_iteration(KEY, SYM, tol=1e-6)
    np.testing.assert_allclose(lam, w[order[0]], rtol=1e-4)
    np.testing.assert_allclose(SYM @ v, lam * v, atol=1e-3)
    assert 0 < int(iters) < 1000
    lam2 = jax.jit(L.power_iteration)(KEY, SYM)[0]
    np.testing.assert_allclose(lam2, lam, rtol=1e-6)
    lams, vecs = L.top_k_eigh(KEY, SYM, 3)
    assert lams.shape == (3,) and vecs.shape == (5, 3)
    np.testing.assert_allclose(lams, w[order[:3]], rtol=1e-3, atol=1e-3)
    again = L.top_k_eigh(KEY, SYM, 3)[0]
    np.testing.assert_array_equal(np.asarray(again), np.asarray(lams))  # deterministic
    with pytest.raises(ValueError, match="k must be <= 5"):
        L.top_k_eigh(KEY, SYM, 6)


def test_eigh_jacobi_matches_numpy_eigh():
    w, V = L.eigh_jacobi(SYM)
    wn, Vn = np.linalg.eigh(SYM.astype(np.float64))
    np.testing.assert_allclose(w, wn, atol=1e-4)
    np.testing.assert_allclose(_align_columns(V, Vn), Vn, atol=1e-3)
    np.testing.assert_allclose(V.T @ V, np.eye(5), atol=1e-5)
    np.testing.assert_allclose((V * w[None, :]) @ V.T, SYM, atol=1e-4)  # spectral theorem
    wj, _ = jax.jit(L.eigh_jacobi)(SYM)
    np.testing.assert_allclose(wj, w, atol=1e-6)
    # wide spectrum: the stopping rule must not stop early (off-norm summed without cancellation)
    Qr, _ = np.linalg.qr(np.random.default_rng(7).normal(size=(8, 8)))
    spec = np.logspace(-3, 2, 8)
    C = ((Qr * spec[None, :]) @ Qr.T).astype(np.float32)
    w8, V8 = L.eigh_jacobi(C)
    np.testing.assert_allclose(w8, spec, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(C @ V8 - V8 * w8[None, :], np.zeros((8, 8)), atol=1e-4)
    diag = np.diag(np.array([3.0, 1.0, 2.0], np.float32))  # already diagonal: no rotation
    np.testing.assert_allclose(L.eigh_jacobi(diag)[0], [1.0, 2.0, 3.0])


def test_svd_jacobi_matches_numpy_svd():
    for M in (A, A.T):
        U, s, Vt = L.svd_jacobi(M)
        Un, sn, Vtn = np.linalg.svd(M.astype(np.float64), full_matrices=False)
        assert U.shape == Un.shape and s.shape == sn.shape and Vt.shape == Vtn.shape
        np.testing.assert_allclose(s, sn, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose((U * s[None, :]) @ Vt, M, atol=1e-5)
        np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-5)
        np.testing.assert_allclose(_align_columns(U, Un), Un, atol=1e-4)
    sj = jax.jit(L.svd_jacobi)(A)[1]
    np.testing.assert_allclose(sj, L.svd_jacobi(A)[1], atol=1e-6)


def test_eckart_young_error_identity_and_optimality():
    RNG = np.random.default_rng(402)  # per-test stream: order-independent
    U, s, Vt = L.svd_jacobi(A)
    for k in range(5):
        Ak = L.low_rank_approx(A, k)
        assert int(L.matrix_rank(Ak)) == k if k else np.allclose(Ak, 0)
        err = np.linalg.norm(np.asarray(A64 - np.asarray(Ak, np.float64))) ** 2
        np.testing.assert_allclose(err, L.eckart_young_error(s, k), rtol=1e-4, atol=1e-5)
        if 0 < k < 4:
            np.testing.assert_allclose(np.linalg.norm(A64 - Ak, 2), s[k], rtol=1e-4)
            # any other rank-k matrix (random projections of A) is worse
            for _ in range(5):
                B = RNG.normal(size=(6, k))
                Qb, _ = np.linalg.qr(B)
                assert np.linalg.norm(A64 - Qb @ Qb.T @ A64) ** 2 >= err - 1e-5
    Ak_jit = jax.jit(L.low_rank_approx, static_argnames="k")(A, k=2)
    np.testing.assert_allclose(Ak_jit, L.low_rank_approx(A, 2), atol=1e-6)
    with pytest.raises(ValueError, match="k must be <= min"):
        L.low_rank_approx(A, 5)


# ----------------------------------------------------------------------------- PCA


def _sklearn_components(X, k):
    pca = PCA(n_components=k, svd_solver="full").fit(X)
    return pca.components_, pca.explained_variance_, pca.explained_variance_ratio_, pca


def test_pca_two_ways_agree_and_match_sklearn():
    RNG = np.random.default_rng(403)  # per-test stream: order-independent
    X = (RNG.normal(size=(40, 5)) @ RNG.normal(size=(5, 5))).astype(np.float32)
    eig = L.pca_eig(X, 3)
    svd = L.pca_svd(X, 3)
    comps, var, ratio, pca = _sklearn_components(X.astype(np.float64), 3)
    for res in (eig, svd):
        assert res.components.shape == (3, 5) and res.explained_variance.shape == (3,)
        np.testing.assert_allclose(res.explained_variance, var, rtol=1e-4)
        np.testing.assert_allclose(res.explained_variance_ratio, ratio, rtol=1e-4)
        np.testing.assert_allclose(_align_columns(res.components.T, comps.T), comps.T, atol=1e-3)
        Z = L.pca_transform(res, X)
        Zs = pca.transform(X)
        np.testing.assert_allclose(_align_columns(Z, Zs), Zs, atol=1e-3)
    # same sign convention, so the two derivations agree exactly up to float error
    np.testing.assert_allclose(eig.components, svd.components, atol=1e-4)
    jit_eig = jax.jit(L.pca_eig, static_argnames="n_components")(X, n_components=3)
    np.testing.assert_allclose(jit_eig.components, eig.components, atol=1e-5)
    with pytest.raises(ValueError, match="n_components must be <="):
        L.pca_svd(X, 6)
    with pytest.raises(ValueError, match="X has 4 features"):
        L.pca_transform(eig, X[:, :4])


# ----------------------------------------------------------------------------- tensors


def test_tensordot_and_mode_product_match_numpy():
    RNG = np.random.default_rng(404)  # per-test stream: order-independent
    a = RNG.normal(size=(2, 3, 4)).astype(np.float32)
    b = RNG.normal(size=(4, 3, 5)).astype(np.float32)
    np.testing.assert_allclose(L.tensordot(a, b, axes=([1, 2], [1, 0])),
                               np.tensordot(a, b, axes=([1, 2], [1, 0])), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(L.tensordot(a, b, axes=1), np.tensordot(a, b, axes=1),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(L.tensordot(A, A.T, axes=1), A @ A.T, rtol=1e-5, atol=1e-5)
    M = RNG.normal(size=(6, 3)).astype(np.float32)
    out = L.mode_product(a, M, 1)
    assert out.shape == (2, 6, 4)
    ref = np.moveaxis(np.tensordot(M, a, axes=([1], [1])), 0, 1)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(jax.jit(L.mode_product, static_argnames="mode")(a, M, mode=1), out,
                               atol=1e-6)
    with pytest.raises(ValueError, match="axes"):
        L.tensordot(a, b, axes=([0], [0]))
    with pytest.raises(ValueError, match="M must have 3 columns"):
        L.mode_product(a, M.T, 1)


def test_kron_and_khatri_rao_match_numpy_scipy():
    RNG = np.random.default_rng(405)  # per-test stream: order-independent
    B = RNG.normal(size=(3, 4)).astype(np.float32)
    K = L.kron(A[:2, :3], B)
    assert K.shape == (6, 12)
    np.testing.assert_allclose(K, np.kron(A[:2, :3], B), rtol=1e-6)
    KR = L.khatri_rao(A, B)
    assert KR.shape == (18, 4)
    np.testing.assert_allclose(KR, scipy.linalg.khatri_rao(A, B), rtol=1e-6)
    # mixed-product property (A⊗B)(C⊗D) = AC ⊗ BD
    C, D = A[:3, :2], B.T[:, :2]
    np.testing.assert_allclose(L.kron(A[:2, :3], B) @ L.kron(C, D), np.kron(A[:2, :3] @ C, B @ D),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(jax.jit(L.khatri_rao)(A, B), KR, atol=1e-6)
    with pytest.raises(ValueError, match="same number of columns"):
        L.khatri_rao(A, B[:, :3])


# ----------------------------------------------------------------------------- derivatives


def _fd_jacobian(f, x, h=1e-6):
    x = np.asarray(x, np.float64)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = h
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.stack(cols, axis=-1)


def _vec_fn(x):
    return jnp.stack([jnp.sin(x[0]) * x[1], jnp.exp(x[2]) - x[0] ** 2, jnp.sum(x**3)])


def _scalar_fn(x):
    return jnp.sum(jnp.sin(x) * x[::-1]) + jnp.prod(x)


def test_jacobian_and_hessian_vs_finite_differences():
    x = np.array([0.3, -0.7, 0.5], np.float32)
    with jax.enable_x64(True):
        ref = _fd_jacobian(jax.jit(_vec_fn), x)
        ref_h = _fd_jacobian(jax.jit(jax.grad(_scalar_fn)), x)
    for mode in ("reverse", "forward"):
        J = L.jacobian(_vec_fn, x, mode=mode)
        assert J.shape == (3, 3)
        np.testing.assert_allclose(J, ref, atol=1e-4)
    H = L.hessian(_scalar_fn, x)
    np.testing.assert_allclose(H, ref_h, atol=1e-4)
    np.testing.assert_allclose(H, H.T, atol=1e-6)
    v = np.array([1.0, 2.0, -1.0], np.float32)
    np.testing.assert_allclose(L.hvp(_scalar_fn, x, v), H @ v, atol=1e-5)
    np.testing.assert_allclose(jax.jit(partial(L.hessian, _scalar_fn))(x), H, atol=1e-6)
    with pytest.raises(ValueError, match="mode"):
        L.jacobian(_vec_fn, x, mode="central")
    with pytest.raises(TypeError, match="f must be callable"):
        L.hessian(3.0, x)


def test_matrix_calculus_identities():
    RNG = np.random.default_rng(406)  # per-test stream: order-independent
    Msq = S.astype(np.float32)
    x = RNG.normal(size=5).astype(np.float32)
    # ∇(xᵀAx) = (A + Aᵀ)x ; ∇² = A + Aᵀ ; ∇_X log|det X| = X⁻ᵀ
    np.testing.assert_allclose(L.jacobian(lambda z: z @ Msq @ z, x), (Msq + Msq.T) @ x, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(L.hessian(lambda z: z @ Msq @ z, x), Msq + Msq.T, atol=1e-5)
    G = L.jacobian(lambda X: jnp.linalg.slogdet(X)[1], Msq)
    np.testing.assert_allclose(G, np.linalg.inv(Msq).T, rtol=1e-3, atol=1e-4)


def test_taylor_approx_orders_and_exactness():
    x0 = np.array([0.3, -0.7, 0.5], np.float32)
    d = np.array([1.0, -0.5, 0.25], np.float32)
    errs = {1: [], 2: []}
    with jax.enable_x64(True):
        x0d = jnp.asarray(x0, jnp.float64)
        for h in (1e-1, 5e-2):
            dx = jnp.asarray(d * h, jnp.float64)
            exact = _vec_fn(x0d + dx)
            for order in (1, 2):
                errs[order].append(float(jnp.max(jnp.abs(L.taylor_approx(_vec_fn, x0d, dx, order=order) - exact))))
    # halving the step divides the error by ~4 (first order) and ~8 (second order)
    assert 3.0 < errs[1][0] / errs[1][1] < 5.0
    assert 6.0 < errs[2][0] / errs[2][1] < 10.0
    quad = lambda z: 0.5 * z @ SYM[:3, :3] @ z + z[0]  # noqa: E731
    np.testing.assert_allclose(L.taylor_approx(quad, x0, d, order=2), quad(x0 + d), rtol=1e-5)
    out = jax.jit(partial(L.taylor_approx, _vec_fn, order=2))(x0, d)
    np.testing.assert_allclose(out, L.taylor_approx(_vec_fn, x0, d), atol=1e-6)
    with pytest.raises(ValueError, match="order"):
        L.taylor_approx(_vec_fn, x0, d, order=3)
    with pytest.raises(ValueError, match="dx must have the shape"):
        L.taylor_approx(_vec_fn, x0, d[:2])


# ----------------------------------------------------------------------------- common jit suite

JIT_CASES = {
    "column_space_projector": (L.column_space_projector, (A,)),
    "project_onto_orthogonal_complement": (L.project_onto_orthogonal_complement, (A, A[:, 0])),
    "trace": (L.trace, (S,)),
    "lu": (L.lu, (S,)),
    "slogdet": (L.slogdet, (S,)),
    "condition_number": (L.condition_number, (S,)),
    "top_k_eigh": (partial(L.top_k_eigh, k=2), (KEY, SYM)),
    "eckart_young_error": (partial(L.eckart_young_error, k=2), (np.array([3.0, 2.0, 1.0]),)),
    "pca_svd": (partial(L.pca_svd, n_components=2), (A,)),
    "pca_transform": (lambda X: L.pca_transform(L.pca_svd(X, 2), X), (A,)),
    "tensordot": (partial(L.tensordot, axes=1), (A, A.T)),
    "kron": (L.kron, (A[:2, :2], S[:2, :3])),
    "jacobian": (partial(L.jacobian, _vec_fn, mode="forward"), (A[0, :3],)),
    "hvp": (partial(L.hvp, _scalar_fn), (A[0, :3], A[1, :3])),
}


@pytest.mark.parametrize("name", list(JIT_CASES))
def test_jit_matches_eager(name):
    fn, args = JIT_CASES[name]
    eager = fn(*args)
    jitted = jax.jit(fn)(*args)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5), eager, jitted)
    assert jax.tree.structure(eager) == jax.tree.structure(jitted)
