"""Median time per call of several functions, measured side by side.

Shared by the bench scripts: repetitions of the functions alternate their
order block by block, so a slow spell on a shared machine hits all of them.
"""

import statistics
import time


def interleaved_medians(functions, repeats, inner):
    """Median seconds per call of each function, blocks alternating order.

    Args:
        functions: dict `{name: zero-argument callable}`.
        repeats: int. Timed blocks per function.
        inner: int. Calls per block.

    Returns:
        dict `{name: median seconds per call}`.
    """
    times = {name: [] for name in functions}
    order = list(functions)
    for repeat in range(repeats):
        for name in order if repeat % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            for _ in range(inner):
                functions[name]()
            times[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(v) for name, v in times.items()}
