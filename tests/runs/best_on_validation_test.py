import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.runs._cmplaces_stage import epochs_left_to_run
from cm_zoo.runs.best_on_validation import BestOnValidation
from cm_zoo.runs.best_on_validation import read_state
from cm_zoo.runs.best_on_validation import stopped
from cm_zoo.training import train_task


def model():
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    net.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return net


def data():
    x = tf.constant([[1.0, 2.0], [3.0, -1.0]])
    return tf.data.Dataset.from_tensors((x, tf.ones((2, 1)))).repeat()


class ScoreFromKernel:
    """A score that peaks at a given epoch; remembers each epoch's kernel."""

    def __init__(self, scores):
        self.scores = list(scores)
        self.kernels = []

    def __call__(self, net):
        self.kernels.append(net.layers[0].kernel.numpy().copy())
        return self.scores[len(self.kernels) - 1]


def fit(run_dir, score, epochs, patience):
    net = model()
    best = BestOnValidation(score, run_dir, name="val_x", patience=patience)
    history = train_task(
        net,
        data(),
        strategy=tf.distribute.get_strategy(),
        run_dir=run_dir,
        epochs=epochs_left_to_run(run_dir, epochs),
        steps_per_epoch=2,
        callbacks=[best],
        verbose=0,
    )
    return net, history


def test_early_stopping_restores_the_best_weights(tmp_path):
    score = ScoreFromKernel([0.1, 0.5, 0.3, 0.2, 0.9, 1.0])
    net, history = fit(tmp_path, score, epochs=6, patience=2)
    assert history["val_x"] == [0.1, 0.5, 0.3, 0.2]  # stopped after 2 worse
    np.testing.assert_array_equal(
        net.layers[0].kernel.numpy(), score.kernels[1]
    )
    assert not np.array_equal(score.kernels[1], score.kernels[3])
    state = read_state(tmp_path)
    assert state["best_epoch"] == 1 and stopped(tmp_path)


def test_a_stopped_run_resumed_trains_no_further(tmp_path):
    first = ScoreFromKernel([0.1, 0.5, 0.3, 0.2])
    fit(tmp_path, first, epochs=6, patience=2)
    again = ScoreFromKernel([])
    net, history = fit(tmp_path, again, epochs=6, patience=2)
    assert again.kernels == []  # no epoch ran, so nothing was scored
    assert history["val_x"] == [0.1, 0.5, 0.3, 0.2]
    np.testing.assert_array_equal(
        net.layers[0].kernel.numpy(), first.kernels[1]
    )


def test_resumed_run_replaces_the_scores_of_redone_epochs(tmp_path):
    (tmp_path / "early_stopping.json").write_text(
        json.dumps({"scores": [0.2, 0.9, 0.95], "stopped": False})
    )
    callback = BestOnValidation(lambda net: 0.4, tmp_path)
    callback.set_model(model())
    callback.on_epoch_end(1, {})
    assert read_state(tmp_path)["scores"] == [0.2, 0.4]
    assert callback.best_epoch == 1


def test_without_patience_it_never_stops(tmp_path):
    score = ScoreFromKernel([0.5, 0.1, 0.1, 0.1])
    net, history = fit(tmp_path, score, epochs=4, patience=None)
    assert len(history["val_x"]) == 4 and not stopped(tmp_path)
    np.testing.assert_array_equal(
        net.layers[0].kernel.numpy(), score.kernels[0]
    )


def test_patience_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="`patience` must be None or a"):
        BestOnValidation(lambda net: 0.0, tmp_path, patience=0)
