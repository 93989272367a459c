"""Support vector machines: primal Pegasos, dual SMO (C-SVC, kernel SVM), epsilon-SVR.

**Soft-margin SVM (primal).** With labels :math:`y_i \\in \\{-1, +1\\}`,

.. math::  \\min_{w, b}\\; \\tfrac12 \\lVert w \\rVert^2 + C \\sum_i \\max(0, 1 - y_i (w^\\top x_i + b)).

:func:`linear_svm` minimises the equivalent :math:`\\tfrac{\\lambda}{2}\\lVert \\tilde w\\rVert^2
+ \\tfrac1n\\sum_i \\text{hinge}_i` (:math:`\\lambda = 1/(nC)`, bias folded into
:math:`\\tilde w` through a constant feature, as liblinear does) by Pegasos: stochastic
subgradient steps :math:`\\eta_t = 1/(\\lambda t)` and projection onto the ball of radius
:math:`1/\\sqrt\\lambda` (Shalev-Shwartz et al., 2007/2011).

**Dual (any kernel).** The Lagrangian dual is the box- and equality-constrained QP

.. math::  \\min_\\alpha\\; \\tfrac12 \\alpha^\\top Q \\alpha + p^\\top \\alpha
           \\quad\\text{s.t.}\\quad 0 \\le \\alpha_t \\le C,\\; y^\\top \\alpha = 0,

with :math:`Q_{st} = y_s y_t k(x_s, x_t)` and :math:`p = -\\mathbf 1` for classification.
:func:`smo_solve` is sequential minimal optimisation with the second-order working-set
selection of libsvm (Fan, Chen & Lin, 2005): pick
:math:`i = \\arg\\max_{t \\in I_{up}} -y_t \\nabla_t f`, then the :math:`j \\in I_{low}` that
maximises the guaranteed decrease :math:`b_{ij}^2 / a_{ij}`, solve the two-variable
problem in closed form and update the gradient with two kernel columns. It stops when
the maximal KKT violation :math:`m(\\alpha) - M(\\alpha) \\le` ``tol``. The whole solver is a
``lax.while_loop`` over a precomputed Gram matrix. The decision function is
:math:`f(x) = \\sum_t y_t \\alpha_t k(x_t, x) - \\rho`, with :math:`\\rho` the average of
:math:`y_t \\nabla_t f` over free support vectors, as in libsvm.

Multiclass :func:`svc` is one-vs-one like libsvm/scikit-learn: the :math:`K(K-1)/2`
pairwise problems are solved in one ``vmap`` by giving samples outside a pair an upper
bound of 0 (they can never enter the working set). Prediction is by majority vote.
With ``probability=True``, Platt scaling (Platt, 1999; Lin, Lin & Weng, 2007) is fitted
on 5-fold cross-validated decision values (the folds are again upper-bound masks, so all
folds train in the same ``vmap``) and multiclass probabilities come from pairwise
coupling (Wu, Lin & Weng, 2004, method 2).

**epsilon-SVR** (:func:`svr`) is the same solver on :math:`2n` variables
:math:`(\\alpha, \\alpha^*)`: :math:`y = (+1, -1)`, :math:`p = (\\epsilon - y, \\epsilon + y)`,
prediction :math:`\\sum_i (\\alpha_i - \\alpha_i^*) k(x_i, x) - \\rho`.

References:
  Platt, "Sequential minimal optimization", MSR-TR-98-14, 1998.
  Fan, Chen & Lin, "Working set selection using second order information", JMLR 2005.
  Chang & Lin, "LIBSVM: a library for support vector machines", ACM TIST 2011.
  Shalev-Shwartz, Singer, Srebro & Cotter, "Pegasos", Math. Programming 2011.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.classical.kernels import KERNELS, pairwise_kernel
from jaxml.core import (
    Classifier,
    Regressor,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    check_X_y,
    is_traced,
    pytree_dataclass,
)

__all__ = [
    "SMOResult",
    "smo_solve",
    "resolve_gamma",
    "svc",
    "SVCParams",
    "svr",
    "SVRParams",
    "linear_svm",
    "LinearSVMParams",
    "hinge_objective",
    "ovr_decision",
    "pairwise_coupling",
    "class_count",
]

_TAU = 1e-12  # libsvm's floor for a non-positive curvature a_ij
_PROB_FOLDS = 5


# --------------------------------------------------------------------------- SMO solver


@pytree_dataclass
class SMOResult:
    """Solution of the dual QP.

    Attributes:
      alpha: dual variables ``(m,)``.
      grad: gradient ``Q alpha + p`` at the solution.
      rho: offset; the decision function is ``sum_t y_t alpha_t k(x_t, x) - rho``.
      objective: dual objective ``1/2 alpha^T Q alpha + p^T alpha``.
      gap: final maximal KKT violation ``m(alpha) - M(alpha)``.
      n_iter: number of SMO steps taken.
    """

    alpha: jax.Array
    grad: jax.Array
    rho: jax.Array
    objective: jax.Array
    gap: jax.Array
    n_iter: jax.Array


class _SMOState(NamedTuple):
    alpha: jax.Array
    grad: jax.Array
    i: jax.Array
    j: jax.Array
    gap: jax.Array
    n_iter: jax.Array


def smo_solve(
    kernel_row: Callable[[jax.Array], jax.Array],
    kernel_diag: jax.Array,
    y: jax.Array,
    p: jax.Array,
    upper: jax.Array,
    *,
    tol: Any = 1e-3,
    max_iter: Any = 100_000,
) -> SMOResult:
    """Solve ``min 1/2 a^T Q a + p^T a, 0 <= a <= upper, y^T a = 0`` by SMO (WSS2).

    Args:
      kernel_row: ``t -> k(x_t, x_s)`` for all ``s`` (shape ``(m,)``), so that
        ``Q[:, t] = y * y[t] * kernel_row(t)``.
      kernel_diag: ``k(x_t, x_t)``, shape ``(m,)``.
      y: ``±1`` labels ``(m,)``.
      p: linear term ``(m,)``.
      upper: per-variable upper bounds ``(m,)`` (``C`` times weights); a variable with
        ``upper == 0`` is inactive: fixed at 0 and ignored when computing ``rho``.
      tol: stopping tolerance on the maximal KKT violation (libsvm's ``eps``).
      max_iter: iteration cap.

    Returns:
      :class:`SMOResult`. Starts from ``alpha = 0`` (feasible for ``y^T alpha = 0``).
    """
    dtype = kernel_diag.dtype
    y = y.astype(dtype)
    upper = upper.astype(dtype)
    active = upper > 0

    def select(alpha, grad):
        minus_yg = -y * grad
        up = active & jnp.where(y > 0, alpha < upper, alpha > 0)
        low = active & jnp.where(y > 0, alpha > 0, alpha < upper)
        up_vals = jnp.where(up, minus_yg, -jnp.inf)
        i = jnp.argmax(up_vals)
        g_max = up_vals[i]
        g_min = jnp.min(jnp.where(low, minus_yg, jnp.inf))
        b = g_max - minus_yg
        a = kernel_diag[i] + kernel_diag - 2.0 * kernel_row(i)
        a = jnp.where(a > 0, a, _TAU)
        score = jnp.where(low & (b > 0), -(b * b) / a, jnp.inf)
        j = jnp.argmin(score)
        gap = jnp.where(jnp.isfinite(g_max) & jnp.isfinite(g_min), g_max - g_min, 0.0)
        return i, j, gap

    def cond(state):
        return (state.gap > tol) & (state.n_iter < max_iter)

    def body(state):
        alpha, grad, i, j = state.alpha, state.grad, state.i, state.j
        k_i = kernel_row(i)
        k_j = kernel_row(j)
        a = kernel_diag[i] + kernel_diag[j] - 2.0 * k_i[j]
        a = jnp.where(a > 0, a, _TAU)
        b = -y[i] * grad[i] + y[j] * grad[j]
        # Move alpha_i by +y_i t and alpha_j by -y_j t (keeps y^T alpha fixed), t >= 0.
        room_i = jnp.where(y[i] > 0, upper[i] - alpha[i], alpha[i])
        room_j = jnp.where(y[j] > 0, alpha[j], upper[j] - alpha[j])
        t = jnp.minimum(b / a, jnp.minimum(room_i, room_j))
        bound_i = jnp.where(y[i] > 0, upper[i], 0.0)
        bound_j = jnp.where(y[j] > 0, 0.0, upper[j])
        new_i = jnp.where(t >= room_i, bound_i, alpha[i] + y[i] * t)
        new_j = jnp.where(t >= room_j, bound_j, alpha[j] - y[j] * t)
        d_i = new_i - alpha[i]
        d_j = new_j - alpha[j]
        grad = grad + y * (y[i] * d_i * k_i + y[j] * d_j * k_j)
        alpha = alpha.at[i].set(new_i).at[j].set(new_j)
        i, j, gap = select(alpha, grad)
        return _SMOState(alpha, grad, i, j, gap, state.n_iter + 1)

    alpha0 = jnp.zeros_like(kernel_diag)
    grad0 = p.astype(dtype)
    i0, j0, gap0 = select(alpha0, grad0)
    state = jax.lax.while_loop(
        cond, body, _SMOState(alpha0, grad0, i0, j0, gap0, jnp.zeros((), jnp.int32))
    )
    alpha, grad = state.alpha, state.grad

    # rho as libsvm's calculate_rho: mean of y G over free variables, else midpoint.
    yg = y * grad
    at_upper = alpha >= upper
    at_lower = alpha <= 0
    free = active & ~at_upper & ~at_lower
    ub_set = active & ((at_upper & (y < 0)) | (at_lower & (y > 0)))
    lb_set = active & ((at_upper & (y > 0)) | (at_lower & (y < 0)))
    ub = jnp.min(jnp.where(ub_set, yg, jnp.inf))
    lb = jnp.max(jnp.where(lb_set, yg, -jnp.inf))
    n_free = jnp.sum(free)
    rho_free = jnp.sum(jnp.where(free, yg, 0.0)) / jnp.maximum(n_free, 1)
    rho_mid = jnp.where(jnp.isfinite(ub) & jnp.isfinite(lb), 0.5 * (ub + lb), 0.0)
    rho = jnp.where(n_free > 0, rho_free, rho_mid)
    objective = 0.5 * jnp.dot(alpha, grad + p)
    return SMOResult(alpha, grad, rho, objective, state.gap, state.n_iter)


# --------------------------------------------------------------------------- helpers


def resolve_gamma(gamma: Any, X: jax.Array) -> jax.Array:
    """scikit-learn's SVC ``gamma``: ``"scale"`` = 1/(d Var[X]), ``"auto"`` = 1/d, or a number."""
    d = X.shape[1]
    if isinstance(gamma, str):
        check_option(gamma, "gamma", ("scale", "auto"))
        if gamma == "auto":
            return jnp.asarray(1.0 / d, X.dtype)
        var = jnp.var(X)
        return jnp.where(var > 0, 1.0 / (d * jnp.where(var > 0, var, 1.0)), 1.0).astype(X.dtype)
    check_positive(gamma, "gamma")
    return jnp.asarray(gamma, X.dtype)


def _check_kernel_args(kernel, gamma, degree, coef0, C, tol, max_iter):
    check_option(kernel, "kernel", KERNELS)
    if not isinstance(gamma, str):
        check_positive(gamma, "gamma")
    else:
        check_option(gamma, "gamma", ("scale", "auto"))
    check_int(degree, "degree", minimum=0)
    if not is_traced(coef0):
        arr = np.asarray(coef0)
        if arr.ndim != 0 or arr.dtype.kind not in "iuf" or not np.isfinite(arr):
            raise TypeError(f"coef0 must be a finite real scalar, got {coef0!r}")
    check_positive(C, "C")
    check_positive(tol, "tol")
    check_int(max_iter, "max_iter", minimum=1)


def _gram(kernel, X, Z, gamma, degree, coef0):
    return pairwise_kernel(X, Z, kernel=kernel, gamma=gamma, degree=degree, coef0=coef0)


def class_count(y: jax.Array, n_classes: int | None) -> int:
    """Number of classes of integer codes ``y``; every code ``0..K-1`` must occur."""
    if n_classes is not None:
        n_classes = check_int(n_classes, "n_classes", minimum=2)
    elif is_traced(y):
        raise ValueError("n_classes must be given when fit is traced (jit/vmap)")
    if is_traced(y):
        return n_classes
    present = np.unique(np.asarray(y))
    if present.size < 2:
        raise ValueError(f"y must contain at least 2 classes, got {present}")
    k = int(present[-1]) + 1 if n_classes is None else n_classes
    if present[0] < 0 or present.size != k or present[-1] != k - 1:
        raise ValueError(
            f"y must hold class codes 0..{k - 1} with every class present, got {present}"
        )
    return k


def _pairs(n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    first, second = np.triu_indices(n_classes, k=1)
    return first.astype(np.int32), second.astype(np.int32)


def ovr_decision(decision: jax.Array, n_classes: int) -> jax.Array:
    """One-vs-one decisions ``(n, n_pairs)`` to scikit-learn's ``"ovr"`` shape ``(n, K)``.

    ``decision[:, k] > 0`` votes for the second class of pair ``k`` (pairs in
    ``np.triu_indices`` order). The score is votes plus summed confidences squashed into
    ``(-1/3, 1/3)`` so they only break ties, as ``sklearn.multiclass._ovr_decision_function``.
    """
    first, second = _pairs(n_classes)
    to_second = (decision > 0).astype(decision.dtype)
    onehot_i = jax.nn.one_hot(first, n_classes, dtype=decision.dtype)
    onehot_j = jax.nn.one_hot(second, n_classes, dtype=decision.dtype)
    votes = (1.0 - to_second) @ onehot_i + to_second @ onehot_j
    conf = decision @ onehot_j - decision @ onehot_i
    return votes + conf / (3.0 * (jnp.abs(conf) + 1.0))


def _votes(decision: jax.Array, n_classes: int) -> jax.Array:
    first, second = _pairs(n_classes)
    to_second = (decision > 0).astype(jnp.int32)
    onehot_i = jax.nn.one_hot(first, n_classes, dtype=jnp.int32)
    onehot_j = jax.nn.one_hot(second, n_classes, dtype=jnp.int32)
    return (1 - to_second) @ onehot_i + to_second @ onehot_j


# --------------------------------------------------------------------------- Platt scaling


def _platt_fit(f: jax.Array, t01: jax.Array, weight: jax.Array, n_steps: int = 100):
    """Fit ``P(y=1|f) = 1/(1 + exp(A f + B))`` by damped Newton (Lin, Lin & Weng, 2007).

    Targets are Platt's smoothed labels ``(N+ + 1)/(N+ + 2)`` and ``1/(N- + 2)``;
    ``weight`` masks the samples that take part.
    """
    n_pos = jnp.sum(weight * t01)
    n_neg = jnp.sum(weight * (1.0 - t01))
    target = jnp.where(t01 > 0, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def loss(ab):
        z = ab[0] * f + ab[1]  # P(y=1) = sigmoid(-z)
        nll = target * jax.nn.softplus(z) + (1.0 - target) * jax.nn.softplus(-z)
        return jnp.sum(weight * nll)

    grad_fn = jax.grad(loss)
    hess_fn = jax.hessian(loss)

    def step(ab, _):
        g = grad_fn(ab)
        h = hess_fn(ab) + 1e-12 * jnp.eye(2, dtype=ab.dtype)
        direction = -jnp.linalg.solve(h, g)
        base = loss(ab)

        # Backtracking line search on the step size (halving, at most 20 times).
        def shrink(carry):
            s, _ = carry
            return s * 0.5, loss(ab + 0.5 * s * direction)

        def keep_going(carry):
            s, val = carry
            return (val > base + 1e-4 * s * jnp.dot(g, direction)) & (s > 1e-6)

        s, _ = jax.lax.while_loop(keep_going, shrink, (1.0, loss(ab + direction)))
        new = ab + s * direction
        return jnp.where(jnp.isfinite(new).all() & (s > 1e-6), new, ab), None

    ab0 = jnp.array([0.0, jnp.log((n_neg + 1.0) / (n_pos + 1.0))], dtype=f.dtype)
    ab, _ = jax.lax.scan(step, ab0, None, length=n_steps)
    return ab[0], ab[1]


def pairwise_coupling(r: jax.Array, n_classes: int) -> jax.Array:
    """Class probabilities from pairwise ones (Wu, Lin & Weng, 2004, method 2).

    Args:
      r: ``(n, n_pairs)`` with ``r[:, k] = P(second class | first or second, x)`` for
        pair ``k`` of ``np.triu_indices(n_classes, 1)``.

    Solves :math:`\\min_p \\tfrac12 p^\\top Q p` s.t. :math:`\\sum_t p_t = 1` where
    :math:`Q_{tt} = \\sum_{s \\ne t} r_{st}^2`, :math:`Q_{st} = -r_{st} r_{ts}`
    (:math:`r_{st} = P(s | s \\text{ or } t)`) through its KKT linear system.
    """
    first, second = _pairs(n_classes)
    r = jnp.clip(r, 1e-7, 1.0 - 1e-7)
    n = r.shape[0]
    R = jnp.zeros((n, n_classes, n_classes), r.dtype)
    R = R.at[:, second, first].set(r).at[:, first, second].set(1.0 - r)
    # R[s, t] = P(s | s or t).
    off = R * jnp.swapaxes(R, 1, 2)
    diag = jnp.sum(jnp.square(jnp.swapaxes(R, 1, 2)), axis=2) - jnp.square(
        jnp.diagonal(R, axis1=1, axis2=2)
    )
    Q = -off + jnp.eye(n_classes, dtype=r.dtype)[None] * (diag[:, :, None] + off)
    ones = jnp.ones((n, n_classes, 1), r.dtype)
    top = jnp.concatenate([Q, ones], axis=2)
    bottom = jnp.concatenate([jnp.swapaxes(ones, 1, 2), jnp.zeros((n, 1, 1), r.dtype)], axis=2)
    kkt = jnp.concatenate([top, bottom], axis=1)
    rhs = jnp.zeros((n, n_classes + 1), r.dtype).at[:, -1].set(1.0)
    p = jnp.linalg.solve(kkt, rhs[..., None])[:, :n_classes, 0]
    p = jnp.clip(p, 0.0, 1.0)
    return p / jnp.sum(p, axis=1, keepdims=True)


# --------------------------------------------------------------------------- C-SVC


@pytree_dataclass
class SVCParams:
    """Fitted one-vs-one C-SVC.

    Attributes:
      X_fit: training inputs ``(n, d)`` (rows with all-zero ``dual_coef`` are not
        support vectors).
      dual_coef: ``y_t alpha_t`` per pair ``(n_pairs, n)``; ``+1`` is the pair's second class.
      intercept: ``-rho`` per pair ``(n_pairs,)``.
      gamma: the kernel's resolved ``gamma``.
      coef0: the kernel's ``coef0``.
      objective: dual objective per pair.
      n_iter: SMO iterations per pair.
      prob_a, prob_b: Platt coefficients per pair (``None`` unless ``probability=True``).
    """

    X_fit: jax.Array
    dual_coef: jax.Array
    intercept: jax.Array
    gamma: jax.Array
    coef0: jax.Array
    objective: jax.Array
    n_iter: jax.Array
    prob_a: jax.Array | None = None
    prob_b: jax.Array | None = None


def svc(
    C: Any = 1.0,
    *,
    kernel: str = "rbf",
    gamma: Any = "scale",
    degree: int = 3,
    coef0: Any = 0.0,
    tol: Any = 1e-3,
    max_iter: int = 100_000,
    n_classes: int | None = None,
    probability: bool = False,
) -> Classifier:
    """C-support vector classifier solved in the dual by SMO (scikit-learn's ``SVC``).

    Args:
      C: soft-margin penalty (traced).
      kernel: ``"linear"``, ``"poly"``, ``"rbf"`` or ``"sigmoid"`` (static).
      gamma: ``"scale"``, ``"auto"`` or a positive number (traced).
      degree: polynomial degree (static).
      coef0: kernel offset for ``poly``/``sigmoid`` (traced).
      tol: SMO stopping tolerance on the KKT violation.
      max_iter: SMO iteration cap per pairwise problem.
      n_classes: number of classes; inferred from ``y`` unless ``fit`` is traced.
      probability: also fit Platt scaling on 5-fold CV decision values, so that
        ``predict_proba`` works.

    Returns:
      ``Classifier(fit, predict, predict_proba, decision_function)``: ``fit(X, y)`` takes
      integer class codes ``0..K-1``; ``predict`` returns codes (one-vs-one vote, ties to
      the lower class); ``decision_function`` returns one-vs-one scores
      ``(n, K(K-1)/2)``, positive for the pair's second class (see :func:`ovr_decision`);
      ``predict_proba`` needs ``probability=True``.
    """
    _check_kernel_args(kernel, gamma, degree, coef0, C, tol, max_iter)

    def fit(X: Any, y: Any) -> SVCParams:
        X, y = check_X_y(X, y, y_kind="i")
        k = class_count(y, n_classes)
        g = resolve_gamma(gamma, X)
        c0 = jnp.asarray(coef0, X.dtype)
        K = _gram(kernel, X, None, g, degree, c0)
        diag = jnp.diagonal(K)
        first, second = _pairs(k)
        n = X.shape[0]

        def solve(pair_first, pair_second, keep):
            in_pair = ((y == pair_first) | (y == pair_second)) & keep
            signs = jnp.where(y == pair_second, 1.0, -1.0).astype(X.dtype)
            upper = jnp.where(in_pair, C, 0.0).astype(X.dtype)
            res = smo_solve(
                lambda t: K[t], diag, signs, -jnp.ones(n, X.dtype), upper,
                tol=tol, max_iter=max_iter,
            )
            return signs * res.alpha, -res.rho, res.objective, res.n_iter

        everyone = jnp.ones(n, bool)
        coef, intercept, objective, n_iter = jax.vmap(solve, in_axes=(0, 0, None))(
            jnp.asarray(first), jnp.asarray(second), everyone
        )
        prob_a = prob_b = None
        if probability:
            prob_a, prob_b = _svc_platt(K, y, k, first, second, solve, n)
        return SVCParams(X, coef, intercept, g, c0, objective, n_iter, prob_a, prob_b)

    def decision_function(params: SVCParams, X: Any) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.X_fit.shape[1])
        K = _gram(kernel, X, params.X_fit, params.gamma, degree, params.coef0)
        return K @ params.dual_coef.T + params.intercept

    def predict(params: SVCParams, X: Any) -> jax.Array:
        dec = decision_function(params, X)
        k = _n_classes_from_pairs(params.dual_coef.shape[0])
        return jnp.argmax(_votes(dec, k), axis=1).astype(jnp.int32)

    def predict_proba(params: SVCParams, X: Any) -> jax.Array:
        if params.prob_a is None:
            raise ValueError("predict_proba needs the estimator built with probability=True")
        dec = decision_function(params, X)
        k = _n_classes_from_pairs(params.dual_coef.shape[0])
        r = jax.nn.sigmoid(-(params.prob_a * dec + params.prob_b))
        if k == 2:
            r = jnp.clip(r[:, 0], 1e-7, 1.0 - 1e-7)
            return jnp.stack([1.0 - r, r], axis=1)
        return pairwise_coupling(r, k)

    return Classifier(fit, predict, predict_proba, decision_function)


def _n_classes_from_pairs(n_pairs: int) -> int:
    return int(round((1 + np.sqrt(1 + 8 * n_pairs)) / 2))


def _svc_platt(K, y, k, first, second, solve, n):
    """Platt coefficients per pair from 5-fold cross-validated decision values.

    Fold membership is deterministic: the ``r``-th sample of each class (in input order)
    goes to fold ``r mod 5``, so folds are stratified and no key is needed. All
    ``pairs x folds`` problems train in one ``vmap`` (held-out samples get upper bound 0).
    """
    onehot = jax.nn.one_hot(y, k, dtype=jnp.int32)
    rank_in_class = jnp.sum((jnp.cumsum(onehot, axis=0) - 1) * onehot, axis=1)
    fold = rank_in_class % _PROB_FOLDS
    folds = jnp.arange(_PROB_FOLDS)
    pf = jnp.repeat(jnp.asarray(first), _PROB_FOLDS)
    ps = jnp.repeat(jnp.asarray(second), _PROB_FOLDS)
    fk = jnp.tile(folds, first.size)
    keep = fold[None, :] != fk[:, None]
    coef, intercept, _, _ = jax.vmap(solve)(pf, ps, keep)
    dec = coef @ K + intercept[:, None]  # (pairs*folds, n): K symmetric
    dec = dec.reshape(first.size, _PROB_FOLDS, n)
    held_out = jax.nn.one_hot(fold, _PROB_FOLDS, dtype=dec.dtype).T  # (folds, n)
    cv_dec = jnp.sum(dec * held_out[None], axis=1)  # (pairs, n)

    def fit_pair(f, a, b):
        in_pair = ((y == a) | (y == b)).astype(f.dtype)
        t01 = (y == b).astype(f.dtype)
        return _platt_fit(f, t01, in_pair)

    return jax.vmap(fit_pair)(cv_dec, jnp.asarray(first), jnp.asarray(second))


# --------------------------------------------------------------------------- epsilon-SVR


@pytree_dataclass
class SVRParams:
    """Fitted epsilon-SVR: ``f(x) = sum_i dual_coef_i k(x_i, x) + intercept``."""

    X_fit: jax.Array
    dual_coef: jax.Array
    intercept: jax.Array
    gamma: jax.Array
    coef0: jax.Array
    objective: jax.Array
    n_iter: jax.Array


def svr(
    C: Any = 1.0,
    *,
    epsilon: Any = 0.1,
    kernel: str = "rbf",
    gamma: Any = "scale",
    degree: int = 3,
    coef0: Any = 0.0,
    tol: Any = 1e-3,
    max_iter: int = 100_000,
) -> Regressor:
    """epsilon-insensitive support vector regression (scikit-learn's ``SVR``) by SMO.

    Minimises :math:`\\tfrac12\\lVert w\\rVert^2 + C\\sum_i \\max(0, |y_i - f(x_i)| - \\epsilon)`
    through its dual on :math:`(\\alpha, \\alpha^*)` (see the module docstring).
    """
    _check_kernel_args(kernel, gamma, degree, coef0, C, tol, max_iter)
    check_positive(epsilon, "epsilon", strict=False)

    def fit(X: Any, y: Any) -> SVRParams:
        X, y = check_X_y(X, y)
        y = y.astype(X.dtype)
        n = X.shape[0]
        g = resolve_gamma(gamma, X)
        c0 = jnp.asarray(coef0, X.dtype)
        K = _gram(kernel, X, None, g, degree, c0)
        diag = jnp.diagonal(K)
        signs = jnp.concatenate([jnp.ones(n, X.dtype), -jnp.ones(n, X.dtype)])
        p = jnp.concatenate([epsilon - y, epsilon + y])
        upper = jnp.full(2 * n, C, X.dtype)
        res = smo_solve(
            lambda t: jnp.tile(K[t % n], 2), jnp.tile(diag, 2), signs, p, upper,
            tol=tol, max_iter=max_iter,
        )
        coef = res.alpha[:n] - res.alpha[n:]
        return SVRParams(X, coef, -res.rho, g, c0, res.objective, res.n_iter)

    def predict(params: SVRParams, X: Any) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.X_fit.shape[1])
        K = _gram(kernel, X, params.X_fit, params.gamma, degree, params.coef0)
        return K @ params.dual_coef + params.intercept

    return Regressor(fit, predict)


# --------------------------------------------------------------------------- Pegasos


@pytree_dataclass
class LinearSVMParams:
    """Primal linear SVM, one-vs-rest: ``scores = X @ coef.T + intercept``."""

    coef: jax.Array
    intercept: jax.Array


def hinge_objective(w: jax.Array, b: jax.Array, X: jax.Array, y_pm: jax.Array, lam: Any):
    """Pegasos objective ``lam/2 (||w||^2 + b^2) + mean(max(0, 1 - y (Xw + b)))``."""
    margins = y_pm * (X @ w + b)
    return 0.5 * lam * (jnp.sum(w * w) + b * b) + jnp.mean(jnp.maximum(0.0, 1.0 - margins))


def linear_svm(
    lam: Any = 1e-3,
    *,
    n_steps: int = 2000,
    batch_size: int = 32,
    n_classes: int | None = None,
) -> Classifier:
    """Primal soft-margin linear SVM trained by Pegasos (stochastic subgradient).

    Minimises :func:`hinge_objective` (bias regularised like liblinear's
    ``intercept_scaling``), i.e. scikit-learn's ``LinearSVC(loss="hinge", C=1/(lam n))``.
    Step :math:`w \\leftarrow \\Pi_{B(1/\\sqrt\\lambda)}((1 - \\eta_t\\lambda) w +
    \\tfrac{\\eta_t}{|A_t|}\\sum_{i\\in A_t^+} y_i x_i)` with :math:`\\eta_t = 1/(\\lambda t)`,
    returning the average of the second half of the iterates. Multiclass is one-vs-rest
    (one ``vmap``). ``fit(key, X, y)`` takes class codes ``0..K-1``; ``predict_proba``
    is a softmax of the margins (a monotone score, not calibrated).
    """
    check_positive(lam, "lam")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)

    def fit(key: jax.Array, X: Any, y: Any) -> LinearSVMParams:
        X, y = check_X_y(X, y, y_kind="i")
        k = class_count(y, n_classes)
        n, d = X.shape
        Xa = jnp.concatenate([X, jnp.ones((n, 1), X.dtype)], axis=1)
        idx = jax.random.randint(key, (n_steps, batch_size), 0, n)

        def one_class(y_pm):
            def step(carry, inp):
                w, w_avg = carry
                t, batch = inp
                eta = 1.0 / (lam * t)
                xb, yb = Xa[batch], y_pm[batch]
                active = (yb * (xb @ w) < 1.0).astype(X.dtype)
                w = (1.0 - eta * lam) * w + eta * ((active * yb) @ xb) / batch_size
                w = w * jnp.minimum(1.0, 1.0 / (jnp.sqrt(lam) * jnp.linalg.norm(w) + 1e-30))
                half = n_steps // 2
                weight = jnp.where(t > half, 1.0 / (n_steps - half), 0.0)
                return (w, w_avg + weight * w), None

            ts = jnp.arange(1, n_steps + 1, dtype=X.dtype)
            w0 = jnp.zeros(d + 1, X.dtype)
            (_, w_avg), _ = jax.lax.scan(step, (w0, w0), (ts, idx))
            return w_avg

        if k == 2:
            targets = jnp.where(y == 1, 1.0, -1.0)[None].astype(X.dtype)
        else:
            targets = jnp.where(y[None, :] == jnp.arange(k)[:, None], 1.0, -1.0).astype(X.dtype)
        W = jax.vmap(one_class)(targets)
        return LinearSVMParams(W[:, :d], W[:, d])

    def decision_function(params: LinearSVMParams, X: Any) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.coef.shape[1])
        return X @ params.coef.T + params.intercept

    def predict(params: LinearSVMParams, X: Any) -> jax.Array:
        scores = decision_function(params, X)
        if scores.shape[1] == 1:
            return (scores[:, 0] > 0).astype(jnp.int32)
        return jnp.argmax(scores, axis=1).astype(jnp.int32)

    def predict_proba(params: LinearSVMParams, X: Any) -> jax.Array:
        scores = decision_function(params, X)
        if scores.shape[1] == 1:
            scores = jnp.concatenate([-scores, scores], axis=1) * 0.5
        return jax.nn.softmax(scores, axis=1)

    return Classifier(fit, predict, predict_proba, decision_function)

