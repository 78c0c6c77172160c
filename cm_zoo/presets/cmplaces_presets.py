"""Presets of Cross-Modal Scene Networks (CMPlaces), paper and CPU size."""

from cm_zoo.presets.architectures import CMPlacesArchitecture
from cm_zoo.presets.sizes import ALEXNET
from cm_zoo.presets.sizes import by_size
from cm_zoo.presets.sizes import presets_by_size
from cm_zoo.presets.training_defaults import CMPlacesTraining

_METADATA = {"paper": "Aytar et al., Cross-Modal Scene Networks"}

_DESCRIPTIONS = {
    "paper": (
        "Cross-Modal Scene Networks at paper size: AlexNet towers "
        "(227x227, pool5 6x6x256 = 9216), a 2x4800 description MLP, "
        "shared fc6/fc7 of 4096 and a 205-way scene classifier."
    ),
    "tiny": (
        "Same topology at CPU size: 64x64 AlexNet-layout towers "
        "(pool5 2x2x48 = 192), 256-unit fc6/fc7; trains in minutes on "
        "2 cores. The description MLP starts from N(0, 0.1) as the "
        "paper's (section 4.5); the towers keep BatchNorm (measured: "
        "without it the source network trains worse in the CPU budget). "
        "Training defaults: the regime of docs/results/cmplaces.md."
    ),
}

# Every table: field -> (paper, tiny).
_ARCHITECTURES = by_size(
    CMPlacesArchitecture,
    {
        **ALEXNET,
        "num_classes": (205, 205),
        "text_hidden_dim": (4800, 256),
        "text_num_buckets": (2**18, 2**14),
        "text_embedding_dim": (300, 64),
        "text_kernel_init_stddev": (0.1, 0.1),
    },
)

# The tiny column is the regime of docs/results/cmplaces.md.
_TRAININGS = by_size(
    CMPlacesTraining,
    {
        "optimizer": ("sgd", "sgd"),
        "learning_rate": (1e-3, 1e-2),
        "momentum": (0.9, 0.9),
        "clipnorm": (10.0, 10.0),
        "source_epochs": (8, 30),
        "source_views": (1, 2),
        "epochs": (6, 25),
        "freeze_epochs": (2, 4),
        "steps_per_epoch": (40, 40),
        "batch_size": (32, 32),
        "num_components": (100, 10),
        "statreg_weight": (0.01, 0.01),
        "patience": (None, 6),
    },
)

CMPLACES_PRESETS = presets_by_size(
    "cmplaces", _METADATA, _DESCRIPTIONS, _ARCHITECTURES, _TRAININGS
)
