"""Preset sizes: each family's values as `field -> (paper, tiny)` tables.

A family lists every value of its presets once, a row a field and a column
a size, so a field's paper and CPU sizes stand side by side; `by_size`
types each column and `presets_by_size` names one `Preset` per size.

Example:
>>> from cm_zoo.presets import ImageArchitecture
>>> from cm_zoo.presets.sizes import ALEXNET, by_size
>>> tiny = by_size(ImageArchitecture, {**ALEXNET, "num_classes": (9, 9)})
>>> tiny["tiny"].image_size, tiny["paper"].image_size
(64, 227)
"""

import types

from cm_zoo.presets.preset import Preset

SIZES = ("paper", "tiny")

# The AlexNet layout both families share.
ALEXNET = types.MappingProxyType(
    {
        "image_size": (227, 64),
        "conv_filters": ((96, 256, 384, 384, 256), (24, 48, 64, 64, 48)),
        "conv1_kernel_size": (11, 5),
        "conv1_strides": (4, 2),
        "conv2_kernel_size": (5, 5),
        "use_batch_norm": (False, True),
        "hidden_dim": (4096, 256),
        "dropout": (0.5, 0.5),
    }
)


def by_size(dataclass, table):
    """`{size: dataclass(**column)}` for the columns of a table.

    Args:
        dataclass: class. Built from one column of `table` per size.
        table: mapping. `field -> (paper, tiny)`.

    Returns:
        dict. `size -> dataclass` instance, for each of `SIZES`.
    """
    return {
        size: dataclass(**{field: row[column] for field, row in table.items()})
        for column, size in enumerate(SIZES)
    }


def presets_by_size(family, metadata, descriptions, architectures, trainings):
    """One `Preset` per size, named `<family>_alexnet_<size>`.

    Args:
        family: str. The family, first part of each name.
        metadata: mapping. Paper reference and the like, of every size.
        descriptions: dict. `size -> description`.
        architectures: dict. `size -> architecture` (see `by_size`).
        trainings: dict. `size -> training defaults`.

    Returns:
        tuple of `Preset`, in the order of `SIZES`.
    """
    return tuple(
        Preset(
            name=f"{family}_alexnet_{size}",
            family=family,
            description=descriptions[size],
            architecture=architectures[size],
            training=trainings[size],
            metadata=metadata,
        )
        for size in SIZES
    )
