"""Per-unit mean and variance of a stream of activations, in one pass."""

import tensorflow as tf

from cm_zoo.layers.statreg import _streaming


def streaming_moments(dataset):
    """Returns float64 `(count, mean [D], variance [D])` of all rows.

    One pass over `dataset` with the pairwise (Chan et al.) merge of
    `(count, mean, m2)` per batch, accumulated in float64, so units far from
    zero with a small spread keep their variance (summing `x` and `x^2`
    would cancel). The fitters of the StatReg priors share the merge.

    Args:
        dataset: `tf.data.Dataset` of `(batch, dim)` float tensors, or a
            NumPy array `(num_examples, dim)`.

    Returns:
        `(count, mean, variance)` as NumPy: an int and two float64 `[D]`
        arrays (population variance).

    Raises:
        ValueError: when `dataset` holds no rows.

    Example:
    >>> x = 1e4 + np.arange(12.0).reshape(6, 2)
    >>> count, mean, variance = streaming_moments(x)
    >>> count, mean.tolist(), np.allclose(variance, x.var(axis=0))
    (6, [10005.0, 10006.0], True)
    """
    dataset, dim = _streaming.as_batched_dataset(dataset)

    def merge(totals, x):
        x = tf.cast(x, "float64")
        batch_mean = tf.reduce_mean(x, axis=0)  # [D]
        batch = (
            tf.cast(tf.shape(x)[0], "float64"),
            batch_mean,
            tf.reduce_sum(tf.square(x - batch_mean), axis=0),  # [D]
        )
        return _streaming.merge_moments(totals, batch, outer=tf.multiply)

    initial = (
        tf.zeros([], "float64"),
        tf.zeros([dim], "float64"),
        tf.zeros([dim], "float64"),
    )
    count, mean, m2 = (t.numpy() for t in dataset.reduce(initial, merge))
    if count == 0:
        raise ValueError("`dataset` must hold at least one row; it is empty.")
    return int(count), mean, m2 / count
