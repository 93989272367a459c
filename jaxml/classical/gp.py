"""Gaussian processes: exact regression and Laplace-approximated binary classification.

**Kernel.** A squared-exponential covariance with signal variance and noise,

.. math::  k(x, z) = \\sigma_f^2 \\exp\\!\\big(-\\lVert x - z\\rVert^2 / (2\\ell^2)\\big),
           \\qquad K_y = K + (\\sigma_n^2 + \\text{jitter}) I,

i.e. scikit-learn's ``ConstantKernel(σ_f²) * RBF(ℓ) + WhiteKernel(σ_n²)`` with
``alpha = jitter``. Hyperparameters live in log space,
:math:`\\theta = (\\log \\ell, \\log \\sigma_f^2, \\log \\sigma_n^2)`, like scikit-learn's
``kernel.theta``, clipped to scikit-learn's default bounds :math:`[10^{-5}, 10^{5}]`.

**Regression** (Rasmussen & Williams 2006, Alg. 2.1): :math:`L = \\mathrm{chol}(K_y)`,
:math:`\\alpha = L^\\top \\backslash (L \\backslash y)`, predictive mean
:math:`k_*^\\top \\alpha`, variance :math:`k(x_*, x_*) - \\lVert L \\backslash k_* \\rVert^2`, and

.. math::  \\log p(y \\mid X, \\theta) = -\\tfrac12 y^\\top \\alpha - \\sum_i \\log L_{ii}
           - \\tfrac n2 \\log 2\\pi.

Hyperparameters maximise it with L-BFGS (``optax.lbfgs`` with a backtracking line search)
inside a ``lax.while_loop``.

**Classification** (R&W Alg. 3.1/3.2) with the logistic likelihood
:math:`p(y_i=1 \\mid f_i) = \\sigma(f_i)`: Newton's method finds the posterior mode
:math:`\\hat f` with :math:`W = \\operatorname{diag}(\\pi(1-\\pi))`,
:math:`B = I + W^{1/2} K W^{1/2}`; the Laplace approximation
:math:`q(f \\mid y) = \\mathcal N(\\hat f, (K^{-1} + W)^{-1})` gives the approximate log
marginal likelihood :math:`-\\tfrac12 a^\\top \\hat f + \\log p(y \\mid \\hat f) - \\sum \\log
\\mathrm{diag}(\\mathrm{chol}\\,B)` (maximised over :math:`(\\log\\ell, \\log\\sigma_f^2)` by
differentiating through the unrolled Newton iterations) and the latent predictive
:math:`\\mathcal N(\\bar f_*, \\mathbb V_*)` with :math:`\\bar f_* = k_*^\\top(y - \\hat\\pi)`,
:math:`\\mathbb V_* = k_{**} - \\lVert L\\backslash(W^{1/2}k_*)\\rVert^2`. The class
probability :math:`\\int \\sigma(f)\\,\\mathcal N(f\\mid\\bar f_*,\\mathbb V_*)\\,df` is computed by
Gauss–Hermite quadrature (default) or MacKay's probit approximation
:math:`\\sigma(\\bar f_* / \\sqrt{1 + \\pi \\mathbb V_*/8})`. Multiclass is one-vs-rest (one
``vmap`` over classes), normalised, as in scikit-learn.

Reference: Rasmussen & Williams, *Gaussian Processes for Machine Learning*, MIT Press
2006, ch. 2, 3 and 5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxml.classical.kernels import rbf_kernel
from jaxml.classical.svm import class_count
from jaxml.core import (
    Classifier,
    Regressor,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    check_X_y,
    pytree_dataclass,
)

__all__ = [
    "GPHyperparameters",
    "GPRegressionParams",
    "GPClassificationParams",
    "rbf_covariance",
    "latent_predictive",
    "log_marginal_likelihood",
    "laplace_mode",
    "laplace_log_marginal_likelihood",
    "fit_hyperparameters",
    "gp_regression",
    "gp_classification",
]

_LOG_BOUNDS = (float(np.log(1e-5)), float(np.log(1e5)))
_N_HERMITE = 32


@pytree_dataclass
class GPHyperparameters:
    """Log-space hyperparameters (scalars): ``log ℓ``, ``log σ_f²``, ``log σ_n²``."""

    log_length_scale: jax.Array
    log_signal_variance: jax.Array
    log_noise_variance: jax.Array

    @property
    def length_scale(self) -> jax.Array:
        return jnp.exp(self.log_length_scale)

    @property
    def signal_variance(self) -> jax.Array:
        return jnp.exp(self.log_signal_variance)

    @property
    def noise_variance(self) -> jax.Array:
        return jnp.exp(self.log_noise_variance)


def _clip(hyper: GPHyperparameters) -> GPHyperparameters:
    return jax.tree.map(lambda t: jnp.clip(t, *_LOG_BOUNDS), hyper)


def rbf_covariance(X: jax.Array, Z: jax.Array, hyper: GPHyperparameters) -> jax.Array:
    """``σ_f² exp(-||x - z||² / (2 ℓ²))`` (no noise term): scikit-learn's RBF kernel
    ``exp(-γ ||x' - z'||²)`` with ``γ = 1/2`` on the inputs scaled by ``1/ℓ``."""
    scaled = 1.0 / hyper.length_scale
    return hyper.signal_variance * rbf_kernel(X * scaled, Z * scaled, gamma=0.5)


def _noisy_cholesky(X, hyper, jitter):
    K = rbf_covariance(X, X, hyper)
    n = X.shape[0]
    return jnp.linalg.cholesky(K + (hyper.noise_variance + jitter) * jnp.eye(n, dtype=X.dtype))


def log_marginal_likelihood(
    hyper: GPHyperparameters, X: jax.Array, y: jax.Array, jitter: Any = 1e-10
) -> jax.Array:
    """Exact GP-regression evidence ``log p(y | X, θ)`` (R&W eq. 2.30), ``y`` zero-mean."""
    hyper = _clip(hyper)
    L = _noisy_cholesky(X, hyper, jitter)
    alpha = jax.scipy.linalg.cho_solve((L, True), y)
    n = X.shape[0]
    return (
        -0.5 * jnp.dot(y, alpha)
        - jnp.sum(jnp.log(jnp.diagonal(L)))
        - 0.5 * n * jnp.log(2.0 * jnp.pi).astype(X.dtype)
    )


def fit_hyperparameters(
    objective: Callable[[GPHyperparameters], jax.Array],
    init: GPHyperparameters,
    *,
    max_steps: int = 200,
    gtol: float = 1e-5,
    ftol: float = 1e-7,
) -> tuple[GPHyperparameters, jax.Array]:
    """Maximise ``objective`` (e.g. a log marginal likelihood) with L-BFGS.

    Runs ``optax.lbfgs`` (backtracking line search) on ``-objective`` inside a
    ``lax.while_loop`` until the gradient norm is below ``gtol``, the relative decrease
    of the loss in a step is below ``ftol`` (scipy's L-BFGS-B criteria), or ``max_steps``
    steps were taken. Returns the better of the initial and final points and its
    objective value.
    """

    def loss(h):
        value = -objective(h)
        return jnp.where(jnp.isfinite(value), value, jnp.inf)

    # store_grad=False: optax 0.2.8 recovers the stored gradient with
    # ``linear_transpose(jvp)(1.0)``, whose Python-float cotangent is float64 under
    # ``jax.enable_x64`` and so fails for float32 hyperparameters.
    opt = optax.lbfgs(
        linesearch=optax.scale_by_backtracking_linesearch(max_backtracking_steps=30)
    )
    value_and_grad = jax.value_and_grad(loss)
    dtype = init.log_length_scale.dtype

    def cond(carry):
        _, _, step, gnorm, decrease = carry
        return (step < max_steps) & (gnorm > gtol) & (decrease > ftol)

    def body(carry):
        h, state, step, _, _ = carry
        value, grad = value_and_grad(h)
        updates, state = opt.update(grad, state, h, value=value, grad=grad, value_fn=loss)
        h = optax.apply_updates(h, updates)
        new_value = optax.tree_utils.tree_get(state, "value")
        decrease = (value - new_value) / jnp.maximum(jnp.abs(value), 1.0)
        decrease = jnp.where(jnp.isfinite(decrease), decrease, 0.0)
        gnorm = optax.tree.norm(grad)
        return h, state, step + 1, jnp.where(jnp.isfinite(gnorm), gnorm, 0.0), decrease

    state = opt.init(init)
    inf = jnp.asarray(jnp.inf, dtype)
    h, _, _, _, _ = jax.lax.while_loop(cond, body, (init, state, 0, inf, inf))
    h = _clip(h)
    v_init, v_final = objective(init), objective(h)
    better = jnp.isfinite(v_final) & (v_final >= v_init)
    best = jax.tree.map(lambda a, b: jnp.where(better, a, b), h, init)
    return best, jnp.where(better, v_final, v_init)


def _initial_hyper(length_scale, signal_variance, noise_variance, dtype) -> GPHyperparameters:
    return GPHyperparameters(
        jnp.log(jnp.asarray(length_scale, dtype)),
        jnp.log(jnp.asarray(signal_variance, dtype)),
        jnp.log(jnp.asarray(noise_variance, dtype)),
    )


def _check_hyper_args(length_scale, signal_variance, max_steps, jitter):
    check_positive(length_scale, "length_scale")
    check_positive(signal_variance, "signal_variance")
    check_int(max_steps, "max_steps", minimum=0)
    check_positive(jitter, "jitter", strict=False)


# --------------------------------------------------------------------------- regression


@pytree_dataclass
class GPRegressionParams:
    """Fitted GP regression (targets standardised by ``y_mean``/``y_std``)."""

    X_fit: jax.Array
    L: jax.Array
    alpha: jax.Array
    y_mean: jax.Array
    y_std: jax.Array
    hyper: GPHyperparameters
    log_marginal_likelihood: jax.Array


def gp_regression(
    length_scale: Any = 1.0,
    signal_variance: Any = 1.0,
    noise_variance: Any = 0.1,
    *,
    optimize: bool = True,
    max_steps: int = 200,
    jitter: Any = 1e-10,
    normalize_y: bool = False,
) -> Regressor:
    """Exact GP regression with an RBF kernel and Gaussian noise.

    Args:
      length_scale, signal_variance, noise_variance: the hyperparameters, or their
        starting values when ``optimize`` (traced).
      optimize: maximise the log marginal likelihood over all three (in log space).
      max_steps: L-BFGS iteration cap.
      jitter: added to the diagonal (scikit-learn's ``alpha``).
      normalize_y: standardise ``y`` before fitting (scikit-learn's ``normalize_y``).

    Returns:
      ``Regressor(fit, predict, predict_std)``: ``fit(X, y)``; ``predict`` is the
      predictive mean; ``predict_std(params, X, include_noise=True)`` the predictive
      standard deviation of a new noisy observation (of the latent function with
      ``include_noise=False``). ``params.log_marginal_likelihood`` is the evidence of
      the (standardised) targets under the final hyperparameters.
    """
    _check_hyper_args(length_scale, signal_variance, max_steps, jitter)
    check_positive(noise_variance, "noise_variance")

    def fit(X: Any, y: Any) -> GPRegressionParams:
        X, y = check_X_y(X, y)
        y = y.astype(X.dtype)
        if normalize_y:
            y_mean = jnp.mean(y)
            y_std = jnp.std(y)
            y_std = jnp.where(y_std > 0, y_std, 1.0)
        else:
            y_mean = jnp.zeros((), X.dtype)
            y_std = jnp.ones((), X.dtype)
        yn = (y - y_mean) / y_std
        hyper = _initial_hyper(length_scale, signal_variance, noise_variance, X.dtype)
        if optimize and max_steps > 0:
            hyper, lml = fit_hyperparameters(
                lambda h: log_marginal_likelihood(h, X, yn, jitter), hyper, max_steps=max_steps
            )
        else:
            lml = log_marginal_likelihood(hyper, X, yn, jitter)
        hyper = _clip(hyper)
        L = _noisy_cholesky(X, hyper, jitter)
        alpha = jax.scipy.linalg.cho_solve((L, True), yn)
        return GPRegressionParams(X, L, alpha, y_mean, y_std, hyper, lml)

    def _check(params, X):
        X = check_X(X)
        check_n_features(X, params.X_fit.shape[1])
        return X

    def predict(params: GPRegressionParams, X: Any) -> jax.Array:
        X = _check(params, X)
        k_star = rbf_covariance(X, params.X_fit, params.hyper)
        return params.y_mean + params.y_std * (k_star @ params.alpha)

    def predict_std(params: GPRegressionParams, X: Any, include_noise: bool = True):
        X = _check(params, X)
        k_star = rbf_covariance(X, params.X_fit, params.hyper)
        v = jax.scipy.linalg.solve_triangular(params.L, k_star.T, lower=True)
        var = params.hyper.signal_variance - jnp.sum(v * v, axis=0)
        if include_noise:
            var = var + params.hyper.noise_variance
        return params.y_std * jnp.sqrt(jnp.maximum(var, 0.0))

    return Regressor(fit, predict, predict_std)


# --------------------------------------------------------------------------- classification


class _Laplace(NamedTuple):
    f: jax.Array
    a: jax.Array
    L: jax.Array
    sqrt_w: jax.Array
    grad_loglik: jax.Array
    log_marginal_likelihood: jax.Array


def laplace_mode(K: jax.Array, t: jax.Array, max_newton: int = 50, tol: float = 1e-6) -> _Laplace:
    """R&W Alg. 3.1 with the logistic likelihood; ``t`` are 0/1 targets.

    Newton's method runs (without gradients) until the largest change of ``f`` is below
    ``tol`` or ``max_newton`` steps; one more Newton step is then taken from the
    stopped mode. Because a Newton map has zero Jacobian in ``f`` at its fixed point,
    differentiating that last step alone gives the exact implicit derivative
    :math:`d\\hat f/dK`, so the Laplace evidence is differentiable at the cost of one step.
    """
    n = K.shape[0]
    eye = jnp.eye(n, dtype=K.dtype)

    def quantities(K, f):
        pi = jax.nn.sigmoid(f)
        w = pi * (1.0 - pi)
        sqrt_w = jnp.sqrt(w)
        B = eye + sqrt_w[:, None] * K * sqrt_w[None, :]
        L = jnp.linalg.cholesky(B)
        return pi, w, sqrt_w, L

    def newton(K, f):
        pi, w, sqrt_w, L = quantities(K, f)
        b = w * f + (t - pi)
        c = jax.scipy.linalg.cho_solve((L, True), sqrt_w * (K @ b))
        return K @ (b - sqrt_w * c)

    K_fixed = jax.lax.stop_gradient(K)

    def cond(carry):
        _, change, step = carry
        return (change > tol) & (step < max_newton)

    def body(carry):
        f, _, step = carry
        f_new = newton(K_fixed, f)
        return f_new, jnp.max(jnp.abs(f_new - f)), step + 1

    f0 = jnp.zeros(n, K.dtype)
    f_mode, _, _ = jax.lax.while_loop(cond, body, (f0, jnp.asarray(jnp.inf, K.dtype), 0))
    f = newton(K, jax.lax.stop_gradient(f_mode))
    pi, w, sqrt_w, L = quantities(K, f)
    grad_loglik = t - pi
    # At the mode a = K^{-1} f = grad log p(y|f).
    a = grad_loglik
    loglik = jnp.sum(t * jax.nn.log_sigmoid(f) + (1.0 - t) * jax.nn.log_sigmoid(-f))
    lml = -0.5 * jnp.dot(a, f) + loglik - jnp.sum(jnp.log(jnp.diagonal(L)))
    return _Laplace(f, a, L, sqrt_w, grad_loglik, lml)


def laplace_log_marginal_likelihood(
    hyper: GPHyperparameters, X: jax.Array, t: jax.Array, max_newton: int = 50
) -> jax.Array:
    """Laplace approximation to ``log p(y | X, θ)`` for binary 0/1 targets ``t``."""
    hyper = _clip(hyper)
    return laplace_mode(rbf_covariance(X, X, hyper), t, max_newton).log_marginal_likelihood


@pytree_dataclass
class GPClassificationParams:
    """Fitted one-vs-rest Laplace GP classifiers (leading axis = binary problem).

    For two classes there is one problem, for class 1; otherwise one per class.
    """

    X_fit: jax.Array
    grad_loglik: jax.Array
    L: jax.Array
    sqrt_w: jax.Array
    hyper: GPHyperparameters
    log_marginal_likelihood: jax.Array


def _logistic_gaussian_integral(mean, var, method):
    if method == "probit":
        return jax.nn.sigmoid(mean / jnp.sqrt(1.0 + jnp.pi * var / 8.0))
    nodes, weights = np.polynomial.hermite.hermgauss(_N_HERMITE)
    nodes = jnp.asarray(nodes, mean.dtype)
    weights = jnp.asarray(weights / np.sqrt(np.pi), mean.dtype)
    z = mean[..., None] + jnp.sqrt(2.0 * var)[..., None] * nodes
    return jnp.sum(weights * jax.nn.sigmoid(z), axis=-1)


def gp_classification(
    length_scale: Any = 1.0,
    signal_variance: Any = 1.0,
    *,
    optimize: bool = True,
    max_steps: int = 100,
    max_newton: int = 50,
    n_classes: int | None = None,
    predictive: str = "quadrature",
) -> Classifier:
    """Binary (and one-vs-rest multiclass) GP classification with the Laplace approximation.

    Args:
      length_scale, signal_variance: RBF hyperparameters or their starting values.
      optimize: maximise the Laplace log marginal likelihood over them (log space).
      max_steps: L-BFGS iteration cap.
      max_newton: cap on the Newton iterations for the posterior mode.
      n_classes: number of classes; inferred from ``y`` unless ``fit`` is traced.
      predictive: ``"quadrature"`` (32-point Gauss–Hermite) or ``"probit"`` (MacKay).

    Returns:
      ``Classifier(fit, predict, predict_proba)``; ``fit(X, y)`` takes class codes
      ``0..K-1``. The latent predictive of each binary problem is
      :func:`latent_predictive`.
    """
    _check_hyper_args(length_scale, signal_variance, max_steps, 0.0)
    max_newton = check_int(max_newton, "max_newton", minimum=1)
    check_option(predictive, "predictive", ("quadrature", "probit"))

    def fit(X: Any, y: Any) -> GPClassificationParams:
        X, y = check_X_y(X, y, y_kind="i")
        k = class_count(y, n_classes)
        positives = jnp.arange(1, 2) if k == 2 else jnp.arange(k)
        targets = (y[None, :] == positives[:, None]).astype(X.dtype)
        init = _initial_hyper(length_scale, signal_variance, 1.0, X.dtype)

        def one(t):
            def objective(h):
                return laplace_log_marginal_likelihood(h, X, t, max_newton)

            if optimize and max_steps > 0:
                hyper, _ = fit_hyperparameters(objective, init, max_steps=max_steps)
            else:
                hyper = init
            hyper = _clip(hyper)
            lap = laplace_mode(rbf_covariance(X, X, hyper), t, max_newton)
            return lap.grad_loglik, lap.L, lap.sqrt_w, hyper, lap.log_marginal_likelihood

        g, L, sqrt_w, hyper, lml = jax.vmap(one)(targets)
        return GPClassificationParams(X, g, L, sqrt_w, hyper, lml)

    def predict_proba(params: GPClassificationParams, X: Any) -> jax.Array:
        mean, var = latent_predictive(params, X)
        p = _logistic_gaussian_integral(mean, var, predictive)
        if p.shape[1] == 1:
            return jnp.concatenate([1.0 - p, p], axis=1)
        return p / jnp.sum(p, axis=1, keepdims=True)

    def predict(params: GPClassificationParams, X: Any) -> jax.Array:
        return jnp.argmax(predict_proba(params, X), axis=1).astype(jnp.int32)

    return Classifier(fit, predict, predict_proba)


def latent_predictive(params: GPClassificationParams, X: Any) -> tuple[jax.Array, jax.Array]:
    """Latent predictive ``(mean, var)``, each ``(n, n_problems)``, of a fitted
    :func:`gp_classification`: :math:`\\bar f_* = k_*^\\top(y - \\hat\\pi)` and
    :math:`\\mathbb V_* = k_{**} - \\lVert L\\backslash(W^{1/2}k_*)\\rVert^2` per problem."""
    X = check_X(X)
    check_n_features(X, params.X_fit.shape[1])

    def one(g, L, sqrt_w, hyper):
        k_star = rbf_covariance(X, params.X_fit, hyper)
        mean = k_star @ g
        v = jax.scipy.linalg.solve_triangular(L, sqrt_w[:, None] * k_star.T, lower=True)
        var = hyper.signal_variance - jnp.sum(v * v, axis=0)
        return mean, jnp.maximum(var, 0.0)

    means, vars_ = jax.vmap(one)(params.grad_loglik, params.L, params.sqrt_w, params.hyper)
    return means.T, vars_.T

