"""Towers per modality under upper layers shared by every modality."""

import keras

from cm_zoo.layers.shared import FullyConnectedBlock

LAYER_NAMES = ("pool5", "fc6", "fc7", "logits")
_SHARED_KEY = "shared"


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
    `logits`. `encode()` runs one modality alone (any subset of modalities
    can be trained this way) and `encoder()` wraps it as its own model.

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
        keys = [_SHARED_KEY] if share_upper else list(towers)
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
        key = _SHARED_KEY if _SHARED_KEY in self.upper_layers else modality
        return self.upper_layers[key]

    def encode(self, modality, x, training=None):
        """Runs one modality: a dict of `pool5`, `fc6`, `fc7`, `logits`."""
        tower = self.towers[self._check_modality(modality)]
        tower.check_input(x, modality)
        fc6, fc7, classifier = self.upper_layers_for(modality)
        pool5 = tower(x, training=training)
        fc6_out = fc6(pool5, training=training)
        fc7_out = fc7(fc6_out, training=training)
        return {
            "pool5": pool5,
            "fc6": fc6_out,
            "fc7": fc7_out,
            "logits": classifier(fc7_out),
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
        FullyConnectedBlock(
            hidden_dim, dropout=dropout, dtype=dtype, name=f"{prefix}fc6"
        ),
        FullyConnectedBlock(
            hidden_dim, dropout=dropout, dtype=dtype, name=f"{prefix}fc7"
        ),
        keras.layers.Dense(
            num_classes, dtype=dtype, name=f"{prefix}classifier"
        ),
    ]
