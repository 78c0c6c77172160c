"""Presets of See, Hear, and Read, paper and CPU size."""

from cm_zoo.presets.architectures import SeeHearReadArchitecture
from cm_zoo.presets.preset import Preset
from cm_zoo.presets.shared_sizes import ALEXNET_PAPER
from cm_zoo.presets.shared_sizes import ALEXNET_TINY
from cm_zoo.presets.training_defaults import SeeHearReadTraining

_METADATA = {"paper": "Aytar et al., See, Hear, and Read"}

SEE_HEAR_READ_PRESETS = (
    Preset(
        name="see_hear_read_alexnet_paper",
        family="see_hear_read",
        description=(
            "See, Hear, and Read at paper size: AlexNet image tower, 1-D "
            "conv sound tower on 500x257 spectrograms, 16x300 text conv "
            "tower, shared fc 4096-4096 and a 1000-way output."
        ),
        architecture=SeeHearReadArchitecture(
            **ALEXNET_PAPER,
            num_classes=1000,
            sound_num_frames=500,
            sound_frame_length=512,
            sound_frame_step=160,
            sound_conv_filters=(128, 256, 256),
            sound_kernel_sizes=(11, 5, 3),
            sound_pool_size=5,
            text_sequence_length=16,
            text_embedding_dim=300,
            text_num_buckets=2**18,
            text_conv_filters=300,
        ),
        training=SeeHearReadTraining(learning_rate=1e-4),
        metadata=_METADATA,
    ),
    Preset(
        name="see_hear_read_alexnet_tiny",
        family="see_hear_read",
        description=(
            "See, Hear, and Read at CPU size: 64x64 image tower, 2 s "
            "spectrograms (125 frames x 129 bins), 16x64 text tower, shared "
            "fc 256-256."
        ),
        architecture=SeeHearReadArchitecture(
            **ALEXNET_TINY,
            num_classes=1000,
            sound_num_frames=125,
            sound_frame_length=256,
            sound_frame_step=256,
            sound_conv_filters=(32, 64, 64),
            sound_kernel_sizes=(11, 5, 3),
            sound_pool_size=3,
            text_sequence_length=16,
            text_embedding_dim=64,
            text_num_buckets=2**14,
            text_conv_filters=64,
        ),
        training=SeeHearReadTraining(learning_rate=1e-3),
        metadata=_METADATA,
    ),
)
