"""The metric suites of both papers over embeddings, one place each.

Training recipes and `recipes/evaluate.py` call these on features they
extracted, so a run's `metrics.json` and its evaluation report agree.
"""

import numpy as np

from cm_zoo.evaluation.classifier_transfer import classifier_transfer_accuracy
from cm_zoo.evaluation.median_rank import cross_modal_median_rank
from cm_zoo.evaluation.retrieval import cross_modal_retrieval

RETRIEVAL_LAYERS = ("pool5", "fc6", "fc7")


def cmplaces_metrics(
    features,
    labels,
    *,
    holdout=(),
    source_modality=None,
    num_queries=1000,
    seed=0,
):
    """CMPlaces Tables 1-5 from features of one split.

    Returns retrieval per layer (paper protocol; Tables 1-3), fc7 retrieval
    under the full protocol, and classification accuracy per modality.
    With `holdout`, also the zero-shot metrics on the held-out categories:
    `zero_shot_accuracy` (Table 4, argmax over every class),
    `zero_shot_accuracy_among_held_out` (argmax over the held-out classes
    only), `zero_shot_retrieval` (Table 5, fc7, every modality) and
    `zero_shot_retrieval_without_source` (pairs of target modalities only:
    the source saw the held-out categories).

    Args:
        features: dict `{layer: {modality: [N, D] array}}` with `"pool5"`,
            `"fc6"`, `"fc7"` and `"logits"`.
        labels: dict `{modality: [N] int array}`.
        holdout: sequence of int. Held-out class labels. Defaults to `()`.
        source_modality: str or None. Left out of the `_without_source`
            retrieval. Defaults to `None`.
        num_queries: int. Queries per modality (paper protocol).
            Defaults to `1000`.
        seed: int. Seeds the query draw. Defaults to `0`.

    Returns:
        A dict of results, keyed as above.

    Example:
    >>> from cm_zoo.evaluation import cmplaces_metrics
    >>> rng = np.random.default_rng(0)
    >>> labels = {m: np.arange(12) % 3 for m in ("clipart", "sketch")}
    >>> layers = ("pool5", "fc6", "fc7", "logits")
    >>> features = {l: {m: rng.normal(size=(12, 3)) for m in labels}
    ...             for l in layers}
    >>> result = cmplaces_metrics(features, labels, holdout=[2],
    ...                           source_modality="clipart")
    >>> sorted(result["zero_shot_accuracy_among_held_out"].values())
    [1.0, 1.0]
    """
    names = list(labels)
    by_layer = {
        layer: {m: (features[layer][m], labels[m]) for m in names}
        for layer in RETRIEVAL_LAYERS
    }
    retrieval_args = {"num_queries": num_queries, "seed": seed}
    metrics = {
        "retrieval": {
            layer: cross_modal_retrieval(by_layer[layer], **retrieval_args)
            for layer in RETRIEVAL_LAYERS
        },
        "retrieval_full": {
            "fc7": cross_modal_retrieval(by_layer["fc7"], protocol="full")
        },
        "accuracy": {
            m: float((features["logits"][m].argmax(axis=1) == y).mean())
            for m, y in labels.items()
        },
    }
    if len(holdout):
        metrics.update(
            _zero_shot(
                by_layer["fc7"],
                features["logits"],
                labels,
                list(holdout),
                source_modality,
                retrieval_args,
            )
        )
    return metrics


def _zero_shot(fc7, logits, labels, holdout, source_modality, retrieval_args):
    """Tables 4-5 on the held-out categories, with their restricted variants."""
    held = {m: np.isin(y, holdout) for m, y in labels.items()}
    # Within-modal retrieval leaves the query out: N - 1 targets.
    k = min(10, min(int(h.sum()) for h in held.values()) - 1)
    targets = {m: v for m, v in fc7.items() if m != source_modality}
    result = {
        "zero_shot_retrieval": cross_modal_retrieval(
            fc7, classes=holdout, k=k, **retrieval_args
        ),
        "zero_shot_accuracy": {
            m: float((logits[m].argmax(axis=1) == y)[held[m]].mean())
            for m, y in labels.items()
        },
        "zero_shot_accuracy_among_held_out": {
            m: float(
                (
                    np.asarray(holdout)[logits[m][:, holdout].argmax(axis=1)]
                    == y
                )[held[m]].mean()
            )
            for m, y in labels.items()
        },
    }
    if len(targets) > 1:
        result["zero_shot_retrieval_without_source"] = cross_modal_retrieval(
            targets, classes=holdout, k=k, **retrieval_args
        )
    return result


def see_hear_read_metrics(test_features, test_labels, train_fc7, directions):
    """See-Hear-Read Tables 1-3 from paired test features.

    Args:
        test_features: dict `{layer: {modality: [N, D] array}}`, row `i` of
            every modality being the same test item.
        test_labels: [N] int array. Labels of the test items.
        train_fc7: dict `{modality: (fc7 features, labels)}` of training
            items, for the classifier-transfer probes (Table 3).
        directions: list of `(query, target)` modality pairs.

    Returns:
        `{"median_rank": {layer: {(query, target): result}},
        "classifier_transfer": result, "num_test_triplets": int}`.

    Example:
    >>> from cm_zoo.evaluation import see_hear_read_metrics
    >>> rng = np.random.default_rng(0)
    >>> fc7 = {m: rng.normal(size=(8, 4)) for m in ("clipart", "sound")}
    >>> labels = np.arange(8) % 2
    >>> result = see_hear_read_metrics(
    ...     {"fc7": fc7}, labels, {m: (x, labels) for m, x in fc7.items()},
    ...     [("clipart", "sound")])
    >>> result["num_test_triplets"]
    8
    """
    median_rank = {
        layer: cross_modal_median_rank(by_modality, pairs=directions)
        for layer, by_modality in test_features.items()
    }
    transfer = classifier_transfer_accuracy(
        train_fc7,
        {m: (x, test_labels) for m, x in test_features["fc7"].items()},
    )
    return {
        "median_rank": median_rank,
        "classifier_transfer": transfer,
        "num_test_triplets": int(len(test_labels)),
    }
