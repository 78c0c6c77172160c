import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.layers.statreg import streaming_moments


def test_small_spread_far_from_zero_is_kept():
    # Activations are float32; moments accumulate in float64 pairwise.
    rng = np.random.default_rng(0)
    x = (1e3 + 1e-2 * rng.standard_normal((3000, 4))).astype("float32")
    exact = x.astype("float64")
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(256)
    count, mean, variance = streaming_moments(dataset)
    assert count == 3000
    np.testing.assert_allclose(mean, exact.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(variance, exact.var(axis=0), rtol=1e-6)


def test_batches_of_any_size_agree_with_numpy():
    x = np.random.default_rng(1).normal(3.0, 2.0, (101, 5))
    x = x.astype("float32").astype("float64")
    for batch_size in (1, 7, 101):
        dataset = tf.data.Dataset.from_tensor_slices(x).batch(batch_size)
        _, mean, variance = streaming_moments(dataset)
        np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(variance, x.var(axis=0), rtol=1e-12)


def test_empty_dataset_is_refused():
    with pytest.raises(ValueError, match="at least one row"):
        streaming_moments(np.zeros((0, 3), "float32"))
