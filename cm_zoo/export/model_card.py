"""The model card (`README.md` beside `manifest.json`), rendered from it."""

import json

from cm_zoo import modalities
from cm_zoo.export import contract

_FINE_TUNING = (
    "Fine-tuning: every encoder is a Reusable SavedModel "
    "(`__call__(x, training)`, `variables`, `trainable_variables`, "
    "`regularization_losses`). In Keras 3 use "
    "`cm_zoo.export.HubEncoderLayer(path, trainable=True)`; in tf-keras use "
    "`hub.KerasLayer(path, trainable=True, output_key='embedding')`. "
    "Optimizer-side regularisation (weight decay) and the training-time "
    "StatReg losses are not exported."
)
_INTENDED_USE = (
    "Research on cross-modal retrieval and transfer: embedding items of "
    "different modalities into one space, nearest-neighbour retrieval "
    "across modalities, initialising encoders for fine-tuning."
)
_LIMITS = (
    "- Trained on the data above only; scores outside that domain and "
    "class list are not measured.",
    "- Descriptions are hashed word and character 3-gram features, not a "
    "learned language model: word order is mostly ignored and hash "
    "collisions occur.",
    "- Images are resized to a fixed square inside; aspect ratio is not kept.",
    "- Not for decisions about people.",
)
_INTEGRITY = (
    "`manifest.json` holds the sha256 of every file of every encoder, and "
    "the input spec and output widths of each. "
    "`cm_zoo.export.load_encoder(path)` (or `load_encoder(name, modality)` "
    "for the shipped models) verifies the hashes, checks the manifest "
    "against each SavedModel's signature, and refuses a modified export."
)


def render_model_card(manifest):
    """Returns the Markdown model card of an export.

    Everything on the card comes from `manifest` (see
    `cm_zoo.export.export_encoders`), so card and manifest cannot
    disagree. The sections are rendered by one step each.

    Args:
        manifest: dict. The export's manifest.

    Returns:
        str. Markdown text.
    """
    sections = [
        _header(manifest),
        _section("Inputs", _inputs(manifest)),
        _section("Outputs", _outputs(manifest)),
        _section("Training data", [_json_block(manifest["training_data"])]),
        _generalisation(manifest),
        _section("Metrics", [_json_block(manifest["metrics"])]),
        _section("Usage", [*_usage(manifest), "", _FINE_TUNING]),
        _section("Aligning a new modality", _alignment(manifest)),
        _section("Intended use", [_INTENDED_USE]),
        _section("Limits", list(_LIMITS)),
        _section("Integrity", [_INTEGRITY]),
    ]
    return "\n".join(line for lines in sections for line in lines) + "\n"


def _generalisation(manifest):
    """In-distribution vs OOD retrieval, when the run measured it."""
    scores = manifest["metrics"].get("generalisation")
    if not scores:
        return []
    lines = [
        "Class-level cross-modal retrieval with `embedding` (cosine, every "
        "item of a split a query, mean over ordered modality pairs) on the "
        "embedded benchmark: `test` in distribution, `ood` its "
        "out-of-distribution split (other backgrounds, strokes, phrasings, "
        "espeak-ng voices; never trained on). Settings were chosen on val "
        "and OOD, never on test. The interval is a bootstrap over the "
        "split's query items (`cm_zoo.evaluation.retrieval_interval`).",
        "",
        "| split | mean mAP | random ranking's AP | x random "
        "| x random, 95% interval |",
        "|---|--:|--:|--:|--:|",
    ]
    for split in ("val", "test", "ood"):
        if split in scores:
            row = scores[split]
            low_high = row.get("interval", {}).get("times_chance")
            interval = (
                f"{low_high[0]:.2f}-{low_high[1]:.2f}" if low_high else "-"
            )
            lines.append(
                f"| {split} | {row['map']:.3f} | {row['chance_map']:.3f} "
                f"| {row['times_chance']:.2f} | {interval} |"
            )
    if "ood_over_test" in scores:
        lines += ["", f"OOD / test mAP: {scores['ood_over_test']:.2f}."]
    return _section("In distribution vs out of distribution", lines)


def _section(title, lines):
    return ["", f"## {title}", "", *lines]


def _header(manifest):
    embedding = manifest["embedding"]
    return [
        f"# {manifest['model_name']}",
        "",
        f"Method: **{manifest['method']}**. One TF2 SavedModel encoder per "
        f"modality ({', '.join(manifest['modalities'])}), each mapping raw "
        f"input to a shared {embedding['width']}-d embedding "
        f"(`{embedding['layer']}`), comparable across modalities by cosine "
        "similarity. Loads with `hub.load` or `tf.saved_model.load`; "
        "`cm_zoo` is not needed.",
    ]


