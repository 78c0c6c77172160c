"""The one checkpoint format of a training run, verified before it is used."""

import json
import os
import re
import shutil
import tempfile
import warnings

import tensorflow as tf

# What reading a torn or damaged checkpoint raises: `DataLossError` (a bad
# checksum), `OutOfRangeError`/`NotFoundError` (a short or missing file),
# `IndexError` ("Read less bytes than requested"), `ValueError`.
_UNREADABLE = (tf.errors.OpError, ValueError, IndexError)
_PREFIX = "ckpt"
_INDEX = re.compile(rf"^{_PREFIX}-(\d+)\.index$")


class RunCheckpoint:
    """Model, optimizer, metrics, step and history of a run, in one format.

    A `tf.train.Checkpoint` of: every model variable (seed-generator states
    included, so dropout masks continue where they stopped), the metric
    variables (so an epoch resumed mid-way reports the mean over all its
    steps), the optimizer variables, the global step and the history of
    the finished epochs (JSON). `tf.train.CheckpointManager` keeps the last
    `max_to_keep` in `directory`; TensorFlow writes each file under a
    temporary name and renames it, and the checkpoint list (`checkpoint`)
    atomically.

    `restore` reads every tensor of a checkpoint (each is checksummed)
    before using it, newest first: a torn or damaged one is skipped with a
    `RuntimeWarning` naming its files, and the previous one is used; when
    none is readable, the run starts afresh and a warning says so. A
    damaged checkpoint list is reported and set aside the same way.

    Only the chief (`chief=True`) writes into `directory`; other workers of
    a multi-worker run write into a temporary directory that they delete
    (every worker must take part in a save) and restore from `directory`,
    which must then be on storage every worker sees.

    Args:
        task: `keras.Model` whose optimizer is built.
        directory: str. Checkpoint directory of the run.
        max_to_keep: int. Checkpoints kept; at least 2, so that a torn
            newest one leaves a previous one. Defaults to `2`.
        chief: bool. Whether this process writes `directory`. Defaults to
            `True`.

    Example:
    >>> import keras, tempfile
    >>> from cm_zoo.training import RunCheckpoint
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> model.optimizer.build(model.trainable_variables)
    >>> directory = tempfile.mkdtemp()
    >>> saved = RunCheckpoint(model, directory)
    >>> saved.save(step=3, history={"loss": [0.5]})
    >>> loaded = RunCheckpoint(model, directory)
    >>> loaded.restore().endswith("ckpt-3"), loaded.step, loaded.history
    (True, 3, {'loss': [0.5]})
    """

    def __init__(self, task, directory, *, max_to_keep=2, chief=True):
        if int(max_to_keep) < 2:
            raise ValueError(
                "`max_to_keep` must be at least 2 (a torn newest checkpoint "
                f"needs a previous one). Received: max_to_keep={max_to_keep}"
            )
        if not task.optimizer.built:
            raise ValueError(
                f"The optimizer of `task` {task.name!r} must be built (over "
                "every variable that will ever train) before its checkpoint "
                "is made."
            )
        self.directory = str(directory)
        self.max_to_keep = int(max_to_keep)
        self.chief = bool(chief)
        self._step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._history = tf.Variable("{}", dtype=tf.string, trainable=False)
        self._checkpoint = tf.train.Checkpoint(
            model_variables=list(task.variables),
            metrics_variables=list(task.metrics_variables),
            optimizer_variables=list(task.optimizer.variables),
            step=self._step,
            history=self._history,
        )
        self._manager = None

    @property
    def step(self):
        """int. Global steps done, as restored or last saved."""
        return int(self._step.numpy())

    @property
    def history(self):
        """dict of per-epoch lists of the finished epochs."""
        return json.loads(self._history.numpy().decode("utf-8"))

    def restore(self):
        """Restores the newest readable checkpoint.

        Returns:
            str or None. The checkpoint's path prefix; `None` when the run
            starts afresh (no checkpoint, or none readable).

        Raises:
            ValueError: a readable checkpoint that does not match the task
                (another model or other settings), naming it.
        """
        self._set_aside_unreadable_list()
        failures = []
        for path in _candidates(self.directory):
            error = _read_error(path)
            if error is not None:
                failures.append(f"{path}.index/.data-* ({error})")
                continue
            if failures:
                _warn(
                    "Unreadable checkpoint(s) skipped: "
                    f"{'; '.join(failures)}. Resuming from the previous "
                    f"checkpoint {path}."
                )
            self._assign(path)
            return path
        if failures:
            _warn(
                f"No readable checkpoint in {self.directory}: "
                f"{'; '.join(failures)}. Starting this training afresh."
            )
        return None

    def save(self, *, step, history):
        """Saves the run at global `step` with `history` (finished epochs)."""
        self._step.assign(step)
        self._history.assign(json.dumps(history))
        if not self.chief:
            scratch = tempfile.mkdtemp(prefix="checkpoint_")
            self._checkpoint.write(os.path.join(scratch, _PREFIX))
            shutil.rmtree(scratch)
            return
        if self._manager is None:
            self._manager = tf.train.CheckpointManager(
                self._checkpoint,
                self.directory,
                max_to_keep=self.max_to_keep,
                checkpoint_name=_PREFIX,
            )
        self._manager.save(checkpoint_number=step)

    def _assign(self, path):
        try:
            self._checkpoint.restore(path).assert_existing_objects_matched()
        except (AssertionError, ValueError) as error:
            raise ValueError(
                f"The checkpoint {path} does not match this task (another "
                f"model or other settings): {error}. Use another output "
                f"directory, or delete {self.directory} to start afresh."
            ) from error

    def _set_aside_unreadable_list(self):
        """Renames a damaged `checkpoint` list so the manager can start."""
        state = os.path.join(self.directory, "checkpoint")
        if not os.path.exists(state):
            return
        try:
            readable = tf.train.get_checkpoint_state(self.directory)
        except ValueError:  # An empty list; a torn one gives None.
            readable = None
        if readable is not None or not self.chief:
            return
        os.replace(state, state + ".unreadable")
        _warn(
            f"The checkpoint list {state} is unreadable; moved to "
            f"{state}.unreadable. The checkpoint files themselves are "
            "still used."
        )


def _candidates(directory):
    """Checkpoint prefixes in `directory`, newest (highest step) first."""
    if not os.path.isdir(directory):
        return []
    steps = sorted(
        (
            int(match[1])
            for name in os.listdir(directory)
            if (match := _INDEX.match(name))
        ),
        reverse=True,
    )
    return [os.path.join(directory, f"{_PREFIX}-{step}") for step in steps]


def _read_error(path):
    """None if every tensor of checkpoint `path` reads, else the error."""
    try:
        reader = tf.train.load_checkpoint(path)
        for key in reader.get_variable_to_shape_map():
            reader.get_tensor(key)
    except _UNREADABLE as error:
        reason = (str(error).strip().splitlines() or [""])[0]
        return f"{type(error).__name__}: {reason}"
    return None


def _warn(message):
    warnings.warn(message, RuntimeWarning, stacklevel=3)
