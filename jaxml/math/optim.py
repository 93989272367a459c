r"""First-order optimisers from scratch, as optax ``GradientTransformation``\ s.

Each optimiser is a factory that closes over its hyperparameters and returns
``optax.GradientTransformation(init, update)``; ``init(params)`` builds a NamedTuple
state, ``update(grads, state, params) -> (updates, new_state)`` returns the *step*
(already multiplied by ``-learning_rate``), so ``optax.apply_updates(params, updates)``
performs one iteration. They follow optax's conventions exactly (where ε sits, the
initial accumulators, bias correction with the step count ``t = 1, 2, ...``), so
``tests/math/test_optim.py`` shows them equal to ``optax.sgd/adagrad/rmsprop/adam/
adamw/nadam`` step for step. With gradient :math:`g_t` and learning rate η:

* gradient descent: :math:`Δ_t = -η g_t`.
* heavy-ball momentum (Polyak 1964): :math:`v_t = g_t + β v_{t-1}`, :math:`Δ_t = -η v_t`.
* Nesterov momentum (Sutskever et al. 2013 form): :math:`v_t = g_t + β v_{t-1}`,
  :math:`Δ_t = -η (g_t + β v_t)`.
* AdaGrad (Duchi et al. 2011): :math:`s_t = s_{t-1} + g_t^2` with :math:`s_0 = 0.1`,
  :math:`Δ_t = -η\, g_t / \sqrt{s_t + ε}` (and 0 where :math:`s_t = 0`).
* RMSProp (Tieleman & Hinton 2012): :math:`ν_t = ρ ν_{t-1} + (1-ρ) g_t^2`,
  :math:`Δ_t = -η\, g_t / \sqrt{ν_t + ε}` (ε inside the root, as optax).
* Adam (Kingma & Ba 2015): :math:`m_t = β_1 m_{t-1} + (1-β_1) g_t`,
  :math:`ν_t = β_2 ν_{t-1} + (1-β_2) g_t^2`, :math:`\hat m_t = m_t/(1-β_1^t)`,
  :math:`\hat ν_t = ν_t/(1-β_2^t)`, :math:`Δ_t = -η\, \hat m_t / (\sqrt{\hat ν_t + ε_{root}} + ε)`.
* AdamW (Loshchilov & Hutter 2019): decoupled weight decay λ,
  :math:`Δ_t = -η (\hat m_t / (\sqrt{\hat ν_t} + ε) + λ θ_{t-1})`.
* Nadam (Dozat 2016): Adam with the Nesterov look-ahead first moment
  :math:`\hat m_t = β_1 m_t/(1-β_1^{t+1}) + (1-β_1) g_t/(1-β_1^t)`.

The module also holds the classic 2-D test functions used by
``experiments/optimizers_tour.py`` and :func:`run_optimizer`, a ``lax.scan`` loop that
records the trajectory.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxml.math import optim
    >>> tx = optim.adam(0.1)
    >>> xs, losses = optim.run_optimizer(tx, optim.rosenbrock, jnp.array([-1.0, 1.0]), 10)
    >>> xs.shape, losses.shape
    ((11, 2), (11,))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxml.core import check_array, check_int, check_positive, check_probability

__all__ = [
    "EmptyState",
    "TraceState",
    "AdaGradState",
    "RMSPropState",
    "AdamState",
    "gradient_descent",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "adamw",
    "nadam",
    "run_optimizer",
    "rosenbrock",
    "beale",
    "himmelblau",
    "ill_conditioned_quadratic",
    "TEST_FUNCTIONS",
]


class EmptyState(NamedTuple):
    """State of a stateless optimiser (plain gradient descent)."""


class TraceState(NamedTuple):
    """Velocity :math:`v` of (Nesterov) momentum."""

    trace: optax.Updates


class AdaGradState(NamedTuple):
    """Running sum of squared gradients :math:`s`."""

    sum_of_squares: optax.Updates


class RMSPropState(NamedTuple):
    """Exponential moving average of squared gradients :math:`ν`."""

    nu: optax.Updates


class AdamState(NamedTuple):
    """Step count and the first/second moment estimates :math:`m, ν`."""

    count: jax.Array
    mu: optax.Updates
    nu: optax.Updates


def _check_lr(learning_rate):
    return check_positive(learning_rate, "learning_rate")


def _check_decay(value, name):
    check_probability(value, name)
    return value


def gradient_descent(learning_rate: float) -> optax.GradientTransformation:
    """Plain gradient descent :math:`θ ← θ - η ∇f(θ)` (equals ``optax.sgd(lr)``)."""
    _check_lr(learning_rate)

    def init(params):
        del params
        return EmptyState()

    def update(grads, state, params=None):
        del params
        return jax.tree.map(lambda g: -learning_rate * g, grads), state

    return optax.GradientTransformation(init, update)


def _momentum(learning_rate, beta, use_nesterov):
    _check_lr(learning_rate)
    _check_decay(beta, "beta")

    def init(params):
        return TraceState(trace=jax.tree.map(jnp.zeros_like, params))

    def update(grads, state, params=None):
        del params
        velocity = jax.tree.map(lambda g, v: g + beta * v, grads, state.trace)
        if use_nesterov:
            direction = jax.tree.map(lambda g, v: g + beta * v, grads, velocity)
        else:
            direction = velocity
        updates = jax.tree.map(lambda d: -learning_rate * d, direction)
        return updates, TraceState(trace=velocity)

    return optax.GradientTransformation(init, update)


def momentum(learning_rate: float, beta: float = 0.9) -> optax.GradientTransformation:
    """Heavy-ball momentum (Polyak 1964); equals ``optax.sgd(lr, momentum=beta)``.

    :math:`v_t = g_t + β v_{t-1}`, :math:`θ_t = θ_{t-1} - η v_t`, :math:`v_0 = 0`.
    """
    return _momentum(learning_rate, beta, use_nesterov=False)


def nesterov(learning_rate: float, beta: float = 0.9) -> optax.GradientTransformation:
    """Nesterov momentum; equals ``optax.sgd(lr, momentum=beta, nesterov=True)``.

    :math:`v_t = g_t + β v_{t-1}`, :math:`θ_t = θ_{t-1} - η (g_t + β v_t)`: the
    gradient step plus the momentum step evaluated one step ahead (Sutskever et al. 2013).
    """
    return _momentum(learning_rate, beta, use_nesterov=True)


def adagrad(learning_rate: float, initial_accumulator_value: float = 0.1,
            eps: float = 1e-7) -> optax.GradientTransformation:
    """AdaGrad (Duchi, Hazan & Singer 2011); equals ``optax.adagrad``.

    :math:`s_t = s_{t-1} + g_t^2` from :math:`s_0` = ``initial_accumulator_value``;
    :math:`Δ_t = -η g_t / \\sqrt{s_t + ε}`, set to 0 where :math:`s_t = 0`.
    """
    _check_lr(learning_rate)
    check_positive(initial_accumulator_value, "initial_accumulator_value", strict=False)
    check_positive(eps, "eps", strict=False)

    def init(params):
        return AdaGradState(
            sum_of_squares=jax.tree.map(
                lambda p: jnp.full_like(p, initial_accumulator_value), params))

    def update(grads, state, params=None):
        del params
        s = jax.tree.map(lambda g, a: a + g * g, grads, state.sum_of_squares)

        def step(g, a):
            scale = jnp.where(a > 0, jax.lax.rsqrt(a + eps), 0.0)
            return -learning_rate * (scale * g)

        return jax.tree.map(step, grads, s), AdaGradState(sum_of_squares=s)

    return optax.GradientTransformation(init, update)


def rmsprop(learning_rate: float, decay: float = 0.9,
            eps: float = 1e-8) -> optax.GradientTransformation:
    """RMSProp (Tieleman & Hinton 2012); equals ``optax.rmsprop`` (defaults).

    :math:`ν_t = ρ ν_{t-1} + (1-ρ) g_t^2` from :math:`ν_0 = 0`;
    :math:`Δ_t = -η g_t / \\sqrt{ν_t + ε}`.
    """
    _check_lr(learning_rate)
    _check_decay(decay, "decay")
    check_positive(eps, "eps", strict=False)

    def init(params):
        return RMSPropState(nu=jax.tree.map(jnp.zeros_like, params))

    def update(grads, state, params=None):
        del params
        nu = jax.tree.map(lambda g, n: (1 - decay) * (g * g) + decay * n, grads, state.nu)
        updates = jax.tree.map(
            lambda g, n: -learning_rate * (jax.lax.rsqrt(n + eps) * g), grads, nu)
        return updates, RMSPropState(nu=nu)

    return optax.GradientTransformation(init, update)


def _adam_direction(b1, b2, eps, eps_root, use_nesterov):
    """``(init, direction)``: the Adam/Nadam preconditioned direction before ``-η``."""

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdamState(count=jnp.zeros([], jnp.int32), mu=zeros, nu=zeros)

    def direction(grads, state):
        mu = jax.tree.map(lambda g, m: (1 - b1) * g + b1 * m, grads, state.mu)
        nu = jax.tree.map(lambda g, n: (1 - b2) * (g * g) + b2 * n, grads, state.nu)
        t = state.count + 1
        c1 = 1 - b1 ** t
        c2 = 1 - b2 ** t
        if use_nesterov:
            c1_next = 1 - b1 ** (t + 1)
            mu_hat = jax.tree.map(
                lambda m, g: b1 * (m / c1_next.astype(m.dtype))
                + (1 - b1) * (g / c1.astype(g.dtype)), mu, grads)
        else:
            mu_hat = jax.tree.map(lambda m: m / c1.astype(m.dtype), mu)
        nu_hat = jax.tree.map(lambda n: n / c2.astype(n.dtype), nu)
        d = jax.tree.map(lambda m, n: m / (jnp.sqrt(n + eps_root) + eps), mu_hat, nu_hat)
        return d, AdamState(count=t, mu=mu, nu=nu)

    return init, direction


def _check_adam(learning_rate, b1, b2, eps, eps_root):
    _check_lr(learning_rate)
    _check_decay(b1, "b1")
    _check_decay(b2, "b2")
    check_positive(eps, "eps", strict=False)
    check_positive(eps_root, "eps_root", strict=False)


def adam(learning_rate: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         eps_root: float = 0.0) -> optax.GradientTransformation:
    """Adam (Kingma & Ba 2015); equals ``optax.adam``.

    Bias-corrected moments :math:`\\hat m_t, \\hat ν_t` (see the module docstring);
    :math:`Δ_t = -η \\hat m_t / (\\sqrt{\\hat ν_t + ε_{root}} + ε)`.
    """
    _check_adam(learning_rate, b1, b2, eps, eps_root)
    init, direction = _adam_direction(b1, b2, eps, eps_root, use_nesterov=False)

    def update(grads, state, params=None):
        del params
        d, state = direction(grads, state)
        return jax.tree.map(lambda x: -learning_rate * x, d), state

    return optax.GradientTransformation(init, update)


def nadam(learning_rate: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          eps_root: float = 0.0) -> optax.GradientTransformation:
    """Nadam (Dozat 2016): Adam with Nesterov momentum; equals ``optax.nadam``.

    :math:`\\hat m_t = β_1 m_t / (1-β_1^{t+1}) + (1-β_1) g_t/(1-β_1^t)`; the second
    moment is Adam's (no extra :math:`β_2` factor, as optax and PyTorch).
    """
    _check_adam(learning_rate, b1, b2, eps, eps_root)
    init, direction = _adam_direction(b1, b2, eps, eps_root, use_nesterov=True)

    def update(grads, state, params=None):
        del params
        d, state = direction(grads, state)
        return jax.tree.map(lambda x: -learning_rate * x, d), state

    return optax.GradientTransformation(init, update)


def adamw(learning_rate: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          eps_root: float = 0.0, weight_decay: float = 1e-4) -> optax.GradientTransformation:
    """AdamW (Loshchilov & Hutter 2019): decoupled weight decay; equals ``optax.adamw``.

    :math:`Δ_t = -η (\\hat m_t/(\\sqrt{\\hat ν_t + ε_{root}} + ε) + λ θ_{t-1})` — the
    decay acts on the parameters directly instead of being added to the gradient (which
    Adam would rescale).

    Raises:
      ValueError: if ``update`` is called without ``params``.
    """
    _check_adam(learning_rate, b1, b2, eps, eps_root)
    check_positive(weight_decay, "weight_decay", strict=False)
    init, direction = _adam_direction(b1, b2, eps, eps_root, use_nesterov=False)

    def update(grads, state, params=None):
        if params is None:
            raise ValueError("adamw.update needs params for the weight decay")
        d, state = direction(grads, state)
        updates = jax.tree.map(lambda x, p: -learning_rate * (x + weight_decay * p), d, params)
        return updates, state

    return optax.GradientTransformation(init, update)


def run_optimizer(tx: optax.GradientTransformation, fun: Callable[[jax.Array], jax.Array],
                  x0, num_steps: int) -> tuple[jax.Array, jax.Array]:
    """Run ``num_steps`` of ``tx`` on ``fun`` from ``x0`` with ``lax.scan``.

    Args:
      tx: a gradient transformation (ours or optax's).
      fun: scalar objective of a 1-D array.
      x0: starting point, shape ``(d,)``.
      num_steps: number of iterations (static).

    Returns:
      ``(xs, losses)`` with shapes ``(num_steps + 1, d)`` and ``(num_steps + 1,)``: the
      trajectory including the start point and the objective along it.
    """
    x0 = check_array(x0, "x0", ndim=1, dtype_kind="f")
    num_steps = check_int(num_steps, "num_steps", minimum=1)
    value_and_grad = jax.value_and_grad(fun)

    def body(carry, _):
        x, state = carry
        loss, g = value_and_grad(x)
        updates, state = tx.update(g, state, x)
        x_new = optax.apply_updates(x, updates)
        return (x_new, state), (x, loss)

    (x_last, _), (xs, losses) = jax.lax.scan(body, (x0, tx.init(x0)), None, length=num_steps)
    xs = jnp.concatenate([xs, x_last[None]], axis=0)
    losses = jnp.concatenate([losses, fun(x_last)[None]], axis=0)
    return xs, losses


# --------------------------------------------------------------------------------------
# Classic test functions (Surjanovic & Bingham, "Virtual Library of Simulation
# Experiments"; Rosenbrock 1960; Himmelblau 1972).


def rosenbrock(x: jax.Array) -> jax.Array:
    """:math:`f(x) = \\sum_{i<d} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2`; min 0 at 1."""
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def beale(x: jax.Array) -> jax.Array:
    """Beale: :math:`(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`.

    Minimum 0 at (3, 0.5).
    """
    a, b = x[0], x[1]
    return ((1.5 - a + a * b) ** 2 + (2.25 - a + a * b**2) ** 2
            + (2.625 - a + a * b**3) ** 2)


def himmelblau(x: jax.Array) -> jax.Array:
    """Himmelblau: :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`; four minima of value 0."""
    a, b = x[0], x[1]
    return (a**2 + b - 11.0) ** 2 + (a + b**2 - 7.0) ** 2


def ill_conditioned_quadratic(x: jax.Array, condition: float = 100.0) -> jax.Array:
    """:math:`\\tfrac12 (x_0^2 + κ x_1^2)`, Hessian condition number κ; min 0 at 0."""
    return 0.5 * (x[0] ** 2 + condition * x[1] ** 2)


TEST_FUNCTIONS: dict[str, tuple[Callable, tuple[float, float], float]] = {
    "rosenbrock": (rosenbrock, (-1.5, 2.0), 0.0),
    "beale": (beale, (1.0, 1.5), 0.0),
    "himmelblau": (himmelblau, (-1.0, -1.0), 0.0),
    "quadratic": (ill_conditioned_quadratic, (4.0, 1.0), 0.0),
}
"""``name -> (function, start point, known minimum value)``."""
