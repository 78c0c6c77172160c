"""Random mirror and shift of preprocessed images, in training only."""

import keras


@keras.saving.register_keras_serializable(package="cm_zoo")
class ImageAugmentation(keras.layers.Layer):
    """Mirrors images left-right and shifts them, only when training.

    AlexNet and Places-CNN were trained on random crops and mirror images;
    this is the in-graph equivalent for the small embedded data. Keras'
    `RandomFlip` and `RandomTranslation` default to augmenting when called
    without a `training` argument; this layer augments only for
    `training=True`, so a plain call or an exported encoder never does.

    Args:
        max_shift: float. Largest shift, as a fraction of height and width.
            Defaults to `0.1`.
        seed: int or None. Seed of the random draws. Defaults to `None`.

    Input shape:
        `(batch_size, height, width, channels)`.

    Output shape:
        Same as the input.

    Example:
    >>> from cm_zoo.layers.shared import ImageAugmentation
    >>> images = np.random.default_rng(0).random((2, 8, 8, 3), "float32")
    >>> layer = ImageAugmentation(seed=1)
    >>> bool(np.array_equal(layer(images), images))
    True
    >>> bool(np.array_equal(layer(images, training=True), images))
    False
    >>> layer(images, training=True).shape
    TensorShape([2, 8, 8, 3])
    """

    def __init__(self, max_shift=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(max_shift) < 1.0:
            raise ValueError(
                "`max_shift` must be in [0, 1). "
                f"Received: max_shift={max_shift}"
            )
        self.max_shift = float(max_shift)
        self.seed = seed
        self._seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, images, training=None):
        if not training:
            return images
        shape = keras.ops.shape(images)
        batch = shape[0]
        height = keras.ops.cast(shape[1], "float32")
        width = keras.ops.cast(shape[2], "float32")
        flip = keras.ops.cast(
            keras.random.uniform((batch,), seed=self._seed_generator) < 0.5,
            "float32",
        )
        shift = keras.random.uniform(
            (batch, 2),
            minval=-self.max_shift,
            maxval=self.max_shift,
            seed=self._seed_generator,
        )
        # Output pixel (x, y) reads input (sign * x + x0, y + y0).
        sign = 1.0 - 2.0 * flip
        x0 = flip * (width - 1.0) + shift[:, 0] * width
        y0 = shift[:, 1] * height
        zeros = keras.ops.zeros_like(sign)
        ones = keras.ops.ones_like(sign)
        transform = keras.ops.stack(
            [sign, zeros, x0, zeros, ones, y0, zeros, zeros], axis=1
        )
        return keras.ops.image.affine_transform(
            images,
            keras.ops.cast(transform, images.dtype),
            interpolation="bilinear",
            fill_mode="nearest",
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_shift": self.max_shift, "seed": self.seed})
        return config
