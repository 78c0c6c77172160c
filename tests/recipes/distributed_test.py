"""tf.distribute: MirroredStrategy matches the default strategy; 2 workers.

Logical CPU devices and TF_CONFIG must be set before TensorFlow starts, so
every case runs in fresh subprocesses.
"""

import json
import os
import pathlib
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).parents[2]

MIRRORED_VS_DEFAULT = textwrap.dedent(
    """
    import sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    import cm_zoo
    from cm_zoo import training

    bench = cm_zoo.data.clipart_benchmark.load(None)
    # Dropout masks and BatchNorm statistics are per replica (the tiny
    # preset batch-normalises): turned off, the math must agree.
    config = cm_zoo.presets.get("cmplaces_alexnet_tiny").config(
        dropout=0.0, use_batch_norm=False
    )
    names = ["clipart", "sketch", "description"]
    classes = len(bench.class_names)
    source_x, _ = bench.arrays("clipart", "train")

    class StepLosses(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.losses = []

        def on_train_batch_end(self, batch, logs=None):
            self.losses.append(logs["loss"])

    def losses(strategy, run_dir):
        keras.utils.set_random_seed(0)
        source = cm_zoo.models.cmplaces.build_source_network(
            config, "clipart", num_classes=classes)
        priors = cm_zoo.models.cmplaces.fit_source_priors(
            source, source_x[:64], layers=["fc7"], num_components=2,
            max_iterations=3)
        with strategy.scope():
            task, curriculum = cm_zoo.models.cmplaces.build_method(
                "C", config, names, num_classes=classes, source=source,
                priors=priors, statreg_weight=0.5, freeze_epochs=1)
            task.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9))
        data = cm_zoo.data.make_multimodal_dataset(
            {m: bench.arrays(m, "train") for m in names}, 8, shuffle=False)
        losses = StepLosses()
        loop = training.TrainingLoop(task, strategy, run_dir)
        loop.fit(data, epochs=2, steps_per_epoch=2,
                 callbacks=[*curriculum, losses])
        return losses.losses

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    np.save(sys.argv[1] + "/default.npy",
            losses(tf.distribute.get_strategy(), sys.argv[1] + "/d"))
    np.save(sys.argv[1] + "/mirrored.npy", losses(mirrored, sys.argv[1] + "/m"))
    """
)


def _run(args, env=None, timeout=300):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _check(result):
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.mark.large
def test_mirrored_on_two_cpus_matches_default_losses(tmp_path):
    """Same global batch: CE + StatReg + curriculum losses agree per step.

    Unshuffled data: `experimental_distribute_dataset` rewrites the input
    graph, and a seeded shuffle with `reshuffle_each_iteration` does not
    keep its order through that rewrite.
    """
    script = tmp_path / "compare.py"
    script.write_text(MIRRORED_VS_DEFAULT)
    _check(_run([str(script), str(tmp_path)]))
    default = np.load(tmp_path / "default.npy")
    mirrored = np.load(tmp_path / "mirrored.npy")
    assert len(default) == 4
    # Frozen epoch then released; the losses move, and agree.
    assert not np.allclose(default[0], default[-1])
    np.testing.assert_allclose(mirrored, default, rtol=2e-4, atol=1e-5)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _run_two_workers(recipe, args, tmp_path):
    ports = _free_ports(2)
    workers = [f"localhost:{port}" for port in ports]
    processes = []
    for index in range(2):
        env = dict(os.environ)
        env["TF_CONFIG"] = json.dumps(
            {
                "cluster": {"worker": workers},
                "task": {"type": "worker", "index": index},
            }
        )
        env["CUDA_VISIBLE_DEVICES"] = ""
        processes.append(
            subprocess.Popen(
                [sys.executable, f"recipes/{recipe}", *args],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=300))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-4000:]
    return outputs


TINY = ["--steps-per-epoch", "2", "--batch-size", "4", "--verbose", "0"]


@pytest.mark.large
def test_two_workers_train_cmplaces_with_curriculum_and_statreg(tmp_path):
    out = tmp_path / "run"
    _run_two_workers(
        "train_cmplaces.py",
        ["--strategy", "multiworker", "--method", "C", "--output", str(out)]
        + ["--source-epochs", "1", "--epochs", "2", "--freeze-epochs", "1"]
        + ["--num-components", "2", *TINY],
        tmp_path,
    )
    metrics = json.loads((out / "C" / "metrics.json").read_text())
    assert len(metrics["history"]["loss"]) == 2
    assert np.isfinite(metrics["history"]["loss"]).all()
    # The chief alone wrote the run's checkpoints.
    assert (out / "C" / "checkpoints" / "checkpoint").exists()


@pytest.mark.large
def test_two_workers_train_see_hear_read(tmp_path):
    out = tmp_path / "run"
    _run_two_workers(
        "train_see_hear_read.py",
        ["--strategy", "multiworker", "--output", str(out)]
        + ["--epochs", "1", "--teacher-epochs", "1", *TINY],
        tmp_path,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert np.isfinite(metrics["history"]["loss"]).all()
    assert (out / "backbone.keras").exists()
