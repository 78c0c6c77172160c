"""Splits of the clip-art benchmark's paired items for See-Hear-Read.

Split 0 is the stored one; the others deal each category's paired items
anew, so the regime can report a mean over splits with its interval.
"""

import numpy as np

from cm_zoo.runs import see_hear_read_training as training

IMAGE, SOUND, TEXT = training.ENCODERS


def paired_split(bench, index, triplets=None):
    """Split `index` of the benchmark's paired items.

    Split 0 is the stored one (`bench.paired`); split `k > 0` deals each
    category's paired items anew (seeded by `k`) into as many test, val
    and train items as the stored split gives it, training items going
    alternately to the image-sound and the image-text set (so no item
    links sound to text in training).

    Args:
        bench: `ClipartBenchmark`.
        index: int >= 0.
        triplets: optional `bench.paired_triplets()`, to reuse.

    Returns:
        `{"train": {"image_sound": ..., "image_text": ...}, "val":
        triplets, "test": triplets}` shaped like `bench.paired`'s.

    Example:
    >>> from cm_zoo.runs import see_hear_read_splits as splits
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> split = splits.paired_split(bench, 1)
    >>> [len(split[s]["label"]) for s in ("val", "test")]
    [43, 100]
    """
    if index == 0:
        return {
            "train": bench.paired("train"),
            "val": bench.paired("val"),
            "test": bench.paired("test"),
        }
    items = bench.paired_triplets() if triplets is None else triplets
    rng = np.random.default_rng(index)
    rows = {"val": [], "test": [], "image_sound": [], "image_text": []}
    for label in np.unique(items["label"]):
        mine = np.flatnonzero(items["label"] == label)
        drawn = rng.permutation(mine)
        stored = items["split"][mine]
        cut = np.cumsum([np.sum(stored == s) for s in ("test", "val")])
        rows["test"] += drawn[: cut[0]].tolist()
        rows["val"] += drawn[cut[0] : cut[1]].tolist()
        rows["image_sound"] += drawn[cut[1] :: 2].tolist()
        rows["image_text"] += drawn[cut[1] + 1 :: 2].tolist()
    keys = {
        "val": (IMAGE, TEXT, SOUND),
        "test": (IMAGE, TEXT, SOUND),
        "image_sound": (IMAGE, SOUND),
        "image_text": (IMAGE, TEXT),
    }
    bundles = {
        name: {key: items[key][rows[name]] for key in keys[name] + ("label",)}
        for name in rows
    }
    return {
        "train": {k: bundles[k] for k in ("image_sound", "image_text")},
        "val": bundles["val"],
        "test": bundles["test"],
    }
