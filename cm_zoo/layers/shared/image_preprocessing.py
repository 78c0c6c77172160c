"""In-graph pixel preprocessing: uint8 of any size to a fixed float square."""

import keras


@keras.saving.register_keras_serializable(package="cm_zoo")
class ImagePreprocessing(keras.layers.Layer):
    """Resizes `uint8` RGB images to a square and scales them to `[-1, 1]`.

    Lives inside every image tower so an exported encoder accepts raw
    `uint8` pixels of any height and width.

    Args:
        image_size: int. Output side in pixels.
        dtype: string or `keras.DTypePolicy`. Layer dtype policy.

    Input shape:
        `(batch_size, height, width, 3)`, any integer or float dtype holding
        values in `[0, 255]`.

    Output shape:
        `(batch_size, image_size, image_size, 3)`, in the compute dtype.

    Example:
    >>> from cm_zoo.layers.shared import ImagePreprocessing
    >>> y = ImagePreprocessing(4)(np.full((1, 9, 7, 3), 255, "uint8"))
    >>> tuple(y.shape), float(y.numpy().max())
    ((1, 4, 4, 3), 1.0)
    """

    def __init__(self, image_size, **kwargs):
        super().__init__(**kwargs)
        if int(image_size) < 1:
            raise ValueError(
                "`image_size` must be a positive int. "
                f"Received: image_size={image_size}"
            )
        self.image_size = int(image_size)
        self.built = True

    def call(self, images):
        if len(images.shape) != 4 or images.shape[-1] != 3:
            raise ValueError(
                f"Layer {self.name!r} expects RGB images of shape "
                f"(batch, height, width, 3). Received: shape={images.shape}"
            )
        # keras.ops, not a `Resizing` sublayer: that layer's `training=True`
        # default would leak into the call context of the whole tower.
        pixels = keras.ops.image.resize(
            keras.ops.cast(images, "float32"),
            (self.image_size, self.image_size),
            interpolation="bilinear",
        )
        return keras.ops.cast(pixels / 127.5 - 1.0, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, 3)

    def get_config(self):
        config = super().get_config()
        config.update({"image_size": self.image_size})
        return config
