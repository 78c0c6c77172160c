import contextlib
import io

import keras
import numpy as np
import pytest

from cm_zoo import presets
from cm_zoo.models import FC6
from cm_zoo.models import FC7
from cm_zoo.models import LAYER_NAMES
from cm_zoo.models import SHARED_LAYERS
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import CrossModalClassifier
from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower
from cm_zoo.towers import registry
from tests import test_case
from tests.export.export_fixtures import tiny_sound_tower


def image_tower(name):
    return ImageTower(
        image_size=32,
        conv_filters=[4, 4, 4, 4, 4],
        conv1_kernel_size=3,
        conv1_strides=1,
        name=name,
    )


def small_backbone(share_upper=True, shared_tower=False):
    clipart = image_tower("clipart_tower")
    towers = {
        "clipart": clipart,
        "sketch": clipart if shared_tower else image_tower("sketch_tower"),
        "description": DescriptionTower(
            output_dim=16,
            hidden_dim=8,
            num_buckets=64,
            embedding_dim=6,
            name="description_tower",
        ),
    }
    return CrossModalBackbone(
        towers, num_classes=3, hidden_dim=8, share_upper=share_upper
    )


def batch(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "clipart": rng.integers(0, 255, (n, 32, 32, 3), dtype="uint8"),
        "sketch": rng.integers(0, 255, (n, 32, 32, 3), dtype="uint8"),
        "description": np.array(["red bird", "a boat", "", "jazz"] * n)[:n],
    }


def test_upper_layers_are_one_set_of_objects():
    backbone = small_backbone()
    layers = {m: backbone.upper_layers_for(m) for m in backbone.modalities}
    for modality in backbone.modalities:
        for own, other in zip(layers[modality], layers["clipart"]):
            assert own is other
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        backbone.summary()
    assert summary.getvalue().count(" fc6 ") == 1


def test_shared_weight_count_does_not_grow_with_modalities():
    two = CrossModalBackbone(
        {"clipart": image_tower("a"), "sketch": image_tower("b")},
        3,
        hidden_dim=8,
    )
    three = CrossModalBackbone(
        {m: image_tower(f"{m}_t") for m in ("clipart", "sketch", "natural")},
        3,
        hidden_dim=8,
    )
    tower_params = image_tower("t").count_params()
    assert three.count_params() - two.count_params() == tower_params


def test_step_on_one_modality_moves_weights_every_modality_sees():
    backbone = small_backbone()
    task = CrossModalClassifier(backbone)
    task.compile(optimizer=keras.optimizers.SGD(0.1))
    x = batch()
    before = backbone.encode("description", x["description"])["logits"]
    fc6_before = backbone.upper_layers_for("description")[0].get_weights()
    task.fit(
        {"sketch": x["sketch"]},
        {"sketch": np.array([0, 1, 2, 0])},
        epochs=1,
        verbose=0,
    )
    fc6_after = backbone.upper_layers_for("description")[0].get_weights()
    assert not np.array_equal(fc6_before[0], fc6_after[0])
    after = backbone.encode("description", x["description"])["logits"]
    assert not np.allclose(before, after)


def test_gradients_reach_shared_layers_from_every_modality():
    import tensorflow as tf

    backbone = small_backbone()
    fc6 = backbone.upper_layers_for("clipart")[0]
    for modality, x in batch().items():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(backbone.encode(modality, x)["logits"])
        gradient = tape.gradient(loss, fc6.trainable_weights[0])
        assert float(tf.reduce_sum(tf.abs(gradient))) > 0, modality


def test_individual_upper_layers_are_separate():
    backbone = small_backbone(share_upper=False)
    assert (
        backbone.upper_layers_for("clipart")[0]
        is not backbone.upper_layers_for("sketch")[0]
    )


def test_keras_round_trip_keeps_sharing(tmp_path):
    backbone = small_backbone(shared_tower=True)
    restored = test_case.run_model_saving_test(backbone, batch(), tmp_path)
    assert restored.towers["clipart"] is restored.towers["sketch"]
    assert (
        restored.upper_layers_for("clipart")[0]
        is restored.upper_layers_for("description")[0]
    )
    assert restored.get_config() == backbone.get_config()


def test_encoder_shares_weights_with_backbone():
    backbone = small_backbone()
    encoder = backbone.encoder("sketch")
    x = batch()["sketch"]
    np.testing.assert_allclose(
        encoder(x)["fc7"], backbone.encode("sketch", x)["fc7"], atol=1e-6
    )
    assert encoder.get_layer("fc6") is backbone.upper_layers_for("sketch")[0]


def test_wrong_modality_and_shapes_name_the_problem():
    backbone = small_backbone()
    with pytest.raises(ValueError, match="Unknown modality 'natural'"):
        backbone.encode("natural", batch()["clipart"])
    with pytest.raises(ValueError, match=r"'sketch'.*\(None, None, None, 3\)"):
        backbone.encode("sketch", np.zeros((2, 32, 32), "uint8"))
    with pytest.raises(ValueError, match="same pool5 width"):
        CrossModalBackbone(
            {
                "clipart": image_tower("a"),
                "description": DescriptionTower(
                    output_dim=5, hidden_dim=4, num_buckets=8, embedding_dim=3
                ),
            },
            3,
        )


def test_paper_preset_parameter_count_matches_alexnet():
    config = presets.get("cmplaces_alexnet_paper").config()
    backbone = CrossModalBackbone(
        {"natural": registry.build_tower("natural", config)},
        num_classes=205,
        hidden_dim=4096,
    )
    fc6 = 9216 * 4096 + 4096
    fc7 = 4096 * 4096 + 4096
    classifier = 4096 * 205 + 205
    assert backbone.upper_layers_for("natural")[0].count_params() == fc6
    conv = backbone.towers["natural"].count_params()
    # AlexNet (ungrouped convs, 1000 classes) has 62.4M parameters.
    assert conv + fc6 + fc7 + classifier == backbone.count_params()
    assert abs(conv + fc6 + fc7 + 4096 * 1000 + 1000 - 62.38e6) < 0.01e6


