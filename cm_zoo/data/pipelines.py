"""`tf.data` pipelines over in-memory arrays keyed by modality.

Weak alignment (CMPlaces): every modality is its own shuffled, repeated
stream of rows; the streams are batched separately and zipped, so a batch
holds `batch_size` unrelated rows of every modality and only the labels tie
them.
"""

import numpy as np
import tensorflow as tf

from cm_zoo import modalities


def make_multimodal_dataset(
    arrays_by_modality,
    batch_size,
    *,
    shuffle=True,
    seed=None,
    deterministic=True,
    balance_classes=False,
):
    """Builds an infinite dataset of weakly aligned multimodal batches.

    Each modality is sampled independently (its own order, its own size);
    the caller sets `steps_per_epoch`. Row indices are batched with
    `drop_remainder=True` (static batch size); one parallel map call per
    step gathers the rows of every modality; batches are prefetched. It
    runs without tf.data's autotuning thread (`without_autotune_thread`),
    so that a `fit` on it returns as soon as its last step is done.

    Args:
        arrays_by_modality: dict. `{modality: (x, y)}`, `x` an array whose
            first axis indexes rows (uint8 images, float32 sounds, python str
            for descriptions) and `y` integer labels of the same length.
        batch_size: int. Rows per modality per batch.
        shuffle: bool. Shuffle each modality (reshuffled every pass).
            Defaults to `True`.
        seed: int. Makes the order reproducible; modality `i` (in sorted key
            order) uses `seed + i`. Defaults to `None` (unseeded).
        deterministic: bool. Fix the output order of parallel maps.
            Defaults to `True`.
        balance_classes: bool. Sample every class of a modality equally
            often (each class its own shuffled repeated stream), instead of
            in proportion to its size. Defaults to `False`.

    Returns:
        `tf.data.Dataset` of `({modality: x_batch}, {modality: y_batch})`.

    Raises:
        ValueError: for an unknown modality, an empty or mismatched `(x, y)`
            or a non-positive `batch_size`.

    Example:
    >>> data = {
    ...     "sketch": (np.zeros((5, 8, 8, 3), "uint8"), np.arange(5) % 2),
    ...     "description": (np.array(["a", "b", "c"], object), np.zeros(3)),
    ... }
    >>> dataset = cm_zoo.data.make_multimodal_dataset(data, 4, seed=0)
    >>> x, y = next(iter(dataset))
    >>> tuple(x["sketch"].shape), tuple(y["description"].shape)
    ((4, 8, 8, 3), (4,))
    """
    _check_batch_size(batch_size)
    if not arrays_by_modality:
        raise ValueError(
            "`arrays_by_modality` must map at least one modality to (x, y). "
            "Received: {}"
        )
    keys = sorted(arrays_by_modality)
    tensors, index_batches = [], []
    for offset, modality in enumerate(keys):
        modalities.validate(modality)
        x, y = _as_tensors(modality, *arrays_by_modality[modality])
        modality_seed = None if seed is None else seed + offset
        indices = _index_stream(
            y.numpy(), shuffle, modality_seed, balance_classes
        )
        tensors.append((x, y))
        index_batches.append(indices.batch(batch_size, drop_remainder=True))

    def gather(*batch_indices):  # one call per step gathers every modality
        rows = [
            (tf.gather(x, i), tf.gather(y, i))
            for (x, y), i in zip(tensors, batch_indices)
        ]
        return (
            {k: row[0] for k, row in zip(keys, rows)},
            {k: row[1] for k, row in zip(keys, rows)},
        )

    dataset = tf.data.Dataset.zip(tuple(index_batches)).map(
        gather,
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=deterministic,
    )
    options = tf.data.Options()
    options.deterministic = deterministic
    dataset = dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
    return without_autotune_thread(dataset)


