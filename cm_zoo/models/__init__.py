"""Cross-modal models: the shared backbone and the papers' methods."""
from cm_zoo.models.cross_modal_backbone import LAYER_NAMES
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone

__all__ = ["LAYER_NAMES", "CrossModalBackbone"]
