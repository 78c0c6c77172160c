"""Private input handling and moments shared by the streaming fitters."""

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


def merge_moments(totals, batch, outer=np.multiply):
    """Merges a batch's `(count, mean, m2)` into running totals (Chan et al.).

    `m2` is the sum of squared deviations from the mean: per unit (`outer`
    elementwise, the default) or the scatter matrix (`outer` an outer
    product). The pairwise update stays accurate where summing `x` and `x^2`
    would cancel. Plain arithmetic, so NumPy arrays and TF tensors both work
    (float64 totals recommended).

    Args:
        totals: `(count, mean [D], m2)` so far; `count` may be 0.
        batch: `(count, mean [D], m2)` of the batch, `count > 0`.
        outer: callable. `outer(delta, delta)` of two `[D]` mean
            differences, shaped like `m2`. Defaults to `np.multiply`.

    Returns:
        The merged `(count, mean, m2)`.

    Example:
    >>> x = np.arange(10.0)[:, None]
    >>> def moments(rows):
    ...     mean = rows.mean(axis=0)
    ...     return len(rows), mean, np.square(rows - mean).sum(axis=0)
    >>> count, mean, m2 = merge_moments(moments(x[:3]), moments(x[3:]))
    >>> count, mean.item(), (m2 / count).item(), x.var().item()
    (10, 4.5, 8.25, 8.25)
    """
    count, mean, m2 = totals
    batch_count, batch_mean, batch_m2 = batch
    total = count + batch_count
    delta = batch_mean - mean
    return (
        total,
        mean + delta * (batch_count / total),
        m2 + batch_m2 + outer(delta, delta) * (count * batch_count / total),
    )
