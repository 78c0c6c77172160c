"""Smaller report figures: PNGs rewritten with a colour palette."""

import os


def quantize_png(path, *, colors=256):
    """Rewrites the PNG at `path` with at most `colors` palette colours.

    Plots and grids of clip-art use few colours, so an adaptive palette
    (Pillow's median cut, no dithering) is visually lossless for them and
    makes the file several times smaller than the RGBA PNG matplotlib
    writes.

    Args:
        path: str or path-like. A PNG file, rewritten in place.
        colors: int in `[2, 256]`. Palette size. Defaults to `256`.

    Returns:
        The new file size in bytes.

    Raises:
        ValueError: if `colors` is out of range.

    Example:
    >>> import os, tempfile
    >>> from PIL import Image
    >>> from cm_zoo.evaluation import png_palette
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    >>> png_palette.quantize_png(path) > 0, Image.open(path).mode
    (True, 'P')
    """
    from PIL import Image

    if isinstance(colors, bool) or not 2 <= int(colors) <= 256:
        raise ValueError(
            f"`colors` must be an int in [2, 256]. Received: colors={colors!r}"
        )
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    palette = rgb.quantize(
        colors=int(colors),
        method=Image.Quantize.MEDIANCUT,
        dither=Image.Dither.NONE,
    )
    palette.save(path, format="PNG", optimize=True)
    return os.path.getsize(path)
