"""Draws the variations of `cm_zoo.layers.DrawingAugmentation` as one grid.

Columns are drawings of the embedded clip-art benchmark (training clipart
and sketches, fixed seed); the first row shows them as stored, each other
row one variation alone (at the layer's default strength, applied to every
drawing), and the last row all of them at their default rates, as training
sees them. Also prints a table of `cm_zoo.layers.TextAugmentation`
variations of benchmark descriptions, one variation per column.

Usage:
    python3 recipes/make_augmentation_sheet.py [--out docs/data] [--seed 0]
"""

import argparse
import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cm_zoo  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "docs", "data")
CLIPARTS = 5
SKETCHES = 3
# Each row turns one variation on (the others off); the last uses defaults.
DRAWING_ROWS = (
    ("as stored", {}),
    ("stroke width\n(±1 px)", {"max_stroke_change": 1}),
    ("mirror,\nrotation ±10°", {"flip_rate": 0.5, "max_rotation": 10.0}),
    (
        "scale 0.6-1.1,\nshift ±15%",
        {"scale_range": (0.6, 1.1), "max_translation": 0.15},
    ),
    ("paper colour\nand texture", {"background_rate": 1.0}),
    ("hue and\nsaturation", {"color_rate": 1.0}),
    ("grayscale", {"grayscale_rate": 1.0}),
    ("photo of paper", {"photo_rate": 1.0}),
    ("JPEG q15-85", {"jpeg_rate": 1.0}),
    ("transparent\npage as RGB", {"transparent_page_rate": 1.0}),
    ("outline", {"outline_rate": 1.0}),
    ("all (default\nrates)", None),
)
TEXT_COLUMNS = (
    ("crop", {"crop_rate": 1.0}),
    ("word dropout 0.3", {"word_dropout": 0.3}),
    ("shuffle", {"shuffle_rate": 1.0}),
    ("case", {"case_rate": 1.0}),
    ("punctuation", {"punctuation_rate": 1.0}),
    ("template", {"template_rate": 1.0}),
    ("all (defaults)", None),
)


def pick_drawings(bench, seed):
    """`CLIPARTS` training cliparts then `SKETCHES` sketches, uint8."""
    rng = np.random.default_rng(seed)
    picked, names = [], []
    for modality, count in (("clipart", CLIPARTS), ("sketch", SKETCHES)):
        x, y = bench.arrays(modality, "train")
        for i in rng.choice(len(x), size=count, replace=False):
            picked.append(x[i])
            names.append(f"{modality}: {bench.class_names[y[i]]}")
    return np.stack(picked), names


def augment_drawings(images, seed):
    """One `[N, S, S, 3]` uint8 batch per row of `DRAWING_ROWS`."""
    rows = []
    for row, (_, variation) in enumerate(DRAWING_ROWS):
        drawing = cm_zoo.layers.DrawingAugmentation
        layer = (
            drawing(seed=seed + row)
            if variation is None
            else drawing.only(seed=seed + row, **variation)
        )
        rows.append(layer(images, training=True).numpy())
    return rows


def sheet_png(rows, names):
    """The grid as PNG bytes, a row label left of each row."""
    columns = len(names)
    figure, axes = plt.subplots(
        len(rows), columns, figsize=(columns * 1.1 + 1.0, len(rows) * 1.1)
    )
    for r, (row_axes, images) in enumerate(zip(axes, rows)):
        for c, (axis, image) in enumerate(zip(row_axes, images)):
            axis.imshow(image)
            axis.set_xticks([])
            axis.set_yticks([])
            if r == 0:
                axis.set_title(names[c], fontsize=6)
        row_axes[0].set_ylabel(DRAWING_ROWS[r][0], fontsize=7)
    figure.suptitle(
        "cm_zoo.layers.DrawingAugmentation: one variation per row "
        "(training only)",
        fontsize=9,
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def text_table(bench, seed, rows=4):
    """A Markdown table: descriptions, then one variation per column."""
    texts, _ = bench.arrays("description", "train")
    rng = np.random.default_rng(seed)
    picked = np.array(
        [texts[i] for i in rng.choice(len(texts), rows, replace=False)],
        dtype=object,
    )
    columns = [("as stored", list(picked))]
    for index, (name, variation) in enumerate(TEXT_COLUMNS):
        text = cm_zoo.layers.TextAugmentation
        layer = (
            text(seed=seed + index)
            if variation is None
            else text.only(seed=seed + index, **variation)
        )
        out = layer(picked, training=True).numpy()
        columns.append((name, [t.decode() for t in out]))
    lines = [
        "| " + " | ".join(name for name, _ in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in range(rows):
        cells = [values[row].replace("|", "/") for _, values in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    bench = cm_zoo.data.clipart_benchmark.load()
    images, names = pick_drawings(bench, args.seed)
    png = sheet_png(augment_drawings(images, args.seed), names)
    path = os.path.join(args.out, "augmentations.png")
    os.makedirs(args.out, exist_ok=True)
    cm_zoo.atomic_files.atomic_write_bytes(path, png)
    print(f"wrote {path}")
    print(text_table(bench, args.seed))


if __name__ == "__main__":
    main()
