r"""Lagrangian duality: LP, QP and SVM duals solved on their own, with the duality gap.

For :math:`p^* = \min_x \{f(x) : g(x) ≤ 0\}` the Lagrange dual function
:math:`d(μ) = \inf_x f(x) + μ^⊤ g(x)` is concave and :math:`d(μ) ≤ p^*` for every
:math:`μ ≥ 0` (weak duality). For convex problems satisfying Slater's condition, and for
every feasible LP, :math:`\max_{μ≥0} d(μ) = p^*` (strong duality): the *duality gap*
:math:`f(x) - d(μ)` of a primal-dual pair certifies how far both are from optimal
(Boyd & Vandenberghe, *Convex Optimization*, ch. 5).

* **LP** in symmetric form (von Neumann; Gale, Kuhn & Tucker 1951):
  :math:`\min c^⊤x` s.t. :math:`Ax ≥ b, x ≥ 0` has the dual
  :math:`\max b^⊤y` s.t. :math:`A^⊤y ≤ c, y ≥ 0`, which is again an LP of the same form
  (:math:`\min (-b)^⊤y` s.t. :math:`(-A^⊤)y ≥ -c`): :func:`lp_dual` builds it,
  :func:`solve_lp` (a Mehrotra predictor-corrector interior-point method) solves either.
* **QP** :math:`\min ½x^⊤Qx + c^⊤x` s.t. :math:`Ax ≤ b` (:math:`Q ≻ 0`): minimising the
  Lagrangian gives :math:`x(μ) = -Q^{-1}(c + A^⊤μ)` and
  :math:`d(μ) = -½(c + A^⊤μ)^⊤Q^{-1}(c + A^⊤μ) - b^⊤μ`, maximised by projected
  gradient ascent on :math:`μ ≥ 0` (:func:`qp_dual`).
* **SVM** (Cortes & Vapnik 1995): the soft-margin primal
  :math:`\min ½\|w\|^2 + C\sum_i ξ_i` s.t. :math:`y_i(w^⊤x_i + b) ≥ 1 - ξ_i, ξ ≥ 0` has the
  dual :math:`\max_α \sum α_i - ½\sum_{ij} α_iα_j y_iy_j x_i^⊤x_j` s.t.
  :math:`0 ≤ α ≤ C, y^⊤α = 0` (hard margin: :math:`C = ∞`), solved by accelerated
  projected gradient with an exact projection onto the box ∩ hyperplane
  (:func:`svm_dual`); :math:`w = \sum α_i y_i x_i`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core import check_array, check_int, check_positive, is_traced
from jaxml.math.optim_constrained import projected_gradient

__all__ = [
    "LPResult",
    "solve_lp",
    "lp_dual",
    "QPDualResult",
    "qp_dual",
    "SVMDualResult",
    "svm_dual",
]


class LPResult(NamedTuple):
    """Solution ``x``, optimal value, the dual ``y`` (multipliers of ``Ax ≥ b``), status."""

    x: jax.Array
    fun: jax.Array
    y: jax.Array
    num_iter: jax.Array
    converged: jax.Array


def _check_lp(c, A, b):
    c = check_array(c, "c", ndim=1, dtype_kind="f")
    A = check_array(A, "A", ndim=2, dtype_kind="f")
    b = check_array(b, "b", ndim=1, dtype_kind="f")
    if A.shape != (b.shape[0], c.shape[0]):
        raise ValueError(f"A must have shape ({b.shape[0]}, {c.shape[0]}) = (len(b), len(c)),"
                         f" got {A.shape}")
    return c, A, b


def lp_dual(c, A, b) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The dual of ``min cᵀx s.t. Ax ≥ b, x ≥ 0`` written in the same form.

    :math:`\\max b^⊤y` s.t. :math:`A^⊤y ≤ c, y ≥ 0` ⇔ :math:`\\min (-b)^⊤y` s.t.
    :math:`(-A^⊤)y ≥ -c, y ≥ 0`; returns ``(-b, -Aᵀ, -c)``. Applying it twice gives the
    primal back. The dual optimum is minus the optimal value of the returned problem.
    """
    c, A, b = _check_lp(c, A, b)
    return -b, -A.T, -c


