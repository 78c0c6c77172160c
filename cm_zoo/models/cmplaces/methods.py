"""The baselines and methods A, B, C of Cross-Modal Scene Networks, as data."""

import dataclasses

from cm_zoo.curricula import ModalityTuning
from cm_zoo.curricula import StatRegSchedule
from cm_zoo.layers.statreg import GaussianStatReg
from cm_zoo.layers.statreg import GMMStatReg
from cm_zoo.models.cmplaces.builders import build_cmplaces_backbone
from cm_zoo.models.cmplaces.cross_modal_classifier import CrossModalClassifier
from cm_zoo.models.cmplaces.source_transfer import initialize_from_source
from cm_zoo.models.cross_modal_backbone import UPPER_LAYERS


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """How one row of the paper's tables is built and trained.

    Attributes:
        label: str. The row name in the paper's tables.
        share_upper: bool. One fc6/fc7/classifier for all modalities.
        share_image_tower: bool. One CNN for every pixel modality.
        init_towers: bool. Image towers start from the source network.
        init_upper: bool. Upper layers start from the source network.
        freeze_upper: bool. Shared layers frozen at the start (Method A).
        release_upper: bool. Frozen layers released after the frozen
            epochs ("free"); with a `prior`, StatReg starts then too.
        prior: str or None. `"gaussian"` or `"gmm"` StatReg (Method B).
    """

    label: str
    share_upper: bool = True
    share_image_tower: bool = False
    init_towers: bool = True
    init_upper: bool = True
    freeze_upper: bool = False
    release_upper: bool = False
    prior: str = None


METHODS = {
    "bl_individual": MethodSpec("BL-Individual", share_upper=False),
    "bl_shared_upper_scratch": MethodSpec(
        "BL-Shared-Upper-Scratch", init_upper=False
    ),
    "bl_shared_upper": MethodSpec("BL-Shared-Upper"),
    "bl_shall": MethodSpec("BL-ShAll", share_image_tower=True),
    "A_tune": MethodSpec("A: Tune", freeze_upper=True),
    "A_tune_free": MethodSpec(
        "A: Tune (Free)", freeze_upper=True, release_upper=True
    ),
    "B_gaussian": MethodSpec(
        "B: StatReg (Gaussian)", share_upper=False, prior="gaussian"
    ),
    "B_gmm": MethodSpec("B: StatReg (GMM)", share_upper=False, prior="gmm"),
    "C": MethodSpec(
        "C: Tune + StatReg (GMM)",
        freeze_upper=True,
        release_upper=True,
        prior="gmm",
    ),
}


def get_method(name):
    """Returns the `MethodSpec` called `name`; `ValueError` if unknown."""
    if name not in METHODS:
        raise ValueError(
            f"Unknown method {name!r}. Expected one of {list(METHODS)}."
        )
    return METHODS[name]


def build_source_network(config, modality, num_classes):
    """The single-modality network whose layers every method transfers.

    Plays Places-CNN: trained on the source modality alone, its fc6, fc7
    and classifier become the shared upper layers of the cross-modal model.

    Example:
    >>> from cm_zoo import presets
    >>> from cm_zoo.models.cmplaces import build_source_network
    >>> config = presets.get("cmplaces_alexnet_tiny").config()
    >>> build_source_network(config, "clipart", num_classes=5).modalities
    ('clipart',)
    """
    return build_cmplaces_backbone(
        {**config, "num_classes": num_classes},
        [modality],
        name="source_network",
    )


def build_method(
    name,
    config,
    modalities,
    *,
    num_classes,
    source=None,
    priors=None,
    statreg_weight=1.0,
    freeze_epochs=1,
):
    """Builds the training task and curriculum of one method or baseline.

    Args:
        name: str. A key of `METHODS`, e.g. `"C"` or `"bl_individual"`.
        config: dict. A preset's `config`.
        modalities: list of str. Modalities of the cross-modal model; the
            source network's modality must be one of them if given.
        num_classes: int. Scene categories.
        source: `CrossModalBackbone` or None. Trained source network;
            required by every method that transfers from it.
        priors: dict or None. Layer name (`"pool5"`, `"fc6"`, `"fc7"`) to a
            fitted `GaussianPrior` / `DiagonalGMMPrior` of the source
            network's activations; required by StatReg methods.
        statreg_weight: float. `lambda` per activation dimension: each
            layer's loss weight is `statreg_weight / dim`, so deep and wide
            layers weigh alike. Defaults to `1.`.
        freeze_epochs: int. Epochs with the shared layers frozen (Method A
            and C); Method C's StatReg starts when they are released
            (section 4.4). Defaults to `1`.

    Returns:
        `(task, callbacks)`: a `CrossModalClassifier` and the list of Keras
        callbacks that run the method's curriculum (`ModalityTuning`, and
        for Method C a `StatRegSchedule`).

    Raises:
        ValueError: for an unknown method, a missing source or prior.
    """
    spec = get_method(name)
    needs_source = spec.init_towers or spec.init_upper
    if needs_source and source is None:
        raise ValueError(f"Method {name!r} needs a trained `source` network.")
    if spec.prior and not priors:
        raise ValueError(
            f"Method {name!r} needs `priors` fitted on the source network "
            "(dict of layer name to prior)."
        )
    backbone = build_cmplaces_backbone(
        {**config, "num_classes": num_classes},
        modalities,
        share_upper=spec.share_upper,
        share_image_tower=spec.share_image_tower,
        name=f"{name}_backbone",
    )
    if needs_source:
        initialize_from_source(
            backbone, source, towers=spec.init_towers, upper=spec.init_upper
        )
    source_modalities = source.modalities if source is not None else ()
    task = CrossModalClassifier(
        backbone,
        regularizers=_statreg_layers(spec.prior, priors, statreg_weight),
        regularized_modalities=[
            m for m in modalities if m not in source_modalities
        ],
        name=name,
    )
    return task, _curriculum(spec, freeze_epochs)


def _statreg_layers(kind, priors, statreg_weight):
    """One StatReg layer per prior, weighted `statreg_weight / dim`."""
    if not kind:
        return {}
    layer_class = GMMStatReg if kind == "gmm" else GaussianStatReg
    return {
        layer: layer_class.from_prior(
            prior, weight=statreg_weight / prior.dim, name=f"{layer}_statreg"
        )
        for layer, prior in priors.items()
    }


def _curriculum(spec, freeze_epochs):
    """The callbacks of a method: frozen phase, release, StatReg start."""
    if not spec.freeze_upper:
        return []
    release_epoch = freeze_epochs if spec.release_upper else None
    callbacks = [
        ModalityTuning(release_epoch=release_epoch, layer_names=UPPER_LAYERS)
    ]
    if spec.prior and release_epoch is not None:
        callbacks.append(StatRegSchedule(start_epoch=release_epoch))
    return callbacks
