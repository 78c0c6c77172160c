"""Exported encoders: equivalence, Reusable API, manifest, card, checker."""

import hashlib
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.export import export_encoders
from tests.export.export_fixtures import CLASS_NAMES
from tests.export.export_fixtures import sample_inputs

MODALITIES = ("sketch", "description", "sound")
CHECKER = pathlib.Path("/work/shared/tools/check_export_contract.py")


@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("modality", MODALITIES)
def test_reloaded_outputs_equal_backbone(
    backbone, exported, modality, batch_size
):
    _, model_dir = exported
    x = sample_inputs(modality, batch_size)
    reloaded = tf.saved_model.load(str(model_dir / modality))
    expected = backbone.encode(modality, x, training=False)
    for outputs in (
        reloaded(tf.constant(x)),
        reloaded.signatures["serving_default"](**{modality: tf.constant(x)}),
    ):
        assert sorted(outputs) == ["embedding", "fc6", "fc7", "logits", "pool5"]
        for name, value in expected.items():
            assert outputs[name].dtype == tf.float32
            np.testing.assert_allclose(
                outputs[name].numpy(), np.asarray(value), atol=1e-5, rtol=0
            )
        np.testing.assert_array_equal(outputs["embedding"], outputs["fc7"])


def test_reusable_interface_and_training_flag(exported):
    _, model_dir = exported
    reloaded = tf.saved_model.load(str(model_dir / "sketch"))
    trainable = {id(v) for v in reloaded.trainable_variables}
    assert trainable and trainable < {id(v) for v in reloaded.variables}
    assert list(reloaded.regularization_losses) == []
    x = tf.constant(sample_inputs("sketch", 7))
    inference = reloaded(x, training=False)["fc7"].numpy()
    with tf.GradientTape() as tape:
        train = reloaded(x, training=True)["fc7"]
        loss = tf.reduce_sum(train)
    grads = tape.gradient(loss, reloaded.trainable_variables)
    assert all(g is not None for g in grads)
    # Dropout (0.5) is active only in the training trace.
    assert np.mean(train.numpy() == 0) > np.mean(inference == 0)


def test_embedding_width_shared_across_modalities(exported):
    _, model_dir = exported
    widths = {
        m: tf.saved_model.load(str(model_dir / m))(
            tf.constant(sample_inputs(m, 3))
        )["embedding"].shape[1]
        for m in MODALITIES
    }
    assert set(widths.values()) == {8}


def test_manifest_lists_contract_and_every_file_hash(exported):
    _, model_dir = exported
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["model_name"] == "tiny_method_c"
    assert manifest["modalities"] == list(MODALITIES)
    assert manifest["class_names"] == CLASS_NAMES
    assert manifest["embedding"] == {
        "layer": "fc7",
        "width": 8,
        "normalized": False,
    }
    assert manifest["inputs"]["sketch"]["dtype"] == "uint8"
    assert manifest["inputs"]["description"]["shape"] == [None]
    assert manifest["inputs"]["sound"]["sample_rate"] == 16000
    assert manifest["training_data"]["data_manifest_sha256"] == "ab" * 32
    assert manifest["metrics"] == {"sketch->description mAP": 0.25}
    for modality in MODALITIES:
        on_disk = {
            p.relative_to(model_dir / modality).as_posix(): hashlib.sha256(
                p.read_bytes()
            ).hexdigest()
            for p in (model_dir / modality).rglob("*")
            if p.is_file()
        }
        assert "saved_model.pb" in on_disk
        assert manifest["files"][modality] == on_disk


def test_model_card_reports_method_data_and_metrics(exported):
    _, model_dir = exported
    card = (model_dir / "README.md").read_text()
    for text in (
        "CMPlaces Method C (tiny test model)",
        "sketch->description mAP",
        "ab" * 32,
        "## Intended use",
        "## Limits",
        "hub.load",
    ):
        assert text in card
    assert not list(model_dir.parent.glob(".tiny_method_c.*"))


@pytest.mark.skipif(not CHECKER.exists(), reason="outside checker absent")
def test_outside_contract_checker_passes(exported):
    export_dir, _ = exported
    result = subprocess.run(
        [sys.executable, str(CHECKER), str(export_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 encoders load and honour the contract" in result.stdout


def test_existing_target_needs_overwrite(backbone, exported):
    export_dir, _ = exported
    with pytest.raises(ValueError, match="exists; pass `overwrite=True`"):
        export_encoders(
            backbone,
            export_dir,
            model_name="tiny_method_c",
            method="m",
            class_names=CLASS_NAMES,
        )


def test_class_names_must_match_logits(backbone, tmp_path):
    with pytest.raises(ValueError, match="has 2 names but .*num_classes=3"):
        export_encoders(
            backbone,
            tmp_path,
            model_name="m",
            method="m",
            class_names=["a", "b"],
        )
    with pytest.raises(ValueError, match="model_name='../up'"):
        export_encoders(
            backbone,
            tmp_path,
            model_name="../up",
            method="m",
            class_names=CLASS_NAMES,
        )
    with pytest.raises(ValueError, match="`embedding_layer` must be one of"):
        export_encoders(
            backbone,
            tmp_path,
            model_name="m",
            method="m",
            class_names=CLASS_NAMES,
            embedding_layer="conv5",
        )
    assert list(tmp_path.iterdir()) == []


def test_model_card_gives_each_input_spec_and_a_call_that_works(exported):
    _, model_dir = exported
    card = (model_dir / "README.md").read_text()
    assert 'tf.TensorSpec([None, None, None, 3], tf.uint8, name="sketch")' in (
        card
    )
    assert "averaged" in card and "U+FFFD" in card and "(0, width)" in card
    calls = [line for line in card.splitlines() if line.startswith("hub.load(")]
    assert len(calls) == len(MODALITIES)
    hub = pytest.importorskip("tensorflow_hub")
    for call in calls:
        call = call.replace("saved_models/tiny_method_c", str(model_dir))
        embedding = eval(call, {"hub": hub, "tf": tf})  # noqa: S307
        assert tuple(embedding.shape) == (2, 8)


def test_failed_overwrite_keeps_the_previous_export(
    backbone, exported, monkeypatch
):
    export_dir, model_dir = exported
    before = (model_dir / "manifest.json").read_bytes()

    def fail(manifest):
        raise RuntimeError("disk full")

    module = sys.modules["cm_zoo.export.export_encoders"]
    monkeypatch.setattr(module, "render_model_card", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        export_encoders(
            backbone,
            export_dir,
            model_name=model_dir.name,
            method="other",
            class_names=CLASS_NAMES,
            overwrite=True,
        )
    assert (model_dir / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in export_dir.iterdir()) == [model_dir.name]


def test_overwrite_replaces_the_export_and_leaves_no_staging(
    backbone, tmp_path
):
    for method in ("first", "second"):
        model_dir = export_encoders(
            backbone,
            tmp_path,
            model_name="m",
            method=method,
            class_names=CLASS_NAMES,
            overwrite=True,
        )
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["method"] == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
