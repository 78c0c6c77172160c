"""Fine-tuning exported encoders: Keras 3 `HubEncoderLayer`, tf-keras hub."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.export import HubEncoderLayer
from tests.export.export_fixtures import sample_inputs


def _classifier_data():
    x = sample_inputs("sketch", 8, seed=3)
    y = np.arange(8) % 2
    return x, y


def test_keras3_fine_tuning_changes_encoder_and_lowers_loss(exported):
    _, model_dir = exported
    keras.utils.set_random_seed(1)
    layer = HubEncoderLayer(str(model_dir / "description"), output_key="fc7")
    text = keras.Input((), dtype="string")
    model = keras.Model(text, keras.layers.Dense(2)(layer(text)))
    model.compile(
        optimizer=keras.optimizers.Adam(3e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x = tf.constant(sample_inputs("description", 7))
    y = np.array([0, 1, 1, 0, 0, 1, 0])
    encoder_vars = layer._encoder.trainable_variables
    before = [v.numpy().copy() for v in encoder_vars]
    loss_before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, batch_size=7, verbose=0)
    loss_after = model.evaluate(x, y, verbose=0)

    assert len(layer.trainable_weights) == len(encoder_vars)
    changed = {
        v.name.split("/")[0]
        for b, v in zip(before, encoder_vars)
        if not np.array_equal(b, v.numpy())
    }
    # Every layer below the fc7 output moved; the unused classifier did not.
    assert changed == {"words", "mlp1", "mlp2", "to_pool5", "fc6", "fc7"}
    assert loss_after < 0.5 * loss_before


def test_keras3_fine_tuning_trains_batch_norm_encoder(exported):
    _, model_dir = exported
    layer = HubEncoderLayer(str(model_dir / "sketch"))
    pixels = keras.Input((None, None, 3), dtype="uint8")
    model = keras.Model(pixels, keras.layers.Dense(2)(layer(pixels)))
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y = _classifier_data()
    statistics = [w for w in layer.non_trainable_weights if "moving" in w.name]
    before = [w.numpy().copy() for w in layer.weights]
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert len(statistics) == 10  # conv1..conv5 moving mean and variance
    assert all(
        not np.array_equal(b, w.numpy())
        for b, w in zip(before, layer.weights)
        if "classifier" not in w.name
    )


def test_frozen_hub_encoder_layer_keeps_weights(exported):
    _, model_dir = exported
    layer = HubEncoderLayer(str(model_dir / "sketch"), trainable=False)
    pixels = keras.Input((None, None, 3), dtype="uint8")
    model = keras.Model(pixels, keras.layers.Dense(2)(layer(pixels)))
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y = _classifier_data()
    before = [v.numpy().copy() for v in layer._encoder.variables]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert layer.trainable_weights == []
    for b, v in zip(before, layer._encoder.variables):
        np.testing.assert_array_equal(b, v.numpy())


def test_hub_encoder_layer_rejects_unknown_output(exported):
    _, model_dir = exported
    with pytest.raises(ValueError, match="`output_key` must be one of"):
        HubEncoderLayer(str(model_dir / "sound"), output_key="fc8")


def test_tf_keras_hub_keras_layer_training_step(exported):
    # The one place tf-keras is allowed: tf-keras users' compatibility path.
    hub = pytest.importorskip("tensorflow_hub")
    tf_keras = pytest.importorskip("tf_keras")
    _, model_dir = exported
    layer = hub.KerasLayer(
        str(model_dir / "description"), trainable=True, output_key="embedding"
    )
    text = tf_keras.Input(shape=(), dtype=tf.string)
    model = tf_keras.Model(text, tf_keras.layers.Dense(2)(layer(text)))
    model.compile(
        optimizer=tf_keras.optimizers.Adam(1e-2),
        loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x = tf.constant(sample_inputs("description", 8))
    y = np.arange(8) % 2
    before = [v.numpy().copy() for v in layer.trainable_variables]
    assert before
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert any(
        not np.array_equal(b, v.numpy())
        for b, v in zip(before, layer.trainable_variables)
    )
