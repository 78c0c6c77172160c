"""The fitted full-covariance Gaussian prior of StatReg (CMPlaces, B-Single)."""

import dataclasses

import numpy as np

from cm_zoo.layers.statreg import _densities
from cm_zoo.layers.statreg import _fitted_prior


@dataclasses.dataclass(frozen=True)
class GaussianPrior(_fitted_prior.FittedPrior):
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

    KIND = "gaussian"
    DENSITY = _densities.GAUSSIAN

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
