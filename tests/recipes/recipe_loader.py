"""Loads a recipe script as a fresh module, as `python recipes/<name>.py`
would run it (its `main`, flags and helpers callable from a test)."""

import importlib.util
import pathlib

RECIPES = pathlib.Path(__file__).parents[2] / "recipes"


def load_recipe(name):
    """A new module of `recipes/<name>.py` (globals not shared with other
    loads, so `import_library` state does not leak between tests)."""
    spec = importlib.util.spec_from_file_location(name, RECIPES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
