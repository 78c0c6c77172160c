"""See, Hear, and Read: sound and text aligned to images (Aytar et al.)."""

from cm_zoo.models.cross_modal_backbone import CrossModalBackbone
from cm_zoo.models.see_hear_read.builders import build_see_hear_read_backbone
from cm_zoo.models.see_hear_read.see_hear_read_model import PAIR_SETS
from cm_zoo.models.see_hear_read.see_hear_read_model import SOUND_TEXT
from cm_zoo.models.see_hear_read.see_hear_read_model import SeeHearReadModel

CrossModalBackbone.register_preset_family(
    "see_hear_read", build_see_hear_read_backbone
)

__all__ = [
    "PAIR_SETS",
    "SOUND_TEXT",
    "SeeHearReadModel",
    "build_see_hear_read_backbone",
]
