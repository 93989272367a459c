"""Projections, projected gradient, KKT checks and augmented Lagrangian vs scipy SLSQP."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

from jaxml.math import optim_constrained as oc


def _slsqp(fun, x0, eq=None, ineq=None, bounds=None):
    """scipy's SLSQP on jitted callbacks (constraints in our ``g(x) ≤ 0`` convention)."""
    cons = []
    if eq is not None:
        h = jax.jit(lambda z: jnp.atleast_1d(eq(z)))
        cons.append({"type": "eq", "fun": lambda z: np.asarray(h(jnp.asarray(z)))})
    if ineq is not None:  # scipy wants c(x) >= 0
        g = jax.jit(lambda z: -jnp.atleast_1d(ineq(z)))
        cons.append({"type": "ineq", "fun": lambda z: np.asarray(g(jnp.asarray(z)))})
    f, df = jax.jit(fun), jax.jit(jax.grad(fun))
    return scipy.optimize.minimize(
        lambda z: float(f(jnp.asarray(z))), np.asarray(x0, np.float64),
        jac=lambda z: np.asarray(df(jnp.asarray(z))), method="SLSQP",
        constraints=cons, bounds=bounds, options={"ftol": 1e-12, "maxiter": 500})


def test_projections_match_slsqp_and_closed_forms():
    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        for _ in range(5):
            x = jnp.asarray(rng.normal(size=5) * 2)
            p = oc.project_simplex(x)
            ref = _slsqp(lambda y: jnp.sum((y - x) ** 2), np.full(5, 0.2),
                         eq=lambda y: jnp.sum(y) - 1.0, bounds=[(0, None)] * 5)
            np.testing.assert_allclose(p, ref.x, atol=1e-6)
            np.testing.assert_allclose(jnp.sum(p), 1.0)
            q = oc.project_l2_ball(x, 1.5)
            np.testing.assert_allclose(jnp.linalg.norm(q), min(1.5, float(jnp.linalg.norm(x))))
            np.testing.assert_allclose(q / jnp.linalg.norm(q), x / jnp.linalg.norm(x))
            np.testing.assert_array_equal(oc.project_box(x, -1.0, 0.5), np.clip(x, -1.0, 0.5))
        inside = jnp.array([0.1, 0.2, 0.7])
        np.testing.assert_allclose(oc.project_simplex(inside), inside)  # idempotent
        np.testing.assert_allclose(oc.project_simplex(jnp.array([3.0, 0.0]), radius=2.0),
                                   [2.0, 0.0])
    with pytest.raises(ValueError, match="rank 1"):
        oc.project_simplex(jnp.ones((2, 2)))


@pytest.mark.parametrize("accelerated", [False, True])
def test_projected_gradient_box_and_simplex_vs_slsqp(accelerated):
    with jax.enable_x64(True):
        rng = np.random.default_rng(1)
        M = rng.normal(size=(8, 4))
        Q = jnp.asarray(M.T @ M / 8 + 0.1 * np.eye(4))
        c = jnp.asarray(rng.normal(size=4))
        f = lambda x: 0.5 * x @ Q @ x + c @ x  # noqa: E731
        step = 1.0 / float(jnp.linalg.eigvalsh(Q)[-1])
        res = oc.projected_gradient(f, jnp.zeros(4), lambda x: oc.project_box(x, 0.0, 0.5),
                                    step_size=step, num_steps=3000, accelerated=accelerated)
        ref = _slsqp(f, np.zeros(4), bounds=[(0.0, 0.5)] * 4)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
        assert res.losses.shape == (3001,)
        res = oc.projected_gradient(f, jnp.zeros(4), oc.project_simplex, step_size=step,
                                    num_steps=3000, accelerated=accelerated)
        ref = _slsqp(f, np.full(4, 0.25), eq=lambda x: jnp.sum(x) - 1.0,
                     bounds=[(0, None)] * 4)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
        res = oc.projected_gradient(f, jnp.zeros(4), lambda x: oc.project_l2_ball(x, 0.3),
                                    step_size=step, num_steps=3000, accelerated=accelerated)
        ref = _slsqp(f, np.zeros(4), ineq=lambda x: x @ x - 0.09)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-5)


def test_projected_gradient_jit_and_bad_input():
    f = lambda x: jnp.sum((x - 2.0) ** 2)  # noqa: E731
    def run(x0):
        return oc.projected_gradient(f, x0, lambda x: oc.project_box(x, -1.0, 1.0),
                                     step_size=0.1, num_steps=50).x

    x0 = jnp.zeros(3)
    chex.assert_trees_all_close(run(x0), jax.jit(run)(x0), rtol=1e-6)
    np.testing.assert_allclose(run(x0), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="step_size"):
        oc.projected_gradient(f, x0, oc.project_simplex, step_size=0.0)
    with pytest.raises(ValueError, match="x0"):
        oc.projected_gradient(f, jnp.zeros((2, 2)), oc.project_simplex, step_size=0.1)


