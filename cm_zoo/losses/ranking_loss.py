"""Alignment by ranking: a cosine-similarity hinge over in-batch negatives."""

import keras


def cosine_ranking_loss(x, y, margin=0.1):
    """See, Hear, and Read eq. 2 with cosine similarity (eq. 3).

    Row `i` of `x` and row `i` of `y` are a pair; every `y_j`, `j != i`, of
    the batch is a negative for `x_i`:
    `mean_i sum_{j != i} max(0, margin - cos(x_i, y_i) + cos(x_i, y_j))`.
    The paper sums over `i` as well; the mean over `i` keeps the scale
    independent of the batch size (the sum over negatives grows with it).
    This is one direction (`x` queries, `y` targets); see
    `symmetric_cosine_ranking_loss` for both. Computed in float32; a batch
    of one (no negative) gives 0.

    Args:
        x: float tensor `[batch, dim]`. Query-side features.
        y: float tensor `[batch, dim]`. Target-side features, paired by row.
        margin: float. The margin `Delta`. Defaults to `0.1`.

    Returns:
        A float32 scalar.

    Raises:
        ValueError: if `x` and `y` are not both `[batch, dim]` of one shape.

    Example:
    >>> from cm_zoo.losses import cosine_ranking_loss
    >>> x = np.array([[1., 0.], [0., 1.]])
    >>> float(cosine_ranking_loss(x, x, margin=0.5))
    0.0
    >>> float(cosine_ranking_loss(x, x[::-1], margin=0.5))
    1.5
    """
    x = keras.ops.cast(x, "float32")
    y = keras.ops.cast(y, "float32")
    if len(x.shape) != 2 or not _compatible(x.shape, y.shape):
        raise ValueError(
            "`x` and `y` must both have shape [batch, dim]. Received: "
            f"{tuple(x.shape)} and {tuple(y.shape)}"
        )
    x = _l2_normalize(x)
    y = _l2_normalize(y)
    cosine = keras.ops.matmul(x, keras.ops.transpose(y))  # [B, B]
    positive = keras.ops.diagonal(cosine)  # [B]
    hinge = keras.ops.relu(margin - positive[:, None] + cosine)  # [B, B]
    batch_size = keras.ops.shape(cosine)[0]
    negatives = 1.0 - keras.ops.eye(batch_size, dtype="float32")  # [B, B]
    return keras.ops.mean(keras.ops.sum(hinge * negatives, axis=1))


def symmetric_cosine_ranking_loss(x, y, margin=0.1):
    """`cosine_ranking_loss(x, y) + cosine_ranking_loss(y, x)`.

    Ranks in both directions, e.g. image -> sound and sound -> image, as
    the paper applies it (section 3.3).

    Args:
        x: float tensor `[batch, dim]`.
        y: float tensor `[batch, dim]`, paired with `x` by row.
        margin: float. The margin `Delta`. Defaults to `0.1`.

    Returns:
        A float32 scalar.

    Example:
    >>> from cm_zoo.losses import symmetric_cosine_ranking_loss
    >>> x = np.array([[1., 0.], [0., 1.]])
    >>> float(symmetric_cosine_ranking_loss(x, x[::-1], margin=0.5))
    3.0
    """
    return cosine_ranking_loss(x, y, margin) + cosine_ranking_loss(y, x, margin)


def _compatible(shape_a, shape_b):
    """Same rank, and equal sizes wherever both are known."""
    return len(shape_a) == len(shape_b) and all(
        a is None or b is None or a == b for a, b in zip(shape_a, shape_b)
    )


def _l2_normalize(x):
    """Rows divided by their norm; a zero row stays zero (float32 eps)."""
    squared = keras.ops.sum(keras.ops.square(x), axis=-1, keepdims=True)
    return x * keras.ops.rsqrt(keras.ops.maximum(squared, 1e-12))
