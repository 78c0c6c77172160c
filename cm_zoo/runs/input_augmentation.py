"""Training-time input variation, in the data path, never in a tower.

The augmentation layers (`cm_zoo.layers.DrawingAugmentation`,
`TextAugmentation`, `WaveformAugmentation`, and the older mirror/shift
`ImageAugmentation`) run on the training batches inside `tf.data`, before
the task sees them. The towers (and so the exported encoders) hold no
augmentation layer: an encoder called with `training=True` by a user who
fine-tunes it does not vary its input. `--augment` of the training recipes
picks a level:

- `"none"`: the inputs as stored.
- `"basic"`: images mirrored and shifted (what `--augment` did before,
  inside the image towers).
- `"users"`: inputs as users bring them: drawings on other paper, pose,
  stroke, colour and camera; texts rephrased, WordNet words of the same
  category swapped in (`lexicon_synonyms`); speech at other speeds and
  pitches, shifted, with noise and another gain.

The draws of batch `step` depend only on `(seed, step)`: a resumed run,
whose dataset is skipped to its step, sees the same variations as an
uninterrupted one.
"""

import numpy as np
import tensorflow as tf

from cm_zoo import modalities
from cm_zoo.data.clipart_benchmark import LEXICON_FILE
from cm_zoo.layers.shared import DrawingAugmentation
from cm_zoo.layers.shared import ImageAugmentation
from cm_zoo.layers.shared import TextAugmentation
from cm_zoo.layers.shared import WaveformAugmentation

AUGMENT_LEVELS = ("none", "basic", "users")
# Speech speeds the "users" level draws from: other espeak-ng rates (120 to
# 220 words a minute around the stored 170) and, resampled, other pitches.
USERS_SPEED_RANGE = (0.7, 1.35)
# Most alternatives kept per word of the lexicon's synonym table.
MAX_ALTERNATIVES = 24


def make_augmentations(level, names, *, seed, synonyms=None):
    """Returns `{modality: augmentation layer}` for a level and modalities.

    Args:
        level: str. One of `AUGMENT_LEVELS`.
        names: list of str. The modalities trained.
        seed: int. Modality `i` (in sorted order) is seeded `seed + i`.
        synonyms: dict or None. Word alternatives for descriptions at the
            `"users"` level (`lexicon_synonyms`). Defaults to `None`.

    Raises:
        ValueError: for an unknown level.

    Example:
    >>> from cm_zoo.runs import input_augmentation
    >>> layers = input_augmentation.make_augmentations(
    ...     "users", ["clipart", "sound"], seed=0)
    >>> sorted((m, type(l).__name__) for m, l in layers.items())
    [('clipart', 'DrawingAugmentation'), ('sound', 'WaveformAugmentation')]
    >>> input_augmentation.make_augmentations("basic", ["sound"], seed=0)
    {}
    """
    if level not in AUGMENT_LEVELS:
        raise ValueError(
            f"`level` must be one of {list(AUGMENT_LEVELS)}. "
            f"Received: level={level!r}"
        )
    layers = {}
    for offset, modality in enumerate(sorted(names)):
        layer = _layer(level, modality, seed + offset, synonyms)
        if layer is not None:
            layers[modality] = layer
    return layers


def _layer(level, modality, seed, synonyms):
    name = f"{modality}_augmentation"
    if level == "none":
        return None
    if modalities.is_image(modality):
        if level == "basic":
            return ImageAugmentation(seed=seed, name=name)
        return DrawingAugmentation(seed=seed, name=name)
    if level == "basic":
        return None
    if modality == modalities.SOUND:
        return WaveformAugmentation(
            speed_range=USERS_SPEED_RANGE, seed=seed, name=name
        )
    if modality == modalities.DESCRIPTION:
        return TextAugmentation(synonyms=synonyms, seed=seed, name=name)
    return None


