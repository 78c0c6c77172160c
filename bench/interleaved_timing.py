"""Time per call of several functions, measured side by side.

Shared by the bench scripts: repetitions of the functions alternate their
order block by block, so a slow spell on a shared machine hits all of them.
"""

import math
import statistics
import time

import numpy as np


def interleaved_times(functions, repeats, inner):
    """Seconds per call of each function in each block, blocks alternating.

    Args:
        functions: dict `{name: zero-argument callable}`.
        repeats: int. Timed blocks per function.
        inner: int, or dict `{name: int}` (see `calls_per_block`). Calls
            per block.

    Returns:
        dict `{name: [seconds per call in block 0, 1, ...]}`; block `i` of
        every function ran in the same repeat, next to each other.
    """
    if not isinstance(inner, dict):
        inner = dict.fromkeys(functions, inner)
    times = {name: [] for name in functions}
    order = list(functions)
    for repeat in range(repeats):
        for name in order if repeat % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            for _ in range(inner[name]):
                functions[name]()
            times[name].append((time.perf_counter() - start) / inner[name])
    return times


def interleaved_medians(functions, repeats, inner):
    """Median seconds per call of each function (`interleaved_times`)."""
    times = interleaved_times(functions, repeats, inner)
    return {name: statistics.median(v) for name, v in times.items()}


def median_ratio_interval(numerator, denominator, confidence=0.95, seed=0):
    """Percentile bootstrap interval of `median(num) / median(den)`.

    `numerator`/`denominator` are the per-block times of two functions
    from one `interleaved_times` run; repeats are resampled jointly, so a
    slow spell stays paired as it was measured.

    Returns:
        `(low, high)`.
    """
    numerator, denominator = np.asarray(numerator), np.asarray(denominator)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(numerator), (2000, len(numerator)))
    ratios = np.median(numerator[draws], axis=1) / np.median(
        denominator[draws], axis=1
    )
    tail = 50.0 * (1.0 - confidence)
    low, high = np.percentile(ratios, [tail, 100.0 - tail])
    return float(low), float(high)


def calls_per_block(functions, min_seconds):
    """`{name: calls}` so that a block of each function lasts `min_seconds`.

    Times one call of each (already warm) function. Sub-millisecond calls
    timed a few at a time measure the scheduler more than the function.
    """
    calls = {}
    for name, function in functions.items():
        start = time.perf_counter()
        function()
        seconds = time.perf_counter() - start
        calls[name] = max(1, math.ceil(min_seconds / max(seconds, 1e-6)))
    return calls
