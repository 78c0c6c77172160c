"""Atomic writes of run state: readers see the old file or the new, never half.

Every file a run relies on to resume or to report (backups, checkpoints,
metadata, metrics, priors, exports) is written through these helpers: the
bytes go to a temporary file in the same directory, are flushed and
`fsync`ed, and the temporary file is renamed over the target (`os.replace`,
atomic on POSIX), after which the directory entry is `fsync`ed too. A kill
at any point leaves either the previous complete file or the new complete
one, plus at most a stray `*.partial` file that the next write replaces.

Imports nothing from cm_zoo, so every part of the package may use it.
"""

import contextlib
import json
import os
import pathlib
import shutil
import tempfile

PARTIAL_SUFFIX = ".partial"


def _fsync_directory(directory):
    """Makes a rename in `directory` durable (no-op where unsupported)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # Some filesystems refuse fsync on directories; rename stands.
    finally:
        os.close(handle)


def _fsync_file(path):
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path to write; on success it replaces `path`.

    For writers that take a file name (Keras `save`, `np.savez`, h5py):
    write to the yielded path, and when the block ends without an exception
    the file is fsynced and renamed onto `path`. On an exception the
    temporary file is removed and `path` is untouched. The temporary name
    keeps `path`'s suffixes (`.weights.h5`), so writers that dispatch on
    them still work.

    Args:
        path: str or `pathlib.Path`. The final file. Its parents are created.

    Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "weights.npz"
    >>> with atomic_path(target) as tmp:
    ...     np.savez(tmp, w=np.ones(2))
    >>> sorted(np.load(target))
    ['w']
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent,
        prefix=f".{path.stem}.",
        suffix=f"{PARTIAL_SUFFIX}{''.join(path.suffixes)}",
    )
    os.close(handle)
    temporary = pathlib.Path(temporary)
    try:
        yield temporary
        _fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


@contextlib.contextmanager
def atomic_directory(path):
    """Yields an empty directory to fill; on success it becomes `path`.

    For a folder written file by file (a copy of an export, a data tree):
    the block fills `<path>.partial` beside `path` (a stray one left by a
    killed writer is removed first), and when it ends without an exception
    that directory is renamed onto `path`, which must not exist yet. On an
    exception the partial directory is removed and `path` is untouched, so
    `path` exists only complete.

    Args:
        path: str or `pathlib.Path`. The final directory. Its parents are
            created.

    Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "tree"
    >>> with atomic_directory(target) as partial:
    ...     _ = (partial / "a.txt").write_text("a")
    >>> sorted(p.name for p in target.iterdir())
    ['a.txt']
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        yield partial
        partial.rename(path)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _fsync_directory(path.parent)


def atomic_write_bytes(path, data):
    """Writes `data` to `path` atomically (see the module docstring).

    Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a" / "state.bin"
    >>> atomic_write_bytes(target, b"ok")
    >>> target.read_bytes()
    b'ok'
    """
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically.

    Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> atomic_write_text(target, "done\\n")
    >>> target.read_text()
    'done\\n'
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, value, *, sort_keys=True):
    """Writes `value` as indented JSON to `path` atomically.

    `value` must already be JSON-safe (plain Python numbers, lists, dicts).

    Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "metrics.json"
    >>> atomic_write_json(target, {"b": 1, "a": [0.5]})
    >>> json.loads(target.read_text())
    {'a': [0.5], 'b': 1}
    """
    text = json.dumps(value, indent=2, sort_keys=sort_keys) + "\n"
    atomic_write_text(path, text)


def read_json(path):
    """Reads a JSON file, naming the file if it is missing or not JSON.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: `path` is empty, truncated or otherwise not JSON; the
            message names the file and says what was found.

    Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "torn.json"
    >>> _ = target.write_text('{"a": ')
    >>> try:
    ...     read_json(target)
    ... except ValueError as error:
    ...     print("torn.json" in str(error), "empty" in str(error))
    True False
    """
    path = pathlib.Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        found = "an empty file" if not text.strip() else f"{error.msg}"
        raise ValueError(
            f"Unreadable JSON file {path}: expected a JSON document, found "
            f"{found} (line {error.lineno}, column {error.colno}); it was "
            "probably torn by a killed writer."
        ) from error
