"""A new modality aligned to an export, from its `shared/` state and back.

The export side of `modality_alignment` (issue 17): an export gets its
alignment state (`recover_alignment_state`, for one made without it), a
new tower is built under the export's own fc6, fc7 and classifier
(`build_aligned_backbone`), trained, exported into the model
(`export_aligned_modality`) and scored against the shipped encoders
(`encoder_retrieval`).
"""

import dataclasses
import pathlib

import numpy as np

from cm_zoo import modalities
from cm_zoo import presets
from cm_zoo.data import clipart_benchmark
from cm_zoo.export import add_alignment_state
from cm_zoo.export import add_modality
from cm_zoo.export import alignment_state
from cm_zoo.export import available_models
from cm_zoo.export import contract
from cm_zoo.export import copy_export
from cm_zoo.export import load_encoder
from cm_zoo.export import read_manifest
from cm_zoo.export import recover_backbone
from cm_zoo.export import restore_upper_layers
from cm_zoo.models import FC6
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models.cmplaces import initialize_from_source
from cm_zoo.runs.alignment_data import DECODER_KEYS
from cm_zoo.runs.modality_alignment import ALIGNMENT_METHODS
from cm_zoo.runs.modality_alignment import alignment_retrieval
from cm_zoo.runs.modality_alignment import build_alignment_backbone
from cm_zoo.runs.modality_alignment import fit_alignment_priors
from cm_zoo.towers import build_tower
from cm_zoo.towers import registered_modalities


def model_to_align(to, output=None):
    """The export a modality is added to: `to`, or its copy `output`.

    Args:
        to: str or `pathlib.Path`. An export's directory, or the name of a
            shipped model (`cm_zoo.export.available_models`).
        output: str or `pathlib.Path`. Where to copy it first (once: an
            existing copy is reused), leaving `to` as it is; `None` adds
            to `to` itself. Defaults to `None`.

    Returns:
        `pathlib.Path` of the export to add to.

    Raises:
        ValueError: when `to` is neither an export nor a shipped name.

    Example:
    >>> from cm_zoo.runs.alignment_export import model_to_align
    >>> model_to_align("cmplaces_method_c").name
    'cmplaces_method_c'
    """
    source = pathlib.Path(to)
    if not (source / "manifest.json").is_file():
        models = available_models()
        if str(to) not in models:
            raise ValueError(
                f"{str(to)!r}: no export; shipped: {sorted(models)}"
            )
        source = models[str(to)]
    if output is None:
        return source
    output = pathlib.Path(output)
    if not (output / "manifest.json").is_file():
        copy_export(source, output)
    return output


def alignment_tower(modality, tower, source_modality):
    """The registered tower that encodes a new modality.

    Args:
        modality: str. The new modality's name.
        tower: str or None. `"image"` or a registered tower; `None` takes
            `modality`'s own when it is a canonical key, else `"image"`.
        source_modality: str. The export's source modality: `"image"`
            means its tower when it takes images, else the sketch tower.

    Raises:
        ValueError: for an unknown tower, listing the registered ones.

    Example:
    >>> from cm_zoo.runs.alignment_export import alignment_tower
    >>> alignment_tower("thermal", None, "clipart")
    'clipart'
    >>> alignment_tower("thermal", "sound", "clipart")
    'sound'
    """
    tower = tower or (
        modality if modality in modalities.ALL_MODALITIES else "image"
    )
    if tower == "image":
        if modalities.is_image(source_modality):
            return source_modality
        return modalities.SKETCH
    if tower not in registered_modalities():
        raise ValueError(
            f"{tower!r}: expected image or one of {registered_modalities()}"
        )
    return tower


def recover_alignment_state(
    model_dir, source_modality, inputs, *, num_components=10, seed=0
):
    """Adds `shared/` to an export made without it.

    The shared layers are recovered from the `source_modality` encoder's
    SavedModel (`cm_zoo.export.recover_backbone`, the architecture of the
    manifest's preset) and the GMM priors fitted on its activations of
    `inputs` (`fit_alignment_priors`).

    Args:
        model_dir: `pathlib.Path`. The export.
        source_modality: str. The modality the priors describe.
        inputs: array. Items of `source_modality` (e.g. the clip-art
            benchmark's source pool).
        num_components: int. Components of each prior. Defaults to `10`.
        seed: int. Seed of the EM fit. Defaults to `0`.
    """
    manifest = read_manifest(model_dir)
    preset = manifest["training_data"].get("preset")
    config = {
        **presets.get(preset).config(),
        "num_classes": len(manifest["class_names"]),
        "hidden_dim": manifest["output_widths"][FC6],
    }
    backbone = recover_backbone(model_dir, source_modality, config)
    config = alignment_state.architecture_config(
        backbone, source_modality, config
    )
    priors = fit_alignment_priors(
        backbone,
        source_modality,
        inputs,
        num_components=num_components,
        seed=seed,
    )
    add_alignment_state(
        model_dir,
        backbone,
        source_modality=source_modality,
        config=config,
        priors=priors,
        preset=preset,
    )


