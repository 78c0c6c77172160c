import numpy as np
import pytest

from cm_zoo.layers.shared import DrawingAugmentation
from tests.layers.shared.augmentation_contract import (
    check_augmentation_contract,
)


def only(seed=0, **variation):
    return DrawingAugmentation.only(seed=seed, **variation)


def drawings(batch=4, size=32):
    """White pages with a black, off-centre bar and a red square."""
    images = np.full((batch, size, size, 3), 255, "uint8")
    images[:, 6:22, 9:12] = 0
    images[:, 20:28, 18:26] = (220, 30, 30)
    return images


def dark(images):
    return np.asarray(images).max(axis=-1) < 100


def test_layer_contract(tmp_path):
    check_augmentation_contract(
        DrawingAugmentation, {"background_rate": 1.0}, drawings(), tmp_path
    )


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
def test_everything_off_is_identity_in_any_dtype(dtype):
    images = drawings().astype(dtype)
    out = only()(images, training=True).numpy()
    assert out.dtype == dtype
    np.testing.assert_allclose(out, images, atol=1e-4)


def test_defaults_keep_dtype_shape_and_range_of_any_size():
    images = np.random.default_rng(0).integers(0, 256, (3, 40, 24, 3))
    out = DrawingAugmentation(seed=0)(images.astype("uint8"), training=True)
    assert out.dtype == "uint8" and tuple(out.shape) == (3, 40, 24, 3)
    floats = DrawingAugmentation(value_range=(-1.0, 1.0), seed=0)(
        (images / 127.5 - 1.0).astype("float32"), training=True
    ).numpy()
    assert floats.dtype == "float32"
    assert floats.min() >= -1.0 and floats.max() <= 1.0


def test_strokes_get_thicker_and_thinner():
    images = drawings(batch=32)
    out = only(max_stroke_change=1)(images, training=True).numpy()
    counts = dark(out).sum(axis=(1, 2))
    bar = dark(images[0]).sum()
    assert counts.min() < bar < counts.max()
    # Each pixel lies between its 3x3 neighbourhood's darkest and lightest.
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(
        padded, (3, 3), axis=(1, 2)
    )
    assert (out >= windows.min(axis=(-2, -1))).all()
    assert (out <= windows.max(axis=(-2, -1))).all()


def test_mirror_is_exact():
    images = drawings()
    out = only(flip_rate=1.0)(images, training=True).numpy()
    np.testing.assert_array_equal(out, images[:, :, ::-1])


def test_rotation_turns_the_bar_and_fills_white():
    images = drawings(batch=8)
    out = only(max_rotation=45.0)(images, training=True).numpy()
    assert all(not np.array_equal(o, i) for o, i in zip(out, images))
    np.testing.assert_array_equal(out[:, 0, 0], 255)


def test_scale_shrinks_the_drawing():
    images = drawings()
    out = only(scale_range=(0.5, 0.5))(images, training=True).numpy()
    ratio = dark(out).sum() / dark(images).sum()
    assert 0.15 < ratio < 0.35


def test_translation_moves_the_drawing():
    images = drawings(batch=8)
    out = only(max_translation=0.3)(images, training=True).numpy()
    before = np.argwhere(dark(images[0])).mean(axis=0)
    moves = [
        np.abs(np.argwhere(dark(o)).mean(axis=0) - before).max() for o in out
    ]
    assert max(moves) > 2.0


def test_background_tints_the_paper_not_the_ink():
    images = drawings(batch=8)
    out = only(background_rate=1.0)(images, training=True).numpy()
    ink, paper = dark(images[0]), images[0].min(axis=-1) == 255
    np.testing.assert_array_equal(out[:, ink], 0)
    assert (out[:, paper].mean(axis=1) < 250).all()
    assert len({tuple(o[0, 0] // 16) for o in out}) > 1  # colours vary


def test_color_turns_hues_and_keeps_greys():
    images = drawings(batch=8)
    out = only(color_rate=1.0)(images, training=True).numpy()
    np.testing.assert_array_equal(out[:, 0, 0], 255)
    np.testing.assert_array_equal(out[:, 10, 10], 0)
    red = out[:, 24, 22].astype(int)
    assert (np.abs(red - (220, 30, 30)).max(axis=1) > 20).sum() >= 6


def test_grayscale_equalises_channels():
    out = only(grayscale_rate=1.0)(drawings(), training=True).numpy()
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    assert out[0, 24, 22, 1] == round(0.299 * 220 + 0.587 * 30 + 0.114 * 30)


def test_photo_lights_unevenly_and_adds_noise():
    images = drawings(batch=8)
    out = only(photo_rate=1.0)(images, training=True).numpy()
    paper = out[:, images[0].min(axis=-1) == 255].astype(float)
    assert (paper.std(axis=(1, 2)) > 1.0).all()
    assert (paper.mean(axis=(1, 2)) < 255).all()


def test_jpeg_adds_artefacts_near_edges():
    images = drawings(batch=8)
    layer = only(jpeg_rate=1.0, jpeg_quality_range=(10, 10))
    out = layer(images, training=True).numpy().astype(int)
    difference = np.abs(out - images)
    assert (difference.max(axis=(1, 2, 3)) > 10).all()
    assert difference.mean() < 20


def test_rates_choose_images_independently():
    images = drawings(batch=64)
    out = only(grayscale_rate=0.5)(images, training=True).numpy()
    changed = (out != images).any(axis=(1, 2, 3)).sum()
    assert 16 < changed < 48


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"flip_rate": 1.5}, r"`flip_rate` must be a probability"),
        ({"scale_range": (1.2, 0.8)}, r"`scale_range` must be a pair"),
        ({"value_range": (1.0, 1.0)}, r"black < white"),
        ({"max_stroke_change": -1}, r"`max_stroke_change` must be an int"),
        ({"jpeg_quality_range": (5, 101)}, r"within \[0, 100\]"),
        ({"seed": 1.5}, r"`seed` must be an int or None"),
    ],
)
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DrawingAugmentation(**kwargs)


def test_grey_images_without_channels_raise():
    with pytest.raises(ValueError, match=r"RGB images.*shape=\(2, 8, 8, 1\)"):
        DrawingAugmentation()(np.zeros((2, 8, 8, 1), "uint8"))


def test_transparent_page_turns_only_the_white_page_black():
    images = drawings()
    out = only(transparent_page_rate=1.0)(images, training=True).numpy()
    page = (images == 255).all(axis=-1)
    assert (out[page] == 0).all()
    np.testing.assert_array_equal(out[~page], images[~page])


def test_outline_draws_edges_dark_on_white():
    images = drawings()
    out = only(outline_rate=1.0)(images, training=True).numpy()
    np.testing.assert_array_equal(out[:, 0, 0], 255)  # page stays paper
    assert (out[:, 24, 22] > 200).all()  # inside the red fill: dropped
    assert (out[:, 20, 22] < 100).all()  # the fill's edge: a dark line
    assert (out[..., 0] == out[..., 2]).all()  # grey lines
