"""A tiny clip-art/description export of three colour classes, for the
alignment tests (library and recipe)."""

import keras
import numpy as np

from cm_zoo import presets
from cm_zoo.export import export_encoders
from cm_zoo.models.cmplaces import build_cmplaces_backbone
from cm_zoo.runs.modality_alignment import fit_alignment_priors

CLASSES = ["beach", "forest", "library"]
COLOURS = {
    "beach": (250, 220, 120),
    "forest": (20, 140, 40),
    "library": (90, 40, 20),
}


def tiny_config():
    return presets.get("cmplaces_alexnet_tiny").config(
        image_size=32,
        conv_filters=[4] * 5,
        conv1_kernel_size=3,
        conv1_strides=1,
        hidden_dim=8,
        num_classes=len(CLASSES),
        text_hidden_dim=8,
        text_num_buckets=64,
        text_embedding_dim=4,
    )


def images(labels, seed):
    """Class-coloured noisy pictures."""
    rng = np.random.default_rng(seed)
    out = []
    for label in labels:
        colour = np.array(COLOURS[CLASSES[label]], "float32")
        noise = rng.normal(0, 30, (40, 40, 3))
        out.append(np.clip(colour + noise, 0, 255).astype("uint8"))
    return np.stack(out)


def write_export(root, *, with_alignment_state=True):
    """Exports a seeded tiny model as `root/tiny`, with `shared/` (fc6,
    fc7, classifier and 2-component priors of clipart) or without."""
    config = tiny_config()
    keras.utils.set_random_seed(0)
    backbone = build_cmplaces_backbone(config, ["clipart", "description"])
    alignment = None
    if with_alignment_state:
        x = images(np.repeat(np.arange(3), 8), seed=1)
        alignment = {
            "source_modality": "clipart",
            "config": config,
            "priors": fit_alignment_priors(
                backbone, "clipart", x, num_components=2
            ),
            "preset": "cmplaces_alexnet_tiny",
        }
    export_encoders(
        backbone,
        root,
        model_name="tiny",
        method="C",
        class_names=CLASSES,
        alignment=alignment,
    )
    return backbone
