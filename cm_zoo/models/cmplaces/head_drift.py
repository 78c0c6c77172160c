"""How far the upper layers have moved from the source network's."""

import keras
import numpy as np

from cm_zoo.models.cross_modal_backbone import UPPER_LAYERS


def head_drift(backbone, source_weights):
    """Relative L2 distance of every upper layer from the source's.

    `||W - W_source|| / ||W_source||`, `W` being all of a layer's weights
    (kernel and bias) as one vector, computed in float64.

    Args:
        backbone: `CrossModalBackbone`.
        source_weights: list of 3 float arrays. The source network's fc6,
            fc7 and classifier weights, each flattened into one vector
            (`source_head_weights`).

    Returns:
        dict `{"drift_<layer>_<key>": float}` for layer in fc6, fc7,
        classifier and key each modality of a backbone with one set of
        upper layers per modality (BL-Individual, B), or `"shared"`.
    """
    drift = {}
    for key, layers in backbone.upper_layers.items():
        for name, layer, reference in zip(UPPER_LAYERS, layers, source_weights):
            delta = _flat(layer.get_weights()) - reference
            drift[f"drift_{name}_{key}"] = float(
                np.linalg.norm(delta) / np.linalg.norm(reference)
            )
    return drift


def source_head_weights(source):
    """The source network's fc6, fc7, classifier weights, flattened."""
    return [
        _flat(layer.get_weights())
        for layer in source.upper_layers_for(source.modalities[0])
    ]


class HeadDrift(keras.callbacks.Callback):
    """Logs each head's relative distance from the source weights per epoch.

    Every method but BL-Shared-Upper-Scratch starts its upper layers
    (fc6, fc7, classifier; one set per modality in BL-Individual and B) as
    copies of the source network's. At the end of every epoch this adds
    `head_drift(model.backbone, ...)` to the logs, so `History` (hence the
    run's metrics), the progress bar and the callbacks after it see
    `drift_<layer>_<modality>` (`drift_<layer>_shared` for one shared
    set). Put it before `TensorBoard` or `CSVLogger` in the list.

    Args:
        source: `CrossModalBackbone` with one modality. Its weights are
            read once, when the callback is made.

    Example:
    >>> from cm_zoo.models import CrossModalBackbone
    >>> from cm_zoo.models.cmplaces import HeadDrift
    >>> from cm_zoo.towers import ImageTower
    >>> def backbone(share_upper=True):
    ...     tower = ImageTower(image_size=32, conv_filters=[4] * 5,
    ...                        conv1_kernel_size=3, conv1_strides=1)
    ...     return CrossModalBackbone({"sketch": tower}, num_classes=3,
    ...                               hidden_dim=8, share_upper=share_upper)
    >>> source, target = backbone(), backbone(share_upper=False)
    >>> target.upper_layers["sketch"][0].set_weights(
    ...     source.upper_layers["shared"][0].get_weights())
    >>> callback = HeadDrift(source)
    >>> callback.set_model(keras.Model())
    >>> callback.model.backbone = target
    >>> logs = {}
    >>> callback.on_epoch_end(0, logs)
    >>> logs["drift_fc6_sketch"], logs["drift_fc7_sketch"] > 0
    (0.0, True)
    """

    def __init__(self, source):
        super().__init__()
        self._source_weights = source_head_weights(source)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(head_drift(self.model.backbone, self._source_weights))


def _flat(weights):
    return np.concatenate([np.ravel(w).astype("float64") for w in weights])
