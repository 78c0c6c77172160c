"""Spatial-text images: object names written where the objects are.

CMPlaces builds its spatial-text modality from SUN / LabelMe annotations:
"an image with words written on it that correspond to spatial locations of
objects". Here every object's name is drawn in black on a white canvas,
centred on its polygon's bounding box, with a font size that grows with the
square root of the object's area; larger objects are drawn first so small
ones stay legible.
"""

import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

_FONT = "DejaVuSans.ttf"


def parse_annotation(path):
    """Reads a LabelMe / SUN XML annotation.

    Deleted objects (`<deleted>1</deleted>`) and objects with fewer than
    three polygon points are left out.

    Args:
        path: str. The XML file.

    Returns:
        `(objects, (height, width))`: `objects` is a list of
        `(name, points)` with `points` float32 `[K, 2]` as (x, y); the image
        size comes from `<imagesize>` or, when absent, from the points.

    Raises:
        ValueError: for unparsable XML or an annotation without objects,
            naming the file.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise ValueError(
            f"spatial_text annotation {path!r} is not valid XML: {error}"
        ) from error
    objects = []
    for element in root.iter("object"):
        if (element.findtext("deleted") or "0").strip() == "1":
            continue
        name = " ".join((element.findtext("name") or "").split())
        points = [
            (float(pt.findtext("x")), float(pt.findtext("y")))
            for pt in element.iter("pt")
        ]
        if name and len(points) >= 3:
            objects.append((name, np.array(points, np.float32)))
    if not objects:
        raise ValueError(
            f"spatial_text annotation {path!r}: expected at least one named "
            "object with a polygon of 3+ points, found none."
        )
    rows = root.findtext("imagesize/nrows")
    cols = root.findtext("imagesize/ncols")
    if rows and cols:
        size = (float(rows), float(cols))
    else:
        corner = np.max(np.concatenate([p for _, p in objects]), axis=0)
        size = (float(corner[1]) + 1.0, float(corner[0]) + 1.0)
    return objects, size


def render_spatial_text(objects, original_size, image_size):
    """Draws object names at their locations on a white square canvas.

    Args:
        objects: list of `(name, points)` as returned by `parse_annotation`.
        original_size: `(height, width)` of the annotated image.
        image_size: int. Side of the output canvas.

    Returns:
        uint8 array `[image_size, image_size, 3]`.

    Example:
    >>> square = np.array([[0, 0], [40, 0], [40, 40], [0, 40]], "float32")
    >>> image = cm_zoo.data.render_spatial_text(
    ...     [("bed", square + 50)], (100, 100), 64)
    >>> image.shape, bool((image[40:56, 40:56] < 128).any())
    ((64, 64, 3), True)
    >>> bool((image[:20, :20] < 128).any())
    False
    """
    height, width = original_size
    scale = np.array([image_size / width, image_size / height], np.float32)
    canvas = Image.new("RGB", (image_size, image_size), "white")
    draw = ImageDraw.Draw(canvas)
    boxes = []
    for name, points in objects:
        scaled = points * scale
        low, high = scaled.min(axis=0), scaled.max(axis=0)
        boxes.append((float(np.prod(high - low)), name, (low + high) / 2.0))
    for area, name, (x, y) in sorted(boxes, key=lambda b: -b[0]):
        size = int(np.clip(np.sqrt(area) / 4.0, 6.0, image_size / 6.0))
        font = ImageFont.truetype(_FONT, size)
        draw.text(
            (float(x), float(y)), name, fill="black", font=font, anchor="mm"
        )
    return np.asarray(canvas, np.uint8)


def render_annotation_file(path, image_size):
    """Parses an XML annotation and renders it; see `render_spatial_text`."""
    objects, size = parse_annotation(path)
    return render_spatial_text(objects, size, image_size)
