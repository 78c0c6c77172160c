"""CMPlaces / Places205 list files (`relative/path label` lines) -> tf.data.

Each record is decoded in Python (PIL for images, `wave` for sounds, the
spatial-text renderer for XML annotations, UTF-8 for descriptions) inside a
parallel `tf.data` map, so a bad file is reported by name: with
`on_corrupt="raise"` iteration stops with an error naming the file; with
`on_corrupt="skip"` only that record is dropped (before batching), a warning
names it and `ListFileReport` counts it.
"""

import io
import os
import warnings
import wave

import numpy as np
import tensorflow as tf
from PIL import Image

from cm_zoo import modalities
from cm_zoo.data import spatial_text

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
    deterministic=True,
    cache=False,
):
    """Builds a finite `tf.data.Dataset` of `(x, label)` from a list file.

    Images (`natural`, `clipart`, `sketch`, and `spatial_text` given as
    pictures) are decoded to uint8 `[S, S, 3]`; `spatial_text` `.xml`
    annotations are rendered by `spatial_text.render_annotation_file`;
    `description` files are read as UTF-8 strings; `sound` files are 16-bit
    PCM WAV at 16 kHz, read as float32 `[samples]`.

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
        deterministic: bool. Keep the list order under parallel decoding.
            Defaults to `True`.
        cache: bool. Keep decoded records in memory after the first pass,
            so later epochs read no files. Defaults to `False`.

    Returns:
        `(dataset, report)`: the dataset and a `ListFileReport`.

    Raises:
        ValueError: for bad arguments or list lines at once; while iterating
            (as `tf.errors.InvalidArgumentError`, message naming the file)
            for a missing, empty or corrupt file under `on_corrupt="raise"`.
    """
    modalities.validate(modality)
    if on_corrupt not in ON_CORRUPT:
        raise ValueError(
            f"`on_corrupt` must be one of {list(ON_CORRUPT)}. "
            f"Received: on_corrupt={on_corrupt!r}"
        )
    is_image = modalities.is_image(modality)
    if is_image and not (isinstance(image_size, int) and image_size > 0):
        raise ValueError(
            f"`image_size` must be a positive int for the image modality "
            f"{modality!r}. Received: image_size={image_size!r}"
        )
    paths, labels = read_list_file(list_path, root, class_names)
    report = ListFileReport()
    decode = _decoder(modality, image_size)
    if is_image:
        dtype, shape = tf.uint8, (image_size, image_size, 3)
    elif modality == modalities.SOUND:
        dtype, shape = tf.float32, (None,)
    else:
        dtype, shape = tf.string, ()

    def load(path):
        path = path.decode("utf-8")
        try:
            return decode(path), np.bool_(True)
        except (OSError, ValueError, EOFError, wave.Error) as error:
            reason = f"{modality} file {path!r} unreadable: {error}"
            if on_corrupt == "raise":
                raise ValueError(reason) from error
            report.skipped.append((path, str(error)))
            warnings.warn(f"Skipping {reason}", stacklevel=2)
            return _empty(dtype, shape), np.bool_(False)

    def tf_load(path, label):
        x, ok = tf.numpy_function(load, [path], [dtype, tf.bool])
        x.set_shape(shape)
        ok.set_shape(())
        return x, label, ok

    dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
    dataset = dataset.map(
        tf_load,
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=deterministic,
    )
    dataset = dataset.filter(lambda x, label, ok: ok)
    dataset = dataset.map(lambda x, label, ok: (x, label))
    if cache:
        dataset = dataset.cache()
    return dataset, report


def decode_image_file(path, image_size):
    """Reads a JPEG/PNG file as uint8 RGB `[image_size, image_size, 3]`.

    Raises:
        ValueError: for an empty or undecodable file, naming it.
        OSError: for a missing file.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if not raw:
        raise ValueError(f"image file {path!r} is empty (0 bytes).")
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image = image.convert("RGB")
    except OSError as error:
        raise ValueError(
            f"image file {path!r} is not a decodable JPEG/PNG: {error}"
        ) from error
    image = image.resize((image_size, image_size), Image.BILINEAR)
    return np.asarray(image, np.uint8)


def read_text_file(path):
    """Reads a description file; raises `ValueError` when it is empty."""
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    if not text:
        raise ValueError(f"description file {path!r} is empty.")
    return text.encode("utf-8")


def read_wav_file(path, rate=16000):
    """Reads 16-bit PCM WAV (mono or mixed down) at `rate` as float32."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2 or w.getframerate() != rate:
            raise ValueError(
                f"sound file {path!r}: expected 16-bit PCM at {rate} Hz, "
                f"found {8 * w.getsampwidth()}-bit at {w.getframerate()} Hz."
            )
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        pcm = pcm.reshape(-1, w.getnchannels()).mean(axis=1)
    if pcm.size == 0:
        raise ValueError(f"sound file {path!r} has no samples.")
    return (pcm / 32768.0).astype(np.float32)


def _decoder(modality, image_size):
    if modality == modalities.DESCRIPTION:
        return read_text_file
    if modality == modalities.SOUND:
        return read_wav_file

    def decode(path):
        if modality == modalities.SPATIAL_TEXT and path.endswith(".xml"):
            return spatial_text.render_annotation_file(path, image_size)
        return decode_image_file(path, image_size)

    return decode


def _empty(dtype, shape):
    if dtype == tf.string:
        return np.bytes_(b"")
    return np.zeros(
        [0 if d is None else d for d in shape], dtype.as_numpy_dtype
    )
