"""Cross-modal models: the shared backbone and the papers' methods."""

from cm_zoo.models import cmplaces
from cm_zoo.models import see_hear_read
from cm_zoo.models.cmplaces import CrossModalClassifier
from cm_zoo.models.cross_modal_backbone import LAYER_NAMES
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone
from cm_zoo.models.feature_extraction import extract_features
from cm_zoo.models.feature_inversion import FeatureInversionDecoder
from cm_zoo.models.feature_inversion import fit_feature_inversion

__all__ = [
    "LAYER_NAMES",
    "CrossModalBackbone",
    "CrossModalClassifier",
    "FeatureInversionDecoder",
    "cmplaces",
    "extract_features",
    "fit_feature_inversion",
    "see_hear_read",
]