def solve_lp(c, A, b, *, max_iter: int = 100, tol: float | None = None) -> LPResult:
    """Solve ``min cᵀx s.t. Ax ≥ b, x ≥ 0`` by a primal-dual interior-point method.

    Slack variables :math:`w = Ax - b ≥ 0` give the standard form
    :math:`\\min \\tilde c^⊤z` s.t. :math:`[A\\ -I]z = b, z ≥ 0`. Each iteration solves the
    Newton system of the perturbed KKT conditions :math:`\\tilde A^⊤y + s = \\tilde c`,
    :math:`\\tilde Az = b`, :math:`z_is_i = σμ` through the normal equations
    :math:`\\tilde A D\\tilde A^⊤ Δy = r` (:math:`D = Z S^{-1}`), with Mehrotra's
    predictor-corrector choice of σ and a 0.99 fraction-to-the-boundary step (Nocedal &
    Wright Alg. 14.3). Assumes the LP has a finite optimum (primal and dual feasible).

    Args:
      c: ``(n,)`` costs; A: ``(m, n)``; b: ``(m,)``.
      max_iter: iteration cap (static).
      tol: stop when the duality measure and relative residuals fall below ``tol``
        (default 1e-9 in float64, 1e-5 in float32).
    """
    c, A, b = _check_lp(c, A, b)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    m, n = A.shape
    dtype = c.dtype
    if tol is None:
        tol = 1e-9 if dtype == jnp.float64 else 1e-5
    At = jnp.concatenate([A, -jnp.eye(m, dtype=dtype)], axis=1)
    ct = jnp.concatenate([c, jnp.zeros(m, dtype)])
    N = n + m

    def residuals(z, y, s):
        return b - At @ z, ct - At.T @ y - s, jnp.vdot(z, s) / N

    def converged(z, y, s):
        rp, rd, mu = residuals(z, y, s)
        return ((mu < tol) & (jnp.linalg.norm(rp) < tol * (1 + jnp.linalg.norm(b)))
                & (jnp.linalg.norm(rd) < tol * (1 + jnp.linalg.norm(ct))))

    def max_step(v, dv):
        ratios = jnp.where(dv < 0, -v / jnp.where(dv < 0, dv, -1.0), jnp.inf)
        return jnp.minimum(1.0, jnp.min(ratios))

    def body(carry):
        z, y, s, k = carry
        rp, rd, mu = residuals(z, y, s)
        d = z / s
        M = (At * d) @ At.T
        M = M + (1e-12 * jnp.trace(M) / m + jnp.finfo(dtype).tiny) * jnp.eye(m, dtype=dtype)
        chol = jax.scipy.linalg.cho_factor(M)

        def newton(rc):  # rc = target for z_i s_i - (current z_i s_i) terms
            dy = jax.scipy.linalg.cho_solve(chol, rp + At @ (d * rd) - At @ (rc / s))
            ds = rd - At.T @ dy
            dz = rc / s - d * ds
            return dz, dy, ds

        dz_a, dy_a, ds_a = newton(-z * s)
        a_p, a_d = max_step(z, dz_a), max_step(s, ds_a)
        mu_aff = jnp.vdot(z + a_p * dz_a, s + a_d * ds_a) / N
        sigma = (mu_aff / mu) ** 3
        dz, dy, ds = newton(sigma * mu - z * s - dz_a * ds_a)
        a_p = 0.99 * max_step(z, dz)
        a_d = 0.99 * max_step(s, ds)
        return z + a_p * dz, y + a_d * dy, s + a_d * ds, k + 1

    def cond(carry):
        z, y, s, k = carry
        return (k < max_iter) & ~converged(z, y, s)

    init = (jnp.ones(N, dtype), jnp.zeros(m, dtype), jnp.ones(N, dtype), jnp.asarray(0))
    z, y, s, k = jax.lax.while_loop(cond, body, init)
    x = z[:n]
    return LPResult(x=x, fun=c @ x, y=y, num_iter=k, converged=converged(z, y, s))


class QPDualResult(NamedTuple):
    """Primal point recovered from the dual, the multipliers and both objective values."""

    x: jax.Array
    mu: jax.Array
    primal_value: jax.Array
    dual_value: jax.Array
    gap: jax.Array
    max_violation: jax.Array


def qp_dual(Q, c, A, b, *, num_steps: int = 2000) -> QPDualResult:
    """Solve ``min ½xᵀQx + cᵀx s.t. Ax ≤ b`` through its Lagrange dual.

    Accelerated projected gradient ascent on :math:`d(μ)` over :math:`μ ≥ 0` with step
    :math:`1/L`, :math:`L = λ_{\\max}(AQ^{-1}A^⊤)` (the dual's smoothness constant);
    :math:`x = x(μ)`. The reported ``gap`` is :math:`f(x) - d(μ)`, ≥ 0 up to the primal
    infeasibility ``max_violation`` of :math:`x(μ)`; both → 0 at the optimum.
    """
    Q = check_array(Q, "Q", ndim=2, dtype_kind="f")
    c = check_array(c, "c", ndim=1, dtype_kind="f")
    A = check_array(A, "A", ndim=2, dtype_kind="f")
    b = check_array(b, "b", ndim=1, dtype_kind="f")
    n, m = c.shape[0], b.shape[0]
    if Q.shape != (n, n) or A.shape != (m, n):
        raise ValueError(f"need Q of shape ({n}, {n}) and A of shape ({m}, {n}), got "
                         f"{Q.shape} and {A.shape}")
    chol = jax.scipy.linalg.cho_factor(Q)
    q_inv = lambda v: jax.scipy.linalg.cho_solve(chol, v)  # noqa: E731
    x_of = lambda mu: -q_inv(c + A.T @ mu)  # noqa: E731

    def neg_dual(mu):
        v = c + A.T @ mu
        return 0.5 * v @ q_inv(v) + b @ mu

    lipschitz = jnp.linalg.eigvalsh(A @ jax.vmap(q_inv, in_axes=1, out_axes=1)(A.T))[-1]
    res = projected_gradient(neg_dual, jnp.zeros(m, c.dtype), lambda mu: jnp.maximum(mu, 0.0),
                             step_size=1.0 / lipschitz, num_steps=num_steps,
                             accelerated=True)
    mu = res.x
    x = x_of(mu)
    primal = 0.5 * x @ Q @ x + c @ x
    dual = -neg_dual(mu)
    return QPDualResult(x=x, mu=mu, primal_value=primal, dual_value=dual, gap=primal - dual,
                        max_violation=jnp.max(jnp.maximum(A @ x - b, 0.0), initial=0.0))


