"""Paired retrieval: the rank of each query's true match, and median rank.

Implements See-Hear-Read Tables 1-2: item `i` of the query modality and
item `i` of the target modality are a pair; a query ranks the targets of
its split by cosine similarity, and the median over queries of the true
pair's rank is averaged over random splits ("five splits of 1,000").
"""

import numpy as np

from cm_zoo.evaluation import _checks


def paired_ranks(query_embeddings, target_embeddings, *, chunk_size=1024):
    """1-based rank of target `i` among all targets, for every query `i`.

    The rank counts the targets at least as similar as the true match
    (itself included), so ties count against the query (pessimistic).

    Args:
        query_embeddings: float array `[N, D]`.
        target_embeddings: float array `[N, D]`, row `i` paired with query
            row `i`.
        chunk_size: int. Queries per similarity block. Defaults to `1024`.

    Returns:
        An int64 array `[N]` with values in `[1, N]`.

    Raises:
        ValueError: if the arrays are not `[N, D]` with equal `N` and `D`.

    Example:
    >>> from cm_zoo.evaluation import median_rank
    >>> t = np.array([[1., 0., 0.], [0., .2, 1.], [0., 1., .3]])
    >>> median_rank.paired_ranks(np.eye(3), t)
    array([1, 2, 2])
    """
    chunk_size = _checks.check_positive_int(chunk_size, "chunk_size")
    queries, _ = _checks.check_embeddings(query_embeddings, None, "query")
    targets, _ = _checks.check_embeddings(target_embeddings, None, "target")
    _checks.check_same_dim({"query": queries, "target": targets}, "pairs")
    if queries.shape[0] != targets.shape[0]:
        raise ValueError(
            "Paired retrieval needs as many queries as targets. Received "
            f"{queries.shape[0]} queries and {targets.shape[0]} targets"
        )
    ranks = np.empty(queries.shape[0], dtype=np.int64)
    for start, stop, cosine in _checks.cosine_chunks(
        queries, targets, chunk_size
    ):
        rows = np.arange(stop - start)
        true_score = cosine[rows, np.arange(start, stop)]  # [n]
        ranks[start:stop] = np.count_nonzero(
            cosine >= true_score[:, None], axis=1
        )
    return ranks


def average_median_rank(
    query_embeddings,
    target_embeddings,
    *,
    num_splits=5,
    split_size=1000,
    seed=0,
    chunk_size=1024,
):
    """Average over random disjoint splits of the median paired rank.

    The `N` pairs are permuted (seeded) and cut into `num_splits` disjoint
    splits of `split_size`; within each, every query ranks the split's
    targets (`paired_ranks`) and the median rank is taken (`np.median`, so
    an even split may give `x.5`). If `N < num_splits * split_size`, only
    `N // split_size` splits are used, and a single split of all `N` pairs
    if `N < split_size`. A random ranking scores `(split_size + 1) / 2`,
    returned as `"chance"`.

    Args:
        query_embeddings: float array `[N, D]`.
        target_embeddings: float array `[N, D]`, paired row by row.
        num_splits: int. Defaults to `5`.
        split_size: int. Pairs per split. Defaults to `1000`.
        seed: int. Seeds the permutation. Defaults to `0`.
        chunk_size: int. Queries per similarity block. Defaults to `1024`.

    Returns:
        A dict: `"median_rank"` (float, mean over splits), `"split_medians"`
        (list of floats), `"num_splits"` and `"split_size"` (ints actually
        used) and `"chance"` (float).

    Raises:
        ValueError: on mismatched shapes or non-positive counts.

    Example:
    >>> from cm_zoo.evaluation import median_rank
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 8))
    >>> out = median_rank.average_median_rank(x, x, num_splits=3, split_size=20)
    >>> out["median_rank"], out["num_splits"], out["chance"]
    (1.0, 3, 10.5)
    """
    num_splits = _checks.check_positive_int(num_splits, "num_splits")
    split_size = _checks.check_positive_int(split_size, "split_size")
    num_pairs = np.shape(query_embeddings)[0]
    if num_pairs < split_size:
        num_splits, split_size = 1, num_pairs
    else:
        num_splits = min(num_splits, num_pairs // split_size)
    order = np.random.default_rng(seed).permutation(num_pairs)
    query_embeddings = np.asarray(query_embeddings)
    target_embeddings = np.asarray(target_embeddings)
    medians = []
    for split in range(num_splits):
        index = order[split * split_size : (split + 1) * split_size]
        ranks = paired_ranks(
            query_embeddings[index],
            target_embeddings[index],
            chunk_size=chunk_size,
        )
        medians.append(float(np.median(ranks)))
    return {
        "median_rank": float(np.mean(medians)),
        "split_medians": medians,
        "num_splits": num_splits,
        "split_size": split_size,
        "chance": (split_size + 1) / 2,
    }


def cross_modal_median_rank(embeddings, *, pairs=None, **kwargs):
    """`average_median_rank` for every ordered pair of row-aligned modalities.

    Every pair uses the same splits (same `seed`), so results are
    comparable across pairs.

    Args:
        embeddings: dict `{modality: float array [N, D]}`, row `i` of every
            modality being one paired item (a video's frame, sound, text).
        pairs: optional list of `(query, target)` modality tuples. Defaults
            to every ordered pair of distinct modalities.
        **kwargs: forwarded to `average_median_rank` (`num_splits`,
            `split_size`, `seed`, `chunk_size`).

    Returns:
        A dict `{(query, target): average_median_rank result}`.

    Raises:
        ValueError: if `embeddings` is not a non-empty dict or a pair names
            a modality missing from it.

    Example:
    >>> from cm_zoo.evaluation import median_rank
    >>> x = np.random.default_rng(0).normal(size=(30, 4))
    >>> out = median_rank.cross_modal_median_rank(
    ...     {"natural": x, "sound": x}, split_size=10)
    >>> sorted(out), out[("sound", "natural")]["median_rank"]
    ([('natural', 'sound'), ('sound', 'natural')], 1.0)
    """
    if not isinstance(embeddings, dict) or not embeddings:
        raise ValueError(
            "`embeddings` must be a non-empty dict {modality: [N, D] array}. "
            f"Received: {type(embeddings).__name__}"
        )
    if pairs is None:
        pairs = [(q, t) for q in embeddings for t in embeddings if q != t]
    results = {}
    for query, target in pairs:
        for modality in (query, target):
            if modality not in embeddings:
                raise ValueError(
                    f"Pair {(query, target)!r} names {modality!r}, which is "
                    f"not in `embeddings`. Found: {list(embeddings)}"
                )
        results[(query, target)] = average_median_rank(
            embeddings[query], embeddings[target], **kwargs
        )
    return results
