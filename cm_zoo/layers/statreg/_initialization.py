"""Private first pass and k-means++ seeding for `fit_diagonal_gmm`."""

import numpy as np

_SPLITMIX_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_SPLITMIX_MUL_1 = np.uint64(0xBF58476D1CE4E5B9)
_SPLITMIX_MUL_2 = np.uint64(0x94D049BB133111EB)


def _row_keys(first_index, num_rows, seed):
    """Pseudo-random uint64 keys, a function of (seed, global row index) only.

    Keeping the rows with the smallest keys is a uniform sample that does not
    depend on how the data is batched (splitmix64 hash).
    """
    with np.errstate(over="ignore"):
        z = np.arange(first_index, first_index + num_rows, dtype="uint64")
        z = z * _SPLITMIX_GAMMA + np.uint64(seed % 2**64) * _SPLITMIX_MUL_1
        z = (z ^ (z >> np.uint64(30))) * _SPLITMIX_MUL_1
        z = (z ^ (z >> np.uint64(27))) * _SPLITMIX_MUL_2
        return z ^ (z >> np.uint64(31))


def first_pass(dataset, sample_size, seed):
    """One pass: example count, mean, variance and a uniform row sample.

    Moments are merged batch by batch in float64 (Chan et al.); the sample
    holds at most `sample_size` rows (bottom-k by hashed row index).

    Returns:
        `(num_examples, mean [D], variance [D], sample [M, D] float32)`.
    """
    count = 0
    mean = None
    m2 = None
    sample = None
    keys = np.zeros((0,), "uint64")
    for batch in dataset.as_numpy_iterator():
        rows = batch.shape[0]
        batch64 = batch.astype("float64")
        batch_mean = batch64.mean(axis=0)
        batch_m2 = np.square(batch64 - batch_mean).sum(axis=0)
        if mean is None:
            mean, m2, sample = batch_mean, batch_m2, batch[:0]
        else:
            delta = batch_mean - mean
            total = count + rows
            mean = mean + delta * (rows / total)
            m2 = m2 + batch_m2 + np.square(delta) * (count * rows / total)
        batch_keys = _row_keys(count, rows, seed)
        count += rows
        if keys.size == sample_size:
            keep = batch_keys < keys.max()
            batch, batch_keys = batch[keep], batch_keys[keep]
        merged_keys = np.concatenate([keys, batch_keys])
        order = np.argsort(merged_keys, kind="stable")[:sample_size]
        sample = np.concatenate([sample, batch])[order]
        keys = merged_keys[order]
    if count == 0:
        raise ValueError("`dataset` is empty. Received: 0 examples")
    return count, mean, m2 / count, sample


def kmeans_plus_plus(points, num_centers, rng):
    """Indices of `num_centers` rows of `points` chosen by k-means++ seeding.

    Points should be roughly centered (the squared distances are expanded).
    """
    points = points.astype("float64")
    square_norms = np.square(points).sum(axis=1)

    def square_distances(index):
        center = points[index]
        return np.maximum(
            square_norms - 2.0 * points @ center + square_norms[index], 0.0
        )

    chosen = [int(rng.integers(points.shape[0]))]
    closest = square_distances(chosen[0])
    for _ in range(1, num_centers):
        total = closest.sum()
        if total > 0.0:
            index = int(rng.choice(points.shape[0], p=closest / total))
        else:  # All remaining points coincide with a center.
            index = int(rng.integers(points.shape[0]))
        chosen.append(index)
        closest = np.minimum(closest, square_distances(index))
    return np.array(chosen)
