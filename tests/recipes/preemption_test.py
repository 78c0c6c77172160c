"""SIGKILLed recipe runs resume to the result of an uninterrupted run.

A wrapper runs the recipe in a subprocess and SIGKILLs itself at a chosen
point: during the EM fit of the GMM prior, or mid-epoch in the frozen phase
of Method C's curriculum (checkpoint every step, killed between two). Rerunning
the same command resumes; the final weights must equal those of an
uninterrupted run.
"""

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

WRAPPER = textwrap.dedent(
    """
    import importlib.util, os, signal, sys
    import keras
    import cm_zoo
    sys.path.insert(0, "recipes")
    spec = importlib.util.spec_from_file_location(
        "recipe", "recipes/train_cmplaces.py")
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    where, at = sys.argv[1].split(":")
    at = int(at)

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if where == "em":
        module = sys.modules["cm_zoo.models.cmplaces.source_priors"]
        fit = module.fit_diagonal_gmm

        def killed_fit(*args, **kwargs):
            kwargs["callback"] = lambda i, _: die() if i == at else None
            return fit(*args, **kwargs)

        module.fit_diagonal_gmm = killed_fit
    if where == "step":
        # Every `train_task` run has this callback; count Method C's steps.
        check = cm_zoo.training.RaiseOnNonFiniteLoss.on_train_batch_end
        method_c = os.path.join("C", "checkpoints")
        seen = []

        def counted(self, batch, logs=None):
            check(self, batch, logs)
            if os.path.normpath(self.checkpoint_dir).endswith(method_c):
                seen.append(batch)
                if len(seen) == at:
                    die()

        cm_zoo.training.RaiseOnNonFiniteLoss.on_train_batch_end = counted
    recipe.main(sys.argv[2:])
    """
)

ARGS = [
    "--method", "C", "--source-epochs", "1", "--epochs", "2",
    "--freeze-epochs", "1", "--steps-per-epoch", "2", "--batch-size", "4",
    "--num-components", "2", "--save-every-steps", "1", "--verbose", "0",
]  # fmt: skip


def _run(wrapper, kill, out):
    return subprocess.run(
        [sys.executable, str(wrapper), kill, *ARGS, "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.large
def test_killed_during_em_and_frozen_phase_resumes_to_same_weights(tmp_path):
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER)
    whole = _run(wrapper, "none:0", tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-3000:]

    cut = tmp_path / "cut"
    killed = _run(wrapper, "em:2", cut)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert any((cut / "priors" / "gmm_em").rglob("em_state.npz"))
    # Killed after step 2 of C, before its checkpoint: resumes at step 1,
    # mid-way through epoch 0, with the shared layers frozen.
    killed = _run(wrapper, "step:2", cut)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (cut / "C" / "checkpoints" / "checkpoint").exists()
    assert not (cut / "C" / "metrics.json").exists()
    resumed = _run(wrapper, "none:0", cut)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    for layer in ("pool5", "fc6", "fc7"):
        name = f"gmm_{layer}.npz"
        with np.load(tmp_path / "whole" / "priors" / name) as want:
            with np.load(cut / "priors" / name) as got:
                for key in want.files:
                    np.testing.assert_array_equal(got[key], want[key])
    want = weight_arrays(tmp_path / "whole" / "C" / "task.weights.h5")
    got = weight_arrays(cut / "C" / "task.weights.h5")
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=0, atol=1e-6)
    assert os.path.exists(cut / "C" / "metrics.json")
