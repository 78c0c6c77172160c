"""Typed training defaults of the two families, kept with each preset.

Recipes take every flag they leave unset from here, so a preset's defaults
live in one place rather than in checks on its name.

Example:
>>> from cm_zoo import presets
>>> presets.get("cmplaces_alexnet_paper").training.learning_rate
0.001
"""

import dataclasses


@dataclasses.dataclass(frozen=True, kw_only=True)
class CMPlacesTraining:
    """Defaults of `recipes/train_cmplaces.py`.

    Args:
        optimizer: str. `"sgd"` (with momentum) or `"adam"`.
        learning_rate: float. Of every phase.
        momentum: float. SGD momentum.
        clipnorm: float. Global gradient-norm clipping.
        source_epochs: int. Epochs of the source network, on the source
            pool (`bench.source_pool`), early-stopped on its val split.
        source_views: int. Renders of each source-pool drawing.
        epochs: int. Epochs of each method.
        freeze_epochs: int. Epochs with the shared layers frozen (A, C).
        steps_per_epoch: int. Steps of every epoch.
        batch_size: int. Items per modality per step (global).
        num_components: int. GMM components of the StatReg prior.
        statreg_weight: float. StatReg `lambda` per activation dimension.
        patience: int or None. Early stopping: epochs without a better
            validation score (the source pool's val accuracy; a method's
            mean cross-modal mAP, fc7, on the val split) before a run
            stops; the best epoch's weights are kept. None: no stopping.
        architecture: mapping or tuple of `(field, value)` pairs.
            Architecture fields this regime sets over the preset's (e.g.
            `{"use_batch_norm": False}`), kept as sorted pairs.
    """

    optimizer: str = "sgd"
    learning_rate: float
    momentum: float = 0.9
    clipnorm: float = 10.0
    source_epochs: int = 8
    source_views: int = 1
    epochs: int = 6
    freeze_epochs: int = 2
    steps_per_epoch: int = 40
    batch_size: int = 32
    num_components: int
    statreg_weight: float = 0.01
    patience: int | None = None
    architecture: tuple = ()

    def __post_init__(self):
        object.__setattr__(
            self, "architecture", tuple(sorted(dict(self.architecture).items()))
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class SeeHearReadTraining:
    """Defaults of `recipes/train_see_hear_read.py`.

    Args:
        learning_rate: float. Adam learning rate.
        teacher_epochs: int. Epochs of the teacher trained in the recipe.
        epochs: int. Epochs of the student.
        steps_per_epoch: int. Steps of every epoch.
        batch_size: int. Pairs per pair set per step (global).
        margin: float. Margin of the ranking loss.
    """

    learning_rate: float
    teacher_epochs: int = 8
    epochs: int = 12
    steps_per_epoch: int = 30
    batch_size: int = 32
    margin: float = 0.1
