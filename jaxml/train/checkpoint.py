"""Orbax checkpoints of a training run (state + history), no pickle.

A checkpoint is taken after a whole number of epochs and holds the full
:class:`~jaxml.train.state.TrainState` (parameters, optimiser state, counters and the
PRNG key) and the history arrays (NaN beyond the epochs done). Restoring it and running
the remaining epochs reproduces an uninterrupted run exactly, because every random draw
of epoch e comes from ``fold_in(state.key, e)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp


class CheckpointStore:
    """Keeps the latest ``max_to_keep`` checkpoints in ``directory``, indexed by epoch."""

    def __init__(self, directory: str | Path, *, max_to_keep: int = 2):
        self.directory = Path(directory).absolute()
        self._manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep))

    def latest_epoch(self) -> int | None:
        return self._manager.latest_step()

    def save(self, epoch: int, state: Any, history: dict[str, np.ndarray]) -> None:
        tree = {"state": state, "history": dict(history)}
        self._manager.save(epoch, args=ocp.args.StandardSave(tree))
        self._manager.wait_until_finished()

    def restore(self, state_like: Any, history_like: dict[str, np.ndarray]):
        """Return ``(state, history, epoch)`` from the latest checkpoint.

        ``state_like`` gives the state's structure, shapes and dtypes; ``history_like``
        the history arrays of this run, into which the saved epochs are copied (the
        saved run may have had a smaller epoch budget).
        """
        epoch = self._manager.latest_step()
        if epoch is None:
            raise FileNotFoundError(f"no checkpoint in {self.directory}")
        target = {"state": state_like, "history": dict(history_like)}
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, target)
        tree = self._manager.restore(epoch, args=ocp.args.StandardRestore(abstract))
        history = {}
        for name, like in history_like.items():
            saved = np.asarray(tree["history"][name])
            if epoch > like.shape[-1]:
                raise ValueError(f"the checkpoint in {self.directory} is at epoch {epoch}, "
                                 f"beyond this run's budget of {like.shape[-1]} epochs")
            history[name] = np.array(like, copy=True)
            history[name][..., :epoch] = saved[..., :epoch]
        return tree["state"], history, int(epoch)

    def close(self) -> None:
        self._manager.close()