class SVMDualResult(NamedTuple):
    """Dual variables α, the primal ``(w, b)`` recovered from them, and the duality gap."""

    alpha: jax.Array
    w: jax.Array
    b: jax.Array
    primal_value: jax.Array
    dual_value: jax.Array
    gap: jax.Array


def _project_box_hyperplane(v, y, upper, iters=100):
    """Projection onto :math:`\\{0 ≤ α ≤ C, y^⊤α = 0\\}` for labels ±1.

    :math:`α(ν) = \\mathrm{clip}(v - νy, 0, C)`; :math:`y^⊤α(ν)` is non-increasing in ν, so
    the right ν is found by bisection on ``[-max|v| - 1, max|v| + 1]``.
    """
    bound = jnp.max(jnp.abs(v)) + 1.0
    h = lambda nu: y @ jnp.clip(v - nu * y, 0.0, upper)  # noqa: E731

    def step(_, lo_hi):
        lo, hi = lo_hi
        mid = 0.5 * (lo + hi)
        positive = h(mid) > 0
        return jnp.where(positive, mid, lo), jnp.where(positive, hi, mid)

    lo, hi = jax.lax.fori_loop(0, iters, step, (-bound, bound))
    return jnp.clip(v - 0.5 * (lo + hi) * y, 0.0, upper)


def svm_dual(X, y, *, C: float | None = None, num_steps: int = 5000,
             sv_tol: float = 1e-6) -> SVMDualResult:
    """Linear SVM via its dual; ``C=None`` gives the hard margin (separable data).

    Maximises :math:`D(α) = 1^⊤α - ½α^⊤Kα` with :math:`K_{ij} = y_iy_jx_i^⊤x_j` by FISTA
    with step :math:`1/λ_{\\max}(K)` and exact projections. Then :math:`w = X^⊤(α∘y)`;
    the bias averages :math:`y_i - w^⊤x_i` over margin support vectors
    (:math:`α_i > ` ``sv_tol``·scale, and :math:`α_i < C` for the soft margin). The
    primal value is :math:`½\\|w\\|^2 + C\\sum_i\\max(0, 1 - y_i(w^⊤x_i + b))` (just
    :math:`½\\|w\\|^2` for the hard margin) and ``gap`` = primal − dual.

    Args:
      X: ``(n, d)`` features; y: ``(n,)`` labels in {-1, +1} (both classes present).
      C: box bound (> 0) or ``None`` for the hard margin.
      num_steps: projected-gradient iterations (static).
      sv_tol: relative threshold deciding which α are non-zero.
    """
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    y = check_array(y, "y", ndim=1, dtype_kind="f")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and "
                         f"{y.shape[0]}")
    if not is_traced(y):
        labels = set(jnp.unique(y).tolist())
        if labels != {-1.0, 1.0}:
            raise ValueError(f"y must hold labels -1 and +1 (both), got {sorted(labels)}")
    hard = C is None
    if not hard:
        check_positive(C, "C")
    upper = jnp.inf if hard else C
    yx = X * y[:, None]
    K = yx @ yx.T
    lipschitz = jnp.linalg.eigvalsh(K)[-1]
    neg_dual = lambda a: 0.5 * a @ K @ a - jnp.sum(a)  # noqa: E731
    res = projected_gradient(neg_dual, jnp.zeros_like(y),
                             lambda a: _project_box_hyperplane(a, y, upper),
                             step_size=1.0 / lipschitz, num_steps=num_steps, accelerated=True)
    alpha = res.x
    w = yx.T @ alpha
    scale = jnp.max(alpha)
    margin_sv = alpha > sv_tol * scale
    if not hard:
        margin_sv = margin_sv & (alpha < C - sv_tol * scale)
    resid = y - X @ w
    b = jnp.sum(jnp.where(margin_sv, resid, 0.0)) / jnp.maximum(jnp.sum(margin_sv), 1)
    primal = 0.5 * w @ w
    if not hard:
        primal = primal + C * jnp.sum(jnp.maximum(0.0, 1.0 - y * (X @ w + b)))
    dual = -neg_dual(alpha)
    return SVMDualResult(alpha=alpha, w=w, b=b, primal_value=primal, dual_value=dual,
                         gap=primal - dual)
