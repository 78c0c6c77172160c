"""Per-query class-level average precision and precision@k, chunked.

Targets are ranked by cosine similarity, computed in float32 one chunk of
queries at a time, so memory is `O(chunk_size * num_targets)` and never
`num_queries * num_targets`.

Ranking trick: each negated float32 cosine (clipped to [-1, 1]) is mapped
to an order-preserving int32 and shifted left by one bit; the freed low bit
holds "is relevant". One `np.sort` per row (faster than `argsort`) then yields
the relevance sequence in rank order, from which AP and precision@k follow
with `flatnonzero`/`bincount` and no per-row Python loop. The rows of each
chunk are ranked on one thread per core (NumPy releases the GIL), as BLAS
already splits the similarity matmul, while the next chunk's matmul runs
(two chunks alive at most).

Ties: targets with exactly equal similarity are ordered irrelevant-first
(pessimistic). `sklearn.metrics.average_precision_score` instead treats a
tie as a single threshold; the two agree whenever scores are distinct,
which is the case with probability 1 for continuous embeddings.
"""

import contextlib
import os
from concurrent import futures

import numpy as np

from cm_zoo.evaluation import _checks

# Above every encoded key; even, so it reads as "irrelevant".
_EXCLUDED_KEY = np.iinfo(np.int32).max - 1


def query_average_precision(
    query_embeddings,
    query_labels,
    target_embeddings,
    target_labels,
    *,
    k=10,
    self_indices=None,
    chunk_size=1024,
):
    """Ranks the targets for every query; returns per-query AP and PR@k.

    A target is relevant to a query when their labels are equal. AP is
    `mean over relevant targets of precision at that target's rank`; it is
    NaN for a query with no relevant target. Precision@k is the fraction of
    relevant targets among the `k` best ranked.

    Args:
        query_embeddings: float array `[num_queries, dim]`.
        query_labels: int array `[num_queries]`.
        target_embeddings: float array `[num_targets, dim]`.
        target_labels: int array `[num_targets]`.
        k: int. Cut-off for precision@k. Defaults to `10`.
        self_indices: optional int array `[num_queries]`. Index, among the
            targets, of the query itself, which is then left out of the
            ranking (within-modal retrieval). Defaults to `None`.
        chunk_size: int. Queries per similarity block. Defaults to `1024`.

    Returns:
        A dict of float64/int64 arrays of length `num_queries`:
        `"average_precision"`, `"precision_at_k"`, `"num_relevant"` and
        `"num_targets"` (targets ranked for that query).

    Raises:
        ValueError: if shapes disagree or fewer than `k` targets are ranked.

    Example:
    >>> from cm_zoo.evaluation import average_precision
    >>> q = np.array([[1., 0.], [0., 1.]])
    >>> t = np.array([[1., .1], [.1, 1.], [1., .2]])
    >>> out = average_precision.query_average_precision(
    ...     q, [0, 1], t, [0, 1, 0], k=2)
    >>> out["average_precision"], out["precision_at_k"]
    (array([1., 1.]), array([1. , 0.5]))
    """
    k = _checks.check_positive_int(k, "k")
    chunk_size = _checks.check_positive_int(chunk_size, "chunk_size")
    queries, q_labels = _checks.check_embeddings(
        query_embeddings, query_labels, "query"
    )
    targets, t_labels = _checks.check_embeddings(
        target_embeddings, target_labels, "target"
    )
    _checks.check_same_dim(
        {"query": queries, "target": targets}, "query/target"
    )
    return _query_metrics(
        queries,
        q_labels,
        targets,
        t_labels,
        k=k,
        self_indices=self_indices,
        chunk_size=chunk_size,
    )


