"""The See-Hear-Read experiment's data and metrics on the benchmark."""

import numpy as np
import tensorflow as tf

from cm_zoo import modalities
from cm_zoo.data import teacher_labels
from cm_zoo.data.clipart_benchmark import LEXICON_FILE
from cm_zoo.data.pipelines import without_autotune_thread
from cm_zoo.evaluation import RETRIEVAL_LAYERS
from cm_zoo.evaluation import see_hear_read_metrics
from cm_zoo.models import extract_features
from cm_zoo.models.see_hear_read import PAIR_SETS

# Where `--train-splits` takes See-Hear-Read's training data from.
TRAIN_SPLITS = ("train", "train+val")
# What the teacher (clip art to class logits) trains on.
TEACHER_DATA = ("clipart", "pool")
# The teacher's label spaces: the benchmark's categories, or openclipart
# sub-folders of the source pool (`cm_zoo.data.teacher_labels`).
TEACHER_LABELS = ("categories", "folders")


def training_pairs(bench, splits="train"):
    """The training pair sets, `{"image_sound": ..., "image_text": ...}`.

    With `splits="train+val"` (after settings were chosen on val) the val
    triplets join them, alternate rows to each set, so that no item links
    sound to text in training either.
    """
    if splits not in TRAIN_SPLITS:
        raise ValueError(
            f"`splits` must be one of {list(TRAIN_SPLITS)}. "
            f"Received: splits={splits!r}"
        )
    pairs = bench.paired("train")
    if splits == "train":
        return pairs
    val = bench.paired("val")
    for offset, (name, bundle) in enumerate(sorted(pairs.items())):
        rows = np.arange(offset, len(val["label"]), 2)
        pairs[name] = {
            key: np.concatenate([value, val[key][rows]])
            for key, value in bundle.items()
        }
    return pairs


def teacher_items(
    bench, data="clipart", splits="train", views=1, seed=0, labels="categories"
):
    """`(x, y)` the teacher trains on: the clip-art target's items, or the
    source pool (every drawing no target or OOD item uses; `views`
    renders each), of the train split or of train and val.

    `labels="folders"` (pool only) labels the pool's drawings by their
    openclipart sub-folder (`cm_zoo.data.teacher_labels`), a label space
    other than the benchmark's categories, as See-Hear-Read's ImageNet
    teacher's is; drawings of no folder class are left out.
    """
    if data not in TEACHER_DATA:
        raise ValueError(
            f"`data` must be one of {list(TEACHER_DATA)}. "
            f"Received: data={data!r}"
        )
    if labels not in TEACHER_LABELS or (labels == "folders" and data != "pool"):
        raise ValueError(
            f"`labels` must be one of {list(TEACHER_LABELS)}, and "
            f'"folders" needs data="pool". Received: labels={labels!r}, '
            f"data={data!r}"
        )
    parts = []
    for split in splits.split("+"):
        if data == "clipart":
            parts.append(bench.arrays(modalities.CLIPART, split))
            continue
        x, y = bench.source_pool(split, views=views, seed=seed)
        if labels == "folders":
            y, _ = teacher_labels.folder_labels(bench, split, views)
        parts.append((x[y >= 0], y[y >= 0]))
    return tuple(np.concatenate(column) for column in zip(*parts))


def teacher_class_names(bench, labels="categories"):
    """The names of the teacher's classes under `labels` (`teacher_items`).

    Example:
    >>> from cm_zoo.runs import see_hear_read_experiment as experiment
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> names = experiment.teacher_class_names(bench, "folders")
    >>> len(experiment.teacher_class_names(bench)), names[:2]
    (28, ['animals/birds', 'animals/bugs'])
    """
    if labels == "folders":
        return teacher_labels.folder_labels(bench)[1]
    return list(bench.class_names)


def class_pairs(bench, splits="train", seed=0):
    """Pairs made by category, for the pair sets of `training_pairs`.

    Every weakly aligned sound and description of `splits`, and every
    WordNet lexicon text, paired with a drawing of its category drawn from
    the source pool's train split (no target or OOD item): the model
    transfer loss then teaches them their category through the teacher's
    view of that drawing. Returns `{"image_sound": ..., "image_text": ...}`
    bundles like `bench.paired("train")`'s.
    """
    pool = bench.source_pool("train")
    rng = np.random.default_rng(seed)
    pairs = {}
    for name, modality in PAIR_SETS.items():
        parts = [bench.arrays(modality, s) for s in splits.split("+")]
        if (
            modality == modalities.DESCRIPTION
            and LEXICON_FILE in bench.manifest["files"]
        ):
            parts.append(bench.lexicon())
        x, y = (np.concatenate(column) for column in zip(*parts))
        pairs[name] = _with_pool_drawings(pool, modality, x, y, rng)
    return pairs


