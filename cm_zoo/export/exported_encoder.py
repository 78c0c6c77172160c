"""A loaded encoder that checks its inputs against the export contract."""

import unicodedata
import warnings

import tensorflow as tf

from cm_zoo import modalities
from cm_zoo.export import contract


class ExportedEncoder:
    """A reloaded modality encoder, as returned by `load_encoder`.

    Calls go to the SavedModel's `__call__`, after a check that names the
    modality, the expected and the received dtype and shape (the raw
    `tf.function` only reports that no concrete function matched). An
    empty batch (`[]` too) gives `(0, width)` outputs. For descriptions
    called eagerly, a `UserWarning` names the rows whose invalid UTF-8
    bytes were replaced by U+FFFD and the non-empty rows with no token
    (embedded as `""`), which the SavedModel itself handles without a
    word. The Reusable SavedModel attributes are forwarded, so the object
    fine-tunes like the SavedModel itself.

    Args:
        saved_model: the object returned by `tf.saved_model.load`.
        modality: str. Modality key of the encoder.
        path: str. Where it was loaded from (used in error messages).
        manifest: dict. The export's manifest.

    Call arguments:
        x: tensor-like batch in the contract dtype and rank (see
            `cm_zoo.export.contract`).
        training: bool. Run dropout and batch statistics in training mode.
            Defaults to `False`.

    Returns:
        dict of float32 `[batch, width]` tensors: `embedding`, `pool5`,
        `fc6`, `fc7`, `logits`.
    """

    def __init__(self, saved_model, modality, path, manifest):
        self.saved_model = saved_model
        self.modality = modality
        self.path = str(path)
        self.manifest = manifest
        self.kind = manifest["inputs"][modality].get(
            "kind"
        ) or contract.input_kind(modality)
        # The restored `__call__` would pick one of its two traced concrete
        # functions on every call by binding and hashing the arguments,
        # most of a batch-1 call's Python time; they are looked up once.
        # Each is called with its `training` value too: without it the
        # binding fails and falls back to the flat signature, after
        # formatting an error message that prints the input.
        spec = contract.input_spec(modality, self.kind)
        self._concrete_calls = {
            training: saved_model.__call__.get_concrete_function(
                spec, training=training
            )
            for training in (False, True)
        }

    def __call__(self, x, training=False):
        x = contract.check_input(self.modality, x, self.path, self.kind)
        if self.kind == modalities.DESCRIPTION and tf.executing_eagerly():
            _warn_about_text(x, self.path)
        training = bool(training)
        return self._concrete_calls[training](x, training=training)

    @property
    def variables(self):
        """list of `tf.Variable`. Every variable the encoder reads."""
        return list(self.saved_model.variables)

    @property
    def trainable_variables(self):
        """list of `tf.Variable`. The variables fine-tuning may change."""
        return list(self.saved_model.trainable_variables)

    @property
    def regularization_losses(self):
        """list of zero-argument functions returning scalar losses."""
        return list(self.saved_model.regularization_losses)

    @property
    def signatures(self):
        """The SavedModel's signatures (`serving_default`)."""
        return self.saved_model.signatures

    @property
    def output_widths(self):
        """dict. Width of each output, from the manifest."""
        return dict(self.manifest["output_widths"])


def _warn_about_text(text, where):
    """Warns naming rows with invalid UTF-8 and rows without any token.

    Plain Python over the batch's bytes (a few microseconds per row), not
    TensorFlow ops, so the check costs next to nothing per call. A token
    character is what `HashedWordEmbedding`'s `tokenize` keeps: a letter,
    a digit or an So-category symbol (`has_token` is tested against it).
    """
    invalid, empty = [], []
    for row, raw in enumerate(text.numpy().reshape(-1)):
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            invalid.append(row)
            continue
        if decoded and not has_token(decoded):
            empty.append(row)
    notes = []
    if invalid:
        notes.append(
            f"rows {invalid} are not valid UTF-8; their invalid bytes were "
            "replaced by U+FFFD"
        )
    if empty:
        notes.append(
            f"rows {empty} hold no word, number or symbol and embed as the "
            "empty text"
        )
    if notes:
        warnings.warn(
            f"Description encoder ({where}): {'; '.join(notes)}.",
            stacklevel=3,
        )


def has_token(text):
    """Whether `text` (a `str`) has a character the tokenizer keeps."""
    return any(
        char.isalnum() or unicodedata.category(char) == "So" for char in text
    )
