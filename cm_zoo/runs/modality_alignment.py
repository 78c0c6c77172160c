"""Aligning a new modality to a trained model's shared space (issue 17).

Cross-Modal Scene Networks' methods, in the setting of adding one modality
to a model already trained and shipped, whose other encoders must not
change: a new tower is trained, under a copy of the model's fc6, fc7 and
classifier (restored from the export), to classify the model's classes.

- A (modality tuning, section 4.2): the copied layers stay frozen, so the
  tower learns to feed the very layers every shipped encoder uses.
- B (StatReg, section 4.3): the copy trains too, and the GMM priors of the
  source modality's pool5/fc6/fc7 activations pull the new activations
  towards the source statistics.
- C: both; frozen layers and StatReg.
- BL-Individual: the copy trains freely, no prior (the paper's baseline:
  a separate network).

Frozen here means for the whole run: releasing the layers (Method A/C
"free" in the paper) would move the shared space away from the shipped
encoders.
"""

import dataclasses

import keras
import numpy as np

from cm_zoo import modalities
from cm_zoo.data import make_multimodal_dataset
from cm_zoo.evaluation import cross_modal_retrieval
from cm_zoo.evaluation import to_json_safe
from cm_zoo.layers.statreg import GMMStatReg
from cm_zoo.models import SHARED_LAYERS
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import CrossModalClassifier
from cm_zoo.models.cmplaces import fit_source_priors
from cm_zoo.training import make_strategy
from cm_zoo.training import train_task


@dataclasses.dataclass(frozen=True)
class AlignmentMethod:
    """One way of aligning: frozen shared layers, StatReg, or both."""

    label: str
    freeze_upper: bool
    statreg: bool


ALIGNMENT_METHODS = {
    "A": AlignmentMethod("A: Tune (frozen shared layers)", True, False),
    "B": AlignmentMethod("B: StatReg (GMM)", False, True),
    "C": AlignmentMethod("C: Tune + StatReg (GMM)", True, True),
    "bl_individual": AlignmentMethod("BL-Individual", False, False),
}


def get_alignment_method(name):
    """Returns the `AlignmentMethod` called `name`; `ValueError` if not.

    Example:
    >>> from cm_zoo.runs.modality_alignment import get_alignment_method
    >>> method = get_alignment_method("C")
    >>> method.freeze_upper, method.statreg
    (True, True)
    """
    if name not in ALIGNMENT_METHODS:
        raise ValueError(
            f"Unknown alignment method {name!r}. Expected one of "
            f"{list(ALIGNMENT_METHODS)}."
        )
    return ALIGNMENT_METHODS[name]


def build_alignment_backbone(config, modality, tower):
    """A one-modality backbone: the new tower under fc6/fc7/classifier.

    Args:
        config: dict. The export's architecture config (alignment state):
            `num_classes`, `hidden_dim`, `dropout`.
        modality: str. Key of the new modality in the backbone.
        tower: `cm_zoo.towers.Tower`. The new tower (e.g. from
            `cm_zoo.towers.build_tower`).
    """
    return CrossModalBackbone(
        {modality: tower},
        num_classes=config["num_classes"],
        hidden_dim=config["hidden_dim"],
        dropout=config["dropout"],
        name=f"{modality}_backbone",
    )


def build_alignment_task(backbone, method, priors, statreg_weight=0.01):
    """The classification task of `method` on a one-modality backbone.

    Freezes fc6, fc7 and the classifier for A and C; adds one `GMMStatReg`
    per prior (weight `statreg_weight / dim`, as `build_method`) for B
    and C.

    Returns:
        `CrossModalClassifier` (not compiled).
    """
    spec = get_alignment_method(method)
    for layer in backbone.upper_layers_for(backbone.modalities[0]):
        layer.trainable = not spec.freeze_upper
    regularizers = {}
    if spec.statreg:
        regularizers = {
            layer: GMMStatReg.from_prior(
                priors[layer],
                weight=statreg_weight / priors[layer].dim,
                name=f"{layer}_statreg",
            )
            for layer in SHARED_LAYERS
        }
    return CrossModalClassifier(
        backbone, regularizers=regularizers, name=f"align_{method}"
    )


def train_alignment(
    task,
    x,
    y,
    *,
    run_dir,
    epochs,
    steps_per_epoch,
    batch_size=32,
    learning_rate=0.001,
    seed=0,
    verbose=0,
):
    """Trains `task` on `(x, y)`, resumably in `run_dir`.

    SGD with momentum 0.9 and a global gradient norm clip of 10; classes
    sampled equally often. A killed run, rerun with the same arguments,
    resumes from its last checkpoint (`cm_zoo.training.train_task`).

    Returns:
        The history dict.
    """
    modality = task.backbone.modalities[0]
    keras.utils.set_random_seed(seed)
    task.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate, momentum=0.9, global_clipnorm=10.0
        )
    )
    dataset = make_multimodal_dataset(
        {modality: (x, y)}, batch_size, seed=seed, balance_classes=True
    )
    return train_task(
        task,
        dataset,
        strategy=make_strategy("default"),
        run_dir=run_dir,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        verbose=verbose,
    )


def fit_alignment_priors(
    backbone, modality, inputs, *, num_components=10, seed=0
):
    """GMM priors of `modality`'s pool5/fc6/fc7 activations on `inputs`.

    What an export's `shared/priors/` holds: the statistics of the source
    modality in the model as shipped (inference mode).
    """
    return fit_source_priors(
        backbone,
        inputs,
        kind="gmm",
        num_components=num_components,
        seed=seed,
        modality=modality,
    )


def alignment_retrieval(new_modality, features, *, k=10):
    """Cross-modal retrieval between a new modality and the shipped ones.

    Args:
        new_modality: str. Key of the new modality in `features`.
        features: dict `{modality: (embeddings, labels)}`.

    Returns:
        dict: `pairs` (`"<query>-><target>"`: mAP, chance mAP, ...) of the
        pairs with the new modality, `mean_map`, `mean_chance_map` and
        their ratio `map_over_chance`.
    """
    # `cm_zoo.evaluation` knows the canonical keys only: a new name is
    # evaluated under a free canonical key, and its pairs renamed back.
    stand_in = new_modality
    if new_modality not in modalities.ALL_MODALITIES:
        stand_in = next(
            m for m in modalities.ALL_MODALITIES if m not in features
        )
    keyed = {
        stand_in if m == new_modality else m: f for m, f in features.items()
    }
    result = cross_modal_retrieval(
        keyed, protocol="full", k=k, within_modal=False
    )
    pairs = {
        "->".join(new_modality if m == stand_in else m for m in pair): value
        for pair, value in result["pairs"].items()
        if stand_in in pair
    }
    mean_map = float(np.mean([p["map"] for p in pairs.values()]))
    chance = float(np.mean([p["chance_map"] for p in pairs.values()]))
    return {
        "pairs": to_json_safe(pairs),
        "mean_map": mean_map,
        "mean_chance_map": chance,
        "map_over_chance": mean_map / chance,
    }
