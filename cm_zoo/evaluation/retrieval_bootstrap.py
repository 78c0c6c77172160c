"""Bootstrap confidence intervals of cross-modal retrieval mAP."""

import numpy as np

from cm_zoo.evaluation import _checks

# Bootstrap samples drawn at a time (bounds the index arrays' memory).
_BLOCK = 100


def retrieval_interval(retrieval, *, resamples=1000, confidence=0.95, seed=0):
    """Percentile bootstrap interval of the mean cross-modal mAP.

    The resampled unit is the query item. Each bootstrap sample draws, for
    every query modality, as many of its queries as there are, with
    replacement, one draw shared by every pair that modality queries (an
    item that is drawn twice counts twice in all of them). Each cross-modal
    pair's mAP and chance mAP are recomputed over the drawn queries (those
    without relevant targets left out, as in the point estimate), averaged
    over pairs, and their ratio taken. The targets stay as they are, so the
    interval says how much the score depends on which items were asked,
    for this gallery.

    Args:
        retrieval: dict. A `cross_modal_retrieval` result computed with
            `per_query=True`.
        resamples: int. Bootstrap samples. Defaults to `1000`.
        confidence: float in (0, 1). Coverage of the interval. Defaults
            to `0.95`.
        seed: int. Seeds the draws. Defaults to `0`.

    Returns:
        `{"map": [low, high], "times_chance": [low, high], "confidence",
        "resamples"}`: the percentile intervals of the mean mAP over
        cross-modal pairs and of its multiple of the mean chance mAP.

    Raises:
        ValueError: if `retrieval` holds no per-query results or no
            cross-modal pair, or on a bad `resamples` or `confidence`.

    Example:
    >>> from cm_zoo.evaluation import cross_modal_retrieval
    >>> from cm_zoo.evaluation import retrieval_interval
    >>> rng = np.random.default_rng(0)
    >>> labels = np.arange(60) % 6
    >>> features = {
    ...     m: (np.eye(6)[labels] + rng.normal(size=(60, 6)), labels)
    ...     for m in ("clipart", "sketch")}
    >>> out = cross_modal_retrieval(
    ...     features, protocol="full", per_query=True)
    >>> interval = retrieval_interval(out)
    >>> low, high = interval["map"]
    >>> bool(low < out["mean"]["map"] < high), interval["confidence"]
    (True, 0.95)
    """
    per_query = retrieval.get("per_query")
    if per_query is None:
        raise ValueError(
            "`retrieval` holds no per-query results: compute it with "
            "`cross_modal_retrieval(..., per_query=True)`."
        )
    pairs = [pair for pair in per_query if pair[0] != pair[1]]
    if not pairs:
        raise ValueError(
            "`retrieval` has no cross-modal pair to resample. "
            f"Received pairs: {list(per_query)}"
        )
    resamples = _checks.check_positive_int(resamples, "resamples")
    if resamples < 2:
        raise ValueError(f"`resamples` must be >= 2. Received: {resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"`confidence` must be in (0, 1). Received: {confidence!r}"
        )
    rng = np.random.default_rng(seed)
    maps, chances = [], []
    for start in range(0, resamples, _BLOCK):
        size = min(_BLOCK, resamples - start)
        draws = {}
        block_map, block_chance = np.zeros(size), np.zeros(size)
        for query, target in pairs:
            scores = per_query[(query, target)]
            num_queries = len(scores["average_precision"])
            if query not in draws:
                draws[query] = rng.integers(0, num_queries, (size, num_queries))
            block_map += _mean_rows(scores["average_precision"][draws[query]])
            block_chance += _mean_rows(
                scores["chance_average_precision"][draws[query]]
            )
        maps.append(block_map / len(pairs))
        chances.append(block_chance / len(pairs))
    maps, chances = np.concatenate(maps), np.concatenate(chances)
    tails = [50.0 * (1.0 - confidence), 50.0 * (1.0 + confidence)]
    return {
        "map": np.percentile(maps, tails).tolist(),
        "times_chance": np.percentile(maps / chances, tails).tolist(),
        "confidence": float(confidence),
        "resamples": resamples,
    }


def _mean_rows(values):
    """Row means over non-NaN entries; NaN for a row that has none."""
    valid = ~np.isnan(values)
    counts = valid.sum(axis=1)
    sums = np.where(valid, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts
