"""`manifest.json` of an exported model: reading, file hashes, verification.

Every file of every exported SavedModel is listed with its sha256 under
`files[<modality>][<path relative to the modality dir>]`, so a loader can
refuse a tampered, truncated or incomplete export before TensorFlow parses
it.
"""

import hashlib
import pathlib

from cm_zoo import atomic_files

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
_CHUNK_BYTES = 1 << 20
# What a loader reads from a manifest, with the JSON type each must have.
REQUIRED_FIELDS = {
    "model_name": str,
    "modalities": list,
    "class_names": list,
    "inputs": dict,
    "embedding": dict,
    "output_widths": dict,
    "files": dict,
}


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
    """Writes `model_dir/manifest.json` atomically (sorted, indented)."""
    path = pathlib.Path(model_dir) / MANIFEST_NAME
    atomic_files.atomic_write_json(path, manifest)
    return path


def read_manifest(model_dir):
    """Reads `model_dir/manifest.json` and checks its fields' presence.

    Raises:
        ValueError: if the file is missing, is not JSON (torn or edited),
            or lacks a field of `REQUIRED_FIELDS` or has it of the wrong
            type; the message names the file and the fields.
    """
    path = pathlib.Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ValueError(
            f"No {MANIFEST_NAME} in {str(model_dir)!r}: not a cm_zoo export "
            "(expected <export_dir>/<model_name>/manifest.json beside one "
            "directory per modality)."
        )
    try:
        manifest = atomic_files.read_json(path)
    except UnicodeDecodeError as error:
        raise ValueError(
            f"Unreadable manifest {str(path)!r}: not UTF-8 ({error})."
        ) from None
    if not isinstance(manifest, dict):
        raise ValueError(
            f"Manifest {str(path)!r} must be a JSON object. Received: "
            f"{type(manifest).__name__}"
        )
    _check_fields(manifest, path)
    return manifest


def _check_fields(manifest, path):
    """Raises naming every missing or mistyped field of `REQUIRED_FIELDS`."""
    problems = [
        f"`{key}` ({kind.__name__}) is "
        + (
            "missing"
            if key not in manifest
            else f"a {type(manifest[key]).__name__}"
        )
        for key, kind in REQUIRED_FIELDS.items()
        if not isinstance(manifest.get(key), kind)
    ]
    if problems:
        raise ValueError(
            f"Manifest {str(path)!r} is not a cm_zoo export manifest: "
            f"{'; '.join(problems)}. Found keys: {sorted(manifest)}. "
            "Re-export the model (cm_zoo.export.export_encoders)."
        )


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
