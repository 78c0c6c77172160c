"""Embedding whole arrays with a backbone, batch by batch, for evaluation."""

import weakref

import numpy as np
import tensorflow as tf

from cm_zoo.models.cross_modal_backbone import FC7
from cm_zoo.models.cross_modal_backbone import LAYER_NAMES

# Each backbone's encoder models, made once: `predict` on a new model traces
# its predict function again, ~0.1 s per modality per call on 2 cores.
_ENCODERS = weakref.WeakKeyDictionary()


def extract_features(backbone, inputs, *, layers=(FC7,), batch_size=64):
    """Runs every modality of `inputs` through `backbone` in inference mode.

    Args:
        backbone: `CrossModalBackbone`.
        inputs: dict. Modality to an array of raw inputs (uint8 images,
            float32 waveforms, or strings).
        layers: list of str. Any of `pool5`, `fc6`, `fc7`, `logits`.
            Defaults to `("fc7",)`.
        batch_size: int. Rows per forward pass. Defaults to `64`.

    Returns:
        dict `{layer: {modality: float32 array [N, dim]}}`.

    Raises:
        ValueError: for an unknown layer or modality.

    Example:
    >>> from cm_zoo.models import CrossModalBackbone, extract_features
    >>> backbone = CrossModalBackbone.from_preset(
    ...     "cmplaces_alexnet_tiny", modalities=["sketch"], num_classes=3)
    >>> out = extract_features(
    ...     backbone, {"sketch": np.zeros((5, 64, 64, 3), "uint8")},
    ...     layers=["fc6", "logits"], batch_size=2)
    >>> out["fc6"]["sketch"].shape, out["logits"]["sketch"].dtype
    ((5, 256), dtype('float32'))
    """
    unknown = [layer for layer in layers if layer not in LAYER_NAMES]
    if unknown:
        raise ValueError(
            f"Unknown layers {unknown}. Expected some of {list(LAYER_NAMES)}."
        )
    features = {layer: {} for layer in layers}
    for modality, x in inputs.items():
        batches = tf.data.Dataset.from_tensor_slices(x).batch(batch_size)
        outputs = _encoder(backbone, modality).predict(batches, verbose=0)
        for layer in layers:
            features[layer][modality] = np.asarray(outputs[layer], "float32")
    return features


def _encoder(backbone, modality):
    encoders = _ENCODERS.setdefault(backbone, {})
    if modality not in encoders:
        encoders[modality] = backbone.encoder(modality)
    return encoders[modality]
