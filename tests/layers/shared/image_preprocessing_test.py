import numpy as np
import pytest

from cm_zoo.layers.shared import ImagePreprocessing


def test_any_size_to_the_square_in_minus_one_to_one():
    images = np.zeros((2, 9, 31, 3), "uint8")
    images[0] = 255
    out = ImagePreprocessing(6)(images).numpy()
    assert out.shape == (2, 6, 6, 3)
    np.testing.assert_allclose(out[0], 1.0)
    np.testing.assert_allclose(out[1], -1.0)


def test_empty_batch_and_mixed_precision():
    assert ImagePreprocessing(4)(np.zeros((0, 7, 7, 3), "uint8")).shape == (
        0,
        4,
        4,
        3,
    )
    half = ImagePreprocessing(4, dtype="mixed_float16")
    assert half(np.zeros((1, 7, 7, 3), "uint8")).dtype == "float16"


def test_bad_input_or_size_is_rejected():
    with pytest.raises(ValueError, match=r"RGB images.*shape=\(2, 7, 7\)"):
        ImagePreprocessing(4)(np.zeros((2, 7, 7), "uint8"))
    with pytest.raises(ValueError, match="`image_size` must be a positive"):
        ImagePreprocessing(0)


def _render(size=48):
    """A benchmark-like render: a drawing cropped to its box, on white."""
    images = np.full((1, size, size, 3), 255, "uint8")
    images[0, 2:46, 2:46] = (40, 120, 220)
    images[0, 10:30, 20:24] = 0
    return images


def _fit(images, size=48):
    return ImagePreprocessing(size, fit_drawing=True)(images).numpy()


def test_fit_drawing_keeps_a_framed_render():
    images = _render()
    framed = (_fit(images) + 1.0) * 127.5
    assert np.abs(framed - images).mean() < 8.0


@pytest.mark.parametrize("page", [(255, 255, 255), (0, 0, 0), (250, 240, 200)])
def test_a_small_drawing_anywhere_on_any_page_is_framed_alike(page):
    reference = _fit(_render())
    large = np.empty((1, 300, 500, 3), "uint8")
    large[:] = page
    drawing = _render()[0, 2:46, 2:46]
    large[0, 180:224, 400:444] = drawing  # small, off-centre, oblong page
    framed = _fit(large)
    # Inside the drawing, off its black stroke (which a black page takes).
    inside = np.zeros((48, 48), bool)
    inside[5:43, 5:43] = reference[0, 5:43, 5:43].max(axis=-1) > -0.5
    assert np.abs(framed[0][inside] - reference[0][inside]).mean() < 0.05
    np.testing.assert_allclose(framed[0, 0, 0], 1.0, atol=1e-4)  # white


def test_blank_page_stays_blank_and_config_round_trips():
    layer = ImagePreprocessing(8, fit_drawing=True)
    blank = layer(np.full((2, 20, 30, 3), 90, "uint8")).numpy()
    np.testing.assert_allclose(blank, 1.0, atol=1e-4)  # page colour: page
    assert ImagePreprocessing.from_config(layer.get_config()).fit_drawing
    assert layer(np.zeros((0, 20, 30, 3), "uint8")).shape == (0, 8, 8, 3)


def test_thin_strokes_survive_a_large_input():
    images = np.full((1, 1000, 1000, 3), 255, "uint8")
    images[0, 100:900, 485:515] = 0  # one output pixel wide at 32x32
    images[0, 100:130, 100:900] = 0
    framed = _fit(images, 32)[0].min(axis=-1)
    # Anti-aliased, not point-sampled: the stroke is dark on every row.
    assert (framed[4:28].min(axis=1) < 0.0).all()


def test_chalk_on_a_blackboard_is_inverted_colour_on_black_is_not():
    chalk = np.full((1, 48, 48, 3), 20, "uint8")  # blackboard
    chalk[0, 8:40, 22:26] = 235  # a light grey stroke
    framed = _fit(chalk)[0]
    assert framed[24, 24].max() < -0.5  # the stroke: dark on ...
    assert framed[2, 2].min() > 0.9  # ... a white page
    colour = np.zeros((1, 48, 48, 3), "uint8")  # transparent PNG as RGB
    colour[0, 8:40, 8:40] = (220, 200, 40)  # a yellow drawing
    framed = (_fit(colour)[0] + 1.0) * 127.5
    np.testing.assert_allclose(framed[24, 24], (220, 200, 40), atol=2)
