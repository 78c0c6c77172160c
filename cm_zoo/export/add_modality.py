"""Adding to an existing export without touching its encoders' files."""

import pathlib
import shutil

import tensorflow as tf

from cm_zoo.export import _publishing
from cm_zoo.export import alignment_state
from cm_zoo.export import contract
from cm_zoo.export import manifest as manifest_lib
from cm_zoo.export.encoder_module import EncoderModule
from cm_zoo.export.export_encoders import write_manifest_and_card

ALIGNED = "aligned_modalities"
_RESERVED = (alignment_state.SHARED_DIR,)


def add_modality(
    model_dir,
    backbone,
    modality,
    *,
    method,
    training_data=None,
    metrics=None,
    overwrite=False,
):
    """Exports one more encoder into an export; the others stay as they are.

    Writes `model_dir/<modality>/` (a Reusable SavedModel under the same
    contract, see `EncoderModule`), then adds it to `manifest.json`
    (`modalities`, `inputs` with its input `kind`, `files`, and
    `aligned_modalities[<modality>]`: `method`, `training_data`,
    `metrics`) and re-renders the model card. No file of another encoder
    is read for writing: their bytes and sha256 stay the same. The encoder
    is staged beside the export and renamed into it; a directory of that
    name the manifest does not list (left by a killed run) is replaced.

    Args:
        model_dir: path. `<export_dir>/<model_name>`.
        backbone: `cm_zoo.models.CrossModalBackbone` encoding `modality`
            into the export's shared space (same layer widths).
        modality: str. Name of the new encoder's directory: a lower-case
            identifier, not `"shared"`.
        method: str. How it was aligned (e.g. `"C"`).
        training_data: dict or None. JSON-safe description of its data.
        metrics: dict or None. JSON-safe metrics (e.g. retrieval).
        overwrite: bool. Replace an encoder added before (never one the
            model was trained with). Defaults to `False`.

    Returns:
        `pathlib.Path` of `model_dir/<modality>`.

    Raises:
        ValueError: for an invalid or taken name, or a backbone whose
            widths differ from the export's.
    """
    model_dir = pathlib.Path(model_dir)
    manifest = manifest_lib.read_manifest(model_dir)
    _check_new_modality(manifest, model_dir, modality, overwrite)
    widths = {**backbone.layer_widths}
    stated = {k: v for k, v in manifest["output_widths"].items() if k in widths}
    if widths != stated:
        raise ValueError(
            f"Modality {modality!r}: the backbone's layer widths {widths} "
            f"differ from the export's {stated} ({str(model_dir)!r})."
        )
    module = EncoderModule(backbone, modality, manifest["embedding"]["layer"])
    target = model_dir / modality
    with _publishing.staging_directory(target, model_dir.parent) as staging:
        tf.saved_model.save(
            module, str(staging), signatures=module.signatures()
        )
        files = manifest_lib.hash_tree(staging)
        _publishing.publish(staging, target)
    if modality not in manifest["modalities"]:
        manifest["modalities"].append(modality)
    manifest["inputs"][modality] = contract.describe_input(
        modality, backbone.towers[modality]
    )
    manifest["files"][modality] = files
    manifest.setdefault(ALIGNED, {})[modality] = {
        "method": str(method),
        "training_data": dict(training_data or {}),
        "metrics": dict(metrics or {}),
    }
    write_manifest_and_card(model_dir, manifest)
    return target


def _check_new_modality(manifest, model_dir, modality, overwrite):
    valid = (
        isinstance(modality, str)
        and modality.isidentifier()
        and modality == modality.lower()
        and modality not in _RESERVED
    )
    if not valid:
        raise ValueError(
            "The new modality's name must be a lower-case identifier other "
            f"than {list(_RESERVED)}. Received: modality={modality!r}"
        )
    added = manifest.get(ALIGNED, {})
    if modality in manifest["modalities"] and not (
        overwrite and modality in added
    ):
        hint = "pass overwrite=True" if modality in added else "rename it"
        raise ValueError(
            f"Modality {modality!r} is already an encoder of "
            f"{str(model_dir)!r} ({manifest['modalities']}); {hint}."
        )


def record_metrics(model_dir, modality, metrics):
    """Sets `aligned_modalities[<modality>].metrics` (e.g. retrieval of the
    exported encoder, measured after export) and re-renders the card."""
    model_dir = pathlib.Path(model_dir)
    manifest = manifest_lib.read_manifest(model_dir)
    if modality not in manifest.get(ALIGNED, {}):
        raise ValueError(
            f"Modality {modality!r} was not added to {str(model_dir)!r} "
            f"(added: {sorted(manifest.get(ALIGNED, {}))})."
        )
    manifest[ALIGNED][modality]["metrics"] = dict(metrics)
    write_manifest_and_card(model_dir, manifest)


def add_alignment_state(model_dir, backbone, **alignment):
    """Adds `shared/` (shared layers and priors) to an existing export.

    For exports made without `alignment=` (e.g. before it existed): the
    encoders' files stay byte-identical; `shared/` is staged beside the
    export and renamed into it, then the manifest's `alignment` entry and
    the model card are written. Rerunning replaces `shared/`.

    Args:
        model_dir: path. `<export_dir>/<model_name>`.
        backbone: `CrossModalBackbone` holding the source modality's path
            with the export's weights (`recover_backbone`).
        **alignment: `source_modality`, `config`, `priors`, `preset`, as
            `alignment_state.write_alignment_state` takes them.

    Returns:
        The manifest's new `alignment` entry.
    """
    model_dir = pathlib.Path(model_dir)
    manifest = manifest_lib.read_manifest(model_dir)
    target = model_dir / alignment_state.SHARED_DIR
    with _publishing.staging_directory(target, model_dir.parent) as staging:
        entry = alignment_state.write_alignment_state(
            staging, backbone, **alignment
        )
        _publishing.publish(staging, target)
    manifest[alignment_state.ALIGNMENT] = entry
    write_manifest_and_card(model_dir, manifest)
    return entry


def copy_export(model_dir, target):
    """Copies an export to `target` (a new model directory), renamed.

    Files are copied byte for byte, staged and renamed into place; the
    manifest's `model_name` becomes `target`'s name, the card follows.

    Raises:
        ValueError: if `target` exists.
    """
    model_dir, target = pathlib.Path(model_dir), pathlib.Path(target)
    manifest = manifest_lib.read_manifest(model_dir)
    if target.exists():
        raise ValueError(f"Output model directory {str(target)!r} exists.")
    with _publishing.staging_directory(target) as staging:
        shutil.copytree(model_dir, staging, dirs_exist_ok=True)
        manifest["model_name"] = target.name
        write_manifest_and_card(staging, manifest)
        _publishing.publish(staging, target)
    return target
