"""Cross-Modal Scene Networks: the classification task, methods A/B/C."""

from cm_zoo.models.cmplaces.builders import build_cmplaces_backbone
from cm_zoo.models.cmplaces.cross_modal_classifier import CrossModalClassifier
from cm_zoo.models.cmplaces.head_drift import HeadDrift
from cm_zoo.models.cmplaces.head_drift import head_drift
from cm_zoo.models.cmplaces.head_drift import source_head_weights
from cm_zoo.models.cmplaces.methods import METHODS
from cm_zoo.models.cmplaces.methods import MethodSpec
from cm_zoo.models.cmplaces.methods import build_method
from cm_zoo.models.cmplaces.methods import build_source_network
from cm_zoo.models.cmplaces.methods import get_method
from cm_zoo.models.cmplaces.source_priors import PRIOR_KINDS
from cm_zoo.models.cmplaces.source_priors import fit_source_priors
from cm_zoo.models.cmplaces.source_transfer import initialize_from_source
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone

CrossModalBackbone.register_preset_family("cmplaces", build_cmplaces_backbone)

__all__ = [
    "METHODS",
    "PRIOR_KINDS",
    "CrossModalClassifier",
    "HeadDrift",
    "MethodSpec",
    "build_cmplaces_backbone",
    "build_method",
    "build_source_network",
    "fit_source_priors",
    "get_method",
    "head_drift",
    "initialize_from_source",
    "source_head_weights",
]
