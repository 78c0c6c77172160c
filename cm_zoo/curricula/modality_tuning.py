"""Method A's curriculum: shared layers frozen, then (optionally) released."""

import keras

SHARED_LAYER_NAMES = ("fc6", "fc7", "classifier")


@keras.saving.register_keras_serializable(package="cm_zoo")
class ModalityTuning(keras.callbacks.Callback):
    """Freezes the shared upper layers, then releases them at an epoch.

    Modality tuning (Cross-Modal Scene Networks, Method A, section 4.2)
    transfers the source network's upper layers to new modalities by holding
    them fixed while every tower learns to feed them; the "free" variant
    then unfreezes them so they can accommodate all modalities. The phase is
    a pure function of the epoch (`epoch < release_epoch` means frozen), so
    a run resumed from a checkpoint lands in the same phase.

    Flipping `trainable` inside `fit` needs a retraced train function, which
    this callback forces at each phase change, and an optimizer built over
    every variable that will ever train: the callback builds it when `fit`
    starts, so the layers must be trainable then (an optimizer built earlier
    while they were frozen would refuse them). The callback leaves them
    trainable when training ends.

    Args:
        release_epoch: int or None. First epoch with the layers trainable;
            `None` keeps them frozen for the whole run. Defaults to `None`.
        layer_names: list of str. Names of the layers to freeze, found
            anywhere in the model. Defaults to `("fc6", "fc7",
            "classifier")`.

    Example:
    >>> import keras
    >>> from cm_zoo.curricula import ModalityTuning
    >>> inputs = keras.Input((3,))
    >>> model = keras.Model(inputs, keras.layers.Dense(2, name="fc6")(inputs))
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> tuning = ModalityTuning(release_epoch=1, layer_names=["fc6"])
    >>> frozen = model.get_layer("fc6").get_weights()[0].copy()
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0,
    ...               callbacks=[tuning])
    >>> bool((model.get_layer("fc6").get_weights()[0] == frozen).all())
    True
    """

    def __init__(self, release_epoch=None, layer_names=SHARED_LAYER_NAMES):
        super().__init__()
        if release_epoch is not None and int(release_epoch) < 0:
            raise ValueError(
                "`release_epoch` must be None or a non-negative int. "
                f"Received: release_epoch={release_epoch}"
            )
        if not layer_names:
            raise ValueError("`layer_names` must name at least one layer.")
        self.release_epoch = (
            None if release_epoch is None else int(release_epoch)
        )
        self.layer_names = tuple(layer_names)

    def is_frozen(self, epoch):
        """Whether the shared layers are frozen during `epoch`."""
        return self.release_epoch is None or epoch < self.release_epoch

    def on_train_begin(self, logs=None):
        self._layers = find_layers(self.model, self.layer_names)
        self._frozen = None
        optimizer = self.model.optimizer
        if not optimizer.built:
            with self.model.distribute_strategy.scope():
                optimizer.build(self.model.trainable_variables)

    def on_epoch_begin(self, epoch, logs=None):
        frozen = self.is_frozen(epoch)
        if frozen == self._frozen:
            return
        for layer in self._layers:
            layer.trainable = not frozen
        self._frozen = frozen
        self.model.make_train_function(force=True)

    def on_train_end(self, logs=None):
        for layer in self._layers:
            layer.trainable = True
        self._frozen = None

    def get_config(self):
        return {
            "release_epoch": self.release_epoch,
            "layer_names": list(self.layer_names),
        }


def find_layers(model, names):
    """Returns the layers named `names` anywhere inside `model`.

    Raises:
        ValueError: naming the layers that are missing.
    """
    found = {}
    pending = [model]
    while pending:
        layer = pending.pop()
        if layer.name in names and layer is not model:
            found.setdefault(layer.name, layer)
        pending.extend(getattr(layer, "layers", []))
    missing = [name for name in names if name not in found]
    if missing:
        raise ValueError(
            f"Layers {missing} not found in model {model.name!r}; the "
            "curriculum freezes layers by name."
        )
    return [found[name] for name in names]
