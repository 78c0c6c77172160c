"""Several trained backbones as one wider backbone: an ensemble, exactly.

`merge_backbones` builds a `CrossModalBackbone` of the same architecture
with every width multiplied by the number of members, and fills its
weights block-diagonally: member `m`'s channels, units and embedding
columns are block `m` of the wider layer, every cross-member weight is
zero, and the classifier averages the members' logits. So the merged
model's `pool5`, `fc6` and `fc7` are the members' concatenated (`pool5`
interleaved per spatial position, as Flatten lays it out) and its logits
their mean, while the result is an ordinary backbone: it saves, exports,
fine-tunes and takes new modalities like any other.

Supported towers: `ImageTower`, `DescriptionTower`, `SoundTower` and
`TextTower` (the CMPlaces and See-Hear-Read modalities). Members must
share modalities, tower configs and upper-layer sharing.

Example:
>>> from cm_zoo.models import CrossModalBackbone, merge_backbones
>>> def member():
...     return CrossModalBackbone.from_preset(
...         "cmplaces_alexnet_tiny", modalities=["clipart", "description"],
...         num_classes=3)
>>> a, b = member(), member()
>>> merged = merge_backbones([a, b])
>>> x = np.zeros((2, 64, 64, 3), "uint8")
>>> fc7 = merged.encode("clipart", x)["fc7"]
>>> expected = np.concatenate(
...     [a.encode("clipart", x)["fc7"], b.encode("clipart", x)["fc7"]], 1)
>>> bool(np.allclose(fc7, expected, atol=1e-5)), merged.layer_widths["fc7"]
(True, 512)
"""

import keras
import numpy as np

from cm_zoo.models.cross_modal_backbone import CrossModalBackbone
from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower
from cm_zoo.towers import SoundTower
from cm_zoo.towers import TextTower

# Tower config fields that are widths, multiplied by the member count.
_WIDTH_FIELDS = {
    ImageTower: ("conv_filters",),
    DescriptionTower: ("output_dim", "hidden_dim", "embedding_dim"),
    SoundTower: ("output_dim", "conv_filters"),
    TextTower: ("output_dim", "embedding_dim", "conv_filters"),
}
# Preset fields that are widths (`cm_zoo.presets` architecture configs).
_PRESET_WIDTH_FIELDS = (
    "conv_filters",
    "hidden_dim",
    "text_hidden_dim",
    "text_embedding_dim",
    "text_conv_filters",
    "sound_conv_filters",
)
# A layer whose inputs are shared by every member (pixels, hashed words).
_SHARED = "shared"


def merge_backbones(backbones, name=None):
    """One backbone computing every member side by side (see module doc).

    Args:
        backbones: list of at least two trained `CrossModalBackbone`s of the
            same architecture.
        name: str or None. Name of the merged model (default: the first
            member's).

    Returns:
        `CrossModalBackbone` whose `pool5`/`fc6`/`fc7` are the members'
        concatenated and whose logits are the members' mean.

    Raises:
        ValueError: for fewer than two members, or members whose
            modalities, tower configs or upper layers differ, or a tower
            type that cannot be merged.
    """
    first = _check_members(backbones)
    count = len(backbones)
    wider = {}  # one wider tower per member tower (BL-ShAll shares one)
    for tower in first.towers.values():
        wider.setdefault(id(tower), _wider_tower(tower, count))
    towers = {m: wider[id(t)] for m, t in first.towers.items()}
    merged = CrossModalBackbone(
        towers,
        num_classes=first.num_classes,
        hidden_dim=first.hidden_dim * count,
        dropout=first.dropout,
        share_upper=first.share_upper,
        dtype=first.dtype_policy,
        name=name or first.name,
    )
    pool5 = _pool5_blocks(first, count)
    for modality, tower in first.towers.items():
        if wider.pop(id(tower), None) is not None:  # each tower once
            members = [b.towers[modality] for b in backbones]
            _fill_tower(towers[modality], members, pool5)
    for key, layers in merged.upper_layers.items():
        members = [b.upper_layers[key] for b in backbones]
        _fill_upper(layers, members, pool5)
    return merged


def widened_preset_fields(preset_config, count):
    """The width fields of a preset config as `merge_backbones` widens them.

    Example:
    >>> from cm_zoo.models.merge import widened_preset_fields
    >>> config = cm_zoo.presets.get("cmplaces_alexnet_tiny").config()
    >>> widened_preset_fields(config, 2)["conv_filters"]
    [48, 96, 128, 128, 96]
    """
    return {
        field: _widen(preset_config[field], count)
        for field in _PRESET_WIDTH_FIELDS
        if field in preset_config
    }


def _widen(value, count):
    if isinstance(value, list | tuple):
        return [int(v) * count for v in value]
    return int(value) * count


