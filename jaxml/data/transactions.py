"""An imbalanced card-transaction stream with a concept drift at a known event.

Event i is fraud with probability ``fraud_rate`` (Y_i ~ Bernoulli(π), independent of i), and
its seven features are drawn independently given the class c ∈ {legit, fraud} and the
regime r = 1[i ≥ drift_at] (before / after the drift) from fixed families:

    log_amount       ~ N(μ_cr, σ_cr²)          online   ~ Bernoulli(p_cr)
    log_distance     ~ N(μ_cr, 1)              foreign  ~ Bernoulli(q_cr)
    merchant_risk    ~ Beta(a_cr, b_cr)        tx_last_hour ~ Poisson(λ_cr)
    log_account_age  ~ N(μ_cr, σ_cr²)

Before the drift, fraud is large, remote, foreign purchases at risky merchants; after it,
fraudsters switch to card testing: small amounts in bursts from new accounts, at ordinary
merchants and distances (a change of P(x | fraud): concept drift). The legitimate
population shifts too (more online and smaller payments), which is what a detector that
sees no labels can notice. Because every class-conditional density is known, the
Bayes-optimal score is exact (:func:`transaction_log_odds`):

    log P(Y=1 | x, r) / P(Y=0 | x, r) = log π/(1−π) + Σ_j log p_j(x_j | fraud, r) / p_j(x_j | legit, r),

the oracle any fitted model's ranking (PR-AUC) is measured against.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy import stats

from jaxml.core.validation import check_int, check_probability

FEATURES = ("log_amount", "online", "log_distance", "merchant_risk", "tx_last_hour", "log_account_age", "foreign")

# Rows: legit before, fraud before, legit after, fraud after (index 2·regime + class).
_AMOUNT = jnp.array([[3.5, 1.0], [5.0, 0.8], [3.1, 1.0], [2.3, 0.5]])
_ONLINE = jnp.array([0.3, 0.8, 0.5, 0.6])
_DISTANCE = jnp.array([1.0, 3.0, 1.0, 1.2])
_MERCHANT = jnp.array([[2.0, 5.0], [5.0, 2.0], [2.0, 5.0], [2.5, 4.0]])
_BURST = jnp.array([1.0, 2.0, 1.2, 5.0])
_AGE = jnp.array([[6.0, 1.0], [5.0, 1.5], [6.0, 1.0], [3.0, 1.0]])
_FOREIGN = jnp.array([0.05, 0.5, 0.05, 0.08])


class TransactionStream(NamedTuple):
    """``X (n, 7)`` float32 features (columns :data:`FEATURES`), ``y (n,)`` int32 fraud
    labels and ``regime (n,)`` int32 (0 before ``drift_at``, 1 from it on)."""

    X: jax.Array
    y: jax.Array
    regime: jax.Array


def make_transaction_stream(key: jax.Array, n_events: int, *, drift_at: int, fraud_rate: float = 0.005
                            ) -> TransactionStream:
    """``n_events`` transactions in time order with the drift at event ``drift_at``
    (module docstring); ``drift_at >= n_events`` gives a stream without drift."""
    check_int(n_events, "n_events", minimum=1)
    check_int(drift_at, "drift_at", minimum=0)
    check_probability(fraud_rate, "fraud_rate")
    return _stream(key, n_events, drift_at, fraud_rate)


def _stream(key, n_events, drift_at, fraud_rate) -> TransactionStream:
    keys = jax.random.split(key, 8)
    regime = (jnp.arange(n_events) >= drift_at).astype(jnp.int32)
    y = jax.random.bernoulli(keys[0], fraud_rate, (n_events,)).astype(jnp.int32)
    g = 2 * regime + y
    normal = lambda k: jax.random.normal(k, (n_events,))  # noqa: E731
    columns = [
        _AMOUNT[g, 0] + _AMOUNT[g, 1] * normal(keys[1]),
        jax.random.bernoulli(keys[2], _ONLINE[g]).astype(jnp.float32),
        _DISTANCE[g] + normal(keys[3]),
        jax.random.beta(keys[4], _MERCHANT[g, 0], _MERCHANT[g, 1]),
        jax.random.poisson(keys[5], _BURST[g]).astype(jnp.float32),
        _AGE[g, 0] + _AGE[g, 1] * normal(keys[6]),
        jax.random.bernoulli(keys[7], _FOREIGN[g]).astype(jnp.float32),
    ]
    return TransactionStream(jnp.stack(columns, axis=1).astype(jnp.float32), y, regime)


def _class_log_density(X: jax.Array, g: jax.Array) -> jax.Array:
    """Σ_j log p_j(x_j | group g): the features are independent given class and regime."""
    def bernoulli(x, p):
        return jnp.where(x > 0.5, jnp.log(p), jnp.log1p(-p))

    return (stats.norm.logpdf(X[:, 0], _AMOUNT[g, 0], _AMOUNT[g, 1])
            + bernoulli(X[:, 1], _ONLINE[g])
            + stats.norm.logpdf(X[:, 2], _DISTANCE[g], 1.0)
            + stats.beta.logpdf(X[:, 3], _MERCHANT[g, 0], _MERCHANT[g, 1])
            + stats.poisson.logpmf(X[:, 4], _BURST[g])
            + stats.norm.logpdf(X[:, 5], _AGE[g, 0], _AGE[g, 1])
            + bernoulli(X[:, 6], _FOREIGN[g]))


def transaction_log_odds(X: jax.Array, regime: jax.Array, *, fraud_rate: float = 0.005) -> jax.Array:
    """The exact log-odds of fraud given the features and the regime (module docstring):
    the Bayes-optimal score of the stream."""
    check_probability(fraud_rate, "fraud_rate")
    X, regime = jnp.asarray(X, jnp.float32), jnp.asarray(regime, jnp.int32)
    if X.ndim != 2 or X.shape[1] != len(FEATURES):
        raise ValueError(f"X must be (n, {len(FEATURES)}) with columns {FEATURES}, got shape {X.shape}")
    prior = jnp.log(fraud_rate) - jnp.log1p(-fraud_rate)
    return prior + _class_log_density(X, 2 * regime + 1) - _class_log_density(X, 2 * regime)
