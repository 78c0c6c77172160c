"""Loading exports: hashes, damaged files, input errors, no cm_zoo needed."""

import hashlib
import json
import os
import pathlib
import shutil
import site
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cm_zoo.export import load_encoder


@pytest.fixture
def model_copy(exported, tmp_path):
    """A private copy of the export that a test may damage."""
    _, model_dir = exported
    return pathlib.Path(shutil.copytree(model_dir, tmp_path / model_dir.name))


def test_loaded_encoder_embeds(exported, backbone):
    _, model_dir = exported
    encoder = load_encoder(model_dir / "description")
    outputs = encoder(["a red bird on a branch", "", "SAXOPHONE!!"])
    expected = backbone.encode(
        "description", np.array(["a red bird on a branch", "", "SAXOPHONE!!"])
    )
    np.testing.assert_allclose(outputs["fc7"], expected["fc7"], atol=1e-5)
    assert encoder.manifest["model_name"] == "tiny_method_c"
    assert len(encoder.trainable_variables) > 0


def test_training_flag_picks_the_training_graph(exported, backbone):
    _, model_dir = exported
    encoder = load_encoder(model_dir / "sketch")
    pixels = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3))
    pixels = pixels.astype("uint8")
    inference = backbone.encode("sketch", pixels, training=False)["fc7"]
    for training in (False, 0, None):
        np.testing.assert_allclose(
            encoder(pixels, training=training)["fc7"], inference, atol=1e-5
        )
    # fc6 dropout (0.5) runs only in the training graph.
    trained = encoder(pixels, training=True)["fc7"].numpy()
    assert np.abs(trained - inference.numpy()).max() > 1e-3


def test_tampered_variables_file_is_refused(model_copy):
    data = model_copy / "sketch" / "variables" / "variables.data-00000-of-00001"
    payload = bytearray(data.read_bytes())
    payload[-1] ^= 0xFF
    data.write_bytes(bytes(payload))
    with pytest.raises(
        ValueError, match="variables.data-00000-of-00001.*sha256"
    ):
        load_encoder(model_copy / "sketch")
    load_encoder(model_copy / "sound")  # the other encoders stay usable


