"""The canonical modality keys, used for inputs, towers, data and exports.

Every other module names a modality only through these constants, so a
config file, a CLI flag, a data feature, a tower (`"<key>_tower"`) and an
export directory all agree.

Example:
>>> from cm_zoo import modalities
>>> modalities.SKETCH, modalities.is_image(modalities.SKETCH)
('sketch', True)
"""

NATURAL = "natural"
CLIPART = "clipart"
SKETCH = "sketch"
SPATIAL_TEXT = "spatial_text"
DESCRIPTION = "description"
SOUND = "sound"

IMAGE_MODALITIES = (NATURAL, CLIPART, SKETCH, SPATIAL_TEXT)
ALL_MODALITIES = IMAGE_MODALITIES + (DESCRIPTION, SOUND)
CMPLACES_MODALITIES = IMAGE_MODALITIES + (DESCRIPTION,)

SHORT_NAMES = {
    NATURAL: "NAT",
    CLIPART: "CLP",
    SKETCH: "LDR",
    SPATIAL_TEXT: "SPT",
    DESCRIPTION: "DSC",
    SOUND: "SND",
}


def is_image(modality):
    """Returns whether `modality` is fed as uint8 RGB images."""
    return validate(modality) in IMAGE_MODALITIES


def validate(modality):
    """Returns `modality` if it is a known key, else raises `ValueError`."""
    if modality not in ALL_MODALITIES:
        raise ValueError(
            f"Unknown modality {modality!r}. Expected one of "
            f"{list(ALL_MODALITIES)}."
        )
    return modality
