"""Exports each modality encoder of a backbone, a manifest and a model card."""

import importlib.metadata
import pathlib
import shutil
import tempfile

import keras
import tensorflow as tf

from cm_zoo.export import contract
from cm_zoo.export import manifest as manifest_lib
from cm_zoo.export.encoder_module import EncoderModule
from cm_zoo.export.model_card import render_model_card

MODEL_CARD_NAME = "README.md"


def export_encoders(
    backbone,
    export_dir,
    *,
    model_name,
    method,
    class_names,
    training_data=None,
    metrics=None,
    embedding_layer="fc7",
    overwrite=False,
):
    """Writes one Reusable SavedModel per modality, `manifest.json` and a card.

    The layout is the export contract of issue 8:
    `export_dir/<model_name>/<modality>/` is a SavedModel loadable with
    `hub.load` without cm_zoo (see `EncoderModule` for its interface);
    `export_dir/<model_name>/manifest.json` records the model name, method,
    modalities, class names, input spec per modality, the embedding layer
    and width, training data, metrics and the sha256 of every exported
    file; `README.md` beside it is the model card. The directory is
    written under a temporary name and renamed at the end, so a failed
    export leaves nothing behind.

    Args:
        backbone: `cm_zoo.models.CrossModalBackbone`. The trained model.
        export_dir: path. Parent directory (e.g. `"saved_models"`).
        model_name: str. Directory name of this model; letters, digits,
            `_`, `-` and `.` only.
        method: str. Paper method (e.g. `"CMPlaces Method C"`).
        class_names: list of str. One name per logit.
        training_data: dict. JSON-safe description of the training data,
            e.g. its `data_manifest_sha256`. Defaults to `None`.
        metrics: dict. JSON-safe metrics on the held-out split. Defaults
            to `None`.
        embedding_layer: str. Layer exported as `embedding`. Defaults to
            `"fc7"`.
        overwrite: bool. Replace an existing `export_dir/<model_name>`.
            Defaults to `False`.

    Returns:
        `pathlib.Path` of `export_dir/<model_name>`.

    Raises:
        ValueError: on an invalid name, a class-count mismatch, a tower
            that does not take the contract's raw input, or an existing
            target without `overwrite`.
    """
    model_name = str(model_name)
    if (
        not model_name
        or not all(c.isalnum() or c in "_-." for c in model_name)
        or model_name.startswith(".")
    ):
        raise ValueError(
            "`model_name` must be a non-empty directory name of letters, "
            f"digits, '_', '-' and '.'. Received: model_name={model_name!r}"
        )
    class_names = [str(name) for name in class_names]
    if len(class_names) != backbone.num_classes:
        raise ValueError(
            f"`class_names` has {len(class_names)} names but the backbone "
            f"has num_classes={backbone.num_classes}."
        )
    target = pathlib.Path(export_dir) / model_name
    if target.exists() and not overwrite:
        raise ValueError(
            f"Export target {str(target)!r} exists; pass `overwrite=True` "
            "to replace it."
        )
    modules = {
        modality: EncoderModule(backbone, modality, embedding_layer)
        for modality in backbone.modalities
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(
        tempfile.mkdtemp(prefix=f".{model_name}.", dir=target.parent)
    )
    try:
        for modality, module in modules.items():
            tf.saved_model.save(
                module,
                str(staging / modality),
                signatures=module.signatures(),
            )
        manifest = _manifest(
            backbone,
            modules,
            staging,
            model_name=model_name,
            method=method,
            class_names=class_names,
            training_data=training_data,
            metrics=metrics,
            embedding_layer=embedding_layer,
        )
        manifest_lib.write_manifest(staging, manifest)
        (staging / MODEL_CARD_NAME).write_text(render_model_card(manifest))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _manifest(backbone, modules, staging, *, embedding_layer, **fields):
    """Builds the manifest dict from the backbone and the written files."""
    sample = next(iter(backbone.modalities))
    widths = {
        "pool5": backbone.towers[sample].output_dim,
        "fc6": backbone.hidden_dim,
        "fc7": backbone.hidden_dim,
        "logits": backbone.num_classes,
    }
    return {
        "format_version": manifest_lib.FORMAT_VERSION,
        "model_name": fields["model_name"],
        "method": str(fields["method"]),
        "modalities": list(modules),
        "class_names": fields["class_names"],
        "num_classes": backbone.num_classes,
        "inputs": {m: contract.describe_input(m) for m in modules},
        "embedding": {
            "layer": embedding_layer,
            "width": widths[embedding_layer],
            "normalized": False,
        },
        "output_widths": {"embedding": widths[embedding_layer], **widths},
        "training_data": dict(fields["training_data"] or {}),
        "metrics": dict(fields["metrics"] or {}),
        "files": {m: manifest_lib.hash_tree(staging / m) for m in modules},
        "exported_with": {
            "cm_zoo": importlib.metadata.version("cm_zoo"),
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
    }
