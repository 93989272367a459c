r"""Snapshot ensembles (Huang et al. 2017, "Snapshot Ensembles: Train 1, get M for free").

One training run with a cyclic cosine learning rate visits :math:`M` local minima; the
parameters at the end of each cycle (where the rate has annealed to zero) are the
ensemble's members. With :math:`T` steps in all and :math:`C = \lceil T/M \rceil` steps
per cycle, step :math:`t = 0, 1, \dots` uses

.. math::

    \alpha(t) = \frac{\alpha_0}{2}\Big(\cos\big(\pi \, \tfrac{t \bmod C}{C}\big) + 1\Big),

so every cycle restarts at :math:`\alpha_0` and decays to (almost) zero. The ensemble
predicts the mean of the members' softmax probabilities (classification) or outputs
(regression). The whole run, all :math:`M` cycles, is one jitted ``lax.scan``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jaxml.core.random import as_key
from jaxml.core.validation import check_int, check_option, check_positive
from jaxml.train.loop import _check_data, make_trainer
from jaxml.train.state import TASKS, TrainState, apply_model

__all__ = ["cyclic_cosine_schedule", "SnapshotEnsemble", "snapshot_ensemble", "snapshot_predict"]


def cyclic_cosine_schedule(lr_max: float, cycle_steps: int) -> optax.Schedule:
    """``step -> lr_max/2 · (cos(π (step mod C)/C) + 1)`` with ``C = cycle_steps``."""
    check_positive(lr_max, "lr_max")
    cycle_steps = check_int(cycle_steps, "cycle_steps", minimum=1)

    def schedule(step):
        phase = jnp.mod(step, cycle_steps) / cycle_steps
        return 0.5 * lr_max * (jnp.cos(jnp.pi * phase) + 1.0)

    return schedule


class SnapshotEnsemble(NamedTuple):
    """``members``: the parameters at the end of each cycle, stacked ``(M, ...)``;
    ``final_state``: the training state after the last cycle; ``history``: per-epoch
    metrics of shape ``(M, epochs_per_cycle)``."""

    members: Any
    final_state: TrainState
    history: dict


def snapshot_ensemble(key, model: nn.Module, train, *, n_snapshots: int,
                      epochs_per_cycle: int, batch_size: int, lr_max: float = 0.1,
                      momentum: float = 0.9, task: str = "classification") -> SnapshotEnsemble:
    """Train ``model`` once with SGD on a cyclic cosine rate and keep one snapshot a cycle.

    Args:
      key: PRNG key or int seed.
      model: a Flax Linen module called as ``model(x, train=...)``.
      train: ``(X, y)``.
      n_snapshots: the number of cycles and members ``M``.
      epochs_per_cycle: epochs per cycle; a cycle is ``epochs_per_cycle · ⌊n/batch_size⌋``
        steps (the last partial batch of an epoch is dropped).
      batch_size: minibatch size.
      lr_max: the rate at the start of every cycle, :math:`\\alpha_0`.
      momentum: SGD (heavy-ball) momentum.
      task: ``"classification"`` or ``"regression"``.
    """
    check_option(task, "task", TASKS)
    n_snapshots = check_int(n_snapshots, "n_snapshots", minimum=1)
    epochs_per_cycle = check_int(epochs_per_cycle, "epochs_per_cycle", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_positive(momentum, "momentum", strict=False)
    train = _check_data(train, "train", task)
    n = train[0].shape[0]
    if batch_size > n:
        raise ValueError(f"batch_size ({batch_size}) exceeds the number of training examples ({n})")
    cycle_steps = epochs_per_cycle * (n // batch_size)
    tx = optax.sgd(cyclic_cosine_schedule(lr_max, cycle_steps), momentum=momentum or None)
    trainer = make_trainer(model, tx, batch_size=batch_size, task=task)

    @jax.jit
    def run(key, train):
        state = trainer.init(key, train[0][:1])

        def cycle(state, _):
            state, history = trainer.run_epochs(state, train, train, epochs_per_cycle)
            return state, (state.params, history)

        state, (members, history) = jax.lax.scan(cycle, state, None, length=n_snapshots)
        return members, state, history

    members, state, history = run(as_key(key), train)
    return SnapshotEnsemble(members=members, final_state=state, history=history)


def snapshot_predict(model: nn.Module, ensemble: SnapshotEnsemble, X, *,
                     task: str = "classification") -> jax.Array:
    """Mean of the members' softmax probabilities ``(n, C)`` (classification) or outputs
    (regression) at ``X``."""
    check_option(task, "task", TASKS)
    X = jnp.asarray(X)

    def member(params):
        out, _ = apply_model(model, ensemble.final_state, X, train=False, params=params)
        return jax.nn.softmax(out, axis=-1) if task == "classification" else out

    return jnp.mean(jax.vmap(member)(ensemble.members), axis=0)
