"""Private base of the augmentation layers: training-only, seeded, checked."""

import numbers
import types

import keras
import tensorflow as tf


class TrainingOnlyAugmentation(keras.layers.Layer):
    """Returns its input unchanged unless called with `training=True`.

    `call` has `training=None` as its default, so a plain call (or a call
    inside a model run for inference) leaves the input untouched and Keras
    never records `training=True` in the call context on its behalf.
    Subclasses check the input's static shape in `_check_input(inputs)` and
    implement `_augment(inputs)` drawing from `self._seed_generator`. Inputs
    are not autocast: the output has the input's dtype. TensorFlow backend
    only.
    """

    # The constructor arguments that turn every variation off (subclasses).
    VARIATIONS_OFF = types.MappingProxyType({})

    @classmethod
    def only(cls, seed=None, **variations):
        """A layer with every variation off except `variations`.

        Args:
            seed: int or None. The layer's seed.
            **variations: constructor arguments that override the values of
                `VARIATIONS_OFF` (and any other constructor argument).

        Returns:
            An instance of `cls`.

        Example:
        >>> import numpy as np
        >>> from cm_zoo.layers.shared import DrawingAugmentation
        >>> drawings = np.full((2, 32, 32, 3), 255.0, "float32")
        >>> still = DrawingAugmentation.only(seed=0)
        >>> bool(np.all(still(drawings, training=True) == drawings))
        True
        >>> DrawingAugmentation.only(grayscale_rate=1.0).grayscale_rate
        1.0
        """
        return cls(**{**cls.VARIATIONS_OFF, **variations}, seed=seed)

    def __init__(self, seed=None, **kwargs):
        require_tensorflow_backend(type(self))
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"`seed` must be an int or None. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self._seed_generator = keras.random.SeedGenerator(self.seed)
        # String, JPEG and partition ops have no XLA kernels: a model holding
        # this layer trains without `jit_compile` (Keras warns if asked).
        self.supports_jit = False
        self.built = True

    def call(self, inputs, training=None):
        self._check_input(inputs)
        if not training:
            return inputs
        return self._augment(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config

    def _uniform(self, shape, minval=0.0, maxval=1.0):
        return keras.random.uniform(
            shape, minval=minval, maxval=maxval, seed=self._seed_generator
        )

    def _chosen(self, shape, rate):
        """Boolean mask, each entry `True` with probability `rate`."""
        return self._uniform(shape) < rate

    def _on_chosen(self, inputs, rate, augment):
        """Applies `augment` to the rows chosen with probability `rate`.

        Only the chosen rows are computed: a variation at rate 0.3 costs
        about 0.3 of one applied to the whole batch.
        """
        if rate == 0.0:
            return inputs
        batch = tf.shape(inputs)[:1]
        chosen = tf.cast(self._chosen(batch, rate), "int32")
        # Partition and stitch, not gather and scatter: those two refuse
        # rows of no elements (clips of no samples).
        kept, picked = tf.dynamic_partition(inputs, chosen, 2)
        rows = tf.dynamic_partition(tf.range(batch[0]), chosen, 2)
        return tf.dynamic_stitch(rows, [kept, augment(picked)])


def require_tensorflow_backend(layer_class):
    """Raises for a layer that needs TensorFlow ops (as `TFSMLayer` does)."""
    if keras.backend.backend() != "tensorflow":
        raise NotImplementedError(
            f"{layer_class.__name__} is only supported with the TensorFlow "
            "backend (it runs TensorFlow string, image and gather ops). "
            f"Received: backend={keras.backend.backend()!r}"
        )


def check_rate(name, value):
    """Returns `value` as a float in `[0, 1]` or raises naming `name`."""
    if not _is_real(value) or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"`{name}` must be a probability in [0, 1]. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def check_range(name, value, low=None, high=None):
    """Returns `(min, max)` floats, `min <= max`, within `[low, high]`."""
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(_is_real(v) for v in value)
        or not value[0] <= value[1]
        or (low is not None and value[0] < low)
        or (high is not None and value[1] > high)
    ):
        bounds = (
            f" within [{low}, {high}]" if (low, high) != (None, None) else ""
        )
        raise ValueError(
            f"`{name}` must be a pair (min, max) with min <= max{bounds}. "
            f"Received: {name}={value!r}"
        )
    return (float(value[0]), float(value[1]))


def check_non_negative(name, value):
    """Returns `value` as a float `>= 0` or raises naming `name`."""
    if not _is_real(value) or not value >= 0.0:
        raise ValueError(
            f"`{name}` must be a non-negative number. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def check_static_shape(layer, inputs, rank, what, last_dim=None):
    """Raises if `inputs` has another rank (or known last dim) than expected."""
    shape = tf.TensorShape(inputs.shape)
    if shape.rank != rank or (
        last_dim is not None and shape[-1] not in (None, last_dim)
    ):
        raise ValueError(
            f"Layer {layer.name!r} expects {what}. "
            f"Received: shape={tuple(shape.as_list()) if shape.rank else shape}"
        )


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
