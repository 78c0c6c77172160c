"""A loaded encoder that checks its inputs against the export contract."""

from cm_zoo.export import contract


class ExportedEncoder:
    """A reloaded modality encoder, as returned by `load_encoder`.

    Calls go to the SavedModel's `__call__`, after a check that names the
    modality, the expected and the received dtype and shape (the raw
    `tf.function` only reports that no concrete function matched). The
    Reusable SavedModel attributes are forwarded, so the object fine-tunes
    like the SavedModel itself.

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

    def __call__(self, x, training=False):
        x = contract.check_input(self.modality, x, self.path)
        return self.saved_model(x, training=bool(training))

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
