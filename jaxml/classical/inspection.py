r"""Model inspection: permutation feature importance.

The permutation importance of feature :math:`j` (Breiman 2001) is how much a fitted
model's score drops when column :math:`j` of the evaluation data is shuffled, which
breaks its link with the target while keeping its marginal distribution:

.. math::

    I_j = s(X, y) - \frac{1}{R} \sum_{r=1}^{R} s(X^{(j, \pi_r)}, y),
    \qquad X^{(j, \pi)}_{ij} = X_{\pi(i) j},

for :math:`R` random permutations :math:`\pi_r`. Unlike impurity-based importances it
works for any model and any score, and on held-out data it is not biased towards
high-cardinality features. Correlated features share their importance: shuffling one
leaves the other to carry the signal.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from jaxml.core import as_key, check_int, check_X

__all__ = ["PermutationImportance", "permutation_importance"]


class PermutationImportance(NamedTuple):
    """``importances``: ``(d, R)`` score drops per feature and permutation;
    ``importances_mean`` and ``importances_std`` (population std, ``ddof=0``) over ``R``;
    ``baseline``: the unpermuted score."""

    importances_mean: jax.Array
    importances_std: jax.Array
    importances: jax.Array
    baseline: jax.Array


def permutation_importance(key, score: Callable, X, y, *, n_repeats: int = 5
                           ) -> PermutationImportance:
    """Permutation importance of every feature of ``X`` for the score ``score(X, y)``.

    Args:
      key: PRNG key; permutation ``r`` of feature ``j`` uses ``fold_in(fold_in(key, j), r)``.
      score: ``score(X, y) -> scalar``, higher is better, a pure JAX function of the data
        with the fitted model closed over, e.g.
        ``lambda X, y: metrics.accuracy(y, est.predict(params, X))``.
      X: ``(n, d)`` evaluation features (held-out rows measure what generalises).
      y: targets passed through to ``score``.
      n_repeats: permutations per feature, ``R >= 1``.

    Returns:
      :class:`PermutationImportance`. Features are scored one after another
      (``lax.map``) and their repeats in one ``vmap``, so memory is ``R`` copies of ``X``.
    """
    X = check_X(X)
    n_repeats = check_int(n_repeats, "n_repeats", minimum=1)
    if not callable(score):
        raise TypeError(f"score must be a callable score(X, y) -> scalar, got {score!r}")
    key, y = as_key(key), jnp.asarray(y)
    baseline = jnp.asarray(score(X, y))
    if baseline.ndim != 0:
        raise ValueError(f"score must return a scalar, got shape {baseline.shape}")
    n, d = X.shape

    def permuted_score(j, r):
        perm = jax.random.permutation(jax.random.fold_in(jax.random.fold_in(key, j), r), n)
        return score(X.at[:, j].set(X[perm, j]), y)

    def feature(j):
        return jax.vmap(lambda r: permuted_score(j, r))(jnp.arange(n_repeats))

    drops = baseline - jax.lax.map(feature, jnp.arange(d))
    return PermutationImportance(importances_mean=drops.mean(axis=1),
                                 importances_std=drops.std(axis=1), importances=drops,
                                 baseline=baseline)
