"""Random paper, pose, stroke, colour and camera of drawings, in training."""

import math
import types

import keras
import tensorflow as tf

from cm_zoo.layers.shared._training_only_augmentation import (
    TrainingOnlyAugmentation,
)
from cm_zoo.layers.shared._training_only_augmentation import check_range
from cm_zoo.layers.shared._training_only_augmentation import check_rate
from cm_zoo.layers.shared._training_only_augmentation import check_static_shape

_LUMA = (0.299, 0.587, 0.114)
_PAGE_WHITE = 0.97
# Edge strength (Sobel, on [0, 1] pixels) to ink: a sharp full-contrast
# edge gives black, a faint shading edge stays light.
_OUTLINE_GAIN = 1.5
_GREY_AXIS = 1.0 / math.sqrt(3.0)


@keras.saving.register_keras_serializable(package="cm_zoo")
class DrawingAugmentation(TrainingOnlyAugmentation):
    """Varies drawings as users' drawings vary, only when training.

    Each image of the batch gets its own draws, applied in this order:
    thicker or thinner dark strokes (grey-level erosion or dilation, a 3x3
    min or max pool per pixel of change, a fraction of a pixel blending the
    nearest whole ones); a mirror, rotation, scale and
    shift about the centre, the uncovered page white; a background colour
    and smooth texture (multiplied in, as ink on tinted paper); a hue
    rotation and saturation change; grayscale; a photo of the paper
    (uneven light, vignetting, slight blur, sensor noise); JPEG artefacts;
    a transparent page read without its alpha (the white page turns
    black, as a transparent PNG converted to RGB shows it); an outline
    drawing (its colour edges as dark lines on white, fills dropped, as a
    line drawing or a sketch of it shows the same object).
    Each variation can be turned off by its argument (a rate of `0`, a
    range `(1, 1)` or `0` pixels).

    With `training=False` or no `training` argument the input is returned
    unchanged, so an exported encoder never augments. The output has the
    input's dtype (integer images are rounded) and value range.

    Args:
        value_range: pair of floats. Black and white pixel values of the
            input. Defaults to `(0, 255)`.
        max_stroke_change: int. Largest thickening or thinning of dark
            strokes, in pixels each side; the change is drawn uniformly
            from `[-max_stroke_change, max_stroke_change]`. Defaults to
            `1`.
        flip_rate: float. Probability of a left-right mirror. Defaults to
            `0.5`.
        max_rotation: float. Largest rotation, degrees either way. Defaults
            to `10.`.
        scale_range: pair of floats. Zoom factor, drawn log-uniformly (`< 1`
            shrinks the drawing on a larger page). Defaults to `(0.6, 1.1)`.
        max_translation: float. Largest shift, as a fraction of height and
            width. Defaults to `0.15`.
        background_rate: float. Probability of a tinted, textured page.
            Defaults to `0.5`.
        color_rate: float. Probability of a hue rotation (any angle) and a
            saturation change (x0.3 to x1.5). Defaults to `0.3`.
        grayscale_rate: float. Probability of grayscale. Defaults to `0.1`.
        photo_rate: float. Probability of a photo of the paper. Defaults to
            `0.3`.
        jpeg_rate: float. Probability of JPEG compression. Defaults to
            `0.3`.
        jpeg_quality_range: pair of ints. JPEG quality, drawn uniformly.
            Defaults to `(15, 85)`.
        transparent_page_rate: float. Probability of a black page where
            the page was white. Defaults to `0.1`.
        outline_rate: float. Probability of an outline drawing. Defaults
            to `0.2`.
        seed: int or None. Seed of the random draws. Defaults to `None`.

    Call arguments:
        images: RGB images, any size, values in `value_range`.
        training: bool. Augment only if `True`. Defaults to `None`.

    Input shape:
        `(batch_size, height, width, 3)`.

    Output shape:
        Same as the input, same dtype.

    Example:
    >>> from cm_zoo.layers.shared import DrawingAugmentation
    >>> images = np.full((2, 32, 32, 3), 255, "uint8")
    >>> images[:, 8:24, 15:17] = 0  # a black bar on white paper
    >>> layer = DrawingAugmentation(background_rate=1.0, seed=0)
    >>> bool(np.array_equal(layer(images), images))
    True
    >>> seen = layer(images, training=True).numpy()
    >>> seen.shape, seen.dtype, bool(np.array_equal(seen, images))
    ((2, 32, 32, 3), dtype('uint8'), False)
    """

    VARIATIONS_OFF = types.MappingProxyType(
        {
            "max_stroke_change": 0,
            "flip_rate": 0.0,
            "max_rotation": 0.0,
            "scale_range": (1.0, 1.0),
            "max_translation": 0.0,
            "background_rate": 0.0,
            "color_rate": 0.0,
            "grayscale_rate": 0.0,
            "photo_rate": 0.0,
            "jpeg_rate": 0.0,
            "transparent_page_rate": 0.0,
            "outline_rate": 0.0,
        }
    )

    def __init__(
        self,
        value_range=(0.0, 255.0),
        max_stroke_change=1,
        flip_rate=0.5,
        max_rotation=10.0,
        scale_range=(0.6, 1.1),
        max_translation=0.15,
        background_rate=0.5,
        color_rate=0.3,
        grayscale_rate=0.1,
        photo_rate=0.3,
        jpeg_rate=0.3,
        jpeg_quality_range=(15, 85),
        transparent_page_rate=0.1,
        outline_rate=0.2,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.value_range = check_range("value_range", value_range)
        if self.value_range[0] == self.value_range[1]:
            raise ValueError(
                "`value_range` must have black < white. "
                f"Received: value_range={value_range!r}"
            )
        if isinstance(max_stroke_change, bool) or max_stroke_change not in (
            range(0, 8)
        ):
            raise ValueError(
                "`max_stroke_change` must be an int in [0, 7]. "
                f"Received: max_stroke_change={max_stroke_change!r}"
            )
        self.max_stroke_change = int(max_stroke_change)
        self.flip_rate = check_rate("flip_rate", flip_rate)
        self.max_rotation = check_range(
            "max_rotation", (0.0, max_rotation), high=180.0
        )[1]
        self.scale_range = check_range("scale_range", scale_range, low=0.05)
        self.max_translation = check_range(
            "max_translation", (0.0, max_translation), high=1.0
        )[1]
        self.background_rate = check_rate("background_rate", background_rate)
        self.color_rate = check_rate("color_rate", color_rate)
        self.grayscale_rate = check_rate("grayscale_rate", grayscale_rate)
        self.photo_rate = check_rate("photo_rate", photo_rate)
        self.jpeg_rate = check_rate("jpeg_rate", jpeg_rate)
        low, high = check_range(
            "jpeg_quality_range", jpeg_quality_range, low=0, high=100
        )
        self.jpeg_quality_range = (int(low), int(high))
        self.transparent_page_rate = check_rate(
            "transparent_page_rate", transparent_page_rate
        )
        self.outline_rate = check_rate("outline_rate", outline_rate)

    def _check_input(self, images):
        check_static_shape(
            self, images, 4, "RGB images of shape (batch, height, width, 3)", 3
        )

    def _augment(self, images):
        black, white = self.value_range
        x = (keras.ops.cast(images, "float32") - black) / (white - black)
        x = self._on_chosen(x, self.outline_rate, _outline)
        x = self._stroke_width(x)
        x = self._geometry(x)
        x = self._on_chosen(x, self.background_rate, self._background)
        x = self._on_chosen(x, self.color_rate, self._color)
        x = self._on_chosen(x, self.grayscale_rate, _grayscale)
        x = self._on_chosen(x, self.photo_rate, self._photo)
        x = self._on_chosen(x, self.jpeg_rate, self._jpeg)
        x = self._on_chosen(x, self.transparent_page_rate, _transparent_page)
        x = keras.ops.clip(x, 0.0, 1.0) * (white - black) + black
        if not keras.backend.is_float_dtype(images.dtype):
            x = keras.ops.round(x)
        return keras.ops.cast(x, images.dtype)

    def _per_image(self, images, shape=(), minval=0.0, maxval=1.0):
        """Uniform draws of `shape` per image, broadcastable to `[B,H,W,C]`."""
        batch = keras.ops.shape(images)[0]
        draws = self._uniform((batch, *shape), minval, maxval)
        return keras.ops.reshape(
            draws, (batch, *shape, *[1] * (3 - len(shape)))
        )

    def _stroke_width(self, x):
        """Thickens (min pool) or thins (max pool) dark strokes, per image.

        A fraction of a pixel blends the two nearest whole-pixel results.
        """
        if self.max_stroke_change == 0:
            return x
        level = self._per_image(
            x, (), -self.max_stroke_change, self.max_stroke_change
        )  # pixels, > 0 thicker
        out, thinner, thicker = x, x, x
        for pixel in range(self.max_stroke_change):
            thinner_next = _max_pool(thinner)
            thicker_next = -_max_pool(-thicker)
            out = (
                out
                + keras.ops.clip(level - pixel, 0.0, 1.0)
                * (thicker_next - thicker)
                + keras.ops.clip(-level - pixel, 0.0, 1.0)
                * (thinner_next - thinner)
            )
            thinner, thicker = thinner_next, thicker_next
        return out

    def _geometry(self, x):
        """One affine map per image: mirror, rotate, scale, shift."""
        batch = keras.ops.shape(x)[0]
        height = keras.ops.cast(keras.ops.shape(x)[1], "float32")
        width = keras.ops.cast(keras.ops.shape(x)[2], "float32")
        mirror = 1.0 - 2.0 * keras.ops.cast(
            self._chosen((batch,), self.flip_rate), "float32"
        )
        angle = self._uniform((batch,), -1.0, 1.0) * math.radians(
            self.max_rotation
        )
        log_scale = self._uniform(
            (batch,), *[math.log(s) for s in self.scale_range]
        )
        shift = self._uniform((batch, 2), -1.0, 1.0) * self.max_translation
        # Output pixel o reads input c + M (o - c - t), M = F R(-a) / s.
        inverse_scale = keras.ops.exp(-log_scale)
        cos = keras.ops.cos(angle) * inverse_scale
        sin = keras.ops.sin(angle) * inverse_scale
        m00, m01, m10, m11 = mirror * cos, mirror * sin, -sin, cos
        cx, cy = (width - 1.0) / 2.0, (height - 1.0) / 2.0
        ox, oy = cx + shift[:, 0] * width, cy + shift[:, 1] * height
        zeros = keras.ops.zeros_like(cos)
        transform = keras.ops.stack(
            [
                m00,
                m01,
                cx - m00 * ox - m01 * oy,
                m10,
                m11,
                cy - m10 * ox - m11 * oy,
                zeros,
                zeros,
            ],
            axis=1,
        )
        return keras.ops.image.affine_transform(
            x, transform, fill_mode="constant", fill_value=1.0
        )

    def _background(self, x):
        """Multiplies in a tinted page with a smooth, grainy texture."""
        shape = keras.ops.shape(x)
        color = self._per_image(x, (1, 1, 3), 0.35, 1.0)
        coarse = self._uniform((shape[0], 4, 4, 1), -1.0, 1.0)
        smooth = keras.ops.image.resize(coarse, (shape[1], shape[2]))
        grain = self._uniform((shape[0], shape[1], shape[2], 1), -1.0, 1.0)
        strength = self._per_image(x, (), 0.0, 0.25)
        page = color * (1.0 - strength * (0.5 + 0.4 * smooth + 0.1 * grain))
        return x * page

    def _color(self, x):
        """Hue rotation about the grey axis and a saturation factor."""
        batch = keras.ops.shape(x)[0]
        angle = self._uniform((batch, 1, 1), -math.pi, math.pi)
        saturation = self._uniform((batch, 1, 1), 0.3, 1.5)
        grey = keras.ops.full((3, 3), 1.0 / 3.0)
        cross = _GREY_AXIS * keras.ops.convert_to_tensor(
            [[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]
        )
        eye = keras.ops.eye(3)
        rotation = (
            keras.ops.cos(angle) * eye
            + keras.ops.sin(angle) * cross
            + (1.0 - keras.ops.cos(angle)) * grey
        )
        matrix = (saturation * eye + (1.0 - saturation) * grey) @ rotation
        return keras.ops.clip(
            keras.ops.einsum("bhwc,bdc->bhwd", x, matrix), 0.0, 1.0
        )

    def _photo(self, x):
        """Exposure, a light gradient, vignetting, blur and noise."""
        shape = keras.ops.shape(x)
        v = keras.ops.linspace(-1.0, 1.0, shape[1])[None, :, None, None]
        u = keras.ops.linspace(-1.0, 1.0, shape[2])[None, None, :, None]
        direction = self._per_image(x, (), -math.pi, math.pi)
        gradient = keras.ops.cos(direction) * u + keras.ops.sin(direction) * v
        light = (
            self._per_image(x, (), 0.7, 1.1)
            * (1.0 + self._per_image(x, (), 0.0, 0.3) * gradient)
            * (1.0 - self._per_image(x, (), 0.0, 0.5) * (u * u + v * v) / 2.0)
        )
        blur = self._per_image(x, (), 0.0, 1.0)
        sharpness = x + blur * (_binomial_blur(x) - x)
        noise = self._per_image(x, (), 0.0, 0.06) * self._uniform(
            (shape[0], shape[1], shape[2], 1), -1.0, 1.0
        )  # luminance noise, as a phone camera's after denoising
        return keras.ops.clip(sharpness * light + noise, 0.0, 1.0)

    def _jpeg(self, x):
        """JPEG-codes each image (a CPU op, one image at a time)."""
        low, high = self.jpeg_quality_range
        quality = keras.ops.cast(
            self._uniform(tf.shape(x)[:1], low, high + 1.0), "int32"
        )
        pixels = tf.image.convert_image_dtype(x, tf.uint8, saturate=True)

        def code():
            coded = tf.map_fn(
                lambda args: tf.image.adjust_jpeg_quality(*args),
                (pixels, tf.minimum(quality, high)),
                fn_output_signature=tf.uint8,
            )
            return tf.reshape(coded, tf.shape(pixels))

        # In a graph, map_fn cannot stack zero images of unknown size.
        coded = tf.cond(tf.shape(pixels)[0] > 0, code, lambda: pixels)
        return tf.image.convert_image_dtype(coded, tf.float32)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "max_stroke_change": self.max_stroke_change,
                "flip_rate": self.flip_rate,
                "max_rotation": self.max_rotation,
                "scale_range": self.scale_range,
                "max_translation": self.max_translation,
                "background_rate": self.background_rate,
                "color_rate": self.color_rate,
                "grayscale_rate": self.grayscale_rate,
                "photo_rate": self.photo_rate,
                "jpeg_rate": self.jpeg_rate,
                "jpeg_quality_range": self.jpeg_quality_range,
                "transparent_page_rate": self.transparent_page_rate,
                "outline_rate": self.outline_rate,
            }
        )
        return config


