"""Scene classification on every modality of a backbone, with StatReg."""

import keras

from cm_zoo.layers.statreg import regularize_together
from cm_zoo.models.cross_modal_backbone import LOGITS
from cm_zoo.models.cross_modal_backbone import SHARED_LAYERS
from cm_zoo.models.task import Task


@keras.saving.register_keras_serializable(package="cm_zoo")
class CrossModalClassifier(Task):
    """Trains a `CrossModalBackbone` to classify scenes in every modality.

    The task of Cross-Modal Scene Networks (eq. 1): the sum over modalities
    of the softmax cross-entropy of each modality's logits, plus, when
    `regularizers` are given (Method B/C), the StatReg penalties that those
    layers add on the hidden activations of the `regularized_modalities`.
    The regularized activations are those the same weights give without
    dropout, as when the priors were fitted (in inference mode); the
    logits still come from the dropped-out path
    (`CrossModalBackbone.encode_modalities(..., pre_dropout=...)`).

    Inputs are a dict keyed by modality that may hold any subset of the
    backbone's modalities: absent modalities are skipped, never zero-filled
    (each distinct subset is traced once). Targets are a dict of integer
    labels with the same keys. The output is a dict of logits. Losses are
    scaled for `tf.distribute` as every `Task`'s are.

    Metrics: `<modality>_accuracy`, and with regularizers one
    `statreg_<layer>_<modality>` per regularized pair: the StatReg term of
    the loss (`weight * mean NLL`, times `statreg_active`), averaged over
    the epoch's training steps (absent from evaluation logs: evaluation
    adds no StatReg).
    With regularizers the task has a non-trainable float32 variable
    `statreg_active` (1 by default) multiplying every StatReg term; the
    `cm_zoo.curricula.StatRegSchedule` callback sets it by epoch.

    Args:
        backbone: `cm_zoo.models.CrossModalBackbone`.
        regularizers: dict. Backbone layer name (`"pool5"`, `"fc6"`,
            `"fc7"`) to a StatReg layer. Defaults to none.
        regularized_modalities: list of str. Modalities whose activations
            are regularized. Defaults to all of the backbone's.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:
    >>> from cm_zoo.models import CrossModalBackbone, CrossModalClassifier
    >>> from cm_zoo.towers import ImageTower
    >>> tower = ImageTower(image_size=32, conv_filters=[4] * 5,
    ...                    conv1_kernel_size=3, conv1_strides=1, name="t")
    >>> task = CrossModalClassifier(
    ...     CrossModalBackbone({"sketch": tower}, num_classes=3, hidden_dim=8))
    >>> task.compile()
    >>> x = {"sketch": np.zeros((4, 32, 32, 3), "uint8")}
    >>> y = {"sketch": np.array([0, 1, 2, 0])}
    >>> history = task.fit(x, y, epochs=1, verbose=0)
    >>> sorted(history.history)
    ['loss', 'sketch_accuracy']
    """

    _layer_dict_arguments = ("regularizers",)

    def __init__(
        self,
        backbone,
        regularizers=None,
        regularized_modalities=None,
        **kwargs,
    ):
        super().__init__(backbone, **kwargs)
        self.regularizers = dict(regularizers or {})
        unknown = [n for n in self.regularizers if n not in SHARED_LAYERS]
        if unknown:
            raise ValueError(
                f"`regularizers` must be keyed by {list(SHARED_LAYERS)}. "
                f"Received keys: {list(self.regularizers)}"
            )
        self.regularized_modalities = tuple(
            regularized_modalities or backbone.modalities
        )
        for modality in self.regularized_modalities:
            backbone.upper_layers_for(modality)
        self._cross_entropy = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True
        )
        self._accuracy = {
            m: keras.metrics.SparseCategoricalAccuracy(name=f"{m}_accuracy")
            for m in backbone.modalities
        }
        if self.regularizers:
            self._statreg_terms = _TermMeans(
                [
                    f"statreg_{layer}_{modality}"
                    for layer in self.regularizers
                    for modality in self.regularized_modalities
                ],
                name="statreg_terms",
            )
            self.statreg_active = keras.Variable(
                1.0,
                trainable=False,
                dtype="float32",
                autocast=False,
                name="statreg_active",
            )
        self.built = all(
            layer.built for layer in [backbone, *self.regularizers.values()]
        )

    def default_optimizer(self):
        """SGD with momentum 0.9 at 1e-3, the paper's (section 4.5)."""
        return keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9)

    def call(self, inputs, training=None):
        if not isinstance(inputs, dict) or not inputs:
            raise ValueError(
                "CrossModalClassifier expects a non-empty dict keyed by "
                f"modality. Received: {type(inputs).__name__}"
            )
        regularized = (
            [m for m in sorted(inputs) if m in self.regularized_modalities]
            if self.regularizers
            else []
        )
        features = self.backbone.encode_modalities(
            {m: inputs[m] for m in sorted(inputs)},
            training=training,
            pre_dropout=regularized,
        )
        statreg_calls = [
            (regularizer, features[modality][layer])
            for modality in regularized
            for layer, regularizer in self.regularizers.items()
        ]
        logits = {m: f[LOGITS] for m, f in features.items()}
        if training:
            # All layers and modalities in one XLA call; each layer adds its
            # losses in sorted modality order, as if called one by one.
            regularize_together(statreg_calls)
        else:
            for regularizer, x in statreg_calls:
                regularizer(x)  # the identity; builds an unbuilt layer
        return logits

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        _check_targets(y, y_pred)
        losses = [self._cross_entropy(y[m], y_pred[m]) for m in y_pred]
        losses.extend(self._statreg_losses(sorted(y_pred)))
        return keras.ops.sum(keras.ops.stack(losses))

    def _statreg_losses(self, modalities):
        """Scaled StatReg terms (logged per layer and modality) and others.

        Each StatReg layer added one loss per regularized modality, called
        in sorted modality order (see `call`); in inference it added none.
        """
        regularized = [
            m for m in modalities if m in self.regularized_modalities
        ]
        names, terms, statreg_ids = [], [], set()
        for layer, regularizer in self.regularizers.items():
            added = regularizer.losses
            statreg_ids.update(id(loss) for loss in added)
            if not added:
                continue
            for modality, loss in zip(regularized, added, strict=True):
                names.append(f"statreg_{layer}_{modality}")
                terms.append(keras.ops.cast(loss, "float32"))
        others = [loss for loss in self.losses if id(loss) not in statreg_ids]
        others = [self.scaled(loss) for loss in others]
        if not terms:
            return others
        # One vector for all terms: one gate, one metric update, one sum.
        terms = self.statreg_active * keras.ops.stack(terms)
        self._statreg_terms.update_state(names, terms)
        return [self.scaled(keras.ops.sum(terms)), *others]

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        for modality, logits in y_pred.items():
            self._accuracy[modality].update_state(y[modality], logits)
        results = self.get_metrics_result()
        if any(r.losses for r in self.regularizers.values()):
            return results
        # Evaluation adds no StatReg: no `val_statreg_*` zeros in the logs.
        return {
            k: v
            for k, v in results.items()
            if not (self.regularizers and k in self._statreg_terms.names)
        }

    def get_config(self):
        config = super().get_config()
        config["regularized_modalities"] = list(self.regularized_modalities)
        return config


