"""The fitted full-covariance Gaussian prior of StatReg (CMPlaces, B-Single)."""

import dataclasses

import numpy as np
import tensorflow as tf

from cm_zoo.layers.statreg import _densities
from cm_zoo.layers.statreg import _prior_io

KIND = "gaussian"


@dataclasses.dataclass(frozen=True)
class GaussianPrior:
    """A single full-covariance Gaussian, as fitted by `fit_gaussian`.

    Plain float64 NumPy arrays; `GaussianStatReg.from_prior` copies the mean
    and the precision Cholesky factor into the layer's non-trainable weights.

    Args:
        mean: array `[D]`. The mean.
        covariance: array `[D, D]`. Symmetric positive-definite covariance.
        mean_log_likelihood: float. Mean `log p(x)` (nats per example) of the
            fitting data under this prior, or `nan` when unknown. Defaults to
            `nan`.

    Example:
    >>> from cm_zoo.layers.statreg import GaussianPrior
    >>> prior = GaussianPrior(mean=np.zeros(2), covariance=np.eye(2))
    >>> np.round(prior.log_prob(np.zeros((1, 2))), 4)
    array([-1.8379])
    """

    mean: np.ndarray
    covariance: np.ndarray
    mean_log_likelihood: float = float("nan")

    def __post_init__(self):
        mean = np.asarray(self.mean, dtype="float64")
        covariance = np.asarray(self.covariance, dtype="float64")
        if mean.ndim != 1 or covariance.shape != mean.shape * 2:
            raise ValueError(
                "`mean` and `covariance` must have shapes (D,) and (D, D). "
                f"Received: mean.shape={mean.shape}, "
                f"covariance.shape={covariance.shape}"
            )
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "covariance", covariance)

    @property
    def dim(self):
        """Event dimension `D`."""
        return self.mean.shape[0]

    @property
    def precision_cholesky(self):
        """Upper-triangular `W` with `W W^T = inverse(covariance)`.

        `W = inverse(cholesky(covariance))^T`, the scikit-learn convention.

        Raises:
            ValueError: if the covariance is not positive definite.
        """
        try:
            scale_tril = np.linalg.cholesky(self.covariance)
        except np.linalg.LinAlgError as error:
            raise ValueError(
                "`covariance` must be positive definite; fit with "
                "`diagonal_loading` > 0 or `shrinkage` > 0. "
                f"Received: covariance of shape {self.covariance.shape} "
                f"({error})"
            ) from error
        inverse = np.linalg.solve(scale_tril, np.eye(self.dim))
        return np.triu(inverse.T)

    def log_prob(self, x):
        """Float64 `log p(x)` of the rows of `x` (`[N, D]` -> `[N]`)."""
        return _densities.gaussian_log_prob(
            tf.constant(np.asarray(x, dtype="float64")),
            tf.constant(self.mean),
            tf.constant(self.precision_cholesky),
        ).numpy()

    def distribution(self, dtype="float32"):
        """The prior as a `tfd.MultivariateNormalTriL`.

        Args:
            dtype: str. Parameter dtype. Defaults to `"float32"`.
        """
        return _densities.gaussian_distribution(
            tf.constant(self.mean, dtype),
            tf.constant(self.precision_cholesky, dtype),
        )

    def save(self, path):
        """Writes the prior to an `.npz` file; returns the path written.

        `load_prior` reads it back. A `.npz` suffix is appended if missing.
        """
        return _prior_io.save_npz(
            path,
            KIND,
            {
                "mean": self.mean,
                "covariance": self.covariance,
                "mean_log_likelihood": np.float64(self.mean_log_likelihood),
            },
        )

    @classmethod
    def from_arrays(cls, path, arrays):
        """Builds the prior from the arrays of a saved file (`load_prior`)."""
        _prior_io.check_fields(path, KIND, arrays, ("mean", "covariance"))
        return cls(
            mean=arrays["mean"],
            covariance=arrays["covariance"],
            mean_log_likelihood=float(
                arrays.get("mean_log_likelihood", np.nan)
            ),
        )
