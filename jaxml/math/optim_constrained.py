r"""Constrained optimisation: projections, projected gradient, KKT, augmented Lagrangian.

Problem form throughout (Boyd & Vandenberghe, *Convex Optimization*, §5.5; Nocedal &
Wright ch. 12, 17):

.. math::

    \min_x f(x) \quad \text{s.t.}\quad h(x) = 0,\ \ g(x) ≤ 0,
    \qquad L(x, λ, μ) = f(x) + λ^⊤ h(x) + μ^⊤ g(x).

**KKT conditions** at a local solution (under a constraint qualification):
stationarity :math:`∇f + J_h^⊤λ + J_g^⊤μ = 0`, primal feasibility :math:`h = 0,\ g ≤ 0`,
dual feasibility :math:`μ ≥ 0`, complementary slackness :math:`μ_i g_i = 0`.
:func:`kkt_residuals` measures each; :func:`estimate_multipliers` finds the multipliers
that best satisfy stationarity for a given ``x`` (least squares over the active set), so
any candidate — ours or scipy's — can be checked.

**Lagrange multipliers** for an equality-constrained QP
:math:`\min ½x^⊤Qx + c^⊤x` s.t. :math:`Ax = b` solve one linear KKT system
:math:`\begin{bmatrix}Q & A^⊤\\ A & 0\end{bmatrix}\begin{bmatrix}x\\λ\end{bmatrix}
= \begin{bmatrix}-c\\ b\end{bmatrix}` (:func:`equality_qp`).

**Projected gradient**: :math:`x_{k+1} = Π_C(x_k - η∇f(x_k))` with Euclidean
projections onto a box (clipping), the probability simplex (sort-based, Duchi et al.
2008) or an ℓ2 ball (rescaling); optionally accelerated (FISTA, Beck & Teboulle 2009).
With :math:`η = 1/L` it converges at :math:`O(1/k)` (:math:`O(1/k^2)` accelerated) on
convex :math:`L`-smooth problems.

**Augmented Lagrangian** (Hestenes 1969; Powell 1969; Rockafellar 1973 for
inequalities): minimise

.. math::

    L_ρ(x) = f + λ^⊤h + \tfrac{ρ}{2}\|h\|^2
            + \tfrac{1}{2ρ}\sum_i \big(\max(0, μ_i + ρ g_i)^2 - μ_i^2\big)

over ``x`` with L-BFGS, then update :math:`λ ← λ + ρh(x)`, :math:`μ ← \max(0, μ + ρg(x))`.
Unlike a pure penalty method, ρ need not go to infinity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core import check_array, check_int, check_positive
from jaxml.math.optim_second_order import lbfgs

__all__ = [
    "project_box",
    "project_simplex",
    "project_l2_ball",
    "ProjectedGradientResult",
    "projected_gradient",
    "KKTResiduals",
    "kkt_residuals",
    "estimate_multipliers",
    "equality_qp",
    "AugmentedLagrangianResult",
    "augmented_lagrangian",
]


# --------------------------------------------------------------------------- projections


def project_box(x: jax.Array, lower, upper) -> jax.Array:
    """Euclidean projection onto :math:`\\{l ≤ x ≤ u\\}`: :math:`\\mathrm{clip}(x, l, u)`."""
    return jnp.clip(x, lower, upper)


def project_simplex(x: jax.Array, radius: float = 1.0) -> jax.Array:
    """Projection onto :math:`\\{y ≥ 0, \\sum y = r\\}` (Duchi et al. 2008, Fig. 1).

    Sort :math:`u` descending, find :math:`ρ = \\max\\{j : u_j - (\\sum_{i≤j}u_i - r)/j > 0\\}`,
    :math:`θ = (\\sum_{i≤ρ}u_i - r)/ρ`, return :math:`\\max(x - θ, 0)`. :math:`O(d\\log d)`.
    """
    if jnp.ndim(x) != 1:
        raise ValueError(f"x must have rank 1, got shape {jnp.shape(x)}")
    u = jnp.sort(x)[::-1]
    css = jnp.cumsum(u)
    j = jnp.arange(1, x.shape[0] + 1, dtype=x.dtype)
    cond = u - (css - radius) / j > 0
    rho = jnp.max(jnp.where(cond, j, 0.0))
    theta = (css[rho.astype(jnp.int32) - 1] - radius) / rho
    return jnp.maximum(x - theta, 0.0)


def project_l2_ball(x: jax.Array, radius: float = 1.0) -> jax.Array:
    """Projection onto :math:`\\{\\|y\\|_2 ≤ r\\}`: :math:`x \\min(1, r/\\|x\\|)`."""
    norm = jnp.linalg.norm(x)
    return x * jnp.minimum(1.0, radius / jnp.maximum(norm, jnp.finfo(x.dtype).tiny))


# --------------------------------------------------------------------------- projected gradient


class ProjectedGradientResult(NamedTuple):
    """Final iterate and the objective along the iterations ``(num_steps + 1,)``."""

    x: jax.Array
    losses: jax.Array


def projected_gradient(fun: Callable, x0, project: Callable[[jax.Array], jax.Array], *,
                       step_size: float, num_steps: int = 500,
                       accelerated: bool = False) -> ProjectedGradientResult:
    """Projected gradient descent :math:`x ← Π(x - η∇f(x))`, optionally FISTA-accelerated.

    The accelerated version evaluates the gradient at the extrapolated point
    :math:`y_k = x_k + \\frac{t_{k-1}-1}{t_k}(x_k - x_{k-1})`,
    :math:`t_k = (1 + \\sqrt{1 + 4t_{k-1}^2})/2`.

    Args:
      fun: smooth objective of a 1-D array.
      x0: starting point (projected first).
      project: Euclidean projection onto the feasible set.
      step_size: η (``1/L`` for an ``L``-smooth objective); traced.
      num_steps: iterations (static).
      accelerated: use FISTA momentum (static).
    """
    x0 = check_array(x0, "x0", ndim=1, dtype_kind="f")
    check_positive(step_size, "step_size")
    num_steps = check_int(num_steps, "num_steps", minimum=1)
    grad = jax.grad(fun)
    x0 = project(x0)

    def body(carry, _):
        x, x_prev, t = carry
        t_next = (1.0 + jnp.sqrt(1.0 + 4.0 * t * t)) / 2.0
        y = x + ((t - 1.0) / t_next) * (x - x_prev) if accelerated else x
        x_new = project(y - step_size * grad(y))
        return (x_new, x, t_next), fun(x)

    t0 = jnp.ones((), x0.dtype)
    (x, _, _), losses = jax.lax.scan(body, (x0, x0, t0), None, length=num_steps)
    return ProjectedGradientResult(x=x, losses=jnp.concatenate([losses, fun(x)[None]]))


# --------------------------------------------------------------------------- KKT


def _constraint_values(cons: Callable | None, x: jax.Array) -> jax.Array:
    if cons is None:
        return jnp.zeros((0,), x.dtype)
    return jnp.atleast_1d(cons(x))


def _constraint_jacobian(cons: Callable | None, x: jax.Array) -> jax.Array:
    if cons is None:
        return jnp.zeros((0, x.shape[0]), x.dtype)
    return jax.jacobian(lambda z: jnp.atleast_1d(cons(z)))(x)


class KKTResiduals(NamedTuple):
    """Max-abs residual of each KKT condition (all 0 at a KKT point)."""

    stationarity: jax.Array
    primal_equality: jax.Array
    primal_inequality: jax.Array
    dual_feasibility: jax.Array
    complementarity: jax.Array

    def max(self) -> jax.Array:
        """The largest residual."""
        return jnp.max(jnp.stack(tuple(self)))


def kkt_residuals(fun: Callable, x, *, eq: Callable | None = None,
                  ineq: Callable | None = None, lam=None, mu=None) -> KKTResiduals:
    """The KKT residuals of ``(x, λ, μ)`` for ``min f s.t. eq(x) = 0, ineq(x) ≤ 0``.

    Returns the infinity norms of :math:`∇_x L`, :math:`h(x)`, :math:`\\max(g(x), 0)`,
    :math:`\\max(-μ, 0)` and :math:`μ ∘ g(x)`.
    """
    x = check_array(x, "x", ndim=1, dtype_kind="f")
    h = _constraint_values(eq, x)
    g = _constraint_values(ineq, x)
    lam = jnp.zeros_like(h) if lam is None else jnp.atleast_1d(jnp.asarray(lam, x.dtype))
    mu = jnp.zeros_like(g) if mu is None else jnp.atleast_1d(jnp.asarray(mu, x.dtype))
    if lam.shape != h.shape:
        raise ValueError(f"lam must have shape {h.shape} (one per equality), got {lam.shape}")
    if mu.shape != g.shape:
        raise ValueError(f"mu must have shape {g.shape} (one per inequality), got {mu.shape}")
    grad_l = (jax.grad(fun)(x) + _constraint_jacobian(eq, x).T @ lam
              + _constraint_jacobian(ineq, x).T @ mu)
    inf = lambda v: jnp.max(jnp.abs(v), initial=0.0)  # noqa: E731
    return KKTResiduals(stationarity=inf(grad_l), primal_equality=inf(h),
                        primal_inequality=inf(jnp.maximum(g, 0.0)),
                        dual_feasibility=inf(jnp.maximum(-mu, 0.0)),
                        complementarity=inf(mu * g))


def estimate_multipliers(fun: Callable, x, *, eq: Callable | None = None,
                         ineq: Callable | None = None,
                         active_tol: float = 1e-6) -> tuple[jax.Array, jax.Array]:
    """Least-squares multipliers :math:`\\min_{λ, μ_A} \\|∇f + J_h^⊤λ + J_{g_A}^⊤μ_A\\|`.

    Only inequalities with :math:`g_i(x) ≥ -` ``active_tol`` (the active set) get a
    multiplier; the others are 0. Feed the result to :func:`kkt_residuals`.
    """
    x = check_array(x, "x", ndim=1, dtype_kind="f")
    g = _constraint_values(ineq, x)
    jh = _constraint_jacobian(eq, x)
    jg = _constraint_jacobian(ineq, x)
    active = g >= -active_tol
    jac = jnp.concatenate([jh, jg * active[:, None]], axis=0)
    sol = jnp.linalg.lstsq(jac.T, -jax.grad(fun)(x))[0]
    return sol[: jh.shape[0]], sol[jh.shape[0]:] * active


def equality_qp(Q, c, A, b) -> tuple[jax.Array, jax.Array]:
    """Solve :math:`\\min ½x^⊤Qx + c^⊤x` s.t. :math:`Ax = b` via the KKT system.

    Returns ``(x, λ)`` with :math:`Qx + c + A^⊤λ = 0`, :math:`Ax = b`. Needs ``Q``
    positive definite on the null space of ``A`` and ``A`` of full row rank.
    """
    Q = check_array(Q, "Q", ndim=2, dtype_kind="f")
    c = check_array(c, "c", ndim=1, dtype_kind="f")
    A = check_array(A, "A", ndim=2, dtype_kind="f")
    b = check_array(b, "b", ndim=1, dtype_kind="f")
    n, m = c.shape[0], b.shape[0]
    if Q.shape != (n, n) or A.shape != (m, n):
        raise ValueError(f"need Q of shape ({n}, {n}) and A of shape ({m}, {n}), got "
                         f"{Q.shape} and {A.shape}")
    kkt = jnp.block([[Q, A.T], [A, jnp.zeros((m, m), Q.dtype)]])
    sol = jnp.linalg.solve(kkt, jnp.concatenate([-c, b]))
    return sol[:n], sol[n:]


# --------------------------------------------------------------------------- augmented Lagrangian


class AugmentedLagrangianResult(NamedTuple):
    """Solution, multipliers, objective and KKT residuals at the end."""

    x: jax.Array
    lam: jax.Array
    mu: jax.Array
    fun: jax.Array
    kkt: KKTResiduals


def augmented_lagrangian(fun: Callable, x0, *, eq: Callable | None = None,
                         ineq: Callable | None = None, rho: float = 10.0,
                         num_outer: int = 30, inner_max_iter: int = 200,
                         inner_gtol: float = 1e-6) -> AugmentedLagrangianResult:
    """Method of multipliers for ``min f s.t. eq(x) = 0, ineq(x) ≤ 0`` (see module doc).

    Each outer iteration minimises :math:`L_ρ(\\cdot, λ, μ)` with :func:`lbfgs` warm
    started from the previous ``x``, then updates the multipliers. Jittable
    (``fori_loop`` outside, ``while_loop`` inside).

    Args:
      fun: smooth objective of a 1-D array.
      x0: starting point (need not be feasible).
      eq, ineq: constraint functions returning a scalar or 1-D array.
      rho: penalty parameter ρ > 0 (traced).
      num_outer: multiplier updates (static).
      inner_max_iter, inner_gtol: L-BFGS settings for the inner problems.
    """
    x0 = check_array(x0, "x0", ndim=1, dtype_kind="f")
    check_positive(rho, "rho")
    num_outer = check_int(num_outer, "num_outer", minimum=1)
    if eq is None and ineq is None:
        raise ValueError("give at least one of eq or ineq (else use bfgs/lbfgs)")
    lam0 = jnp.zeros_like(_constraint_values(eq, x0))
    mu0 = jnp.zeros_like(_constraint_values(ineq, x0))

    def lagrangian(x, lam, mu):
        h = _constraint_values(eq, x)
        g = _constraint_values(ineq, x)
        return (fun(x) + lam @ h + 0.5 * rho * (h @ h)
                + jnp.sum(jnp.maximum(0.0, mu + rho * g) ** 2 - mu * mu) / (2.0 * rho))

    def outer(_, carry):
        x, lam, mu = carry
        x = lbfgs(lambda z: lagrangian(z, lam, mu), x, max_iter=inner_max_iter,
                  gtol=inner_gtol).x
        lam = lam + rho * _constraint_values(eq, x)
        mu = jnp.maximum(0.0, mu + rho * _constraint_values(ineq, x))
        return x, lam, mu

    x, lam, mu = jax.lax.fori_loop(0, num_outer, outer, (x0, lam0, mu0))
    kkt = kkt_residuals(fun, x, eq=eq, ineq=ineq, lam=lam, mu=mu)
    return AugmentedLagrangianResult(x=x, lam=lam, mu=mu, fun=fun(x), kkt=kkt)
