"""Exports carry shared layers and priors; modalities are added later."""

import json
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

from cm_zoo.export import add_alignment_state
from cm_zoo.export import add_modality
from cm_zoo.export import copy_export
from cm_zoo.export import export_encoders
from cm_zoo.export import load_encoder
from cm_zoo.export import read_alignment_state
from cm_zoo.export import read_manifest
from cm_zoo.export import recover_backbone
from cm_zoo.export import restore_upper_layers
from cm_zoo.export.manifest import hash_tree
from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.models import CrossModalBackbone
from cm_zoo.towers import ImageTower
from tests.export.export_fixtures import CLASS_NAMES
from tests.export.export_fixtures import sample_inputs

CHECKER = pathlib.Path("/work/shared/tools/check_export_contract.py")
# The tiny fixture's sketch tower as a preset-style config.
CONFIG = {
    "image_size": 32,
    "conv_filters": [4] * 5,
    "conv1_kernel_size": 3,
    "conv1_strides": 1,
    "conv2_kernel_size": 5,
    "use_batch_norm": True,
    "augment": False,
    "dtype": None,
    "dropout": 0.5,
}


def _priors(seed=0):
    rng = np.random.default_rng(seed)
    return {
        layer: DiagonalGMMPrior(
            logits=np.log([0.5, 0.5]),
            means=rng.normal(size=(2, dim)),
            variances=np.ones((2, dim)),
        )
        for layer, dim in (("pool5", 16), ("fc6", 8), ("fc7", 8))
    }


def _alignment():
    return {
        "source_modality": "sketch",
        "config": CONFIG,
        "priors": _priors(),
        "preset": None,
    }


@pytest.fixture
def plain_export(backbone, exported, tmp_path):
    """A copy of the session's export (no `shared/`) to modify."""
    _, model_dir = exported
    return copy_export(model_dir, tmp_path / "m" / "tiny")


def _doodle_backbone(state):
    """A new image tower under the export's restored shared layers."""
    tower = ImageTower(
        image_size=32,
        conv_filters=[3, 5, 6, 5, 4],
        conv1_kernel_size=3,
        conv1_strides=1,
        name="doodle_tower",
    )
    backbone = CrossModalBackbone(
        {"doodle": tower}, num_classes=3, hidden_dim=8, dropout=0.5
    )
    restore_upper_layers(backbone, "doodle", state.upper_weights, "test")
    return backbone


def test_export_with_alignment_round_trips_layers_and_priors(
    backbone, tmp_path
):
    model_dir = export_encoders(
        backbone,
        tmp_path,
        model_name="m",
        method="C",
        class_names=CLASS_NAMES,
        alignment=_alignment(),
    )
    manifest = read_manifest(model_dir)
    assert manifest["alignment"]["files"] == hash_tree(model_dir / "shared")
    state = read_alignment_state(model_dir)
    assert state.source_modality == "sketch" and state.config == CONFIG
    for layer, prior in _priors().items():
        np.testing.assert_array_equal(state.priors[layer].means, prior.means)
    fc6 = backbone.upper_layers_for("sketch")[0]
    np.testing.assert_array_equal(
        state.upper_weights["fc6/dense/kernel"], fc6.weights[0].numpy()
    )
    restored = _doodle_backbone(state)
    x = np.ones((2, 16), "float32")
    for new, old in zip(
        restored.upper_layers_for("doodle"), backbone.upper_layers_for("sketch")
    ):
        np.testing.assert_allclose(new(x), old(x), atol=1e-6)
        x = np.ones((2, 8), "float32")


def test_tampered_prior_is_refused(backbone, tmp_path):
    model_dir = export_encoders(
        backbone,
        tmp_path,
        model_name="m",
        method="C",
        class_names=CLASS_NAMES,
        alignment=_alignment(),
    )
    prior = model_dir / "shared" / "priors" / "fc6.npz"
    prior.write_bytes(prior.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"fc6\.npz.*does not match"):
        read_alignment_state(model_dir)


def test_export_without_alignment_says_how_to_add_it(plain_export):
    with pytest.raises(ValueError, match="--add-alignment-state"):
        read_alignment_state(plain_export)


