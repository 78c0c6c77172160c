"""A `strategy.run` training loop for every `tf.distribute` strategy."""

import math
import os
import shutil
import tempfile
import warnings

import keras
import tensorflow as tf

from cm_zoo.training.strategies import is_chief

# What `tf.train.Checkpoint.restore` raises on a truncated or damaged file
# (IndexError: "Read less bytes than requested"), or on a mismatch.
_UNREADABLE = (tf.errors.OpError, ValueError, AssertionError, IndexError)


class CustomTrainingLoop:
    """Trains a compiled Keras task with `strategy.run`, resumable mid-epoch.

    Keras 3's `fit` cannot run under `MultiWorkerMirroredStrategy` (its
    symbolic build reduces a nested batch), and TPUs want a loop of their
    own, so this loop does what `fit`'s train step does on each replica:
    `y_pred = task(x, training=True)`, `loss = task.compute_loss(...)` (the
    task's own loss: for `CrossModalClassifier` the cross-entropies plus the
    StatReg losses, both scaled for the replicas), the optimizer's loss
    scaling (mixed float16) and `optimizer.apply_gradients`, which sums the
    gradients of the replicas. The loss reported per step is the sum over
    replicas, i.e. the loss of the global batch.

    Batches come from `strategy.experimental_distribute_dataset`: every
    element of `dataset` is one global batch, split over the replicas.

    Curricula: Keras callbacks (e.g. `cm_zoo.curricula.ModalityTuning`) get
    `on_train_begin`, `on_epoch_begin`, `on_train_batch_end` (with
    `{"loss": ...}`), `on_epoch_end` and `on_train_end`. The optimizer is
    built over every trainable variable before any callback runs, and the
    step function is retraced whenever the set of trainable variables
    changes (a layer frozen or released), one trace per set.

    Checkpoints: a `tf.train.CheckpointManager` in `checkpoint_dir` keeps
    the last `max_to_keep` checkpoints of the model variables (seed
    generators included), the optimizer variables and the global step, at
    every epoch end and every `save_every_steps` steps. `fit` restores the
    newest readable one: an unreadable checkpoint is reported with a
    `RuntimeWarning` and the previous one is used. The data position is a
    function of the global step: `fit` skips that many batches of
    `dataset` (which must be deterministic: seeded shuffles, deterministic
    maps), since TensorFlow cannot checkpoint a distributed iterator, so a
    run killed at any step ends with the weights of an uninterrupted run.
    Skipping re-reads those batches through the input pipeline.

    Only the chief writes into `checkpoint_dir`; the other workers of a
    multi-worker run save into temporary directories that they delete
    (every worker must take part in a save), and restore from
    `checkpoint_dir`, which must then be on storage every worker sees.

    Args:
        task: compiled `keras.Model` whose `compute_loss(x, y, y_pred,
            sample_weight, training)` gives the loss of a batch, created
            under `strategy.scope()`.
        strategy: `tf.distribute.Strategy`.
        checkpoint_dir: str. Checkpoint directory of the run.
        save_every_steps: int or None. Also checkpoint every this many
            steps. Defaults to `None` (epoch ends only).
        max_to_keep: int. Checkpoints kept. Defaults to `2`.
        jit_compile: bool. Compile each replica's step with XLA. Towers that
            hash strings (`description`) cannot be compiled. Defaults to
            `False`.

    Example:
    >>> import keras, tensorflow as tf
    >>> from cm_zoo.training import CustomTrainingLoop
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> data = tf.data.Dataset.from_tensors(
    ...     (tf.ones((4, 2)), tf.ones((4, 1)))).repeat()
    >>> import tempfile
    >>> loop = CustomTrainingLoop(model, tf.distribute.get_strategy(),
    ...                           tempfile.mkdtemp())
    >>> history = loop.fit(data, epochs=2, steps_per_epoch=3)
    >>> len(history["loss"]), len(loop.step_losses)
    (2, 6)
    """

    def __init__(
        self,
        task,
        strategy,
        checkpoint_dir,
        *,
        save_every_steps=None,
        max_to_keep=2,
        jit_compile=False,
    ):
        if save_every_steps is not None and int(save_every_steps) <= 0:
            raise ValueError(
                "`save_every_steps` must be None or a positive int. "
                f"Received: save_every_steps={save_every_steps}"
            )
        if int(max_to_keep) < 1:
            raise ValueError(
                "`max_to_keep` must be a positive int. "
                f"Received: max_to_keep={max_to_keep}"
            )
        if task.optimizer is None:
            raise ValueError(
                f"`task` {task.name!r} must be compiled with an optimizer."
            )
        self.task = task
        self.strategy = strategy
        self.checkpoint_dir = str(checkpoint_dir)
        self.save_every_steps = save_every_steps and int(save_every_steps)
        self.max_to_keep = int(max_to_keep)
        self.jit_compile = bool(jit_compile)
        self.step_losses = []
        self.restored_from = None
        self._train_functions = {}

    def fit(self, dataset, *, epochs, steps_per_epoch, callbacks=()):
        """Trains to `epochs * steps_per_epoch` global steps; resumes first.

        Returns:
            dict `{"loss": [mean step loss of each epoch run here]}`.

        Raises:
            RuntimeError: when checkpoints exist but none can be read.
        """
        task, optimizer = self.task, self.task.optimizer
        if not optimizer.built:
            with self.strategy.scope():
                optimizer.build(task.trainable_variables)
        step = tf.Variable(0, dtype=tf.int64, trainable=False)
        checkpoint = tf.train.Checkpoint(
            model_variables=list(task.variables),
            optimizer_variables=list(optimizer.variables),
            step=step,
        )
        self.restored_from = self._restore(checkpoint)
        start = int(step.numpy())
        iterator = iter(
            self.strategy.experimental_distribute_dataset(dataset.skip(start))
        )
        for callback in callbacks:
            callback.set_model(task)
            callback.on_train_begin()
        history = {"loss": []}
        manager = None
        if is_chief(self.strategy):
            manager = tf.train.CheckpointManager(
                checkpoint, self.checkpoint_dir, max_to_keep=self.max_to_keep
            )
        first_epoch = start // steps_per_epoch
        for epoch in range(first_epoch, epochs):
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
            first = start % steps_per_epoch if epoch == first_epoch else 0
            losses = []
            for batch in range(first, steps_per_epoch):
                loss = float(self._train_function()(iterator))
                step.assign_add(1)
                losses.append(loss)
                self.step_losses.append(loss)
                for callback in callbacks:
                    callback.on_train_batch_end(batch, {"loss": loss})
                last = batch == steps_per_epoch - 1
                every = self.save_every_steps
                if last or (every and int(step.numpy()) % every == 0):
                    _save(manager, checkpoint, int(step.numpy()))
            mean = math.fsum(losses) / max(len(losses), 1)
            history["loss"].append(mean)
            for callback in callbacks:
                callback.on_epoch_end(epoch, {"loss": mean})
        for callback in callbacks:
            callback.on_train_end()
        return history

    def _train_function(self):
        """The compiled step for the current set of trainable variables."""
        variables = list(self.task.trainable_variables)
        key = tuple(id(v) for v in variables)
        if key not in self._train_functions:
            self._train_functions[key] = self._make_train_function(variables)
        return self._train_functions[key]

    def _make_train_function(self, variables):
        task, optimizer, strategy = (
            self.task,
            self.task.optimizer,
            self.strategy,
        )

        def replica_step(batch):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
            with tf.GradientTape() as tape:
                y_pred = task(x, training=True)
                loss = task.compute_loss(
                    x=x,
                    y=y,
                    y_pred=y_pred,
                    sample_weight=sample_weight,
                    training=True,
                )
                scaled = optimizer.scale_loss(loss)
            gradients = tape.gradient(scaled, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            return loss

        if self.jit_compile:
            replica_step = tf.function(replica_step, jit_compile=True)

        @tf.function
        def train_function(iterator):
            per_replica = strategy.run(replica_step, args=(next(iterator),))
            return strategy.reduce(
                tf.distribute.ReduceOp.SUM, per_replica, axis=None
            )

        return train_function

    def _restore(self, checkpoint):
        """Restores the newest readable checkpoint; returns its path."""
        state = tf.train.get_checkpoint_state(self.checkpoint_dir)
        if state is None:
            return None
        candidates = list(state.all_model_checkpoint_paths)[::-1]
        if state.model_checkpoint_path not in candidates:
            candidates.insert(0, state.model_checkpoint_path)
        failures = []
        for path in candidates:
            try:
                checkpoint.restore(path).assert_existing_objects_matched()
            except _UNREADABLE as error:
                reason = str(error).splitlines()[0]
                failures.append(f"{path} ({type(error).__name__}: {reason})")
                continue
            if failures:
                warnings.warn(
                    "Unreadable checkpoint(s) skipped: "
                    + "; ".join(failures)
                    + f". Resuming from the previous checkpoint {path}.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            return path
        raise RuntimeError(
            "No checkpoint in "
            f"{self.checkpoint_dir} can be read: {'; '.join(failures)}. "
            "Delete the directory to restart the run from scratch."
        )


def _save(manager, checkpoint, step):
    """Saves on the chief (`manager`); elsewhere into a deleted temp dir."""
    if manager is not None:
        manager.save(checkpoint_number=step)
        return
    scratch = tempfile.mkdtemp(prefix="checkpoint_")
    checkpoint.write(os.path.join(scratch, "ckpt"))
    shutil.rmtree(scratch)
