"""Interrupted runs resume to the weights and history of uninterrupted ones.

The kill is an exception raised by a callback after a given global step
(in-process); tests/recipes/preemption_test.py and fault_injection_test.py
SIGKILL the recipe instead.
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


def _model(units=8):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(units, activation="relu")(inputs)
    hidden = keras.layers.Dropout(0.5, seed=1)(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        loss="mse",
        metrics=["mae"],
    )
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


def _train(run_dir, callbacks=(), model=None, **kwargs):
    model = model or _model()
    history = training.train_task(
        model,
        _dataset(),
        strategy=tf.distribute.get_strategy(),
        run_dir=run_dir,
        epochs=3,
        steps_per_epoch=4,
        callbacks=list(callbacks),
        verbose=0,
        **kwargs,
    )
    return model.get_weights(), history


def _assert_same_run(got, want):
    (got_weights, got_history), (want_weights, want_history) = got, want
    for g, w in zip(got_weights, want_weights):
        np.testing.assert_array_equal(g, w)
    assert got_history == want_history
    assert len(got_history["loss"]) == 3


@pytest.mark.parametrize(
    "interrupt_after, save_every_steps",
    [(3, 1), (4, 1), (6, 1), (6, None), (11, 5)],
)
def test_resumes_to_identical_weights_and_full_history(
    tmp_path, interrupt_after, save_every_steps
):
    expected = _train(tmp_path / "whole")
    with pytest.raises(_Interrupt):
        _train(
            tmp_path / "cut",
            [_InterruptAfter(interrupt_after)],
            save_every_steps=save_every_steps,
        )
    resumed = _train(tmp_path / "cut", save_every_steps=save_every_steps)
    # History holds the epochs before the resume too, and the resumed
    # epoch's mean loss/mae covers all its steps (metric state restored).
    _assert_same_run(resumed, expected)
    assert set(resumed[1]) == {"loss", "mae"}


def test_loop_gives_the_logs_of_keras_fit(tmp_path):
    model = _model()
    fitted = model.fit(
        _dataset(), epochs=3, steps_per_epoch=4, verbose=0, shuffle=False
    )
    _assert_same_run(_train(tmp_path), (model.get_weights(), fitted.history))


def _truncate_newest(directory, suffix):
    newest = pathlib.Path(tf.train.latest_checkpoint(str(directory)))
    torn = newest.with_name(newest.name + suffix)
    torn.write_bytes(torn.read_bytes()[: len(torn.read_bytes()) // 2])
    return torn


@pytest.mark.parametrize("suffix", [".data-00000-of-00001", ".index"])
def test_torn_newest_checkpoint_is_named_and_previous_used(tmp_path, suffix):
    expected = _train(tmp_path / "whole")
    with pytest.raises(_Interrupt):
        # Killed in step 10, before its checkpoint: ckpt-9 is the newest.
        _train(tmp_path / "cut", [_InterruptAfter(10)], save_every_steps=1)
    torn = _truncate_newest(tmp_path / "cut" / "checkpoints", suffix)
    assert torn.name.startswith("ckpt-9")
    with pytest.warns(RuntimeWarning, match="Unreadable.*ckpt-9.*ckpt-8"):
        resumed = _train(tmp_path / "cut", save_every_steps=1)
    _assert_same_run(resumed, expected)


def test_no_readable_checkpoint_starts_afresh_and_says_so(tmp_path):
    expected = _train(tmp_path / "whole")
    with pytest.raises(_Interrupt):
        _train(tmp_path / "cut", [_InterruptAfter(9)])
    directory = tmp_path / "cut" / "checkpoints"
    for data in directory.glob("*.data-*"):
        data.write_bytes(b"")
    with pytest.warns(RuntimeWarning, match="Starting this training afresh"):
        resumed = _train(tmp_path / "cut")
    _assert_same_run(resumed, expected)


def test_torn_checkpoint_list_is_set_aside_and_files_still_used(tmp_path):
    expected = _train(tmp_path / "whole")
    with pytest.raises(_Interrupt):
        _train(tmp_path / "cut", [_InterruptAfter(6)])
    listing = tmp_path / "cut" / "checkpoints" / "checkpoint"
    listing.write_bytes(listing.read_bytes()[:10])
    with pytest.warns(RuntimeWarning, match="checkpoint list .* unreadable"):
        resumed = _train(tmp_path / "cut")
    _assert_same_run(resumed, expected)
    assert listing.with_name("checkpoint.unreadable").exists()


def test_checkpoint_of_another_model_is_refused_by_name(tmp_path):
    _train(tmp_path)
    with pytest.raises(ValueError, match=r"ckpt-12 does not match this task"):
        _train(tmp_path, model=_model(units=5))


def test_final_weights_written_atomically_and_loadable(tmp_path):
    weights, _ = _train(tmp_path)
    assert not list(tmp_path.glob("*.partial*"))
    model = _model()
    model.load_weights(tmp_path / "task.weights.h5")
    for got, want in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
