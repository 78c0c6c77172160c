"""Hidden-unit visualisation from arrays: top items, tf-idf words, a grid.

CMPlaces section 5.3 (Figure 6): for chosen units, the items of each
modality that activate them most, and for descriptions the most distinctive
words of the top paragraphs by tf-idf. These helpers take activations,
texts and uint8 images; running a model to get them is the caller's job.
"""

import re
import textwrap

import numpy as np

from cm_zoo import modalities

# A small English stop list; tf-idf already down-weights common words.
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that "
    "the this there to was were with which who will can into their them "
    "they he she his her we our you your i me my not no but so if then "
    "than also very some any all one two".split()
)
_TOKEN = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")


def top_activating_items(activations, units, *, k=5):
    """Indices of the `k` items activating each unit most, per modality.

    Args:
        activations: dict `{modality: float array [N_m, num_units]}`, e.g.
            fc7 or spatially max-pooled pool5 activations.
        units: sequence of int unit indices.
        k: int. Items per unit and modality. Defaults to `5`.

    Returns:
        A dict `{modality: int64 array [len(units), k]}`, most activating
        first (ties by lower index).

    Raises:
        ValueError: on a non-2-D array, a unit out of range, or fewer than
            `k` items in a modality.

    Example:
    >>> from cm_zoo.evaluation import unit_visualization
    >>> acts = {"natural": np.array([[0., 5.], [3., 1.], [2., 9.]])}
    >>> unit_visualization.top_activating_items(acts, [0, 1], k=2)
    {'natural': array([[1, 2],
           [2, 0]])}
    """
    units = np.asarray(units, dtype=np.int64)
    top = {}
    for modality, values in activations.items():
        modalities.validate(modality)
        values = np.asarray(values)
        if values.ndim != 2:
            raise ValueError(
                f"`activations[{modality!r}]` must have shape "
                f"[num_items, num_units]. Received shape: {values.shape}"
            )
        if units.size and (units.min() < 0 or units.max() >= values.shape[1]):
            raise ValueError(
                f"`units` must lie in [0, {values.shape[1]}) for "
                f"{modality!r}. Received: {units.tolist()}"
            )
        if not 1 <= k <= values.shape[0]:
            raise ValueError(
                f"`k` must be in [1, {values.shape[0]}] (items of "
                f"{modality!r}). Received: k={k}"
            )
        columns = values[:, units].T  # [U, N]
        order = np.argsort(-columns, axis=1, kind="stable")
        top[modality] = order[:, :k]
    return top


def distinctive_words(descriptions, top_items, *, num_words=5):
    """Most distinctive words of each unit's top descriptions, by tf-idf.

    Documents are all `descriptions` (for the inverse document frequency,
    `idf = log((1 + n) / (1 + df)) + 1`); a unit's term frequency counts
    the words of its top descriptions together. Words are lower-cased
    `[a-z']` runs minus `STOP_WORDS`. Ties are broken alphabetically.

    Args:
        descriptions: sequence of str, the description modality's items.
        top_items: int array `[num_units, k]` of indices into
            `descriptions` (e.g. `top_activating_items(...)["description"]`).
        num_words: int. Words per unit. Defaults to `5`.

    Returns:
        A list (one per unit) of lists of up to `num_words` words.

    Raises:
        ValueError: if an index in `top_items` is out of range.

    Example:
    >>> from cm_zoo.evaluation import unit_visualization
    >>> texts = ["a sunny beach with sand", "waves on the beach",
    ...          "a dark kitchen", "the kitchen stove"]
    >>> unit_visualization.distinctive_words(texts, [[0, 1], [2, 3]],
    ...                                      num_words=2)
    [['beach', 'sand'], ['kitchen', 'dark']]
    """
    top_items = np.asarray(top_items, dtype=np.int64)
    if top_items.size and (
        top_items.min() < 0 or top_items.max() >= len(descriptions)
    ):
        raise ValueError(
            f"`top_items` must index into {len(descriptions)} descriptions. "
            f"Found indices in [{top_items.min()}, {top_items.max()}]"
        )
    vocabulary = {}
    documents = []  # token ids per description
    for text in descriptions:
        tokens = [
            t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS
        ]
        documents.append(
            np.array(
                [vocabulary.setdefault(t, len(vocabulary)) for t in tokens],
                dtype=np.int64,
            )
        )
    words = np.array(sorted(vocabulary, key=vocabulary.get))  # id -> word
    size = len(vocabulary)
    unique_ids = [np.unique(d) for d in documents]
    document_frequency = np.bincount(
        np.concatenate(unique_ids + [np.zeros(0, np.int64)]), minlength=size
    )  # [V]
    idf = np.log((1.0 + len(documents)) / (1.0 + document_frequency)) + 1.0
    alphabetical = np.argsort(np.argsort(words)) if size else words
    results = []
    for items in top_items:
        ids = np.concatenate(
            [documents[i] for i in items] + [np.zeros(0, np.int64)]
        )
        term_frequency = np.bincount(ids, minlength=size)  # [V]
        score = term_frequency * idf  # [V]
        order = np.lexsort((alphabetical, -score))
        chosen = [o for o in order[:num_words] if term_frequency[o] > 0]
        results.append([str(words[o]) for o in chosen])
    return results


