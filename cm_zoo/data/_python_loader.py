"""A list file's records decoded in Python, bad files named.

Sounds, descriptions and spatial text (and, to name a bad one, a picture the
`tf.data` graph could not decode) are decoded by the readers of
`file_readers` inside `tf.numpy_function`; a file that fails is raised
naming it (`on_corrupt="raise"`) or dropped, warned about and counted in the
`ListFileReport` (`on_corrupt="skip"`).
"""

import warnings
import wave

import numpy as np
import tensorflow as tf

from cm_zoo import modalities
from cm_zoo.data import file_readers
from cm_zoo.data import spatial_text


class PythonLoader:
    """Decodes one record in Python; names, raises or counts bad files."""

    def __init__(self, modality, decode, spec, on_corrupt, report):
        self.modality = modality
        self.decode = decode
        self.dtype, self.shape = spec
        self.on_corrupt = on_corrupt
        self.report = report

    def __call__(self, path):
        """`(x, ok)` for `path` (bytes or str); see `on_corrupt`."""
        if isinstance(path, bytes):
            path = path.decode("utf-8")
        try:
            return self.decode(path), np.bool_(True)
        except (OSError, ValueError, EOFError, wave.Error) as error:
            self.bad_file(path, str(error))
            return _empty(self.dtype, self.shape), np.bool_(False)

    def bad_file(self, path, reason):
        """Raises (`"raise"`) or warns and counts (`"skip"`)."""
        message = f"{self.modality} file {path!r} unreadable: {reason}"
        if self.on_corrupt == "raise":
            raise ValueError(message)
        self.report.skipped.append((path, reason))
        warnings.warn(f"Skipping {message}", stacklevel=2)

    def bad_picture(self, path):
        """Names a picture the graph could not decode (PIL says why)."""
        try:
            self.decode(path)
        except (OSError, ValueError, EOFError) as error:
            self.bad_file(path, str(error))
        else:
            self.bad_file(
                path,
                "PIL reads it but tf.io.decode_image does not (JPEG, "
                "PNG, GIF or BMP expected)",
            )

    def as_op(self, path, label):
        """The loader as a dataset map: `(x, label, ok)`."""
        x, ok = tf.numpy_function(self, [path], [self.dtype, tf.bool])
        x.set_shape(self.shape)
        ok.set_shape(())
        return x, label, ok


def python_loader(modality, image_size, on_corrupt, report):
    return PythonLoader(
        modality,
        _decoder(modality, image_size),
        _record_spec(modality, image_size),
        on_corrupt,
        report,
    )


def _record_spec(modality, image_size):
    """`(dtype, shape)` of one decoded record of `modality`."""
    if modalities.is_image(modality):
        return tf.uint8, (image_size, image_size, 3)
    if modality == modalities.SOUND:
        return tf.float32, (None,)
    return tf.string, ()


def _decoder(modality, image_size):
    if modality == modalities.DESCRIPTION:
        return file_readers.read_text_file
    if modality == modalities.SOUND:
        return file_readers.read_sound_file

    def decode(path):
        if modality == modalities.SPATIAL_TEXT and path.endswith(".xml"):
            return spatial_text.render_annotation_file(path, image_size)
        return file_readers.decode_image_file(path, image_size)

    return decode


def _empty(dtype, shape):
    if dtype == tf.string:
        return np.bytes_(b"")
    return np.zeros(
        [0 if d is None else d for d in shape], dtype.as_numpy_dtype
    )
