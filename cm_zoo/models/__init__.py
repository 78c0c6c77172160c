"""Cross-modal models: the shared backbone and the papers' methods.

The backbone owns the vocabulary of layer names: `POOL5`, `FC6`, `FC7`,
`LOGITS`, `SHARED_LAYERS` (the hidden features every modality has),
`LAYER_NAMES` (the outputs of `CrossModalBackbone.encode`) and
`UPPER_LAYERS` (the weighted layers above the towers); widths come from
`CrossModalBackbone.layer_widths`.
"""

from cm_zoo.models import cmplaces
from cm_zoo.models import see_hear_read
from cm_zoo.models.cmplaces import CrossModalClassifier
from cm_zoo.models.cross_modal_backbone import CLASSIFIER
from cm_zoo.models.cross_modal_backbone import FC6
from cm_zoo.models.cross_modal_backbone import FC7
from cm_zoo.models.cross_modal_backbone import LAYER_NAMES
from cm_zoo.models.cross_modal_backbone import LOGITS
from cm_zoo.models.cross_modal_backbone import POOL5
from cm_zoo.models.cross_modal_backbone import SHARED_LAYERS
from cm_zoo.models.cross_modal_backbone import UPPER_LAYERS
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone
from cm_zoo.models.feature_extraction import extract_features
from cm_zoo.models.feature_inversion import FeatureInversionDecoder
from cm_zoo.models.feature_inversion import fit_feature_inversion
from cm_zoo.models.merge import merge_backbones
from cm_zoo.models.see_hear_read import SeeHearReadModel
from cm_zoo.models.task import Task

__all__ = [
    "CLASSIFIER",
    "FC6",
    "FC7",
    "LAYER_NAMES",
    "LOGITS",
    "POOL5",
    "SHARED_LAYERS",
    "UPPER_LAYERS",
    "CrossModalBackbone",
    "CrossModalClassifier",
    "FeatureInversionDecoder",
    "SeeHearReadModel",
    "Task",
    "cmplaces",
    "extract_features",
    "fit_feature_inversion",
    "merge_backbones",
    "see_hear_read",
]
