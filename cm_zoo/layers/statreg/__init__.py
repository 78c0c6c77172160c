"""StatReg layers (CMPlaces Method B) and the fitters of their priors."""

from cm_zoo.layers.statreg.diagonal_gmm_prior import DiagonalGMMPrior
from cm_zoo.layers.statreg.fit_diagonal_gmm import fit_diagonal_gmm
from cm_zoo.layers.statreg.fit_gaussian import fit_gaussian
from cm_zoo.layers.statreg.gaussian_prior import GaussianPrior
from cm_zoo.layers.statreg.gaussian_statreg import GaussianStatReg
from cm_zoo.layers.statreg.gmm_statreg import GMMStatReg
from cm_zoo.layers.statreg.load_prior import load_prior
from cm_zoo.layers.statreg.regularize_together import regularize_together
from cm_zoo.layers.statreg.streaming_moments import streaming_moments

__all__ = [
    "DiagonalGMMPrior",
    "GMMStatReg",
    "GaussianPrior",
    "GaussianStatReg",
    "fit_diagonal_gmm",
    "fit_gaussian",
    "load_prior",
    "regularize_together",
    "streaming_moments",
]
