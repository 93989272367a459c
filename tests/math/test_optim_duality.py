"""LP / QP / SVM duals: solved separately, duality gap ≈ 0, vs scipy and scikit-learn."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from sklearn.svm import SVC

from jaxml.math import duality


def _lp(seed, m=4, n=6):
    """A random LP min cᵀx, Ax ≥ b, x ≥ 0 with c > 0 (bounded) and a feasible point."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.0, 2.0, size=(m, n))
    x_feas = rng.uniform(0.5, 1.5, size=n)
    b = A @ x_feas - rng.uniform(0.0, 1.0, size=m)
    c = rng.uniform(0.5, 2.0, size=n)
    return c, A, b


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lp_primal_and_dual_solved_separately_have_zero_gap(seed):
    with jax.enable_x64(True):
        c, A, b = _lp(seed)
        primal = jax.jit(duality.solve_lp)(c, A, b)
        ref = scipy.optimize.linprog(c, A_ub=-A, b_ub=-b, bounds=[(0, None)] * len(c),
                                     method="highs")
        assert bool(primal.converged)
        np.testing.assert_allclose(primal.fun, ref.fun, rtol=1e-7)
        np.testing.assert_allclose(primal.x, ref.x, atol=1e-6)
        dual_problem = duality.lp_dual(c, A, b)
        dual = duality.solve_lp(*dual_problem)
        assert bool(dual.converged)
        y = dual.x
        assert np.all(A.T @ np.asarray(y) <= c + 1e-7) and np.all(np.asarray(y) >= -1e-9)
        gap = float(primal.fun - b @ y)
        assert abs(gap) < 1e-7
        np.testing.assert_allclose(-dual.fun, b @ y)
        # the IPM's own multipliers are the dual solution too; scipy's marginals agree
        np.testing.assert_allclose(primal.y, y, atol=1e-6)
        np.testing.assert_allclose(primal.y, -ref.ineqlin.marginals, atol=1e-6)
        # the dual of the dual is the primal
        for u, v in zip(duality.lp_dual(*dual_problem), (c, A, b)):
            np.testing.assert_array_equal(u, v)


def test_lp_float32_and_bad_input():
    c, A, b = _lp(5)
    res = duality.solve_lp(c.astype(np.float32), A.astype(np.float32), b.astype(np.float32))
    ref = scipy.optimize.linprog(c, A_ub=-A, b_ub=-b, method="highs")
    assert res.x.dtype == jnp.float32 and res.x.shape == (6,)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-4)
    with pytest.raises(ValueError, match="A must have shape"):
        duality.solve_lp(c, A[:, :3], b)
    with pytest.raises(ValueError, match="c must"):
        duality.lp_dual(c[None], A, b)


def test_qp_dual_projected_gradient_matches_slsqp():
    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        M = rng.normal(size=(6, 3))
        Q = M.T @ M + 0.5 * np.eye(3)
        c = rng.normal(size=3) * 3
        A = rng.normal(size=(4, 3))
        b = rng.uniform(0.1, 1.0, size=4)
        res = duality.qp_dual(Q, c, A, b, num_steps=5000)
        f = lambda x: 0.5 * x @ Q @ x + c @ x  # noqa: E731
        ref = scipy.optimize.minimize(f, np.zeros(3), jac=lambda x: Q @ x + c, method="SLSQP",
                                      constraints=[{"type": "ineq", "fun": lambda x: b - A @ x}],
                                      options={"ftol": 1e-14})
        np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
        np.testing.assert_allclose(res.primal_value, ref.fun, atol=1e-8)
        assert abs(float(res.gap)) < 1e-8 and float(res.max_violation) < 1e-7
        assert np.all(np.asarray(res.mu) >= 0) and float(jnp.max(res.mu)) > 0  # active
        # weak duality: any μ ≥ 0 gives a lower bound
        early = duality.qp_dual(Q, c, A, b, num_steps=3)
        assert float(early.dual_value) <= float(ref.fun) + 1e-12
    with pytest.raises(ValueError, match="Q of shape"):
        duality.qp_dual(np.eye(2), np.zeros(3), np.ones((1, 3)), np.ones(1))


def _svm_data(separable, seed=0, n=40):
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    shift = 2.5 if separable else 0.8
    X = rng.normal(size=(n, 2)) + shift * y[:, None] * np.array([1.0, 0.5])
    return X, y


@pytest.mark.parametrize("C", [1.0, None])
def test_svm_dual_gap_and_sklearn(C):
    with jax.enable_x64(True):
        X, y = _svm_data(separable=C is None)
        res = jax.jit(lambda X, y: duality.svm_dual(X, y, C=C, num_steps=20000))(X, y)
        ref = SVC(kernel="linear", C=1e8 if C is None else C, tol=1e-10).fit(X, y)
        np.testing.assert_allclose(res.w, ref.coef_[0], atol=1e-4)
        np.testing.assert_allclose(res.b, ref.intercept_[0], atol=1e-3)
        assert abs(float(res.gap)) < 1e-5 * float(res.primal_value)
        assert abs(float(y @ res.alpha)) < 1e-8
        assert float(jnp.min(res.alpha)) >= 0
        if C is not None:
            assert float(jnp.max(res.alpha)) <= C + 1e-12
        else:  # hard margin: every point on or outside the margin
            assert float(jnp.min(y * (X @ res.w + res.b))) > 1 - 1e-4


def test_svm_bad_input():
    X, y = _svm_data(True)
    with pytest.raises(ValueError, match="labels"):
        duality.svm_dual(X, (y > 0).astype(float))
    with pytest.raises(ValueError, match="C"):
        duality.svm_dual(X, y, C=-1.0)
    with pytest.raises(ValueError, match="same number of rows"):
        duality.svm_dual(X[:5], y)
