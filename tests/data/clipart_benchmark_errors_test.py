"""Damaged benchmark files are refused naming the file (issue 13 row 10)."""

import hashlib
import json
import shutil

import pytest

from cm_zoo.data import clipart_benchmark


@pytest.fixture
def copy(tmp_path):
    """A private copy of the embedded benchmark's manifest and files."""
    target = tmp_path / "bench"
    shutil.copytree(clipart_benchmark.EMBEDDED_PATH, target)
    return target


def _rehash(root, name):
    manifest = json.loads((root / "manifest.json").read_text())
    data = (root / name).read_bytes()
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    (root / "manifest.json").write_text(json.dumps(manifest))


def test_corrupt_npz_with_updated_hash_names_the_file(copy):
    (copy / "sketch.npz").write_bytes(b"not a zip archive at all")
    _rehash(copy, "sketch.npz")
    with pytest.raises(ValueError, match=r"sketch\.npz' is not a readable"):
        clipart_benchmark.ClipartBenchmark(str(copy))


def test_empty_manifest_names_the_file_and_the_missing_fields(copy):
    (copy / "manifest.json").write_text("{}")
    with pytest.raises(
        ValueError, match=r"manifest\.json' lacks \['class_names'"
    ):
        clipart_benchmark.ClipartBenchmark(str(copy))
    (copy / "manifest.json").write_text('{"class_names": ')
    with pytest.raises(ValueError, match=r"manifest\.json' is not JSON"):
        clipart_benchmark.ClipartBenchmark(str(copy))
