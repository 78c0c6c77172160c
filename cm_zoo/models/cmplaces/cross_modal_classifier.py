"""Scene classification on every modality of a backbone, with StatReg."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="cm_zoo")
class CrossModalClassifier(keras.Model):
    """Trains a `CrossModalBackbone` to classify scenes in every modality.

    The task of Cross-Modal Scene Networks (eq. 1): the sum over modalities
    of the softmax cross-entropy of each modality's logits, plus, when
    `regularizers` are given (Method B/C), the StatReg penalties that those
    layers add on the hidden activations of the `regularized_modalities`.

    Inputs are a dict keyed by modality that may hold any subset of the
    backbone's modalities: absent modalities are skipped, never zero-filled
    (each distinct subset is traced once). Targets are a dict of integer
    labels with the same keys. The output is a dict of logits.

    Under `tf.distribute`, the cross-entropy is averaged over the global
    batch by `keras.losses`, and the added StatReg losses (means over the
    replica's batch) are divided by the number of replicas the same way, so
    the summed gradient equals the single-device one.

    Args:
        backbone: `cm_zoo.models.CrossModalBackbone`.
        regularizers: dict. Backbone layer name (`"pool5"`, `"fc6"`,
            `"fc7"`) to a StatReg layer. Defaults to none.
        regularized_modalities: list of str. Modalities whose activations
            are regularized. Defaults to all of the backbone's.

    Example:
    >>> from cm_zoo.models import CrossModalBackbone, CrossModalClassifier
    >>> from cm_zoo.towers import ImageTower
    >>> tower = ImageTower(image_size=32, conv_filters=[4] * 5,
    ...                    conv1_kernel_size=3, conv1_strides=1, name="t")
    >>> task = CrossModalClassifier(
    ...     CrossModalBackbone({"sketch": tower}, num_classes=3, hidden_dim=8))
    >>> task.compile(optimizer="sgd")
    >>> x = {"sketch": np.zeros((4, 32, 32, 3), "uint8")}
    >>> y = {"sketch": np.array([0, 1, 2, 0])}
    >>> history = task.fit(x, y, epochs=1, verbose=0)
    >>> sorted(history.history)
    ['loss', 'sketch_accuracy']
    """

    def __init__(
        self,
        backbone,
        regularizers=None,
        regularized_modalities=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.regularizers = dict(regularizers or {})
        self.regularized_modalities = tuple(
            regularized_modalities or backbone.modalities
        )
        for modality in self.regularized_modalities:
            backbone.upper_layers_for(modality)
        self._cross_entropy = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True
        )
        self._accuracy = {
            m: keras.metrics.SparseCategoricalAccuracy(name=f"{m}_accuracy")
            for m in backbone.modalities
        }
        self.built = all(
            layer.built for layer in [backbone, *self.regularizers.values()]
        )

    def call(self, inputs, training=None):
        if not isinstance(inputs, dict) or not inputs:
            raise ValueError(
                "CrossModalClassifier expects a non-empty dict keyed by "
                f"modality. Received: {type(inputs).__name__}"
            )
        logits = {}
        for modality in sorted(inputs):
            features = self.backbone.encode(
                modality, inputs[modality], training=training
            )
            if modality in self.regularized_modalities:
                for layer, regularizer in self.regularizers.items():
                    regularizer(features[layer], training=training)
            logits[modality] = features["logits"]
        return logits

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        _check_targets(y, y_pred)
        losses = [self._cross_entropy(y[m], y_pred[m]) for m in y_pred]
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        losses.extend(
            keras.ops.cast(loss, "float32") / replicas for loss in self.losses
        )
        return keras.ops.sum(keras.ops.stack(losses))

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        for modality, logits in y_pred.items():
            self._accuracy[modality].update_state(y[modality], logits)
        return self.get_metrics_result()

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "backbone": keras.layers.serialize(self.backbone),
                "regularizers": {
                    layer: keras.layers.serialize(regularizer)
                    for layer, regularizer in self.regularizers.items()
                },
                "regularized_modalities": list(self.regularized_modalities),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        config["regularizers"] = {
            layer: keras.layers.deserialize(regularizer)
            for layer, regularizer in config["regularizers"].items()
        }
        return cls(**config)


def _check_targets(y, y_pred):
    if not isinstance(y, dict) or set(y) != set(y_pred):
        found = sorted(y) if isinstance(y, dict) else type(y).__name__
        raise ValueError(
            "Targets must be a dict of labels with the same modalities as "
            f"the inputs. Expected keys {sorted(y_pred)}, received {found}."
        )
