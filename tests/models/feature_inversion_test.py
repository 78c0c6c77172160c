import keras
import numpy as np
import pytest

from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import FeatureInversionDecoder
from cm_zoo.models import extract_features
from cm_zoo.models import feature_inversion
from cm_zoo.models import fit_feature_inversion
from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower
from tests import test_case


def tiny_backbone():
    keras.utils.set_random_seed(0)
    towers = {
        modality: ImageTower(
            image_size=32,
            conv_filters=[8] * 5,
            conv1_kernel_size=3,
            conv1_strides=1,
            name=f"{modality}_tower",
        )
        for modality in ("clipart", "sketch")
    }
    towers["description"] = DescriptionTower(
        output_dim=32,
        hidden_dim=8,
        num_buckets=64,
        embedding_dim=5,
        name="description_tower",
    )
    return CrossModalBackbone(towers, num_classes=3, hidden_dim=8)


def colour_images(count, seed=0):
    """Images of two-colour halves: learnable from pool5, not constant."""
    rng = np.random.default_rng(seed)
    top = rng.integers(0, 256, (count, 1, 1, 3))
    bottom = rng.integers(0, 256, (count, 1, 1, 3))
    images = np.empty((count, 40, 40, 3), np.uint8)
    images[:, :20] = top
    images[:, 20:] = bottom
    return images


def test_decoder_training_lowers_the_reconstruction_loss():
    backbone = tiny_backbone()
    decoder, losses = fit_feature_inversion(
        backbone,
        colour_images(64),
        modality="clipart",
        image_size=16,
        filters=[32, 16],
        epochs=12,
        batch_size=16,
        learning_rate=5e-3,
    )
    assert len(losses) == 12
    assert losses[-1] < 0.6 * losses[0]
    # Better than the best constant image (the per-pixel mean).
    targets = feature_inversion.downsample_images(colour_images(64), 16)
    constant_mse = float(np.mean((targets - targets.mean(axis=0)) ** 2))
    assert losses[-1] < constant_mse


def test_reconstructs_pool5_of_every_modality_to_images():
    backbone = tiny_backbone()
    decoder, _ = fit_feature_inversion(
        backbone,
        colour_images(16),
        modality="clipart",
        image_size=16,
        filters=[8, 4],
        epochs=1,
        batch_size=8,
    )
    inputs = {
        "sketch": colour_images(3, seed=1),
        "description": np.array(["a red barn", "blue sea", ""], object),
    }
    pool5 = extract_features(backbone, inputs, layers=["pool5"])["pool5"]
    for modality, features in pool5.items():
        images = decoder.reconstruct(features)
        assert images.shape == (3, 16, 16, 3), modality
        assert images.dtype == np.uint8


def test_decoder_output_shape_and_range():
    decoder = FeatureInversionDecoder(10, image_size=24, filters=[6, 4, 2])
    decoder.adapt(np.random.default_rng(0).normal(size=(20, 10)))
    pixels = decoder(np.random.default_rng(1).normal(size=(5, 10)) * 100)
    assert tuple(pixels.shape) == (5, 24, 24, 3)
    assert 0.0 <= float(np.min(pixels)) and float(np.max(pixels)) <= 1.0


def test_decoder_save_round_trip(tmp_path):
    decoder = FeatureInversionDecoder(6, image_size=8, filters=[4, 2], seed=3)
    decoder.adapt(np.random.default_rng(0).normal(size=(10, 6)) + 5.0)
    restored = test_case.run_model_saving_test(
        decoder, np.ones((2, 6), "float32"), tmp_path
    )
    assert restored.get_config() == decoder.get_config()


def test_seed_fixes_the_initial_weights():
    first = FeatureInversionDecoder(6, image_size=8, filters=[4, 2], seed=1)
    second = FeatureInversionDecoder(6, image_size=8, filters=[4, 2], seed=1)
    other = FeatureInversionDecoder(6, image_size=8, filters=[4, 2], seed=2)
    kernel = first.get_layer("upconv1").kernel.numpy()
    np.testing.assert_array_equal(
        kernel, second.get_layer("upconv1").kernel.numpy()
    )
    assert not np.array_equal(kernel, other.get_layer("upconv1").kernel)


def test_image_size_must_divide_by_the_upsampling():
    with pytest.raises(
        ValueError, match="multiple of 2\\*\\*len.*image_size=20"
    ):
        FeatureInversionDecoder(6, image_size=20, filters=[4, 2, 2])


def test_non_uint8_images_are_rejected():
    with pytest.raises(ValueError, match="must be uint8.*float64"):
        fit_feature_inversion(
            tiny_backbone(), np.zeros((4, 8, 8, 3)), modality="clipart"
        )
