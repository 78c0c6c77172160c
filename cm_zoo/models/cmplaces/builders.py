"""The Cross-Modal Scene Networks backbone built from a preset config."""

from cm_zoo import modalities as modality_keys
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone
from cm_zoo.towers import build_tower


def build_cmplaces_backbone(
    config,
    modalities=modality_keys.CMPLACES_MODALITIES,
    *,
    share_upper=True,
    share_image_tower=False,
    name=None,
):
    """The registered tower of each modality under fc6, fc7 and classifier.

    What `CrossModalBackbone.from_preset` builds for `cmplaces_*` presets,
    and what every method and baseline of `build_method` starts from.

    Args:
        config: dict. A `cmplaces_*` preset's `config()`.
        modalities: list of str. Modalities with a tower. Defaults to the
            five CMPlaces modalities.
        share_upper: bool. One fc6/fc7/classifier for every modality
            (`False`: one set per modality, BL-Individual). Defaults to
            `True`.
        share_image_tower: bool. One tower, `"image_tower"`, for every
            image modality (BL-ShAll). Defaults to `False`.
        name: str or None. Name of the backbone. Defaults to Keras' own.

    Returns:
        A `CrossModalBackbone` with `config["num_classes"]` classes.

    Example:
    >>> from cm_zoo import presets
    >>> from cm_zoo.models.cmplaces import build_cmplaces_backbone
    >>> config = presets.get("cmplaces_alexnet_tiny").config(num_classes=5)
    >>> backbone = build_cmplaces_backbone(
    ...     config, ["clipart", "sketch"], share_image_tower=True)
    >>> backbone.towers["clipart"] is backbone.towers["sketch"]
    True
    """
    return CrossModalBackbone(
        _build_towers(config, modalities, share_image_tower),
        num_classes=config["num_classes"],
        hidden_dim=config["hidden_dim"],
        dropout=config["dropout"],
        share_upper=share_upper,
        dtype=config.get("dtype"),
        name=name,
    )


def _build_towers(config, modalities, share_image_tower):
    shared_image_tower = None
    towers = {}
    for modality in modalities:
        if share_image_tower and modality in modality_keys.IMAGE_MODALITIES:
            if shared_image_tower is None:
                shared_image_tower = build_tower(
                    modality, config, name="image_tower"
                )
            towers[modality] = shared_image_tower
        else:
            towers[modality] = build_tower(modality, config)
    return towers
