"""`manifest.json` of an exported model: reading, file hashes, verification.

Every file of every exported SavedModel is listed with its sha256 under
`files[<modality>][<path relative to the modality dir>]`, so a loader can
refuse a tampered, truncated or incomplete export before TensorFlow parses
it.
"""

import hashlib
import json
import pathlib

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
_CHUNK_BYTES = 1 << 20


def sha256_file(path):
    """Returns the hex sha256 of the file at `path`, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_tree(directory):
    """Returns `{relative posix path: sha256}` of every file under it."""
    directory = pathlib.Path(directory)
    return {
        path.relative_to(directory).as_posix(): sha256_file(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def write_manifest(model_dir, manifest):
    """Writes `manifest` as `model_dir/manifest.json` (sorted, indented)."""
    path = pathlib.Path(model_dir) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def read_manifest(model_dir):
    """Reads `model_dir/manifest.json`.

    Raises:
        ValueError: if the file is missing or is not a JSON object with a
            `files` table.
    """
    path = pathlib.Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ValueError(
            f"No {MANIFEST_NAME} in {str(model_dir)!r}: not a cm_zoo export "
            "(expected <export_dir>/<model_name>/manifest.json beside one "
            "directory per modality)."
        )
    try:
        manifest = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Unreadable manifest {str(path)!r}: {error}"
        ) from None
    if not isinstance(manifest, dict) or not isinstance(
        manifest.get("files"), dict
    ):
        raise ValueError(
            f"Manifest {str(path)!r} has no `files` table of sha256 hashes."
        )
    return manifest


def verify_files(encoder_dir, expected):
    """Checks the files of one SavedModel against their manifest hashes.

    Args:
        encoder_dir: path. The modality's SavedModel directory.
        expected: dict. `{relative path: sha256}` from the manifest.

    Raises:
        ValueError: naming the first missing, unlisted or altered file.
    """
    encoder_dir = pathlib.Path(encoder_dir)
    found = {
        path.relative_to(encoder_dir).as_posix()
        for path in encoder_dir.rglob("*")
        if path.is_file()
    }
    missing = sorted(set(expected) - found)
    if missing:
        raise ValueError(
            f"Export file {str(encoder_dir / missing[0])!r} is listed in the "
            "manifest but missing."
        )
    unlisted = sorted(found - set(expected))
    if unlisted:
        raise ValueError(
            f"Export file {str(encoder_dir / unlisted[0])!r} is not listed "
            "in the manifest; refusing a modified export."
        )
    for name in sorted(expected):
        if sha256_file(encoder_dir / name) != expected[name]:
            raise ValueError(
                f"Export file {str(encoder_dir / name)!r} does not match its "
                "sha256 in manifest.json: it is corrupt, truncated or was "
                "modified after export."
            )
