"""Distributed, preemption-safe training: strategies, loop, callbacks."""

from cm_zoo.training.raise_on_non_finite_loss import NonFiniteLossError
from cm_zoo.training.raise_on_non_finite_loss import RaiseOnNonFiniteLoss
from cm_zoo.training.raise_on_non_finite_loss import last_good_checkpoint
from cm_zoo.training.run_checkpoint import RunCheckpoint
from cm_zoo.training.scaling_arguments import strategy_from_arguments
from cm_zoo.training.strategies import STRATEGIES
from cm_zoo.training.strategies import is_chief
from cm_zoo.training.strategies import make_strategy
from cm_zoo.training.strategies import per_replica_batch_size
from cm_zoo.training.strategies import remove_worker_directory
from cm_zoo.training.strategies import worker_directory
from cm_zoo.training.train_task import train_task
from cm_zoo.training.training_loop import TrainingLoop

__all__ = [
    "STRATEGIES",
    "NonFiniteLossError",
    "RaiseOnNonFiniteLoss",
    "RunCheckpoint",
    "TrainingLoop",
    "is_chief",
    "last_good_checkpoint",
    "make_strategy",
    "per_replica_batch_size",
    "remove_worker_directory",
    "strategy_from_arguments",
    "train_task",
    "worker_directory",
]
