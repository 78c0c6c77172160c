import keras
import numpy as np
import pytest

from cm_zoo import presets
from cm_zoo.export import export_encoders
from cm_zoo.export import load_encoder
from cm_zoo.export import read_alignment_state
from cm_zoo.export import read_manifest
from cm_zoo.export.alignment_state import upper_layer_weights
from cm_zoo.models.cmplaces import build_cmplaces_backbone
from cm_zoo.runs import alignment_export
from cm_zoo.runs.modality_alignment import alignment_retrieval
from tests.runs.tiny_export import CLASSES
from tests.runs.tiny_export import images
from tests.runs.tiny_export import write_export


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("saved_models")
    write_export(root)
    return root / "tiny"


def test_model_to_align_is_the_export_or_its_copy_made_once(tiny, tmp_path):
    assert alignment_export.model_to_align(str(tiny)) == tiny
    copy = alignment_export.model_to_align(tiny, tmp_path / "copy")
    assert read_manifest(copy)["model_name"] == "copy"
    assert (
        read_manifest(copy)["modalities"] == read_manifest(tiny)["modalities"]
    )
    (copy / "marker").write_text("kept")
    alignment_export.model_to_align(tiny, copy)
    assert (copy / "marker").is_file()  # not copied again
    with pytest.raises(ValueError, match=r"'nowhere': no export; shipped:"):
        alignment_export.model_to_align("nowhere")


def test_tower_defaults_to_the_source_image_tower_or_the_modality():
    tower = alignment_export.alignment_tower
    assert tower("thermal", None, "clipart") == "clipart"
    assert tower("thermal", "image", "description") == "sketch"
    assert tower("sound", None, "clipart") == "sound"
    with pytest.raises(ValueError, match="'radar': expected image or one"):
        tower("thermal", "radar", "clipart")


def test_new_tower_trains_under_the_exported_layers_and_exports(tiny, tmp_path):
    model_dir = alignment_export.model_to_align(tiny, tmp_path / "model")
    state = read_alignment_state(model_dir)
    keras.utils.set_random_seed(1)
    aligned = alignment_export.build_aligned_backbone(
        model_dir, state, "clipart", "doodle", "see_hear_read_alexnet_tiny"
    )
    assert (aligned.key, aligned.kind) == ("sketch", "image")
    restored = upper_layer_weights(aligned.backbone, aligned.key)
    for name, value in state.upper_weights.items():
        np.testing.assert_array_equal(restored[name], value)
    x = images([0, 1, 2], seed=3)
    shipped = load_encoder(model_dir, "clipart")(x)["fc7"].numpy()
    start = aligned.backbone.predict({"sketch": x}, verbose=0)["sketch_fc7"]
    np.testing.assert_allclose(start, shipped, atol=1e-5)  # tower + upper
    target = alignment_export.export_aligned_modality(
        model_dir, aligned, "doodle", method="A", training_data={"seed": 1}
    )
    assert target == model_dir / "doodle"
    entry = read_manifest(model_dir)["aligned_modalities"]["doodle"]
    assert entry["method"].startswith("A:")
    labels = np.repeat(np.arange(3), 4)
    items = {m: (images(labels, seed=4), labels) for m in ("doodle", "clipart")}
    scores = alignment_export.encoder_retrieval(
        model_dir, "doodle", items, batch_size=5
    )
    assert sorted(scores["pairs"]) == ["clipart->doodle", "doodle->clipart"]
    whole = {
        m: (load_encoder(model_dir, m)(x)["embedding"].numpy(), y)
        for m, (x, y) in items.items()
    }
    expected = alignment_retrieval("doodle", whole)
    assert scores["mean_map"] == pytest.approx(expected["mean_map"])


@pytest.mark.large
def test_recovered_state_holds_the_exported_layers_and_fitted_priors(
    tmp_path,
):
    config = presets.get("cmplaces_alexnet_tiny").config(
        num_classes=len(CLASSES)
    )
    keras.utils.set_random_seed(0)
    backbone = build_cmplaces_backbone(config, ["clipart", "description"])
    export_encoders(
        backbone,
        tmp_path,
        model_name="plain",
        method="C",
        class_names=CLASSES,
        training_data={"preset": "cmplaces_alexnet_tiny"},
    )
    x = images(np.repeat(np.arange(3), 6), seed=2)
    alignment_export.recover_alignment_state(
        tmp_path / "plain", "clipart", x, num_components=2
    )
    state = read_alignment_state(tmp_path / "plain")
    assert state.source_modality == "clipart"
    expected = upper_layer_weights(backbone, "clipart")
    assert sorted(state.upper_weights) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(state.upper_weights[name], value)
    assert {layer: prior.dim for layer, prior in state.priors.items()} == {
        "pool5": backbone.layer_widths["pool5"],
        "fc6": config["hidden_dim"],
        "fc7": config["hidden_dim"],
    }
