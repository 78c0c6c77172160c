"""Views of transparent clip-art renders: on white, or varied.

The clip-art benchmark stores its source pool as transparent (RGBA)
renders; `on_white` gives the plain view, `vary` one of many others (the
drawing scaled, rotated and moved over a coloured, graded, striped or noisy
background, sometimes in grey), drawn from a NumPy generator so a seed fixes
every view. The builder uses the same code for the out-of-distribution
split's images.
"""

import numpy as np
from PIL import Image

SCALE_RANGE = (0.45, 1.0)
MAX_DEGREES = 25.0
GREY_PROBABILITY = 0.15
BACKGROUNDS = ("solid", "gradient", "stripes", "noise")


def on_white(rgba):
    """uint8 `[..., S, S, 4]` -> uint8 `[..., S, S, 3]` over white."""
    alpha = rgba[..., 3:].astype(np.float32) / 255.0
    flat = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    return np.round(flat).astype(np.uint8)


def background(rng, size):
    """A random float `[size, size, 3]` background in [0, 255]."""
    kind = BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    first, second = rng.uniform(0.0, 255.0, size=(2, 3))
    if kind == "solid":
        return np.broadcast_to(first, (size, size, 3)).astype(np.float32)
    ramp = np.linspace(0.0, 1.0, size, dtype=np.float32)
    angle = rng.uniform(0.0, np.pi)
    t = np.cos(angle) * ramp[None, :] + np.sin(angle) * ramp[:, None]
    if kind == "stripes":
        t = (np.floor(t * rng.integers(3, 12)) % 2).astype(np.float32)
    elif kind == "noise":
        coarse = rng.uniform(0.0, 1.0, (8, 8)).astype(np.float32)
        t = np.asarray(
            Image.fromarray(coarse).resize((size, size), Image.BICUBIC)
        )
    t = np.clip(t / max(float(t.max()), 1e-6), 0.0, 1.0)[..., None]
    return first * (1.0 - t) + second * t


def place(rgba, rng):
    """The drawing scaled, rotated and moved on a transparent canvas."""
    size = rgba.shape[0]
    image = Image.fromarray(rgba, "RGBA").convert("RGBa")
    side = max(8, int(round(size * rng.uniform(*SCALE_RANGE))))
    image = image.resize((side, side), Image.LANCZOS)
    image = image.rotate(
        rng.uniform(-MAX_DEGREES, MAX_DEGREES),
        resample=Image.BICUBIC,
        expand=False,
    )
    canvas = Image.new("RGBa", (size, size), (0, 0, 0, 0))
    x, y = rng.integers(0, size - side + 1, size=2)
    canvas.paste(image, (int(x), int(y)))
    return np.asarray(canvas.convert("RGBA"))


def vary(rgba, rng):
    """One varied view of a transparent render: uint8 `[S, S, 3]`.

    Args:
        rgba: uint8 array `[S, S, 4]`.
        rng: `np.random.Generator`. Every random choice comes from it.
    """
    placed = place(rgba, rng)
    alpha = placed[..., 3:].astype(np.float32) / 255.0
    ground = background(rng, rgba.shape[0])
    out = placed[..., :3] * alpha + ground * (1.0 - alpha)
    if rng.uniform() < GREY_PROBABILITY:
        out = np.repeat(out.mean(axis=-1, keepdims=True), 3, axis=-1)
    return np.round(out).astype(np.uint8)


def views(rgba, count, seed):
    """`count` views of every render: the plain one, then varied ones.

    Args:
        rgba: uint8 array `[N, S, S, 4]`.
        count: int. Views per render (>= 1); view 0 is `on_white`.
        seed: int. Seeds the varied views.

    Returns:
        uint8 array `[N * count, S, S, 3]`, the views of render `i` in rows
        `i * count` to `i * count + count - 1`.

    Raises:
        ValueError: if `count` is not a positive int.

    Example:
    >>> rgba = np.zeros((2, 16, 16, 4), "uint8")
    >>> rgba[:, 4:12, 4:12] = (200, 0, 0, 255)
    >>> from cm_zoo.data import clipart_views
    >>> out = clipart_views.views(rgba, count=3, seed=0)
    >>> out.shape, out.dtype, out[0, 8, 8].tolist(), out[0, 0, 0].tolist()
    ((6, 16, 16, 3), dtype('uint8'), [200, 0, 0], [255, 255, 255])
    """
    if not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(
            f"`count` must be a positive int. Received: count={count!r}"
        )
    rng = np.random.default_rng(seed)
    out = np.empty((len(rgba), count) + rgba.shape[1:3] + (3,), np.uint8)
    for i, image in enumerate(rgba):
        out[i, 0] = on_white(image)
        for view in range(1, count):
            out[i, view] = vary(image, rng)
    return out.reshape((-1,) + out.shape[2:])
