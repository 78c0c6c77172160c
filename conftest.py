"""Pytest set-up shared by tests and doctests: CPU-only, quiet TF, doctest names."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    import cm_zoo

    doctest_namespace["np"] = np
    doctest_namespace["cm_zoo"] = cm_zoo
