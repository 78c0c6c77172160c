"""Writes one contact-sheet PNG per modality of the clip-art benchmark.

Each sheet is a grid of random training items (fixed seed) with their
category: images as they are stored, descriptions as wrapped text, sounds
as log-magnitude spectrograms. `paired.png` shows test triplets (the same
item as clipart, description and sound), one per row; `source.png` the
source pool (each drawing plainly, then three load-time views); `ood.png`
the out-of-distribution split, one row per modality.

Usage:
    python3 recipes/make_contact_sheets.py [--out docs/data] [--path DIR]
"""

import argparse
import os
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cm_zoo.data  # noqa: E402

COLUMNS = 8
ROWS = 4
DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "docs", "data")


def spectrogram(audio, frame=400, hop=160):
    """Log-magnitude STFT (25 ms Hann frames, 10 ms hop at 16 kHz)."""
    audio = audio[: max(frame, np.flatnonzero(np.abs(audio) > 0)[-1] + 1)]
    starts = np.arange(0, len(audio) - frame + 1, hop)
    frames = np.stack([audio[s : s + frame] for s in starts]) * np.hanning(
        frame
    )
    power = np.abs(np.fft.rfft(frames, axis=1)).T
    return np.log(power + 1e-3)


def draw_item(axis, modality, value, caption):
    axis.set_xticks([])
    axis.set_yticks([])
    if modality == "description":
        axis.text(
            0.03,
            0.97,
            textwrap.fill(value[:150], 22),
            fontsize=5,
            va="top",
            ha="left",
            transform=axis.transAxes,
            clip_on=True,
        )
    elif modality == "sound":
        axis.imshow(
            spectrogram(value), origin="lower", aspect="auto", cmap="magma"
        )
    else:
        axis.imshow(value)
    axis.set_title(caption, fontsize=7)


def grid_sheet(bench, tiles, title, path):
    """Draws `(modality, value, label)` tiles in a ROWS x COLUMNS grid."""
    figure, axes = plt.subplots(
        ROWS, COLUMNS, figsize=(COLUMNS * 1.2, ROWS * 1.35)
    )
    for axis, (modality, value, label) in zip(axes.ravel(), tiles):
        draw_item(axis, modality, value, bench.class_names[label])
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(figure)


def modality_sheet(bench, modality, path, seed):
    x, y = bench.arrays(modality, "train")
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(x), size=COLUMNS * ROWS, replace=False)
    tiles = [(modality, x[i], y[i]) for i in picks]
    title = (
        f"clip-art benchmark: {modality} (train, random "
        f"{COLUMNS * ROWS} of {len(x)})"
    )
    grid_sheet(bench, tiles, title, path)


def source_sheet(bench, path, seed, views=4):
    x, y = bench.source_pool("train", views=views, seed=seed)
    rng = np.random.default_rng(seed)
    drawings = rng.choice(len(y) // views, size=COLUMNS * ROWS // views)
    tiles = [
        ("clipart", x[d * views + v], y[d * views + v])
        for d in drawings
        for v in range(views)
    ]
    title = (
        f"source pool (train, {len(y) // views} drawings): each drawing "
        f"plainly, then {views - 1} load-time views"
    )
    grid_sheet(bench, tiles, title, path)


def ood_sheet(bench, path, seed):
    rng = np.random.default_rng(seed)
    tiles = []
    for modality in bench.modalities:
        x, y = bench.arrays(modality, "ood")
        picks = rng.choice(len(x), size=COLUMNS, replace=False)
        tiles += [(modality, x[i], y[i]) for i in picks]
    title = "out-of-distribution split: one row per modality"
    grid_sheet(bench, tiles, title, path)


def paired_sheet(bench, path, seed, rows=5):
    triplets = bench.paired("test")
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(triplets["label"]), size=rows, replace=False)
    figure, axes = plt.subplots(rows, 3, figsize=(4.2, rows * 1.35))
    for row, index in zip(axes, picks):
        caption = bench.class_names[triplets["label"][index]]
        for axis, modality in zip(row, ("clipart", "description", "sound")):
            draw_item(axis, modality, triplets[modality][index], caption)
    figure.suptitle("paired test triplets (same item)", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument(
        "--path",
        default=None,
        help="benchmark build; defaults to the embedded one",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    bench = cm_zoo.data.clipart_benchmark.load(args.path)
    os.makedirs(args.out, exist_ok=True)
    for modality in bench.modalities:
        path = os.path.join(args.out, f"{modality}.png")
        modality_sheet(bench, modality, path, args.seed)
        print(f"wrote {path}")
    for name, sheet in (
        ("paired", paired_sheet),
        ("source", source_sheet),
        ("ood", ood_sheet),
    ):
        path = os.path.join(args.out, f"{name}.png")
        sheet(bench, path, args.seed)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
