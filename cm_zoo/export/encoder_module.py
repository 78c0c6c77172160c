"""One modality's encoder as a Reusable SavedModel (a `tf.Module`)."""

import tensorflow as tf

from cm_zoo.export import contract
from cm_zoo.models import FC7
from cm_zoo.models import LAYER_NAMES


class EncoderModule(tf.Module):
    """Wraps one path of a `CrossModalBackbone` for `tf.saved_model.save`.

    Implements the Reusable SavedModel interface of TF Hub:
    `__call__(x, training=False)` is a `tf.function` traced for
    `training=False` and `training=True` on the contract input spec (see
    `cm_zoo.export.contract`), returning a dict of float32 tensors
    `embedding` (the `embedding_layer` output, not L2-normalised), `pool5`,
    `fc6`, `fc7` and `logits`; `variables`, `trainable_variables` and
    `regularization_losses` (zero-argument functions returning scalars,
    one per regularised weight) are saved as plain lists. `serve` takes one
    input named after the modality and is saved as `serving_default`.

    Preprocessing runs inside the towers. The module closes over
    `backbone.encode`, so only what that path uses is exported: StatReg
    layers belong to the training task, not the backbone, and stay out.

    Args:
        backbone: `cm_zoo.models.CrossModalBackbone`. The trained model.
        modality: str. Which tower to export.
        embedding_layer: str. Layer returned as `embedding`. Defaults to
            `"fc7"`.

    Example:
    >>> from cm_zoo.export import EncoderModule
    >>> from cm_zoo.models import CrossModalBackbone
    >>> from cm_zoo.towers import ImageTower
    >>> tower = ImageTower(image_size=32, conv_filters=[4] * 5,
    ...                    conv1_kernel_size=3, conv1_strides=1)
    >>> module = EncoderModule(
    ...     CrossModalBackbone({"sketch": tower}, num_classes=3,
    ...                        hidden_dim=8), "sketch")
    >>> out = module(np.zeros((2, 20, 30, 3), "uint8"))
    >>> sorted(out), tuple(out["embedding"].shape)
    (['embedding', 'fc6', 'fc7', 'logits', 'pool5'], (2, 8))
    """

    # The Reusable SavedModel attributes are saved plain lists, not the
    # computed `tf.Module` properties (properties are not saved).
    variables = ()
    trainable_variables = ()
    regularization_losses = ()

    def __init__(self, backbone, modality, embedding_layer=FC7):
        if modality not in backbone.modalities:
            raise ValueError(
                f"Unknown modality {modality!r} for this backbone. "
                f"Expected one of {list(backbone.modalities)}."
            )
        if embedding_layer not in LAYER_NAMES:
            raise ValueError(
                "`embedding_layer` must be one of "
                f"{list(LAYER_NAMES)}. "
                f"Received: embedding_layer={embedding_layer!r}"
            )
        contract.check_tower(modality, backbone.towers[modality])
        super().__init__(name=f"{modality}_encoder")
        self.modality = modality
        self.embedding_layer = embedding_layer
        # A plain closure, not an attribute: the Keras objects must not be
        # saved, only the variables their functions read.
        self._encode = _EncodeFunction(backbone, modality)
        model = backbone.encoder(modality)
        self.variables = list(model.variables)
        self.trainable_variables = list(model.trainable_variables)
        regularized = [
            v
            for v in model.trainable_variables
            if getattr(v, "regularizer", None) is not None
        ]
        self.regularization_losses = [
            tf.function(_regularization_loss(v), input_signature=[])
            for v in regularized
        ]
        # Lookup tables (WordNet concepts) are resources, not variables:
        # tracked here so that the SavedModel carries them.
        self.lookup_tables = _lookup_tables(model)
        spec = contract.input_spec(
            modality, contract.input_kind(modality, backbone.towers[modality])
        )
        for training in (False, True):
            self.__call__.get_concrete_function(spec, training=training)
        self.serve = tf.function(self._serve_default, input_signature=[spec])

    @tf.function
    def __call__(self, x, training=False):
        outputs = self._encode(x, training=training)
        outputs = {k: tf.cast(v, tf.float32) for k, v in outputs.items()}
        return {contract.EMBEDDING: outputs[self.embedding_layer], **outputs}

    def _serve_default(self, x):
        return self.__call__(x, training=False)

    def signatures(self):
        """Returns the signatures to pass to `tf.saved_model.save`."""
        return {
            "serving_default": self.serve.get_concrete_function(),
        }


class _EncodeFunction:
    """Holds the backbone out of sight of SavedModel object tracking."""

    __slots__ = ("_backbone", "_modality")

    def __init__(self, backbone, modality):
        self._backbone = backbone
        self._modality = modality

    def __call__(self, x, training):
        return self._backbone.encode(self._modality, x, training=training)


def _lookup_tables(model):
    """The `tf.lookup` tables held by `model`'s layers, nested ones too."""
    tables = []
    for layer in getattr(model, "layers", ()):
        tables += [
            value
            for value in vars(layer).values()
            if isinstance(value, tf.lookup.StaticHashTable)
        ]
        tables += _lookup_tables(layer)
    return tables


def _regularization_loss(variable):
    def loss():
        return tf.cast(variable.regularizer(variable), tf.float32)

    return loss
