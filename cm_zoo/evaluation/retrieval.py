"""Class-level cross-modal retrieval: mAP, PR@k and chance for every pair.

Implements CMPlaces section 5.1 (Tables 1-3) and, with `classes=`, the
zero-shot retrieval of Table 5: queries of one modality rank all items of
another by cosine similarity, a target being relevant when it shows the
same scene category.
"""

import numpy as np

from cm_zoo import modalities
from cm_zoo.evaluation import _checks
from cm_zoo.evaluation import average_precision

PROTOCOLS = ("paper", "full")


def cross_modal_retrieval(
    features,
    *,
    protocol="paper",
    num_queries=1000,
    k=10,
    classes=None,
    within_modal=True,
    seed=0,
    chunk_size=1024,
    per_query=False,
):
    """Evaluates retrieval for every ordered pair of modalities.

    For each ordered pair (query modality, target modality) of distinct
    modalities the queries rank all targets by cosine similarity; per query
    the class-level average precision (AP) and precision@k are taken, and
    averaged into the pair's mAP and PR@k. `"mean"` averages the pairs, as
    the far-right column of the paper's tables does. With `within_modal`,
    each modality also queries itself, the query left out of its ranking.

    Chance is exact, not simulated: per query the expected AP of a uniformly
    random ranking (see `average_precision.chance_average_precision`) and
    the expected PR@k `R / N`, averaged over the same queries as the score.

    Queries without any relevant target have no AP: they are left out of
    every mean and counted in `"num_skipped"`. Ties are ranked
    irrelevant-first (see `average_precision`).

    Args:
        features: dict `{modality: (embeddings [N_m, D], labels [N_m])}`,
            float embeddings and int labels. float32 input is used without
            copies; similarities are computed `chunk_size` queries at a time.
        protocol: str. `"paper"`: `num_queries` queries drawn without
            replacement per query modality (all if fewer), the same draw for
            every target; `"full"`: every item is a query. Defaults to
            `"paper"`.
        num_queries: int. Queries per modality in the paper protocol.
            Defaults to `1000`.
        k: int. Cut-off of PR@k. Defaults to `10`.
        classes: optional iterable of int labels. If given, queries and
            targets are restricted to these categories (the zero-shot
            protocol on held-out categories). Defaults to `None`.
        within_modal: bool. Also evaluate same-modality retrieval.
            Defaults to `True`.
        seed: int. Seeds the paper protocol's query draw; modality `m` uses
            `np.random.default_rng([seed, index of m in ALL_MODALITIES])`,
            so a draw does not depend on the other modalities present.
            Defaults to `0`.
        chunk_size: int. Queries per similarity block. Defaults to `1024`.
        per_query: bool. Also return every query's AP and chance AP, for
            resampling (`retrieval_interval`). Defaults to `False`.

    Returns:
        A dict with `"protocol"`, `"k"`, `"classes"` (sorted list or None),
        `"modalities"` (input order), `"pairs"` and `"within"` (dicts keyed
        by `(query, target)` modality tuples), `"mean"` and `"within_mean"`.
        Every leaf result is a dict of floats `"map"`, `"pr_at_k"`,
        `"chance_map"`, `"chance_pr_at_k"` and ints `"num_queries"`,
        `"num_targets"`, `"num_skipped"` (means hold the four floats only).
        With `per_query`, also `"per_query"`: `{(query, target):
        {"average_precision", "chance_average_precision"}}`, float64
        arrays in the order of the query modality's queries (NaN for a
        query without relevant targets).

    Raises:
        ValueError: on malformed `features` (see the message), an unknown
            `protocol`, or a modality left without items by `classes`.

    Example:
    >>> from cm_zoo.evaluation import retrieval
    >>> rng = np.random.default_rng(0)
    >>> labels = np.arange(40) % 4
    >>> centers = rng.normal(size=(4, 8))
    >>> features = {
    ...     m: (centers[labels] + 0.1 * rng.normal(size=(40, 8)), labels)
    ...     for m in ("natural", "sketch")}
    >>> out = retrieval.cross_modal_retrieval(features, protocol="full")
    >>> round(out["pairs"][("natural", "sketch")]["map"], 3)
    1.0
    >>> round(out["mean"]["chance_pr_at_k"], 3)
    0.25
    """
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"`protocol` must be one of {list(PROTOCOLS)}. "
            f"Received: protocol={protocol!r}"
        )
    num_queries = _checks.check_positive_int(num_queries, "num_queries")
    features = _checks.check_features(features)
    if classes is not None:
        classes = sorted({int(c) for c in classes})
        features = _checks.keep_classes(features, classes)
    query_indices = {
        m: _draw_queries(labels.shape[0], protocol, num_queries, seed, m)
        for m, (_, labels) in features.items()
    }
    per_query_metrics = _per_query_metrics(
        features,
        query_indices,
        full=protocol == "full",
        k=k,
        within_modal=within_modal,
        chunk_size=chunk_size,
    )
    pairs = {
        p: _summarize(v) for p, v in per_query_metrics.items() if p[0] != p[1]
    }
    within = {
        p: _summarize(v) for p, v in per_query_metrics.items() if p[0] == p[1]
    }
    result = {
        "protocol": protocol,
        "k": k,
        "classes": classes,
        "modalities": list(features),
        "pairs": pairs,
        "within": within,
        "mean": _mean_over(pairs),
        "within_mean": _mean_over(within),
    }
    if per_query:
        result["per_query"] = {
            pair: {
                "average_precision": v["average_precision"],
                "chance_average_precision": _chance(v),
            }
            for pair, v in per_query_metrics.items()
        }
    return result


