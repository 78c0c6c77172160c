"""Choosing which hidden units to visualise: the most category-selective."""

import numpy as np

from cm_zoo.evaluation import _checks


def selective_units(features, num_units, *, distinct_categories=True):
    """Units whose activation depends most on the category, in all modalities.

    Per modality, each unit is standardized over that modality's items and
    the variance of its per-category means is taken (the between-category
    share of its variance, in `[0, 1]`); the score averages this over
    modalities, so a unit scores high only if it separates categories in
    all of them. Ties go to the lower unit index.

    Args:
        features: dict `{modality: (activations [N_m, D], labels [N_m])}`.
        num_units: int. Units to return, at most `D`.
        distinct_categories: bool. Prefer units of different categories.
            Defaults to `True`.

    Returns:
        A dict: `"units"` (int64 array `[num_units]`, best first),
        `"categories"` (their categories' labels, int64 `[num_units]`) and
        `"scores"` (float64 array `[D]`).

    Raises:
        ValueError: on malformed `features` or `num_units` out of
            `[1, D]`.

    Example:
    >>> from cm_zoo.evaluation import unit_selection
    >>> labels = np.array([0, 0, 1, 1])
    >>> acts = np.array([[0., 5, 1], [0, 1, 2], [1, 5, 1], [1, 1, 2]])
    >>> out = unit_selection.selective_units(
    ...     {"sketch": (acts, labels)}, 2)
    >>> out["units"].tolist(), out["scores"].round(2).tolist()
    ([0, 1], [1.0, 0.0, 0.0])
    """
    features = _checks.check_features(features)
    dim = next(iter(features.values()))[0].shape[1]
    num_units = _checks.check_positive_int(num_units, "num_units")
    if num_units > dim:
        raise ValueError(
            f"`num_units` must be at most the feature width {dim}. "
            f"Received: num_units={num_units}"
        )
    classes = np.unique(np.concatenate([y for _, y in features.values()]))
    scores = np.zeros(dim)
    preference = np.zeros((classes.shape[0], dim))  # [C, D]
    for activations, labels in features.values():
        x = activations.astype(np.float64)
        std = x.std(axis=0)  # [D]
        z = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)  # [N, D]
        label_ids = np.searchsorted(classes, labels)
        counts = np.bincount(label_ids, minlength=classes.shape[0])  # [C]
        sums = np.zeros((classes.shape[0], dim))
        np.add.at(sums, label_ids, z)
        class_means = sums / np.maximum(counts, 1)[:, None]  # [C, D]
        preference += class_means
        # Between-category variance, weighted by category size.
        scores += (counts[:, None] * class_means**2).sum(axis=0) / len(z)
    scores /= len(features)
    order = np.lexsort((np.arange(dim), -scores))
    category = classes[np.argmax(preference, axis=0)]  # [D]
    if distinct_categories:
        _, first = np.unique(category[order], return_index=True)
        leaders = np.sort(first)  # positions in `order`, best first
        rest = np.setdiff1d(np.arange(dim), leaders)
        order = order[np.concatenate([leaders, rest])]
    units = order[:num_units].astype(np.int64)
    return {
        "units": units,
        "categories": category[units].astype(np.int64),
        "scores": scores,
    }
