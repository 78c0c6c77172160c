"""Layers of cm_zoo: shared upper blocks and the StatReg regularizers."""

from cm_zoo.layers.shared import DrawingAugmentation
from cm_zoo.layers.shared import TextAugmentation
from cm_zoo.layers.shared import WaveformAugmentation
from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.layers.statreg import GaussianPrior
from cm_zoo.layers.statreg import GaussianStatReg
from cm_zoo.layers.statreg import GMMStatReg
from cm_zoo.layers.statreg import fit_diagonal_gmm
from cm_zoo.layers.statreg import fit_gaussian
from cm_zoo.layers.statreg import load_prior
from cm_zoo.layers.statreg import regularize_together

__all__ = [
    "DiagonalGMMPrior",
    "DrawingAugmentation",
    "GMMStatReg",
    "GaussianPrior",
    "GaussianStatReg",
    "TextAugmentation",
    "WaveformAugmentation",
    "fit_diagonal_gmm",
    "fit_gaussian",
    "load_prior",
    "regularize_together",
]