def _query_metrics(
    queries,
    q_labels,
    targets,
    t_labels,
    *,
    k,
    self_indices,
    chunk_size,
    inverse_norms=None,
    ranker=None,
):
    """`query_average_precision` on already checked arrays.

    `queries`/`targets` are C-contiguous float32 `[n, D]`/`[N, D]`, labels
    int64, `k`/`chunk_size` positive ints; `cross_modal_retrieval` calls it
    directly, so its features are checked once rather than once per pair.
    `inverse_norms`: optional `(queries', targets')` `_checks.inverse_norms`,
    computed once per modality by the caller. With a `ranker` (a
    `_BlockRanker` of the caller), the returned arrays are filled when the
    ranker is drained; without one they are complete on return.
    """
    num_queries, num_targets = queries.shape[0], targets.shape[0]
    if self_indices is not None:
        self_indices = np.asarray(self_indices, dtype=np.int64)
        if self_indices.shape != (num_queries,) or (
            num_queries
            and (self_indices.min() < 0 or self_indices.max() >= num_targets)
        ):
            raise ValueError(
                f"`self_indices` must be {num_queries} target indices in "
                f"[0, {num_targets}). Received shape {self_indices.shape}"
            )
    ranked = num_targets - (self_indices is not None)
    if ranked < k:
        raise ValueError(
            f"Precision@k needs at least k={k} targets per query. "
            f"Found {ranked}"
        )
    if inverse_norms is None:
        inverse_norms = tuple(map(_checks.inverse_norms, (queries, targets)))
    out = {
        "average_precision": np.empty(num_queries),
        "precision_at_k": np.empty(num_queries),
        "num_relevant": np.empty(num_queries, dtype=np.int64),
        "num_targets": np.full(num_queries, ranked, dtype=np.int64),
    }
    inv_q, inv_t = inverse_norms
    with (
        _BlockRanker()
        if ranker is None
        else contextlib.nullcontext(ranker) as active
    ):
        for start in range(0, num_queries, chunk_size):
            rows = slice(start, min(start + chunk_size, num_queries))
            products = active.block(rows.stop - rows.start, num_targets)
            np.matmul(queries[rows], targets.T, out=products)  # [n, N]
            active.rank(
                out,
                rows,
                products,
                (inv_q[rows], inv_t),
                (q_labels[rows], t_labels),
                None if self_indices is None else self_indices[rows],
                k,
            )
    return out


class _BlockRanker:
    """Ranks similarity blocks on worker threads, one block behind.

    `rank` first finishes the block before (ranked while the caller
    computed this one), then hands this block of dot products to one thread
    per core (its rows split between them; NumPy's sort and ufuncs release
    the GIL) and returns at once, so that the caller's next BLAS matmul
    runs during the ranking instead of BLAS's threads spinning through it.
    Finishing first keeps the caller's Python work out of the workers' way
    (the GIL) and at most two blocks alive, in the two buffers that `block`
    hands out in turn. Used as a context manager: leaving it finishes the
    last block.
    """

    def __init__(self):
        self._workers = os.cpu_count() or 1
        self._pool = futures.ThreadPoolExecutor(self._workers)
        self._pending = None  # (out, rows, futures) of the last block
        # Two flat buffers, used in turn: one may hold the pending block.
        self._buffers = [np.empty(0, np.float32) for _ in range(2)]
        self._next_buffer = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        try:
            if exc_type is None:
                self._finish_pending()
        finally:
            self._pool.shutdown(cancel_futures=True)

    def block(self, num_rows, num_targets):
        """A float32 `[num_rows, num_targets]` array for the next block.

        The two buffers are reused in turn, so the caller must `rank` each
        block before asking for the next one: the buffer handed out then
        is the block before last's, which that `rank` finished. Reusing
        them spares a fresh allocation (and its page faults) per block.
        """
        size = num_rows * num_targets
        index = self._next_buffer
        if self._buffers[index].size < size:
            self._buffers[index] = np.empty(size, np.float32)
        self._next_buffer = 1 - index
        return self._buffers[index][:size].reshape(num_rows, num_targets)

    def rank(self, out, rows, products, inverse_norms, labels, exclude, k):
        """Ranks `products` `[n, N]` into `out[...][rows]` (in the background).

        `inverse_norms`/`labels`: `(queries', targets')` of the block;
        `exclude`: `[n]` column to drop per row, or None.
        """
        self._finish_pending()  # the block before: done by now
        bounds = np.linspace(0, products.shape[0], self._workers + 1)
        bounds = bounds.astype(int)
        parts = [
            self._pool.submit(
                _chunk_metrics,
                products[a:b],
                (inverse_norms[0][a:b], inverse_norms[1]),
                labels[0][a:b],
                labels[1],
                None if exclude is None else exclude[a:b],
                k,
            )
            for a, b in zip(bounds[:-1], bounds[1:])
            if b > a
        ]
        self._pending = (out, rows, parts)

    def _finish_pending(self):
        if self._pending is None:
            return
        out, rows, parts = self._pending
        self._pending = None
        keys = ("average_precision", "precision_at_k", "num_relevant")
        results = zip(*(part.result() for part in parts))
        for key, values in zip(keys, results, strict=True):
            out[key][rows] = np.concatenate(values)


