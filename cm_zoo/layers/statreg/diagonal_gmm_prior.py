"""The fitted diagonal-covariance GMM prior of StatReg (CMPlaces, B-GMM)."""

import dataclasses

import numpy as np

from cm_zoo.layers.statreg import _densities
from cm_zoo.layers.statreg import _fitted_prior


@dataclasses.dataclass(frozen=True)
class DiagonalGMMPrior(_fitted_prior.FittedPrior):
    """A diagonal-covariance Gaussian mixture, as fitted by `fit_diagonal_gmm`.

    Plain float64 NumPy arrays; `GMMStatReg.from_prior` copies them into the
    layer's non-trainable weights (as float32).

    Args:
        logits: array `[K]`. Mixture log-weights, normalized (`log w_k`).
        means: array `[K, D]`. Component means.
        variances: array `[K, D]`. Positive component variances.
        mean_log_likelihood: float. Mean `log p(x)` (nats per example) of the
            fitting data under this prior, or `nan` when unknown. Defaults to
            `nan`.
        num_iterations: int. EM iterations (M-steps) run. Defaults to `0`.
        converged: bool. Whether EM stopped on `tolerance`. Defaults to
            `False`.

    Example:
    >>> from cm_zoo.layers.statreg import DiagonalGMMPrior
    >>> prior = DiagonalGMMPrior(
    ...     logits=np.log([0.5, 0.5]),
    ...     means=np.array([[0.0], [4.0]]),
    ...     variances=np.ones((2, 1)),
    ... )
    >>> prior.num_components, prior.dim
    (2, 1)
    >>> np.round(prior.log_prob(np.array([[0.0]])), 4)
    array([-1.6118])
    """

    KIND = "diagonal_gmm"
    DENSITY = _densities.DIAGONAL_GMM

    logits: np.ndarray
    means: np.ndarray
    variances: np.ndarray
    mean_log_likelihood: float = float("nan")
    num_iterations: int = 0
    converged: bool = False

    def __post_init__(self):
        logits = np.asarray(self.logits, dtype="float64")
        means = np.asarray(self.means, dtype="float64")
        variances = np.asarray(self.variances, dtype="float64")
        if means.ndim != 2:
            raise ValueError(
                "`means` must have shape (num_components, dim). "
                f"Received: means.shape={means.shape}"
            )
        if logits.shape != means.shape[:1] or variances.shape != means.shape:
            raise ValueError(
                "`logits`, `means` and `variances` must have shapes (K,), "
                f"(K, D), (K, D). Received: logits.shape={logits.shape}, "
                f"means.shape={means.shape}, "
                f"variances.shape={variances.shape}"
            )
        if not np.all(variances > 0.0):
            raise ValueError(
                "`variances` must be positive. Received: "
                f"min(variances)={variances.min()}"
            )
        # Frozen dataclass: normalize through object.__setattr__.
        object.__setattr__(self, "logits", logits)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "variances", variances)

    @property
    def num_components(self):
        """Number of mixture components `K`."""
        return self.means.shape[0]

    @property
    def dim(self):
        """Event dimension `D`."""
        return self.means.shape[1]

    @property
    def weights(self):
        """Mixture weights, `softmax(logits)`."""
        shifted = np.exp(self.logits - self.logits.max())
        return shifted / shifted.sum()
