"""recipes/align_modality.py: a new modality aligned to a tiny export."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import align_modality
import numpy as np
import pytest
from PIL import Image

from cm_zoo.export import load_encoder
from cm_zoo.export import read_manifest
from cm_zoo.export.manifest import hash_tree
from cm_zoo.runs.alignment_data import read_labelled_data
from tests.runs.tiny_export import CLASSES
from tests.runs.tiny_export import images
from tests.runs.tiny_export import write_export

ROOT = pathlib.Path(__file__).parents[2]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    """A tiny clipart/description export carrying shared layers, priors."""
    root = tmp_path_factory.mktemp("saved_models")
    write_export(root)
    return root


def _class_folders(root, per_class=4, seed=0):
    for label, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for i, image in enumerate(images([label] * per_class, seed + label)):
            Image.fromarray(image).save(root / name / f"{i}.png")
    return root


def _tiny_flags(export_dir, data, work_dir):
    """The recipe's flags for a two-epoch doodle alignment to the export."""
    return [
        "--to",
        str(export_dir / "tiny"),
        "--modality",
        "doodle",
        "--data",
        str(data),
        "--epochs",
        "2",
        "--steps-per-epoch",
        "2",
        "--batch-size",
        "4",
        "--work-dir",
        str(work_dir),
    ]


def _run(export_dir, tmp_path, *extra):
    data = _class_folders(tmp_path / "data")
    return align_modality.main(
        [*_tiny_flags(export_dir, data, tmp_path / "work"), *extra]
    )


@pytest.mark.large
def test_one_command_aligns_and_exports_leaving_encoders_unchanged(
    export_dir, tmp_path
):
    before = {
        m: hash_tree(export_dir / "tiny" / m)
        for m in ("clipart", "description")
    }
    output = tmp_path / "out" / "tiny_doodle"
    eval_data = _class_folders(tmp_path / "eval", seed=10)
    clipart = _class_folders(tmp_path / "eval_clipart", seed=20)
    target = _run(
        export_dir,
        tmp_path,
        "--output",
        str(output),
        "--eval-data",
        str(eval_data),
        "--eval-shipped",
        f"clipart={clipart}",
    )
    assert target == output / "doodle"
    assert {m: hash_tree(output / m) for m in before} == before
    assert not (export_dir / "tiny" / "doodle").exists()  # --output copy
    manifest = read_manifest(output)
    assert manifest["modalities"] == ["clipart", "description", "doodle"]
    metrics = manifest["aligned_modalities"]["doodle"]["metrics"]
    assert set(metrics["pairs"]) == {"doodle->clipart", "clipart->doodle"}
    assert metrics["mean_map"] > metrics["mean_chance_map"]
    encoder = load_encoder("tiny_doodle", "doodle", search_path=[output.parent])
    saved = {v.name.split(":")[0]: v.numpy() for v in encoder.variables}
    with np.load(output / "shared" / "upper_layers.npz") as shipped:
        for name in ("fc6/dense/kernel", "fc7/dense/bias", "classifier/kernel"):
            np.testing.assert_array_equal(
                saved[name], shipped[name]
            )  # C: frozen
    assert (
        "`doodle` was added after training"
        in (output / "README.md").read_text()
    )


def test_folder_errors_name_the_class_and_the_file(tmp_path):
    data = _class_folders(tmp_path / "data", per_class=2)
    (data / "bedroom").mkdir()
    with pytest.raises(ValueError, match=r"\['bedroom'\] are not classes"):
        read_labelled_data(str(data), "image", CLASSES, list_dir=str(tmp_path))
    (data / "bedroom").rmdir()
    for png in (data / "forest").iterdir():
        png.unlink()
    with pytest.raises(ValueError, match=r"forest' is empty"):
        read_labelled_data(str(data), "image", CLASSES, list_dir=str(tmp_path))


def test_unreadable_files_raise_by_name_or_are_counted(tmp_path):
    data = _class_folders(tmp_path / "data", per_class=2)
    (data / "beach" / "torn.png").write_bytes(b"\x89PNG\r\n")
    with pytest.raises(ValueError, match=r"torn\.png.*--on-corrupt skip"):
        read_labelled_data(
            str(data), "image", CLASSES, list_dir=str(tmp_path), image_size=16
        )
    items = read_labelled_data(
        str(data),
        "image",
        CLASSES,
        list_dir=str(tmp_path),
        image_size=16,
        on_corrupt="skip",
    )
    assert len(items.y) == 6 and items.x.shape == (6, 16, 16, 3)
    assert [pathlib.Path(p).name for p, _ in items.skipped] == ["torn.png"]


def test_list_file_unknown_label_and_text_lines(tmp_path):
    (tmp_path / "a.txt").write_text("waves on sand\n\nsea gulls\n")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe bad")
    (tmp_path / "list.txt").write_text("a.txt beach\nb.txt library\n")
    items = read_labelled_data(
        str(tmp_path / "list.txt"),
        "description",
        CLASSES,
        list_dir=str(tmp_path),
        on_corrupt="skip",
        lines_as_items=True,
    )
    assert items.x.tolist() == ["waves on sand", "sea gulls"]
    assert items.y.tolist() == [0, 0] and len(items.skipped) == 1
    (tmp_path / "list.txt").write_text("a.txt bedroom\n")
    with pytest.raises(ValueError, match="Unknown label 'bedroom'.*list.txt:1"):
        read_labelled_data(
            str(tmp_path / "list.txt"), "description", CLASSES, list_dir="x"
        )


def test_unknown_method_and_missing_flags(export_dir, tmp_path):
    with pytest.raises(SystemExit):
        align_modality.parse_args(["--to", "x"])
    with pytest.raises(ValueError, match="Unknown alignment method 'D'"):
        _run(export_dir, tmp_path, "--method", "D")


WRAPPER = textwrap.dedent(
    """
    import os, runpy, signal, sys
    import tensorflow as tf

    # SIGKILLs this process right after its first training checkpoint.
    save = tf.train.CheckpointManager.save

    def save_then_die(self, *args, **kwargs):
        path = save(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    tf.train.CheckpointManager.save = save_then_die
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(sys.argv[0]))  # as `python recipe`
    runpy.run_path(sys.argv[0], run_name="__main__")
    """
)


@pytest.mark.large
def test_killed_run_resumes_to_the_uninterrupted_encoder(export_dir, tmp_path):
    data = _class_folders(tmp_path / "data")
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER)

    def command(name, work):
        return [
            str(ROOT / "recipes" / "align_modality.py"),
            *_tiny_flags(export_dir, data, tmp_path / work),
            "--output",
            str(tmp_path / name / "tiny"),
            "--method",
            "A",
        ]

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(
        [sys.executable, str(wrapper), *command("cut", "w_cut")],
        env=env,
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "cut" / "tiny" / "doodle").exists()
    whole = subprocess.run(
        [sys.executable, *command("whole", "w")], env=env, timeout=600
    )
    assert whole.returncode == 0
    resumed = subprocess.run(
        [sys.executable, *command("cut", "w_cut")],
        env=env,
        timeout=600,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    x = images([0, 1, 2], seed=5)
    whole = load_encoder(tmp_path / "whole" / "tiny" / "doodle")(x)
    cut = load_encoder(tmp_path / "cut" / "tiny" / "doodle")(x)
    np.testing.assert_allclose(cut["fc7"], whole["fc7"], atol=1e-5)
    assert json.loads(
        (tmp_path / "cut" / "tiny" / "manifest.json").read_text()
    )["aligned_modalities"]["doodle"]["method"].startswith("A:")
