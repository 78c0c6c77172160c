"""List-file pictures decoded in the `tf.data` graph, bad files named.

The fast path is the one `keras.utils.image_dataset_from_directory` takes:
a parallel map of `tf.io.read_file`, `tf.io.decode_image` and
`tf.image.resize`, fused with the batching that follows it, in list order.
A block of records that holds a missing or corrupt file fails as a whole and
is dropped (`ignore_errors`). Every record carries its list index, so one
cheap check per block (a `scan`) sees where records are missing; only
then does Python run: it decodes the missing records again, one at a time,
with the same TensorFlow ops (eagerly, so the pictures are bit-identical),
puts the good ones back in their place, and hands each bad one to
`bad_file`, which raises naming it or warns and counts it. The check
branches with `Switch`/`Merge`, not `tf.cond`: an `If` op costs every new
iterator ~7 ms to instantiate, and its branch functions ~7 ms to trace
per dataset, a tenth of an epoch of 2,000 small pictures. When `bad_file`
always raises (no skips) nothing is ever put back, so the check is one
Python call per block on the indices alone, and the pictures pass through
it untouched.
"""

import os

import numpy as np
import tensorflow as tf

# Records decoded (and checked) together when the caller does not batch.
_BLOCK = 64
# Decodes in flight: a fixed sixteen per core, at most 128. AUTOTUNE
# starts every new iterator (every epoch under `fit`) low and ramps up;
# over an epoch of 2,000 small JPEGs on 2 cores it is ~13% slower than 8
# in flight, and 8 is 6-9% (JPEG) and 3-6% (PNG) slower than 32, side by
# side (64 gains nothing more). Each holds one decoded picture until it
# is resized: for 1024x768 photos, 32 in flight hold ~75 MB, 128 (the
# cap, for machines with many cores) ~300 MB.
_PARALLEL_DECODES = min(16 * (os.cpu_count() or 1), 128)


