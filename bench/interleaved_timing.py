"""Median time per call of several functions, measured side by side.

Shared by the bench scripts: repetitions of the functions alternate their
order block by block, so a slow spell on a shared machine hits all of them.
"""

import math
import statistics
import time


def interleaved_medians(functions, repeats, inner):
    """Median seconds per call of each function, blocks alternating order.

    Args:
        functions: dict `{name: zero-argument callable}`.
        repeats: int. Timed blocks per function.
        inner: int, or dict `{name: int}` (see `calls_per_block`). Calls
            per block.

    Returns:
        dict `{name: median seconds per call}`.
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
    return {name: statistics.median(v) for name, v in times.items()}


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
