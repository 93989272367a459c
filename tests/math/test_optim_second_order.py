"""Newton / BFGS / L-BFGS and the strong-Wolfe line search vs scipy.optimize."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

from jaxml.math import optim, optim_second_order as so2

METHODS = {"newton": so2.newton, "bfgs": so2.bfgs, "lbfgs": so2.lbfgs}


def _scipy_min(fun, x0):
    f, g = jax.jit(fun), jax.jit(jax.grad(fun))
    return scipy.optimize.minimize(
        lambda z: float(f(jnp.asarray(z))), np.asarray(x0, np.float64),
        jac=lambda z: np.asarray(g(jnp.asarray(z))), method="BFGS",
        options={"gtol": 1e-8, "maxiter": 10000})


def _check_rosenbrock(method, d):
    with jax.enable_x64(True):
        x0 = jnp.zeros(d)
        ref = _scipy_min(optim.rosenbrock, x0)
        res = jax.jit(lambda x: METHODS[method](optim.rosenbrock, x, max_iter=3000,
                                                gtol=1e-8))(x0)
        assert bool(res.converged)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-5)
        np.testing.assert_allclose(res.fun, ref.fun, atol=1e-10)
        np.testing.assert_allclose(res.x, np.ones(d), atol=1e-5)


@pytest.mark.parametrize("method", ["bfgs", "lbfgs"])
@pytest.mark.parametrize("d", [2, 100])
def test_quasi_newton_rosenbrock_matches_scipy(method, d):
    _check_rosenbrock(method, d)


def test_newton_rosenbrock_matches_scipy():
    _check_rosenbrock("newton", 2)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["newton", "bfgs", "lbfgs"])
@pytest.mark.parametrize("d", [5, 10, 30, 50])
def test_rosenbrock_many_dimensions(method, d):
    _check_rosenbrock(method, d)


def _logistic_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    w_true = np.array([1.5, -2.0, 0.5, 0.0])
    y = np.where(rng.uniform(size=80) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)

    def loss(w):
        z = y * (jnp.asarray(X) @ w["coef"] + w["bias"])
        return jnp.mean(jnp.logaddexp(0.0, -z)) + 0.01 * jnp.sum(w["coef"] ** 2)
    return loss


@pytest.mark.parametrize("method", sorted(METHODS))
def test_logistic_regression_matches_scipy(method):
    with jax.enable_x64(True):
        loss = _logistic_problem()
        w0 = {"coef": jnp.zeros(4), "bias": jnp.zeros(())}
        flat = lambda z: loss({"coef": z[:4], "bias": z[4]})  # noqa: E731
        ref = _scipy_min(flat, jnp.zeros(5))
        res = METHODS[method](loss, w0, gtol=1e-9)
        assert bool(res.converged)
        assert res.x["coef"].shape == (4,) and res.x["bias"].shape == ()
        np.testing.assert_allclose(res.x["coef"], ref.x[:4], atol=1e-6)
        np.testing.assert_allclose(res.x["bias"], ref.x[4], atol=1e-6)
        np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-10)


def test_float32_jit_nojit_agree_and_deterministic():
    x0 = jnp.array([-1.2, 1.0])
    r1 = so2.lbfgs(optim.rosenbrock, x0, memory=5)
    r2 = jax.jit(lambda x: so2.lbfgs(optim.rosenbrock, x, memory=5))(x0)
    r3 = jax.jit(lambda x: so2.lbfgs(optim.rosenbrock, x, memory=5))(x0)
    assert r1.x.dtype == jnp.float32 and r1.fun.shape == ()
    np.testing.assert_allclose(r1.x, r2.x, atol=1e-5)
    np.testing.assert_array_equal(r2.x, r3.x)
    np.testing.assert_allclose(r1.x, [1.0, 1.0], atol=1e-3)


@pytest.mark.parametrize("c2", [0.1, 0.9])
def test_wolfe_line_search_satisfies_strong_wolfe(c2):
    fun = optim.rosenbrock
    vg = jax.value_and_grad(fun)
    x = jnp.array([-1.2, 1.0])
    f0, g0 = vg(x)
    p = -g0
    res = so2.wolfe_line_search(vg, x, p, f0, g0, init_step=1.0, c1=1e-4, c2=c2)
    assert bool(res.success)
    a = float(res.step)
    f_a, g_a = vg(x + a * p)
    d0 = float(jnp.vdot(g0, p))
    assert float(f_a) <= float(f0) + 1e-4 * a * d0
    assert abs(float(jnp.vdot(g_a, p))) <= c2 * abs(d0) + 1e-6
    np.testing.assert_allclose(res.value, f_a, rtol=1e-6)
    np.testing.assert_allclose(res.grad, g_a, rtol=1e-4)
    # agrees with scipy's strong-Wolfe search on the acceptance conditions
    ref = scipy.optimize.line_search(lambda z: float(fun(jnp.asarray(z, jnp.float32))),
                                     lambda z: np.asarray(jax.grad(fun)(jnp.asarray(
                                         z, jnp.float32)), np.float64),
                                     np.asarray(x, np.float64), np.asarray(p, np.float64),
                                     c2=c2)
    assert ref[0] is not None


def test_newton_closed_form_hessian_matches_autodiff_and_polishes_float32():
    """A closed-form ``hessian=`` gives the iterates of ``jax.hessian``; in float32 the
    solve ends at the rounding level instead of stalling in the line search."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (rng.uniform(size=200) < 1 / (1 + np.exp(-X @ np.array([1.0, -1.0, 0.5])))).astype(float)

    def make(dtype):
        Xj, yj = jnp.asarray(X, dtype), jnp.asarray(y, dtype)

        def loss(w):
            z = Xj @ w
            return jnp.mean(jax.nn.softplus(z) - yj * z) + 0.05 * w @ w

        def hessian(w):
            p = jax.nn.sigmoid(Xj @ w)
            return Xj.T @ ((p * (1 - p))[:, None] * Xj) / 200 + 0.1 * jnp.eye(3, dtype=dtype)
        return loss, hessian

    with jax.enable_x64(True):
        loss, hessian = make(jnp.float64)
        closed = so2.newton(loss, jnp.zeros(3), hessian=hessian, gtol=1e-12)
        auto = so2.newton(loss, jnp.zeros(3), gtol=1e-12)
        np.testing.assert_allclose(closed.x, auto.x, rtol=1e-12)
        assert int(closed.num_iter) == int(auto.num_iter) <= 8
    loss, hessian = make(jnp.float32)
    res = jax.jit(lambda w: so2.newton(loss, w, hessian=hessian, gtol=0.0, max_iter=50))(
        jnp.zeros(3, jnp.float32))
    # gtol=0 is unreachable: the rounding-level rule stops it with one evaluation per
    # iteration, where a stalled Wolfe search would spend up to 30 on the last one
    assert int(res.num_iter) <= 10 and int(res.num_evals) == int(res.num_iter) + 1
    np.testing.assert_allclose(res.x, closed.x, atol=1e-5)
    with pytest.raises(TypeError, match="hessian"):
        so2.newton(loss, jnp.zeros(3), hessian="exact")


