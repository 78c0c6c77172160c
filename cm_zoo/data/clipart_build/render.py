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


def rsvg(data, width, height, background="white"):
    """Renders SVG bytes to a PIL image (RGBA if `background` is None)."""
    command = ["rsvg-convert", "-w", str(width), "-h", str(height), "-a"]
    if background is not None:
        command += ["-b", background]
    result = subprocess.run(
        command + ["-f", "png"],
        input=data,
        capture_output=True,
        timeout=120,
    )
    if result.returncode != 0 or not result.stdout:
        return None
    image = Image.open(io.BytesIO(result.stdout))
    return image.convert("RGB" if background is not None else "RGBA")


def content_box(image):
    ink = np.asarray(image.convert("L")) < 250
    if ink.sum() < 20:
        return None
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return cols[0], rows[0], cols[-1] + 1, rows[-1] + 1


def fit_square(image, box, size):
    """Crops `box`, pads to a square with a margin, resizes.

    RGB images are padded with white; RGBA ones with transparency and
    resized premultiplied (no dark fringes).
    """
    rgba = image.mode == "RGBA"
    crop = image.crop(box).convert("RGBa" if rgba else "RGB")
    side = int(max(crop.size) * 1.08) + 2
    canvas = Image.new(
        crop.mode, (side, side), (0, 0, 0, 0) if rgba else "white"
    )
    canvas.paste(crop, ((side - crop.width) // 2, (side - crop.height) // 2))
    out = canvas.resize((size, size), Image.LANCZOS)
    return out.convert("RGBA") if rgba else out


def frame(data):
    """Where the drawing is: `(width, height, box)` of a zoomed render.

    The drawing's ink box is found on a 256 px probe, then the render is
    zoomed so the box spans about twice `IMAGE_SIZE`. None when rendering
    fails or the drawing is (nearly) blank.
    """
    probe = rsvg(data, 256, 256)
    if probe is None:
        return None
    box = content_box(probe)
    if box is None:
        return None
    extent = max(box[2] - box[0], box[3] - box[1])
    zoom = min(2.0 * IMAGE_SIZE / extent, 8.0)
    width, height = int(probe.width * zoom), int(probe.height * zoom)
    return width, height, tuple(int(round(v * zoom)) for v in box)


def render_clipart(data, background="white"):
    """Colour render cropped to the drawing, or None (failed, too faint).

    uint8 `[S, S, 3]` on `background`, or `[S, S, 4]` with transparency
    when `background` is None.
    """
    framed = frame(data)
    if framed is None:
        return None
    width, height, box = framed
    big = rsvg(data, width, height, background)
    if big is None:
        return None
    image = np.asarray(fit_square(big, box, IMAGE_SIZE))
    if image.shape[-1] == 4:
        alpha = image[..., 3:].astype(np.float32) / 255.0
        flat = image[..., :3] * alpha + 255.0 * (1.0 - alpha)
    else:
        flat = image
    return image if flat.std() >= MIN_IMAGE_STD else None


def render_sketch(data, stroke_px=2.4):
    """Stroke-only render: uint8 `[S, S]` grey, or None (failed, no ink).

    Every line is `stroke_px` wide in the zoomed render (about half that
    once shrunk to `IMAGE_SIZE`).
    """
    framed = frame(data)
    if framed is None:
        return None
    width, height, box = framed
    root = ET.fromstring(data)
    user_w, user_h = user_extent(root)
    px_per_unit = min(width / user_w, height / user_h)
    sketch = rsvg(sketch_svg(root, stroke_px / px_per_unit), width, height)
    if sketch is None or content_box(sketch) is None:
        return None
    gray = np.asarray(fit_square(sketch, box, IMAGE_SIZE).convert("L"))
    return gray if (gray < 200).sum() >= MIN_SKETCH_INK else None
