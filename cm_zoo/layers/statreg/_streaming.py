"""Private input handling shared by the streaming prior fitters."""

import numpy as np
import tensorflow as tf

# Rows per batch when a NumPy array is given instead of a `tf.data.Dataset`.
NUMPY_BATCH_SIZE = 1024


def as_batched_dataset(dataset):
    """Returns a `tf.data.Dataset` of float32 `(batch, dim)` tensors and `dim`.

    Args:
        dataset: `tf.data.Dataset` of `(batch, dim)` float tensors, or a
            NumPy array `(num_examples, dim)` (batched here).

    Raises:
        TypeError: for other inputs or non-float elements.
        ValueError: for elements not of rank 2 with a known `dim`.
    """
    if isinstance(dataset, np.ndarray):
        if dataset.ndim != 2:
            raise ValueError(
                "`dataset` must be a (num_examples, dim) array. "
                f"Received: dataset.shape={dataset.shape}"
            )
        dataset = tf.data.Dataset.from_tensor_slices(
            dataset.astype("float32")
        ).batch(NUMPY_BATCH_SIZE)
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            "`dataset` must be a `tf.data.Dataset` of (batch, dim) tensors or "
            f"a NumPy array. Received: dataset of type {type(dataset).__name__}"
        )
    spec = dataset.element_spec
    if not isinstance(spec, tf.TensorSpec):
        raise TypeError(
            "`dataset` must yield single (batch, dim) tensors, not structures;"
            " map away labels first. "
            f"Received: element_spec={spec}"
        )
    if spec.shape.rank != 2 or spec.shape[-1] is None:
        raise ValueError(
            "`dataset` elements must have shape (batch, dim) with a known "
            f"dim. Received: element shape {spec.shape}"
        )
    if not spec.dtype.is_floating:
        raise TypeError(
            "`dataset` elements must be floating point. "
            f"Received: dtype={spec.dtype.name}"
        )
    if spec.dtype != tf.float32:
        dataset = dataset.map(lambda x: tf.cast(x, "float32"))
    dataset = dataset.filter(lambda x: tf.shape(x)[0] > 0)
    return dataset, int(spec.shape[-1])


def check_int(name, value, minimum):
    """Raises ValueError unless `value` is an int `>= minimum`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
    ):
        raise ValueError(
            f"`{name}` must be an int >= {minimum}. Received: {name}={value!r}"
        )
