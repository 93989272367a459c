"""A lending data set with a sensitive attribute, drawn from a known structural causal model.

Exogenous noise U = (U_s, U_inc, U_zip, U_test, U_y) ~ N(0, I₅) and A ~ Bernoulli(½)
(the sensitive group), independent. Structural equations (coefficients are arguments):

    skill   S     = U_s
    income  X_inc = S + β_inc·A + ½U_inc       (A → income: a historical disadvantage)
    zipcode X_zip = β_zip·(A − ½) + ½U_zip     (a pure proxy of A)
    test    X_test = S + ½U_test               (not a descendant of A)
    label   Y     = 1[S + β_y·A + ½U_y > 0]    (labels that encode the same disadvantage)

Features are ``X = (X_inc, X_zip, X_test)``; A is returned apart. Dropping A from the
inputs ("fairness through unawareness") leaves it reachable through X_inc and X_zip.
Because the model is known, counterfactuals are exact (Kusner et al. 2017): keep U, set
A ← 1 − A and recompute the equations (:func:`fairness_scm_counterfactual`); a predictor is
counterfactually fair when its output never changes under that flip — true of any function
of the non-descendants of A, e.g. ``X_test`` and the abducted ``X_inc − β_inc·A``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core.validation import check_int

FEATURES = ("income", "zipcode", "test_score")


class FairnessSCM(NamedTuple):
    """Rows of the SCM: features ``X (n, 3)``, labels ``y``, group ``a`` and the noise ``u (n, 5)``."""

    X: jax.Array
    y: jax.Array
    a: jax.Array
    u: jax.Array


def _equations(a: jax.Array, u: jax.Array, beta_income: float, beta_zip: float, beta_label: float):
    af = a.astype(u.dtype)
    skill = u[:, 0]
    X = jnp.stack([skill + beta_income * af + 0.5 * u[:, 1],
                   beta_zip * (af - 0.5) + 0.5 * u[:, 2],
                   skill + 0.5 * u[:, 3]], axis=1)
    y = (skill + beta_label * af + 0.5 * u[:, 4] > 0).astype(jnp.int32)
    return X, y


def make_fairness_scm(key: jax.Array, n: int, *, beta_income: float = -0.8, beta_zip: float = 1.5,
                      beta_label: float = -0.6) -> FairnessSCM:
    """``n`` independent draws of the model above (negative β: group A = 1 is disadvantaged)."""
    n = check_int(n, "n", minimum=1)
    k_a, k_u = jax.random.split(key)
    a = jax.random.bernoulli(k_a, 0.5, (n,)).astype(jnp.int32)
    u = jax.random.normal(k_u, (n, 5))
    X, y = _equations(a, u, beta_income, beta_zip, beta_label)
    return FairnessSCM(X, y, a, u)


def fairness_scm_counterfactual(data: FairnessSCM, *, beta_income: float = -0.8, beta_zip: float = 1.5,
                                beta_label: float = -0.6) -> FairnessSCM:
    """The same individuals (same U) had their group been the other one: A ← 1 − A.
    Pass the coefficients ``data`` was drawn with."""
    a = 1 - data.a
    X, y = _equations(a, data.u, beta_income, beta_zip, beta_label)
    return FairnessSCM(X, y, a, data.u)
