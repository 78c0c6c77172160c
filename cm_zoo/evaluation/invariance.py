"""Modality invariance: a linear-probe score and a t-SNE figure.

CMPlaces section 5.4 (Figure 7): a representation invariant to modality
keeps no trace of where an item came from. `modality_invariance` puts a
number on it, the cross-validated accuracy of a linear classifier that
predicts the modality (lower is more invariant, chance is the floor);
`plot_tsne` draws the embedding coloured by modality and by category.
"""

import numpy as np

from cm_zoo import modalities
from cm_zoo.evaluation import _checks
from cm_zoo.evaluation import linear_probe


def modality_invariance(
    features,
    *,
    num_folds=5,
    max_per_modality=1000,
    l2=1e-3,
    num_iterations=300,
    seed=0,
):
    """Cross-validated accuracy of a linear probe predicting the modality.

    Up to `max_per_modality` items are drawn (seeded) from each modality;
    the pool is split into `num_folds` folds stratified by modality, and a
    `linear_probe` is fitted on all folds but one and scored on it.

    Args:
        features: dict `{modality: (embeddings [N_m, D], labels [N_m])}`;
            labels are ignored here (same input as the other evaluations).
        num_folds: int, >= 2. Defaults to `5`.
        max_per_modality: int. Defaults to `1000` (as in the paper's t-SNE).
        l2: float. Probe weight decay. Defaults to `1e-3`.
        num_iterations: int. Probe gradient steps. Defaults to `300`.
        seed: int. Seeds the draw and the folds. Defaults to `0`.

    Returns:
        A dict: `"accuracy"` (mean over folds), `"fold_accuracies"` (list),
        `"chance"` (majority-modality rate of the pool, `1 / M` when
        balanced), `"num_modalities"` and `"num_items"`.

    Raises:
        ValueError: on malformed `features`, fewer than 2 modalities, or
            `num_folds` below 2 or above the smallest modality's count.

    Example:
    >>> from cm_zoo.evaluation import invariance
    >>> rng = np.random.default_rng(0)
    >>> features = {
    ...     "natural": (rng.normal(size=(50, 4)) + 3, np.zeros(50, int)),
    ...     "sketch": (rng.normal(size=(50, 4)) - 3, np.zeros(50, int))}
    >>> out = invariance.modality_invariance(features, num_folds=2)
    >>> out["accuracy"], out["chance"]
    (1.0, 0.5)
    """
    features = _checks.check_features(features)
    if len(features) < 2:
        raise ValueError(
            "Modality invariance needs at least 2 modalities. "
            f"Found: {list(features)}"
        )
    max_per_modality = _checks.check_positive_int(
        max_per_modality, "max_per_modality"
    )
    embeddings, modality_ids, _ = _pool(features, max_per_modality, seed)
    smallest = int(np.bincount(modality_ids).min())
    num_folds = _checks.check_positive_int(num_folds, "num_folds")
    if not 2 <= num_folds <= smallest:
        raise ValueError(
            f"`num_folds` must be in [2, {smallest}] (the smallest "
            f"modality's item count). Received: num_folds={num_folds}"
        )
    rng = np.random.default_rng([seed, 1])
    folds = np.empty(modality_ids.shape[0], dtype=np.int64)
    for modality_id in np.unique(modality_ids):
        members = np.flatnonzero(modality_ids == modality_id)
        folds[rng.permutation(members)] = (
            np.arange(members.shape[0]) % num_folds
        )
    accuracies = []
    for fold in range(num_folds):
        test = folds == fold
        probe = linear_probe.fit_linear_probe(
            embeddings[~test],
            modality_ids[~test],
            l2=l2,
            num_iterations=num_iterations,
        )
        predicted = linear_probe.predict_linear_probe(probe, embeddings[test])
        accuracies.append(float(np.mean(predicted == modality_ids[test])))
    counts = np.bincount(modality_ids)
    return {
        "accuracy": float(np.mean(accuracies)),
        "fold_accuracies": accuracies,
        "chance": float(counts.max() / counts.sum()),
        "num_modalities": len(features),
        "num_items": int(counts.sum()),
    }


