"""Presets by name: typed architectures with their training defaults.

Pure data; imports nothing else from cm_zoo. `get(name)` returns a frozen
`Preset`; `Preset.config(**overrides)` gives the architecture as the dict
of constructor arguments that the tower and model builders take.
"""

from cm_zoo.presets.architectures import CMPlacesArchitecture
from cm_zoo.presets.architectures import ImageArchitecture
from cm_zoo.presets.architectures import SeeHearReadArchitecture
from cm_zoo.presets.preset import Preset
from cm_zoo.presets.preset_table import FAMILIES
from cm_zoo.presets.preset_table import get
from cm_zoo.presets.preset_table import names
from cm_zoo.presets.training_defaults import CMPlacesTraining
from cm_zoo.presets.training_defaults import SeeHearReadTraining

__all__ = [
    "FAMILIES",
    "CMPlacesArchitecture",
    "CMPlacesTraining",
    "ImageArchitecture",
    "Preset",
    "SeeHearReadArchitecture",
    "SeeHearReadTraining",
    "get",
    "names",
]
