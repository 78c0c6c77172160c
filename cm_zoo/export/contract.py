"""The input side of the export contract (issue 8), one entry per modality.

An exported encoder takes raw inputs, preprocessing inside: image
modalities `uint8 [batch, height, width, 3]` of any height and width,
`description` `tf.string [batch]` raw text, `sound` `float32 [batch,
samples]` mono waveform at 16 kHz in `[-1, 1]`, any length.

Example:
>>> from cm_zoo.export import contract
>>> spec = contract.input_spec("sketch")
>>> spec.dtype.name, spec.shape.as_list()
('uint8', [None, None, None, 3])
"""

import tensorflow as tf

from cm_zoo import modalities

SOUND_SAMPLE_RATE = 16000
OUTPUT_NAMES = ("embedding", "pool5", "fc6", "fc7", "logits")

_LAYOUTS = {
    "image": ("uint8", (None, None, None, 3), "[batch, height, width, 3]"),
    modalities.DESCRIPTION: ("string", (None,), "[batch]"),
    modalities.SOUND: ("float32", (None, None), "[batch, samples]"),
}


def _layout(modality):
    key = "image" if modalities.is_image(modality) else modality
    return _LAYOUTS[key]


def input_spec(modality):
    """Returns the `tf.TensorSpec` an exported `modality` encoder accepts.

    The spec is named after the modality, which is also the name of the
    one input of the `serving_default` signature.
    """
    dtype, shape, _ = _layout(modality)
    return tf.TensorSpec(shape, tf.as_dtype(dtype), name=modality)


def describe_input(modality):
    """Returns the JSON-safe input description written to `manifest.json`."""
    dtype, shape, layout = _layout(modality)
    entry = {"dtype": dtype, "shape": list(shape), "layout": layout}
    if modalities.is_image(modality):
        entry["note"] = "RGB, any height and width; resized inside."
    elif modality == modalities.SOUND:
        entry["sample_rate"] = SOUND_SAMPLE_RATE
        entry["note"] = "Mono waveform in [-1, 1], any length."
    else:
        entry["note"] = "Raw UTF-8 text; tokenised and hashed inside."
    return entry


def check_tower(modality, tower):
    """Raises `ValueError` unless `tower` takes the contract's input.

    Args:
        modality: str. Modality key.
        tower: `cm_zoo.towers.Tower`. The tower encoding `modality`.
    """
    expected_dtype, expected_shape, layout = _layout(modality)
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
    if modality == modalities.SOUND and int(rate) != SOUND_SAMPLE_RATE:
        raise ValueError(
            f"Modality 'sound': tower {tower.name!r} expects "
            f"sample_rate={rate}, but the export contract is "
            f"{SOUND_SAMPLE_RATE} Hz."
        )


def check_input(modality, x, where):
    """Converts `x` and raises `TypeError`/`ValueError` on a contract breach.

    Args:
        modality: str. Modality key.
        x: tensor-like. One batch of raw inputs.
        where: str. Names the encoder in the message (e.g. its path).

    Returns:
        `x` as a `tf.Tensor`.
    """
    expected_dtype, expected_shape, layout = _layout(modality)
    try:
        x = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"Modality {modality!r} encoder ({where}) expects "
            f"{expected_dtype} {layout}; could not convert the input to a "
            f"tensor: {error}"
        ) from None
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
