"""Curricula: Keras callbacks deciding what trains when."""

from cm_zoo.curricula.modality_tuning import SHARED_LAYER_NAMES
from cm_zoo.curricula.modality_tuning import ModalityTuning
from cm_zoo.curricula.modality_tuning import find_layers
from cm_zoo.curricula.statreg_schedule import StatRegSchedule

__all__ = [
    "SHARED_LAYER_NAMES",
    "ModalityTuning",
    "StatRegSchedule",
    "find_layers",
]
