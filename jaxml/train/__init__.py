"""The training loop: TrainState, jitted steps, scan over epochs, vmap over seeds,
orbax checkpoints that resume exactly."""

from jaxml.train.checkpoint import CheckpointStore
from jaxml.train.loop import FitResult, Trainer, fit, fit_seeds, make_trainer
from jaxml.train.objective import minimize
from jaxml.train.state import (
    TASKS,
    TrainState,
    create_train_state,
    cross_entropy_loss,
    evaluate,
    squared_error_loss,
    train_step,
)

__all__ = [
    "CheckpointStore",
    "FitResult",
    "Trainer",
    "fit",
    "fit_seeds",
    "make_trainer",
    "minimize",
    "TASKS",
    "TrainState",
    "create_train_state",
    "cross_entropy_loss",
    "evaluate",
    "squared_error_loss",
    "train_step",
]
