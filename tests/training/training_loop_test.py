"""`TrainingLoop` honours Keras callbacks as `fit` does."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo import curricula
from cm_zoo import training


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, name="fc6")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="head")(hidden))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def _dataset():
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, x[:, :1])).repeat().batch(4)


def _fit(model, tmp_path, callbacks, **kwargs):
    loop = training.TrainingLoop(
        model, tf.distribute.get_strategy(), tmp_path / "checkpoints"
    )
    return loop.fit(
        _dataset(), epochs=3, steps_per_epoch=3, callbacks=callbacks, **kwargs
    )


class _EpochWeights(keras.callbacks.Callback):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.weights = []

    def on_train_begin(self, logs=None):
        self.weights.append(self.model.get_layer(self.layer).get_weights()[0])

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_layer(self.layer).get_weights()[0])


def test_curriculum_freezes_then_releases_via_make_train_function(tmp_path):
    model = _model()
    fc6, head = _EpochWeights("fc6"), _EpochWeights("head")
    tuning = curricula.ModalityTuning(release_epoch=2, layer_names=["fc6"])
    _fit(model, tmp_path, [tuning, fc6, head])
    # Frozen in epochs 0 and 1, trained in epoch 2; the head always trains.
    np.testing.assert_array_equal(fc6.weights[2], fc6.weights[0])
    assert not np.allclose(fc6.weights[3], fc6.weights[2])
    assert not np.allclose(head.weights[1], head.weights[0])


class _StopAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True


def test_stop_training_ends_the_run(tmp_path):
    history = _fit(_model(), tmp_path, [_StopAfterFirstEpoch()])
    assert len(history["loss"]) == 1


def test_progress_bar_when_verbose(tmp_path, capsys):
    _fit(_model(), tmp_path, [], verbose=1)
    assert "3/3" in capsys.readouterr().out


def test_train_task_writes_tensorboard_events(tmp_path):
    training.train_task(
        _model(),
        _dataset(),
        strategy=tf.distribute.get_strategy(),
        run_dir=tmp_path,
        epochs=2,
        steps_per_epoch=3,
        verbose=0,
    )
    assert list((tmp_path / "logs" / "train").glob("events.out.tfevents.*"))


def test_steps_per_execution_above_one_is_refused():
    model = _model()
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=2)
    with pytest.raises(ValueError, match="steps_per_execution=1"):
        training.TrainingLoop(model, tf.distribute.get_strategy(), "unused")
