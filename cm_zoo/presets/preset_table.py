"""Every preset by name: `get(name)`, `names()`."""

from cm_zoo.presets.cmplaces_presets import CMPLACES_PRESETS
from cm_zoo.presets.see_hear_read_presets import SEE_HEAR_READ_PRESETS

_PRESETS = {p.name: p for p in CMPLACES_PRESETS + SEE_HEAR_READ_PRESETS}
FAMILIES = ("cmplaces", "see_hear_read")


def names(family=None):
    """The sorted preset names, of one family if `family` is given.

    Example:
    >>> from cm_zoo import presets
    >>> presets.names("see_hear_read")
    ['see_hear_read_alexnet_paper', 'see_hear_read_alexnet_tiny']
    """
    if family is not None and family not in FAMILIES:
        raise ValueError(
            f"Unknown preset family {family!r}. Families: {list(FAMILIES)}"
        )
    return sorted(
        name
        for name, preset in _PRESETS.items()
        if family in (None, preset.family)
    )


def get(name):
    """The frozen `Preset` called `name`.

    Raises:
        ValueError: for an unknown name, listing the available ones.

    Example:
    >>> from cm_zoo import presets
    >>> presets.get("cmplaces_alexnet_paper").architecture.hidden_dim
    4096
    """
    if name not in _PRESETS:
        raise ValueError(
            f"Unknown preset {name!r}. Available presets: {names()}"
        )
    return _PRESETS[name]
