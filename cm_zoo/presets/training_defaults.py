"""Typed training defaults of the two families, kept with each preset.

Recipes take every flag they leave unset from here, so a preset's defaults
live in one place rather than in checks on its name. The classes have no
defaults of their own: every value stands in the family's preset table
(`cmplaces_presets.py`, `see_hear_read_presets.py`), paper and tiny side by
side.

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

    optimizer: str
    learning_rate: float
    momentum: float
    clipnorm: float
    source_epochs: int
    source_views: int
    epochs: int
    freeze_epochs: int
    steps_per_epoch: int
    batch_size: int
    num_components: int
    statreg_weight: float
    patience: int | None
    architecture: tuple = ()

    def __post_init__(self):
        _sort_architecture(self)


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
        architecture: mapping or tuple of `(field, value)` pairs, set over
            the preset's architecture (as in `CMPlacesTraining`).
    """

    learning_rate: float
    teacher_epochs: int
    epochs: int
    steps_per_epoch: int
    batch_size: int
    margin: float
    architecture: tuple = ()

    def __post_init__(self):
        _sort_architecture(self)


def _sort_architecture(training):
    """Keeps a training's `architecture` as sorted `(field, value)` pairs."""
    pairs = tuple(sorted(dict(training.architecture).items()))
    object.__setattr__(training, "architecture", pairs)