def draw_unit_grid(path, units, *, images=None, texts=None, words=None):
    """Writes a PNG grid: per unit, one row per modality of its top items.

    Image modalities show their uint8 images; text modalities show each
    item's text in a wrapped text box. A unit's distinctive words, if
    given, go into the label of its first row.

    Args:
        path: str or path-like. The PNG to write.
        units: sequence of int. Unit ids, for the row labels.
        images: optional dict `{modality: uint8 array [U, k, H, W, 3]}` (or
            `[U, k, H, W]` greyscale). Defaults to `None`.
        texts: optional dict `{modality: U lists of k str}`. Defaults to
            `None`.
        words: optional list of `U` lists of str. Defaults to `None`.

    Returns:
        `path`.

    Raises:
        ValueError: if nothing is given to draw, images are not uint8, or
            the unit / item counts disagree across modalities.

    Example:
    >>> import os, tempfile
    >>> from cm_zoo.evaluation import unit_visualization
    >>> path = os.path.join(tempfile.mkdtemp(), "units.png")
    >>> images = {"natural": np.zeros((2, 3, 8, 8, 3), np.uint8)}
    >>> texts = {"description": [["a beach"] * 3, ["a kitchen"] * 3]}
    >>> _ = unit_visualization.draw_unit_grid(
    ...     path, [4, 7], images=images, texts=texts,
    ...     words=[["beach"], ["kitchen"]])
    >>> os.path.getsize(path) > 0
    True
    """
    from matplotlib import figure
    from matplotlib.backends import backend_agg

    rows = _grid_rows(units, dict(images or {}), dict(texts or {}))
    num_items = len(rows[0][2])
    fig = figure.Figure(figsize=(1.8 * num_items + 1.6, 1.8 * len(rows)))
    backend_agg.FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), num_items, squeeze=False)
    for row, (unit_index, modality, items, is_image) in enumerate(rows):
        for column, item in enumerate(items):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            if is_image:
                axis.imshow(item, cmap="gray" if item.ndim == 2 else None)
            else:
                axis.text(
                    0.5,
                    0.5,
                    textwrap.fill(
                        textwrap.shorten(
                            str(item), width=160, placeholder=" …"
                        ),
                        width=22,
                    ),
                    ha="center",
                    va="center",
                    fontsize=6,
                    wrap=True,
                    bbox={"boxstyle": "round", "facecolor": "#f4f1e8"},
                    transform=axis.transAxes,
                )
        label = f"unit {units[unit_index]}\n{modalities.SHORT_NAMES[modality]}"
        first_row = row == 0 or rows[row - 1][0] != unit_index
        if words is not None and first_row:
            label += "\n" + "\n".join(words[unit_index][:4])
        axes[row, 0].set_ylabel(
            label, fontsize=7, rotation=0, ha="right", va="center"
        )
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    return path


def _grid_rows(units, images, texts):
    """`(unit index, modality, items, is_image)` per grid row, checked.

    `images` and `texts` are the caller's copies; `images` values are
    replaced by arrays.
    """
    if not images and not texts:
        raise ValueError(
            "Give `images` and/or `texts` to draw. Received neither."
        )
    shapes = {}
    for modality, array in images.items():
        modalities.validate(modality)
        array = np.asarray(array)
        if array.dtype != np.uint8 or array.ndim not in (4, 5):
            raise ValueError(
                f"`images[{modality!r}]` must be uint8 [U, k, H, W(, 3)]. "
                f"Received dtype {array.dtype}, shape {array.shape}"
            )
        images[modality] = array
        shapes[modality] = array.shape[:2]
    for modality, nested in texts.items():
        modalities.validate(modality)
        shapes[modality] = (len(nested), len(nested[0]) if nested else 0)
        if any(len(items) != shapes[modality][1] for items in nested):
            raise ValueError(
                f"`texts[{modality!r}]` must hold the same number of texts "
                "for every unit."
            )
    expected = (len(units), next(iter(shapes.values()))[1])
    for modality, shape in shapes.items():
        if tuple(shape) != expected or expected[1] == 0:
            raise ValueError(
                f"Every modality needs {expected[0]} units x "
                f"{expected[1]} (> 0) items. Found {tuple(shape)} for "
                f"{modality!r}"
            )
    return [
        (u, modality, source[modality][u], modality in images)
        for u in range(len(units))
        for source in (images, texts)
        for modality in source
    ]
