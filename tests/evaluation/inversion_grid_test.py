"""Tests for the feature-inversion figure and the PNG palette."""

import numpy as np
import pytest
from PIL import Image

from cm_zoo.evaluation import inversion_grid
from cm_zoo.evaluation import png_palette


def _inputs(count):
    rng = np.random.default_rng(0)
    return (
        {
            "sketch": rng.integers(0, 256, (count, 12, 12, 3)).astype("uint8"),
            "description": [f"text {i}" for i in range(count)],
        },
        {
            m: rng.integers(0, 256, (count, 8, 8, 3)).astype("uint8")
            for m in ("sketch", "description")
        },
    )


def test_grid_has_two_rows_per_modality_and_a_column_per_item(tmp_path):
    inputs, decoded = _inputs(3)
    path = tmp_path / "grid.png"
    inversion_grid.draw_inversion_grid(
        path, inputs, decoded, target_modality="clipart"
    )
    with Image.open(path) as image:
        width, height = image.size
    # figsize (1.3 * 3 + 1.0, 1.35 * 4) inches at 80 dpi.
    assert (width, height) == (392, 432)


def test_mismatched_counts_are_an_error(tmp_path):
    inputs, decoded = _inputs(3)
    decoded["sketch"] = decoded["sketch"][:2]
    with pytest.raises(ValueError, match="same number.*\\[2, 3\\]"):
        inversion_grid.draw_inversion_grid(
            tmp_path / "x.png", inputs, decoded, target_modality="clipart"
        )


def test_float_reconstructions_are_an_error(tmp_path):
    inputs, decoded = _inputs(2)
    decoded["sketch"] = decoded["sketch"] / 255.0
    with pytest.raises(ValueError, match="reconstructions\\['sketch'\\]"):
        inversion_grid.draw_inversion_grid(
            tmp_path / "x.png", inputs, decoded, target_modality="clipart"
        )


def test_quantize_keeps_few_colour_images_exact_and_shrinks_them(tmp_path):
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (40, 3))
    pixels = colours[rng.integers(0, 40, (200, 200))].astype("uint8")
    pixels = np.concatenate([pixels, np.full((200, 200, 1), 255, "uint8")], -1)
    path = tmp_path / "x.png"
    Image.fromarray(pixels, "RGBA").save(path)
    before = path.stat().st_size
    after = png_palette.quantize_png(path)
    assert after < before
    with Image.open(path) as image:
        assert image.mode == "P"
        np.testing.assert_array_equal(
            np.asarray(image.convert("RGB")), pixels[..., :3]
        )


def test_quantize_rejects_bad_palette_sizes(tmp_path):
    with pytest.raises(ValueError, match="colors=300"):
        png_palette.quantize_png(tmp_path / "x.png", colors=300)
