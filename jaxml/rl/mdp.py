"""Exact dynamic programming on finite MDPs: evaluation, value and policy iteration.

For a policy π (an ``(S, A)`` row-stochastic matrix) the Bellman expectation equation

    v_π = r_π + γ P_π v_π,   r_π(s) = Σ_a π(a|s) r(s,a),   P_π(s,s') = Σ_a π(a|s) P(s'|s,a)

is linear, so v_π = (I − γ P_π)⁻¹ r_π exactly (:func:`policy_evaluation`). Terminal states
are absorbing with value 0: their rows of P are zeroed, which keeps I − γP_π invertible for
γ = 1 whenever π reaches a terminal state with probability one (a *proper* policy).

The Bellman optimality operator (T v)(s) = max_a [r(s,a) + γ Σ_{s'} P(s'|s,a) v(s')] is a
γ-contraction in the sup norm; value iteration v_{k+1} = T v_k (:func:`value_iteration`)
stops when ‖v_{k+1} − v_k‖_∞ < tol·(1−γ)/(2γ), which guarantees the greedy policy is
tol-optimal (Williams & Baird 1993). Policy iteration (:func:`policy_iteration`) alternates
exact evaluation and greedy improvement and terminates in finitely many steps
(Howard 1960; Puterman 1994, §6.4). Bellman residuals ‖T v − v‖_∞ and ‖T_π v − v‖_∞
certify a solution (:func:`bellman_residual`).

All functions take the tensors explicitly (``P[s,a,s']``, ``R[s,a,s']``) and are jittable.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxml.rl.envs.tabular import TabularEnvParams


class MDPSolution(NamedTuple):
    """Result of value or policy iteration.

    Attributes:
      v: ``(S,)`` optimal state values.
      q: ``(S, A)`` optimal action values.
      policy: ``(S,)`` greedy action indices.
      iterations: number of sweeps (VI) or improvement steps (PI).
      residual: final ‖T v − v‖_∞.
    """

    v: jax.Array
    q: jax.Array
    policy: jax.Array
    iterations: jax.Array
    residual: jax.Array


def _check(params: TabularEnvParams, gamma) -> None:
    if not isinstance(params, TabularEnvParams):
        raise TypeError(f"params must be TabularEnvParams, got {type(params).__name__}")
    if not isinstance(gamma, jax.core.Tracer) and not 0.0 <= float(gamma) <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")


def _effective_P(params: TabularEnvParams) -> jax.Array:
    """P with terminal rows zeroed (terminal values are pinned to 0)."""
    return params.P * (1.0 - params.terminal.astype(params.P.dtype))[:, None, None]


def q_from_v(params: TabularEnvParams, v: jax.Array, gamma) -> jax.Array:
    """q(s,a) = r(s,a) + γ Σ_{s'} P(s'|s,a) v(s')."""
    _check(params, gamma)
    return params.expected_reward + gamma * jnp.einsum("sak,k->sa", _effective_P(params), v)


def greedy_policy(q: jax.Array) -> jax.Array:
    """``(S, A)`` one-hot matrix of the greedy policy (ties: lowest action index)."""
    return jax.nn.one_hot(jnp.argmax(q, axis=-1), q.shape[-1], dtype=q.dtype)


def epsilon_greedy_policy(q: jax.Array, epsilon) -> jax.Array:
    """``(S, A)`` ε-greedy policy matrix: ε/A everywhere plus 1−ε on the greedy action."""
    A = q.shape[-1]
    return (1.0 - epsilon) * greedy_policy(q) + epsilon / A


def _check_policy(params: TabularEnvParams, policy: jax.Array) -> jax.Array:
    policy = jnp.asarray(policy)
    if policy.shape != (params.num_states, params.num_actions):
        raise ValueError(
            f"policy must have shape (S, A) = {(params.num_states, params.num_actions)}, "
            f"got {policy.shape}")
    return policy


def policy_evaluation(params: TabularEnvParams, policy: jax.Array, gamma) -> jax.Array:
    """Exact v_π = (I − γ P_π)⁻¹ r_π by a linear solve.

    Args:
      params: the MDP.
      policy: ``(S, A)`` action probabilities π(a|s).
      gamma: discount in [0, 1] (γ = 1 needs a proper policy).
    """
    _check(params, gamma)
    policy = _check_policy(params, policy)
    P = _effective_P(params)
    r_pi = jnp.sum(policy * params.expected_reward, axis=-1)
    P_pi = jnp.einsum("sa,sak->sk", policy, P)
    eye = jnp.eye(params.num_states, dtype=P.dtype)
    return jnp.linalg.solve(eye - gamma * P_pi, r_pi)


def bellman_expectation(params: TabularEnvParams, policy: jax.Array, v: jax.Array,
                        gamma) -> jax.Array:
    """(T_π v)(s) = Σ_a π(a|s) [r(s,a) + γ Σ_{s'} P(s'|s,a) v(s')]."""
    policy = _check_policy(params, policy)
    return jnp.sum(policy * q_from_v(params, v, gamma), axis=-1)


def bellman_optimality(params: TabularEnvParams, v: jax.Array, gamma) -> jax.Array:
    """(T v)(s) = max_a [r(s,a) + γ Σ_{s'} P(s'|s,a) v(s')]."""
    return jnp.max(q_from_v(params, v, gamma), axis=-1)


def bellman_residual(params: TabularEnvParams, v: jax.Array, gamma,
                     policy: jax.Array | None = None) -> jax.Array:
    """‖T v − v‖_∞ (or ‖T_π v − v‖_∞ when ``policy`` is given)."""
    tv = (bellman_optimality(params, v, gamma) if policy is None
          else bellman_expectation(params, policy, v, gamma))
    return jnp.max(jnp.abs(tv - v))


def value_iteration(params: TabularEnvParams, gamma, *, tol: float = 1e-6,
                    max_iter: int = 10_000) -> MDPSolution:
    """Value iteration v ← T v until ‖v_{k+1} − v_k‖_∞ < tol (a ``lax.while_loop``).

    Args:
      params: the MDP.
      gamma: discount in [0, 1] (γ = 1 only for episodic MDPs where every policy's
        value is finite, e.g. with negative step rewards).
      tol: stopping threshold on the sup-norm change.
      max_iter: cap on the number of sweeps.
    """
    _check(params, gamma)
    if tol <= 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    v0 = jnp.zeros(params.num_states, params.P.dtype)

    def cond(c):
        _, delta, k = c
        return (delta >= tol) & (k < max_iter)

    def body(c):
        v, _, k = c
        v_new = bellman_optimality(params, v, gamma)
        return v_new, jnp.max(jnp.abs(v_new - v)), k + 1

    v, _, k = jax.lax.while_loop(cond, body, (v0, jnp.asarray(jnp.inf, v0.dtype), 0))
    q = q_from_v(params, v, gamma)
    return MDPSolution(v=v, q=q, policy=jnp.argmax(q, axis=-1), iterations=k,
                       residual=bellman_residual(params, v, gamma))


def policy_iteration(params: TabularEnvParams, gamma, *, max_iter: int = 1_000,
                     initial_policy: jax.Array | None = None) -> MDPSolution:
    """Howard's policy iteration: exact evaluation, then greedy improvement, until stable.

    The initial policy must be proper when γ = 1 (default: uniform random, which is
    proper on every episodic layout here).
    """
    _check(params, gamma)
    S, A = params.num_states, params.num_actions
    pi0 = (jnp.full((S, A), 1.0 / A, params.P.dtype) if initial_policy is None
           else _check_policy(params, initial_policy).astype(params.P.dtype))

    def improve(pi):
        v = policy_evaluation(params, pi, gamma)
        q = q_from_v(params, v, gamma)
        # keep the current action on (numerical) ties so that PI terminates
        current = jnp.sum(pi * q, axis=-1)
        better = jnp.max(q, axis=-1) > current + 1e-6 * (1.0 + jnp.abs(current))
        new = jnp.where(better[:, None], greedy_policy(q), pi)
        # a stochastic start policy is always replaced by a deterministic one
        new = jnp.where(jnp.max(pi, axis=-1, keepdims=True) < 1.0, greedy_policy(q), new)
        return new, v, q

    def cond(c):
        _, _, _, stable, k = c
        return (~stable) & (k < max_iter)

    def body(c):
        pi, _, _, _, k = c
        new, v, q = improve(pi)
        return new, v, q, jnp.all(new == pi), k + 1

    zeros_v = jnp.zeros(S, params.P.dtype)
    zeros_q = jnp.zeros((S, A), params.P.dtype)
    pi, v, q, _, k = jax.lax.while_loop(cond, body, (pi0, zeros_v, zeros_q,
                                                      jnp.asarray(False), 0))
    return MDPSolution(v=v, q=q, policy=jnp.argmax(pi, axis=-1), iterations=k,
                       residual=bellman_residual(params, v, gamma))
