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

    A subclass sets `PRIOR_CLASS` (a `FittedPrior` subclass) and implements
    `_prior_weight_specs(dim)`: `{name: (shape, initializer)}` of the float32
    weights that hold the prior, one per name in
    `PRIOR_CLASS.DENSITY.parameters` (their initial values are the prior
    until `set_prior`). It implements `_check_prior_shape` and, if its
    constructor needs more than `weight`, `_arguments_for(prior)`.

    Next to the prior, the layer holds its prior-only terms
    (`DENSITY.terms`, e.g. the GMM's precisions) in weights of their own,
    so that a training step does not recompute them. Every write of the
    prior refreshes them: `set_prior`, and loading the layer from a Keras
    file (which stores the prior alone, as before the terms existed). A
    `tf.train.Checkpoint` of the layer's variables holds both, as
    `get_weights` / `set_weights` do. Assign the prior through `set_prior`,
    not to its weights directly: the terms would not follow.
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

        Also refreshes the prior-only terms the layer caches from it.

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
        self._refresh_prior_terms()

    def prior_distribution(self):
        """The prior as a float32 TFP distribution (the reference density).

        A `tfd.MultivariateNormalTriL` for `GaussianStatReg`, a
        `tfd.MixtureSameFamily` for `GMMStatReg`.
        """
        return self.PRIOR_CLASS.DENSITY.distribution(*self.prior_tensors())

    def prior_tensors(self):
        """The prior's weights as float32 tensors, in `DENSITY` order."""
        return self._tensors(self.PRIOR_CLASS.DENSITY.parameters)

    def prior_term_tensors(self):
        """The cached `DENSITY.prior_terms` of the prior, float32 tensors."""
        return self._tensors(self.PRIOR_CLASS.DENSITY.terms)

    def _tensors(self, names):
        return [tf.convert_to_tensor(getattr(self, name)) for name in names]

    def build(self, input_shape):
        dim = self._check_input_shape(input_shape)
        density = self.PRIOR_CLASS.DENSITY
        with tf.init_scope():  # values, even when built mid-trace
            parameters = {
                name: keras.initializers.get(initializer)(shape, "float32")
                for name, (shape, initializer) in self._prior_weight_specs(
                    dim
                ).items()
            }
            terms = density.prior_terms(
                *[parameters[name] for name in density.parameters]
            )
        initial = {**parameters, **dict(zip(density.terms, terms, strict=True))}
        for name, value in initial.items():
            setattr(self, name, self._add_prior_weight(name, value))

    def _refresh_prior_terms(self):
        density = self.PRIOR_CLASS.DENSITY
        values = density.prior_terms(*self.prior_tensors())
        for name, value in zip(density.terms, values, strict=True):
            getattr(self, name).assign(value)

    def save_own_variables(self, store):
        """Saves the prior's weights alone (the terms follow from them)."""
        for index, name in enumerate(self.PRIOR_CLASS.DENSITY.parameters):
            store[str(index)] = getattr(self, name)

    def load_own_variables(self, store):
        """Loads the prior's weights and refreshes the terms from them."""
        names = self.PRIOR_CLASS.DENSITY.parameters
        if len(store) != len(names):
            raise ValueError(
                f"{type(self).__name__} `{self.name}` expected "
                f"{len(names)} variables ({', '.join(names)}), but received "
                f"{len(store)} variables during loading."
            )
        for index, name in enumerate(names):
            getattr(self, name).assign(store[str(index)])
        self._refresh_prior_terms()

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} `{self.name}` expects inputs of shape "
                "(batch_size, dim) with a known `dim`. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        return int(input_shape[-1])

    def _add_prior_weight(self, name, value):
        # float32 whatever the dtype policy, and never autocast to float16.
        return self.add_weight(
            name=name,
            shape=value.shape,
            initializer=lambda shape, dtype: value,
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