@dataclasses.dataclass(frozen=True)
class AlignedBackbone:
    """A new tower under an export's restored upper layers.

    Attributes:
        backbone: `CrossModalBackbone`. One modality, keyed `key`.
        key: str. The canonical key the tower trains under (its input
            decoder's, `alignment_data.DECODER_KEYS`).
        kind: str. The input kind (`image`, `description`, `sound`).
        config: dict. The tower preset's config with the export's.
    """

    backbone: CrossModalBackbone
    key: str
    kind: str
    config: dict


def build_aligned_backbone(model_dir, state, tower, modality, tower_preset):
    """The tower `tower` for `modality` under the export's fc6/fc7/classifier.

    The upper layers are the export's (`state.upper_weights`); an image
    tower also starts from the source modality's tower. Seed Keras first
    (`keras.utils.set_random_seed`) for reproducible initial weights.

    Args:
        model_dir: `pathlib.Path`. The export, with `shared/`.
        state: `cm_zoo.export.alignment_state.AlignmentState` of it.
        tower: str. A registered tower (`cm_zoo.towers`).
        modality: str. The new modality's name (`<modality>_tower`).
        tower_preset: str. Preset whose config fills what the export's
            alignment config does not hold.

    Returns:
        `AlignedBackbone`.
    """
    config = {**presets.get(tower_preset).config(), **state.config}
    new_tower = build_tower(tower, config, name=f"{modality}_tower")
    kind = contract.input_kind(modality, new_tower)
    key = DECODER_KEYS[kind]
    backbone = build_alignment_backbone(config, key, new_tower)
    restore_upper_layers(
        backbone, key, state.upper_weights, str(model_dir / "shared")
    )
    if kind == "image":
        source = recover_backbone(
            model_dir, state.source_modality, state.config
        )
        initialize_from_source(backbone, source, towers=True, upper=False)
    return AlignedBackbone(backbone, key, kind, config)


def export_aligned_modality(
    model_dir, aligned, modality, *, method, training_data, overwrite=False
):
    """Exports the trained tower and its upper layers as `modality`.

    Args:
        model_dir: `pathlib.Path`. The export to add to.
        aligned: `AlignedBackbone`, trained.
        modality: str. The new modality's name in the export.
        method: str. An `ALIGNMENT_METHODS` key (its label is recorded).
        training_data: dict. What the manifest records of the training.
        overwrite: bool. Replace an existing `modality`. Defaults to
            `False`.

    Returns:
        The new encoder's directory (`cm_zoo.export.add_modality`).
    """
    backbone = aligned.backbone
    exported = CrossModalBackbone(
        {modality: backbone.towers[aligned.key]},
        num_classes=backbone.num_classes,
        hidden_dim=backbone.hidden_dim,
        dropout=backbone.dropout,
    )
    weights = alignment_state.upper_layer_weights(backbone, aligned.key)
    restore_upper_layers(exported, modality, weights, "trained")
    return add_modality(
        model_dir,
        exported,
        modality,
        method=ALIGNMENT_METHODS[method].label,
        training_data=training_data,
        overwrite=overwrite,
    )


def encoder_retrieval(model_dir, new_modality, items, *, batch_size=64):
    """Cross-modal retrieval of the export's encoders on held-out items.

    Args:
        model_dir: str or `pathlib.Path`. The export.
        new_modality: str. The modality whose pairs are scored.
        items: dict `{modality: (x, y)}`, `new_modality` among them.
        batch_size: int. Items per encoder call. Defaults to `64`.

    Returns:
        `alignment_retrieval`'s dict (pairs, `mean_map`, ...).

    Example:
    >>> from cm_zoo.export import available_models
    >>> from cm_zoo.runs.alignment_export import encoder_retrieval
    >>> from cm_zoo.runs.alignment_export import benchmark_test_items
    >>> model_dir = available_models()["cmplaces_method_c"]
    >>> items = benchmark_test_items(["clipart", "sketch"])
    >>> scores = encoder_retrieval(model_dir, "sketch", items)
    >>> sorted(scores["pairs"]), scores["map_over_chance"] > 1
    (['clipart->sketch', 'sketch->clipart'], True)
    """
    features = {}
    for modality, (x, y) in items.items():
        encoder = load_encoder(model_dir, modality)
        embedded = [
            encoder(x[i : i + batch_size])["embedding"].numpy()
            for i in range(0, len(x), batch_size)
        ]
        features[modality] = (np.concatenate(embedded), np.asarray(y))
    return alignment_retrieval(new_modality, features)


def benchmark_test_items(names, class_names=None):
    """`{modality: (x, y)}`: the clip-art benchmark's test items of the
    modalities `names` it holds; `{}` when `class_names` (a model's) are
    not the benchmark's.

    Example:
    >>> from cm_zoo.runs.alignment_export import benchmark_test_items
    >>> items = benchmark_test_items(["clipart", "thermal"])
    >>> list(items), items["clipart"][0].dtype
    (['clipart'], dtype('uint8'))
    >>> benchmark_test_items(["clipart"], class_names=["beach", "forest"])
    {}
    """
    bench = clipart_benchmark.load()
    if class_names is not None and list(class_names) != bench.class_names:
        return {}
    return {
        modality: bench.arrays(modality, "test")
        for modality in names
        if modality in bench.modalities
    }
