"""Private base of the StatReg layers: validation, prior, pass-through, loss."""

import numbers
import string

import keras
import tensorflow as tf

from cm_zoo.layers.statreg.regularize_together import regularize_together

# Docstring sections every StatReg layer shares, indented as they appear.
_SHARED_DOCS = {
    "distribution": (
        "Under `tf.distribute`, Keras 3 divides each replica's added loss\n"
        "    by the number of replicas before the gradients are summed\n"
        "    across replicas, so with equal per-replica batches the update is\n"
        "    that of the mean NLL over the global batch."
    ),
    "weight_and_kwargs": (
        "weight: float. Non-negative multiplier `lambda` of the added\n"
        "            loss. Defaults to `1.`.\n"
        "        **kwargs: Base layer arguments (`name`, `dtype`, ...)."
    ),
    "call_and_shapes": (
        "Call arguments:\n"
        "        inputs: Hidden activations.\n"
        "        training: bool. Adds the loss only when true.\n"
        "\n"
        "    Input shape:\n"
        "        `(batch_size, dim)`.\n"
        "\n"
        "    Output shape:\n"
        "        Same as the input."
    ),
}


def expand_shared_docs(cls):
    """Fills the `${name}` sections of `cls.__doc__` (as TFP's docstrings)."""
    cls.__doc__ = string.Template(cls.__doc__).substitute(_SHARED_DOCS)
    return cls


class StatRegBase(keras.layers.Layer):
    """Adds `weight * mean(-log p(x))` in training; returns `x` unchanged.

    A subclass sets `PRIOR_CLASS` (a `FittedPrior` subclass) and, in `build`,
    creates one float32 weight (`_add_prior_weight`) per name in
    `PRIOR_CLASS.DENSITY.parameters`. It implements `_check_prior_shape` and,
    if its constructor needs more than `weight`, `_arguments_for(prior)`.
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

    @classmethod
    def from_prior(cls, prior, weight=1.0, **kwargs):
        """Builds a layer whose weights hold `prior`.

        Args:
            prior: The fitted prior: a `GaussianPrior` for `GaussianStatReg`,
                a `DiagonalGMMPrior` for `GMMStatReg`.
            weight: float. See the class arguments. Defaults to `1.`.
            **kwargs: Base layer arguments (`name`, `dtype`, ...).
        """
        cls._check_prior_type(prior)
        layer = cls(weight=weight, **cls._arguments_for(prior), **kwargs)
        layer.build((None, prior.dim))
        layer.set_prior(prior)
        return layer

    @classmethod
    def _arguments_for(cls, prior):
        """Constructor arguments, besides `weight`, that `prior` fixes."""
        return {}

    @classmethod
    def _check_prior_type(cls, prior):
        if not isinstance(prior, cls.PRIOR_CLASS):
            raise TypeError(
                f"`prior` must be a `{cls.PRIOR_CLASS.__name__}`. "
                f"Received: prior of type {type(prior).__name__}"
            )

    def set_prior(self, prior):
        """Copies a fitted prior (see `from_prior`) into the layer's weights.

        Raises:
            TypeError: if `prior` is not of the layer's prior class.
            ValueError: if the layer is unbuilt, the prior's shapes differ
                from the layer's or (Gaussian) the covariance is not
                positive definite.
        """
        self._check_prior_type(prior)
        if not self.built:
            layer_class = type(self).__name__
            raise ValueError(
                f"{layer_class} `{self.name}` must be built before "
                f"`set_prior`; call it on an input or use "
                f"`{layer_class}.from_prior`."
            )
        self._check_prior_shape(prior)
        for name, value in prior.density_parameters().items():
            getattr(self, name).assign(value.astype("float32"))

    def prior_distribution(self):
        """The prior as a float32 TFP distribution (the reference density).

        A `tfd.MultivariateNormalTriL` for `GaussianStatReg`, a
        `tfd.MixtureSameFamily` for `GMMStatReg`.
        """
        return self.PRIOR_CLASS.DENSITY.distribution(*self.prior_tensors())

    def prior_tensors(self):
        """The prior's weights as float32 tensors, in `DENSITY` order."""
        return [
            tf.convert_to_tensor(getattr(self, name))
            for name in self.PRIOR_CLASS.DENSITY.parameters
        ]

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
            regularize_together([(self, inputs)])
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"weight": self.weight})
        return config