def _per_query_metrics(
    features, query_indices, *, full, k, within_modal, chunk_size
):
    """`{(query modality, target modality): per-query metrics}`.

    Each modality's inverse norms are computed once, and one ranker serves
    every pair, so that a pair's ranking overlaps the next pair's matmul.
    """
    inverse_norms = {
        m: _checks.inverse_norms(embeddings)
        for m, (embeddings, _) in features.items()
    }
    per_query = {}
    with average_precision._BlockRanker() as ranker:
        for query_modality, (q_embeddings, q_labels) in features.items():
            index = query_indices[query_modality]
            queries = q_embeddings if full else q_embeddings[index]
            for target_modality, (targets, t_labels) in features.items():
                is_within = query_modality == target_modality
                if is_within and not within_modal:
                    continue
                per_query[(query_modality, target_modality)] = (
                    average_precision._query_metrics(
                        queries,
                        q_labels[index],
                        targets,
                        t_labels,
                        k=k,
                        self_indices=index if is_within else None,
                        chunk_size=chunk_size,
                        inverse_norms=(
                            inverse_norms[query_modality][index],
                            inverse_norms[target_modality],
                        ),
                        ranker=ranker,
                    )
                )
    return per_query


def _draw_queries(num_items, protocol, num_queries, seed, modality):
    """Query indices, sorted: all items, or a seeded draw without repeats."""
    if protocol == "full" or num_items <= num_queries:
        return np.arange(num_items)
    position = modalities.ALL_MODALITIES.index(modality)
    rng = np.random.default_rng([seed, position])
    return np.sort(rng.choice(num_items, size=num_queries, replace=False))


def _chance(per_query):
    """Each query's chance AP, NaN for a query without relevant targets."""
    return average_precision.chance_average_precision(
        per_query["num_relevant"], per_query["num_targets"]
    )


def _summarize(per_query):
    """Means over queries with at least one relevant target."""
    valid = per_query["num_relevant"] > 0
    chance_map = _chance(per_query)[valid]
    chance_pr = (
        per_query["num_relevant"][valid] / per_query["num_targets"][valid]
    )
    return {
        "map": _mean(per_query["average_precision"][valid]),
        "pr_at_k": _mean(per_query["precision_at_k"][valid]),
        "chance_map": _mean(chance_map),
        "chance_pr_at_k": _mean(chance_pr),
        "num_queries": int(valid.sum()),
        "num_targets": int(per_query["num_targets"][0]),
        "num_skipped": int((~valid).sum()),
    }


def _mean_over(results):
    """Unweighted mean of each metric over pairs (NaN when there are none)."""
    keys = ("map", "pr_at_k", "chance_map", "chance_pr_at_k")
    return {
        key: _mean(np.array([r[key] for r in results.values()])) for key in keys
    }


def _mean(values):
    """Float mean, NaN for an empty array (no warning)."""
    return float(np.mean(values)) if len(values) else float("nan")
