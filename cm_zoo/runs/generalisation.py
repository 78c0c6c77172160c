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

from cm_zoo.evaluation import cross_modal_retrieval
from cm_zoo.models import extract_features


def generalisation_metrics(encode, bench, names, splits=("test", "ood")):
    """Mean cross-modal mAP and its multiple of chance on each split.

    Args:
        encode: callable `(modality, x) -> float array [N, dim]`.
        bench: `ClipartBenchmark`.
        names: list of str. The modalities (at least two).
        splits: list of str. Splits of `bench.arrays`. Defaults to
            `("test", "ood")`.

    Returns:
        `{split: {"map", "chance_map", "times_chance", "pairs": {"q->t":
        map}, "num_items": {modality: n}}}` and, when both `"ood"` and
        another split are scored, `"ood_over_<split>"`: OOD mAP over that
        split's.

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
        if len(features) < 2:
            continue
        # Only mAP is reported; PR@k needs k targets per query.
        k = min(10, *(len(y) for _, y in features.values()))
        retrieval = cross_modal_retrieval(
            features, protocol="full", within_modal=False, k=k
        )
        mean = retrieval["mean"]
        results[split] = {
            "map": mean["map"],
            "chance_map": mean["chance_map"],
            "times_chance": mean["map"] / mean["chance_map"],
            "pairs": {
                f"{q}->{t}": r["map"]
                for (q, t), r in retrieval["pairs"].items()
            },
            "num_items": {m: int(len(y)) for m, (_, y) in features.items()},
        }
    for split in results.copy():
        if split != "ood" and "ood" in results:
            results[f"ood_over_{split}"] = (
                results["ood"]["map"] / results[split]["map"]
            )
    return results


def backbone_encoder(backbone, layer="fc7"):
    """`encode(modality, x)` of a `CrossModalBackbone`'s `layer`."""

    def encode(modality, x):
        return extract_features(backbone, {modality: x}, layers=(layer,))[
            layer
        ][modality]

    return encode
