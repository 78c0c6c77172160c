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