def _scipy_tutorial():
    """min (x0-1)^2 + (x1-2.5)^2 s.t. three linear inequalities and x >= 0."""
    f = lambda x: (x[0] - 1.0) ** 2 + (x[1] - 2.5) ** 2  # noqa: E731
    ineq = lambda x: -jnp.stack([x[0] - 2 * x[1] + 2, -x[0] - 2 * x[1] + 6,  # noqa: E731
                                 -x[0] + 2 * x[1] + 2, x[0], x[1]])
    return f, ineq


def test_augmented_lagrangian_inequalities_vs_slsqp_and_kkt():
    with jax.enable_x64(True):
        f, ineq = _scipy_tutorial()
        x0 = jnp.array([2.0, 0.0])
        res = jax.jit(lambda x: oc.augmented_lagrangian(f, x, ineq=ineq))(x0)
        ref = _slsqp(f, x0, ineq=ineq)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
        np.testing.assert_allclose(res.x, [1.4, 1.7], atol=1e-6)
        assert float(res.kkt.max()) < 1e-6
        # the first constraint is the only active one: mu = (0.8, 0, 0, 0, 0)
        np.testing.assert_allclose(res.mu, [0.8, 0, 0, 0, 0], atol=1e-6)
        lam, mu = oc.estimate_multipliers(f, jnp.asarray(ref.x), ineq=ineq)
        assert lam.shape == (0,) and mu.shape == (5,)
        kkt = oc.kkt_residuals(f, jnp.asarray(ref.x), ineq=ineq, mu=mu)
        assert float(kkt.max()) < 1e-6
        bad = oc.kkt_residuals(f, jnp.array([1.0, 2.5]), ineq=ineq, mu=jnp.zeros(5))
        assert float(bad.primal_inequality) > 0.1  # the unconstrained minimum is infeasible


def test_augmented_lagrangian_equality_and_mixed_vs_slsqp():
    with jax.enable_x64(True):
        f = lambda x: x[0] + 2.0 * x[1]  # noqa: E731
        eq = lambda x: x[0] ** 2 + x[1] ** 2 - 1.0  # noqa: E731
        res = oc.augmented_lagrangian(f, jnp.array([0.5, 0.0]), eq=eq)
        np.testing.assert_allclose(res.x, -np.array([1.0, 2.0]) / np.sqrt(5), atol=1e-6)
        np.testing.assert_allclose(res.lam, np.sqrt(5) / 2, atol=1e-6)  # closed form
        f2 = lambda x: (x[0] - 2.0) ** 2 + (x[1] - 1.0) ** 2 + x[2] ** 2  # noqa: E731
        eq2 = lambda x: x[0] + x[1] + x[2] - 1.0  # noqa: E731
        ineq2 = lambda x: jnp.stack([x[0] ** 2 - x[1], x[0] + x[1] - 2.0])  # noqa: E731
        res = oc.augmented_lagrangian(f2, jnp.zeros(3), eq=eq2, ineq=ineq2)
        ref = _slsqp(f2, np.zeros(3), eq=eq2, ineq=ineq2)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-5)
        np.testing.assert_allclose(res.fun, ref.fun, atol=1e-6)
        assert float(res.kkt.max()) < 1e-5
    with pytest.raises(ValueError, match="eq or ineq"):
        oc.augmented_lagrangian(f, jnp.zeros(2))
    with pytest.raises(ValueError, match="rho"):
        oc.augmented_lagrangian(f, jnp.zeros(2), eq=eq, rho=-1.0)


def test_equality_qp_lagrange_multipliers():
    with jax.enable_x64(True):
        rng = np.random.default_rng(3)
        M = rng.normal(size=(6, 4))
        Q, c = jnp.asarray(M.T @ M + np.eye(4)), jnp.asarray(rng.normal(size=4))
        A, b = jnp.asarray(rng.normal(size=(2, 4))), jnp.asarray(rng.normal(size=2))
        x, lam = oc.equality_qp(Q, c, A, b)
        f = lambda z: 0.5 * z @ Q @ z + c @ z  # noqa: E731
        ref = _slsqp(f, np.zeros(4), eq=lambda z: A @ z - b)
        np.testing.assert_allclose(x, ref.x, atol=1e-6)
        kkt = oc.kkt_residuals(f, x, eq=lambda z: A @ z - b, lam=lam)
        assert float(kkt.max()) < 1e-10
        lam_ls, _ = oc.estimate_multipliers(f, x, eq=lambda z: A @ z - b)
        np.testing.assert_allclose(lam_ls, lam, atol=1e-8)
    with pytest.raises(ValueError, match="Q of shape"):
        oc.equality_qp(jnp.eye(3), jnp.zeros(4), jnp.ones((1, 4)), jnp.ones(1))
    with pytest.raises(ValueError, match="mu must have shape"):
        oc.kkt_residuals(lambda z: jnp.sum(z), jnp.zeros(2), ineq=lambda z: z, mu=jnp.ones(3))
