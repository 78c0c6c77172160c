"""AlexNet-layout convolutional tower from uint8 pixels to a flat pool5."""

import keras

from cm_zoo.layers.shared import ImageAugmentation
from cm_zoo.layers.shared import ImagePreprocessing
from cm_zoo.towers._conv_stage import conv_stage
from cm_zoo.towers.tower import Tower


@keras.saving.register_keras_serializable(package="cm_zoo")
class ImageTower(Tower):
    """Modality-specific AlexNet layers, conv1 to pool5, for one pixel modality.

    Takes `uint8` RGB images of any height and width, resizes them to
    `image_size` and scales them to `[-1, 1]` inside the graph, then runs the
    five convolutions and three max-poolings of AlexNet (Krizhevsky et al.,
    as used by Places-CNN). The output is the flattened `pool5` map, which is
    the input of the shared upper layers (6x6x256 = 9216 values at 227x227).

    Args:
        image_size: int. Side of the square image the convolutions see.
        conv_filters: list of 5 ints. Filters of conv1..conv5.
        conv1_kernel_size: int. Kernel side of conv1. Defaults to `11`.
        conv1_strides: int. Stride of conv1. Defaults to `4`.
        conv2_kernel_size: int. Kernel side of conv2. Defaults to `5`.
        use_batch_norm: bool. Batch-normalise each convolution (not in the
            paper; helps small models trained from scratch). Defaults to
            `False`.
        augment: bool. With `training=True`, mirror images left-right and
            shift them by up to 10% (AlexNet/Places-CNN trained on random
            crops and mirrors); inference is unaffected. Defaults to
            `False`.
        fit_drawing: bool. Frame the drawing before resizing (page colour
            to white, its box padded to a square; `ImagePreprocessing`),
            so drawings on any page size, position or colour look like the
            benchmark's renders. Defaults to `False`.
        dtype: string or `keras.DTypePolicy`. Layer dtype policy.

    Input shape:
        `(batch_size, height, width, 3)`, `uint8`.

    Output shape:
        `(batch_size, pool5_dim)`, the flattened pool5 map.

    Example:
    >>> from cm_zoo.towers import ImageTower
    >>> tower = ImageTower(image_size=32, conv_filters=[4, 4, 4, 4, 4],
    ...                    conv1_kernel_size=3, conv1_strides=1)
    >>> tower(np.zeros((2, 50, 40, 3), "uint8")).shape
    TensorShape([2, 16])

    References:
        Krizhevsky et al., ImageNet classification with deep CNNs, 2012.
    """

    def __init__(
        self,
        image_size,
        conv_filters,
        conv1_kernel_size=11,
        conv1_strides=4,
        conv2_kernel_size=5,
        use_batch_norm=False,
        augment=False,
        fit_drawing=False,
        dtype=None,
        **kwargs,
    ):
        conv_filters = [int(f) for f in conv_filters]
        if len(conv_filters) != 5 or min(conv_filters) < 1:
            raise ValueError(
                "`conv_filters` must be 5 positive ints (conv1..conv5). "
                f"Received: conv_filters={conv_filters}"
            )
        _check_spatial_size(
            image_size, conv1_kernel_size, conv1_strides, kwargs.get("name")
        )

        # === Layers ===
        stages = [
            ImagePreprocessing(
                image_size, fit_drawing, dtype=dtype, name="preprocess"
            )
        ]
        if augment:
            stages.append(ImageAugmentation(dtype=dtype, name="augment"))
        stages += _conv_layers(
            conv_filters,
            [conv1_kernel_size, conv2_kernel_size, 3, 3, 3],
            conv1_strides,
            use_batch_norm,
            dtype,
        )
        stages.append(keras.layers.Flatten(dtype=dtype, name="pool5_flat"))

        # === Functional model ===
        pixels = keras.Input(
            shape=(None, None, 3), dtype="uint8", name="pixels"
        )
        x = pixels
        for stage in stages:
            x = stage(x)
        super().__init__(inputs=pixels, outputs=x, dtype=dtype, **kwargs)

        # === Config ===
        self.image_size = int(image_size)
        self.conv_filters = conv_filters
        self.conv1_kernel_size = int(conv1_kernel_size)
        self.conv1_strides = int(conv1_strides)
        self.conv2_kernel_size = int(conv2_kernel_size)
        self.use_batch_norm = bool(use_batch_norm)
        self.augment = bool(augment)
        self.fit_drawing = bool(fit_drawing)

    _config_keys = (
        "image_size",
        "conv_filters",
        "conv1_kernel_size",
        "conv1_strides",
        "conv2_kernel_size",
        "use_batch_norm",
        "augment",
        "fit_drawing",
    )


def _conv_layers(
    conv_filters, kernel_sizes, conv1_strides, use_batch_norm, dtype
):
    """conv1..conv5 (conv1 strided, unpadded), max-pooled after 1, 2 and 5."""
    layers = []
    for index, (filters, size) in enumerate(zip(conv_filters, kernel_sizes)):
        layers += conv_stage(
            keras.layers.Conv2D,
            filters,
            size,
            strides=conv1_strides if index == 0 else 1,
            padding="valid" if index == 0 else "same",
            use_batch_norm=use_batch_norm,
            dtype=dtype,
            name=f"conv{index + 1}",
        )
        if index in (0, 1, 4):
            layers.append(
                keras.layers.MaxPooling2D(
                    3, strides=2, dtype=dtype, name=f"pool{index + 1}"
                )
            )
    return layers


def pool5_side(image_size, conv1_kernel_size, conv1_strides):
    """Side of the pool5 map for a square input of `image_size` pixels."""
    side = (int(image_size) - int(conv1_kernel_size)) // int(conv1_strides) + 1
    for _ in range(3):
        side = (side - 3) // 2 + 1
    return side


def _check_spatial_size(image_size, kernel_size, strides, name):
    """Raises if the conv/pool stack would shrink `image_size` below 1."""
    if pool5_side(image_size, kernel_size, strides) < 1:
        raise ValueError(
            f"Tower {name!r}: `image_size`={image_size} is too small for "
            f"conv1 kernel {kernel_size} stride {strides} and three 3x3/2 "
            "max-poolings; pool5 would be empty."
        )
