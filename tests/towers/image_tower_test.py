import keras
import numpy as np
import pytest

from cm_zoo import presets
from cm_zoo.towers import ImageTower
from cm_zoo.towers import registry
from tests import test_case

SMALL = dict(
    image_size=32,
    conv_filters=[4, 6, 8, 8, 5],
    conv1_kernel_size=3,
    conv1_strides=1,
)


def test_paper_preset_pool5_is_alexnet_9216():
    config = presets.get("cmplaces_alexnet_paper").config()
    tower = registry.build_tower("natural", config)
    assert tower.output_dim == 6 * 6 * 256 == registry.pool5_dim(config)
    # AlexNet conv1..conv5 without grouping: 3.75M parameters.
    conv_params = (
        (11 * 11 * 3 * 96 + 96)
        + (5 * 5 * 96 * 256 + 256)
        + (3 * 3 * 256 * 384 + 384)
        + (3 * 3 * 384 * 384 + 384)
        + (3 * 3 * 384 * 256 + 256)
    )
    assert tower.count_params() == conv_params


def test_tower_accepts_any_image_size_and_is_deterministic():
    tower = ImageTower(**SMALL)
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (2, 20, 50, 3), dtype="uint8")
    large = rng.integers(0, 255, (2, 97, 131, 3), dtype="uint8")
    assert tower(small).shape == tower(large).shape == (2, 2 * 2 * 5)
    np.testing.assert_array_equal(tower(small), tower(small))


def test_tower_config_and_keras_round_trip(tmp_path):
    tower = ImageTower(**SMALL, use_batch_norm=True, name="sketch_tower")
    images = np.random.default_rng(1).integers(0, 255, (3, 40, 40, 3), "uint8")
    restored = test_case.run_model_saving_test(tower, images, tmp_path)
    assert restored.get_config() == tower.get_config()


def test_fit_drawing_is_built_from_the_preset_and_round_trips(tmp_path):
    config = presets.get("cmplaces_alexnet_tiny").config()
    config["fit_drawing"] = True
    tower = registry.build_image_tower(config, "clipart_tower")
    assert tower.get_layer("preprocess").fit_drawing
    page = np.zeros((2, 90, 120, 3), "uint8")
    page[:, 30:60, 40:70] = 200
    restored = test_case.run_model_saving_test(tower, page, tmp_path)
    assert restored.get_config()["fit_drawing"] is True


def test_wrong_rank_names_the_modality_and_shapes():
    tower = ImageTower(**SMALL, name="sketch_tower")
    with pytest.raises(ValueError, match=r"'sketch'.*\(None, None, None, 3\)"):
        tower.check_input(np.zeros((2, 32, 32), "uint8"), "sketch")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"conv_filters": [4, 4]}, "conv_filters"),
        ({"image_size": 8}, "too small"),
    ],
)
def test_bad_config_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImageTower(**{**SMALL, **kwargs})


def test_mixed_precision_tower_computes_in_float16():
    tower = ImageTower(**SMALL, dtype="mixed_float16")
    out = tower(np.zeros((1, 32, 32, 3), "uint8"))
    assert keras.backend.standardize_dtype(out.dtype) == "float16"


def test_augmentation_only_changes_training_outputs():
    tower = ImageTower(**SMALL, augment=True)
    images = np.random.default_rng(2).integers(0, 255, (4, 32, 32, 3), "uint8")
    plain = ImageTower(**SMALL)
    for layer in plain.layers:
        layer.set_weights(tower.get_layer(layer.name).get_weights())
    np.testing.assert_allclose(tower(images), plain(images), atol=1e-6)
    assert not np.allclose(tower(images, training=True), plain(images))
    assert ImageTower.from_config(tower.get_config()).augment


def test_plain_call_is_inference_even_with_batch_norm():
    tower = ImageTower(**SMALL, use_batch_norm=True, augment=True)
    images = np.random.default_rng(3).integers(0, 255, (4, 32, 32, 3), "uint8")
    np.testing.assert_allclose(
        tower(images), tower(images, training=False), atol=1e-6
    )
    np.testing.assert_allclose(tower(images[:1]), tower(images)[:1], atol=1e-5)
