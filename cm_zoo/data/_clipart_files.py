"""The clip-art benchmark's stored files, read and checked.

Every file is checked against the sha256 that `manifest.json` lists; a
missing, changed or unreadable file, or a manifest lacking a field, is
refused with a `ValueError` naming the file. Sounds are stored as 8-bit
mu-law and decoded here to float32 at 16 kHz. An unknown modality or split
asked of the benchmark is refused here too (`check_choice`).
"""

import hashlib
import io
import json
import os
import zipfile

import numpy as np

SOUND_RATE = 16000
# Manifest fields the loader reads; a manifest lacking one is refused.
MANIFEST_FIELDS = (
    "class_names",
    "source_modality",
    "modalities",
    "holdout_categories",
    "image_size",
    "files",
    "items",
    "sound_storage",
)


def check_choice(name, value, options):
    if value not in options:
        raise ValueError(
            f"Unknown {name} {value!r} for the clip-art benchmark. "
            f"Expected one of {list(options)}."
        )


def read_bytes(file_path, missing_message):
    """The bytes of `file_path`; `ValueError(missing_message)` if absent."""
    if not os.path.isfile(file_path):
        raise ValueError(missing_message)
    with open(file_path, "rb") as f:
        return f.read()


def read_checked(path, name, digest):
    file_path = os.path.join(path, name)
    raw = read_bytes(
        file_path,
        f"Clip-art benchmark file missing: expected {file_path!r} "
        f"(listed in manifest.json), found no such file.",
    )
    found = hashlib.sha256(raw).hexdigest()
    if found != digest:
        raise ValueError(
            f"Clip-art benchmark file {file_path!r} is corrupt: expected "
            f"sha256 {digest}, found {found}."
        )
    return raw


def parse_manifest(manifest_path, raw):
    """The manifest as a dict, refused naming the file if it is unusable."""
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Clip-art benchmark manifest {manifest_path!r} is not JSON: "
            f"{error}."
        ) from None
    missing = [
        key
        for key in MANIFEST_FIELDS
        if not isinstance(manifest, dict) or key not in manifest
    ]
    if missing:
        raise ValueError(
            f"Clip-art benchmark manifest {manifest_path!r} lacks {missing}; "
            "rebuild it with recipes/build_clipart_benchmark.py."
        )
    return manifest


class NpzArrays(dict):
    """The arrays of one `.npz` file; a missing one is named with the file."""

    def __init__(self, file_path, arrays):
        super().__init__(arrays)
        self.file_path = file_path

    def __missing__(self, key):
        raise ValueError(
            f"Clip-art benchmark file {self.file_path!r} has no array "
            f"{key!r}. Found: {sorted(self)}"
        )


def read_npz(path, name, raw):
    """Every array of the `.npz` bytes `raw`, errors naming the file."""
    file_path = os.path.join(path, name)
    try:
        with np.load(io.BytesIO(raw)) as archive:
            return NpzArrays(file_path, {k: archive[k] for k in archive.files})
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ValueError(
            f"Clip-art benchmark file {file_path!r} is not a readable .npz "
            f"archive ({type(error).__name__}: {error}). Its sha256 matches "
            "manifest.json, so it was damaged before the hash was recorded "
            "or both were changed; rebuild the benchmark with "
            "recipes/build_clipart_benchmark.py."
        ) from error


def decode_sound(mulaw, offsets, rate):
    """8-bit mu-law at `rate` -> float32 [N, samples] at 16 kHz, padded.

    Upsampling is linear interpolation (the stored band ends at rate / 2).
    """
    mu = 255.0
    y = mulaw.astype(np.float32) / mu * 2.0 - 1.0
    audio = np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu
    factor = SOUND_RATE / rate
    clips = []
    for start, stop in zip(offsets[:-1], offsets[1:]):
        clip = audio[start:stop]
        times = np.arange(int(round(clip.size * factor))) / factor
        clips.append(np.interp(times, np.arange(clip.size), clip))
    out = np.zeros((len(clips), max(c.size for c in clips)), np.float32)
    for row, clip in zip(out, clips):
        row[: clip.size] = clip
    return out