def picture_dataset(
    paths, labels, picture_spec, bad_file, batch_size=None, skips=True
):
    """The decoded pictures of `paths`, with the bad ones handed to Python.

    Args:
        paths: list of str. Picture files (JPEG, PNG, GIF or BMP).
        labels: int64 array, one label per path.
        picture_spec: `(image_size, dtype)`: pictures are resized to this
            square size and given in this dtype (`"uint8"`, `"float32"`).
        bad_file: callable. Called with the path of each record that cannot
            be decoded, in list order; it raises or returns.
        batch_size: int or None. Batch the records; `None` yields them one
            by one.
        skips: bool. Whether `bad_file` may return (skip the record). If
            not, no block is ever short, so none needs rebatching.

    Returns:
        `tf.data.Dataset` of `([S, S, 3] dtype, int64 label)`, batched when
        `batch_size` is given (full batches but the last).
    """
    image_size, dtype = picture_spec
    num_records = len(paths)
    block = batch_size or _BLOCK
    # Records carry their list index where Keras' carry their label; the
    # labels are gathered per block.
    blocks = (
        tf.data.Dataset.from_tensor_slices(
            (paths, tf.range(num_records, dtype=tf.int64))
        )
        .map(
            lambda path, index: (
                decode_picture(path, image_size, dtype),
                index,
            ),
            num_parallel_calls=_PARALLEL_DECODES,
            deterministic=True,
        )
        .batch(block)
        .ignore_errors()
    )
    # Marks the end, so that records missing at the tail are seen: no rows,
    # one index past the list's end, so that it always goes to `restore`.
    end = tf.data.Dataset.from_tensors(
        (
            tf.zeros([0, image_size, image_size, 3], dtype),
            tf.constant([num_records + 1], tf.int64),
        )
    )
    restore = _Restorer(paths, labels, picture_spec, bad_file)
    checked = blocks.concatenate(end).scan(
        tf.constant(0, tf.int64),
        restore.check_block if skips else restore.check_block_or_raise,
    )
    if batch_size is None:
        return checked.unbatch()
    if skips:
        return checked.rebatch(batch_size)
    # Blocks are then never short: all are full but the last; the end mark
    # (no rows) only checks for missing blocks at the tail.
    return checked.take(-(-num_records // batch_size))


def decode_picture(path, image_size, dtype):
    """`[S, S, 3]` `dtype` from a JPEG/PNG/GIF/BMP file (graph or eager).

    float32 is the bilinear resize as it comes, uint8 it rounded.
    """
    image = tf.io.decode_image(
        tf.io.read_file(path), channels=3, expand_animations=False
    )
    # Bilinear weights are convex, so the float32 result lies in [0, 255]
    # and rounds to a valid uint8 without clipping.
    resized = tf.image.resize(image, [image_size, image_size])
    if dtype == "float32":
        return resized
    return tf.cast(tf.round(resized), tf.uint8)


class _Restorer:
    """Checks each block for missing records; decodes and names them."""

    def __init__(self, paths, labels, picture_spec, bad_file):
        self.paths = paths
        self.labels = labels
        self.image_size, self.dtype = picture_spec
        self.bad_file = bad_file

    def check_block(self, expected, block):
        """`scan` step: `(next expected index, (x, label))` for one block.

        A block that arrives is whole: records `index[0] .. index[-1]`. When
        records before it are missing (`index[0] > expected`; always for the
        end mark), `restore` fills them in. Few ops: the function runs once
        per block on tf.data's executor, which dispatches op by op.
        """
        x, index = block  # [n, S, S, 3], [n] (end mark: no rows, [1])
        has_gap = index[0] > expected
        # Each input reaches one branch only: the other's ops do not run.
        (x_whole, x_gap), (index_whole, index_gap), (_, expected_gap) = (
            tf.raw_ops.Switch(data=value, pred=has_gap)
            for value in (x, index, expected)
        )
        restored = tf.numpy_function(
            self.restore,
            [expected_gap, x_gap, index_gap],
            [x.dtype, tf.int64],
        )
        label = tf.gather(self.labels, index_whole)
        x = tf.raw_ops.Merge(inputs=[x_whole, restored[0]]).output
        label = tf.raw_ops.Merge(inputs=[label, restored[1]]).output
        x.set_shape([None, self.image_size, self.image_size, 3])
        label.set_shape([None])
        return index[-1] + 1, (x, label)

    def check_block_or_raise(self, expected, block):
        """`scan` step when `bad_file` raises: one Python call per block.

        A missing record can only stop the iteration, so the pictures pass
        through untouched (no `Switch`/`Merge`): the call checks that the
        block starts where expected and hands the first missing record to
        `bad_file`.
        """
        x, index = block
        following = tf.numpy_function(
            self.raise_for_missing, [expected, index], tf.int64, stateful=True
        )
        following.set_shape([])
        # The end mark has an index but no rows.
        rows = index[: tf.shape(x)[0]]
        return following, (x, tf.gather(self.labels, rows))

    def raise_for_missing(self, expected, index):
        """Raises through `bad_file` for the bad record of a dropped block
        (records `expected .. index[0] - 1` never arrived); else returns the
        next expected index."""
        stop = min(int(index[0]), len(self.paths))
        for i in range(int(expected), stop):  # a dropped block: find its bad
            self.decode_or_report(i)
        if stop > expected:
            raise RuntimeError(
                f"Records {int(expected)}..{stop - 1} of the list went "
                "missing but decode now: was a file changed while read?"
            )
        return index[-1] + 1

    def decode_or_report(self, i):
        """Record `i`'s picture decoded again, or None after `bad_file`."""
        try:
            picture = decode_picture(self.paths[i], self.image_size, self.dtype)
        except tf.errors.OpError:  # what `ignore_errors` dropped
            self.bad_file(self.paths[i])
            return None
        return picture.numpy()

    def restore(self, expected, x, index):
        """The block with its missing records decoded again, in list order."""
        rows = dict(zip(index.tolist(), x))
        stop = min(int(index[-1]) + 1, len(self.paths))
        for i in range(int(expected), stop):
            if i not in rows:
                picture = self.decode_or_report(i)
                if picture is not None:
                    rows[i] = picture
        kept = sorted(rows)
        shape = (len(kept), self.image_size, self.image_size, 3)
        pictures = np.zeros(shape, self.dtype)
        for row, i in enumerate(kept):
            pictures[row] = rows[i]
        return pictures, self.labels[kept]
