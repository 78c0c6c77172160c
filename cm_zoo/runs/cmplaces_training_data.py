"""What a CMPlaces job trains on: target items and the source pool.

The target modalities train on their own items (with the See-Hear-Read
pairs' items and the WordNet lexicon when the job asks), held-out classes
removed; the source network trains on the benchmark's source pool.
"""

import warnings

import numpy as np

from cm_zoo import modalities
from cm_zoo.data.clipart_benchmark import SOURCE_FILE


def training_items(bench, modality, job):
    """A modality's labelled training items, with the job's extras.

    The items of the train split (and of val, `job.include_val`), the
    pairs' items of that modality (`job.include_paired`) and, for
    descriptions, the WordNet lexicon (`job.include_lexicon`). Held-out
    classes are kept (`training_arrays` removes them).

    Args:
        bench: `ClipartBenchmark`. The data.
        modality: str. A modality key of `bench`.
        job: `CMPlacesJob`. Which extras to add.

    Returns:
        `(x, y)`: the items and their int class labels.

    Example:
    >>> from cm_zoo.runs import CMPlacesJob
    >>> from cm_zoo.runs import training_items
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> preset = cm_zoo.presets.get("cmplaces_alexnet_tiny")
    >>> job = CMPlacesJob(preset=preset.name, training=preset.training,
    ...                   include_lexicon=True)
    >>> texts, labels = training_items(bench, "description", job)
    >>> len(bench.arrays("description", "train")[1]), len(labels)
    (72, 2030)
    """
    parts = [bench.arrays(modality, split) for split in _splits(job)]
    if job.include_paired:
        parts += [
            (pairs[modality], pairs["label"])
            for pairs in bench.paired("train").values()
            if modality in pairs
        ]
    if job.include_lexicon and modality == modalities.DESCRIPTION:
        parts.append(bench.lexicon())
    return tuple(np.concatenate(column) for column in zip(*parts))


def _splits(job):
    return ("train", "val") if job.include_val else ("train",)


def training_arrays(bench, names, job):
    """`{modality: (x, y)}`, held-out classes removed from target modalities.

    Args:
        bench: `ClipartBenchmark`. The data.
        names: list of str. Modality keys of `bench`.
        job: `CMPlacesJob`. Its `holdout` labels leave every modality but
            the benchmark's source modality.

    Returns:
        dict. `training_items` of each modality, filtered.

    Example:
    >>> from cm_zoo.runs import CMPlacesJob
    >>> from cm_zoo.runs import training_arrays
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> preset = cm_zoo.presets.get("cmplaces_alexnet_tiny")
    >>> held = (bench.class_names.index("insect"),)
    >>> job = CMPlacesJob(preset=preset.name, training=preset.training,
    ...                   holdout=held)
    >>> arrays = training_arrays(bench, ["clipart", "sketch"], job)
    >>> {m: bool(np.isin(y, held).any()) for m, (_, y) in arrays.items()}
    {'clipart': True, 'sketch': False}
    """
    arrays = {}
    for modality in names:
        x, y = training_items(bench, modality, job)
        if modality != bench.source_modality:
            keep = ~np.isin(y, job.holdout)
            x, y = x[keep], y[keep]
        arrays[modality] = (x, y)
    return arrays


def source_pool(bench, job, split="train"):
    """The source network's data: the benchmark's source pool, `(x, y)`.

    Train has `job.training.source_views` renders of each drawing; val one
    (the drawing itself), so its score does not depend on the views. A
    benchmark built without a pool (no `source.npz` in its manifest, e.g.
    a test fixture) gives the source modality's own items of that split,
    with a warning: the source then knows no more than the targets.

    Args:
        bench: `ClipartBenchmark`. The data.
        job: `CMPlacesJob`. Views, seed and `include_val`.
        split: str. `"train"` or `"val"`. Defaults to `"train"`.

    Returns:
        `(x, y)`: source-modality items and their int class labels.

    Example:
    >>> from cm_zoo.runs import CMPlacesJob
    >>> from cm_zoo.runs.cmplaces_training_data import source_pool
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> preset = cm_zoo.presets.get("cmplaces_alexnet_tiny")
    >>> job = CMPlacesJob(preset=preset.name, training=preset.training)
    >>> x, y = source_pool(bench, job, "val")
    >>> len(y), len(bench.arrays("clipart", "val")[1]) < len(y)
    (267, True)
    """
    if SOURCE_FILE not in bench.manifest["files"]:
        warnings.warn(
            "The benchmark has no source pool: the source network trains "
            f"on the {bench.source_modality!r} target items instead.",
            stacklevel=2,
        )
        return (
            training_items(bench, bench.source_modality, job)
            if (split == "train")
            else bench.arrays(bench.source_modality, split)
        )
    views = job.training.source_views if split == "train" else 1
    splits = _splits(job) if split == "train" else (split,)
    parts = [bench.source_pool(s, views=views, seed=job.seed) for s in splits]
    return tuple(np.concatenate(column) for column in zip(*parts))
