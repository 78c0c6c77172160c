"""Checks every training-only augmentation layer passes (issue 16)."""

import keras
import numpy as np
import pytest

from tests import test_case


def check_augmentation_contract(layer_cls, init_kwargs, inputs, tmp_path):
    """Config, inference identity, seeded draws, empty batch, `.keras` saving.

    `init_kwargs` must make `training=True` change every row of `inputs`
    with certainty and must not hold `seed`.
    """
    output = test_case.run_layer_test(
        layer_cls,
        init_kwargs,
        inputs,
        np.shape(inputs),
        expected_num_trainable_weights=0,
        run_mixed_precision=False,
    )
    np.testing.assert_array_equal(_numpy(output), inputs)
    _check_inactive_at_inference(layer_cls(**init_kwargs, seed=1), inputs)
    _check_seeded(layer_cls, init_kwargs, inputs)
    empty = np.zeros((0, *np.shape(inputs)[1:]), np.asarray(inputs).dtype)
    augmented = layer_cls(**init_kwargs, seed=1)(empty, training=True)
    assert tuple(augmented.shape) == empty.shape
    assert augmented.dtype == output.dtype
    mixed = layer_cls(**init_kwargs, seed=1, dtype="mixed_float16")
    assert mixed(inputs, training=True).dtype == output.dtype  # no autocast
    model = _model(layer_cls(**init_kwargs, seed=3), inputs)
    # No XLA kernels for its ops; loading recompiles, so it warns again.
    with pytest.warns(UserWarning, match="doesn't support `jit_compile"):
        model.compile(jit_compile=True)
        assert model.jit_compile is False
        _check_saving(model, inputs, tmp_path)


def _check_saving(model, inputs, tmp_path):
    """`.keras` round trip: same config, and the same next random draws."""
    path = tmp_path / "augmentation.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.layers[0].get_config() == model.layers[0].get_config()
    np.testing.assert_array_equal(_numpy(restored(inputs)), inputs)
    np.testing.assert_array_equal(
        _numpy(restored(inputs, training=True)),
        _numpy(model(inputs, training=True)),
    )


def _check_inactive_at_inference(layer, inputs):
    """A plain call, `training=False` and a plain model call are identity."""
    np.testing.assert_array_equal(_numpy(layer(inputs)), inputs)
    np.testing.assert_array_equal(_numpy(layer(inputs, training=False)), inputs)
    model = _model(layer, inputs)
    np.testing.assert_array_equal(_numpy(model(inputs)), inputs)
    np.testing.assert_array_equal(
        _numpy(model.predict_on_batch(inputs)), inputs
    )
    trained = _numpy(model(inputs, training=True))
    assert trained.dtype == np.asarray(inputs).dtype
    assert all(not np.array_equal(a, b) for a, b in zip(trained, inputs))


def _check_seeded(layer_cls, init_kwargs, inputs):
    """Same seed, same draws; another seed or the next call, others."""
    first = layer_cls(**init_kwargs, seed=7)
    again = layer_cls(**init_kwargs, seed=7)
    other = layer_cls(**init_kwargs, seed=8)
    a = _numpy(first(inputs, training=True))
    np.testing.assert_array_equal(a, _numpy(again(inputs, training=True)))
    assert not np.array_equal(a, _numpy(other(inputs, training=True)))
    assert not np.array_equal(a, _numpy(first(inputs, training=True)))


def _model(layer, inputs):
    """A functional model around `layer`, taking inputs of their dtype."""
    dtype = test_case._dtype_name(inputs)
    return keras.Sequential(
        [keras.Input(np.shape(inputs)[1:], dtype=dtype), layer]
    )


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)
