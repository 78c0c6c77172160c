"""Cross-modal models: the shared backbone and the papers' methods."""

from cm_zoo.models import cmplaces
from cm_zoo.models import see_hear_read
from cm_zoo.models.cmplaces import CrossModalClassifier
from cm_zoo.models.cross_modal_backbone import LAYER_NAMES
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone
from cm_zoo.models.feature_extraction import extract_features

__all__ = [
    "LAYER_NAMES",
    "CrossModalBackbone",
    "CrossModalClassifier",
    "cmplaces",
    "extract_features",
    "see_hear_read",
]
