"""Loads one exported modality encoder after verifying its manifest hashes."""

import pathlib

import tensorflow as tf

from cm_zoo.export import manifest as manifest_lib
from cm_zoo.export.exported_encoder import ExportedEncoder

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


def load_encoder(path, *, verify=True):
    """Loads `<export_dir>/<model_name>/<modality>` as an `ExportedEncoder`.

    With `verify=True` (the default) every file of the SavedModel is first
    checked against the sha256 in `../manifest.json`; a missing, unlisted,
    truncated or modified file raises before TensorFlow reads anything.
    The returned encoder checks the dtype and rank of its inputs.

    Args:
        path: path. The modality's SavedModel directory.
        verify: bool. Check the manifest hashes. Defaults to `True`.

    Returns:
        `cm_zoo.export.ExportedEncoder`.

    Raises:
        ValueError: if the manifest is missing or does not list this
            modality, a file fails verification, or TensorFlow cannot
            parse the SavedModel; the message names the file or directory.

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
    """
    path = pathlib.Path(path)
    if not path.is_dir():
        raise ValueError(
            f"No exported encoder directory at {str(path)!r}: expected "
            "<export_dir>/<model_name>/<modality>."
        )
    modality = path.name
    manifest = manifest_lib.read_manifest(path.parent)
    if modality not in manifest["files"]:
        raise ValueError(
            f"Modality {modality!r} ({str(path)!r}) is not listed in "
            f"{str(path.parent / manifest_lib.MANIFEST_NAME)!r}. Listed: "
            f"{sorted(manifest['files'])}"
        )
    if verify:
        manifest_lib.verify_files(path, manifest["files"][modality])
    try:
        saved_model = tf.saved_model.load(str(path))
    except _LOAD_ERRORS as error:
        raise ValueError(
            f"Cannot load the SavedModel in {str(path)!r} "
            f"({type(error).__name__}: {error}). The export is damaged; "
            "load with verify=True to find the altered file."
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
    return ExportedEncoder(saved_model, modality, path, manifest)
