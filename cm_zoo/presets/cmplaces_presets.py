"""Presets of Cross-Modal Scene Networks (CMPlaces), paper and CPU size."""

from cm_zoo.presets.architectures import CMPlacesArchitecture
from cm_zoo.presets.preset import Preset
from cm_zoo.presets.shared_sizes import ALEXNET_PAPER
from cm_zoo.presets.shared_sizes import ALEXNET_TINY
from cm_zoo.presets.training_defaults import CMPlacesTraining

_METADATA = {"paper": "Aytar et al., Cross-Modal Scene Networks"}

CMPLACES_PRESETS = (
    Preset(
        name="cmplaces_alexnet_paper",
        family="cmplaces",
        description=(
            "Cross-Modal Scene Networks at paper size: AlexNet towers "
            "(227x227, pool5 6x6x256 = 9216), a 2x4800 description MLP, "
            "shared fc6/fc7 of 4096 and a 205-way scene classifier."
        ),
        architecture=CMPlacesArchitecture(
            **ALEXNET_PAPER,
            num_classes=205,
            text_hidden_dim=4800,
            text_num_buckets=2**18,
            text_embedding_dim=300,
            text_kernel_init_stddev=0.1,
        ),
        training=CMPlacesTraining(learning_rate=1e-3, num_components=100),
        metadata=_METADATA,
    ),
    Preset(
        name="cmplaces_alexnet_tiny",
        family="cmplaces",
        description=(
            "Same topology at CPU size: 64x64 AlexNet-layout towers "
            "(pool5 2x2x48 = 192), 256-unit fc6/fc7; trains in minutes on "
            "2 cores. The description MLP starts from N(0, 0.1) as the "
            "paper's (section 4.5); the towers keep BatchNorm (measured: "
            "without it the source network trains worse in the CPU budget). "
            "Training defaults: the regime of docs/results/cmplaces.md."
        ),
        architecture=CMPlacesArchitecture(
            **ALEXNET_TINY,
            num_classes=205,
            text_hidden_dim=256,
            text_num_buckets=2**14,
            text_embedding_dim=64,
            text_kernel_init_stddev=0.1,
        ),
        training=CMPlacesTraining(
            learning_rate=1e-2,
            num_components=10,
            source_epochs=30,
            source_views=2,
            epochs=25,
            freeze_epochs=4,
            patience=6,
        ),
        metadata=_METADATA,
    ),
)
