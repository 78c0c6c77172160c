"""Cross-Modal Scene Networks: the classification task, methods A/B/C."""

from cm_zoo.models.cmplaces.cross_modal_classifier import CrossModalClassifier
from cm_zoo.models.cmplaces.methods import METHODS
from cm_zoo.models.cmplaces.methods import MethodSpec
from cm_zoo.models.cmplaces.methods import build_method
from cm_zoo.models.cmplaces.methods import build_source_network
from cm_zoo.models.cmplaces.methods import get_method
from cm_zoo.models.cmplaces.source_priors import PRIOR_KINDS
from cm_zoo.models.cmplaces.source_priors import fit_source_priors
from cm_zoo.models.cmplaces.source_transfer import initialize_from_source

__all__ = [
    "METHODS",
    "PRIOR_KINDS",
    "CrossModalClassifier",
    "MethodSpec",
    "build_method",
    "build_source_network",
    "fit_source_priors",
    "get_method",
    "initialize_from_source",
]