def test_same_seed_same_weights():
    keras.utils.set_random_seed(3)
    first = small_backbone().get_weights()
    keras.utils.set_random_seed(3)
    second = small_backbone().get_weights()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_layer_widths_name_every_output():
    backbone = small_backbone()
    out = backbone.encode("sketch", batch()["sketch"])
    assert tuple(out) == LAYER_NAMES == (*SHARED_LAYERS, "logits")
    assert backbone.layer_widths == {
        name: value.shape[-1] for name, value in out.items()
    }


def test_from_preset_builds_the_preset_architecture():
    backbone = CrossModalBackbone.from_preset(
        "cmplaces_alexnet_tiny",
        modalities=["clipart", "description"],
        num_classes=4,
        share_upper=False,
    )
    architecture = presets.get("cmplaces_alexnet_tiny").architecture
    assert backbone.modalities == ("clipart", "description")
    assert backbone.layer_widths[FC7] == architecture.hidden_dim
    assert backbone.num_classes == 4 and not backbone.share_upper
    shr = CrossModalBackbone.from_preset("see_hear_read_alexnet_tiny")
    assert shr.modalities == ("clipart", "sound", "description")
    with pytest.raises(ValueError, match="Available presets: .*cmplaces"):
        CrossModalBackbone.from_preset("cmplaces_vgg_huge")


@pytest.mark.parametrize("share_upper", [True, False])
def test_encode_modalities_is_encode_of_each(share_upper):
    backbone = small_backbone(share_upper=share_upper)
    x = {m: v[: 2 + i] for i, (m, v) in enumerate(batch(6).items())}
    together = backbone.encode_modalities(x)
    assert list(together) == list(x)
    for modality, inputs in x.items():
        alone = backbone.encode(modality, inputs)
        for layer in LAYER_NAMES:
            np.testing.assert_allclose(
                together[modality][layer], alone[layer], rtol=1e-5, atol=1e-6
            )


def test_joined_modalities_draw_the_dropout_masks_of_separate_calls():
    backbones = []
    for _ in range(2):  # same weights and the same dropout seeds
        keras.utils.set_random_seed(3)
        backbones.append(small_backbone())
    x = batch(4)
    joined = backbones[0].encode_modalities(x, training=True)
    for modality, inputs in x.items():
        alone = backbones[1].encode(modality, inputs, training=True)
        for layer in LAYER_NAMES:
            np.testing.assert_allclose(
                joined[modality][layer], alone[layer], rtol=1e-5, atol=1e-6
            )
    inference = backbones[0].encode("sketch", x["sketch"])
    assert not np.allclose(joined["sketch"][FC7], inference[FC7])


def test_encode_modalities_joins_towers_of_static_and_dynamic_batch():
    """A sound tower's pool5 has a dynamic batch size where an image
    tower's is static; both still run the shared layers together."""
    import tensorflow as tf

    backbone = CrossModalBackbone(
        {
            "clipart": image_tower("clipart_tower"),
            "sound": tiny_sound_tower(),
        },
        num_classes=3,
        hidden_dim=8,
    )
    x = {
        "clipart": tf.constant(batch(4)["clipart"]),
        "sound": tf.constant(
            np.random.default_rng(0).uniform(-1, 1, (3, 900)), "float32"
        ),
    }
    encode = tf.function(
        lambda clipart, sound: backbone.encode_modalities(
            {"clipart": clipart, "sound": sound},
            training=True,
            pre_dropout=["sound"],
        ),
        input_signature=[
            tf.TensorSpec((4, 32, 32, 3), "uint8"),
            tf.TensorSpec((None, None), "float32"),  # batch size unknown
        ],
    )
    joined = encode(x["clipart"], x["sound"])
    assert {m: tuple(f[FC7].shape) for m, f in joined.items()} == {
        "clipart": (4, 8),
        "sound": (3, 8),
    }
    np.testing.assert_allclose(
        joined["sound"][FC7],
        backbone.encode("sound", x["sound"])[FC7],
        rtol=1e-5,
        atol=1e-6,
    )


def test_encode_modalities_drops_out_all_but_the_pre_dropout_ones():
    backbone = CrossModalBackbone(
        {m: image_tower(f"{m}_tower") for m in ("clipart", "sketch")},
        num_classes=3,
        hidden_dim=64,
        dropout=0.5,
    )
    x = {m: batch(8)[m] for m in ("clipart", "sketch")}
    inference = backbone.encode_modalities(x)
    training = backbone.encode_modalities(
        x, training=True, pre_dropout=["sketch"]
    )
    for layer in (FC6, FC7):
        np.testing.assert_allclose(
            training["sketch"][layer], inference["sketch"][layer], rtol=1e-5
        )
        assert not np.allclose(
            training["clipart"][layer], inference["clipart"][layer]
        )


def test_pre_dropout_features_equal_inference_ones_when_training():
    backbone = CrossModalBackbone(
        {"sketch": image_tower("sketch_tower")},
        num_classes=3,
        hidden_dim=64,
        dropout=0.5,
    )
    x = batch(8)["sketch"]
    inference = backbone.encode("sketch", x, training=False)
    dropped = backbone.encode("sketch", x, training=True)
    clean = backbone.encode("sketch", x, training=True, pre_dropout=True)
    for layer in (FC6, FC7):
        np.testing.assert_allclose(clean[layer], inference[layer], rtol=1e-6)
        assert not np.allclose(dropped[layer], inference[layer])
