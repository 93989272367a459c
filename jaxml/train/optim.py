r"""Optimisers, learning-rate schedules and gradient clipping written out (checked
against optax, which the training loop uses).

Each optimiser is an ``optax.GradientTransformation`` (``init(params)``,
``update(grads, state, params) -> (updates, state)``), so it drops into
:func:`jaxml.train.fit`; the learning rate is a float or a schedule ``step -> lr``.
With gradient g_t at step t = 1, 2, …:

* **SGD with momentum** μ: :math:`v_t = \mu v_{t-1} + g_t`, update :math:`-\eta v_t`;
  Nesterov: update :math:`-\eta(g_t + \mu v_t)`.
* **RMSProp** (Hinton 2012): :math:`s_t = \rho s_{t-1} + (1-\rho) g_t^2`, update
  :math:`-\eta\, g_t / (\sqrt{s_t} + \epsilon)`.
* **Adam** (Kingma & Ba 2015): :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`,
  :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`, bias corrections
  :math:`\hat m_t = m_t/(1-\beta_1^t)`, :math:`\hat v_t = v_t/(1-\beta_2^t)`, update
  :math:`-\eta\,\hat m_t/(\sqrt{\hat v_t} + \epsilon)`.
* **Weight decay, coupled vs decoupled** (Loshchilov & Hutter 2019). *Coupled* (L2) adds
  λθ to the gradient before Adam's moments, so Adam rescales it like any gradient and
  parameters with large gradient variance are barely decayed. *Decoupled* (AdamW) adds
  :math:`-\eta\lambda\theta` to the update after the moments, shrinking every parameter by
  the same factor. Under SGD the two are one method (λ_L2 = λ); under Adam they differ.

Schedules (``step -> lr``, step counted from 0):

* **Linear warmup + cosine decay**: :math:`\eta_0 + (\eta_{max} - \eta_0)\,t/W` for
  t < W, then :math:`\eta_{end} + \tfrac12(\eta_{max} - \eta_{end})(1 + \cos(\pi (t - W)/(T - W)))`
  up to T, and η_end after.
* **Step decay**: :math:`\eta_0\,\gamma^{\lfloor t/S \rfloor}`.
* **One-cycle** (Smith & Topin 2019): cosine from η_max/``div_factor`` up to η_max over
  the first ``pct_start``·T steps, then cosine down to η_max/(div_factor·final_div_factor).

**Clipping by global norm**: with :math:`\lVert g\rVert = \sqrt{\sum_\text{leaves}\lVert g_i\rVert^2}`,
:math:`g \leftarrow g \cdot \min(1, c/\lVert g\rVert)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxml.core.validation import check_int, check_positive, check_range

Schedule = Callable[[jax.Array], jax.Array]


def _as_schedule(learning_rate: float | Schedule) -> Schedule:
    if callable(learning_rate):
        return learning_rate
    check_positive(learning_rate, "learning_rate")
    return lambda step: jnp.asarray(learning_rate, jnp.float32)


def _tree_zeros(params: Any) -> Any:
    return jax.tree.map(jnp.zeros_like, params)


class MomentumState(NamedTuple):
    count: jax.Array
    velocity: Any


def sgd(learning_rate: float | Schedule, *, momentum: float = 0.0, nesterov: bool = False) -> optax.GradientTransformation:
    """SGD, with heavy-ball or Nesterov momentum (module docstring)."""
    schedule = _as_schedule(learning_rate)
    check_range(momentum, "momentum", low=0.0, high=1.0, high_open=True)

    def init(params):
        return MomentumState(jnp.zeros((), jnp.int32), _tree_zeros(params))

    def update(grads, state, params=None):
        velocity = jax.tree.map(lambda v, g: momentum * v + g, state.velocity, grads)
        direction = jax.tree.map(lambda v, g: g + momentum * v, velocity, grads) if nesterov else velocity
        lr = schedule(state.count)
        return jax.tree.map(lambda d: -lr * d, direction), MomentumState(state.count + 1, velocity)

    return optax.GradientTransformation(init, update)


class RMSPropState(NamedTuple):
    count: jax.Array
    mean_square: Any


def rmsprop(learning_rate: float | Schedule, *, decay: float = 0.9, eps: float = 1e-8) -> optax.GradientTransformation:
    """RMSProp (module docstring); ε is added outside the square root."""
    schedule = _as_schedule(learning_rate)
    check_range(decay, "decay", low=0.0, high=1.0, high_open=True)
    check_positive(eps, "eps")

    def init(params):
        return RMSPropState(jnp.zeros((), jnp.int32), _tree_zeros(params))

    def update(grads, state, params=None):
        mean_square = jax.tree.map(lambda s, g: decay * s + (1 - decay) * g**2, state.mean_square, grads)
        lr = schedule(state.count)
        updates = jax.tree.map(lambda g, s: -lr * g / (jnp.sqrt(s) + eps), grads, mean_square)
        return updates, RMSPropState(state.count + 1, mean_square)

    return optax.GradientTransformation(init, update)


class AdamState(NamedTuple):
    count: jax.Array
    mu: Any
    nu: Any


def adam(learning_rate: float | Schedule, *, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         l2: float = 0.0, weight_decay: float = 0.0) -> optax.GradientTransformation:
    """Adam; ``l2`` > 0 is coupled weight decay (λθ added to the gradient), ``weight_decay``
    > 0 decoupled (AdamW: −ηλθ added to the update). ``params`` must be passed to
    ``update`` when either is non-zero."""
    schedule = _as_schedule(learning_rate)
    for name, beta in (("b1", b1), ("b2", b2)):
        check_range(beta, name, low=0.0, high=1.0, high_open=True)
    check_positive(eps, "eps")
    check_positive(l2, "l2", strict=False)
    check_positive(weight_decay, "weight_decay", strict=False)

    def init(params):
        return AdamState(jnp.zeros((), jnp.int32), _tree_zeros(params), _tree_zeros(params))

    def update(grads, state, params=None):
        if (l2 or weight_decay) and params is None:
            raise ValueError("adam with l2 or weight_decay needs params: call update(grads, state, params)")
        if l2:
            grads = jax.tree.map(lambda g, p: g + l2 * p, grads, params)
        count = state.count + 1
        mu = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        nu = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g**2, state.nu, grads)
        t = count.astype(jnp.float32)
        lr = schedule(state.count)
        updates = jax.tree.map(lambda m, v: -lr * (m / (1 - b1**t)) / (jnp.sqrt(v / (1 - b2**t)) + eps), mu, nu)
        if weight_decay:
            updates = jax.tree.map(lambda u, p: u - lr * weight_decay * p, updates, params)
        return updates, AdamState(count, mu, nu)

    return optax.GradientTransformation(init, update)


def warmup_cosine_schedule(peak_value: float, warmup_steps: int, decay_steps: int, *, init_value: float = 0.0,
                           end_value: float = 0.0) -> Schedule:
    """Linear warmup over ``warmup_steps`` to ``peak_value``, cosine to ``end_value`` at
    step ``decay_steps`` (the total, warmup included)."""
    check_positive(peak_value, "peak_value")
    warmup_steps = check_int(warmup_steps, "warmup_steps", minimum=0)
    decay_steps = check_int(decay_steps, "decay_steps", minimum=warmup_steps + 1)

    def schedule(step):
        step = jnp.asarray(step, jnp.float32)
        warm = init_value + (peak_value - init_value) * step / max(warmup_steps, 1)
        progress = jnp.clip((step - warmup_steps) / (decay_steps - warmup_steps), 0.0, 1.0)
        cosine = end_value + 0.5 * (peak_value - end_value) * (1 + jnp.cos(jnp.pi * progress))
        return jnp.where(step < warmup_steps, warm, cosine)

    return schedule


def step_decay_schedule(init_value: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """η₀·γ^⌊t/S⌋ with S = ``step_size``."""
    check_positive(init_value, "init_value")
    step_size = check_int(step_size, "step_size", minimum=1)
    check_positive(gamma, "gamma")
    return lambda step: init_value * gamma ** jnp.floor_divide(jnp.asarray(step), step_size).astype(jnp.float32)


def one_cycle_schedule(total_steps: int, max_value: float, *, pct_start: float = 0.3, div_factor: float = 25.0,
                       final_div_factor: float = 1e4) -> Schedule:
    """Cosine up from max/div_factor to max over pct_start·T steps, then cosine down to
    max/(div_factor·final_div_factor) at T."""
    total_steps = check_int(total_steps, "total_steps", minimum=2)
    check_positive(max_value, "max_value")
    check_range(pct_start, "pct_start", low=0.0, high=1.0, low_open=True, high_open=True)
    check_positive(div_factor, "div_factor")
    check_positive(final_div_factor, "final_div_factor")
    start, peak_step = max_value / div_factor, int(pct_start * total_steps)
    end = start / final_div_factor

    def cosine(a, b, fraction):
        return b + 0.5 * (a - b) * (1 + jnp.cos(jnp.pi * jnp.clip(fraction, 0.0, 1.0)))

    def schedule(step):
        step = jnp.asarray(step, jnp.float32)
        up = cosine(start, max_value, step / max(peak_step, 1))
        down = cosine(max_value, end, (step - peak_step) / (total_steps - peak_step))
        return jnp.where(step < peak_step, up, down)

    return schedule


def global_norm(tree: Any) -> jax.Array:
    """√(Σ over leaves of ‖leaf‖²)."""
    return jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in jax.tree.leaves(tree)))


def clip_by_global_norm(grads: Any, max_norm: float) -> Any:
    """g·min(1, c/‖g‖): the direction kept, the length at most ``max_norm``."""
    check_positive(max_norm, "max_norm")
    norm = global_norm(grads)
    scale = jnp.where(norm > max_norm, max_norm / jnp.maximum(norm, 1e-30), 1.0)
    return jax.tree.map(lambda g: g * scale, grads)

