"""Writing a directory of an export whole or not at all (stage, fsync,
rename), so a killed writer leaves the previous version in place."""

import contextlib
import os
import pathlib
import shutil
import tempfile


@contextlib.contextmanager
def staging_directory(target, parent=None):
    """Yields a fresh hidden directory `.<target name>.*`, removed on exit.

    Write the new contents there, then `publish(staging, target)`; whatever
    is left unpublished (an error, a kill before the rename) never becomes
    `target`. `parent` (default: `target`'s) must be on the same file
    system; a directory added inside an export is staged beside the export,
    so a killed writer leaves no stray file inside it.
    """
    target = pathlib.Path(target)
    parent = pathlib.Path(parent or target.parent)
    parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(
        tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent)
    )
    staging.chmod(parent.stat().st_mode & 0o777)  # not mkdtemp's 700
    try:
        yield staging
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def publish(staging, target):
    """Makes the complete `staging` tree durable, then renames it `target`.

    Every file and directory is fsynced first, so a crash after the rename
    cannot leave an export with torn files. An existing `target` is moved
    aside before the rename and deleted after it: a reader sees the old
    version or the new one, and a kill between the two renames leaves the
    old one whole under `.<name>.previous.*` beside it.
    """
    staging, target = pathlib.Path(staging), pathlib.Path(target)
    for path in sorted(staging.rglob("*"), reverse=True):
        _fsync(path)
    _fsync(staging)
    previous = None
    if target.exists():
        previous = pathlib.Path(
            tempfile.mkdtemp(
                prefix=f".{target.name}.previous.", dir=target.parent
            )
        )
        target.rename(previous / target.name)
    staging.rename(target)
    _fsync(target.parent)
    if previous is not None:
        shutil.rmtree(previous)


def _fsync(path):
    """fsyncs a file or directory (directories where the OS allows it)."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(handle)
