"""The AlexNet-layout sizes both families share (paper and CPU size)."""

import types

ALEXNET_PAPER = types.MappingProxyType(
    {
        "image_size": 227,
        "conv_filters": (96, 256, 384, 384, 256),
        "conv1_kernel_size": 11,
        "conv1_strides": 4,
        "conv2_kernel_size": 5,
        "use_batch_norm": False,
        "hidden_dim": 4096,
        "dropout": 0.5,
    }
)

ALEXNET_TINY = types.MappingProxyType(
    {
        "image_size": 64,
        "conv_filters": (24, 48, 64, 64, 48),
        "conv1_kernel_size": 5,
        "conv1_strides": 2,
        "conv2_kernel_size": 5,
        "use_batch_norm": True,
        "hidden_dim": 256,
        "dropout": 0.5,
    }
)
