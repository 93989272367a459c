r"""Newton's method, BFGS and L-BFGS with a strong-Wolfe line search, all jittable.

Every method iterates :math:`x_{k+1} = x_k + α_k p_k` with a search direction
:math:`p_k` and a step :math:`α_k` chosen by :func:`wolfe_line_search` to satisfy the
strong Wolfe conditions (Nocedal & Wright, *Numerical Optimization*, 2nd ed., §3.1):

.. math::

    f(x + α p) ≤ f(x) + c_1 α ∇f(x)^⊤ p, \qquad |∇f(x + α p)^⊤ p| ≤ c_2 |∇f(x)^⊤ p|,

with :math:`0 < c_1 < c_2 < 1` (defaults 1e-4 and 0.9). The directions:

* **Newton** (N&W §3.4): :math:`p = -\tilde H^{-1} g` where :math:`\tilde H = Q\,
  \max(|Λ|, δ)\, Q^⊤` is the Hessian :math:`H = QΛQ^⊤` with its eigenvalues flipped
  and floored, so :math:`p` is a descent direction even where :math:`H` is indefinite.
* **BFGS** (N&W §6.1): keeps an inverse-Hessian estimate :math:`H_k` updated with
  :math:`s = x_{k+1}-x_k`, :math:`y = ∇f_{k+1}-∇f_k`, :math:`ρ = 1/(y^⊤ s)`:
  :math:`H_{k+1} = (I - ρ s y^⊤) H_k (I - ρ y s^⊤) + ρ s s^⊤`; :math:`H_0` is rescaled
  by :math:`y^⊤s / y^⊤y` before the first update (N&W eq. 6.20).
* **L-BFGS** (Nocedal 1980; N&W Alg. 7.4): the same update applied implicitly from the
  last ``m`` pairs :math:`(s_i, y_i)` by the two-loop recursion, :math:`O(md)` per step.

All loops are ``lax.while_loop``/``fori_loop``, so ``jax.jit(lambda x0: bfgs(f, x0))``
compiles the whole solve. ``x0`` may be any pytree (it is flattened with
``ravel_pytree``); ``record_path=True`` also returns the iterates. The stopping rule is
scipy's: :math:`\|∇f\|_∞ ≤` ``gtol``; a line search that cannot make progress (float
precision reached) also stops the loop. In Newton's method at a positive-definite
Hessian (the quadratic model is exact up to third order), when the predicted decrease
:math:`-∇f^⊤p` is already at the rounding level of :math:`f` (:math:`64\,ε\,(1 + |f|)`),
no line search can tell a decrease from rounding: the full Newton step is taken without
a search, and the loop stops unless that step shrank :math:`\|∇f\|_∞` (under a ``vmap``
a stalled search would otherwise cost every batch member its whole evaluation budget).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jaxml.core import check_array, check_int, check_positive

__all__ = [
    "LineSearchResult",
    "OptimizeResult",
    "wolfe_line_search",
    "newton",
    "bfgs",
    "lbfgs",
]


class LineSearchResult(NamedTuple):
    """Accepted step ``step`` with ``value = f(x + step p)`` and its gradient."""

    step: jax.Array
    value: jax.Array
    grad: jax.Array
    num_evals: jax.Array
    success: jax.Array


class OptimizeResult(NamedTuple):
    """Solution ``x`` (same pytree as ``x0``), ``fun``, flat ``grad``, iterations.

    ``path`` (only with ``record_path=True``) holds the flat iterates, shape
    ``(max_iter + 1, d)``; rows after the last iteration repeat the final point.
    """

    x: Any
    fun: jax.Array
    grad: jax.Array
    num_iter: jax.Array
    num_evals: jax.Array
    converged: jax.Array
    path: jax.Array | None = None


class _LSState(NamedTuple):
    stage: jax.Array  # 0: bracketing, 1: zooming, 2: done
    i: jax.Array
    a_next: jax.Array
    a_lo: jax.Array
    f_lo: jax.Array
    d_lo: jax.Array
    g_lo: jax.Array
    a_hi: jax.Array
    f_hi: jax.Array
    d_hi: jax.Array


def _cubic_min(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi):
    """Minimiser of the cubic matching f and f' at both ends (N&W eq. 3.59), safeguarded.

    Falls back to bisection when the cubic's minimiser is not finite or lies within 10%
    of an end of the interval.
    """
    d1 = d_lo + d_hi - 3.0 * (f_lo - f_hi) / (a_lo - a_hi)
    d2 = jnp.sign(a_hi - a_lo) * jnp.sqrt(jnp.maximum(d1 * d1 - d_lo * d_hi, 0.0))
    a = a_hi - (a_hi - a_lo) * (d_hi + d2 - d1) / (d_hi - d_lo + 2.0 * d2)
    left, right = jnp.minimum(a_lo, a_hi), jnp.maximum(a_lo, a_hi)
    margin = 0.1 * (right - left)
    ok = jnp.isfinite(a) & (a > left + margin) & (a < right - margin)
    return jnp.where(ok, a, 0.5 * (a_lo + a_hi))


def wolfe_line_search(value_and_grad: Callable, x: jax.Array, p: jax.Array, f0: jax.Array,
                      g0: jax.Array, *, init_step: float | jax.Array = 1.0,
                      c1: float = 1e-4, c2: float = 0.9, max_iter: int = 30,
                      max_step: float = 1e10,
                      accept_first: bool | jax.Array = False) -> LineSearchResult:
    """Strong-Wolfe line search: bracketing then zoom (N&W Algorithms 3.5 and 3.6).

    The bracketing phase doubles the trial step until it brackets an acceptable one;
    the zoom phase shrinks the bracket ``[a_lo, a_hi]`` (``a_lo`` always satisfies the
    sufficient-decrease condition and has the lowest value seen) by safeguarded cubic
    interpolation.

    Args:
      value_and_grad: ``z -> (f(z), ∇f(z))`` on flat arrays.
      x: current point; ``p``: a descent direction (:math:`∇f(x)^⊤p < 0`).
      f0, g0: ``f(x)`` and ``∇f(x)``.
      init_step: first trial step.
      c1, c2: the Wolfe constants, ``0 < c1 < c2 < 1``.
      max_iter: maximum number of function evaluations (static).
      max_step: cap on the step in the bracketing phase.
      accept_first: accept the first trial step without testing it (may be traced; the
        descent methods set it when the predicted decrease is at the rounding level).

    Returns:
      A :class:`LineSearchResult`. If no strong-Wolfe point is found within ``max_iter``
      evaluations, the best sufficient-decrease point so far is returned with
      ``success=False`` (``step=0`` if there is none).
    """
    d0 = jnp.vdot(g0, p)
    dtype = f0.dtype

    def phi(a):
        f, g = value_and_grad(x + a * p)
        return f, g, jnp.vdot(g, p)

    def cond(s):
        return (s.stage < 2) & (s.i < max_iter)

    def body(s):
        zooming = s.stage == 1
        a_t = jnp.where(zooming,
                        _cubic_min(s.a_lo, s.f_lo, s.d_lo, s.a_hi, s.f_hi, s.d_hi),
                        s.a_next)
        f_t, g_t, d_t = phi(a_t)
        f_t = jnp.where(jnp.isfinite(f_t), f_t, jnp.inf)
        armijo_fail = (f_t > f0 + c1 * a_t * d0) | (f_t >= s.f_lo) & (s.a_lo > 0)
        armijo_fail = armijo_fail | (zooming & (f_t >= s.f_lo))
        take_first = accept_first & (s.i == 0) & jnp.isfinite(f_t)
        armijo_fail = armijo_fail & ~take_first
        curvature_ok = (jnp.abs(d_t) <= -c2 * d0) | take_first
        uphill = d_t * (s.a_hi - s.a_lo) >= 0
        # outcomes: (A) t becomes hi; (B) done at t; (C) old lo becomes hi and t becomes lo;
        # (D) t becomes lo (zoom) / bracketing continues from t
        case_a = armijo_fail
        case_b = ~armijo_fail & curvature_ok
        case_c = ~armijo_fail & ~curvature_ok & jnp.where(zooming, uphill, d_t >= 0)
        t_to_lo = ~case_a
        old_lo_to_hi = case_c
        a_hi = jnp.where(case_a, a_t, jnp.where(old_lo_to_hi, s.a_lo, s.a_hi))
        f_hi = jnp.where(case_a, f_t, jnp.where(old_lo_to_hi, s.f_lo, s.f_hi))
        d_hi = jnp.where(case_a, d_t, jnp.where(old_lo_to_hi, s.d_lo, s.d_hi))
        stage = jnp.where(case_b, 2, jnp.where(case_a | case_c, jnp.maximum(s.stage, 1),
                                               s.stage))
        return _LSState(
            stage=stage, i=s.i + 1,
            a_next=jnp.minimum(2.0 * a_t, max_step),
            a_lo=jnp.where(t_to_lo, a_t, s.a_lo), f_lo=jnp.where(t_to_lo, f_t, s.f_lo),
            d_lo=jnp.where(t_to_lo, d_t, s.d_lo), g_lo=jnp.where(t_to_lo, g_t, s.g_lo),
            a_hi=a_hi, f_hi=f_hi, d_hi=d_hi)

    zero = jnp.zeros((), dtype)
    init = _LSState(stage=jnp.asarray(0), i=jnp.asarray(0),
                    a_next=jnp.asarray(init_step, dtype), a_lo=zero, f_lo=f0, d_lo=d0,
                    g_lo=g0, a_hi=zero, f_hi=f0, d_hi=d0)
    s = jax.lax.while_loop(cond, body, init)
    return LineSearchResult(step=s.a_lo, value=s.f_lo, grad=s.g_lo, num_evals=s.i,
                            success=s.stage == 2)


class _State(NamedTuple):
    x: jax.Array
    f: jax.Array
    g: jax.Array
    aux: Any
    k: jax.Array
    num_evals: jax.Array
    stalled: jax.Array
    path: jax.Array | None


def _descent(fun, x0, direction, update_aux, aux0, *, max_iter, gtol, c1, c2,
             scale_first_step, record_path):
    """The shared outer loop: direction → Wolfe step → curvature-pair update.

    ``direction(aux, x, g, k) -> (p, exact_model)``; ``exact_model`` (Newton at a
    positive-definite Hessian) allows the unsearched full step when the predicted
    decrease is at the rounding level of ``f`` (see the module docstring).
    """
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_positive(gtol, "gtol", strict=False)
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"need 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    flat0, unravel = ravel_pytree(x0)
    flat0 = check_array(flat0, "x0", ndim=1, dtype_kind="f")  # non-empty and finite
    out = jax.eval_shape(lambda z: fun(unravel(z)), flat0)
    if getattr(out, "shape", None) != ():
        raise ValueError(f"fun must return a scalar, got {out}")
    value_and_grad = jax.value_and_grad(lambda z: fun(unravel(z)))
    f0, g0 = value_and_grad(flat0)

    def cond(s):
        return (s.k < max_iter) & (jnp.max(jnp.abs(s.g)) > gtol) & ~s.stalled

    eps = jnp.finfo(f0.dtype).eps

    def body(s):
        p, exact_model = direction(s.aux, s.x, s.g, s.k)
        descent = jnp.vdot(p, s.g) < 0
        usable = descent & jnp.all(jnp.isfinite(p))
        p = jnp.where(usable, p, -s.g)
        at_rounding_level = usable & exact_model & (
            -jnp.vdot(p, s.g) <= 64 * eps * (1.0 + jnp.abs(s.f)))
        init_step = 1.0
        if scale_first_step:
            init_step = jnp.where((s.k == 0) & ~at_rounding_level,
                                  jnp.minimum(1.0, 1.0 / jnp.linalg.norm(s.g)), 1.0)
        ls = wolfe_line_search(value_and_grad, s.x, p, s.f, s.g, init_step=init_step,
                               c1=c1, c2=c2, accept_first=at_rounding_level)
        step_taken = (ls.step > 0) & jnp.isfinite(ls.value)
        gradient_shrank = jnp.max(jnp.abs(ls.grad)) < jnp.max(jnp.abs(s.g))
        step = ls.step * p
        x_new = s.x + step
        aux = update_aux(s.aux, step, ls.grad - s.g, s.k)
        keep = lambda new, old: jax.tree.map(  # noqa: E731
            lambda a, b: jnp.where(step_taken, a, b), new, old)
        x_kept = keep(x_new, s.x)
        path = None if s.path is None else s.path.at[s.k + 1].set(x_kept)
        return _State(x=x_kept, f=keep(ls.value, s.f), g=keep(ls.grad, s.g),
                      aux=keep(aux, s.aux), k=s.k + 1, num_evals=s.num_evals + ls.num_evals,
                      stalled=~step_taken | (at_rounding_level & ~gradient_shrank),
                      path=path)

    path0 = jnp.broadcast_to(flat0, (max_iter + 1, flat0.size)) if record_path else None
    init = _State(x=flat0, f=f0, g=g0, aux=aux0, k=jnp.asarray(0),
                  num_evals=jnp.asarray(1), stalled=jnp.asarray(False), path=path0)
    s = jax.lax.while_loop(cond, body, init)
    path = None
    if record_path:
        path = jnp.where((jnp.arange(max_iter + 1) <= s.k)[:, None], s.path, s.x)
    return OptimizeResult(x=unravel(s.x), fun=s.f, grad=s.g, num_iter=s.k,
                          num_evals=s.num_evals, converged=jnp.max(jnp.abs(s.g)) <= gtol,
                          path=path)


def newton(fun: Callable, x0: Any, *, hessian: Callable | None = None, max_iter: int = 100,
           gtol: float = 1e-5, c1: float = 1e-4, c2: float = 0.9, eig_floor: float = 1e-8,
           record_path: bool = False) -> OptimizeResult:
    """Newton's method with a modified Hessian and a strong-Wolfe line search.

    Direction :math:`p = -Q \\max(|Λ|, δ)^{-1} Q^⊤ g` from the eigendecomposition
    :math:`∇^2 f = QΛQ^⊤`, with :math:`δ = ` ``eig_floor`` :math:`\\cdot \\max(1,
    \\max|Λ|)`. Locally quadratic convergence near a strict minimum; :math:`O(d^3)` per
    step on top of the Hessian.

    Args:
      fun: scalar objective of a pytree.
      x0: starting point.
      hessian: ``x -> (d, d)`` Hessian of ``fun`` over the flattened parameters
        (``x`` has the structure of ``x0``); default ``jax.hessian``. Pass a closed form
        when one is cheaper, e.g. ``Xᵀ diag(v) X`` for a GLM.
      max_iter: iteration cap (static); gtol: stop when :math:`\\|∇f\\|_∞ ≤` gtol.
      c1, c2: Wolfe constants.
      eig_floor: relative floor for the modified eigenvalues (also what keeps a flat
        direction, e.g. a softmax's shared intercept shift, from making the step
        singular).
      record_path: also return the iterates in ``path`` (static).
    """
    flat0, unravel = ravel_pytree(x0)
    if hessian is None:
        hess = jax.hessian(lambda z: fun(unravel(z)))
    elif callable(hessian):
        def hess(z):
            return hessian(unravel(z))
    else:
        raise TypeError(f"hessian must be None or a callable, got {type(hessian).__name__}")

    def direction(aux, x, g, k):
        del aux, k
        lam, q = jnp.linalg.eigh(hess(x))
        delta = eig_floor * jnp.maximum(1.0, jnp.max(jnp.abs(lam)))
        positive_definite = jnp.min(lam) >= delta
        return -q @ ((q.T @ g) / jnp.maximum(jnp.abs(lam), delta)), positive_definite

    return _descent(fun, x0, direction, lambda aux, s, y, k: aux, (), max_iter=max_iter,
                    gtol=gtol, c1=c1, c2=c2, scale_first_step=False,
                    record_path=record_path)


def bfgs(fun: Callable, x0: Any, *, max_iter: int = 1000, gtol: float = 1e-5,
         c1: float = 1e-4, c2: float = 0.9, record_path: bool = False) -> OptimizeResult:
    """BFGS with a dense inverse-Hessian estimate (N&W Algorithm 6.1).

    The update is skipped when the curvature :math:`y^⊤ s` is not positive (a line
    search that stopped without the curvature condition), keeping :math:`H` positive
    definite.
    """
    flat0, _ = ravel_pytree(x0)
    d = flat0.size
    dtype = jnp.result_type(flat0.dtype, float)

    def direction(h, x, g, k):
        del x, k
        return -h @ g, False

    def update(h, s, y, k):
        sy = jnp.vdot(s, y)
        ok = sy > 1e-10 * jnp.linalg.norm(s) * jnp.linalg.norm(y)
        h = jnp.where(k == 0, (sy / jnp.vdot(y, y)) * jnp.eye(d, dtype=dtype), h)
        rho = 1.0 / jnp.where(ok, sy, 1.0)
        hy = h @ y
        new = (h - rho * (jnp.outer(s, hy) + jnp.outer(hy, s))
               + (rho * rho * jnp.vdot(y, hy) + rho) * jnp.outer(s, s))
        return jnp.where(ok, new, h)

    return _descent(fun, x0, direction, update, jnp.eye(d, dtype=dtype), max_iter=max_iter,
                    gtol=gtol, c1=c1, c2=c2, scale_first_step=True,
                    record_path=record_path)


class _LBFGSMemory(NamedTuple):
    s: jax.Array  # (m, d) circular buffer
    y: jax.Array  # (m, d)
    rho: jax.Array  # (m,)
    count: jax.Array  # number of stored pairs so far


def lbfgs(fun: Callable, x0: Any, *, memory: int = 10, max_iter: int = 1000,
          gtol: float = 1e-5, c1: float = 1e-4, c2: float = 0.9,
          record_path: bool = False) -> OptimizeResult:
    """Limited-memory BFGS (Nocedal 1980; Liu & Nocedal 1989) with ``memory`` pairs.

    The two-loop recursion computes :math:`H_k g` from the last ``m`` pairs and the
    initial scaling :math:`γ_k = s_{k-1}^⊤ y_{k-1} / y_{k-1}^⊤ y_{k-1}` (N&W eq. 7.20).
    """
    m = check_int(memory, "memory", minimum=1)
    flat0, _ = ravel_pytree(x0)
    d = flat0.size
    dtype = jnp.result_type(flat0.dtype, float)

    def direction(mem, x, g, k):
        del x, k
        n_valid = jnp.minimum(mem.count, m)

        def first(j, carry):
            q, alphas = carry
            idx = (mem.count - 1 - j) % m
            valid = j < n_valid
            a = jnp.where(valid, mem.rho[idx] * jnp.vdot(mem.s[idx], q), 0.0)
            return q - a * mem.y[idx], alphas.at[idx].set(a)

        q, alphas = jax.lax.fori_loop(0, m, first, (g, jnp.zeros(m, dtype)))
        newest = (mem.count - 1) % m
        y_new = mem.y[newest]
        gamma = jnp.where(mem.count > 0,
                          jnp.vdot(mem.s[newest], y_new) / jnp.maximum(
                              jnp.vdot(y_new, y_new), jnp.finfo(dtype).tiny), 1.0)
        r = gamma * q

        def second(j, r):
            jj = m - 1 - j  # oldest first
            idx = (mem.count - 1 - jj) % m
            valid = jj < n_valid
            b = mem.rho[idx] * jnp.vdot(mem.y[idx], r)
            return r + jnp.where(valid, alphas[idx] - b, 0.0) * mem.s[idx]

        return -jax.lax.fori_loop(0, m, second, r), False

    def update(mem, s, y, k):
        del k
        sy = jnp.vdot(s, y)
        ok = sy > 1e-10 * jnp.linalg.norm(s) * jnp.linalg.norm(y)
        idx = mem.count % m
        new = _LBFGSMemory(s=mem.s.at[idx].set(s), y=mem.y.at[idx].set(y),
                           rho=mem.rho.at[idx].set(1.0 / jnp.where(ok, sy, 1.0)),
                           count=mem.count + 1)
        return jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, mem)

    mem0 = _LBFGSMemory(s=jnp.zeros((m, d), dtype), y=jnp.zeros((m, d), dtype),
                        rho=jnp.zeros(m, dtype), count=jnp.asarray(0))
    return _descent(fun, x0, direction, update, mem0, max_iter=max_iter, gtol=gtol,
                    c1=c1, c2=c2, scale_first_step=True, record_path=record_path)
