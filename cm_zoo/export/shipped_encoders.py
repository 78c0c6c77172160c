"""Exported models by name: `<dir>/<name>/` on a search path.

The repository ships trained encoders in `saved_models/<name>/` (see the
README's export section). `load_encoder("cmplaces_method_c", "sketch")`
finds them here: a name is looked up in each directory of a search path,
by default only the repository's `saved_models/`; pass `search_path` to
look elsewhere (e.g. a directory of your own exports). Paths work too.

Example:
>>> from cm_zoo.export import shipped_encoders
>>> sorted(shipped_encoders.available_models())
['cmplaces_method_c', 'see_hear_read_both']
"""

import pathlib

from cm_zoo.export import manifest as manifest_lib

# The repository's directory of shipped exports, beside the package.
SHIPPED_DIR = pathlib.Path(__file__).resolve().parents[2] / "saved_models"


def default_search_path():
    """Returns `(SHIPPED_DIR,)`: where model names are looked up."""
    return (SHIPPED_DIR,)


def available_models(search_path=None):
    """Returns `{name: model_dir}` of every export on the search path.

    An export is a directory holding `manifest.json`. Where two search
    directories hold the same name, the earlier one wins.

    Args:
        search_path: list of paths. Directories to look in. Defaults to
            `default_search_path()`.
    """
    found = {}
    for directory in _search_path(search_path):
        if not directory.is_dir():
            continue
        for model_dir in sorted(directory.iterdir()):
            if (model_dir / manifest_lib.MANIFEST_NAME).is_file():
                found.setdefault(model_dir.name, model_dir)
    return found


def encoder_dir(name_or_path, modality=None, search_path=None):
    """Resolves a `load_encoder` argument to a modality's SavedModel dir.

    Args:
        name_or_path: str or path. `<model_dir>/<modality>` (with
            `modality=None`), a `<model_dir>`, or a model name looked up on
            the search path.
        modality: str or None. The modality, when `name_or_path` names a
            model rather than one of its encoders.
        search_path: list of paths. See `available_models`.

    Raises:
        ValueError: if no such directory or model exists; the message
            lists the models available on the search path.
    """
    path = pathlib.Path(name_or_path)
    if modality is None:
        if path.is_dir():
            return path
        raise ValueError(
            f"No exported encoder directory at {str(path)!r}: expected "
            "<export_dir>/<model_name>/<modality>, or a model name and a "
            "modality, e.g. load_encoder('cmplaces_method_c', 'sketch')."
            f"{_listing(search_path)}"
        )
    if (path / manifest_lib.MANIFEST_NAME).is_file():
        return path / modality
    models = available_models(search_path)
    if len(path.parts) == 1 and str(path) in models:
        return models[str(path)] / modality
    raise ValueError(
        f"No exported model {str(name_or_path)!r}: it is neither a "
        f"directory holding {manifest_lib.MANIFEST_NAME} nor a model name "
        f"on the search path.{_listing(search_path)}"
    )


def _search_path(search_path):
    if search_path is None:
        search_path = default_search_path()
    if isinstance(search_path, (str, pathlib.Path)):
        search_path = [search_path]
    return [pathlib.Path(directory) for directory in search_path]


def _listing(search_path):
    directories = [str(d) for d in _search_path(search_path)]
    return (
        f" Available on the search path {directories}: "
        f"{sorted(available_models(search_path))}."
    )
