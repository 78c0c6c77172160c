"""Private `.npz` helpers shared by the prior classes and `load_prior`."""

import os

import numpy as np


def save_npz(path, kind, arrays):
    """Writes `arrays` and a `kind` field to `path` (`.npz` is appended)."""
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    np.savez(path, kind=np.array(kind), **arrays)
    return path


def read_npz(path):
    """Returns `(kind, {name: array})` from a file written by `save_npz`."""
    path = os.fspath(path)
    with np.load(path, allow_pickle=False) as data:
        if "kind" not in data.files:
            raise ValueError(
                f"`{path}` is not a StatReg prior file: it has no `kind` "
                f"field. Found fields: {sorted(data.files)}"
            )
        arrays = {name: data[name] for name in data.files if name != "kind"}
        return str(data["kind"]), arrays


def check_fields(path, kind, arrays, expected):
    """Raises if `arrays` lacks any of the `expected` field names."""
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise ValueError(
            f"`{path}` holds a {kind!r} prior without the fields {missing}. "
            f"Found fields: {sorted(arrays)}"
        )
