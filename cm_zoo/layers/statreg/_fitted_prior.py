"""Private base of the fitted StatReg priors: density, reference, file."""

import dataclasses

import numpy as np
import tensorflow as tf

from cm_zoo.layers.statreg import _prior_io


class FittedPrior:
    """The methods shared by `GaussianPrior` and `DiagonalGMMPrior`.

    A subclass is a frozen dataclass whose fields without a default are
    float64 arrays and whose defaulted fields are Python scalars (what the
    fit reports). It sets `KIND`, the `kind` field of its file, and
    `DENSITY`, its `_densities.Density`, whose parameter names are
    attributes of the prior (fields or properties).
    """

    def density_parameters(self):
        """`{name: float64 array}`: the arguments of `DENSITY`, in order."""
        return {name: getattr(self, name) for name in self.DENSITY.parameters}

    def log_prob(self, x):
        """Float64 `log p(x)` of the rows of `x` (`[N, D]` -> `[N]`)."""
        x = tf.constant(np.asarray(x, dtype="float64"))
        parameters = self.density_parameters().values()
        return self.DENSITY.log_prob(
            x, *[tf.constant(value) for value in parameters]
        ).numpy()

    def distribution(self, dtype="float32"):
        """The prior as a TFP distribution with `dtype` parameters.

        A `tfd.MultivariateNormalTriL` for a `GaussianPrior`, a
        `tfd.MixtureSameFamily` of `MultivariateNormalDiag` for a
        `DiagonalGMMPrior`.

        Args:
            dtype: str. Parameter dtype. Defaults to `"float32"`.
        """
        parameters = self.density_parameters().values()
        return self.DENSITY.distribution(
            *[tf.constant(value, dtype) for value in parameters]
        )

    def save(self, path):
        """Writes the prior to an `.npz` file; returns the path written.

        `load_prior` reads it back. A `.npz` suffix is appended if missing.
        """
        arrays = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.default is not dataclasses.MISSING:
                value = np.asarray(field.type(value))
            arrays[field.name] = value
        return _prior_io.save_npz(path, self.KIND, arrays)

    @classmethod
    def from_arrays(cls, path, arrays):
        """Builds the prior from the arrays of a saved file (`load_prior`).

        Scalars missing from an older file take their defaults.
        """
        fields = dataclasses.fields(cls)
        required = [f.name for f in fields if f.default is dataclasses.MISSING]
        _prior_io.check_fields(path, cls.KIND, arrays, required)
        return cls(
            **{
                field.name: arrays[field.name]
                if field.name in required
                else field.type(arrays.get(field.name, field.default))
                for field in fields
            }
        )
