"""The input side of the export contract (issue 8), one entry per modality.

An exported encoder takes raw inputs, preprocessing inside: image
modalities `uint8 [batch, height, width, 3]` of any height and width,
`description` `tf.string [batch]` raw text, `sound` `float32 [batch,
samples]` mono waveform at 16 kHz in `[-1, 1]`, any length. Every encoder
maps an empty batch to `(0, width)` outputs. What each modality does with
unusual input (long sound, loud sound, symbols, invalid UTF-8) is the
`note` of `describe_input`, written to the manifest and the model card.

The layout follows the input *kind* (`KINDS`: `"image"`, `"description"`,
`"sound"`): a canonical modality key names its own kind, and a modality
added to an export later under a name of its own (e.g. `"doodle"`, see
`cm_zoo.export.add_modality`) takes the kind of its tower's input, which
the manifest records as `inputs[<modality>]["kind"]`.

Example:
>>> from cm_zoo.export import contract
>>> spec = contract.input_spec("sketch")
>>> spec.dtype.name, spec.shape.as_list()
('uint8', [None, None, None, 3])
"""

import tensorflow as tf

from cm_zoo import modalities
from cm_zoo.models import LAYER_NAMES

SOUND_SAMPLE_RATE = 16000
EMBEDDING = "embedding"
# Outputs of every exported encoder: the chosen embedding, then the
# backbone's own layer names (`cm_zoo.models.LAYER_NAMES`).
OUTPUT_NAMES = (EMBEDDING, *LAYER_NAMES)

IMAGE = "image"
_LAYOUTS = {
    IMAGE: ("uint8", (None, None, None, 3), "[batch, height, width, 3]"),
    modalities.DESCRIPTION: ("string", (None,), "[batch]"),
    modalities.SOUND: ("float32", (None, None), "[batch, samples]"),
}
KINDS = tuple(_LAYOUTS)


def input_kind(modality, tower=None):
    """Returns the input kind of `modality`: one of `KINDS`.

    Args:
        modality: str. A canonical modality key, or the name of an added
            modality.
        tower: `cm_zoo.towers.Tower` or None. Decides the kind of a name
            that is not a canonical key, by its input dtype and rank.

    Raises:
        ValueError: for a name that is not a canonical key without a
            tower, or a tower whose input matches no kind.

    Example:
    >>> from cm_zoo.export import contract
    >>> from cm_zoo.towers import ImageTower
    >>> tower = ImageTower(image_size=32, conv_filters=[4] * 5,
    ...                    conv1_kernel_size=3, conv1_strides=1)
    >>> contract.input_kind("sketch"), contract.input_kind("doodle", tower)
    ('image', 'image')
    """
    if modality in modalities.ALL_MODALITIES:
        return IMAGE if modalities.is_image(modality) else modality
    if tower is None:
        raise ValueError(
            f"Modality {modality!r} is not one of "
            f"{list(modalities.ALL_MODALITIES)}; its input kind "
            f"({list(KINDS)}) must come from its tower or "
            "from the manifest's `inputs[<modality>].kind`."
        )
    dtype, shape = tower.input_spec_summary()
    dtype = tf.as_dtype(dtype).name
    for kind, (expected_dtype, expected_shape, _) in _LAYOUTS.items():
        if dtype == expected_dtype and len(shape) == len(expected_shape):
            return kind
    raise ValueError(
        f"Modality {modality!r}: tower {tower.name!r} takes {dtype} "
        f"{tuple(shape)}, which is no input kind of the export contract: "
        f"{ {k: f'{d} {layout}' for k, (d, _, layout) in _LAYOUTS.items()} }."
    )


def _layout(modality, kind=None):
    return _LAYOUTS[kind or input_kind(modality)]


def input_spec(modality, kind=None):
    """Returns the `tf.TensorSpec` an exported `modality` encoder accepts.

    The spec is named after the modality, which is also the name of the
    one input of the `serving_default` signature.

    Args:
        modality: str. Modality key or added modality name.
        kind: str or None. Input kind (`KINDS`); needed for a name that is
            not a canonical key. Defaults to `input_kind(modality)`.
    """
    dtype, shape, _ = _layout(modality, kind)
    return tf.TensorSpec(shape, tf.as_dtype(dtype), name=modality)


