r"""Logistic regression with scikit-learn's objective: Newton (IRLS), L-BFGS or FISTA.

With sample weights :math:`s_i` (from ``class_weight`` and ``sample_weight``) the objective is

.. math::
    C \sum_i s_i \,\ell(y_i, W x_i + b) + \tfrac12\lVert W\rVert_F^2
    \quad\text{or}\quad C \sum_i s_i\,\ell(y_i, W x_i + b) + \lVert W\rVert_1,

where :math:`\ell` is the binary log-loss :math:`\log(1 + e^{z}) - y z` on one logit
(two classes) or the multinomial loss :math:`\log\sum_k e^{z_k} - z_y` on ``K`` logits.
The intercept is not penalised. Its gradient is :math:`X^\top S (p - Y)` and Hessian
:math:`X^\top S\,(\operatorname{diag}(p) - pp^\top) X` blockwise, so Newton's method is
iteratively reweighted least squares (IRLS). Both smooth solvers are the ones of
:mod:`jaxml.math.optim_second_order` with its strong-Wolfe line search: ``"newton"`` is
:func:`~jaxml.math.optim_second_order.newton` given the closed-form Hessian above,
``"lbfgs"`` is :func:`~jaxml.math.optim_second_order.lbfgs` (Liu & Nocedal, 1989). The L1
penalty uses FISTA (Beck & Teboulle, 2009), a proximal gradient method whose proximal step
is the soft-threshold. For the multinomial model the loss is invariant to adding a
constant to all intercepts; we return the centred intercepts (the L2 penalty already
makes :math:`\sum_k W_k = 0` at the optimum).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxml.classical.linear.common import (
    augment,
    check_fit_intercept,
    check_sample_weight,
    check_tol,
    soft_threshold,
)
from jaxml.core import (
    Classifier,
    check_class_codes,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    check_X_y,
    pytree_dataclass,
    static_field,
)
from jaxml.math.optim_second_order import lbfgs, newton

__all__ = ["LogisticParams", "logistic_regression", "infer_n_classes"]


@pytree_dataclass
class LogisticParams:
    """A fitted logistic model.

    Attributes:
      coef: ``(1, d)`` for a binary sigmoid model, ``(K, d)`` for a softmax model
        (scikit-learn's ``coef_`` layout).
      intercept: ``(1,)`` or ``(K,)``.
      n_iter: solver iterations.
      n_classes: number of classes (static).
    """

    coef: jax.Array
    intercept: jax.Array
    n_iter: jax.Array
    n_classes: int = static_field()


def _class_sample_weights(codes, n_classes, class_weight, dtype):
    """Per-sample weights ``s_i = class_weight[y_i]``, normalised to mean 1 later."""
    if class_weight is None:
        return jnp.ones(codes.shape[0], dtype)
    if isinstance(class_weight, str):
        counts = jnp.bincount(codes, length=n_classes).astype(dtype)
        per_class = codes.shape[0] / (n_classes * jnp.maximum(counts, 1.0))
    else:
        per_class = jnp.asarray(class_weight, dtype)
    return per_class[codes]


def infer_n_classes(y, n_classes: int | None) -> int:
    """``n_classes`` if given, else ``max(y) + 1``, after checking that the codes lie in
    ``[0, n_classes)`` and hold at least two distinct classes
    (:func:`jaxml.core.check_class_codes`)."""
    return check_class_codes(y, n_classes=n_classes)


# Below this many elements of the (n, D²) table of row outer products, the Hessian is one
# matrix product with that table (see _logistic_parts); 2^23 float32 = 32 MiB.
_OUTER_TABLE_MAX = 2**23


def _logistic_parts(Xa, codes, sw, n_out, *, hessian=True):
    """The weighted loss ``Σᵢ sᵢ ℓᵢ(θ)`` on the augmented design and its closed-form
    Hessian (``hessian=False`` when the solver never asks for it).

    The Hessian ``Σᵢ vᵢ xᵢxᵢᵀ`` (per class pair for softmax) is, when it fits in memory,
    one product of the curvature weights ``v`` with a precomputed ``(n, D²)`` table of
    row outer products ``xᵢ ⊗ xᵢ``. Without a ``vmap`` that costs the same n·D² flops as
    ``Xᵀ diag(v) X``; under a ``vmap`` over hyperparameters or fold masks (the table
    depends on ``X`` only, so it is shared) the batch becomes a single
    ``(batch, n) × (n, D²)`` GEMM instead of materialising a ``(batch, n, D)`` copy of
    ``X`` every iteration — about 10× faster for cross-validation grids.
    """
    n, D = Xa.shape
    onehot = jax.nn.one_hot(codes, max(n_out, 2), dtype=Xa.dtype)
    K = n_out
    outer = None
    if hessian and n * D * D <= _OUTER_TABLE_MAX:
        outer = (Xa[:, :, None] * Xa[:, None, :]).reshape(n, D * D)

    def logits(theta):
        return Xa @ theta.reshape(n_out, D).T

    def loss(theta):
        z = logits(theta)
        if n_out == 1:
            per = jax.nn.softplus(z[:, 0]) - onehot[:, 1] * z[:, 0]
        else:
            per = jax.nn.logsumexp(z, axis=1) - jnp.sum(onehot * z, axis=1)
        return sw @ per

    def hessian_of_loss(theta):
        z = logits(theta)
        if n_out == 1:
            p = jax.nn.sigmoid(z[:, 0])
            v = sw * p * (1.0 - p)
            return (v @ outer).reshape(D, D) if outer is not None else Xa.T @ (v[:, None] * Xa)
        p = jax.nn.softmax(z, axis=1)
        if outer is not None:
            # v[i, k, m] = s_i p_ik (δ_km - p_im): the (k, m) Hessian block is Σᵢ v[i,k,m] xᵢxᵢᵀ
            v = (sw[:, None] * p)[:, :, None] * (jnp.eye(K, dtype=Xa.dtype)[None] - p[:, None, :])
            h = (v.reshape(n, K * K).T @ outer).reshape(K, K, D, D).transpose(0, 2, 1, 3)
            return h.reshape(K * D, K * D)
        spx = (sw[:, None] * p)[:, :, None] * Xa[:, None, :]  # (n, K, D)
        px = p[:, :, None] * Xa[:, None, :]
        block = jnp.einsum("nkd,ne->kde", spx, Xa)
        h = jnp.einsum("kde,km->kdme", block, jnp.eye(n_out, dtype=Xa.dtype))
        h = h - jnp.einsum("nkd,nme->kdme", spx, px)
        return h.reshape(n_out * D, n_out * D)

    return loss, hessian_of_loss


def logistic_regression(
    C=1.0,
    *,
    penalty: str | None = "l2",
    solver: str = "newton",
    fit_intercept: bool = True,
    class_weight=None,
    multi_class: str = "auto",
    n_classes: int | None = None,
    tol: float = 1e-6,
    max_iter: int | None = None,
) -> Classifier:
    """Logistic regression with scikit-learn's objective (binary sigmoid or softmax).

    Minimises ``C Σᵢ sᵢ ℓ(yᵢ, Wxᵢ + b) + ½||W||²`` (``penalty="l2"``), ``C Σ sᵢ ℓ + ||W||₁``
    (``"l1"``) or ``Σ sᵢ ℓ`` (``None``); see the module docstring. Internally the
    objective is divided by ``C·Σsᵢ`` so ``tol`` is relative to a mean loss.

    Args:
      C: inverse regularisation strength ``> 0`` (traceable).
      penalty: ``"l2"``, ``"l1"`` or ``None``.
      solver: ``"newton"`` (IRLS with line search) or ``"lbfgs"``. ``"l1"`` always
        uses FISTA.
      fit_intercept: fit unpenalised intercepts.
      class_weight: None, ``"balanced"`` (``n / (K · count_k)``) or an array of ``K``
        per-class weights (traceable).
      multi_class: ``"auto"`` (sigmoid for two classes, softmax otherwise) or
        ``"multinomial"`` (always softmax with ``K`` logits).
      n_classes: number of classes; inferred as ``max(y) + 1`` when ``y`` is concrete.
      tol: stop when the max-norm of the (scaled) gradient, or FISTA's gradient
        mapping, is below ``tol``.
      max_iter: iteration cap (default 100 for Newton, 1000 for L-BFGS, 20000 for FISTA).

    Returns:
      ``Classifier(fit(X, y, sample_weight=None) -> LogisticParams, predict,
      predict_proba)``; ``y`` holds integer class codes in ``[0, n_classes)``; optional
      per-sample weights multiply the class weights (zeros mask samples out).
    """
    check_positive(C, "C")
    if penalty is not None:
        check_option(penalty, "penalty", ("l2", "l1"))
    check_option(solver, "solver", ("newton", "lbfgs"))
    fit_intercept = check_fit_intercept(fit_intercept)
    check_option(multi_class, "multi_class", ("auto", "multinomial"))
    if isinstance(class_weight, str):
        check_option(class_weight, "class_weight", ("balanced",))
    if n_classes is not None:
        n_classes = check_int(n_classes, "n_classes", minimum=2)
    check_tol(tol)
    if max_iter is None:
        max_iter = 20_000 if penalty == "l1" else (100 if solver == "newton" else 1000)
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    def fit(X, y, sample_weight=None) -> LogisticParams:
        K = infer_n_classes(y, n_classes)
        if K < 2:
            raise ValueError(f"y must contain at least 2 classes, got n_classes={K}")
        X, y = check_X_y(X, y, y_kind="i")
        if class_weight is not None and not isinstance(class_weight, str):
            cw = jnp.asarray(class_weight)
            if cw.shape != (K,):
                raise ValueError(f"class_weight must have shape ({K},), got {cw.shape}")
        n_out = 1 if (K == 2 and multi_class == "auto") else K
        dtype = X.dtype
        Xa = augment(X, fit_intercept)
        D = Xa.shape[1]
        sw_raw = _class_sample_weights(y, K, class_weight, dtype)
        if sample_weight is not None:
            sw_raw = sw_raw * check_sample_weight(sample_weight, X)
        total = jnp.sum(sw_raw)
        sw = sw_raw / total
        if penalty is None:
            reg = jnp.zeros((), dtype)
        else:
            reg = 1.0 / (jnp.asarray(C, dtype) * total)
        mask = jnp.tile(
            jnp.concatenate([jnp.ones(X.shape[1], dtype), jnp.zeros(D - X.shape[1], dtype)]), n_out
        )
        loss, hessian_of_loss = _logistic_parts(
            Xa, y, sw, n_out, hessian=penalty != "l1" and solver == "newton"
        )
        theta0 = jnp.zeros(n_out * D, dtype)

        if penalty == "l1":
            theta, it = _fista(loss, Xa, sw, n_out, reg, mask, theta0, tol, max_iter)
        else:

            def objective(theta):
                return loss(theta) + 0.5 * reg * jnp.sum(mask * theta**2)

            if solver == "newton":

                def hessian(theta):
                    return hessian_of_loss(theta) + jnp.diag(reg * mask)

                # the floor also keeps the softmax's flat intercept shift from making the
                # Newton system singular
                eig_floor = 1e-10 if dtype == jnp.float64 else 1e-6
                result = newton(objective, theta0, hessian=hessian, gtol=tol,
                                max_iter=max_iter, eig_floor=eig_floor)
            else:
                result = lbfgs(objective, theta0, gtol=tol, max_iter=max_iter)
            theta, it = result.x, result.num_iter

        W = theta.reshape(n_out, D)
        coef = W[:, : X.shape[1]]
        if fit_intercept:
            intercept = W[:, -1]
            if n_out > 1:
                intercept = intercept - jnp.mean(intercept)
        else:
            intercept = jnp.zeros(n_out, dtype)
        return LogisticParams(coef=coef, intercept=intercept, n_iter=it, n_classes=K)

    def decision_function(params, X):
        X = check_X(X)
        check_n_features(X, params.coef.shape[1])
        return X @ params.coef.T + params.intercept[None, :]

    def predict_proba(params, X):
        z = decision_function(params, X)
        if z.shape[1] == 1:
            p1 = jax.nn.sigmoid(z[:, 0])
            return jnp.stack([1.0 - p1, p1], axis=1)
        return jax.nn.softmax(z, axis=1)

    def predict(params, X):
        z = decision_function(params, X)
        if z.shape[1] == 1:
            return (z[:, 0] > 0).astype(jnp.int32)
        return jnp.argmax(z, axis=1).astype(jnp.int32)

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)


def _fista(loss, Xa, sw, n_out, reg, mask, theta0, tol, max_iter):
    """FISTA with gradient-based adaptive restart for ``loss + reg ||mask ⊙ θ||₁``.

    The step is ``1/L`` with ``L = c · max(s) · ||X̃||₂²`` (``c = 1/4`` for the sigmoid,
    ``1/2`` for the softmax, Böhning's bound on the loss curvature).
    """
    curvature = 0.25 if n_out == 1 else 0.5
    lipschitz = curvature * jnp.max(sw) * jnp.linalg.norm(Xa, ord=2) ** 2
    step = 1.0 / lipschitz
    grad = jax.grad(loss)

    def prox(v):
        return jnp.where(mask > 0, soft_threshold(v, step * reg), v)

    def cond(carry):
        _, _, _, it, err = carry
        return (it < max_iter) & (err > tol)

    def body(carry):
        theta, momentum_point, t, it, _ = carry
        theta_new = prox(momentum_point - step * grad(momentum_point))
        restart = (momentum_point - theta_new) @ (theta_new - theta) > 0
        t_new = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * t * t))
        t_new = jnp.where(restart, 1.0, t_new)
        beta = jnp.where(restart, 0.0, (t - 1.0) / t_new)
        y_new = theta_new + beta * (theta_new - theta)
        err = jnp.max(jnp.abs(theta_new - prox(theta_new - step * grad(theta_new)))) * lipschitz
        return theta_new, y_new, t_new, it + 1, err

    one = jnp.asarray(1.0, theta0.dtype)
    init = (theta0, theta0, one, jnp.asarray(0), jnp.asarray(jnp.inf, theta0.dtype))
    theta, _, _, it, _ = jax.lax.while_loop(cond, body, init)
    return theta, it
