"""Running a test script in a fresh Python process (its own TensorFlow
start-up, e.g. with two logical CPU devices), CPU only."""

import json
import os
import pathlib
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_json_script(script, timeout=300):
    """Runs `python -c script` and returns its last stdout line as JSON.

    The repository is on the child's `PYTHONPATH`; a failing script fails
    the test with the end of its stderr.
    """
    env = dict(
        os.environ,
        CUDA_VISIBLE_DEVICES="",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.pathsep.join(
            [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
        ),
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])