def make_eval_dataset(x, batch_size):
    """Builds a finite, ordered dataset of `x` batches (feature extraction).

    Without tf.data's autotuning thread (`without_autotune_thread`).

    Args:
        x: array. Rows to embed (images, sounds or python str).
        batch_size: int. Rows per batch; the last batch may be smaller.

    Returns:
        `tf.data.Dataset` of `x` batches, in row order, covering every row
        once.

    Example:
    >>> batches = cm_zoo.data.make_eval_dataset(np.arange(5), 2)
    >>> [b.numpy().tolist() for b in batches]
    [[0, 1], [2, 3], [4]]
    """
    _check_batch_size(batch_size)
    x = _to_tensor(x)
    return without_autotune_thread(
        tf.data.Dataset.from_tensor_slices(x)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def without_autotune_thread(dataset):
    """`dataset` without tf.data's autotuning thread, so that it ends promptly.

    With autotuning on (TensorFlow's default), each iterator starts a thread
    that re-tunes the pipeline at doubling intervals (10, 20, 40 ms, ...), and
    deleting the iterator may wait for the interval under way to end: the
    end of a `fit` call, of an epoch or of a `for` loop is then rounded up
    to the next 10, 30, 70, 150, 310, 630, 1270 ms... since its first
    batch. Measured on 2 cores (TensorFlow 2.21): a third of 40-step `fit`
    calls on `make_multimodal_dataset` returned at 1.27 s instead of
    ~0.9 s, and a third of the epochs over 2,000 list-file JPEGs took
    ~177 ms instead of ~120 ms. Without the thread, a `tf.data.AUTOTUNE`
    parallelism is the smaller of 16 and the number of cores, and
    `prefetch(tf.data.AUTOTUNE)` buffers still grow while the consumer
    waits; the pipelines of `cm_zoo.data` set their decode parallelism
    themselves, and read as fast or faster without it.

    Args:
        dataset: `tf.data.Dataset`.

    Returns:
        The same dataset with `options().autotune.enabled` false.

    Example:
    >>> data = tf.data.Dataset.range(3).prefetch(tf.data.AUTOTUNE)
    >>> data = cm_zoo.data.pipelines.without_autotune_thread(data)
    >>> data.options().autotune.enabled, [int(x) for x in data]
    (False, [0, 1, 2])
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def _index_stream(labels, shuffle, seed, balance_classes):
    if not balance_classes:
        indices = tf.data.Dataset.range(len(labels))
        if shuffle:
            indices = indices.shuffle(
                len(labels), seed=seed, reshuffle_each_iteration=True
            )
        return indices.repeat()
    classes = np.unique(labels)
    per_class = []
    for n, label in enumerate(classes):
        members = np.flatnonzero(labels == label).astype(np.int64)
        stream = tf.data.Dataset.from_tensor_slices(members)
        if shuffle:
            stream = stream.shuffle(
                len(members),
                seed=None if seed is None else seed * 1009 + n,
                reshuffle_each_iteration=True,
            )
        per_class.append(stream.repeat())
    if not shuffle:
        return tf.data.Dataset.choose_from_datasets(
            per_class,
            tf.data.Dataset.range(len(classes)).repeat(),
        )
    return tf.data.Dataset.sample_from_datasets(
        per_class, weights=[1.0 / len(classes)] * len(classes), seed=seed
    )


def _as_tensors(modality, x, y):
    y = np.asarray(y)
    if len(x) == 0 or len(x) != len(y):
        raise ValueError(
            f"Modality {modality!r}: expected (x, y) of equal, non-zero "
            f"length, found len(x)={len(x)}, len(y)={len(y)}."
        )
    if not np.issubdtype(y.dtype, np.number):
        raise ValueError(
            f"Modality {modality!r}: expected integer labels, found dtype "
            f"{y.dtype}."
        )
    return _to_tensor(x), tf.constant(y.astype(np.int64))


def _to_tensor(x):
    x = np.asarray(x)
    if x.dtype == object or x.dtype.kind in "US":
        return tf.constant([str(v) for v in x], tf.string)
    return tf.constant(x)


def _check_batch_size(batch_size):
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(
            "`batch_size` must be a positive int. "
            f"Received: batch_size={batch_size!r}"
        )