def _chunk_metrics(products, inverse_norms, q_labels, t_labels, exclude, k):
    """AP, precision@k and relevant counts for one block. Overwrites `products`.

    Args:
        products: float32 `[n, N]` dot products, C-contiguous rows, consumed
            as scratch (first scaled to cosines).
        inverse_norms: `(queries' [n], targets' [N])` inverse norms.
        q_labels: int `[n]`.
        t_labels: int `[N]`.
        exclude: int `[n]` or None. Column to drop from each row's ranking.
        k: int.
    """
    n = products.shape[0]
    cosine = _checks.scale_to_cosine(products, *inverse_norms)
    np.clip(cosine, -1.0, 1.0, out=cosine)
    # Negate so that the best target sorts first; -0.0 + 0.0 is +0.0.
    np.negative(cosine, out=cosine)
    cosine += np.float32(0.0)
    keys = cosine.view(np.int32)  # [n, N], same buffer
    # Negative floats order backwards as ints: flip their magnitude bits.
    scratch = np.right_shift(keys, 31)  # [n, N] int32, filled in place
    scratch &= np.int32(0x7FFFFFFF)
    keys ^= scratch
    # |cosine| <= 1 keeps bit 30 clear, so the shift cannot overflow.
    keys <<= 1
    # Ties: the irrelevant (even) key sorts first. The relevance bit is
    # written as int32 into the scratch, not cast from a bool array.
    np.equal(
        q_labels[:, None], t_labels[None, :], out=scratch, casting="unsafe"
    )
    keys |= scratch
    if exclude is not None:
        keys[np.arange(n), exclude] = _EXCLUDED_KEY
    keys.sort(axis=1)  # ascending: best target first
    keys &= 1
    # Relevant hits, row-major: `flatnonzero` of a bool array is ~10x
    # faster than a 2-D `nonzero` of the int keys.
    hits = np.flatnonzero(keys.astype(np.bool_))
    rows, cols = np.divmod(hits, keys.shape[1])
    num_relevant = np.bincount(rows, minlength=n)  # [n]
    starts = np.cumsum(num_relevant) - num_relevant  # [n]
    # 1-based rank, and hits ranked at or above each hit.
    rank = cols + 1
    hits_above = np.arange(1, rows.shape[0] + 1) - starts[rows]
    ap_sum = np.bincount(rows, weights=hits_above / rank, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = ap_sum / num_relevant
    top_hits = np.bincount(rows, weights=rank <= k, minlength=n)
    return ap, top_hits / k, num_relevant


def chance_average_precision(num_relevant, num_targets):
    """Exact expected AP of a uniformly random ranking.

    With `R` relevant among `N` targets, a hit at rank `k` has probability
    `R / N` and `1 + (k - 1)(R - 1)/(N - 1)` expected hits at or above it,
    which sums to `E[AP] = (H_N + (R - 1)(N - H_N)/(N - 1)) / N`, `H_N`
    being the N-th harmonic number. It exceeds the naive `R / N`, markedly
    so for small `R`. NaN where `R == 0`.

    Args:
        num_relevant: int array-like `R`.
        num_targets: int array-like `N`, broadcastable with `R`, `N >= R`.

    Returns:
        A float64 array of expected APs.

    Raises:
        ValueError: if `R > N`, `R < 0` or `N < 1`.

    Example:
    >>> from cm_zoo.evaluation import average_precision
    >>> average_precision.chance_average_precision([1, 2], [2, 2])
    array([0.75, 1.  ])
    """
    r, n = np.broadcast_arrays(
        np.asarray(num_relevant, dtype=np.float64),
        np.asarray(num_targets, dtype=np.float64),
    )
    if np.any(n < 1) or np.any(r < 0) or np.any(r > n):
        raise ValueError(
            "Expected 0 <= num_relevant <= num_targets and num_targets >= 1. "
            f"Received num_relevant={num_relevant!r:.60}, "
            f"num_targets={num_targets!r:.60}"
        )
    harmonic = _harmonic(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(n > 1, (r - 1.0) / (n - 1.0), 0.0)
        expected = (harmonic + slope * (n - harmonic)) / n
    return np.where(r > 0, expected, np.nan)


def _harmonic(n):
    """H_n for float arrays of positive integers, exact below 10^4."""
    n = np.asarray(n, dtype=np.float64)
    table_size = 10_000
    table = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, table_size))])
    small = np.minimum(n, table_size - 1).astype(np.int64)
    # Asymptotic expansion, error < 1e-17 for n >= 10^4.
    euler_gamma = 0.5772156649015329
    with np.errstate(divide="ignore"):
        large = np.log(n) + euler_gamma + 1.0 / (2.0 * n) - 1.0 / (12.0 * n**2)
    return np.where(n < table_size, table[small], large)