def plot_tsne(
    features,
    path,
    *,
    max_per_modality=1000,
    perplexity=30.0,
    pca_dim=50,
    seed=0,
    title=None,
):
    """Writes a two-panel t-SNE PNG: coloured by modality, then by category.

    Up to `max_per_modality` items per modality are drawn (seeded), reduced
    to `pca_dim` dimensions by an exact NumPy PCA (standard t-SNE
    preprocessing, for speed), then embedded with
    `sklearn.manifold.TSNE`. `perplexity` is lowered to `(n - 1) / 3` when
    there are too few points for it.

    Args:
        features: dict `{modality: (embeddings [N_m, D], labels [N_m])}`.
        path: str or path-like. The PNG to write.
        max_per_modality: int. Defaults to `1000` (as in the paper).
        perplexity: float. Defaults to `30.`.
        pca_dim: int. Dimensions kept before t-SNE. Defaults to `50`.
        seed: int. Seeds the draw and t-SNE. Defaults to `0`.
        title: optional str above the figure. Defaults to `None`.

    Returns:
        A dict: `"coordinates"` float `[n, 2]`, `"modalities"` (list of
        str, one per point) and `"labels"` int `[n]`.

    Raises:
        ImportError: if scikit-learn is not installed (install command in
            the message).
        ValueError: on malformed `features`.

    Example:
    >>> import os, tempfile
    >>> from cm_zoo.evaluation import invariance
    >>> rng = np.random.default_rng(0)
    >>> features = {m: (rng.normal(size=(20, 6)), np.arange(20) % 2)
    ...             for m in ("natural", "clipart")}
    >>> path = os.path.join(tempfile.mkdtemp(), "tsne.png")
    >>> out = invariance.plot_tsne(features, path)
    >>> out["coordinates"].shape, os.path.getsize(path) > 0
    ((40, 2), True)
    """
    features = _checks.check_features(features)
    max_per_modality = _checks.check_positive_int(
        max_per_modality, "max_per_modality"
    )
    embeddings, modality_ids, labels = _pool(features, max_per_modality, seed)
    coordinates = _tsne(_pca(embeddings, pca_dim), perplexity, seed)
    names = list(features)
    _draw_tsne(path, coordinates, modality_ids, labels, names, title)
    return {
        "coordinates": coordinates,
        "modalities": [names[i] for i in modality_ids],
        "labels": labels,
    }


def _tsne(reduced, perplexity, seed):
    """`sklearn.manifold.TSNE` coordinates `[n, 2]` of the rows of `reduced`.

    `perplexity` is lowered to `(n - 1) / 3` when there are too few rows.
    """
    try:
        from sklearn import manifold
    except ImportError as error:
        raise ImportError(
            "`plot_tsne` needs scikit-learn. Install it with "
            "`pip install scikit-learn` (or `pip install cm_zoo[test]`)."
        ) from error
    n = reduced.shape[0]
    tsne = manifold.TSNE(
        n_components=2,
        perplexity=min(float(perplexity), (n - 1) / 3.0),
        init="pca",
        random_state=seed,
    )
    return tsne.fit_transform(reduced)  # [n, 2]


def _draw_tsne(path, coordinates, modality_ids, labels, names, title):
    """Writes the two panels: points coloured by modality, then category."""
    from matplotlib import figure
    from matplotlib.backends import backend_agg

    fig = figure.Figure(figsize=(12, 5.5), dpi=100)
    backend_agg.FigureCanvasAgg(fig)
    by_modality, by_category = fig.subplots(1, 2)
    for modality_id, modality in enumerate(names):
        points = coordinates[modality_ids == modality_id]
        by_modality.scatter(
            points[:, 0],
            points[:, 1],
            s=4,
            alpha=0.7,
            label=modalities.SHORT_NAMES[modality],
        )
    by_modality.legend(markerscale=3, fontsize=8)
    by_modality.set_title("coloured by modality")
    _, label_ids = np.unique(labels, return_inverse=True)
    by_category.scatter(
        coordinates[:, 0],
        coordinates[:, 1],
        s=4,
        alpha=0.7,
        c=label_ids,
        cmap="nipy_spectral",
    )
    by_category.set_title("coloured by category")
    for axis in (by_modality, by_category):
        axis.set_xticks([])
        axis.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, format="png")


def _pool(features, max_per_modality, seed):
    """Seeded draw of up to `max_per_modality` items from each modality.

    Returns float32 embeddings `[n, D]`, modality indices (input order) and
    labels, each `[n]`.
    """
    rng = np.random.default_rng(seed)
    embeddings, modality_ids, labels = [], [], []
    for modality_id, (x, y) in enumerate(features.values()):
        count = min(max_per_modality, x.shape[0])
        index = np.sort(rng.choice(x.shape[0], size=count, replace=False))
        embeddings.append(x[index])
        labels.append(y[index])
        modality_ids.append(np.full(count, modality_id, dtype=np.int64))
    return (
        np.concatenate(embeddings),
        np.concatenate(modality_ids),
        np.concatenate(labels),
    )


def _pca(x, num_components):
    """Projection of centred `x` on its top principal axes (exact SVD)."""
    if x.shape[1] <= num_components:
        return x
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:num_components].T
