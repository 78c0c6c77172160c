"""A trainable Keras path rebuilt from an exported encoder's variables."""

import numpy as np
import tensorflow as tf

from cm_zoo import modalities
from cm_zoo.export import contract
from cm_zoo.export.load_encoder import load_encoder
from cm_zoo.models import FC6
from cm_zoo.models import CrossModalBackbone
from cm_zoo.towers import build_tower

_TOLERANCE = 1e-4


def recover_backbone(model_dir, modality, config):
    """Rebuilds one exported encoder as a one-modality `CrossModalBackbone`.

    For exports without `shared/` (see `add_alignment_state`): the tower of
    `modality` is built from `config` (`cm_zoo.towers.build_tower`), fc6,
    fc7 and the classifier from the manifest's widths, and every variable
    is set from the verified SavedModel's variable of the same path. The
    rebuilt path must then reproduce the SavedModel's outputs on a probe
    batch, so a config that does not describe the export is refused here.

    Args:
        model_dir: path. `<export_dir>/<model_name>`.
        modality: str. A canonical modality key of the export.
        config: dict. The preset config the model was trained with (e.g.
            `cm_zoo.presets.get(manifest["training_data"]["preset"])
            .config()`); `num_classes` and `hidden_dim` come from the
            manifest.

    Returns:
        `CrossModalBackbone` with one modality, the export's weights.

    Raises:
        ValueError: naming the variable or output that does not match.
    """
    encoder = load_encoder(model_dir, modality)
    manifest = encoder.manifest
    config = {
        **config,
        "num_classes": len(manifest["class_names"]),
        "hidden_dim": manifest["output_widths"][FC6],
    }
    backbone = CrossModalBackbone(
        {modality: build_tower(modality, config)},
        num_classes=config["num_classes"],
        hidden_dim=config["hidden_dim"],
        dropout=config["dropout"],
        name="recovered_backbone",
    )
    saved = {
        v.name.split(":")[0]: v
        for v in encoder.variables
        if "seed_generator" not in v.name
    }
    for variable in backbone.variables:
        if "seed_generator" in variable.path:
            continue
        value = saved.pop(variable.path, None)
        if value is None or value.shape != tuple(variable.shape):
            raise ValueError(
                f"{encoder.path}: no saved variable {variable.path!r} of "
                f"shape {tuple(variable.shape)} (config does not describe "
                f"this export). Saved: {sorted(saved)[:8]}"
            )
        variable.assign(value.numpy())
    if saved:
        raise ValueError(
            f"{encoder.path}: saved variables {sorted(saved)} have no place "
            "in the rebuilt model; the config does not describe this export."
        )
    _check_same_outputs(encoder, backbone, modality)
    return backbone


def _check_same_outputs(encoder, backbone, modality):
    probe = _probe_batch(contract.input_kind(modality))
    expected = encoder(probe)
    found = backbone.encode(modality, probe, training=False)
    for layer, value in found.items():
        error = float(np.max(np.abs(value - expected[layer].numpy())))
        if error > _TOLERANCE:
            raise ValueError(
                f"{encoder.path}: the rebuilt {modality} path differs from "
                f"the SavedModel at {layer} (max |diff| {error:.3g}); the "
                "config does not describe this export."
            )


def _probe_batch(kind):
    rng = np.random.default_rng(0)
    if kind == contract.IMAGE:
        return rng.integers(0, 256, (2, 70, 90, 3)).astype("uint8")
    if kind == modalities.SOUND:
        return rng.uniform(-0.5, 0.5, (2, 20000)).astype("float32")
    return tf.constant(["a red bird on a branch", "waves on a beach"])
