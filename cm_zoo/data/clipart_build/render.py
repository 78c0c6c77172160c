"""SVG -> colour clip art and stroke-only sketches, via `rsvg-convert`."""

import io
import re
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

IMAGE_SIZE = 96
MIN_IMAGE_STD = 8.0  # drops renders too faint to see at IMAGE_SIZE
MIN_SKETCH_INK = 50  # dark pixels a stored sketch must have


def length_px(value):
    units = {
        "px": 1.0,
        "pt": 4.0 / 3.0,
        "pc": 16.0,
        "in": 96.0,
        "mm": 3.7795,
        "cm": 37.795,
        "": 1.0,
    }
    match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([a-z]*)\s*", value or "")
    if not match or match.group(2) not in units:
        return None
    return float(match.group(1)) * units[match.group(2)]


def user_extent(root):
    """Returns the (width, height) of the root coordinate system."""
    box = root.get("viewBox")
    if box:
        values = [float(v) for v in re.split(r"[\s,]+", box.strip())]
        return values[2], values[3]
    width = length_px(root.get("width"))
    height = length_px(root.get("height"))
    return (width or 100.0), (height or 100.0)


SHAPE_TAGS = {
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
}
PAINT_PROPERTIES = {
    "fill",
    "stroke",
    "stroke-width",
    "opacity",
    "fill-opacity",
    "stroke-opacity",
    "filter",
    "stroke-dasharray",
    "display",
    "visibility",
    "mask",
}


def sketch_svg(root, stroke_width):
    """Rewrites every style: fills removed, strokes black of one width."""
    for element in root.iter():
        tag = str(element.tag).rsplit("}", 1)[-1]
        if tag == "style":
            element.text = ""
        for key in list(element.attrib):
            if key in PAINT_PROPERTIES:
                del element.attrib[key]
        declarations = []
        for declaration in element.attrib.pop("style", "").split(";"):
            name = declaration.split(":", 1)[0].strip()
            if ":" in declaration and name not in PAINT_PROPERTIES:
                declarations.append(declaration.strip())
        if tag in SHAPE_TAGS:
            declarations += [
                "fill:none",
                "stroke:#000000",
                f"stroke-width:{stroke_width:g}",
            ]
        if declarations:
            element.set("style", ";".join(declarations))
    return ET.tostring(root)


def rsvg(data, width, height):
    result = subprocess.run(
        [
            "rsvg-convert",
            "-w",
            str(width),
            "-h",
            str(height),
            "-a",
            "-b",
            "white",
            "-f",
            "png",
        ],
        input=data,
        capture_output=True,
        timeout=120,
    )
    if result.returncode != 0 or not result.stdout:
        return None
    return Image.open(io.BytesIO(result.stdout)).convert("RGB")


def content_box(image):
    ink = np.asarray(image.convert("L")) < 250
    if ink.sum() < 20:
        return None
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return cols[0], rows[0], cols[-1] + 1, rows[-1] + 1


def fit_square(image, box, size):
    """Crops `box`, pads to a white square with a margin, resizes."""
    crop = image.crop(box)
    side = int(max(crop.size) * 1.08) + 2
    canvas = Image.new("RGB", (side, side), "white")
    canvas.paste(crop, ((side - crop.width) // 2, (side - crop.height) // 2))
    return canvas.resize((size, size), Image.LANCZOS)


def render_images(data, want_sketch):
    """Returns (clipart uint8 [S,S,3], sketch uint8 [S,S] or None).

    `(None, None)` when rendering fails or the result is (nearly) blank.
    """
    probe = rsvg(data, 256, 256)
    if probe is None:
        return None, None
    box = content_box(probe)
    if box is None:
        return None, None
    extent = max(box[2] - box[0], box[3] - box[1])
    zoom = min(2.0 * IMAGE_SIZE / extent, 8.0)
    width, height = int(probe.width * zoom), int(probe.height * zoom)
    big = rsvg(data, width, height)
    if big is None:
        return None, None
    big_box = tuple(int(round(v * zoom)) for v in box)
    clipart = np.asarray(fit_square(big, big_box, IMAGE_SIZE))
    if clipart.std() < MIN_IMAGE_STD:
        return None, None
    if not want_sketch:
        return clipart, None
    root = ET.fromstring(data)
    user_w, user_h = user_extent(root)
    px_per_unit = min(width / user_w, height / user_h)
    sketch = rsvg(sketch_svg(root, 2.4 / px_per_unit), width, height)
    if sketch is None or content_box(sketch) is None:
        return None, None
    gray = np.asarray(fit_square(sketch, big_box, IMAGE_SIZE).convert("L"))
    if (gray < 200).sum() < MIN_SKETCH_INK:
        return None, None
    return clipart, gray