def describe_input(modality, tower):
    """Returns the JSON-safe input description written to `manifest.json`.

    Args:
        modality: str. Modality key.
        tower: `cm_zoo.towers.Tower`. The tower encoding `modality` (the
            sound tower's window length goes into the note).
    """
    kind = input_kind(modality, tower)
    dtype, shape, layout = _LAYOUTS[kind]
    entry = {
        "kind": kind,
        "dtype": dtype,
        "shape": list(shape),
        "layout": layout,
    }
    if kind == IMAGE:
        entry["note"] = "RGB, any height and width; resized inside."
        if getattr(tower, "fit_drawing", False):
            entry["note"] = (
                "RGB, any height and width. Inside, the drawing is framed "
                "(the page colour, the median of the border pixels, turns "
                "white, so a transparent PNG read as RGB works too; the "
                "drawing's box is padded to a square) and resized."
            )
    elif kind == modalities.SOUND:
        window = int(tower.window_samples)
        entry["sample_rate"] = SOUND_SAMPLE_RATE
        entry["window_samples"] = window
        entry["note"] = (
            "Mono waveform, any length. Longer than one window "
            f"({window} samples, {window / SOUND_SAMPLE_RATE:g} s): cut "
            "into consecutive full windows (the last one ending at the "
            "end) whose pool5 are averaged, so all of it counts; shorter: "
            "zero-padded. Samples must lie in "
            "[-1, 1]: a larger peak (e.g. int16 values as floats) is "
            "refused with InvalidArgumentError; divide int16 by 32768."
        )
    else:
        entry["note"] = (
            "Raw UTF-8 text; tokenised and hashed inside. Words and numbers "
            "are tokens, and so is each emoji or other symbol; invalid "
            "UTF-8 bytes are replaced by U+FFFD, itself a token. Text with "
            "none of these (empty, punctuation only) embeds as the empty "
            "text."
        )
        if getattr(tower, "wordnet_concepts", False):
            entry["note"] += (
                " Nouns (and their plurals) also carry their WordNet "
                "concepts, so unseen words of a known kind are understood."
            )
    return entry


def example_input(modality, kind=None):
    """Returns Python source of a small valid batch of `modality`."""
    kind = kind or input_kind(modality)
    if kind == IMAGE:
        return "tf.zeros([2, 64, 64, 3], tf.uint8)"
    if kind == modalities.SOUND:
        return f"tf.zeros([2, {SOUND_SAMPLE_RATE}], tf.float32)"
    return 'tf.constant(["a red bird on a branch", ""])'


def check_tower(modality, tower):
    """Raises `ValueError` unless `tower` takes the contract's input.

    Args:
        modality: str. Modality key.
        tower: `cm_zoo.towers.Tower`. The tower encoding `modality`.
    """
    kind = input_kind(modality, tower)
    expected_dtype, expected_shape, layout = _LAYOUTS[kind]
    dtype, shape = tower.input_spec_summary()
    dtype = tf.as_dtype(dtype).name
    compatible = (
        dtype == expected_dtype
        and len(shape) == len(expected_shape)
        and all(e is None or e == f for e, f in zip(expected_shape, shape))
    )
    if not compatible:
        raise ValueError(
            f"Modality {modality!r}: tower {tower.name!r} takes {dtype} "
            f"{tuple(shape)}, but the export contract needs "
            f"{expected_dtype} {layout}. Only towers with in-graph "
            "preprocessing from raw input can be exported."
        )
    rate = getattr(tower, "sample_rate", SOUND_SAMPLE_RATE)
    if kind == modalities.SOUND and int(rate) != SOUND_SAMPLE_RATE:
        raise ValueError(
            f"Modality {modality!r}: tower {tower.name!r} expects "
            f"sample_rate={rate}, but the export contract is "
            f"{SOUND_SAMPLE_RATE} Hz."
        )


def check_input(modality, x, where, kind=None):
    """Converts `x` and raises `TypeError`/`ValueError` on a contract breach.

    Args:
        modality: str. Modality key or added modality name.
        x: tensor-like. One batch of raw inputs.
        where: str. Names the encoder in the message (e.g. its path).
        kind: str or None. Input kind (`KINDS`). Defaults to
            `input_kind(modality)`.

    An empty input (`[]`, or an array with no elements) carries no dtype
    worth checking: it becomes an empty batch of the contract dtype, and the
    encoder returns `(0, width)` outputs.

    Returns:
        `x` as a `tf.Tensor`.
    """
    expected_dtype, expected_shape, layout = _layout(modality, kind)
    try:
        x = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"Modality {modality!r} encoder ({where}) expects "
            f"{expected_dtype} {layout}; could not convert the input to a "
            f"tensor: {error}"
        ) from None
    if x.shape.num_elements() == 0 and (
        x.shape.rank == 1 or x.shape.rank == len(expected_shape)
    ):
        return _empty_batch(expected_dtype, expected_shape)
    found = f"{x.dtype.name} of shape {tuple(x.shape)}"
    if x.dtype.name != expected_dtype:
        raise TypeError(
            f"Modality {modality!r} encoder ({where}) expects "
            f"{expected_dtype} {layout}. Received: {found}."
        )
    rank_ok = x.shape.rank == len(expected_shape)
    if not rank_ok or (
        expected_shape[-1] is not None
        and x.shape[-1] not in (None, expected_shape[-1])
    ):
        raise ValueError(
            f"Modality {modality!r} encoder ({where}) expects "
            f"{expected_dtype} {layout} (rank {len(expected_shape)}). "
            f"Received: {found}."
        )
    return x


def _empty_batch(dtype, expected_shape):
    """A batch of 0 examples in the contract dtype and rank."""
    shape = [0] + [1 if d is None else d for d in expected_shape[1:]]
    return tf.zeros(shape, tf.as_dtype(dtype))