def _outline(x):
    """Colour edges (Sobel, any channel) as dark lines on white paper."""
    # Edge rows and columns repeated, so the page's border is no edge; and
    # slices and tf reductions, not `tf.image.sobel_edges`, a convolution
    # or `keras.ops.max`: those fail on the batch of 0 a rate may choose.
    x = tf.concat([x[:, :1], x, x[:, -1:]], axis=1)
    x = tf.concat([x[:, :, :1], x, x[:, :, -1:]], axis=2)
    across = x[:, :, 2:] - x[:, :, :-2]  # d/dx, rows not yet smoothed
    down = x[:, 2:] - x[:, :-2]  # d/dy, columns not yet smoothed
    dx = across[:, :-2] + 2.0 * across[:, 1:-1] + across[:, 2:]
    dy = down[:, :, :-2] + 2.0 * down[:, :, 1:-1] + down[:, :, 2:]
    strength = tf.reduce_max(tf.sqrt(dx * dx + dy * dy), -1, keepdims=True)
    lines = keras.ops.clip(1.0 - _OUTLINE_GAIN * strength, 0.0, 1.0)
    return keras.ops.repeat(lines, 3, axis=-1)


def _transparent_page(x):
    """White page (every channel above 0.97) to black, on `[0, 1]` pixels."""
    page = keras.ops.all(x > _PAGE_WHITE, axis=-1, keepdims=True)
    return keras.ops.where(page, 0.0, x)


def _grayscale(x):
    luma = keras.ops.sum(
        x * keras.ops.convert_to_tensor(_LUMA), axis=-1, keepdims=True
    )
    return keras.ops.broadcast_to(luma, keras.ops.shape(x))


def _max_pool(x):
    return keras.ops.max_pool(x, pool_size=3, strides=1, padding="same")


def _binomial_blur(x):
    """3x3 binomial (1 2 1) blur of each channel, edges repeated."""
    # Shifted sums, not a depthwise conv: TF's conv mis-shapes empty batches.
    x = keras.ops.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="symmetric")
    x = (x[:, :-2] + 2.0 * x[:, 1:-1] + x[:, 2:]) / 4.0
    return (x[:, :, :-2] + 2.0 * x[:, :, 1:-1] + x[:, :, 2:]) / 4.0