class _TermMeans(keras.metrics.Metric):
    """Means over steps of named scalar terms, all in one variable.

    As one `keras.metrics.Mean` per name, but the sums and counts of every
    name live in one `[2, len(names)]` variable: a step updates it with one
    op and a reset (each `train_on_batch`, each epoch) costs one assignment
    whatever the number of terms. `result()` is a dict of the means by
    name, which Keras logs as separate keys; a name never updated reads 0.
    """

    def __init__(self, names, name=None):
        super().__init__(name=name)
        self.names = tuple(names)
        self.sums_and_counts = self.add_variable(
            shape=(2, len(self.names)),
            initializer="zeros",
            name="sums_and_counts",
        )

    def update_state(self, names, values):
        """Adds one step: `values[i]` (float32) of the term `names[i]`."""
        if tuple(names) != self.names:
            by_name = dict(zip(names, keras.ops.unstack(values), strict=True))
            zero = keras.ops.zeros((), "float32")
            values = keras.ops.stack([by_name.get(n, zero) for n in self.names])
        counts = [float(name in names) for name in self.names]
        self.sums_and_counts.assign_add(
            keras.ops.stack([values, keras.ops.array(counts)])
        )

    def result(self):
        sums, counts = keras.ops.unstack(self.sums_and_counts.value)
        means = keras.ops.unstack(keras.ops.divide_no_nan(sums, counts))
        return dict(zip(self.names, means, strict=True))

    def get_config(self):
        return {"names": list(self.names), "name": self.name}


def _check_targets(y, y_pred):
    if not isinstance(y, dict) or set(y) != set(y_pred):
        found = sorted(y) if isinstance(y, dict) else type(y).__name__
        raise ValueError(
            "Targets must be a dict of labels with the same modalities as "
            f"the inputs. Expected keys {sorted(y_pred)}, received {found}."
        )
