import ast
import dataclasses
import pathlib

import pytest

from cm_zoo import presets


def test_names_lists_every_family_and_filters_by_family():
    assert presets.names() == sorted(
        presets.names("cmplaces") + presets.names("see_hear_read")
    )
    assert presets.names("cmplaces") == [
        "cmplaces_alexnet_paper",
        "cmplaces_alexnet_tiny",
    ]


def test_unknown_name_and_family_raise_with_the_choices():
    with pytest.raises(ValueError, match="Available presets: .*tiny"):
        presets.get("cmplaces_alexnet_huge")
    with pytest.raises(ValueError, match="Families: .*see_hear_read"):
        presets.names("vision")


@pytest.mark.parametrize("name", presets.names())
def test_presets_are_frozen_typed_and_named_for_their_family(name):
    preset = presets.get(name)
    assert preset.name == name and name.startswith(preset.family)
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.architecture.hidden_dim = 1
    with pytest.raises(TypeError):
        preset.metadata["paper"] = "x"
    expected = {
        "cmplaces": presets.CMPlacesTraining,
        "see_hear_read": presets.SeeHearReadTraining,
    }[preset.family]
    assert isinstance(preset.training, expected)


def test_config_is_a_fresh_dict_with_overrides_and_no_mutation():
    preset = presets.get("cmplaces_alexnet_tiny")
    config = preset.config(num_classes=7, augment=True)
    config["hidden_dim"] = 1
    assert config["num_classes"] == 7 and config["augment"]
    assert preset.config()["hidden_dim"] == 256
    assert not preset.config()["augment"]
    assert config["conv_filters"] == [24, 48, 64, 64, 48]


def test_config_refuses_unknown_fields_naming_them():
    with pytest.raises(ValueError, match=r"no architecture field.*'sound_'"):
        presets.get("cmplaces_alexnet_tiny").config(sound_=3)


@pytest.mark.parametrize(
    "override, message",
    [
        ({"hidden_dim": 0}, "`hidden_dim` must be positive"),
        ({"conv_filters": (4, 4)}, "5 ints"),
        ({"dropout": 1.0}, r"`dropout` must be in \[0, 1\)"),
    ],
)
def test_bad_architecture_values_are_refused(override, message):
    with pytest.raises(ValueError, match=message):
        presets.get("cmplaces_alexnet_tiny").config(**override)


def test_training_defaults_live_with_the_preset():
    paper = presets.get("cmplaces_alexnet_paper").training
    tiny = presets.get("cmplaces_alexnet_tiny").training
    assert (paper.learning_rate, paper.num_components) == (1e-3, 100)
    assert (tiny.learning_rate, tiny.num_components) == (1e-2, 10)
    assert (tiny.patience, tiny.source_views) == (6, 2)
    shr = presets.get("see_hear_read_alexnet_paper").training
    assert shr.learning_rate == 1e-4


def test_the_documented_cmplaces_regime_is_the_tiny_presets_defaults():
    """recipes/train_cmplaces.py documents the regime as `name=value`
    lines; they must be the preset's training defaults, field by field."""
    recipe = pathlib.Path(__file__).parents[1] / "recipes" / "train_cmplaces.py"
    docstring = ast.get_docstring(ast.parse(recipe.read_text()))
    block = docstring.split("`cmplaces_alexnet_tiny`:")[1].split("\n\n")[1]
    documented = dict(pair.split("=") for pair in block.split())
    training = presets.get("cmplaces_alexnet_tiny").training
    defaults = {
        field.name: getattr(training, field.name)
        for field in dataclasses.fields(training)
        if field.name != "architecture"
    }
    assert set(documented) == set(defaults)
    for name, value in defaults.items():
        assert documented[name] == str(value), name
    assert training.architecture == ()