def _check_members(backbones):
    if len(backbones) < 2:
        raise ValueError(
            f"merge_backbones needs at least two backbones; got "
            f"{len(backbones)}."
        )
    first = backbones[0]
    for index, backbone in enumerate(backbones[1:], start=1):
        if backbone.modalities != first.modalities:
            raise ValueError(
                f"Backbone {index} encodes {list(backbone.modalities)}, "
                f"backbone 0 {list(first.modalities)}: members must share "
                "their modalities."
            )
        for key in ("num_classes", "hidden_dim", "share_upper"):
            if getattr(backbone, key) != getattr(first, key):
                raise ValueError(
                    f"Backbone {index} has {key}={getattr(backbone, key)}, "
                    f"backbone 0 {getattr(first, key)}: members must share "
                    "their architecture."
                )
        for modality, tower in backbone.towers.items():
            if tower.get_config() != first.towers[modality].get_config():
                raise ValueError(
                    f"Backbone {index}'s {modality!r} tower differs from "
                    "backbone 0's: members must share tower configs."
                )
    for modality, tower in first.towers.items():
        if type(tower) not in _WIDTH_FIELDS:
            raise ValueError(
                f"Cannot merge the {modality!r} tower: "
                f"{type(tower).__name__} is not one of "
                f"{[t.__name__ for t in _WIDTH_FIELDS]}."
            )
    return first


def _wider_tower(tower, count):
    config = tower.get_config()
    for field in _WIDTH_FIELDS[type(tower)]:
        config[field] = _widen(config[field], count)
    return type(tower).from_config(config)


def _blocks(width, count):
    """Member `m`'s units `m * width ...` of a layer `count` times wider."""
    return [np.arange(width) + m * width for m in range(count)]


def _pool5_blocks(backbone, count):
    """Where each member's pool5 values lie in the merged pool5.

    Image towers flatten `[side, side, channels]`, so the merged map puts
    the members' channels side by side at each spatial position. The other
    towers' pool5 (their `to_pool5` layer) follows the same layout, since
    fc6 reads them all.
    """
    width = backbone.layer_widths["pool5"]
    channels = width
    for tower in backbone.towers.values():
        if isinstance(tower, ImageTower):
            channels = tower.conv_filters[-1]
    return _interleaved(width, channels, count)


def _interleaved(width, channels, count):
    """Member blocks of a flattened `[positions, channels]` map.

    A member's value `i` (position `i // channels`) lies at its block of
    the merged map's position, which holds `channels * count` values.
    With `width == channels` these are the plain `_blocks`.
    """
    position, channel = np.divmod(np.arange(width), channels)
    return [
        position * channels * count + m * channels + channel
        for m in range(count)
    ]


def _fill_tower(tower, members, pool5):
    """Copies each member's tower weights into its blocks of `tower`."""
    count = len(members)
    inputs = _SHARED
    weighted = [layer for layer in tower.layers if layer.weights]
    for layer in weighted:
        if not _has_parameters(layer):  # random-number states: member 0's
            layer.set_weights(members[0].get_layer(layer.name).get_weights())
    weighted = [layer for layer in weighted if _has_parameters(layer)]
    for position, layer in enumerate(weighted):
        parts = [m.get_layer(layer.name) for m in members]
        if position == len(weighted) - 1 and not isinstance(tower, ImageTower):
            outputs = pool5  # `to_pool5`
        else:
            outputs = _blocks(parts[0].weights[-1].shape[-1], count)
        kernel = parts[0].weights[0]
        if inputs is not _SHARED and len(kernel.shape) >= 2:
            # A Flatten of `[positions, channels]` may come between.
            inputs = _interleaved(kernel.shape[-2], len(inputs[0]), count)
        _fill_layer(layer, parts, inputs, outputs)
        inputs = outputs


def _has_parameters(layer):
    return any("float" in str(w.dtype) for w in layer.weights)


def _fill_upper(layers, members, pool5):
    """fc6, fc7 block-diagonal; the classifier averages the logits."""
    count = len(members)
    fc6, fc7, classifier = layers
    hidden = _blocks(members[0][0].hidden_dim, count)
    _fill_layer(fc6, [m[0] for m in members], pool5, hidden)
    _fill_layer(fc7, [m[1] for m in members], hidden, hidden)
    _fill_layer(classifier, [m[2] for m in members], hidden, _SHARED)


def _fill_layer(layer, parts, inputs, outputs):
    """Sets `layer`'s weights from its members' `parts`.

    Each weight's last axis is its output units; a weight of rank >= 2 has
    its input units (or table rows) on the axis before. `inputs` and
    `outputs` are per-member index arrays into the merged axes, or
    `_SHARED`: every member reads all inputs (pixels, word ids), or the
    members' outputs are averaged into one (the logits).
    """
    count = len(parts)
    values = []
    for index, variable in enumerate(layer.weights):
        merged = np.zeros(variable.shape, variable.dtype)
        for m, part in enumerate(parts):
            value = keras.ops.convert_to_numpy(part.weights[index])
            if outputs is _SHARED:
                value = value / count
                columns = np.arange(value.shape[-1])
            else:
                columns = outputs[m]
            if value.ndim == 1:
                merged[columns] += value
                continue
            rows = (
                np.arange(value.shape[-2]) if inputs is _SHARED else inputs[m]
            )
            merged[..., rows[:, None], columns[None, :]] += value
        values.append(merged)
    layer.set_weights(values)
