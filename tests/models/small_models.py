"""Tiny architectures shared by the model and curriculum tests."""

from cm_zoo.towers import ImageTower

# A `build_method` config of 24x24 image towers without batch norm, so
# that training and inference differ only by the dropout.
SMALL_CONFIG = {
    "image_size": 24,
    "conv_filters": [4] * 5,
    "conv1_kernel_size": 3,
    "conv1_strides": 1,
    "conv2_kernel_size": 3,
    "use_batch_norm": False,
    "hidden_dim": 8,
    "dropout": 0.5,
    "num_classes": 3,
}


def image_tower(name):
    """A 24x24 image tower without batch norm; pool5 has 4 units."""
    return ImageTower(
        image_size=24,
        conv_filters=[4] * 5,
        conv1_kernel_size=3,
        conv1_strides=1,
        name=name,
    )
