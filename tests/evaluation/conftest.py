"""Runs the evaluation tests single-threaded.

Their arrays are tiny, and on a busy machine spinning BLAS/OpenMP workers
turn millisecond matmuls and a 1 s t-SNE into tens of seconds.
"""

import pytest
import threadpoolctl


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpoolctl.threadpool_limits(limits=1):
        yield