def test_newton_handles_indefinite_hessian():
    """At a saddle-ish start Newton's modified Hessian still gives descent."""
    res = so2.newton(optim.himmelblau, jnp.array([-0.27, -0.92]))  # near a local max
    assert bool(res.converged)
    assert float(res.fun) < 1e-6


def test_bad_input_raises():
    with pytest.raises(ValueError, match="max_iter"):
        so2.bfgs(optim.rosenbrock, jnp.zeros(2), max_iter=0)
    with pytest.raises(ValueError, match="c1"):
        so2.lbfgs(optim.rosenbrock, jnp.zeros(2), c1=0.95, c2=0.9)
    with pytest.raises(ValueError, match="memory"):
        so2.lbfgs(optim.rosenbrock, jnp.zeros(2), memory=0)
    with pytest.raises(ValueError, match="scalar"):
        so2.bfgs(lambda x: x ** 2, jnp.zeros(2))
    with pytest.raises(ValueError, match="x0"):
        so2.bfgs(optim.rosenbrock, jnp.zeros(0))


def test_record_path():
    x0 = jnp.array([-1.2, 1.0])
    res = jax.jit(lambda x: so2.bfgs(optim.rosenbrock, x, max_iter=100, record_path=True))(x0)
    k = int(res.num_iter)
    assert res.path.shape == (101, 2) and 0 < k < 100
    np.testing.assert_array_equal(res.path[0], x0)
    np.testing.assert_array_equal(res.path[k], res.x)
    np.testing.assert_array_equal(res.path[-1], res.x)
    losses = jax.vmap(optim.rosenbrock)(res.path[: k + 1])
    assert bool(jnp.all(jnp.diff(losses) <= 1e-6))  # Wolfe steps never increase f
    assert so2.lbfgs(optim.rosenbrock, x0, max_iter=3).path is None
