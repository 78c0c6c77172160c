"""Private base of the StatReg layers: validation, pass-through, loss."""

import numbers

import keras
import tensorflow as tf


class StatRegBase(keras.layers.Layer):
    """Adds `weight * mean(-log p(x))` in training; returns `x` unchanged.

    Subclasses create the prior weights in `build` (pinned to float32, not
    autocast) and implement `_log_prob(x)` for float32 `x` of shape `[B, D]`.
    """

    def __init__(self, weight=1.0, **kwargs):
        if keras.backend.backend() != "tensorflow":
            raise NotImplementedError(
                f"{type(self).__name__} is only supported with the TensorFlow "
                "backend (its prior is a TensorFlow Probability distribution)."
                f" Received: backend={keras.backend.backend()!r}"
            )
        if (
            isinstance(weight, bool)
            or not isinstance(weight, numbers.Real)
            or not weight >= 0.0
        ):
            raise ValueError(
                "`weight` must be a non-negative float. "
                f"Received: weight={weight!r}"
            )
        super().__init__(**kwargs)
        self.weight = float(weight)

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} `{self.name}` expects inputs of shape "
                "(batch_size, dim) with a known `dim`. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        return int(input_shape[-1])

    def _add_prior_weight(self, name, shape, initializer):
        # float32 whatever the dtype policy, and never autocast to float16.
        return self.add_weight(
            name=name,
            shape=shape,
            initializer=initializer,
            dtype="float32",
            trainable=False,
            autocast=False,
        )

    def call(self, inputs, training=None):
        if training:
            log_prob = self._log_prob(tf.cast(inputs, "float32"))  # [B]
            self.add_loss(self.weight * -tf.reduce_mean(log_prob))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"weight": self.weight})
        return config
