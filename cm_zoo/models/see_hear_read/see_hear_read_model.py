"""See, Hear, and Read: sound and text aligned to images, two losses."""

import keras

from cm_zoo import modalities
from cm_zoo.losses import model_transfer_loss
from cm_zoo.losses import symmetric_cosine_ranking_loss
from cm_zoo.models.cross_modal_backbone import LOGITS
from cm_zoo.models.cross_modal_backbone import SHARED_LAYERS
from cm_zoo.models.cross_modal_backbone import CrossModalBackbone
from cm_zoo.models.task import Task

PAIR_SETS = {
    "image_sound": modalities.SOUND,
    "image_text": modalities.DESCRIPTION,
}
# The optional pair set without images (issue 16): spoken texts and their
# transcripts, ranked sound against text with the text side held fixed.
SOUND_TEXT = "sound_text"
_BATCH_KEYS = [*PAIR_SETS, SOUND_TEXT]


@keras.saving.register_keras_serializable(package="cm_zoo")
class SeeHearReadModel(Task):
    """Trains a cross-modal backbone from image-sound and image-text pairs.

    See, Hear, and Read (section 3): the backbone has one tower per
    modality (image, `sound`, `description`) under shared fc6, fc7 and
    classifier. A frozen `teacher` gives class probabilities for the image
    of every pair; the loss of a batch is, summed over the pair sets present,
    `transfer_weight * [KL(teacher(image) || student(other))
    (+ KL(teacher(image) || student(image)) if transfer_image)]
    + ranking_weight * sum over ranking_layers of the symmetric cosine
    ranking loss between image and other` (eq. 1-3; in-batch negatives).
    In the paper's regime sound and text are never paired with each other:
    they align through the image. An optional third set, `"sound_text"`
    (spoken texts and their transcripts, no image), adds `ranking_weight *`
    the same ranking loss between sound and text, with the text side as a
    fixed target (`stop_gradient`): it pulls the sound tower (and the
    shared layers, on the sound path) toward where the text tower already
    puts those words, and leaves the text tower to its image pairs. It has
    no KL term: the teacher sees images only. All losses are float32 and
    scaled for `tf.distribute` as every `Task`'s are; `kl` and `ranking`
    (unweighted sums, `ranking` with the sound-text term) are tracked as
    metrics next to `loss`. `compile()` defaults to Adam at 1e-4, the
    paper's.

    A batch is `{"image_sound": {image: uint8 images, "sound": waveforms},
    "image_text": {image: uint8 images, "description": strings},
    "sound_text": {"sound": waveforms, "description": strings}}`; any set
    may be absent. `call` returns, for each set present, the backbone
    outputs (`pool5`, `fc6`, `fc7`, `logits`) of both modalities and, for
    the image sets, the teacher's probabilities (`"teacher_probs"`), so
    `model.fit` works on such batches without targets.

    Args:
        backbone: `cm_zoo.models.CrossModalBackbone` with towers for the
            image modality, `"sound"` and `"description"`.
        teacher: `keras.Model` from images to class logits (a tensor, or a
            dict with a `"logits"` entry, as `CrossModalBackbone.encoder`
            returns) with `backbone.num_classes` classes. It is frozen and
            always run in inference mode.
        image_modality: str. Modality key of the images. Defaults to
            `"clipart"`.
        transfer_weight: float. Weight of the model-transfer (KL) loss.
            Defaults to `1.`.
        ranking_weight: float. Weight of the ranking loss. Defaults to `1.`.
        ranking_layers: list of str. Backbone layers the ranking loss
            aligns (paper: the last three hidden layers). Defaults to
            `["pool5", "fc6", "fc7"]`.
        margin: float. Ranking margin. Defaults to `0.1`.
        transfer_image: bool. Also train the image path to match the
            teacher. Defaults to `True`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:
    >>> from cm_zoo.models import CrossModalBackbone
    >>> from cm_zoo.models.see_hear_read import SeeHearReadModel
    >>> from cm_zoo.towers import ImageTower, SoundTower, TextTower
    >>> image = ImageTower(image_size=32, conv_filters=[4] * 5,
    ...                    conv1_kernel_size=3, conv1_strides=1)
    >>> sound = SoundTower(16, num_frames=27, frame_length=32, frame_step=16,
    ...                    conv_filters=[4, 4, 4], pool_size=3)
    >>> text = TextTower(16, num_buckets=32, embedding_dim=4, conv_filters=4)
    >>> backbone = CrossModalBackbone(
    ...     {"clipart": image, "sound": sound, "description": text},
    ...     num_classes=3, hidden_dim=8)
    >>> x = keras.Input((None, None, 3), dtype="uint8")
    >>> teacher = keras.Model(x, keras.layers.Dense(3)(
    ...     keras.layers.GlobalAveragePooling2D()(x)))
    >>> model = SeeHearReadModel(backbone, teacher)
    >>> model.compile()
    >>> batch = {"image_sound": {
    ...     "clipart": np.zeros((4, 32, 32, 3), "uint8"),
    ...     "sound": np.zeros((4, 400), "float32")}}
    >>> sorted(model.train_on_batch(batch, return_dict=True))
    ['kl', 'loss', 'ranking']
    """

    def __init__(
        self,
        backbone,
        teacher,
        image_modality=modalities.CLIPART,
        transfer_weight=1.0,
        ranking_weight=1.0,
        ranking_layers=SHARED_LAYERS,
        margin=0.1,
        transfer_image=True,
        **kwargs,
    ):
        super().__init__(backbone, **kwargs)
        needed = (image_modality,) + tuple(PAIR_SETS.values())
        missing = [m for m in needed if m not in backbone.modalities]
        if missing:
            raise ValueError(
                f"`backbone` must have towers for {list(needed)}. Missing: "
                f"{missing}; found: {list(backbone.modalities)}"
            )
        bad_layers = [n for n in ranking_layers if n not in SHARED_LAYERS]
        if bad_layers:
            raise ValueError(
                f"`ranking_layers` must be among {list(SHARED_LAYERS)}. "
                f"Received: ranking_layers={list(ranking_layers)}"
            )
        teacher_classes = _teacher_output(teacher.output).shape[-1]
        if teacher_classes != backbone.num_classes:
            raise ValueError(
                f"The teacher predicts {teacher_classes} classes but the "
                f"backbone's classifier has num_classes="
                f"{backbone.num_classes}; they must match."
            )
        for weight_name, weight in (
            ("transfer_weight", transfer_weight),
            ("ranking_weight", ranking_weight),
        ):
            if float(weight) < 0:
                raise ValueError(
                    f"`{weight_name}` must be >= 0. Received: "
                    f"{weight_name}={weight}"
                )
        self.teacher = teacher
        self.teacher.trainable = False
        self.image_modality = image_modality
        self.transfer_weight = float(transfer_weight)
        self.ranking_weight = float(ranking_weight)
        self.ranking_layers = list(ranking_layers)
        self.margin = float(margin)
        self.transfer_image = bool(transfer_image)
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.ranking_tracker = keras.metrics.Mean(name="ranking")
        # Backbone and teacher are functional models, built at construction.
        self.built = True

    _layer_arguments = ("backbone", "teacher")

    def default_optimizer(self):
        """Adam at 1e-4, the paper's (section 4)."""
        return keras.optimizers.Adam(learning_rate=1e-4)

    @classmethod
    def from_preset(
        cls, preset, teacher, image_modality=modalities.CLIPART, **kwargs
    ):
        """The task on an untrained backbone of a `see_hear_read_*` preset.

        The backbone's classifier gets the teacher's number of classes.

        Args:
            preset: str. One of `cm_zoo.presets.names("see_hear_read")`.
            teacher: `keras.Model`. See the class arguments.
            image_modality: str. See the class arguments.
            **kwargs: Other arguments of the task (and `name`), or
                architecture overrides for the backbone (`dtype`, ...).

        Example:
        >>> from cm_zoo.models.see_hear_read import SeeHearReadModel
        >>> x = keras.Input((None, None, 3), dtype="uint8")
        >>> teacher = keras.Model(x, keras.layers.Dense(4)(
        ...     keras.layers.GlobalAveragePooling2D()(x)))
        >>> model = SeeHearReadModel.from_preset(
        ...     "see_hear_read_alexnet_tiny", teacher)
        >>> model.backbone.layer_widths["logits"]
        4
        """
        task_kwargs, backbone_kwargs = cls._split_preset_kwargs(kwargs)
        backbone = CrossModalBackbone.from_preset(
            preset,
            num_classes=int(_teacher_output(teacher.output).shape[-1]),
            image_modality=image_modality,
            **backbone_kwargs,
        )
        return cls(
            backbone, teacher, image_modality=image_modality, **task_kwargs
        )

    def call(self, inputs, training=None):
        unknown = [key for key in inputs if key not in _BATCH_KEYS]
        if unknown or not inputs:
            raise ValueError(
                f"Batch keys must be a non-empty subset of {_BATCH_KEYS}. "
                f"Found: {list(inputs)}"
            )
        outputs = {}
        for pair_set, pair in inputs.items():
            if pair_set == SOUND_TEXT:
                pair_modalities = (modalities.SOUND, modalities.DESCRIPTION)
            else:
                pair_modalities = (self.image_modality, PAIR_SETS[pair_set])
            for modality in pair_modalities:
                if modality not in pair:
                    raise ValueError(
                        f"Pair set {pair_set!r} needs a {modality!r} entry. "
                        f"Found: {list(pair)}"
                    )
            outputs[pair_set] = {}
            if pair_set != SOUND_TEXT:
                teacher_logits = _teacher_output(
                    self.teacher(pair[self.image_modality], training=False)
                )
                outputs[pair_set]["teacher_probs"] = keras.ops.softmax(
                    keras.ops.cast(teacher_logits, "float32"), axis=-1
                )
            for modality in pair_modalities:
                outputs[pair_set][modality] = self.backbone.encode(
                    modality, pair[modality], training=training
                )
        return outputs

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        kl = keras.ops.zeros((), "float32")
        ranking = keras.ops.zeros((), "float32")
        for pair_set, out in y_pred.items():
            if pair_set == SOUND_TEXT:
                text = out[modalities.DESCRIPTION]
                ranking = self._add_ranking(
                    ranking,
                    out[modalities.SOUND],
                    {k: keras.ops.stop_gradient(v) for k, v in text.items()},
                )
                continue
            image = out[self.image_modality]
            other = out[PAIR_SETS[pair_set]]
            teacher_probs = out["teacher_probs"]
            kl += model_transfer_loss(teacher_probs, other[LOGITS])
            if self.transfer_image:
                kl += model_transfer_loss(teacher_probs, image[LOGITS])
            ranking = self._add_ranking(ranking, image, other)
        self.kl_tracker.update_state(kl)
        self.ranking_tracker.update_state(ranking)
        total = self.transfer_weight * kl + self.ranking_weight * ranking
        for loss in self.losses:
            total += keras.ops.cast(keras.ops.sum(loss), "float32")
        return self.scaled(total)

    def _add_ranking(self, ranking, outputs_a, outputs_b):
        """`ranking` plus a pair set's ranking loss at each ranking layer,
        added layer by layer (the paper regime's order of float sums)."""
        for layer in self.ranking_layers:
            ranking += symmetric_cosine_ranking_loss(
                outputs_a[layer], outputs_b[layer], self.margin
            )
        return ranking

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_modality": self.image_modality,
                "transfer_weight": self.transfer_weight,
                "ranking_weight": self.ranking_weight,
                "ranking_layers": self.ranking_layers,
                "margin": self.margin,
                "transfer_image": self.transfer_image,
            }
        )
        return config


def _teacher_output(output):
    """The logits of a teacher output: the tensor, or its `"logits"` entry."""
    if isinstance(output, dict):
        if "logits" not in output:
            raise ValueError(
                "A teacher returning a dict must have a 'logits' entry. "
                f"Found: {list(output)}"
            )
        return output["logits"]
    return output
