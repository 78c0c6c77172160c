"""Private input checks shared by the evaluation functions."""

import numpy as np

from cm_zoo import modalities


def check_features(features, name="features"):
    """Validates a `{modality: (embeddings, labels)}` dict.

    Returns a new dict with C-contiguous float32 embeddings (no copy when the
    input already is) and int64 labels, in the input's key order.

    Raises:
        ValueError: on unknown modality keys, wrong ranks, mismatched lengths,
            differing embedding dimensions, non-integer labels or
            non-finite embeddings. The message names the modality.
    """
    if not isinstance(features, dict) or not features:
        raise ValueError(
            f"`{name}` must be a non-empty dict "
            "{modality: (embeddings, labels)}. "
            f"Received: {type(features).__name__}"
        )
    checked = {}
    for modality, value in features.items():
        modalities.validate(modality)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise ValueError(
                f"`{name}[{modality!r}]` must be a pair (embeddings, labels). "
                f"Received: {type(value).__name__}"
            )
        checked[modality] = check_embeddings(
            value[0], value[1], f"{name}[{modality!r}]"
        )
    check_same_dim(
        {m: embeddings for m, (embeddings, _) in checked.items()}, name
    )
    return checked


def check_same_dim(embeddings_by_name, name):
    """Raises `ValueError` unless all `[N, D]` arrays share `D`."""
    first = next(iter(embeddings_by_name))
    dim = embeddings_by_name[first].shape[1]
    for key, embeddings in embeddings_by_name.items():
        if embeddings.shape[1] != dim:
            raise ValueError(
                f"All embeddings in `{name}` must share one dimension. "
                f"Expected {dim} (from {first!r}), found "
                f"{embeddings.shape[1]} for {key!r}"
            )


def check_embeddings(embeddings, labels, name):
    """Validates one `(embeddings [N, D], labels [N])` pair.

    Returns C-contiguous float32 embeddings and int64 labels; `labels=None`
    is passed through. The message of any `ValueError` starts with `name`.
    """
    embeddings = np.asarray(embeddings)
    if embeddings.ndim != 2:
        raise ValueError(
            f"`{name}` embeddings must have shape [num_items, dim]. "
            f"Received shape: {embeddings.shape}"
        )
    if embeddings.shape[0] == 0:
        raise ValueError(
            f"`{name}` has no items. Received shape: {embeddings.shape}"
        )
    if not (
        np.issubdtype(embeddings.dtype, np.floating)
        or np.issubdtype(embeddings.dtype, np.integer)
    ):
        raise ValueError(
            f"`{name}` embeddings must be numeric. "
            f"Received dtype: {embeddings.dtype}"
        )
    # A float64 sum is non-finite iff some entry is; it needs no buffer.
    if not np.isfinite(embeddings.sum(dtype=np.float64)):
        raise ValueError(f"`{name}` embeddings contain NaN or inf.")
    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    if labels is None:
        return embeddings, None
    labels = np.asarray(labels)
    if labels.shape != (embeddings.shape[0],):
        raise ValueError(
            f"`{name}` labels must have shape [{embeddings.shape[0]}] to "
            f"match the embeddings. Received shape: {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"`{name}` labels must be integers. Received dtype: {labels.dtype}"
        )
    return embeddings, labels.astype(np.int64)


def check_positive_int(value, name):
    """Returns `value` if it is a positive int, else raises `ValueError`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < 1
    ):
        raise ValueError(
            f"`{name}` must be a positive int. Received: {name}={value!r}"
        )
    return int(value)


def keep_classes(features, classes, name="features"):
    """The items of a checked features dict whose label is in `classes`.

    Raises:
        ValueError: if a modality keeps no item; the message names it and
            the labels it has.
    """
    kept = {}
    for modality, (embeddings, labels) in features.items():
        keep = np.isin(labels, classes)
        if not keep.any():
            raise ValueError(
                f"No {modality!r} item of `{name}` has a label in `classes`. "
                f"Received classes={classes!r:.80}; labels found there: "
                f"{np.unique(labels)[:20].tolist()}"
            )
        kept[modality] = (embeddings[keep], labels[keep])
    return kept


def inverse_norms(embeddings):
    """Returns float32 `1 / ||row||`, with 0 for all-zero rows. [N]"""
    squared = np.einsum("nd,nd->n", embeddings, embeddings)  # [N] float32
    norms = np.sqrt(squared.astype(np.float64))
    inverse = np.zeros_like(norms)
    np.divide(1.0, norms, out=inverse, where=norms > 0)
    return inverse.astype(np.float32)


def scale_to_cosine(products, query_inverse_norms, target_inverse_norms):
    """Scales a `[n, N]` block of dot products to cosines, in place.

    `query_inverse_norms` `[n]` and `target_inverse_norms` `[N]` are
    `inverse_norms` of the block's queries and targets. Returns `products`.
    """
    products *= query_inverse_norms[:, None]
    products *= target_inverse_norms[None, :]
    return products


def cosine_chunks(queries, targets, chunk_size):
    """Yields `(start, stop, cosine)` over row chunks of `queries`.

    `cosine` is float32 `[stop - start, len(targets)]`; zero vectors get
    similarity 0 to everything. Only one chunk is alive at a time.
    """
    inv_q = inverse_norms(queries)
    inv_t = inverse_norms(targets)
    for start in range(0, queries.shape[0], chunk_size):
        stop = min(start + chunk_size, queries.shape[0])
        yield (
            start,
            stop,
            scale_to_cosine(
                queries[start:stop] @ targets.T, inv_q[start:stop], inv_t
            ),
        )
