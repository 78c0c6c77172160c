"""Towers per modality under upper layers shared by every modality.

This module owns the names of the backbone's layers and outputs: every
other part (recipes, export, evaluation, bench) imports them from
`cm_zoo.models` rather than spelling them again.
"""

import keras

from cm_zoo import presets
from cm_zoo.layers.shared import FullyConnectedBlock
from cm_zoo.layers.shared.fully_connected_block import join_rows
from cm_zoo.layers.shared.fully_connected_block import split_rows

POOL5 = "pool5"
FC6 = "fc6"
FC7 = "fc7"
LOGITS = "logits"
CLASSIFIER = "classifier"
# Hidden features every modality has, in depth order: where retrieval,
# ranking and StatReg act.
SHARED_LAYERS = (POOL5, FC6, FC7)
# Outputs of `CrossModalBackbone.encode`, per modality.
LAYER_NAMES = (*SHARED_LAYERS, LOGITS)
# The weighted layers above the towers (one set, or one per modality).
UPPER_LAYERS = (FC6, FC7, CLASSIFIER)
SHARED_KEY = "shared"


@keras.saving.register_keras_serializable(package="cm_zoo")
class CrossModalBackbone(keras.Model):
    """One tower per modality feeding fc6, fc7 and a classifier.

    The architecture of Cross-Modal Scene Networks (section 4.1) and of
    See, Hear, and Read (section 3.4): each modality has its own tower up to
    pool5; fc6, fc7 and the classifier are created once and called on every
    tower's pool5, so a gradient step through any modality moves the weights
    that every other modality sees. With `share_upper=False` each modality
    gets its own upper layers instead (the BL-Individual baseline); passing
    the same tower object for several modalities shares the tower too
    (BL-ShAll).

    The functional graph takes a dict with one input per modality and
    returns `"<modality>_<layer>"` outputs for `pool5`, `fc6`, `fc7` and
    `logits` (`LAYER_NAMES`; `layer_widths` gives their widths).
    `encode()` runs one modality alone (any subset of modalities can be
    trained this way) and `encoder()` wraps it as its own model.
    `from_preset(name)` builds the architecture of a named preset.

    Args:
        towers: dict. Modality key to `cm_zoo.towers.Tower`.
        num_classes: int. Width of the classifier (logits).
        hidden_dim: int. Units of fc6 and fc7. Defaults to `4096`.
        dropout: float. Dropout after fc6 and fc7. Defaults to `0.5`.
        share_upper: bool. One set of upper layers for all modalities.
            Defaults to `True`.
        dtype: string or `keras.DTypePolicy`. Dtype policy of the upper
            layers (towers keep their own).

    Example:
    >>> from cm_zoo.models import CrossModalBackbone
    >>> from cm_zoo.towers import ImageTower
    >>> def tower(name):
    ...     return ImageTower(image_size=32, conv_filters=[4] * 5,
    ...                       conv1_kernel_size=3, conv1_strides=1, name=name)
    >>> backbone = CrossModalBackbone(
    ...     {"clipart": tower("c"), "sketch": tower("s")}, num_classes=3,
    ...     hidden_dim=8)
    >>> out = backbone.encode("sketch", np.zeros((2, 40, 40, 3), "uint8"))
    >>> {k: tuple(v.shape) for k, v in out.items()}
    {'pool5': (2, 16), 'fc6': (2, 8), 'fc7': (2, 8), 'logits': (2, 3)}
    """

    _preset_builders = {}

    def __init__(
        self,
        towers,
        num_classes,
        hidden_dim=4096,
        dropout=0.5,
        share_upper=True,
        dtype=None,
        **kwargs,
    ):
        if not towers:
            raise ValueError("`towers` must map at least one modality.")
        widths = {m: t.output_dim for m, t in towers.items()}
        if len(set(widths.values())) != 1:
            raise ValueError(
                "All towers must output the same pool5 width to share upper "
                f"layers. Received widths: {widths}"
            )

        # === Layers ===
        self.towers = dict(towers)
        keys = [SHARED_KEY] if share_upper else list(towers)
        self.upper_layers = {
            key: _make_upper_layers(
                "" if share_upper else f"{key}_",
                num_classes,
                hidden_dim,
                dropout,
                dtype,
            )
            for key in keys
        }

        # === Functional model ===
        inputs = {
            m: keras.Input(shape=t.input.shape[1:], dtype=t.input.dtype, name=m)
            for m, t in self.towers.items()
        }
        outputs = {}
        for modality, x in inputs.items():
            for layer, value in self.encode(modality, x).items():
                outputs[f"{modality}_{layer}"] = value
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.num_classes = int(num_classes)
        self.hidden_dim = int(hidden_dim)
        self.dropout = float(dropout)
        self.share_upper = bool(share_upper)

    @property
    def modalities(self):
        """tuple of str. The modalities this backbone encodes."""
        return tuple(self.towers)

    def upper_layers_for(self, modality):
        """Returns `[fc6, fc7, classifier]` used by `modality`."""
        self._check_modality(modality)
        key = SHARED_KEY if SHARED_KEY in self.upper_layers else modality
        return self.upper_layers[key]

    @property
    def layer_widths(self):
        """dict. Width of each output of `encode`, by layer name."""
        tower = next(iter(self.towers.values()))
        return {
            POOL5: tower.output_dim,
            FC6: self.hidden_dim,
            FC7: self.hidden_dim,
            LOGITS: self.num_classes,
        }

    def encode(self, modality, x, training=None, pre_dropout=False):
        """Runs one modality: a dict of `pool5`, `fc6`, `fc7`, `logits`.

        Args:
            modality: str. One of `modalities`.
            x: a batch of that modality's raw inputs.
            training: bool. Training mode of the towers and dropout.
            pre_dropout: bool. When training, return for `fc6` and `fc7`
                the activations the same weights give without dropout (as
                in inference; fc7 takes the undropped `fc6` in the same
                matmul as the dropped-out one), the features that StatReg
                priors are fitted on. The logits still come from the
                dropped-out path.
                Defaults to `False`.
        """
        return self.encode_modalities(
            {modality: x},
            training=training,
            pre_dropout=(modality,) if pre_dropout else (),
        )[modality]

    def encode_modalities(self, inputs, training=None, pre_dropout=()):
        """Runs several modalities at once: `encode` of each.

        Modalities whose upper layers are the same layers (`share_upper`)
        run them once, on their pool5 batches concatenated, so that a step
        reads the fc6 and fc7 kernels once rather than once per modality
        (with the paper preset's 9216 x 4096 fc6, a Method A or C training
        step took 8-13% less time on 2 CPU cores). Dropout still draws one
        mask per modality, in order, so training is as random as with one
        `encode` per modality.

        Args:
            inputs: dict `{modality: batch of raw inputs}`.
            training: bool. Training mode of the towers and dropout.
            pre_dropout: collection of str. Modalities whose `fc6` and
                `fc7` are, when training, the activations without dropout
                (see `encode`). Defaults to `()`.

        Returns:
            `{modality: {"pool5", "fc6", "fc7", "logits"}}`, in the order of
            `inputs`.

        Example:
        >>> from cm_zoo.models import CrossModalBackbone
        >>> backbone = CrossModalBackbone.from_preset(
        ...     "cmplaces_alexnet_tiny", modalities=["clipart", "description"],
        ...     num_classes=3)
        >>> out = backbone.encode_modalities({
        ...     "clipart": np.zeros((2, 64, 64, 3), "uint8"),
        ...     "description": np.array(["a red bird"])})
        >>> {m: tuple(f["fc7"].shape) for m, f in out.items()}
        {'clipart': (2, 256), 'description': (1, 256)}
        """
        pool5 = {}
        for modality, x in inputs.items():
            tower = self.towers[self._check_modality(modality)]
            tower.check_input(x, modality)
            pool5[modality] = tower(x, training=training)
        undropped = set(pre_dropout) if training else set()
        features = {}
        for group in self._upper_layer_groups(inputs):
            features.update(self._upper(group, pool5, training, undropped))
        return {modality: features[modality] for modality in inputs}

    def _upper_layer_groups(self, modalities):
        """`modalities` grouped by the upper layers they run, in order."""
        groups = {}
        for modality in modalities:
            key = id(self.upper_layers_for(modality))
            groups.setdefault(key, []).append(modality)
        return list(groups.values())

    def _upper(self, group, pool5, training, undropped):
        """fc6, fc7 and the classifier on the pool5 of a group's modalities.

        With `undropped` modalities, fc7 also takes their fc6 without
        dropout, in the same matmul as the dropped-out batch.
        """
        fc6, fc7, classifier = self.upper_layers_for(group[0])
        sizes = _row_counts([pool5[m] for m in group])
        fc6_activation, fc6_out = fc6(
            join_rows([pool5[m] for m in group]),
            training=training,
            return_activation=True,
            row_groups=sizes,
        )
        clean = [m for m in group if m in undropped]
        fc6_clean = dict(zip(group, split_rows(fc6_activation, sizes)))
        fc7_clean = {}
        if clean:
            fc7_out, undropped_fc7 = fc7(
                fc6_out,
                training=training,
                undropped_inputs=join_rows([fc6_clean[m] for m in clean]),
                row_groups=sizes,
            )
            clean_sizes = [sizes[group.index(m)] for m in clean]
            fc7_clean = dict(zip(clean, split_rows(undropped_fc7, clean_sizes)))
        else:
            fc7_out = fc7(fc6_out, training=training, row_groups=sizes)
        fc6_out = dict(zip(group, split_rows(fc6_out, sizes)))
        logits = dict(zip(group, split_rows(classifier(fc7_out), sizes)))
        fc7_out = dict(zip(group, split_rows(fc7_out, sizes)))
        return {
            m: {
                POOL5: pool5[m],
                FC6: fc6_clean[m] if m in clean else fc6_out[m],
                FC7: fc7_clean.get(m, fc7_out[m]),
                LOGITS: logits[m],
            }
            for m in group
        }

    def encoder(self, modality):
        """A functional model of one modality's path, sharing weights."""
        tower = self.towers[self._check_modality(modality)]
        x = keras.Input(
            shape=tower.input.shape[1:], dtype=tower.input.dtype, name=modality
        )
        return keras.Model(
            x, self.encode(modality, x), name=f"{modality}_encoder"
        )

    def _check_modality(self, modality):
        if modality not in self.towers:
            raise ValueError(
                f"Unknown modality {modality!r} for this backbone. Expected "
                f"one of {list(self.towers)}."
            )
        return modality

    @classmethod
    def register_preset_family(cls, family, builder):
        """Makes `from_preset` build the presets of `family` with `builder`.

        Each family package registers its builder on import, as keras-hub
        registers presets against the class in the family `__init__.py`.

        Args:
            family: str. A preset family (`cm_zoo.presets.FAMILIES`).
            builder: callable. `builder(config, **kwargs)` returns a
                `CrossModalBackbone` from a preset's `config()` dict.
        """
        cls._preset_builders[family] = builder

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """An untrained backbone of the named preset's architecture.

        Presets ship no weights (trained encoders live in `saved_models/`,
        see `cm_zoo.export`).

        Args:
            preset: str. One of `cm_zoo.presets.names()`.
            **kwargs: Architecture fields of the preset to override (e.g.
                `num_classes`, `dtype`, `augment`), and arguments of the
                family's builder: `modalities`, `share_upper`,
                `share_image_tower`, `name` for `cmplaces_*` presets
                (`cm_zoo.models.cmplaces.build_cmplaces_backbone`);
                `image_modality`, `name` for `see_hear_read_*` ones
                (`cm_zoo.models.see_hear_read.build_see_hear_read_backbone`).

        Raises:
            ValueError: for an unknown preset, listing the available ones.

        Example:
        >>> from cm_zoo.models import CrossModalBackbone
        >>> backbone = CrossModalBackbone.from_preset(
        ...     "cmplaces_alexnet_tiny", modalities=["sketch", "description"],
        ...     num_classes=5)
        >>> backbone.layer_widths
        {'pool5': 192, 'fc6': 256, 'fc7': 256, 'logits': 5}
        """
        preset = presets.get(preset)
        fields = preset.config()
        overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in fields}
        builder = cls._preset_builders[preset.family]
        return builder(preset.config(**overrides), **kwargs)

    def get_config(self):
        unique_towers = {}
        for tower in self.towers.values():
            unique_towers.setdefault(tower.name, tower)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype_policy.name,
            "towers": {
                name: keras.layers.serialize(tower)
                for name, tower in unique_towers.items()
            },
            "modality_towers": {m: t.name for m, t in self.towers.items()},
            "num_classes": self.num_classes,
            "hidden_dim": self.hidden_dim,
            "dropout": self.dropout,
            "share_upper": self.share_upper,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        built = {
            name: keras.layers.deserialize(tower_config)
            for name, tower_config in config.pop("towers").items()
        }
        towers = {
            modality: built[name]
            for modality, name in config.pop("modality_towers").items()
        }
        return cls(towers=towers, **config)


def _make_upper_layers(prefix, num_classes, hidden_dim, dropout, dtype):
    """Creates fc6, fc7 and the classifier, named with `prefix`."""
    return [
        *(
            FullyConnectedBlock(
                hidden_dim, dropout=dropout, dtype=dtype, name=prefix + name
            )
            for name in (FC6, FC7)
        ),
        keras.layers.Dense(num_classes, dtype=dtype, name=prefix + CLASSIFIER),
    ]


def _row_counts(batches):
    """The rows of each batch; all tensors when there are several, since a
    layer call argument may not mix static ints with tensors (a sound
    tower's batch size is dynamic where an image tower's is static)."""
    if len(batches) == 1:
        return [keras.ops.shape(batches[0])[0]]
    return [
        keras.ops.convert_to_tensor(keras.ops.shape(batch)[0], "int32")
        for batch in batches
    ]
