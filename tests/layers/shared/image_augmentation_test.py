import numpy as np
import pytest

from cm_zoo.layers.shared import ImageAugmentation
from tests import test_case


def _images():
    return np.random.default_rng(0).random((3, 12, 10, 3)).astype("float32")


def test_layer_contract_and_identity_at_inference():
    output = test_case.run_layer_test(
        ImageAugmentation,
        {"max_shift": 0.3, "seed": 1},
        _images(),
        (3, 12, 10, 3),
        expected_num_trainable_weights=0,
    )
    np.testing.assert_array_equal(output, _images())


def test_training_draws_are_seeded_and_change_every_image():
    images = _images()
    first = ImageAugmentation(max_shift=0.3, seed=7)(images, training=True)
    again = ImageAugmentation(max_shift=0.3, seed=7)(images, training=True)
    np.testing.assert_array_equal(first, again)
    assert all(not np.allclose(a, b) for a, b in zip(first.numpy(), images))
    empty = np.zeros((0, 12, 10, 3), "float32")
    assert ImageAugmentation(seed=1)(empty, training=True).shape == (
        0,
        12,
        10,
        3,
    )


def test_without_shift_it_only_mirrors():
    images = _images()
    out = ImageAugmentation(max_shift=0.0, seed=2)(images, training=True)
    for augmented, image in zip(out.numpy(), images):
        assert np.allclose(augmented, image, atol=1e-6) or np.allclose(
            augmented, image[:, ::-1], atol=1e-6
        )


def test_shift_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="`max_shift` must be in"):
        ImageAugmentation(max_shift=1.0)
