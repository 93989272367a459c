"""Fairness-constrained training by the reductions approach (Agarwal et al. 2018).

A randomised classifier Q (a distribution over classifiers h) is fitted under
constraints on conditional moments. With events e (demographic parity: one event, every
example; equalised odds: e ∈ {Y = 0, Y = 1}) and groups a,

    γ_{e,a}(h) = E[h(X) | e, A = a] − E[h(X) | e],        |γ_{e,a}(Q)| ≤ ε,

and the saddle point of the Lagrangian
L(Q, λ) = err(Q) + Σ_{e,a,±} λ^±_{e,a} (±γ_{e,a}(Q) − ε), λ ≥ 0, ‖λ‖₁ ≤ B, is found by a
game: the λ-player runs exponentiated gradient,

    θ ← θ + η (±γ(h_t) − ε),     λ = B exp(θ) / (1 + Σ exp(θ)),

and the Q-player best-responds with a cost-sensitive classification. The cost of
predicting 1 rather than 0 for example i is

    c_i = (1 − 2y_i)/n + λ_{e_i,a_i} / n_{e_i,a_i} − Σ_{a'} λ_{e_i,a'} / n_{e_i},
    λ_{e,a} = λ⁺_{e,a} − λ⁻_{e,a},

so h_t is any classifier fitted to labels 1[c_i < 0] with weights |c_i|. The returned Q
mixes the collected h_t with the weights of the linear program "minimise the training
error subject to the constraints" over their convex hull (the uniform average of the
iterates, Agarwal et al.'s guarantee, when that program is infeasible).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

from jaxml.core.estimator import Classifier
from jaxml.core.validation import check_int, check_option, check_positive
from jaxml.trust.fairness import check_binary_labels, encode_groups

REDUCTION_CONSTRAINTS = ("demographic_parity", "equalized_odds")


class FairMixture(NamedTuple):
    """A randomised classifier: ``hypotheses[t]`` (fitted params, or a constant 0/1 when the
    best response was constant) used with probability ``weights[t]``; ``lagrange`` the
    multipliers λ_{e,a} of every iteration."""

    hypotheses: tuple
    weights: np.ndarray
    lagrange: np.ndarray


def _moments(constraint: str, y: np.ndarray, codes: np.ndarray, k: int):
    """Event index of each example, (events, groups) cell sizes and event sizes."""
    events = np.zeros_like(y) if constraint == "demographic_parity" else y
    num_events = 1 if constraint == "demographic_parity" else 2
    cell = np.zeros((num_events, k))
    np.add.at(cell, (events, codes), 1.0)
    if np.any(cell == 0):
        raise ValueError(f"every (event, group) cell needs an example for {constraint}; sizes {cell.tolist()}")
    return events, cell, cell.sum(1)


def _gamma(h: np.ndarray, events: np.ndarray, codes: np.ndarray, cell: np.ndarray, totals: np.ndarray):
    """γ_{e,a}(h) of predictions (or probabilities) ``h``, shape (events, groups)."""
    sums = np.zeros_like(cell)
    np.add.at(sums, (events, codes), h)
    return sums / cell - (sums.sum(1) / totals)[:, None]


def _predict_one(classifier: Classifier, hypothesis: Any, X) -> np.ndarray:
    if isinstance(hypothesis, int):
        return np.full(np.shape(X)[0], float(hypothesis))
    return np.asarray(classifier.predict(hypothesis, X), float)


def exponentiated_gradient(classifier: Classifier, X: Any, y: Any, sensitive: Any, *,
                           constraint: str = "demographic_parity", eps: float = 0.01,
                           bound: float | None = None, eta: float = 2.0, max_iter: int = 50) -> FairMixture:
    """Fit a randomised classifier whose training moments satisfy |γ_{e,a}| ≤ ``eps``.

    Args:
      classifier: a jaxml ``Classifier`` whose ``fit(X, y, sample_weight=)`` is the
        cost-sensitive learner; it is jitted once, so it must not need concrete labels
        (e.g. ``logistic_regression(n_classes=2)``).
      X, y, sensitive: training inputs, binary labels and the sensitive attribute.
      constraint: ``"demographic_parity"`` or ``"equalized_odds"``.
      eps: allowed moment violation ε ≥ 0.
      bound: ‖λ‖₁ ≤ B (default 1/ε, or 100 when ε = 0).
      eta: exponentiated-gradient step, divided by B.
      max_iter: best responses (iterations).
    """
    check_option(constraint, "constraint", REDUCTION_CONSTRAINTS)
    eps = float(check_positive(eps, "eps", strict=False))
    bound = (1.0 / eps if eps > 0 else 100.0) if bound is None else float(check_positive(bound, "bound"))
    check_positive(eta, "eta")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    y = check_binary_labels(y, "y")
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be (n, d) with n = len(y) = {y.shape[0]}, got shape {X.shape}")
    values, codes = encode_groups(sensitive, y.shape[0])
    events, cell, totals = _moments(constraint, y, codes, len(values))
    n = y.shape[0]
    fit = jax.jit(lambda labels, weights: classifier.fit(X, labels, sample_weight=weights))
    theta = np.zeros((2,) + cell.shape)  # (±, events, groups)
    hypotheses, gammas, errors, lagrange = [], [], [], []
    for _ in range(max_iter):
        expo = np.exp(theta - theta.max())
        lam_pm = bound * expo / (np.exp(-theta.max()) + expo.sum())
        lam = lam_pm[0] - lam_pm[1]
        cost = (1 - 2 * y) / n + lam[events, codes] / cell[events, codes] - (lam.sum(1) / totals)[events]
        labels = (cost < 0).astype(np.int32)
        if labels.min() == labels.max():
            hypothesis = int(labels[0])
        else:
            weights = np.abs(cost) / np.abs(cost).mean()
            hypothesis = fit(labels, weights)
        h = _predict_one(classifier, hypothesis, X)
        gamma = _gamma(h, events, codes, cell, totals)
        hypotheses.append(hypothesis)
        gammas.append(gamma)
        errors.append(float(np.mean(h != y)))
        lagrange.append(lam)
        theta = theta + (eta / bound) * (np.stack([gamma, -gamma]) - eps)
    return FairMixture(tuple(hypotheses), _best_mixture(np.asarray(errors), np.asarray(gammas), eps),
                       np.asarray(lagrange))


def _best_mixture(errors: np.ndarray, gammas: np.ndarray, eps: float) -> np.ndarray:
    """Weights w on the simplex minimising Σ w_t err_t s.t. |Σ_t w_t γ_t| ≤ ε elementwise."""
    g = gammas.reshape(len(errors), -1).T
    sol = optimize.linprog(errors, A_ub=np.vstack([g, -g]), b_ub=np.full(2 * g.shape[0], eps),
                           A_eq=np.ones((1, len(errors))), b_eq=[1.0], bounds=[(0, 1)] * len(errors),
                           method="highs")
    if not sol.success:
        return np.full(len(errors), 1.0 / len(errors))
    w = np.clip(sol.x, 0.0, None)
    return w / w.sum()


def mixture_predict_proba(classifier: Classifier, mixture: FairMixture, X: Any) -> np.ndarray:
    """P(Q(x) = 1) = Σ_t w_t h_t(x)."""
    return sum(w * _predict_one(classifier, h, X) for w, h in zip(mixture.weights, mixture.hypotheses) if w > 0)


def mixture_predict(key: jax.Array, classifier: Classifier, mixture: FairMixture, X: Any) -> jax.Array:
    """A draw of the randomised classifier: 1 with probability P(Q(x) = 1), per example."""
    prob = jnp.asarray(mixture_predict_proba(classifier, mixture, X))
    return jax.random.bernoulli(key, prob).astype(jnp.int32)
