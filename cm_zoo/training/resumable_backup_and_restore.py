"""`BackupAndRestore` that also restores RNG state and reports bad backups."""

import json
import os
import shutil
import warnings

import h5py
import keras
import numpy as np

_RNG_FILE = "rng_state.npz"
_METADATA_FILE = "training_metadata.json"


@keras.saving.register_keras_serializable(package="cm_zoo")
class ResumableBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Epoch-end backups from which a killed `fit` resumes bit for bit.

    Adds three things to `keras.callbacks.BackupAndRestore` (whose
    `latest.weights.h5` holds the model and optimizer variables):

    - The state of the model's random seed generators (dropout masks) is
      backed up too (`rng_state.npz`), so the resumed epochs draw the same
      masks as an uninterrupted run.
    - `initial_epoch()` says, before `fit`, which epoch the run will resume
      at, so the caller can position its data: Keras restores the epoch
      counter but not the `tf.data` iterator, and `fit` would otherwise
      replay the stream from its first batch (`dataset.skip(epoch *
      steps_per_epoch)` on a deterministic stream restores the position).
    - Two backups are kept; a latest backup that cannot be read (a write
      cut short by the kill, a damaged file) is reported with a
      `RuntimeWarning` naming it and the previous one is restored; without
      a previous one, a `RuntimeError` says which directory to delete.

    Backups are taken at epoch ends only: Keras restores the epoch, not the
    batch, so a mid-epoch backup would replay that epoch's first batches on
    weights that had already seen them. A run killed mid-epoch therefore
    redoes that epoch from its start, and ends as an uninterrupted run
    would. (`cm_zoo.training.CustomTrainingLoop` resumes mid-epoch.)

    Args:
        backup_dir: str. Directory of the backups, for this callback only.
        delete_checkpoint: bool. Delete the backups when `fit` ends.
            Defaults to `True`.
    """

    def __init__(self, backup_dir, delete_checkpoint=True):
        super().__init__(
            backup_dir,
            save_freq="epoch",
            double_checkpoint=True,
            delete_checkpoint=delete_checkpoint,
        )
        self._rng_path = os.path.join(backup_dir, _RNG_FILE)
        self._metadata_path = os.path.join(backup_dir, _METADATA_FILE)
        self._weights_file = os.path.join(backup_dir, "latest.weights.h5")

    def initial_epoch(self):
        """The epoch the next `fit` starts at: 0, or the backed-up one.

        Checks the latest backup first and falls back to the previous one
        when it is unreadable (see the class docstring).
        """
        self._check_latest_backup()
        if not os.path.exists(self._metadata_path):
            return 0
        with open(self._metadata_path) as f:
            return int(json.load(f)["epoch"])

    def on_train_begin(self, logs=None):
        self.initial_epoch()
        super().on_train_begin(logs)
        if os.path.exists(self._rng_path):
            with np.load(self._rng_path) as saved:
                for i, variable in enumerate(_rng_variables(self.model)):
                    variable.assign(saved[str(i)])

    def on_epoch_end(self, epoch, logs=None):
        if os.path.exists(self._rng_path):
            shutil.copyfile(self._rng_path, self._rng_path + ".bkp")
        super().on_epoch_end(epoch, logs)
        states = {
            str(i): keras.ops.convert_to_numpy(variable)
            for i, variable in enumerate(_rng_variables(self.model))
        }
        np.savez(self._rng_path, **states)

    def _check_latest_backup(self):
        if not os.path.exists(self._weights_file):
            return
        error = _read_error(self._weights_file)
        if error is None:
            return
        previous = self._weights_file + ".bkp"
        if not os.path.exists(previous) or _read_error(previous):
            raise RuntimeError(
                f"The backup {self._weights_file} is unreadable ({error}) and "
                "there is no readable previous backup. Delete "
                f"{self.backup_dir} to restart the run from scratch."
            )
        warnings.warn(
            f"The latest backup {self._weights_file} is unreadable "
            f"({error}); resuming from the previous backup {previous}.",
            RuntimeWarning,
            stacklevel=2,
        )
        for path in (self._weights_file, self._metadata_path, self._rng_path):
            if os.path.exists(path + ".bkp"):
                shutil.copyfile(path + ".bkp", path)

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "delete_checkpoint": self.delete_checkpoint,
        }


def _rng_variables(model):
    """Model variables that `save_weights` skips: seed-generator states."""
    saved = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in saved]


def _read_error(path):
    """None if every array of the HDF5 file `path` reads, else the error."""
    try:
        with h5py.File(path, "r") as f:
            f.visititems(
                lambda _, item: (
                    item[()] if isinstance(item, h5py.Dataset) else None
                )
            )
    except (OSError, KeyError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return None