def _inputs(manifest):
    """The input table, then each encoder's exact spec and a call that works."""
    lines = [
        "| modality | dtype | shape | notes |",
        "|---|---|---|---|",
    ]
    for modality in manifest["modalities"]:
        spec = manifest["inputs"][modality]
        note = spec["note"]
        if "sample_rate" in spec:
            note = f"{spec['sample_rate']} Hz. {note}"
        lines.append(
            f"| `{modality}` | {spec['dtype']} | {spec['layout']} | {note} |"
        )
    lines += [
        "",
        "Every encoder maps a batch of 0 items to `(0, width)` outputs. "
        "`hub.load` reports any other mismatch as TensorFlow's own error "
        "(no concrete function matches); the exact input spec of each "
        "encoder and a call that works:",
        "",
        "```python",
    ]
    width = manifest["embedding"]["width"]
    for modality in manifest["modalities"]:
        spec = manifest["inputs"][modality]
        lines += [
            f"tf.TensorSpec({spec['shape']}, tf.{spec['dtype']}, "
            f'name="{modality}")',
            f'hub.load("{_root(manifest)}/{modality}")('
            f"{contract.example_input(modality, _kind(manifest, modality))})"
            f'["embedding"]  # float32 [2, {width}]',
        ]
    lines.append("```")
    return lines


def _kind(manifest, modality):
    """The input kind of `modality` (recorded, or from its key)."""
    return manifest["inputs"][modality].get("kind") or contract.input_kind(
        modality
    )


def _alignment(manifest):
    """Shipped shared layers and priors, and the modalities added since."""
    entry = manifest.get("alignment")
    lines = [
        "Shared layers and StatReg priors ship in `shared/` "
        f"(source modality `{entry['source_modality']}`, priors on "
        f"{', '.join(entry['layers'])}): align a modality of your own to "
        f"this model with `python recipes/align_modality.py --to "
        f"{_root(manifest)} --modality NAME --data DIR_OR_LIST`."
        if entry
        else "No shared layers or priors ship with this export; "
        "`recipes/align_modality.py --add-alignment-state` adds them."
    ]
    for modality, added in manifest.get("aligned_modalities", {}).items():
        lines += [
            "",
            f"`{modality}` was added after training (method "
            f"{added['method']}, the other encoders unchanged):",
            "",
            _json_block(
                {"training_data": added["training_data"], **added["metrics"]}
            ),
        ]
    return lines


def _outputs(manifest):
    widths = ", ".join(
        f"`{k}` {v}" for k, v in manifest["output_widths"].items()
    )
    return [
        "`obj(x)` and `obj.signatures['serving_default'](<modality>=x)` "
        f"return a dict of float32 `[batch, width]` tensors: {widths}. "
        "`embedding` is not L2-normalised; normalise it for cosine "
        f"retrieval. `logits` score the {len(manifest['class_names'])} "
        "training classes (no softmax)."
    ]


def _json_block(value):
    text = json.dumps(value or "not recorded", indent=2, sort_keys=True)
    return f"```json\n{text}\n```"


def _root(manifest):
    return f"saved_models/{manifest['model_name']}"


def _usage(manifest):
    """Five lines of code: embed a query, rank items of another modality."""
    names = manifest["modalities"]
    images = [m for m in names if _kind(manifest, m) == contract.IMAGE]
    query = modalities.SKETCH if modalities.SKETCH in names else names[0]
    target = next(
        m for m in (modalities.DESCRIPTION, *names[::-1]) if m in names
    )
    inputs = {
        modalities.DESCRIPTION: (
            '["a quiet library with tall shelves", "waves on a sandy '
            'beach", "a dense green forest"]'
        ),
        modalities.SOUND: "np.zeros((3, 16000), np.float32)",
    }
    image = 'tf.io.decode_image(tf.io.read_file("query.png"), 3)[None]'
    items = inputs.get(
        _kind(manifest, target), "np.zeros((3, 64, 64, 3), np.uint8)"
    )
    if query in images:
        query_input = image
    else:
        query_input = (
            "items[:1]" if query == target else inputs[_kind(manifest, query)]
        )
    return [
        "```python",
        "import numpy as np, tensorflow as tf, tensorflow_hub as hub",
        "embed = lambda m, x: tf.math.l2_normalize(hub.load("
        f'f"{_root(manifest)}/{{m}}")(x)["embedding"], -1)',
        f"items = {items}",
        f"scores = tf.linalg.matvec(embed({target!r}, items), "
        f"embed({query!r}, {query_input})[0])",
        "print(np.argsort(-scores.numpy()))  # items, nearest first",
        "```",
    ]