def pool_pairs(bench, modality, x, y, seed=0):
    """Labelled sounds or texts, each paired with a source-pool drawing.

    As `class_pairs` pairs the benchmark's weakly aligned items: each item
    of `(x, y)` with a drawing of its category drawn from the source
    pool's train split (items of a category the pool lacks are left out),
    so that the ranking and model-transfer losses put it where its
    category's drawings are. `joined_pairs` adds the result to
    `training_pairs`.

    Args:
        bench: `ClipartBenchmark`.
        modality: str. `"sound"` or `"description"`.
        x: array. The items, as `bench.arrays(modality, ...)` gives them.
        y: int array. Their labels.
        seed: int. Seeds the drawing of partners. Defaults to 0.

    Returns:
        `{"image_sound" or "image_text": {clipart, modality, label}}`.

    Example:
    >>> from cm_zoo.runs import see_hear_read_experiment as experiment
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> pairs = experiment.pool_pairs(
    ...     bench, "sound", np.zeros((2, 8), "float32"), np.array([0, 3]))
    >>> bundle = pairs["image_sound"]
    >>> bundle["clipart"].shape, bundle["sound"].shape, bundle["label"]
    ((2, 96, 96, 3), (2, 8), array([0, 3]))
    """
    pair_set = {m: name for name, m in PAIR_SETS.items()}[modality]
    rng = np.random.default_rng(seed)
    pool = bench.source_pool("train")
    return {pair_set: _with_pool_drawings(pool, modality, x, y, rng)}


def _with_pool_drawings(pool, modality, x, y, rng):
    """`{clipart, modality, label}`: each item of `(x, y)` with a drawing
    of its category drawn from `pool` (items of no pool category left
    out)."""
    drawings, drawing_labels = pool
    by_label = {
        c: np.flatnonzero(drawing_labels == c)
        for c in set(drawing_labels.tolist())
    }
    keep = np.isin(y, list(by_label))
    x, y = x[keep], y[keep]
    rows = [rng.choice(by_label[c]) for c in y.tolist()]
    return {modalities.CLIPART: drawings[rows], modality: x, "label": y}


def joined_pairs(*pair_sets):
    """Pair sets concatenated set by set and key by key; a set missing
    from some of `pair_sets` joins those that have it."""
    return {
        name: {
            key: np.concatenate([p[name][key] for p in pair_sets if name in p])
            for key in pair_sets[0][name]
        }
        for name in pair_sets[0]
    }


def paired_dataset(pairs, batch_size, seed):
    """Infinite `{pair_set: {modality: batch}}` batches, shuffled per set."""
    sets = {}
    for name, bundle in pairs.items():
        features = {
            key: (value.astype(str) if value.dtype == object else value)
            for key, value in bundle.items()
            if key != "label"
        }
        sets[name] = (
            tf.data.Dataset.from_tensor_slices(features)
            .shuffle(len(bundle["label"]), seed=seed)
            .repeat()
            .batch(batch_size, drop_remainder=True)
        )
    return without_autotune_thread(
        tf.data.Dataset.zip(sets).prefetch(tf.data.AUTOTUNE)
    )


def evaluate_see_hear_read(backbone, bench):
    """See-Hear-Read Tables 1-3 of `backbone` on the benchmark's pairs.

    Median ranks of paired retrieval in the six directions on the test
    triplets (sound <-> text through the image bridge) and classifier
    transfer from the training pairs' fc7 (`see_hear_read_metrics`).
    """
    image, sound, text = (
        modalities.CLIPART,
        modalities.SOUND,
        modalities.DESCRIPTION,
    )
    names = (image, sound, text)
    test = bench.paired("test")
    features = extract_features(
        backbone,
        {m: test[m] for m in names},
        layers=RETRIEVAL_LAYERS,
    )
    train = bench.paired("train")
    sets = {image: list(train), sound: ["image_sound"], text: ["image_text"]}
    train_fc7 = extract_features(
        backbone,
        {m: np.concatenate([train[s][m] for s in sets[m]]) for m in names},
        layers=["fc7"],
    )["fc7"]
    train_labels = {
        m: np.concatenate([train[s]["label"] for s in sets[m]]) for m in names
    }
    directions = [
        (q, t)
        for pair in ((image, sound), (image, text), (sound, text))
        for q, t in (pair, pair[::-1])
    ]
    return see_hear_read_metrics(
        features,
        test["label"],
        {m: (train_fc7[m], train_labels[m]) for m in names},
        directions,
    )
