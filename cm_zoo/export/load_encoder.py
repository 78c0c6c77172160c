"""Loads one exported modality encoder after verifying its manifest hashes."""

import tensorflow as tf

from cm_zoo.export import contract
from cm_zoo.export import manifest as manifest_lib
from cm_zoo.export import shipped_encoders
from cm_zoo.export.exported_encoder import ExportedEncoder
from cm_zoo.models import LOGITS

_REUSABLE_ATTRIBUTES = (
    "variables",
    "trainable_variables",
    "regularization_losses",
)
# What a damaged SavedModel raises while TensorFlow parses it: a corrupt
# proto (OSError), a short variables file (IndexError), checkpoint errors.
_LOAD_ERRORS = (
    OSError,
    LookupError,
    ValueError,
    RuntimeError,
    tf.errors.OpError,
)


def load_encoder(name_or_path, modality=None, *, verify=True, search_path=None):
    """Loads one exported encoder as an `ExportedEncoder`, by path or name.

    `load_encoder("saved_models/cmplaces_method_c/sketch")`,
    `load_encoder("saved_models/cmplaces_method_c", "sketch")` and
    `load_encoder("cmplaces_method_c", "sketch")` load the same encoder;
    a bare name is looked up on `search_path` (by default the repository's
    `saved_models/`, see `cm_zoo.export.shipped_encoders`).

    With `verify=True` (the default) every file of the SavedModel is first
    checked against the sha256 in `../manifest.json`; a missing, unlisted,
    truncated or modified file raises before TensorFlow reads anything.
    Then the manifest's metadata (input dtype and shape, output names and
    widths, embedding width, class count) is checked against the loaded
    SavedModel's `serving_default` signature, so a manifest that
    misdescribes its model is refused here, not later as a shape error.
    The returned encoder checks the dtype and rank of its inputs.

    Args:
        name_or_path: str or path. `<export_dir>/<model_name>/<modality>`;
            or, with `modality`, a `<model_dir>` or a model name.
        modality: str or None. Which encoder of the model. Defaults to
            `None` (`name_or_path` is the encoder's own directory).
        verify: bool. Check the manifest hashes. Defaults to `True`.
        search_path: list of paths. Where model names are looked up.
            Defaults to the repository's `saved_models/`.

    Returns:
        `cm_zoo.export.ExportedEncoder`.

    Raises:
        ValueError: if no such export exists (the message lists the
            available models), the manifest is missing, malformed, does not
            list this modality or disagrees with the SavedModel, a file
            fails verification, or TensorFlow cannot parse the SavedModel;
            the message names the file or directory.

    Example:
    >>> import tempfile
    >>> from cm_zoo.export import export_encoders, load_encoder
    >>> from cm_zoo.models import CrossModalBackbone
    >>> from cm_zoo.towers import ImageTower
    >>> tower = ImageTower(image_size=32, conv_filters=[4] * 5,
    ...                    conv1_kernel_size=3, conv1_strides=1)
    >>> backbone = CrossModalBackbone({"sketch": tower}, num_classes=2,
    ...                               hidden_dim=8)
    >>> root = export_encoders(backbone, tempfile.mkdtemp(), model_name="m",
    ...                        method="demo", class_names=["a", "b"])
    >>> encoder = load_encoder(root / "sketch")
    >>> encoder(np.zeros((1, 9, 9, 3), "uint8"))["embedding"].shape
    TensorShape([1, 8])
    >>> load_encoder("m", "sketch", search_path=[root.parent]).path[-8:]
    'm/sketch'
    """
    path = shipped_encoders.encoder_dir(name_or_path, modality, search_path)
    modality = path.name
    manifest = manifest_lib.read_manifest(path.parent)
    if modality not in manifest["files"] or not path.is_dir():
        raise ValueError(
            f"Modality {modality!r} ({str(path)!r}) is not an encoder of "
            f"{str(path.parent / manifest_lib.MANIFEST_NAME)!r}. Listed: "
            f"{sorted(manifest['files'])}"
        )
    if verify:
        manifest_lib.verify_files(path, manifest["files"][modality])
    saved_model = _load_saved_model(path, verify)
    _check_manifest_matches(saved_model, modality, manifest, path)
    return ExportedEncoder(saved_model, modality, path, manifest)


def _load_saved_model(path, verify):
    """`tf.saved_model.load`, with errors naming the directory."""
    try:
        saved_model = tf.saved_model.load(str(path))
    except _LOAD_ERRORS as error:
        hint = (
            "Its files match manifest.json, so the export was written "
            "damaged or was altered and re-hashed after export; re-export "
            "it from the trained model."
            if verify
            else "Load with verify=True to find the altered file."
        )
        raise ValueError(
            f"Cannot load the SavedModel in {str(path)!r} "
            f"({type(error).__name__}: {error}). The export is damaged. "
            f"{hint}"
        ) from error
    missing = [
        name
        for name in _REUSABLE_ATTRIBUTES + ("__call__",)
        if not hasattr(saved_model, name)
    ]
    if missing or "serving_default" not in saved_model.signatures:
        raise ValueError(
            f"The SavedModel in {str(path)!r} is not a Reusable SavedModel "
            f"encoder: missing {missing or ['serving_default signature']}."
        )
    return saved_model


def _check_manifest_matches(saved_model, modality, manifest, path):
    """Raises unless the manifest describes the SavedModel's signature."""
    signature = saved_model.signatures["serving_default"]
    widths = {
        name: spec.shape[-1]
        for name, spec in signature.structured_outputs.items()
    }
    inputs = {
        name: [spec.dtype.name, spec.shape.as_list()]
        for name, spec in signature.structured_input_signature[1].items()
    }
    described = manifest["inputs"].get(modality, {})
    stated_and_found = [
        (
            f"inputs.{modality}",
            {modality: [described.get("dtype"), described.get("shape")]},
            inputs,
        ),
        ("output_widths", manifest["output_widths"], widths),
        (
            "embedding.width",
            manifest["embedding"].get("width"),
            widths.get(contract.EMBEDDING),
        ),
        (
            "len(class_names)",
            len(manifest["class_names"]),
            widths.get(LOGITS),
        ),
    ]
    problems = [
        f"`{field}` is {stated} but the SavedModel has {found}"
        for field, stated, found in stated_and_found
        if stated != found
    ]
    if problems:
        raise ValueError(
            f"{str(path.parent / manifest_lib.MANIFEST_NAME)!r} does not "
            f"describe the SavedModel in {str(path)!r}: "
            f"{'; '.join(problems)}. The manifest was edited or belongs to "
            "another export; re-export the model."
        )
