r"""Naive Bayes classifiers: Gaussian, multinomial and Bernoulli, in log space.

Naive Bayes assumes the features are conditionally independent given the class, so the
joint log-likelihood of a sample is a sum over features,

.. math::
    \log p(y = k, x) = \log \pi_k + \sum_j \log p(x_j \mid y = k),

and the posterior is its softmax over classes, computed with ``logsumexp`` so that very
negative log-likelihoods never underflow. The three variants differ in
:math:`p(x_j \mid k)` and in their maximum-likelihood (smoothed) estimates:

* **Gaussian**: :math:`\mathcal N(x_j; \theta_{kj}, \sigma^2_{kj})` with the class mean and
  (biased) class variance plus :math:`\varepsilon =` ``var_smoothing`` :math:`\cdot
  \max_j \operatorname{Var}(x_j)` for numerical stability (scikit-learn's rule).
* **Multinomial** (counts, e.g. bag of words): :math:`\log p(x\mid k) = \sum_j x_j\log
  \hat p_{kj}` (dropping the multinomial coefficient, which is class-independent), with
  additive (Lidstone/Laplace) smoothing :math:`\hat p_{kj} = (N_{kj} + \alpha)/(N_k +
  \alpha d)`.
* **Bernoulli** (binary features): :math:`\sum_j x_j\log \hat p_{kj} + (1 - x_j)\log(1 -
  \hat p_{kj})`, :math:`\hat p_{kj} = (N_{kj} + \alpha)/(n_k + 2\alpha)`; inputs are first
  binarised at ``binarize`` (``x > binarize``) unless ``binarize`` is None. Unlike the
  multinomial model it penalises the *absence* of a feature.

Class priors are the class frequencies (``fit_prior=True``), uniform (``False``) or given.
Reference: McCallum & Nigam (1998), "A comparison of event models for naive Bayes text
classification"; Manning, Raghavan & Schütze, *Introduction to IR*, ch. 13.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core import (
    Classifier,
    check_array,
    check_class_codes,
    check_n_features,
    check_positive,
    check_X,
    check_X_y,
    is_traced,
    pytree_dataclass,
)

__all__ = [
    "GaussianNBParams",
    "DiscreteNBParams",
    "gaussian_nb",
    "multinomial_nb",
    "bernoulli_nb",
]


@pytree_dataclass
class GaussianNBParams:
    """Per-class means ``theta (K, d)``, variances ``var (K, d)``, log priors ``(K,)``."""

    theta: jax.Array
    var: jax.Array
    class_log_prior: jax.Array
    class_count: jax.Array
    epsilon: jax.Array


@pytree_dataclass
class DiscreteNBParams:
    """Smoothed ``feature_log_prob (K, d)``, ``class_log_prior (K,)`` and counts."""

    feature_log_prob: jax.Array
    class_log_prior: jax.Array
    class_count: jax.Array
    feature_count: jax.Array


def _proba_from_jll(jll):
    return jnp.exp(jll - jax.nn.logsumexp(jll, axis=1, keepdims=True))


def _class_prior(counts, fit_prior, class_prior, dtype):
    K = counts.shape[0]
    if class_prior is not None:
        prior = jnp.asarray(class_prior, dtype)
        if prior.shape != (K,):
            raise ValueError(f"class_prior must have shape ({K},), got {prior.shape}")
        if not is_traced(prior) and (
            bool(jnp.any(prior < 0)) or not np.isclose(float(jnp.sum(prior)), 1.0, atol=1e-6)
        ):
            raise ValueError("class_prior must be non-negative and sum to 1")
        return jnp.log(prior)
    if fit_prior:
        return jnp.log(counts) - jnp.log(jnp.sum(counts))
    return jnp.full((K,), -jnp.log(float(K)), dtype)


def _make_classifier(fit, joint_log_likelihood):
    def predict_proba(params, X):
        return _proba_from_jll(joint_log_likelihood(params, X))

    def predict(params, X):
        return jnp.argmax(joint_log_likelihood(params, X), axis=1).astype(jnp.int32)

    return Classifier(fit=fit, predict=predict, predict_proba=predict_proba)


def _fit_inputs(X, y, n_classes):
    K = check_class_codes(y, n_classes=n_classes)
    X, y = check_X_y(X, y, y_kind="i")
    onehot = jax.nn.one_hot(y, K, dtype=X.dtype)  # (n, K)
    return X, onehot, K


def gaussian_nb(
    *, var_smoothing=1e-9, priors=None, n_classes: int | None = None
) -> Classifier:
    """Gaussian naive Bayes.

    Args:
      var_smoothing: fraction of the largest feature variance added to every variance
        (traceable, ``>= 0``).
      priors: fixed class priors ``(K,)`` or None for the class frequencies.
      n_classes: number of classes, inferred as ``max(y) + 1`` when ``y`` is concrete
        (``y`` must hold at least two distinct classes).

    Returns:
      ``Classifier``; ``predict_proba`` is a softmax of the joint log-likelihoods.
    """
    check_positive(var_smoothing, "var_smoothing", strict=False)

    def fit(X, y) -> GaussianNBParams:
        X, onehot, _ = _fit_inputs(X, y, n_classes)
        counts = jnp.sum(onehot, axis=0)
        safe = jnp.maximum(counts, 1.0)[:, None]
        theta = onehot.T @ X / safe
        # Two-pass (centred) class variances Σ_i 1[y_i=k] (x_i - θ_k)² / n_k, for accuracy.
        centred = X[:, None, :] - theta[None, :, :]  # (n, K, d)
        var = jnp.einsum("nk,nkd->kd", onehot, centred**2) / safe
        epsilon = var_smoothing * jnp.max(jnp.var(X, axis=0))
        log_prior = _class_prior(counts, True, priors, X.dtype)
        return GaussianNBParams(
            theta=theta,
            var=var + epsilon,
            class_log_prior=log_prior,
            class_count=counts,
            epsilon=epsilon,
        )

    def joint_log_likelihood(params, X):
        X = check_X(X)
        check_n_features(X, params.theta.shape[1])
        log_norm = -0.5 * jnp.sum(jnp.log(2.0 * jnp.pi * params.var), axis=1)  # (K,)
        inv = 1.0 / params.var
        # Σ_j (x_j - θ_kj)² / σ²_kj expanded as matmuls: x²·inv - 2 x·(θ inv) + Σ θ² inv.
        quad = (X * X) @ inv.T - 2.0 * X @ (params.theta * inv).T
        quad = quad + jnp.sum(params.theta**2 * inv, axis=1)[None, :]
        return params.class_log_prior[None, :] + log_norm[None, :] - 0.5 * quad

    return _make_classifier(fit, joint_log_likelihood)


def _check_discrete_args(alpha, fit_prior):
    check_positive(alpha, "alpha", strict=False)
    if not isinstance(fit_prior, (bool, np.bool_)):
        raise TypeError(f"fit_prior must be a bool, got {fit_prior!r}")


def multinomial_nb(
    *,
    alpha=1.0,
    fit_prior: bool = True,
    class_prior=None,
    n_classes: int | None = None,
) -> Classifier:
    """Multinomial naive Bayes for non-negative count features.

    Args:
      alpha: additive smoothing ``>= 0`` (traceable).
      fit_prior: learn class priors from frequencies (else uniform).
      class_prior: fixed priors ``(K,)`` overriding ``fit_prior``.
      n_classes: number of classes, inferred when ``y`` is concrete.
    """
    _check_discrete_args(alpha, fit_prior)

    def fit(X, y) -> DiscreteNBParams:
        X, onehot, _ = _fit_inputs(X, y, n_classes)
        if not is_traced(X) and bool(jnp.any(X < 0)):
            raise ValueError("X must be non-negative for multinomial naive Bayes")
        counts = jnp.sum(onehot, axis=0)
        feature_count = onehot.T @ X
        smoothed = feature_count + alpha
        log_prob = jnp.log(smoothed) - jnp.log(jnp.sum(smoothed, axis=1, keepdims=True))
        return DiscreteNBParams(
            feature_log_prob=log_prob,
            class_log_prior=_class_prior(counts, fit_prior, class_prior, X.dtype),
            class_count=counts,
            feature_count=feature_count,
        )

    def joint_log_likelihood(params, X):
        X = check_X(X)
        check_n_features(X, params.feature_log_prob.shape[1])
        return X @ params.feature_log_prob.T + params.class_log_prior[None, :]

    return _make_classifier(fit, joint_log_likelihood)


def bernoulli_nb(
    *,
    alpha=1.0,
    binarize=0.0,
    fit_prior: bool = True,
    class_prior=None,
    n_classes: int | None = None,
) -> Classifier:
    """Bernoulli naive Bayes for binary (or binarised) features.

    Args:
      alpha: additive smoothing ``>= 0`` (traceable).
      binarize: threshold; features become ``x > binarize``. None assumes 0/1 input.
      fit_prior, class_prior, n_classes: as in :func:`multinomial_nb`.
    """
    _check_discrete_args(alpha, fit_prior)
    if binarize is not None:
        check_array(binarize, "binarize", ndim=0)

    def _binarize(X):
        return X if binarize is None else (X > binarize).astype(X.dtype)

    def fit(X, y) -> DiscreteNBParams:
        X, onehot, _ = _fit_inputs(X, y, n_classes)
        X = _binarize(X)
        counts = jnp.sum(onehot, axis=0)
        feature_count = onehot.T @ X
        log_prob = jnp.log(feature_count + alpha) - jnp.log(counts + 2.0 * alpha)[:, None]
        return DiscreteNBParams(
            feature_log_prob=log_prob,
            class_log_prior=_class_prior(counts, fit_prior, class_prior, X.dtype),
            class_count=counts,
            feature_count=feature_count,
        )

    def joint_log_likelihood(params, X):
        X = _binarize(check_X(X))
        check_n_features(X, params.feature_log_prob.shape[1])
        log_p = params.feature_log_prob
        log_not_p = jnp.log1p(-jnp.exp(log_p))
        jll = X @ (log_p - log_not_p).T + jnp.sum(log_not_p, axis=1)[None, :]
        return jll + params.class_log_prior[None, :]

    return _make_classifier(fit, joint_log_likelihood)
