"""Which tower encodes which modality: one registration per modality.

A registration is a builder `(config, name) -> Tower` taking a preset's
`config` dict. Adding a modality is one `register_tower` call; the
backbone, the recipes and the exporter find it here.

Example:
>>> from cm_zoo.towers import registry
>>> registry.registered_modalities()[:3]
('clipart', 'description', 'natural')
"""

from cm_zoo import modalities
from cm_zoo.towers.description_tower import DescriptionTower
from cm_zoo.towers.image_tower import ImageTower
from cm_zoo.towers.image_tower import pool5_side
from cm_zoo.towers.sound_tower import SoundTower
from cm_zoo.towers.text_tower import TextTower

_BUILDERS = {}


def register_tower(modality, builder, *, overwrite=False):
    """Registers `builder(config, name)` as the tower factory of `modality`.

    Args:
        modality: str. Key of the modality (lower-case identifier).
        builder: callable. Takes a preset `config` dict and a layer name,
            returns a `cm_zoo.towers.Tower`.
        overwrite: bool. Replace an existing registration. Defaults to
            `False`.

    Raises:
        ValueError: if `modality` is not an identifier or is taken.
    """
    if not (isinstance(modality, str) and modality.isidentifier()):
        raise ValueError(
            "`modality` must be a lower-case identifier. "
            f"Received: modality={modality!r}"
        )
    if modality in _BUILDERS and not overwrite:
        raise ValueError(
            f"Modality {modality!r} already has a tower; pass "
            "`overwrite=True` to replace it."
        )
    _BUILDERS[modality] = builder


def registered_modalities():
    """Returns the sorted modality keys that have a tower."""
    return tuple(sorted(_BUILDERS))


def build_tower(modality, config, name=None):
    """Builds the registered tower of `modality` from a preset `config`."""
    if modality not in _BUILDERS:
        raise ValueError(
            f"No tower registered for modality {modality!r}. Registered: "
            f"{list(registered_modalities())}"
        )
    return _BUILDERS[modality](config, name or f"{modality}_tower")


def build_image_tower(config, name):
    """Builds an `ImageTower` from the `image_*`/`conv*` preset keys."""
    return ImageTower(
        image_size=config["image_size"],
        conv_filters=config["conv_filters"],
        conv1_kernel_size=config["conv1_kernel_size"],
        conv1_strides=config["conv1_strides"],
        conv2_kernel_size=config["conv2_kernel_size"],
        use_batch_norm=config["use_batch_norm"],
        augment=config.get("augment", False),
        fit_drawing=config.get("fit_drawing", False),
        dtype=config.get("dtype"),
        name=name,
    )


def pool5_dim(config):
    """Width of an image tower's pool5 under `config` (the shared input)."""
    side = pool5_side(
        config["image_size"],
        config["conv1_kernel_size"],
        config["conv1_strides"],
    )
    return side * side * config["conv_filters"][-1]


def build_description_tower(config, name):
    """Builds a raw-text `DescriptionTower` from the `text_*` preset keys."""
    return DescriptionTower(
        **_prefixed_arguments(config, "text_"),
        output_dim=pool5_dim(config),
        name=name,
    )


def build_sound_tower(config, name):
    """Builds a See-Hear-Read `SoundTower` from the `sound_*` preset keys."""
    return SoundTower(
        **_prefixed_arguments(config, "sound_"),
        output_dim=pool5_dim(config),
        use_batch_norm=config["use_batch_norm"],
        name=name,
    )


def build_text_tower(config, name):
    """Builds a See-Hear-Read `TextTower` from the `text_*` preset keys.

    Not registered: the `description` registration is the CMPlaces
    `DescriptionTower`; See-Hear-Read models call this builder directly.
    """
    return TextTower(
        **_prefixed_arguments(config, "text_"),
        output_dim=pool5_dim(config),
        use_batch_norm=config["use_batch_norm"],
        name=name,
    )


def _prefixed_arguments(config, prefix):
    """The `<prefix>*` entries of `config`, prefix dropped, and its dtype.

    A preset stores each argument of a non-image tower under the tower's
    prefix (`sound_num_frames` is `SoundTower(num_frames=...)`).
    """
    arguments = {
        key.removeprefix(prefix): value
        for key, value in config.items()
        if key.startswith(prefix)
    }
    arguments["dtype"] = config.get("dtype")
    return arguments


for _image_modality in modalities.IMAGE_MODALITIES:
    register_tower(_image_modality, build_image_tower)
register_tower(modalities.DESCRIPTION, build_description_tower)
register_tower(modalities.SOUND, build_sound_tower)
