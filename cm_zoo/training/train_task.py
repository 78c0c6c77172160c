"""One entry point for the recipes: `fit` or `CustomTrainingLoop`."""

import os

import keras
import tensorflow as tf

from cm_zoo.training.custom_training_loop import CustomTrainingLoop
from cm_zoo.training.raise_on_non_finite_loss import RaiseOnNonFiniteLoss
from cm_zoo.training.resumable_backup_and_restore import (
    ResumableBackupAndRestore,
)
from cm_zoo.training.strategies import is_chief

LOOPS = ("auto", "fit", "custom")
# `Model.fit` cannot run under these strategies (see `CustomTrainingLoop`).
_CUSTOM_ONLY = (
    tf.distribute.MultiWorkerMirroredStrategy,
    tf.distribute.TPUStrategy,
)


def train_task(
    task,
    dataset,
    *,
    strategy,
    run_dir,
    epochs,
    steps_per_epoch,
    callbacks=(),
    loop="auto",
    save_every_steps=None,
    jit_compile=False,
    verbose=1,
):
    """Trains a compiled task, resumably, the way the recipes do.

    With `loop="fit"` (`"auto"` under the default and mirrored strategies)
    this is `task.fit` with, in order: `RaiseOnNonFiniteLoss`,
    `ResumableBackupAndRestore(run_dir/"backup")` (the dataset skips the
    epochs already done), `TensorBoard(run_dir/"logs")`,
    `ModelCheckpoint(run_dir/"task.weights.h5")` and `callbacks`; a killed
    run resumes from its last finished epoch. With `loop="custom"`
    (`"auto"` under multi-worker and TPU strategies) it is a
    `CustomTrainingLoop` checkpointing in `run_dir/"checkpoints"` (every
    `save_every_steps` steps and at epoch ends; resumes mid-epoch), with
    `RaiseOnNonFiniteLoss`, epoch losses as TensorBoard scalars in
    `run_dir/"logs"` and the weights in `run_dir/"task.weights.h5"` when it
    ends. Only the chief writes logs and weights.

    Args:
        task: compiled `keras.Model`, created under `strategy.scope()`;
            compile it with `jit_compile` for XLA in the `fit` path.
        dataset: `tf.data.Dataset` of global batches, infinite and
            deterministic (it is skipped to the resumed position).
        strategy: `tf.distribute.Strategy`.
        run_dir: str or path. The run's directory, as the chief sees it.
        epochs: int. Epochs in all, resumed ones included.
        steps_per_epoch: int. Global steps per epoch.
        callbacks: list of `keras.callbacks.Callback`, e.g. a curriculum.
            Defaults to none.
        loop: str. One of `LOOPS`. Defaults to `"auto"`.
        save_every_steps: int or None. Mid-epoch checkpoints of the custom
            loop. Defaults to `None`.
        jit_compile: bool. XLA for the custom loop's step. Defaults to
            `False`.
        verbose: int. `fit`'s progress output. Defaults to `1`.

    Returns:
        dict of per-epoch lists (`history.history` of `fit`, or the custom
        loop's `{"loss": [...]}`) for the epochs run by this call.

    Raises:
        ValueError: for an unknown `loop`, or `"fit"` under a strategy that
            `fit` cannot run under.
        cm_zoo.training.NonFiniteLossError: when the loss becomes NaN/Inf.
    """
    if loop not in LOOPS:
        raise ValueError(
            f"`loop` must be one of {list(LOOPS)}. Received: {loop!r}"
        )
    custom_only = isinstance(strategy, _CUSTOM_ONLY)
    if loop == "fit" and custom_only:
        raise ValueError(
            f"`loop='fit'` cannot run under {type(strategy).__name__}: "
            "Keras 3's fit does not support it. Use loop='custom' (or "
            "'auto')."
        )
    run_dir = str(run_dir)
    chief = is_chief(strategy)
    if chief:
        os.makedirs(run_dir, exist_ok=True)
    weights_path = os.path.join(run_dir, "task.weights.h5")
    if loop == "custom" or (loop == "auto" and custom_only):
        checkpoint_dir = os.path.join(run_dir, "checkpoints")
        standard = [RaiseOnNonFiniteLoss(checkpoint_dir)]
        if chief:
            standard.append(_EpochLossSummary(os.path.join(run_dir, "logs")))
        history = CustomTrainingLoop(
            task,
            strategy,
            checkpoint_dir,
            save_every_steps=save_every_steps,
            jit_compile=jit_compile,
        ).fit(
            dataset,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=standard + list(callbacks),
        )
        if chief:
            task.save_weights(weights_path)
        return history
    backup_dir = os.path.join(run_dir, "backup")
    backup = ResumableBackupAndRestore(backup_dir)
    done = backup.initial_epoch() * steps_per_epoch
    standard = [
        RaiseOnNonFiniteLoss(backup_dir),
        backup,
        keras.callbacks.TensorBoard(os.path.join(run_dir, "logs")),
        keras.callbacks.ModelCheckpoint(weights_path, save_weights_only=True),
    ]
    return task.fit(
        dataset.skip(done),
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=standard + list(callbacks),
        verbose=verbose,
    ).history


class _EpochLossSummary(keras.callbacks.Callback):
    """Writes each epoch's loss as a TensorBoard scalar `epoch_loss`."""

    def __init__(self, log_dir):
        super().__init__()
        self._writer = tf.summary.create_file_writer(log_dir)

    def on_epoch_end(self, epoch, logs=None):
        with self._writer.as_default():
            tf.summary.scalar("epoch_loss", logs["loss"], step=epoch)
        self._writer.flush()
