"""Exports each modality encoder of a backbone, a manifest and a model card."""

import importlib.metadata
import pathlib

import keras
import tensorflow as tf

from cm_zoo import atomic_files
from cm_zoo.export import _publishing
from cm_zoo.export import alignment_state
from cm_zoo.export import contract
from cm_zoo.export import manifest as manifest_lib
from cm_zoo.export.encoder_module import EncoderModule
from cm_zoo.export.model_card import render_model_card
from cm_zoo.models import FC7

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
    embedding_layer=FC7,
    alignment=None,
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
    written under a temporary name, fsynced and renamed at the end (see
    `_publishing.publish`), so a failed or killed export leaves the
    previous export, if any, in place and no partial one.

    With `alignment`, the export also carries what aligning a new modality
    to it needs (`shared/`: fc6/fc7/classifier weights and StatReg priors,
    hashed in the manifest's `alignment` entry; see
    `cm_zoo.export.alignment_state` and `cm_zoo.export.add_modality`).

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
        alignment: dict or None. Keyword arguments of
            `alignment_state.write_alignment_state` besides the backbone:
            `source_modality`, `config`, `priors` (`{layer: prior}` fitted
            on the source modality's pool5/fc6/fc7) and `preset`.
            Defaults to `None` (no `shared/`).
        overwrite: bool. Replace an existing `export_dir/<model_name>`.
            Defaults to `False`.

    Returns:
        `pathlib.Path` of `export_dir/<model_name>`.

    Raises:
        ValueError: on an invalid name, a class-count mismatch, a tower
            that does not take the contract's raw input, or an existing
            target without `overwrite`.
    """
    model_name = _check_model_name(model_name)
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
    with _publishing.staging_directory(target) as staging:
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
        if alignment is not None:
            manifest[alignment_state.ALIGNMENT] = (
                alignment_state.write_alignment_state(
                    staging / alignment_state.SHARED_DIR, backbone, **alignment
                )
            )
        write_manifest_and_card(staging, manifest)
        _publishing.publish(staging, target)
    return target


def write_manifest_and_card(model_dir, manifest):
    """Writes `manifest.json`, then the card rendered from it, atomically."""
    manifest_lib.write_manifest(model_dir, manifest)
    atomic_files.atomic_write_text(
        pathlib.Path(model_dir) / MODEL_CARD_NAME, render_model_card(manifest)
    )


def _check_model_name(model_name):
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
    return model_name


def _manifest(backbone, modules, staging, *, embedding_layer, **fields):
    """Builds the manifest dict from the backbone and the written files."""
    widths = backbone.layer_widths
    return {
        "format_version": manifest_lib.FORMAT_VERSION,
        "model_name": fields["model_name"],
        "method": str(fields["method"]),
        "modalities": list(modules),
        "class_names": fields["class_names"],
        "num_classes": backbone.num_classes,
        "inputs": {
            m: contract.describe_input(m, backbone.towers[m]) for m in modules
        },
        "embedding": {
            "layer": embedding_layer,
            "width": widths[embedding_layer],
            "normalized": False,
        },
        "output_widths": {
            contract.EMBEDDING: widths[embedding_layer],
            **widths,
        },
        "training_data": dict(fields["training_data"] or {}),
        "metrics": dict(fields["metrics"] or {}),
        "files": {m: manifest_lib.hash_tree(staging / m) for m in modules},
        "exported_with": {
            "cm_zoo": importlib.metadata.version("cm_zoo"),
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
    }
