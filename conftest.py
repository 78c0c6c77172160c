"""Pytest set-up of tests and doctests: CPU only, quiet TF, doctest names."""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# Recipes import their sibling `recipe_arguments` as scripts do; tests of
# any directory may run a recipe (tests/recipes/, tests/export/).
RECIPES = pathlib.Path(__file__).parent / "recipes"
if str(RECIPES) not in sys.path:
    sys.path.insert(0, str(RECIPES))


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    import cm_zoo

    doctest_namespace["np"] = np
    doctest_namespace["cm_zoo"] = cm_zoo
