"""Feature inversion: a trained up-convolutional decoder from pool5 to pixels.

CMPlaces section 5.5 (Figure 8), after Dosovitskiy & Brox: a decoder learns
to map the `pool5` features of one modality's tower to downsampled images
of that modality. Fed the `pool5` of other modalities (any tower maps into
pool5, the description tower too), it shows what the shared representation
keeps of a scene across modalities.
"""

import keras
import numpy as np
import tensorflow as tf

from cm_zoo.models.feature_extraction import extract_features


@keras.saving.register_keras_serializable(package="cm_zoo")
class FeatureInversionDecoder(keras.Model):
    """Up-convolutional decoder from a feature vector to a small RGB image.

    The features are standardized (a `keras.layers.Normalization` adapted on
    the training features), mapped by a dense layer to a
    `filters[0]`-channel map of side `image_size / 2**len(filters)`, then
    doubled in side by one 4x4 stride-2 transposed convolution per entry of
    `filters[1:]` (leaky ReLU) and a last one to 3 sigmoid channels: pixels
    in `[0, 1]`. Call `adapt(features)` before training.

    Args:
        feature_dim: int. Width of the input features (e.g. pool5).
        image_size: int. Side of the output image; a multiple of
            `2**len(filters)`. Defaults to `32`.
        filters: list of int. Channels of the first map and of each hidden
            up-convolution. Defaults to `(128, 64, 32)`.
        seed: int. Seeds the weight initializers. Defaults to `0`.
        dtype: string or `keras.DTypePolicy`. Dtype policy of the layers.

    Input shape:
        `(batch_size, feature_dim)`.

    Output shape:
        `(batch_size, image_size, image_size, 3)`, in `[0, 1]`.

    Example:
    >>> from cm_zoo.models import FeatureInversionDecoder
    >>> decoder = FeatureInversionDecoder(6, image_size=8, filters=[4, 2])
    >>> decoder.adapt(np.random.default_rng(0).normal(size=(10, 6)))
    >>> decoder(np.zeros((2, 6), "float32")).shape
    TensorShape([2, 8, 8, 3])
    >>> decoder.reconstruct(np.zeros((3, 6), "float32")).dtype
    dtype('uint8')

    References:
        Dosovitskiy and Brox, Inverting visual representations with
        convolutional networks, CVPR 2016.
    """

    def __init__(
        self,
        feature_dim,
        image_size=32,
        filters=(128, 64, 32),
        seed=0,
        dtype=None,
        **kwargs,
    ):
        feature_dim = _positive_int(feature_dim, "feature_dim")
        image_size = _positive_int(image_size, "image_size")
        filters = [_positive_int(f, "filters") for f in filters]
        scale = 2 ** len(filters)
        if not filters or image_size % scale:
            raise ValueError(
                f"`image_size` must be a multiple of 2**len(filters) = "
                f"{scale}, and `filters` non-empty. Received: "
                f"image_size={image_size}, filters={filters}"
            )
        side = image_size // scale

        # === Layers ===
        def initializer(index):
            return keras.initializers.GlorotUniform(seed=seed + index)

        self.normalization = keras.layers.Normalization(
            dtype=dtype, name="feature_normalization"
        )
        self.project = keras.layers.Dense(
            side * side * filters[0],
            kernel_initializer=initializer(0),
            dtype=dtype,
            name="project",
        )
        self.upconvs = [
            keras.layers.Conv2DTranspose(
                channels,
                4,
                strides=2,
                padding="same",
                kernel_initializer=initializer(index + 1),
                dtype=dtype,
                name=f"upconv{index + 1}",
            )
            for index, channels in enumerate(filters[1:] + [3])
        ]

        # === Functional model ===
        features = keras.Input(shape=(feature_dim,), name="features")
        x = self.normalization(features)
        x = keras.layers.LeakyReLU(0.2, dtype=dtype)(self.project(x))
        x = keras.layers.Reshape((side, side, filters[0]), dtype=dtype)(x)
        for upconv in self.upconvs[:-1]:
            x = keras.layers.LeakyReLU(0.2, dtype=dtype)(upconv(x))
        pixels = keras.layers.Activation(
            "sigmoid", dtype="float32", name="pixels"
        )(self.upconvs[-1](x))
        super().__init__(inputs=features, outputs=pixels, dtype=dtype, **kwargs)

        # === Config ===
        self.feature_dim = feature_dim
        self.image_size = image_size
        self.filters = filters
        self.seed = int(seed)

    def adapt(self, features):
        """Sets the input standardization from features `[N, feature_dim]`."""
        self.normalization.adapt(np.asarray(features, dtype="float32"))

    def reconstruct(self, features, batch_size=64):
        """Decodes features `[N, feature_dim]` to uint8 images `[N, S, S, 3]`.

        Returns:
            uint8 array, pixels rounded from the `[0, 1]` output.
        """
        features = np.asarray(features, dtype="float32")
        pixels = np.concatenate(
            [
                keras.ops.convert_to_numpy(
                    self(features[start : start + batch_size], training=False)
                )
                for start in range(0, features.shape[0], batch_size)
            ]
            + [np.zeros((0, self.image_size, self.image_size, 3), "float32")]
        )
        return np.round(np.clip(pixels, 0.0, 1.0) * 255.0).astype("uint8")

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype_policy.name,
            "feature_dim": self.feature_dim,
            "image_size": self.image_size,
            "filters": self.filters,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def fit_feature_inversion(
    backbone,
    images,
    *,
    modality,
    image_size=32,
    filters=(128, 64, 32),
    epochs=30,
    batch_size=32,
    learning_rate=2e-3,
    seed=0,
):
    """Trains a `FeatureInversionDecoder` from `modality`'s pool5 to `images`.

    The targets are `images` downsampled (area averaging) to `image_size`
    and scaled to `[0, 1]`; the loss is the mean squared pixel error,
    minimized with Adam on batches shuffled with `seed`. The backbone is
    only read.

    Args:
        backbone: `CrossModalBackbone`. Its `modality` tower gives pool5.
        images: uint8 array `[N, H, W, 3]` of `modality` (the training
            data of the modality to reconstruct, e.g. the source modality).
        modality: str. Tower whose pool5 is inverted.
        image_size: int. Side of the reconstructions. Defaults to `32`.
        filters: list of int. Decoder widths (see
            `FeatureInversionDecoder`). Defaults to `(128, 64, 32)`.
        epochs: int. Passes over `images`. Defaults to `30`.
        batch_size: int. Defaults to `32`.
        learning_rate: float. Adam step size. Defaults to `2e-3`.
        seed: int. Seeds the initializers and the shuffling. Defaults to
            `0`.

    Returns:
        `(decoder, losses)`: the trained decoder and the mean training loss
        of each epoch (list of float).

    Raises:
        ValueError: if `images` is not uint8 `[N, H, W, 3]`, or for a
            modality the backbone lacks.

    Example:
    >>> from cm_zoo.models import CrossModalBackbone, fit_feature_inversion
    >>> backbone = CrossModalBackbone.from_preset(
    ...     "cmplaces_alexnet_tiny", modalities=["clipart"], num_classes=3)
    >>> images = np.zeros((8, 80, 80, 3), "uint8")
    >>> decoder, losses = fit_feature_inversion(
    ...     backbone, images, modality="clipart", image_size=8,
    ...     filters=[4, 2], epochs=2, batch_size=4)
    >>> decoder.reconstruct(np.zeros((1, 192))).shape, len(losses)
    ((1, 8, 8, 3), 2)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            "`images` must be uint8 [N, H, W, 3]. Received dtype "
            f"{images.dtype}, shape {images.shape}"
        )
    features = extract_features(
        backbone, {modality: images}, layers=("pool5",), batch_size=batch_size
    )["pool5"][modality]  # [N, pool5]
    targets = downsample_images(images, image_size)  # [N, S, S, 3]
    decoder = FeatureInversionDecoder(
        features.shape[1], image_size=image_size, filters=filters, seed=seed
    )
    decoder.adapt(features)
    decoder.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="mean_squared_error",
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices((features, targets))
        .shuffle(features.shape[0], seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )
    history = decoder.fit(dataset, epochs=epochs, shuffle=False, verbose=0)
    return decoder, [float(v) for v in history.history["loss"]]


def downsample_images(images, image_size, batch_size=256):
    """Area-downsamples uint8 images to float32 `[N, S, S, 3]` in `[0, 1]`.

    Example:
    >>> from cm_zoo.models import feature_inversion
    >>> out = feature_inversion.downsample_images(
    ...     np.full((2, 8, 8, 3), 255, "uint8"), 4)
    >>> out.shape, float(out.max())
    ((2, 4, 4, 3), 1.0)
    """
    chunks = [
        tf.image.resize(
            tf.cast(images[start : start + batch_size], tf.float32) / 255.0,
            (image_size, image_size),
            method="area",
        ).numpy()
        for start in range(0, images.shape[0], batch_size)
    ]
    return np.concatenate(chunks).astype("float32")


def _positive_int(value, name):
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(
            f"`{name}` must be a positive int. Received: {name}={value!r}"
        )
    return int(value)
