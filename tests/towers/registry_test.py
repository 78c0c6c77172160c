import keras
import numpy as np
import pytest

from cm_zoo import presets
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import CrossModalClassifier
from cm_zoo.towers import ImageTower
from cm_zoo.towers import build_tower
from cm_zoo.towers import register_tower
from cm_zoo.towers import registered_modalities
from cm_zoo.towers import registry


def build_thermal_tower(config, name):
    return ImageTower(
        image_size=config["image_size"],
        conv_filters=config["conv_filters"],
        conv1_kernel_size=config["conv1_kernel_size"],
        conv1_strides=config["conv1_strides"],
        name=name,
    )


@pytest.fixture
def thermal():
    register_tower("thermal", build_thermal_tower)
    yield "thermal"
    registry._BUILDERS.pop("thermal")


def test_adding_a_modality_is_one_registration(thermal):
    config = presets.get("cmplaces_alexnet_tiny").config()
    assert thermal in registered_modalities()
    towers = {m: build_tower(m, config) for m in ("clipart", thermal)}
    backbone = CrossModalBackbone(towers, num_classes=3, hidden_dim=8)
    task = CrossModalClassifier(backbone)
    task.compile(optimizer="sgd")
    images = np.zeros((2, 64, 64, 3), "uint8")
    task.fit({thermal: images}, {thermal: np.array([0, 1])}, verbose=0)
    assert (
        backbone.upper_layers_for(thermal)[0]
        is (backbone.upper_layers_for("clipart")[0])
    )


def test_registration_errors(thermal):
    with pytest.raises(ValueError, match="already has a tower"):
        register_tower(thermal, build_thermal_tower)
    with pytest.raises(ValueError, match="identifier"):
        register_tower("not a name", build_thermal_tower)
    with pytest.raises(ValueError, match="No tower registered for modality"):
        build_tower("smell", {})


def test_builtin_modalities_are_registered():
    assert {
        "natural",
        "clipart",
        "sketch",
        "spatial_text",
        "description",
        "sound",
    } <= set(registered_modalities())
    assert keras.saving.get_registered_object("cm_zoo>ImageTower")


@pytest.mark.parametrize(
    "preset, build, prefix",
    [
        ("cmplaces_alexnet_tiny", registry.build_description_tower, "text_"),
        ("see_hear_read_alexnet_tiny", registry.build_sound_tower, "sound_"),
        ("see_hear_read_alexnet_tiny", registry.build_text_tower, "text_"),
    ],
)
def test_every_prefixed_preset_key_reaches_its_tower(preset, build, prefix):
    config = presets.get(preset).config(dtype="float64")
    tower = build(config, "tower")
    tower_config = tower.get_config()
    prefixed = [key for key in config if key.startswith(prefix)]
    assert prefixed
    for key in prefixed:
        value = tower_config[key.removeprefix(prefix)]
        assert value == config[key], key
    assert tower.output.dtype == "float64"