def test_truncated_saved_model_pb_gives_clear_error(model_copy):
    proto = model_copy / "sketch" / "saved_model.pb"
    proto.write_bytes(proto.read_bytes()[: proto.stat().st_size // 2])
    with pytest.raises(ValueError, match="saved_model.pb' does not match"):
        load_encoder(model_copy / "sketch")
    with pytest.raises(
        ValueError, match="Cannot load the SavedModel in .*sketch"
    ):
        load_encoder(model_copy / "sketch", verify=False)


def test_truncated_variables_without_verify_gives_clear_error(model_copy):
    data = model_copy / "sound" / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(
        ValueError, match="Cannot load the SavedModel in .*sound"
    ):
        load_encoder(model_copy / "sound", verify=False)


def test_missing_and_unlisted_files_are_refused(model_copy):
    (model_copy / "sound" / "variables" / "variables.index").unlink()
    with pytest.raises(
        ValueError, match="variables.index' is listed .* missing"
    ):
        load_encoder(model_copy / "sound")
    (model_copy / "sketch" / "assets" / "extra.txt").write_text("hi")
    with pytest.raises(ValueError, match="extra.txt' is not listed"):
        load_encoder(model_copy / "sketch")
    (model_copy / "manifest.json").unlink()
    with pytest.raises(ValueError, match="No manifest.json in"):
        load_encoder(model_copy / "description")


@pytest.mark.parametrize(
    "modality, bad, error, message",
    [
        (
            "sketch",
            np.zeros((2, 9, 9, 3), "int64"),
            TypeError,
            r"'sketch' encoder .* expects uint8 \[batch, height, width, 3\]\. "
            r"Received: int64 of shape \(2, 9, 9, 3\)",
        ),
        (
            "sketch",
            np.zeros((9, 9, 3), "uint8"),
            ValueError,
            r"'sketch' .* \(rank 4\)\. Received: uint8 of shape \(9, 9, 3\)",
        ),
        (
            "sketch",
            np.zeros((1, 9, 9, 4), "uint8"),
            ValueError,
            r"expects uint8 \[batch, height, width, 3\]",
        ),
        (
            "description",
            np.zeros((2, 4), "float32"),
            TypeError,
            r"'description' .* expects string \[batch\]\. Received: float32",
        ),
        (
            "description",
            np.array([["a", "b"]]),
            ValueError,
            r"'description' .* \(rank 1\)\. Received: string of shape \(1, 2\)",
        ),
        (
            "sound",
            np.zeros((2, 100), "float64"),
            TypeError,
            r"'sound' .* float32 \[batch, samples\]\. Received: float64",
        ),
        (
            "sound",
            np.zeros((100,), "float32"),
            ValueError,
            r"'sound' .* \(rank 2\)\. Received: float32 of shape \(100,\)",
        ),
    ],
)
def test_wrong_dtype_or_rank_names_modality(
    exported, modality, bad, error, message
):
    _, model_dir = exported
    encoder = load_encoder(model_dir / modality)
    with pytest.raises(error, match=message):
        encoder(bad)


_CLEAN_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, pathlib, sys
    sys.path.extend(json.loads(sys.argv[2]))
    try:
        import cm_zoo  # noqa: F401
    except ModuleNotFoundError:
        pass
    else:
        raise SystemExit("cm_zoo is importable in the clean process")
    import numpy as np
    import tensorflow as tf
    import tensorflow_hub as hub

    model_dir = pathlib.Path(sys.argv[1])
    manifest = json.loads((model_dir / "manifest.json").read_text())
    rng = np.random.default_rng(1)
    inputs = {
        "sketch": rng.integers(0, 256, (3, 70, 45, 3)).astype("uint8"),
        "description": np.array(["a red bird", "", "SAXOPHONE!!"]),
        "sound": rng.uniform(-1, 1, (3, 20000)).astype("float32"),
    }
    width = manifest["embedding"]["width"]
    for modality in manifest["modalities"]:
        for name, digest in manifest["files"][modality].items():
            data = (model_dir / modality / name).read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                raise SystemExit(f"hash mismatch: {modality}/{name}")
        encoder = hub.load(str(model_dir / modality))
        embedding = encoder(tf.constant(inputs[modality]))["embedding"]
        if embedding.dtype != tf.float32 or embedding.shape != (3, width):
            raise SystemExit(f"{modality}: {embedding.dtype} {embedding.shape}")
        if not np.isfinite(embedding.numpy()).all():
            raise SystemExit(f"{modality}: non-finite embedding")
        print("embedded", modality)
    """
)


def test_hub_load_in_clean_process_without_cm_zoo(exported, tmp_path):
    _, model_dir = exported
    # Site-packages without processing its .pth files: the editable install
    # of cm_zoo is a .pth path hook, so it stays out.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "CUDA_VISIBLE_DEVICES": "",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _CLEAN_SCRIPT,
            str(model_dir),
            json.dumps(site.getsitepackages()),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for modality in ("sketch", "description", "sound"):
        assert f"embedded {modality}" in result.stdout


def _edit_manifest(model_dir, edit):
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda m: m["output_widths"].update(embedding=999),
            r"`output_widths` is .*'embedding': 999.* but the SavedModel has",
        ),
        (
            lambda m: m["embedding"].update(width=999),
            r"`embedding.width` is 999 but the SavedModel has 8",
        ),
        (
            lambda m: m["class_names"].append("extra"),
            r"`len\(class_names\)` is 4 but the SavedModel has 3",
        ),
        (
            lambda m: m["inputs"]["sound"].update(dtype="float64"),
            r"`inputs.sound` is .*float64",
        ),
    ],
)
def test_manifest_that_misdescribes_the_saved_model_is_refused(
    model_copy, edit, message
):
    _edit_manifest(model_copy, edit)
    with pytest.raises(ValueError, match="does not describe the SavedModel"):
        load_encoder(model_copy / "sound")
    with pytest.raises(ValueError, match=message):
        load_encoder(model_copy / "sound")


@pytest.mark.parametrize("content", ["{}", '{"files": {}}', "[1]", '{"a": '])
def test_incomplete_or_torn_manifest_names_file_and_fields(model_copy, content):
    (model_copy / "manifest.json").write_text(content)
    with pytest.raises(ValueError, match=r"manifest\.json") as caught:
        load_encoder(model_copy / "sketch")
    if content == "{}":
        assert "`class_names` (list) is missing" in str(caught.value)
        assert "`output_widths` (dict) is missing" in str(caught.value)


def test_flipped_bit_with_recomputed_hash_gives_an_honest_hint(model_copy):
    data = model_copy / "sketch" / "variables" / "variables.index"
    payload = bytearray(data.read_bytes())
    payload[len(payload) // 2] ^= 0x01
    data.write_bytes(bytes(payload))
    digest = hashlib.sha256(bytes(payload)).hexdigest()
    _edit_manifest(
        model_copy,
        lambda m: m["files"]["sketch"].update(
            {"variables/variables.index": digest}
        ),
    )
    with pytest.raises(ValueError, match="Cannot load") as caught:
        load_encoder(model_copy / "sketch")
    assert "files match manifest.json" in str(caught.value)
    assert "re-export" in str(caught.value)
    assert "load with verify=True" not in str(caught.value).lower()


def test_models_load_by_name_from_a_search_path(exported):
    export_dir, model_dir = exported
    by_path = load_encoder(model_dir / "sketch")
    by_dir = load_encoder(model_dir, "sketch")
    by_name = load_encoder("tiny_method_c", "sketch", search_path=[export_dir])
    x = np.zeros((1, 9, 9, 3), "uint8")
    for encoder in (by_dir, by_name):
        assert encoder.path == by_path.path
        np.testing.assert_array_equal(
            encoder(x)["embedding"], by_path(x)["embedding"]
        )
    with pytest.raises(ValueError, match=r"Available .*\['tiny_method_c'\]"):
        load_encoder("no_such_model", "sketch", search_path=[export_dir])
    with pytest.raises(ValueError, match="not an encoder of .* Listed"):
        load_encoder("tiny_method_c", "clipart", search_path=[export_dir])
