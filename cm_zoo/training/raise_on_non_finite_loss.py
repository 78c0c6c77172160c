"""A callback that stops training on a NaN/Inf loss, naming a checkpoint."""

import math

import keras
import tensorflow as tf


class NonFiniteLossError(FloatingPointError):
    """Raised when the training loss becomes NaN or infinite."""


def last_good_checkpoint(directory):
    """The newest checkpoint listed in the run's `directory`, or None."""
    if directory is None:
        return None
    return tf.train.latest_checkpoint(str(directory))


@keras.saving.register_keras_serializable(package="cm_zoo")
class RaiseOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` as soon as the loss is NaN or infinite.

    `keras.callbacks.TerminateOnNaN` only sets `model.stop_training`, so a
    script carries on to save and evaluate a NaN model. This callback raises
    at the end of the first batch whose `logs["loss"]` is not finite, before
    any checkpoint callback listed after it can save the broken weights, and
    its message names the newest checkpoint in `checkpoint_dir` (the one to
    resume from after fixing the data or lowering the learning rate).

    Args:
        checkpoint_dir: str or None. Checkpoint directory of the run
            (`TrainingLoop`'s), searched for the last good checkpoint when
            raising.
            Defaults to `None`.

    Example:
    >>> import keras
    >>> from cm_zoo.training import RaiseOnNonFiniteLoss
    >>> callback = RaiseOnNonFiniteLoss()
    >>> callback.on_train_batch_end(0, {"loss": 1.0})
    >>> try:
    ...     callback.on_train_batch_end(1, {"loss": float("nan")})
    ... except FloatingPointError as error:
    ...     print(str(error).split(";")[0])
    Loss is nan at epoch 0, batch 1
    """

    def __init__(self, checkpoint_dir=None):
        super().__init__()
        self.checkpoint_dir = checkpoint_dir
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        checkpoint = last_good_checkpoint(self.checkpoint_dir)
        if checkpoint is None:
            checkpoint = f"none yet (in {self.checkpoint_dir})"
        raise NonFiniteLossError(
            f"Loss is {float(loss)} at epoch {self._epoch}, batch {batch}; "
            f"training stopped. Last good checkpoint: {checkpoint}. Check "
            "the data for NaN/Inf values or lower the learning rate, then "
            "rerun the same command to resume from that checkpoint."
        )

    def get_config(self):
        return {"checkpoint_dir": self.checkpoint_dir}
