"""A Keras 3 layer around an exported encoder, for fine-tuning it."""

import keras

from cm_zoo.export import contract
from cm_zoo.export.load_encoder import load_encoder


@keras.saving.register_keras_serializable(package="cm_zoo")
class HubEncoderLayer(keras.layers.Layer):
    """Runs an exported modality encoder inside a Keras 3 model.

    Loads the SavedModel with `load_encoder` (hashes verified) and returns
    one of its outputs. The SavedModel's `trainable_variables` become this
    layer's trainable weights (the same `tf.Variable`s, wrapped, not
    copied), the other variables (batch-norm statistics) non-trainable
    weights, so `fit` fine-tunes the encoder and `training=True` runs its
    training-mode graph (only while `trainable`, as in `hub.KerasLayer`).
    The SavedModel's `regularization_losses` are added as layer losses.
    TensorFlow backend only, like `keras.layers.TFSMLayer`.

    Args:
        filepath: str. `<export_dir>/<model_name>/<modality>`.
        output_key: str. Which output to return: `"embedding"`,
            `"pool5"`, `"fc6"`, `"fc7"` or `"logits"`. Defaults to
            `"embedding"`.
        trainable: bool. Fine-tune the encoder. Defaults to `True`.
        verify: bool. Check the manifest hashes on load. Defaults to
            `True`.

    Call arguments:
        inputs: a batch in the modality's contract dtype and rank.
        training: bool. Training mode of the encoder.

    Input shape:
        images `(batch, height, width, 3)` uint8; descriptions `(batch,)`
        strings; sound `(batch, samples)` float32.

    Output shape:
        `(batch, width)` float32, `width` from the manifest.

    Example:
    >>> from cm_zoo.export import HubEncoderLayer
    >>> from cm_zoo.export import shipped_encoders
    >>> path = shipped_encoders.SHIPPED_DIR / "cmplaces_method_c" / "sketch"
    >>> layer = HubEncoderLayer(str(path))
    >>> pixels = keras.Input((None, None, 3), dtype="uint8")
    >>> head = keras.layers.Dense(4)(layer(pixels))
    >>> model = keras.Model(pixels, head)
    >>> len(layer.trainable_weights) > 0, tuple(head.shape)
    (True, (None, 4))
    """

    def __init__(
        self,
        filepath,
        output_key=contract.EMBEDDING,
        trainable=True,
        verify=True,
        **kwargs,
    ):
        if keras.backend.backend() != "tensorflow":
            raise ValueError(
                "HubEncoderLayer runs TF SavedModels and needs the "
                "TensorFlow backend. Received: backend="
                f"{keras.backend.backend()!r}"
            )
        if output_key not in contract.OUTPUT_NAMES:
            raise ValueError(
                f"`output_key` must be one of {list(contract.OUTPUT_NAMES)}. "
                f"Received: output_key={output_key!r}"
            )
        super().__init__(**kwargs)
        self.filepath = str(filepath)
        self.output_key = output_key
        self.verify = bool(verify)
        self._encoder = load_encoder(self.filepath, verify=self.verify)
        trainable_ids = {id(v) for v in self._encoder.trainable_variables}
        self.encoder_weights = [
            keras.Variable(
                initializer=v,
                trainable=id(v) in trainable_ids,
                dtype=v.dtype.name,
                name=v.name.split(":")[0].replace("/", "_"),
            )
            for v in self._encoder.variables
        ]
        # Keras freezes a layer by flipping its variables' flags, so the
        # flag is applied once the variables exist.
        self.trainable = trainable
        self.built = True

    def call(self, inputs, training=False):
        # As `hub.KerasLayer`: a frozen encoder always runs in inference
        # mode, so its batch-norm statistics and dropout stay fixed too.
        training = bool(training) and self.trainable
        outputs = self._encoder(inputs, training=training)
        for loss in self._encoder.regularization_losses:
            self.add_loss(loss())
        return outputs[self.output_key]

    def compute_output_shape(self, input_shape):
        width = self._encoder.output_widths[self.output_key]
        return (input_shape[0], width)

    def compute_output_spec(self, inputs, training=False):
        return keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype="float32"
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filepath": self.filepath,
                "output_key": self.output_key,
                "verify": self.verify,
            }
        )
        return config
