"""Presets of See, Hear, and Read, paper and CPU size."""

from cm_zoo.presets.architectures import SeeHearReadArchitecture
from cm_zoo.presets.sizes import ALEXNET
from cm_zoo.presets.sizes import by_size
from cm_zoo.presets.sizes import presets_by_size
from cm_zoo.presets.training_defaults import SeeHearReadTraining

_METADATA = {"paper": "Aytar et al., See, Hear, and Read"}

_DESCRIPTIONS = {
    "paper": (
        "See, Hear, and Read at paper size: AlexNet image tower, 1-D "
        "conv sound tower on 500x257 spectrograms, 16x300 text conv "
        "tower, shared fc 4096-4096 and a 1000-way output."
    ),
    "tiny": (
        "See, Hear, and Read at CPU size: 64x64 image tower, 2 s "
        "spectrograms (125 frames x 129 bins), 16x64 text tower, shared "
        "fc 256-256."
    ),
}

# Every table: field -> (paper, tiny).
_ARCHITECTURES = by_size(
    SeeHearReadArchitecture,
    {
        **ALEXNET,
        "num_classes": (1000, 1000),
        "sound_num_frames": (500, 125),
        "sound_frame_length": (512, 256),
        "sound_frame_step": (160, 256),
        "sound_conv_filters": ((128, 256, 256), (32, 64, 64)),
        "sound_kernel_sizes": ((11, 5, 3), (11, 5, 3)),
        "sound_pool_size": (5, 3),
        "text_sequence_length": (16, 16),
        "text_embedding_dim": (300, 64),
        "text_num_buckets": (2**18, 2**14),
        "text_conv_filters": (300, 64),
    },
)

_TRAININGS = by_size(
    SeeHearReadTraining,
    {
        "learning_rate": (1e-4, 1e-3),
        "teacher_epochs": (8, 8),
        "epochs": (12, 12),
        "steps_per_epoch": (30, 30),
        "batch_size": (32, 32),
        "margin": (0.1, 0.1),
    },
)

SEE_HEAR_READ_PRESETS = presets_by_size(
    "see_hear_read", _METADATA, _DESCRIPTIONS, _ARCHITECTURES, _TRAININGS
)
