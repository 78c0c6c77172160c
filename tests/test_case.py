"""Shared checks every layer, model and export test runs (see STYLE.md)."""

import keras
import numpy as np
import tensorflow as tf


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_data,
    expected_output_shape,
    *,
    expected_num_trainable_weights=None,
    expected_num_losses=0,
    run_mixed_precision=True,
    run_training_step=True,
):
    """Config round trip, eager and symbolic calls, a train step, dtypes.

    Returns the eager output so callers can check values too.
    """
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    revived = layer_cls.from_config(config)
    assert revived.get_config() == config

    output = layer(input_data)
    assert tuple(output.shape) == tuple(expected_output_shape)
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    assert len(layer.losses) == expected_num_losses

    symbolic_input = keras.Input(
        shape=np.shape(input_data)[1:], dtype=_dtype_name(input_data)
    )
    symbolic_output = layer_cls(**init_kwargs)(symbolic_input)
    assert tuple(symbolic_output.shape[1:]) == tuple(expected_output_shape[1:])

    if run_training_step and layer.trainable_weights:
        _check_train_step(layer_cls(**init_kwargs), input_data)
    if run_mixed_precision:
        mixed = layer_cls(**{**init_kwargs, "dtype": "mixed_float16"})
        assert keras.backend.standardize_dtype(mixed(input_data).dtype) == (
            "float16"
        )
        assert all(w.dtype == "float32" for w in mixed.weights)
    return output


def run_model_saving_test(model, input_data, tmp_path):
    """`.keras` round trip gives the same class and identical outputs."""
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is type(model)
    expected = model(input_data, training=False)
    actual = restored(input_data, training=False)
    tf.nest.map_structure(
        lambda a, b: np.testing.assert_allclose(a, b, atol=1e-6),
        expected,
        actual,
    )
    return restored


def _check_train_step(layer, input_data):
    inputs = keras.Input(
        shape=np.shape(input_data)[1:], dtype=_dtype_name(input_data)
    )
    outputs = keras.layers.Flatten()(layer(inputs))
    outputs = keras.layers.Dense(1)(outputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    before = [w.numpy().copy() for w in layer.trainable_weights]
    target = np.ones((len(input_data), 1), "float32")
    model.fit(
        input_data, target, epochs=1, batch_size=len(input_data), verbose=0
    )
    after = [w.numpy() for w in layer.trainable_weights]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))


def _dtype_name(data):
    array = np.asarray(data)
    return "string" if array.dtype.kind in "OUS" else array.dtype.name
