"""Base class of modality towers: a functional model rebuilt from its config."""

import keras
import tensorflow as tf


class Tower(keras.Model):
    """A modality-specific encoder from raw input to the shared pool5 space.

    Subclasses build a functional graph in `__init__`, owning their in-graph
    preprocessing, and list their constructor arguments in `_config_keys`.
    This base class supplies the config round trip, `output_dim`, an input
    check whose error names the tower, the expected and found shapes, and
    empty batches: outside training, a batch of 0 examples returns a
    `(0, output_dim)` output without running the layers (TensorFlow's CPU
    convolutions mis-shape an empty batch, which batch norm then rejects).

    Example:
    >>> from cm_zoo.towers import ImageTower
    >>> tower = ImageTower(image_size=32, conv_filters=[4, 4, 4, 4, 4],
    ...                    conv1_kernel_size=3, conv1_strides=1)
    >>> tower.output_dim, tower.input_spec_summary()
    (16, ('uint8', (None, None, None, 3)))
    >>> tower(np.zeros((0, 20, 20, 3), "uint8")).shape
    TensorShape([0, 16])
    """

    _config_keys = ()

    @property
    def output_dim(self):
        """int. Width of the pool5-space output."""
        return int(self.output.shape[-1])

    def input_spec_summary(self):
        """Returns `(dtype, shape)` of the raw input this tower expects."""
        return self.input.dtype, tuple(self.input.shape)

    def check_input(self, x, modality):
        """Raises `ValueError` unless `x` has this tower's input rank/width."""
        dtype, expected = self.input_spec_summary()
        found = tuple(x.shape)
        compatible = len(found) == len(expected) and all(
            e is None or f is None or e == f
            for e, f in zip(expected[1:], found[1:])
        )
        if not compatible:
            raise ValueError(
                f"Modality {modality!r}: tower {self.name!r} expects input of "
                f"shape {expected} ({dtype}); received shape {found}."
            )

    def call(self, inputs, training=None, mask=None):
        def encode():
            return super(Tower, self).call(inputs, training=training, mask=mask)

        if training:
            return encode()
        return _unless_empty(inputs, encode, self.output_dim, self.output.dtype)

    def get_config(self):
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype_policy.name,
        }
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _unless_empty(inputs, encode, width, dtype):
    """Runs `encode()`, or returns `(0, width)` zeros for an empty batch.

    A batch size known when tracing is decided in Python (no graph op); an
    unknown one becomes a `tf.cond`, so the exported graph handles both.
    """
    batch_size = inputs.shape[0]

    def empty():
        return tf.zeros((0, width), dtype)

    if batch_size is not None:
        return encode() if batch_size else empty()
    return tf.cond(tf.shape(inputs)[0] > 0, encode, empty)
