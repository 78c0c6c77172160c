"""One entry point for the recipes: the training loop, its files, its logs."""

import os

import keras

from cm_zoo.atomic_files import atomic_path
from cm_zoo.training.raise_on_non_finite_loss import RaiseOnNonFiniteLoss
from cm_zoo.training.strategies import is_chief
from cm_zoo.training.training_loop import TrainingLoop


def train_task(
    task,
    dataset,
    *,
    strategy,
    run_dir,
    epochs,
    steps_per_epoch,
    callbacks=(),
    save_every_steps=None,
    jit_compile=False,
    verbose=1,
):
    """Trains a compiled task, resumably, the way the recipes do.

    Runs `TrainingLoop` (the same loop under every strategy) with, in
    order: `RaiseOnNonFiniteLoss`, `keras.callbacks.TensorBoard(run_dir /
    "logs")` (chief only) and `callbacks`. The run is checkpointed in
    `run_dir/"checkpoints"` at every epoch end and every `save_every_steps`
    steps; a killed run, rerun, resumes at its last checkpoint and ends
    with the weights, metrics and history of an uninterrupted run. When
    training ends the chief writes the weights to `run_dir/
    "task.weights.h5"`, atomically (a reader sees the old file or the new).

    Args:
        task: compiled `keras.Model`, created under `strategy.scope()`.
        dataset: `tf.data.Dataset` of global batches, infinite and
            deterministic (it is skipped to the resumed position).
        strategy: `tf.distribute.Strategy`.
        run_dir: str or path. The run's directory, as the chief sees it.
        epochs: int. Epochs in all, resumed ones included.
        steps_per_epoch: int. Global steps per epoch.
        callbacks: list of `keras.callbacks.Callback`, e.g. a curriculum.
            Defaults to none.
        save_every_steps: int or None. Also checkpoint every this many
            steps. Defaults to `None` (epoch ends only).
        jit_compile: bool. XLA for the train step (sets
            `task.jit_compile`). Defaults to `False`.
        verbose: int. 0: silent; 1 or 2: Keras progress bar. Defaults to
            `1`.

    Returns:
        dict of per-epoch lists (as `fit(...).history`) for every epoch of
        the run, the epochs done before a resume included.

    Raises:
        cm_zoo.training.NonFiniteLossError: when the loss becomes NaN/Inf.
        ValueError: when `run_dir/"checkpoints"` holds another task's
            checkpoint.

    Example:
    >>> import keras, tempfile, tensorflow as tf
    >>> from cm_zoo.training import train_task
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> data = tf.data.Dataset.from_tensors(
    ...     (tf.ones((4, 2)), tf.ones((4, 1)))).repeat()
    >>> run_dir = tempfile.mkdtemp()
    >>> history = train_task(model, data, strategy=tf.distribute.get_strategy(),
    ...     run_dir=run_dir, epochs=2, steps_per_epoch=3, verbose=0)
    >>> len(history["loss"]), os.path.exists(f"{run_dir}/task.weights.h5")
    (2, True)
    """
    run_dir = str(run_dir)
    chief = is_chief(strategy)
    checkpoint_dir = os.path.join(run_dir, "checkpoints")
    standard = [RaiseOnNonFiniteLoss(checkpoint_dir)]
    if chief:
        os.makedirs(run_dir, exist_ok=True)
        standard.append(
            keras.callbacks.TensorBoard(os.path.join(run_dir, "logs"))
        )
    task.jit_compile = bool(jit_compile)
    history = TrainingLoop(
        task, strategy, checkpoint_dir, save_every_steps=save_every_steps
    ).fit(
        dataset,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=standard + list(callbacks),
        verbose=verbose,
    )
    if chief:
        with atomic_path(os.path.join(run_dir, "task.weights.h5")) as path:
            task.save_weights(path)
    return history
