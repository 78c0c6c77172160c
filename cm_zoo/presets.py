"""Preset table: architecture sizes of every model family, as plain data.

A preset names an architecture (`<family>_<arch>_<size>`), never
hyperparameters of a run. `config` holds constructor arguments for the
towers and the shared upper layers; recipes may override `num_classes`
from the data. Presets do not ship weights: trained encoders live in
`saved_models/` (see `cm_zoo.export`).

Example:
>>> from cm_zoo import presets
>>> presets.get("cmplaces_alexnet_paper")["config"]["hidden_dim"]
4096
"""

import copy

_ALEXNET_PAPER = {
    "image_size": 227,
    "conv_filters": [96, 256, 384, 384, 256],
    "conv1_kernel_size": 11,
    "conv1_strides": 4,
    "conv2_kernel_size": 5,
    "use_batch_norm": False,
    "hidden_dim": 4096,
    "dropout": 0.5,
}

_ALEXNET_TINY = {
    "image_size": 64,
    "conv_filters": [24, 48, 64, 64, 48],
    "conv1_kernel_size": 5,
    "conv1_strides": 2,
    "conv2_kernel_size": 5,
    "use_batch_norm": True,
    "hidden_dim": 256,
    "dropout": 0.5,
}

PRESETS = {
    "cmplaces_alexnet_paper": {
        "description": (
            "Cross-Modal Scene Networks at paper size: AlexNet towers "
            "(227x227, pool5 6x6x256 = 9216), a 2x4800 description MLP, "
            "shared fc6/fc7 of 4096 and a 205-way scene classifier."
        ),
        "metadata": {"paper": "Aytar et al., Cross-Modal Scene Networks"},
        "config": {
            **_ALEXNET_PAPER,
            "num_classes": 205,
            "text_hidden_dim": 4800,
            "text_num_buckets": 2**18,
            "text_embedding_dim": 300,
            "text_kernel_init_stddev": 0.1,
        },
    },
    "cmplaces_alexnet_tiny": {
        "description": (
            "Same topology at CPU size: 64x64 AlexNet-layout towers "
            "(pool5 2x2x48 = 192), 256-unit fc6/fc7; trains in minutes on "
            "2 cores."
        ),
        "metadata": {"paper": "Aytar et al., Cross-Modal Scene Networks"},
        "config": {
            **_ALEXNET_TINY,
            "num_classes": 205,
            "text_hidden_dim": 256,
            "text_num_buckets": 2**14,
            "text_embedding_dim": 64,
            "text_kernel_init_stddev": None,
        },
    },
    "see_hear_read_alexnet_paper": {
        "description": (
            "See, Hear, and Read at paper size: AlexNet image tower, 1-D "
            "conv sound tower on 500x257 spectrograms, 16x300 text conv "
            "tower, shared fc 4096-4096 and a 1000-way output."
        ),
        "metadata": {"paper": "Aytar et al., See, Hear, and Read"},
        "config": {
            **_ALEXNET_PAPER,
            "num_classes": 1000,
            "sound_num_frames": 500,
            "sound_frame_length": 512,
            "sound_frame_step": 160,
            "sound_conv_filters": [128, 256, 256],
            "sound_kernel_sizes": [11, 5, 3],
            "sound_pool_size": 5,
            "text_sequence_length": 16,
            "text_embedding_dim": 300,
            "text_num_buckets": 2**18,
            "text_conv_filters": 300,
        },
    },
    "see_hear_read_alexnet_tiny": {
        "description": (
            "See, Hear, and Read at CPU size: 64x64 image tower, 2 s "
            "spectrograms (125 frames x 129 bins), 16x64 text tower, shared "
            "fc 256-256."
        ),
        "metadata": {"paper": "Aytar et al., See, Hear, and Read"},
        "config": {
            **_ALEXNET_TINY,
            "num_classes": 1000,
            "sound_num_frames": 125,
            "sound_frame_length": 256,
            "sound_frame_step": 256,
            "sound_conv_filters": [32, 64, 64],
            "sound_kernel_sizes": [11, 5, 3],
            "sound_pool_size": 3,
            "text_sequence_length": 16,
            "text_embedding_dim": 64,
            "text_num_buckets": 2**14,
            "text_conv_filters": 64,
        },
    },
}


def names():
    """Returns the sorted preset names."""
    return sorted(PRESETS)


def get(name):
    """Returns a deep copy of preset `name`; raises `ValueError` if unknown."""
    if name not in PRESETS:
        raise ValueError(
            f"Unknown preset {name!r}. Available presets: {names()}"
        )
    return copy.deepcopy(PRESETS[name])
