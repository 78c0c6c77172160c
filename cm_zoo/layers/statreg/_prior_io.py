"""Private `.npz` state files of StatReg: priors and EM checkpoints.

Writes are atomic (`cm_zoo.atomic_files`: write, fsync, rename), and the
readable file they replace is kept beside the new one as
`<name>.previous.npz`. A reader that finds the newest file torn or corrupt
warns, naming it, and reads that previous copy instead.
"""

import io
import os
import warnings
import zipfile

import numpy as np

from cm_zoo import atomic_files

PREVIOUS_SUFFIX = ".previous.npz"
# What `np.load` raises for a truncated, empty or garbled `.npz`.
_UNREADABLE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile)


def npz_path(path):
    """`path` as a str ending in `.npz`."""
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def previous_path(path):
    """Where the copy replaced by the last write of `path` is kept."""
    return npz_path(path)[: -len(".npz")] + PREVIOUS_SUFFIX


def save_npz(path, kind, arrays):
    """Writes `arrays` and a `kind` field to `path` atomically.

    A `.npz` suffix is appended if missing. A readable file already at the
    path is first copied (atomically) to `previous_path(path)`.

    Returns:
        The path written.
    """
    path = npz_path(path)
    if os.path.exists(path):
        with open(path, "rb") as f:
            current = f.read()
        if _read_bytes(current) is not None:
            atomic_files.atomic_write_bytes(previous_path(path), current)
    buffer = io.BytesIO()
    np.savez(buffer, kind=np.array(kind), **arrays)
    atomic_files.atomic_write_bytes(path, buffer.getvalue())
    return path


def read_npz(path):
    """Returns `(kind, {name: array})` from a file written by `save_npz`.

    Falls back to the previous copy, with a `RuntimeWarning` naming the
    unreadable file, when the newest one is torn or corrupt.

    Raises:
        FileNotFoundError: neither the file nor a previous copy exists.
        ValueError: no copy is readable (the message names the file and
            what was found), or the file has no `kind` field.
    """
    path = os.fspath(path)
    reason = _try_read(path)
    if not isinstance(reason, str):
        return _with_kind(path, reason)
    previous = previous_path(path)
    found = _try_read(previous) if os.path.exists(previous) else None
    if isinstance(found, dict):
        warnings.warn(
            f"StatReg state file {path} is unreadable ({reason}); using the "
            f"previous copy {previous}.",
            RuntimeWarning,
            stacklevel=2,
        )
        return _with_kind(previous, found)
    raise ValueError(
        f"StatReg state file {path} is unreadable: expected an `.npz` "
        f"archive, found {reason}; it was probably torn by a killed writer, "
        f"and there is no readable previous copy ({previous})."
    )


def _try_read(path):
    """`{name: array}`, or a str saying why `path` cannot be read."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        if os.path.exists(previous_path(path)):
            return "no such file"
        raise
    arrays = _read_bytes(data)
    if arrays is None:
        return "an empty file" if not data else "a truncated or corrupt file"
    return arrays


def _read_bytes(data):
    """The arrays of an `.npz` held in `data`, or None if unreadable."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except _UNREADABLE:
        return None


def _with_kind(path, arrays):
    if "kind" not in arrays:
        raise ValueError(
            f"`{path}` is not a StatReg prior file: it has no `kind` "
            f"field. Found fields: {sorted(arrays)}"
        )
    kind = str(arrays.pop("kind"))
    return kind, arrays


def check_fields(path, kind, arrays, expected):
    """Raises if `arrays` lacks any of the `expected` field names."""
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise ValueError(
            f"`{path}` holds a {kind!r} prior without the fields {missing}. "
            f"Found fields: {sorted(arrays)}"
        )