def lexicon_synonyms(texts, labels):
    """Word table of the WordNet lexicon: each one-word lemma of a category
    mapped to the other lemmas of that category (its synonyms, hyponyms
    and siblings), words found in several categories left out.

    Args:
        texts: list of str. Lexicon items, `"<lemmas, comma separated>:
            <gloss>"` (`ClipartBenchmark.lexicon()`).
        labels: int array. Their categories.

    Returns:
        `{word: [alternatives]}`, at most `MAX_ALTERNATIVES` each, sorted.

    Example:
    >>> from cm_zoo.runs import input_augmentation
    >>> input_augmentation.lexicon_synonyms(
    ...     ["eagle, bird of Jove: a bird", "parrot: talks", "oak: a tree"],
    ...     [0, 0, 1])
    {'eagle': ['bird of jove', 'parrot'], 'parrot': ['bird of jove', 'eagle']}
    """
    lemmas_by_label = {}
    for text, label in zip(texts, np.asarray(labels).tolist()):
        lemmas = [w.strip().lower() for w in text.split(":")[0].split(",")]
        lemmas_by_label.setdefault(label, set()).update(w for w in lemmas if w)
    owners = {}
    for label, lemmas in lemmas_by_label.items():
        for lemma in lemmas:
            owners.setdefault(lemma, set()).add(label)
    table = {}
    for label, lemmas in lemmas_by_label.items():
        for word in sorted(lemmas):
            if " " in word or len(owners[word]) > 1:
                continue
            others = sorted(lemmas - {word})[:MAX_ALTERNATIVES]
            if others:
                table[word] = others
    return dict(sorted(table.items()))


def augmented_dataset(dataset, bench, level, seed):
    """`dataset`'s batches varied at `level` for every modality they hold.

    The `"users"` level swaps in WordNet words of the benchmark's lexicon
    (`lexicon_synonyms`) when descriptions are trained and the benchmark
    has a lexicon.

    Args:
        dataset: `tf.data.Dataset` of `(features, labels)` or of dicts of
            `{modality: batch}` dicts.
        bench: `ClipartBenchmark`. The lexicon's source.
        level: str. One of `AUGMENT_LEVELS`.
        seed: int. Seeds the layers and the per-step draws.
    """
    names = sorted(_modality_keys(dataset.element_spec))
    synonyms = None
    if (
        level == "users"
        and modalities.DESCRIPTION in names
        and LEXICON_FILE in bench.manifest["files"]
    ):
        synonyms = lexicon_synonyms(*bench.lexicon())
    layers = make_augmentations(level, names, seed=seed, synonyms=synonyms)
    return augment_dataset(dataset, layers, seed)


def _modality_keys(spec):
    """Modality keys of a batch's features, nested pair sets included."""
    if isinstance(spec, tuple):
        spec = spec[0]
    keys = set()
    for key, value in spec.items():
        if isinstance(value, dict):
            keys |= _modality_keys(value)
        elif key in modalities.ALL_MODALITIES:
            keys.add(key)
    return keys


def augment_dataset(dataset, augmentations, seed):
    """Varies the inputs of every training batch of `dataset`.

    An element is `(features, labels)` (only `features` is varied) or a
    dict of such dicts (See-Hear-Read's `{pair_set: {modality: batch}}`);
    a modality with a layer in `augmentations` is passed through it with
    `training=True`. Each layer's seed state is set to `(seed, step)`
    before batch `step`, so the draws do not depend on what ran before.

    Args:
        dataset: `tf.data.Dataset` of training batches.
        augmentations: dict `{modality: layer}` (`make_augmentations`).
        seed: int. Base of the per-step seeds.

    Returns:
        `tf.data.Dataset` of the same structure, or `dataset` itself when
        `augmentations` is empty.
    """
    if not augmentations:
        return dataset
    generators = [
        (index, layer._seed_generator)
        for index, layer in enumerate(augmentations.values())
    ]

    def vary(step, element):
        for index, generator in generators:
            state = tf.stack([seed + index, step])
            generator.state.assign(tf.cast(state, generator.state.dtype))
        if isinstance(element, tuple):
            features, *rest = element
            return (_vary(features, augmentations), *rest)
        return _vary(element, augmentations)

    return dataset.enumerate().map(vary).prefetch(tf.data.AUTOTUNE)


def _vary(tree, augmentations):
    varied = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            varied[key] = _vary(value, augmentations)
        elif key in augmentations:
            varied[key] = augmentations[key](value, training=True)
        else:
            varied[key] = value
    return varied
