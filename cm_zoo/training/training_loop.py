"""The training loop of every strategy: Keras' step, callbacks, checkpoints."""

import keras
import tensorflow as tf

from cm_zoo.training.run_checkpoint import RunCheckpoint
from cm_zoo.training.strategies import is_chief


class TrainingLoop:
    """Trains a compiled Keras task under any strategy, resumable mid-epoch.

    Each step is the task's own `train_step` (forward pass, `compute_loss`,
    loss tracker, loss scaling, `apply_gradients`, `compute_metrics`) under
    `strategy.run`, its logs averaged over the replicas, in one
    `tf.function`: `fit`'s step without `fit`'s symbolic build and result
    reduction, which fail under `MultiWorkerMirroredStrategy` in Keras 3.
    So the same loop runs under the default, mirrored, multi-worker and TPU
    strategies, with the logs `fit` would give (loss, the task's metrics;
    epoch logs are the epoch means).

    Callbacks get everything `fit` gives them through a
    `keras.callbacks.CallbackList` (a `History`, and a `ProgbarLogger` when
    `verbose > 0`): `on_train_begin`, `on_epoch_begin`,
    `on_train_batch_begin`/`end` with the step's logs, `on_epoch_end` and
    `on_train_end`; `task.stop_training` ends the run as in `fit`. The step
    is retraced whenever the set of trainable variables changes (one trace
    per set), which is what `task.make_train_function(force=True)` does in
    `fit`: a curriculum that freezes and releases layers at epoch begins
    (`cm_zoo.curricula.ModalityTuning`) works unchanged. The optimizer is
    built over `task.trainable_variables` before any callback runs, so every
    variable that will ever train must be trainable when `fit` is called.
    XLA: `task.jit_compile` compiles each replica's step.

    Checkpoints (`RunCheckpoint` in `checkpoint_dir`): at every epoch end and
    every `save_every_steps` steps, after the callbacks of that step. The
    data position is a function of the global step: `fit` skips that many
    batches of `dataset` (which must be infinite and deterministic: seeded
    shuffles, deterministic maps), since TensorFlow cannot checkpoint a
    distributed iterator. So a run killed at any step resumes at its last
    checkpoint and ends with the weights, metrics and history of an
    uninterrupted run. Metrics passed to `compile(metrics=...)` are built
    (symbolically, from `dataset.element_spec`) before the restore, so
    their state is checkpointed too. (The per-output loss trackers of a
    multi-output `compile(loss=...)` are built on the first step: resumed
    mid-epoch, they cover its resumed steps only.)

    Args:
        task: compiled `keras.Model` (`steps_per_execution=1`), created under
            `strategy.scope()`.
        strategy: `tf.distribute.Strategy`.
        checkpoint_dir: str. Checkpoint directory of the run.
        save_every_steps: int or None. Also checkpoint every this many
            steps. Defaults to `None` (epoch ends only).
        max_to_keep: int. Checkpoints kept, at least 2. Defaults to `2`.

    Example:
    >>> import keras, tempfile, tensorflow as tf
    >>> from cm_zoo.training import TrainingLoop
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> data = tf.data.Dataset.from_tensors(
    ...     (tf.ones((4, 2)), tf.ones((4, 1)))).repeat()
    >>> loop = TrainingLoop(model, tf.distribute.get_strategy(),
    ...                     tempfile.mkdtemp())
    >>> history = loop.fit(data, epochs=2, steps_per_epoch=3)
    >>> len(history["loss"]), loop.restored_from is None
    (2, True)
    """

    def __init__(
        self,
        task,
        strategy,
        checkpoint_dir,
        *,
        save_every_steps=None,
        max_to_keep=2,
    ):
        if save_every_steps is not None and int(save_every_steps) <= 0:
            raise ValueError(
                "`save_every_steps` must be None or a positive int. "
                f"Received: save_every_steps={save_every_steps}"
            )
        if task.optimizer is None:
            raise ValueError(
                f"`task` {task.name!r} must be compiled with an optimizer."
            )
        if task.steps_per_execution != 1:
            raise ValueError(
                f"`task` {task.name!r} must be compiled with "
                "`steps_per_execution=1` (the loop checkpoints and calls "
                "back per step). Received: steps_per_execution="
                f"{task.steps_per_execution}"
            )
        self.task = task
        self.strategy = strategy
        self.checkpoint_dir = str(checkpoint_dir)
        self.save_every_steps = save_every_steps and int(save_every_steps)
        self.max_to_keep = int(max_to_keep)
        self.restored_from = None
        self._train_functions = {}

    def fit(self, dataset, *, epochs, steps_per_epoch, callbacks=(), verbose=0):
        """Trains to `epochs * steps_per_epoch` global steps; resumes first.

        Args:
            dataset: `tf.data.Dataset` of global batches, infinite and
                deterministic.
            epochs: int. Epochs in all, resumed ones included.
            steps_per_epoch: int. Global steps per epoch.
            callbacks: list of `keras.callbacks.Callback`. Defaults to none.
            verbose: int. 0: silent; 1 or 2: `ProgbarLogger`. Defaults to 0.

        Returns:
            dict of per-epoch lists, every epoch of the run (resumed ones
            included), as `fit(...).history`.

        Raises:
            ValueError: a checkpoint that does not match the task.
        """
        checkpoint = self._restore(dataset.element_spec)
        start = checkpoint.step
        history = keras.callbacks.History()
        callback_list = keras.callbacks.CallbackList(
            list(callbacks) + [history],
            add_progbar=verbose > 0,
            model=self.task,
            verbose=verbose,
            epochs=epochs,
            steps=steps_per_epoch,
        )
        iterator = iter(
            self.strategy.experimental_distribute_dataset(dataset.skip(start))
        )
        self.task.stop_training = False
        callback_list.on_train_begin()
        history.history = checkpoint.history
        first_epoch = start // steps_per_epoch
        for epoch in range(first_epoch, epochs):
            first = start % steps_per_epoch if epoch == first_epoch else 0
            self._run_epoch(
                epoch,
                range(first, steps_per_epoch),
                iterator,
                callback_list,
                checkpoint,
                history,
            )
            if self.task.stop_training:
                break
        callback_list.on_train_end()
        return history.history

    def _restore(self, element_spec):
        """Builds the optimizer and compiled metrics; restores the run."""
        with self.strategy.scope():
            if not self.task.optimizer.built:
                self.task.optimizer.build(self.task.trainable_variables)
            _build_compiled_metrics(self.task, element_spec)
        checkpoint = RunCheckpoint(
            self.task,
            self.checkpoint_dir,
            max_to_keep=self.max_to_keep,
            chief=is_chief(self.strategy),
        )
        self.restored_from = checkpoint.restore()
        return checkpoint

    def _train_function(self):
        """The compiled step for the current set of trainable variables."""
        key = tuple(id(v) for v in self.task.trainable_variables)
        if key not in self._train_functions:
            self._train_functions[key] = _make_train_function(
                self.task, self.strategy
            )
        return self._train_functions[key]

    def _run_epoch(
        self, epoch, batches, iterator, callbacks, checkpoint, history
    ):
        """One epoch (the rest of it when resumed mid-way), then its save."""
        steps_per_epoch = batches.stop
        if batches.start == 0:
            self.task.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        logs = {}
        for batch in batches:
            callbacks.on_train_batch_begin(batch)
            logs = self._train_function()(iterator)
            callbacks.on_train_batch_end(batch, logs)
            step = epoch * steps_per_epoch + batch + 1
            every = self.save_every_steps
            if every and step % every == 0 and batch + 1 < steps_per_epoch:
                checkpoint.save(step=step, history=history.history)
            if self.task.stop_training:
                break
        # The last step's logs are the epoch's means, as in `fit`.
        callbacks.on_epoch_end(epoch, {k: float(v) for k, v in logs.items()})
        checkpoint.save(
            step=epoch * steps_per_epoch + batch + 1, history=history.history
        )


def _build_compiled_metrics(task, element_spec):
    """Builds `compile(metrics=...)` state, as `fit`'s symbolic build does.

    Only compiled metrics (`CompileMetrics`) have a `built` flag; the other
    metrics of `task.metrics` make their variables when created.
    """
    unbuilt = [m for m in task.metrics if getattr(m, "built", True) is False]
    if not unbuilt:
        return
    batch = tf.nest.map_structure(
        lambda spec: keras.KerasTensor(spec.shape, spec.dtype.name),
        element_spec,
    )
    x, y, _ = keras.utils.unpack_x_y_sample_weight(batch)
    y_pred = task.compute_output_spec(x, training=False)
    for metric in unbuilt:
        metric.build(y, y_pred)


def _make_train_function(task, strategy):
    """`strategy.run(task.train_step)` on the next batch, logs averaged."""
    train_step = task.train_step
    if task.jit_compile:
        train_step = tf.function(train_step, jit_compile=True)

    def mean_over_replicas(value):
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)

    @tf.function
    def train_function(iterator):
        logs = strategy.run(train_step, args=(next(iterator),))
        return tf.nest.map_structure(mean_over_replicas, logs)

    return train_function
