"""Interrupted runs resume to the weights of uninterrupted ones (in-process).

The kill is an exception raised by a callback after a given global step;
tests/recipes/preemption_test.py does the same with SIGKILL.
"""

import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo import training


class _Interrupt(Exception):
    pass


class _InterruptAfter(keras.callbacks.Callback):
    def __init__(self, steps):
        super().__init__()
        self.steps = steps
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.steps:
            raise _Interrupt()


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    hidden = keras.layers.Dropout(0.5, seed=1)(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    return model


def _dataset():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    return (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(64, seed=0)
        .repeat()
        .batch(4)
    )


def _train(run_dir, loop, callbacks=(), **kwargs):
    model = _model()
    training.train_task(
        model,
        _dataset(),
        strategy=tf.distribute.get_strategy(),
        run_dir=run_dir,
        epochs=3,
        steps_per_epoch=4,
        callbacks=list(callbacks),
        loop=loop,
        verbose=0,
        **kwargs,
    )
    return model.get_weights()


@pytest.mark.parametrize("interrupt_after", [3, 4, 6])
def test_custom_loop_resumes_mid_epoch_to_identical_weights(
    tmp_path, interrupt_after
):
    expected = _train(tmp_path / "whole", "custom")
    with pytest.raises(_Interrupt):
        _train(
            tmp_path / "cut",
            "custom",
            [_InterruptAfter(interrupt_after)],
            save_every_steps=1,
        )
    resumed = _train(tmp_path / "cut", "custom", save_every_steps=1)
    for want, got in zip(expected, resumed):
        np.testing.assert_array_equal(got, want)


def test_fit_resumes_from_the_epoch_boundary_to_identical_weights(tmp_path):
    expected = _train(tmp_path / "whole", "fit")
    with pytest.raises(_Interrupt):
        # Killed in the middle of the second epoch.
        _train(tmp_path / "cut", "fit", [_InterruptAfter(6)])
    backup = training.ResumableBackupAndRestore(
        str(tmp_path / "cut" / "backup")
    )
    assert backup.initial_epoch() == 1
    resumed = _train(tmp_path / "cut", "fit")
    for want, got in zip(expected, resumed):
        np.testing.assert_array_equal(got, want)


def test_corrupt_latest_checkpoint_is_reported_and_previous_used(tmp_path):
    _train(tmp_path, "custom")
    directory = tmp_path / "checkpoints"
    latest = pathlib.Path(tf.train.latest_checkpoint(str(directory)))
    data = latest.with_name(latest.name + ".data-00000-of-00001")
    data.write_bytes(data.read_bytes()[:20])
    loop = training.CustomTrainingLoop(
        _model(), tf.distribute.get_strategy(), str(directory)
    )
    with pytest.warns(RuntimeWarning, match=f"Unreadable.*{latest.name}"):
        loop.fit(_dataset(), epochs=3, steps_per_epoch=4)
    assert loop.restored_from.endswith("ckpt-8")
    assert len(loop.step_losses) == 4  # the last epoch, redone


def test_corrupt_latest_backup_is_reported_and_previous_used(tmp_path):
    with pytest.raises(_Interrupt):
        _train(tmp_path, "fit", [_InterruptAfter(10)])
    latest = tmp_path / "backup" / "latest.weights.h5"
    latest.write_bytes(latest.read_bytes()[:100])
    backup = training.ResumableBackupAndRestore(str(tmp_path / "backup"))
    with pytest.warns(RuntimeWarning, match="latest.weights.h5 is unreadable"):
        assert backup.initial_epoch() == 1