def test_recovered_backbone_and_added_state_leave_encoders_unchanged(
    plain_export, backbone
):
    before = {m: hash_tree(plain_export / m) for m in backbone.modalities}
    recovered = recover_backbone(plain_export, "sketch", CONFIG)
    x = sample_inputs("sketch", 3)
    for layer, value in recovered.encode("sketch", x).items():
        np.testing.assert_allclose(
            value, backbone.encode("sketch", x)[layer], atol=1e-5
        )
    add_alignment_state(plain_export, recovered, **_alignment())
    state = read_alignment_state(plain_export)
    assert sorted(state.priors) == ["fc6", "fc7", "pool5"]
    assert {m: hash_tree(plain_export / m) for m in before} == before
    assert "Aligning a new modality" in (plain_export / "README.md").read_text()


def test_recover_backbone_refuses_a_wrong_config(plain_export):
    with pytest.raises(ValueError, match="config does not describe"):
        recover_backbone(plain_export, "sketch", {**CONFIG, "image_size": 40})


def test_added_modality_loads_by_name_and_keeps_others(plain_export, backbone):
    add_alignment_state(plain_export, backbone, **_alignment())
    before = {m: hash_tree(plain_export / m) for m in backbone.modalities}
    doodle = _doodle_backbone(read_alignment_state(plain_export))
    add_modality(plain_export, doodle, "doodle", method="C", metrics={"a": 1})
    manifest = read_manifest(plain_export)
    assert manifest["modalities"][-1] == "doodle"
    assert manifest["inputs"]["doodle"]["kind"] == "image"
    assert manifest["aligned_modalities"]["doodle"]["metrics"] == {"a": 1}
    assert {m: hash_tree(plain_export / m) for m in before} == before
    encoder = load_encoder("tiny", "doodle", search_path=[plain_export.parent])
    x = sample_inputs("sketch", 2)
    np.testing.assert_allclose(
        encoder(x)["fc7"], doodle.encode("doodle", x)["fc7"], atol=1e-5
    )
    with pytest.raises(TypeError, match="'doodle'.*expects uint8"):
        encoder(np.zeros((2, 8, 8, 3), "float32"))


def test_added_modality_name_errors(plain_export, backbone):
    add_alignment_state(plain_export, backbone, **_alignment())
    doodle = _doodle_backbone(read_alignment_state(plain_export))
    with pytest.raises(ValueError, match="already an encoder.*rename"):
        add_modality(plain_export, doodle, "sketch", method="C")
    with pytest.raises(ValueError, match="other than \\['shared'\\]"):
        add_modality(plain_export, doodle, "shared", method="C")
    add_modality(plain_export, doodle, "doodle", method="C")
    with pytest.raises(ValueError, match="overwrite=True"):
        add_modality(plain_export, doodle, "doodle", method="C")
    add_modality(plain_export, doodle, "doodle", method="A", overwrite=True)
    manifest = json.loads((plain_export / "manifest.json").read_text())
    assert manifest["aligned_modalities"]["doodle"]["method"] == "A"
    assert manifest["modalities"].count("doodle") == 1


def test_unlisted_directory_of_a_killed_run_is_replaced(plain_export, backbone):
    add_alignment_state(plain_export, backbone, **_alignment())
    doodle = _doodle_backbone(read_alignment_state(plain_export))
    shutil.copytree(plain_export / "sketch", plain_export / "doodle")
    add_modality(plain_export, doodle, "doodle", method="C")
    encoder = load_encoder(plain_export / "doodle")  # verifies every sha256
    manifest = json.loads((plain_export / "manifest.json").read_text())
    assert manifest["modalities"].count("doodle") == 1
    pixels = np.zeros((2, 9, 9, 3), "uint8")
    assert encoder(pixels)["embedding"].shape[0] == 2


@pytest.mark.skipif(not CHECKER.exists(), reason="outside checker absent")
def test_checker_passes_with_shared_state_and_added_modality(
    plain_export, backbone
):
    add_alignment_state(plain_export, backbone, **_alignment())
    sound = CrossModalBackbone(
        {"sound": backbone.towers["sound"]}, num_classes=3, hidden_dim=8
    )
    restore_upper_layers(
        sound, "sound", read_alignment_state(plain_export).upper_weights, "t"
    )
    shutil.rmtree(plain_export / "sound")
    manifest = read_manifest(plain_export)
    manifest["modalities"].remove("sound")
    del manifest["files"]["sound"]
    (plain_export / "manifest.json").write_text(json.dumps(manifest))
    add_modality(plain_export, sound, "sound", method="A")
    result = subprocess.run(
        [sys.executable, str(CHECKER), str(plain_export.parent)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 encoders load" in result.stdout
