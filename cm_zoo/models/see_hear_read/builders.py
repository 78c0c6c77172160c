"""The See-Hear-Read backbone built from a preset config."""

from cm_zoo import modalities
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone
from cm_zoo.towers.registry import build_text_tower
from cm_zoo.towers.registry import build_tower


def build_see_hear_read_backbone(
    config,
    num_classes=None,
    image_modality=modalities.CLIPART,
    name="see_hear_read_backbone",
):
    """Image, sound and text towers under shared fc6, fc7 and classifier.

    The image tower is the registered one of `image_modality`, the sound
    tower the registered `SoundTower`, and the `description` tower the
    See-Hear-Read `TextTower` (16 words, 1-D convolutions), not the CMPlaces
    `DescriptionTower` registered for that key.

    Args:
        config: dict. A `see_hear_read_*` preset's `config()`.
        num_classes: int or None. Classes of the teacher. Defaults to the
            config's `num_classes`.
        image_modality: str. Image modality key. Defaults to `"clipart"`.
        name: str. Name of the backbone. Defaults to
            `"see_hear_read_backbone"`.

    Returns:
        A `CrossModalBackbone` with modalities `(image_modality, "sound",
        "description")`.

    Example:
    >>> from cm_zoo import presets
    >>> from cm_zoo.models.see_hear_read import build_see_hear_read_backbone
    >>> config = presets.get("see_hear_read_alexnet_tiny").config()
    >>> backbone = build_see_hear_read_backbone(config, num_classes=5)
    >>> backbone.modalities, backbone.towers["sound"].output_dim
    (('clipart', 'sound', 'description'), 192)
    """
    towers = {
        image_modality: build_tower(image_modality, config),
        modalities.SOUND: build_tower(modalities.SOUND, config),
        modalities.DESCRIPTION: build_text_tower(
            config, f"{modalities.DESCRIPTION}_tower"
        ),
    }
    return CrossModalBackbone(
        towers,
        num_classes=num_classes or config["num_classes"],
        hidden_dim=config["hidden_dim"],
        dropout=config["dropout"],
        dtype=config.get("dtype"),
        name=name,
    )
