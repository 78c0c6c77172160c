"""What aligning a new modality to an export needs, shipped inside it.

An export made with `alignment=` (or given one later by
`add_alignment_state`) holds, beside its encoders:

- `shared/upper_layers.npz`: the weights of fc6, fc7 and the classifier on
  the source modality's path, keyed `<layer>/<variable path>` (e.g.
  `fc6/dense/kernel`);
- `shared/priors/<layer>.npz`: StatReg priors (Cross-Modal Scene
  Networks, section 4.3) fitted on the source modality's activations at
  pool5, fc6 and fc7, as `cm_zoo.layers.load_prior` reads them;

and the manifest's `alignment` entry: `source_modality`, `preset`, the
architecture `config` the towers are built from, `prior_kind`, `layers`
and the sha256 of every file under `shared/` (`files`). `read_alignment_
state` verifies those hashes before reading, so no run directory is
needed to align a new modality (`cm_zoo.export.add_modality`).
"""

import dataclasses
import io
import pathlib

import numpy as np

from cm_zoo import atomic_files
from cm_zoo.export import manifest as manifest_lib
from cm_zoo.layers.statreg import load_prior
from cm_zoo.models import SHARED_LAYERS
from cm_zoo.models import UPPER_LAYERS

SHARED_DIR = "shared"
UPPER_FILE = "upper_layers.npz"
PRIORS_DIR = "priors"
ALIGNMENT = "alignment"


@dataclasses.dataclass(frozen=True)
class AlignmentState:
    """The shared layers and priors of an export, read back.

    Attributes:
        source_modality: str. The modality the priors describe (the
            paper's source, clip art in the zoo).
        preset: str or None. The preset the model was built from.
        config: dict. The preset config (architecture) towers are built
            from, with the export's `num_classes`.
        upper_weights: dict. `{<layer>/<variable path>: array}` of fc6,
            fc7 and the classifier.
        priors: dict. `{layer: prior}` for pool5, fc6 and fc7.
    """

    source_modality: str
    preset: object
    config: dict
    upper_weights: dict
    priors: dict


def architecture_config(backbone, modality, preset_config):
    """The config an export's `alignment` records: `preset_config` with
    the values of the model itself (its `modality` tower's constructor
    arguments, `num_classes`, `hidden_dim`, `dropout`), so towers built
    from it match the trained ones (e.g. under architecture overrides)."""
    tower = backbone.towers[modality].get_config()
    config = {
        key: tower[key] if key in tower and key != "dtype" else value
        for key, value in preset_config.items()
    }
    return {
        **config,
        "num_classes": backbone.num_classes,
        "hidden_dim": backbone.hidden_dim,
        "dropout": backbone.dropout,
    }


def upper_layer_weights(backbone, modality):
    """Returns `{<layer>/<variable path>: array}` of `modality`'s fc6, fc7
    and classifier (shared or its own copy: the keys drop any prefix)."""
    weights = {}
    for role, layer in zip(UPPER_LAYERS, backbone.upper_layers_for(modality)):
        for variable in _layer_variables(layer):
            key = role + variable.path[len(layer.name) :]
            weights[key] = np.asarray(variable.numpy())
    return weights


def restore_upper_layers(backbone, modality, weights, where):
    """Assigns `weights` (as `upper_layer_weights` returns) to `modality`'s
    fc6, fc7 and classifier.

    Raises:
        ValueError: naming `where` and the variable when one is missing or
            has another shape (an export of another architecture).
    """
    for role, layer in zip(UPPER_LAYERS, backbone.upper_layers_for(modality)):
        for variable in _layer_variables(layer):
            key = role + variable.path[len(layer.name) :]
            value = weights.get(key)
            if value is None or tuple(value.shape) != tuple(variable.shape):
                found = "missing" if value is None else tuple(value.shape)
                raise ValueError(
                    f"{where}: shared layer weight {key!r} of shape "
                    f"{tuple(variable.shape)} expected, found {found}. "
                    f"Stored: {sorted(weights)}"
                )
            variable.assign(value)


def _layer_variables(layer):
    """A layer's own weights (not its dropout's seed state), build order."""
    return [v for v in layer.weights if v.path.startswith(layer.name + "/")]


def write_alignment_state(
    directory, backbone, *, source_modality, config, priors, preset=None
):
    """Writes the `shared/` files into `directory`; returns `alignment`.

    Args:
        directory: path. The export's `shared/` (or its staging copy).
        backbone: `CrossModalBackbone` holding `source_modality`.
        source_modality: str. The modality the priors were fitted on.
        config: dict. JSON-safe architecture config (a preset's `config()`
            with the export's `num_classes`).
        priors: dict. `{layer: prior}` for the layers of `SHARED_LAYERS`.
        preset: str or None. The preset name. Defaults to `None`.

    Raises:
        ValueError: if a prior is missing or the source is not encoded.
    """
    missing = [layer for layer in SHARED_LAYERS if layer not in priors]
    if missing or source_modality not in backbone.modalities:
        raise ValueError(
            "Alignment state needs priors for "
            f"{list(SHARED_LAYERS)} (missing {missing}) and a source "
            f"modality among {list(backbone.modalities)}. Received: "
            f"source_modality={source_modality!r}"
        )
    shared = pathlib.Path(directory)
    (shared / PRIORS_DIR).mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, **upper_layer_weights(backbone, source_modality))
    atomic_files.atomic_write_bytes(shared / UPPER_FILE, buffer.getvalue())
    kinds = set()
    for layer in SHARED_LAYERS:
        priors[layer].save(shared / PRIORS_DIR / f"{layer}.npz")
        kinds.add(type(priors[layer]).__name__)
    return {
        "source_modality": source_modality,
        "preset": preset,
        "config": dict(config),
        "prior_kind": sorted(kinds),
        "layers": list(SHARED_LAYERS),
        "files": manifest_lib.hash_tree(shared),
    }


def has_alignment_state(manifest):
    """Whether the manifest lists shared layers and priors."""
    return isinstance(manifest.get(ALIGNMENT), dict)


def read_alignment_state(model_dir):
    """Reads and verifies `model_dir/shared/` as an `AlignmentState`.

    Raises:
        ValueError: if the export has no alignment state (the message
            says how to add one), or a file of `shared/` is missing,
            unlisted or fails its manifest sha256.
    """
    model_dir = pathlib.Path(model_dir)
    manifest = manifest_lib.read_manifest(model_dir)
    if not has_alignment_state(manifest):
        raise ValueError(
            f"Export {str(model_dir)!r} carries no shared layers and priors "
            f"(no `{ALIGNMENT}` in its manifest.json). Add them with "
            "`python recipes/align_modality.py --add-alignment-state "
            f"--to {model_dir}`, or re-export it from its run directory."
        )
    entry = manifest[ALIGNMENT]
    shared = model_dir / SHARED_DIR
    manifest_lib.verify_files(shared, entry["files"])
    with np.load(shared / UPPER_FILE, allow_pickle=False) as archive:
        upper = {name: archive[name] for name in archive.files}
    return AlignmentState(
        source_modality=entry["source_modality"],
        preset=entry.get("preset"),
        config=dict(entry["config"]),
        upper_weights=upper,
        priors={
            layer: load_prior(shared / PRIORS_DIR / f"{layer}.npz")
            for layer in entry["layers"]
        },
    )
