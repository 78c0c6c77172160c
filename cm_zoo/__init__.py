"""cm_zoo: cross-modal representations learned from weakly aligned data.

Subpackages follow the architecture: `towers` (one encoder per modality),
`layers` (shared blocks, StatReg), `models` (the cross-modal backbone and
the papers' methods), `curricula`, `losses`, `data`, `evaluation`, `export`,
`training` and `runs` (run directories).
"""

from cm_zoo import atomic_files
from cm_zoo import curricula
from cm_zoo import data
from cm_zoo import evaluation
from cm_zoo import export
from cm_zoo import layers
from cm_zoo import losses
from cm_zoo import modalities
from cm_zoo import models
from cm_zoo import presets
from cm_zoo import runs
from cm_zoo import towers
from cm_zoo import training

__all__ = [
    "atomic_files",
    "curricula",
    "data",
    "evaluation",
    "export",
    "layers",
    "losses",
    "modalities",
    "models",
    "presets",
    "runs",
    "towers",
    "training",
]
__version__ = "0.1.0"
