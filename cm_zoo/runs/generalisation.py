"""In-distribution vs out-of-distribution retrieval of a model's encoders.

`generalisation_metrics` embeds every modality of a benchmark split with
an `encode(modality, x)` function (a backbone's fc7, or an exported
encoder's `embedding`), and scores class-level cross-modal retrieval on
it: the mean over ordered modality pairs of mAP, the mean of a random
ranking's expected AP over the same queries, and their ratio. Split
`"ood"` is the benchmark's out-of-distribution split (other backgrounds,
strokes, phrasings and voices); `"test"` or `"val"` the in-distribution
one.
"""

import os

import numpy as np

from cm_zoo import modalities as modality_names
from cm_zoo.evaluation import cross_modal_retrieval
from cm_zoo.evaluation import retrieval_interval
from cm_zoo.models import extract_features

DEBIAN_PNG_ROOT = "/usr/share/openclipart/png"


def generalisation_metrics(encode, bench, names, splits=("test", "ood")):
    """Mean cross-modal mAP and its multiple of chance on each split.

    Args:
        encode: callable `(modality, x) -> float array [N, dim]`.
        bench: `ClipartBenchmark`.
        names: list of str. The modalities (at least two).
        splits: list of str. Splits of `bench.arrays`. Defaults to
            `("test", "ood")`.

    Returns:
        `{split: {"map", "chance_map", "times_chance", "interval": {"map":
        [low, high], "times_chance": [low, high], ...}, "pairs": {"q->t":
        map}, "num_items": {modality: n}}}` (95% bootstrap intervals over
        query items, see `cm_zoo.evaluation.retrieval_interval`) and, when
        both `"ood"` and another split are scored, `"ood_over_<split>"`:
        OOD mAP over that split's.

    Example:
    >>> from cm_zoo.runs import generalisation
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> labels_only = lambda m, x: np.eye(28)[bench.arrays(m, "val")[1]]
    >>> out = generalisation.generalisation_metrics(
    ...     labels_only, bench, ["clipart", "sketch"], splits=["val"])
    >>> round(out["val"]["map"], 3), out["val"]["times_chance"] > 5
    (1.0, True)
    """
    results = {}
    for split in splits:
        features = {}
        for modality in names:
            x, y = bench.arrays(modality, split)
            if len(y):  # a small benchmark may lack a modality in a split
                features[modality] = (encode(modality, x), y)
        if len(features) >= 2:
            results[split] = retrieval_summary(features)
    for split in results.copy():
        if split != "ood" and "ood" in results:
            results[f"ood_over_{split}"] = (
                results["ood"]["map"] / results[split]["map"]
            )
    return results


def retrieval_summary(features):
    """Mean cross-modal mAP, chance, x chance, their 95% intervals, pairs
    and counts of `features` (`{modality: (embeddings, labels)}`, at least
    two modalities). The intervals (`"interval"`) are `retrieval_interval`'s
    bootstrap over query items."""
    # Only mAP is reported; PR@k needs k targets per query.
    k = min(10, *(len(y) for _, y in features.values()))
    retrieval = cross_modal_retrieval(
        features, protocol="full", within_modal=False, k=k, per_query=True
    )
    mean = retrieval["mean"]
    return {
        "map": mean["map"],
        "chance_map": mean["chance_map"],
        "times_chance": mean["map"] / mean["chance_map"],
        "interval": retrieval_interval(retrieval),
        "pairs": {
            f"{q}->{t}": r["map"] for (q, t), r in retrieval["pairs"].items()
        },
        "num_items": {m: int(len(y)) for m, (_, y) in features.items()},
    }


def transcript_ceiling(encode, bench, names, splits=("test", "ood")):
    """Retrieval with every `sound` item heard perfectly: its transcript.

    The ceiling of a sound encoder that knows what was said and nothing
    more: each `sound` item of a split is encoded by the `description`
    encoder as the text its speech says (`spoken_transcripts`), and
    retrieval is scored as `generalisation_metrics` scores it, over
    `names` plus `"sound"`. Where this is low, the words said do not
    name the category well enough for the text encoder, however well
    the speech is heard.

    Args:
        encode: callable `(modality, x) -> float array [N, dim]`; must
            encode `"description"`.
        bench: `ClipartBenchmark`.
        names: list of str. The modalities; `"sound"` is added.
        splits: list of str. Splits of `bench.arrays`.

    Returns:
        As `generalisation_metrics`.

    Example:
    >>> from cm_zoo.runs import generalisation
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> def by_text(modality, x):  # first letter of each text, one-hot
    ...     return np.eye(128)[[ord(t[0]) % 128 for t in x]]
    >>> out = generalisation.transcript_ceiling(
    ...     by_text, bench, ["description"], splits=["val"])
    >>> sorted(out["val"]["pairs"])
    ['description->sound', 'sound->description']
    """
    heard = [n for n in names if n != modality_names.SOUND]
    heard.append(modality_names.SOUND)
    results = {}
    for split in splits:
        texts = spoken_transcripts(bench, split)

        def listen(modality, x, texts=texts):
            if modality == modality_names.SOUND:
                return encode(modality_names.DESCRIPTION, texts)
            return encode(modality, x)

        results.update(generalisation_metrics(listen, bench, heard, [split]))
    return results


def spoken_transcripts(bench, split):
    """What each `sound` item of `split` says (manifest `spoken_text`), in
    the order of `bench.arrays("sound", split)`.

    Example:
    >>> from cm_zoo.runs import generalisation
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> texts = generalisation.spoken_transcripts(bench, "ood")
    >>> len(texts) == len(bench.arrays("sound", "ood")[1]), texts.dtype
    (True, dtype('O'))
    """
    return np.array(
        [
            item["spoken_text"]
            for item in bench.manifest["items"]
            if item["role"] == modality_names.SOUND and item["split"] == split
        ],
        dtype=object,
    )


def debian_png_metrics(encode, bench, names, root=DEBIAN_PNG_ROOT):
    """OOD retrieval with the clip art as users have it: Debian's PNGs.

    The `clipart` items of the OOD split are read from `openclipart-png`
    (`root`, the SVG's path with `.png`) as a user would read them: the
    whole page at its own size, converted to RGB without compositing, so
    a transparent page is black. Each is encoded alone; the other
    modalities are the OOD split's. Items with no PNG are left out.

    Args:
        encode: callable `(modality, x) -> float array [N, dim]`.
        bench: `ClipartBenchmark`.
        names: list of str. The modalities; must include `"clipart"`.
        root: str. The `openclipart-png` directory.

    Returns:
        The `retrieval_summary` of the split, or None when no PNG is found.
    """
    from PIL import Image  # only here: reading users' files

    embedded, labels = [], []
    _, y = bench.arrays(modality_names.CLIPART, "ood")
    for label, svg in zip(y, bench.sources(modality_names.CLIPART, "ood")):
        path = os.path.join(root, os.path.splitext(svg)[0] + ".png")
        if os.path.isfile(path):
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB"))
            embedded.append(encode(modality_names.CLIPART, pixels[None]))
            labels.append(label)
    if not labels:
        return None
    features = {modality_names.CLIPART: (np.concatenate(embedded), labels)}
    for modality in names:
        if modality != modality_names.CLIPART:
            x, y = bench.arrays(modality, "ood")
            features[modality] = (encode(modality, x), y)
    return retrieval_summary(features)


def backbone_encoder(backbone, layer="fc7"):
    """`encode(modality, x)` of a `CrossModalBackbone`'s `layer`."""

    def encode(modality, x):
        return extract_features(backbone, {modality: x}, layers=(layer,))[
            layer
        ][modality]

    return encode
