"""A teacher's label space other than the benchmark's categories.

See, Hear, and Read's teacher predicts ImageNet's (or Places') classes,
not the 42 categories its classifier transfer is scored on. The clip-art
benchmark's stand-in: the openclipart sub-folder of each source-pool
drawing (`animals/mammals/big_cats`, `signs_and_symbols/flags/africa`,
`recreation/games/cards/ornamental`, ...), read from the manifest's
`source` path. Folders too small to learn join their parent folder, so
some classes cut a category finer (flags by region, playing cards by
style, people and stick men) and some join two (`tools` holds tools and
weapons).
"""

import collections
import posixpath

import numpy as np

from cm_zoo.data.clipart_benchmark import SOURCE_ROLE
from cm_zoo.data.clipart_benchmark import SOURCE_SPLITS


def folder_classes(bench, min_items=10):
    """The teacher's classes: source-pool folders with enough drawings.

    Folders are taken deepest first; one with fewer than `min_items`
    train drawings of the source pool (its merged sub-folders included)
    hands them to its parent folder. A top-level folder left with fewer
    is no class: its drawings stay out of the teacher's data.

    Args:
        bench: `ClipartBenchmark`.
        min_items: int. Train drawings a class needs. Defaults to `10`.

    Returns:
        dict `{folder: class folder}` for every folder of the pool (train
        and val), a class folder being a sorted class name; folders whose
        drawings are left out map to `None`.

    Raises:
        ValueError: for a `min_items` below 1.

    Example:
    >>> from cm_zoo.data import teacher_labels
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> classes = teacher_labels.folder_classes(bench)
    >>> classes["animals/mammals/big_cats"], classes["tools/weapons"]
    ('animals/mammals', 'tools')
    """
    if isinstance(min_items, bool) or not int(min_items) >= 1:
        raise ValueError(
            f"`min_items` must be a positive int. Received: "
            f"min_items={min_items!r}"
        )
    counts = collections.Counter(
        posixpath.dirname(item["source"])
        for item in _pool_items(bench, ("train",))
    )
    folders = {posixpath.dirname(i["source"]) for i in _pool_items(bench)}
    for folder in list(folders):
        while "/" in folder:
            folder = posixpath.dirname(folder)
            folders.add(folder)
    owner = {}
    for folder in sorted(folders, key=lambda f: (-f.count("/"), f)):
        if counts[folder] >= min_items:
            owner[folder] = folder
        elif "/" in folder:
            parent = posixpath.dirname(folder)
            counts[parent] += counts[folder]
            owner[folder] = parent
        else:
            owner[folder] = None
    return {folder: _resolve(owner, folder) for folder in folders}


def folder_labels(bench, split="train", views=1, min_items=10):
    """Folder class labels of `bench.source_pool(split, views)`'s rows.

    Row order follows the pool's: drawing `i`'s `views` renders take rows
    `i * views` to `i * views + views - 1`.

    Args:
        bench: `ClipartBenchmark`.
        split: str. `"train"` or `"val"`. Defaults to `"train"`.
        views: int. Renders per drawing, as passed to `source_pool`.
            Defaults to `1`.
        min_items: int. As in `folder_classes`. Defaults to `10`.

    Returns:
        `(labels, class_names)`: int64 `[N * views]` indices into the
        sorted `class_names` (list of folder str), `-1` for drawings of no
        class.

    Raises:
        ValueError: for an unknown split.

    Example:
    >>> from cm_zoo.data import teacher_labels
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> labels, names = teacher_labels.folder_labels(bench, "val", views=2)
    >>> len(labels) == len(bench.source_pool("val", views=2)[1])
    True
    >>> len(names) > len(bench.class_names)
    True
    """
    if split not in SOURCE_SPLITS:
        raise ValueError(
            f"Unknown split {split!r} for the source pool. Expected one of "
            f"{list(SOURCE_SPLITS)}."
        )
    classes = folder_classes(bench, min_items)
    names = sorted({c for c in classes.values() if c is not None})
    index = {name: n for n, name in enumerate(names)}
    labels = [
        index.get(classes[posixpath.dirname(item["source"])], -1)
        for item in _pool_items(bench, (split,))
    ]
    return np.repeat(np.array(labels, np.int64), views), names


def _pool_items(bench, splits=SOURCE_SPLITS):
    """The manifest's source-pool items of `splits`, in manifest order."""
    return [
        item
        for item in bench.manifest["items"]
        if item["role"] == SOURCE_ROLE and item["split"] in splits
    ]


def _resolve(owner, folder):
    """Follows `owner` from `folder` to its class folder (or `None`)."""
    while folder is not None and owner[folder] != folder:
        folder = owner[folder]
    return folder
