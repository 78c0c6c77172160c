"""SIGKILL in every phase plus a torn newest file still resumes exactly.

`recipes/train_cmplaces.py` (Method C, tiny settings) runs once without
interruption. Another output directory goes through a chain of runs of the
same command, each SIGKILLed right after a chosen checkpoint is written
(deterministic: a wrapper kills its own process after the n-th write of
run state into a directory), after which the newest state file of that
phase is damaged:

1. source training: the newest checkpoint's data file emptied (0 bytes);
2. EM fit of the GMM prior: the newest EM state file's bytes flipped;
3. Method C, frozen phase: the checkpoint list emptied (0 bytes);
4. Method C, released phase: the newest checkpoint's index cut in half.

The last rerun must end with the priors, weights and metrics (history
included) of the uninterrupted run, and every damaged file must have been
reported by name rather than stopping a run.
"""

import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.recipes.saved_weights import weight_arrays

ROOT = pathlib.Path(__file__).parents[2]
RECIPE = ROOT / "recipes" / "train_cmplaces.py"

WRAPPER = textwrap.dedent(
    """
    import os, runpy, signal, sys
    import tensorflow as tf

    # Kills this process right after the n-th write of run state into a
    # directory: a TensorFlow checkpoint, or a file that cm_zoo.atomic_files
    # renames into place (EM state, priors).
    directory, count, recipe = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    writes = []

    def wrote(path):
        if os.path.normpath(os.path.dirname(path)).endswith(directory):
            writes.append(path)
            if len(writes) == count:
                os.kill(os.getpid(), signal.SIGKILL)

    save, replace = tf.train.CheckpointManager.save, os.replace

    def save_then_count(self, *args, **kwargs):
        path = save(self, *args, **kwargs)
        wrote(path)
        return path

    def replace_then_count(source, target, **kwargs):
        replace(source, target, **kwargs)
        if ".partial" in os.path.basename(source):  # an atomic_files write
            wrote(os.fspath(target))

    tf.train.CheckpointManager.save = save_then_count
    os.replace = replace_then_count
    sys.path.insert(0, os.path.dirname(recipe))
    sys.argv = [recipe, *sys.argv[4:]]
    runpy.run_path(recipe, run_name="__main__")
    """
)

ARGS = [
    "--method", "C", "--source-epochs", "2", "--epochs", "4",
    "--freeze-epochs", "2", "--steps-per-epoch", "3", "--batch-size", "8",
    "--num-components", "2", "--statreg-layers", "fc7", "--seed", "0",
    "--save-every-steps", "1", "--verbose", "0",
]  # fmt: skip


def _start(wrapper, out, directory="-", count=0):
    return subprocess.Popen(
        [sys.executable, str(wrapper), directory, str(count), str(RECIPE)]
        + ARGS
        + ["--output", str(out)],
        cwd=ROOT,
        # oneDNN's CPU kernels may round differently with buffer alignment;
        # TensorFlow's own kernels make every run bit-reproducible.
        env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process, *, killed):
    _, stderr = process.communicate(timeout=300)
    if killed:
        assert process.returncode == -signal.SIGKILL, stderr[-3000:]
    else:
        assert process.returncode == 0, stderr[-3000:]
    return stderr


def _newest(directory, suffix):
    """The file of the highest-numbered checkpoint ending in `suffix`."""
    files = pathlib.Path(directory).glob(f"ckpt-*{suffix}")
    return max(files, key=lambda p: int(p.name.split("-")[1].split(".")[0]))


def _without_timings(value):
    if isinstance(value, dict):
        return {
            k: _without_timings(v)
            for k, v in value.items()
            if "seconds" not in k
        }
    return value


@pytest.mark.large
def test_kill_in_every_phase_and_torn_newest_file_resume_exactly(tmp_path):
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    reference = _start(wrapper, whole)

    # 1. Source training, after its 2nd checkpoint: data file emptied.
    _finish(_start(wrapper, cut, "source/checkpoints", 2), killed=True)
    torn = _newest(cut / "source" / "checkpoints", ".data-00000-of-00001")
    torn.write_bytes(b"")
    # 2. EM fit, after its 2nd state write: the newest state file damaged.
    stderr = _finish(_start(wrapper, cut, "gmm_em/fc7", 2), killed=True)
    assert "Unreadable checkpoint" in stderr and torn.name[:6] in stderr
    (em,) = (  # The current state; a ".previous" copy is kept beside it.
        p
        for p in (cut / "priors" / "gmm_em" / "fc7").iterdir()
        if ".previous" not in p.name
    )
    data = bytearray(em.read_bytes())
    data[: len(data) // 2] = bytes(b ^ 0xFF for b in data[: len(data) // 2])
    em.write_bytes(bytes(data))
    # 3. Method C, frozen phase (steps 1-6), after step 4: list emptied.
    stderr = _finish(_start(wrapper, cut, "C/checkpoints", 4), killed=True)
    assert em.name in stderr, stderr[-3000:]
    listing = cut / "C" / "checkpoints" / "checkpoint"
    listing.write_bytes(b"")
    # 4. Released phase: resumed at step 4, killed after step 7.
    stderr = _finish(_start(wrapper, cut, "C/checkpoints", 3), killed=True)
    assert f"{listing} is unreadable" in stderr, stderr[-3000:]
    index = _newest(cut / "C" / "checkpoints", ".index")
    assert index.name == "ckpt-7.index"
    index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])
    stderr = _finish(_start(wrapper, cut), killed=False)
    assert "ckpt-7" in stderr and "ckpt-6" in stderr, stderr[-3000:]
    _finish(reference, killed=False)

    with np.load(whole / "priors" / "gmm_fc7.npz") as want:
        with np.load(cut / "priors" / "gmm_fc7.npz") as got:
            for key in want.files:
                np.testing.assert_array_equal(got[key], want[key])
    want = weight_arrays(whole / "C" / "task.weights.h5")
    got = weight_arrays(cut / "C" / "task.weights.h5")
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key])
    want = json.loads((whole / "C" / "metrics.json").read_text())
    got = json.loads((cut / "C" / "metrics.json").read_text())
    assert len(got["history"]["loss"]) == 4
    assert _without_timings(got) == _without_timings(want)
