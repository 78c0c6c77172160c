"""Early stopping on a validation score, best weights restored, resumable."""

import os

import keras
import numpy as np

from cm_zoo import atomic_files

STATE = "early_stopping.json"
BEST_WEIGHTS = "best.weights.h5"


class BestOnValidation(keras.callbacks.Callback):
    """Scores the model after every epoch; keeps and restores the best.

    At each epoch end `score(model)` (higher is better, e.g. the validation
    split's mean cross-modal mAP) is added to the logs as `name`, so the
    run's history holds it. The best epoch's weights go to
    `run_dir/best.weights.h5` and every score to `run_dir/
    early_stopping.json`, atomically. After `patience` epochs without a
    better score the run stops; when training ends the best weights are
    loaded back. Resumable: a resumed run (`cm_zoo.training.train_task`)
    repeats no finished epoch, and the scores of epochs it redoes replace
    theirs; `stopped(run_dir)` says whether a run already stopped early.

    Args:
        score: callable. `score(model)`: a float, higher is better, or a
            dict holding it under `name` and other values to log with it.
        run_dir: str or path. The run's directory.
        name: str. Log key of the score. Defaults to `"val_score"`.
        patience: int or None. Epochs without improvement before stopping;
            `None` never stops early (the best weights are still restored).
            Defaults to `None`.

    Example:
    >>> import tempfile
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> scores = iter([0.2, 0.5, 0.4, 0.3])
    >>> run_dir = tempfile.mkdtemp()
    >>> callback = BestOnValidation(
    ...     lambda model: next(scores), run_dir, patience=2)
    >>> callback.set_model(model)
    >>> for epoch in range(4):
    ...     callback.on_epoch_end(epoch, {})
    >>> model.stop_training, callback.best_epoch, stopped(run_dir)
    (True, 1, True)
    """

    def __init__(self, score, run_dir, *, name="val_score", patience=None):
        super().__init__()
        if patience is not None and int(patience) < 1:
            raise ValueError(
                "`patience` must be None or a positive int. "
                f"Received: patience={patience}"
            )
        self.score = score
        self.run_dir = str(run_dir)
        self.name = name
        self.patience = patience
        self.scores = []

    @property
    def best_epoch(self):
        """int or None. The epoch (0-based) with the best score so far."""
        return int(np.argmax(self.scores)) if self.scores else None

    def on_epoch_end(self, epoch, logs=None):
        state = read_state(self.run_dir)
        scored = self.score(self.model)
        if not isinstance(scored, dict):
            scored = {self.name: scored}
        self.scores = state["scores"][:epoch] + [float(scored[self.name])]
        if logs is not None:
            logs.update({key: float(value) for key, value in scored.items()})
        if self.best_epoch == epoch:
            self._save_best_weights()
        waited = epoch - self.best_epoch
        stop = self.patience is not None and waited >= self.patience
        if stop:
            self.model.stop_training = True
        atomic_files.atomic_write_json(
            self._path(STATE),
            {
                "name": self.name,
                "scores": self.scores,
                "best_epoch": self.best_epoch,
                "stopped": bool(stop),
            },
        )

    def on_train_end(self, logs=None):
        restore_best_weights(self.model, self.run_dir)

    def _save_best_weights(self):
        with atomic_files.atomic_path(self._path(BEST_WEIGHTS)) as path:
            self.model.save_weights(path)

    def _path(self, name):
        return os.path.join(self.run_dir, name)


def read_state(run_dir):
    """The saved scores of `run_dir` (`{"scores": []}` before any)."""
    path = os.path.join(run_dir, STATE)
    if not os.path.isfile(path):
        return {"scores": [], "best_epoch": None, "stopped": False}
    return atomic_files.read_json(path)


def stopped(run_dir):
    """Whether the run in `run_dir` stopped early (its best is final)."""
    return bool(read_state(run_dir)["stopped"])


def restore_best_weights(model, run_dir):
    """Loads `run_dir/best.weights.h5` into `model`, if it was saved."""
    path = os.path.join(run_dir, BEST_WEIGHTS)
    if not os.path.isfile(path):
        return False
    model.load_weights(path)
    return True
