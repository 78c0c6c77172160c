"""In-graph pixel preprocessing: uint8 of any size to a fixed float square."""

import keras
import tensorflow as tf

# How far (max over channels, 0-255) a pixel may be from the page colour
# and still be page; a pixel counts for the drawing's box from twice as
# far (half ink at the anti-aliased edge of a shrunk drawing). The
# benchmark's renders pad a drawing's box to a square 8% larger.
_PAGE_TOLERANCE = 32.0
_BOX_TOLERANCE = 64.0
_MARGIN = 1.08
# Chalk: a page darker than this (mean of RGB), ink lighter than the page
# by this much and greyer than this (mean max - min over RGB) is inverted.
_DARK_PAGE = 96.0
_CHALK_CONTRAST = 64.0
_CHALK_CHROMA = 48.0
# Larger inputs are first shrunk (anti-aliased) to this many output sides.
_MAX_SIDES = 4


@keras.saving.register_keras_serializable(package="cm_zoo")
class ImagePreprocessing(keras.layers.Layer):
    """Resizes `uint8` RGB images to a square and scales them to `[-1, 1]`.

    Lives inside every image tower so an exported encoder accepts raw
    `uint8` pixels of any height and width.

    With `fit_drawing=True` a drawing is framed the way the benchmark
    renders it, whatever page it comes on: the page colour (the median
    of the border pixels) becomes white, which also turns the black page
    of a transparent PNG read without its alpha white (light grey strokes
    on a dark page, chalk on a blackboard, are inverted first, so they
    stay visible); the drawing's box
    (pixels off the page colour) is padded to a square 8% larger and
    resized, so a small drawing on a large or oblong page fills the frame
    undistorted. Inputs larger than 4 output sides are first shrunk with
    anti-aliasing, so thin strokes survive. A blank page stays blank.

    Args:
        image_size: int. Output side in pixels.
        fit_drawing: bool. Frame the drawing (above). Defaults to `False`
            (resize the whole image to a square).
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

    def __init__(self, image_size, fit_drawing=False, **kwargs):
        super().__init__(**kwargs)
        if int(image_size) < 1:
            raise ValueError(
                "`image_size` must be a positive int. "
                f"Received: image_size={image_size}"
            )
        self.image_size = int(image_size)
        self.fit_drawing = bool(fit_drawing)
        self.built = True

    def call(self, images):
        if len(images.shape) != 4 or images.shape[-1] != 3:
            raise ValueError(
                f"Layer {self.name!r} expects RGB images of shape "
                f"(batch, height, width, 3). Received: shape={images.shape}"
            )
        pixels = keras.ops.cast(images, "float32")
        if self.fit_drawing:
            pixels = fit_drawing(pixels, self.image_size)
        else:
            # keras.ops, not a `Resizing` sublayer: that layer's
            # `training=True` default would leak into the call context of
            # the whole tower.
            pixels = keras.ops.image.resize(
                pixels,
                (self.image_size, self.image_size),
                interpolation="bilinear",
            )
        return keras.ops.cast(pixels / 127.5 - 1.0, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, 3)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"image_size": self.image_size, "fit_drawing": self.fit_drawing}
        )
        return config


def fit_drawing(pixels, size):
    """Frames each drawing of a float `[batch, h, w, 3]` batch in `size`².

    See `ImagePreprocessing(fit_drawing=True)`; values stay in `[0, 255]`.
    The page and the drawing's box are found on a copy shrunk to at most
    `_MAX_SIDES * size`; the boxes are cut from a copy shrunk (with
    anti-aliasing) until the batch's largest box is about `2 * size`
    pixels, at `2 * size`, and shrunk again to `size`.

    Example:
    >>> from cm_zoo.layers.shared.image_preprocessing import fit_drawing
    >>> page = np.zeros((1, 40, 80, 3), "float32")  # black: dropped alpha
    >>> page[0, 10:20, 50:60] = [200.0, 30.0, 30.0]  # a small red square
    >>> framed = fit_drawing(page, 12).numpy()[0]
    >>> framed.shape, framed[6, 6].round().tolist()  # the square, centred
    ((12, 12, 3), [200.0, 30.0, 30.0])
    >>> blank = fit_drawing(np.zeros((1, 8, 8, 3), "float32"), 4).numpy()
    >>> float(blank.min())  # a blank black page turns white
    255.0
    """
    longer = tf.cast(tf.reduce_max(tf.shape(pixels)[1:3]), tf.float32)
    small = _shrunk(pixels, _MAX_SIDES * size / longer)
    page = _median(_border(small))[:, None, None, :]
    ink = tf.reduce_max(tf.abs(small - page), axis=-1) >= _BOX_TOLERANCE
    rows = _extent(tf.reduce_any(ink, axis=2), tf.shape(small)[1])
    cols = _extent(tf.reduce_any(ink, axis=1), tf.shape(small)[2])
    side = _MARGIN * tf.maximum(rows[1] - rows[0], cols[1] - cols[0])
    # Shrink the full image so that the largest box spans ~2 * size.
    to_full = tf.cast(tf.shape(pixels)[1] / tf.shape(small)[1], tf.float32)
    work = _shrunk(pixels, 2.0 * size / (tf.reduce_max(side) * to_full))
    shape = tf.shape(work)
    zoom = tf.cast(shape[1] / tf.shape(small)[1], tf.float32)
    top, bottom = _normalized_span(rows, side, zoom, shape[1], 2 * size)
    left, right = _normalized_span(cols, side, zoom, shape[2], 2 * size)
    # Light grey strokes on a dark page (chalk on a blackboard) are
    # inverted: white on white would leave nothing to see.
    chalk = _is_chalk(small, page, ink)[:, None, None, None]
    work = tf.where(chalk, 255.0 - work, work)
    page = tf.where(chalk, 255.0 - page, page)
    on_page = tf.reduce_max(tf.abs(work - page), -1) < _PAGE_TOLERANCE
    framed = tf.image.crop_and_resize(
        tf.where(on_page[..., None], 255.0, work),
        tf.stack([top, left, bottom, right], axis=1),
        tf.range(shape[0]),
        (2 * size, 2 * size),
        extrapolation_value=255.0,
    )
    return tf.image.resize(framed, (size, size), antialias=True)


def _is_chalk(pixels, page, ink):
    """Per image: is the ink light and grey on a dark page?"""
    weights = tf.cast(ink, tf.float32)[..., None]
    count = tf.maximum(tf.reduce_sum(weights, axis=[1, 2]), 1.0)
    ink_colour = tf.reduce_sum(pixels * weights, axis=[1, 2]) / count
    chroma = (
        tf.reduce_sum(
            (
                tf.reduce_max(pixels, -1, keepdims=True)
                - tf.reduce_min(pixels, -1, keepdims=True)
            )
            * weights,
            axis=[1, 2],
        )
        / count
    )
    page_luma = tf.reduce_mean(page[:, 0, 0], axis=-1)
    ink_luma = tf.reduce_mean(ink_colour, axis=-1)
    return (
        (page_luma < _DARK_PAGE)
        & (ink_luma > page_luma + _CHALK_CONTRAST)
        & (chroma[:, 0] < _CHALK_CHROMA)
    )


def _border(pixels):
    """The outermost rows and columns of `[batch, h, w, c]`: `[batch, n, c]`."""
    return tf.concat(
        [pixels[:, 0], pixels[:, -1], pixels[:, :, 0], pixels[:, :, -1]],
        axis=1,
    )


def _shrunk(pixels, factor):
    """`pixels` resized by `factor` (anti-aliased) when it is below 1."""
    shape = tf.cast(tf.shape(pixels)[1:3], tf.float32)
    new_size = tf.cast(tf.maximum(tf.round(shape * factor), 1.0), tf.int32)
    return tf.cond(
        factor < 1.0,
        lambda: tf.image.resize(pixels, new_size, antialias=True),
        lambda: pixels,
    )


def _median(values):
    """Per-channel median over axis 1 of `[batch, n, channels]`."""
    ordered = tf.sort(values, axis=1)
    return ordered[:, tf.shape(values)[1] // 2]


def _extent(occupied, length):
    """`(first, end)` of the occupied span per row of a `[batch, n]` mask,
    as floats; the whole `[0, length)` where nothing is occupied."""
    positions = tf.range(length)
    first = tf.reduce_min(tf.where(occupied, positions, length), axis=1)
    last = tf.reduce_max(tf.where(occupied, positions, -1), axis=1)
    empty = last < first
    first = tf.where(empty, 0, first)
    end = tf.where(empty, length, last + 1)
    return tf.cast(first, tf.float32), tf.cast(end, tf.float32)


def _normalized_span(span, side, zoom, length, size):
    """`crop_and_resize` coordinates of a `side`-long window centred on
    `span` (pixel edges, times `zoom`): the centres of its first and last
    of `size` output pixels, as fractions of `length - 1`."""
    centre = (span[0] + span[1]) / 2.0 * zoom
    side = side * zoom
    half_step = side / (2.0 * size)
    scale = tf.cast(tf.maximum(length - 1, 1), tf.float32)
    return (
        (centre - side / 2.0 + half_step - 0.5) / scale,
        (centre + side / 2.0 - half_step - 0.5) / scale,
    )
