"""The model card (`README.md` beside `manifest.json`), rendered from it."""

import json

from cm_zoo import modalities


def render_model_card(manifest):
    """Returns the Markdown model card of an export.

    Everything on the card comes from `manifest` (see
    `cm_zoo.export.export_encoders`), so card and manifest cannot
    disagree.

    Args:
        manifest: dict. The export's manifest.

    Returns:
        str. Markdown text.
    """
    name = manifest["model_name"]
    embedding = manifest["embedding"]
    lines = [
        f"# {name}",
        "",
        f"Method: **{manifest['method']}**. One TF2 SavedModel encoder per "
        f"modality ({', '.join(manifest['modalities'])}), each mapping raw "
        f"input to a shared {embedding['width']}-d embedding "
        f"(`{embedding['layer']}`), comparable across modalities by cosine "
        "similarity. Loads with `hub.load` or `tf.saved_model.load`; "
        "`cm_zoo` is not needed.",
        "",
        "## Inputs",
        "",
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
    widths = ", ".join(
        f"`{k}` {v}" for k, v in manifest["output_widths"].items()
    )
    lines += [
        "",
        "## Outputs",
        "",
        "`obj(x)` and `obj.signatures['serving_default'](<modality>=x)` "
        f"return a dict of float32 `[batch, width]` tensors: {widths}. "
        "`embedding` is not L2-normalised; normalise it for cosine "
        f"retrieval. `logits` score the {len(manifest['class_names'])} "
        "training classes (no softmax).",
        "",
        "## Training data",
        "",
        _json_block(manifest["training_data"] or "not recorded"),
        "",
        "## Metrics",
        "",
        _json_block(manifest["metrics"] or "not recorded"),
        "",
        "## Usage",
        "",
        "```python",
        *_usage(manifest),
        "```",
        "",
        "Fine-tuning: every encoder is a Reusable SavedModel "
        "(`__call__(x, training)`, `variables`, `trainable_variables`, "
        "`regularization_losses`). In Keras 3 use "
        "`cm_zoo.export.HubEncoderLayer(path, trainable=True)`; in tf-keras "
        "use `hub.KerasLayer(path, trainable=True, "
        "output_key='embedding')`. Optimizer-side regularisation (weight "
        "decay) and the training-time StatReg losses are not exported.",
        "",
        "## Intended use",
        "",
        "Research on cross-modal retrieval and transfer: embedding items of "
        "different modalities into one space, nearest-neighbour retrieval "
        "across modalities, initialising encoders for fine-tuning.",
        "",
        "## Limits",
        "",
        "- Trained on the data above only; scores outside that domain and "
        "class list are not measured.",
        "- Descriptions are hashed word and character 3-gram features, not "
        "a learned language model: word order is mostly ignored and hash "
        "collisions occur.",
        "- Images are resized to a fixed square inside; aspect ratio is not "
        "kept.",
        "- Not for decisions about people.",
        "",
        "## Integrity",
        "",
        "`manifest.json` holds the sha256 of every file of every encoder. "
        "`cm_zoo.export.load_encoder(path)` verifies them and refuses a "
        "modified export.",
        "",
    ]
    return "\n".join(lines)


def _json_block(value):
    return "```json\n" + json.dumps(value, indent=2, sort_keys=True) + "\n```"


def _usage(manifest):
    """Five lines: embed a query, rank a few items of another modality."""
    names = manifest["modalities"]
    images = [m for m in names if modalities.is_image(m)]
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
    items = inputs.get(target, "np.zeros((3, 64, 64, 3), np.uint8)")
    if query in images:
        query_input = image
    else:
        query_input = "items[:1]" if query == target else inputs[query]
    root = f"saved_models/{manifest['model_name']}"
    return [
        "import numpy as np, tensorflow as tf, tensorflow_hub as hub",
        f'embed = lambda m, x: tf.math.l2_normalize(hub.load(f"{root}/{{m}}")'
        '(x)["embedding"], -1)',
        f"items = {items}",
        f"scores = tf.linalg.matvec(embed({target!r}, items), "
        f"embed({query!r}, {query_input})[0])",
        "print(np.argsort(-scores.numpy()))  # items, nearest first",
    ]
