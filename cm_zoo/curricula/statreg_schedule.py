"""Method C's StatReg schedule: the penalty starts when the layers are free."""

import keras


@keras.saving.register_keras_serializable(package="cm_zoo")
class StatRegSchedule(keras.callbacks.Callback):
    """Turns a task's StatReg terms on from an epoch.

    Cross-Modal Scene Networks, section 4.4 (Method C): the shared layers
    are first tuned frozen (Method A), and the statistical regularization is
    added once they are released. This callback sets the task's
    non-trainable `statreg_active` variable, the factor the loss puts on
    every StatReg term, to `0.` before `start_epoch` and `1.` from it. The
    phase is a pure function of the epoch, so a run resumed from a
    checkpoint lands in the same phase, and the loss reads a variable, so
    no train function is retraced.

    Args:
        start_epoch: int. First epoch with StatReg on.

    Example:
    >>> import keras
    >>> from cm_zoo.curricula import StatRegSchedule
    >>> model = keras.Model()
    >>> model.statreg_active = keras.Variable(1.0, trainable=False)
    >>> schedule = StatRegSchedule(start_epoch=2)
    >>> schedule.set_model(model)
    >>> schedule.on_epoch_begin(1)
    >>> float(model.statreg_active.numpy())
    0.0
    >>> schedule.on_epoch_begin(2)
    >>> float(model.statreg_active.numpy())
    1.0
    """

    def __init__(self, start_epoch):
        super().__init__()
        if (
            isinstance(start_epoch, bool)
            or not isinstance(start_epoch, int)
            or start_epoch < 0
        ):
            raise ValueError(
                "`start_epoch` must be a non-negative int. "
                f"Received: start_epoch={start_epoch!r}"
            )
        self.start_epoch = start_epoch

    def is_active(self, epoch):
        """Whether StatReg is on during `epoch`."""
        return epoch >= self.start_epoch

    def on_epoch_begin(self, epoch, logs=None):
        gate = getattr(self.model, "statreg_active", None)
        if gate is None:
            raise ValueError(
                f"StatRegSchedule needs a task with StatReg regularizers (a "
                f"`statreg_active` variable); model {self.model.name!r} has "
                "none."
            )
        gate.assign(1.0 if self.is_active(epoch) else 0.0)

    def get_config(self):
        return {"start_epoch": self.start_epoch}
