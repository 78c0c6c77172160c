"""CMPlaces / Places205 list files (`relative/path label` lines) -> tf.data.

Pictures (`natural`, `clipart`, `sketch`) are read and decoded in the
`tf.data` graph (`tf.io.read_file`, `tf.io.decode_image`,
`tf.image.resize`), in parallel and outside the GIL, as
`keras.utils.image_dataset_from_directory` does.
A record the graph cannot read (missing, empty, truncated, not an image) is
dropped there and met again, in list order, by a Python step that names it:
with `on_corrupt="raise"` iteration stops with an error naming the file;
with `on_corrupt="skip"` only that record is dropped, a warning names it and
`ListFileReport` counts it. Sounds (`wave`), descriptions (UTF-8) and
spatial-text annotations (rendered XML) are decoded in Python inside a
parallel map, with the same handling of bad files.
"""

import os

import numpy as np
import tensorflow as tf

from cm_zoo import modalities
from cm_zoo.data import pipelines
from cm_zoo.data._picture_dataset import picture_dataset
from cm_zoo.data._python_loader import python_loader

ON_CORRUPT = ("raise", "skip")


def read_list_file(list_path, root=None, class_names=None):
    """Reads a `relative/path label` list file.

    Labels are integers, or category names when `class_names` is given.
    Paths are joined to `root` (default: the list file's directory).

    Args:
        list_path: str. The list file.
        root: str. Directory the paths are relative to.
        class_names: list of str. Known categories; when given, every label
            must be a name in it or an index below its length.

    Returns:
        `(paths, labels)`: list of str and int64 array.

    Raises:
        ValueError: for a malformed line or an unknown label, naming the list
            file and line.

    Example:
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> list_path = os.path.join(d, "list.txt")
    >>> _ = open(list_path, "w").write("a/1.jpg 0\\nb.jpg 2\\n")
    >>> paths, labels = cm_zoo.data.read_list_file(list_path)
    >>> [os.path.relpath(p, d) for p in paths], labels.tolist()
    (['a/1.jpg', 'b.jpg'], [0, 2])
    """
    root = os.path.dirname(list_path) if root is None else root
    index = {name: i for i, name in enumerate(class_names or [])}
    paths, labels = [], []
    with open(list_path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            parts = line.rsplit(maxsplit=1)
            where = f"{list_path}:{number}"
            if len(parts) != 2:
                raise ValueError(
                    f"Malformed line in list file {where}: expected "
                    f"'relative/path label', found {line.strip()!r}."
                )
            path, label = parts
            if label.lstrip("-").isdigit():
                label = int(label)
                if label < 0 or (class_names and label >= len(class_names)):
                    raise ValueError(
                        f"Unknown label {label} in list file {where}: "
                        f"expected an index in [0, {len(index) or 'inf'})."
                    )
            elif label in index:
                label = index[label]
            else:
                raise ValueError(
                    f"Unknown label {label!r} in list file {where}: expected "
                    f"an integer or one of {list(index)}."
                )
            paths.append(os.path.join(root, path))
            labels.append(label)
    return paths, np.array(labels, np.int64)


class ListFileReport:
    """Counts the records skipped by a list dataset (`on_corrupt="skip"`).

    Attributes:
        skipped: list of `(path, reason)` tuples, in the order met.
    """

    def __init__(self):
        self.skipped = []

    @property
    def num_skipped(self):
        return len(self.skipped)


def make_list_dataset(
    list_path,
    modality,
    *,
    root=None,
    class_names=None,
    image_size=None,
    on_corrupt="raise",
    batch_size=None,
    dtype="uint8",
    deterministic=True,
    cache=False,
):
    """Builds a finite `tf.data.Dataset` of `(x, label)` from a list file.

    Images (`natural`, `clipart`, `sketch`, and `spatial_text` given as
    pictures) are decoded to uint8 `[S, S, 3]` (bilinear resize);
    `spatial_text` `.xml` annotations are rendered by
    `spatial_text.render_annotation_file`; `description` files are read as
    UTF-8 strings; `sound` files are 16-bit PCM WAV or FLAC at any rate,
    read as float32 `[samples]` resampled to 16 kHz
    (`file_readers.read_sound_file`). The dataset runs without tf.data's
    autotuning thread (`pipelines.without_autotune_thread`), so that an
    epoch ends with its last batch.

    Args:
        list_path: str. The list file (`relative/path label` lines).
        modality: str. A key of `cm_zoo.modalities`.
        root: str. Directory the paths are relative to. Defaults to the list
            file's directory.
        class_names: list of str. See `read_list_file`.
        image_size: int. Images are resized to this square size. Required
            for image modalities.
        on_corrupt: str. `"raise"` stops with an error naming the file;
            `"skip"` drops that record, warns and counts it in the report.
        batch_size: int. Yield batches of this many records (the last may
            be smaller), as `dataset.batch(batch_size)` would, but cheaper
            for pictures: their decoding is fused with the batching. Not for
            `sound`, whose records differ in length. Defaults to `None`
            (records one by one).
        dtype: str. `"uint8"` (rounded) or, for `natural`, `clipart` and
            `sketch`, `"float32"`: the bilinear resize unrounded, the values
            `keras.utils.image_dataset_from_directory` gives. Defaults to
            `"uint8"`.
        deterministic: bool. Keep the list order under parallel decoding of
            sounds, descriptions and spatial text. Pictures always keep it
            (that is how a record the graph could not decode is found again
            by name). Defaults to `True`.
        cache: bool. Keep decoded records in memory after the first pass,
            so later epochs read no files. Defaults to `False`.

    Returns:
        `(dataset, report)`: the dataset and a `ListFileReport`.

    Raises:
        ValueError: for bad arguments or list lines at once; while iterating
            (as `tf.errors.InvalidArgumentError`, message naming the file)
            for a missing, empty or corrupt file under `on_corrupt="raise"`.

    Example:
    >>> import os, tempfile
    >>> from PIL import Image
    >>> d = tempfile.mkdtemp()
    >>> Image.new("RGB", (20, 10), "red").save(os.path.join(d, "a.jpg"))
    >>> list_path = os.path.join(d, "list.txt")
    >>> _ = open(list_path, "w").write("a.jpg 3\\nmissing.jpg 1\\n")
    >>> dataset, report = cm_zoo.data.make_list_dataset(
    ...     list_path, "natural", image_size=8, on_corrupt="skip")
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     [(tuple(x.shape), int(y)) for x, y in dataset]
    [((8, 8, 3), 3)]
    >>> report.num_skipped, os.path.basename(report.skipped[0][0])
    (1, 'missing.jpg')
    """
    _check_arguments(modality, image_size, on_corrupt, batch_size, dtype)
    is_picture = modalities.is_image(modality) and (
        modality != modalities.SPATIAL_TEXT
    )
    paths, labels = read_list_file(list_path, root, class_names)
    report = ListFileReport()
    load = python_loader(modality, image_size, on_corrupt, report)
    if is_picture:
        dataset = picture_dataset(
            paths,
            labels,
            (image_size, dtype),
            load.bad_picture,
            batch_size,
            skips=on_corrupt == "skip",
        )
    else:
        dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
        dataset = dataset.map(
            lambda path, label: load.as_op(path, label),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=deterministic,
        )
        dataset = dataset.filter(lambda x, label, ok: ok)
        dataset = dataset.map(lambda x, label, ok: (x, label))
        if batch_size is not None:
            dataset = dataset.batch(batch_size)
    if cache:
        dataset = dataset.cache()
    return pipelines.without_autotune_thread(dataset), report


def _check_arguments(modality, image_size, on_corrupt, batch_size, dtype):
    """Raises `ValueError` naming the first bad argument of a list dataset."""
    modalities.validate(modality)
    is_image = modalities.is_image(modality)
    if on_corrupt not in ON_CORRUPT:
        expected = f"one of {list(ON_CORRUPT)}"
        _bad_argument("on_corrupt", on_corrupt, expected, modality)
    if is_image and not _is_positive_int(image_size):
        expected = "a positive int for an image modality"
        _bad_argument("image_size", image_size, expected, modality)
    if batch_size is not None and (
        not _is_positive_int(batch_size) or modality == modalities.SOUND
    ):
        expected = (
            "None, or a positive int but for sound (its records differ in "
            "length: use `padded_batch`)"
        )
        _bad_argument("batch_size", batch_size, expected, modality)
    is_picture = is_image and modality != modalities.SPATIAL_TEXT
    if dtype != "uint8" and not (dtype == "float32" and is_picture):
        expected = "'uint8', or 'float32' for natural, clipart and sketch"
        _bad_argument("dtype", dtype, expected, modality)


def _bad_argument(name, value, expected, modality):
    raise ValueError(
        f"`{name}` must be {expected} (modality {modality!r}). "
        f"Received: {name}={value!r}"
    )


def _is_positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
