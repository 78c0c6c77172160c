"""Private first pass and k-means++ seeding for `fit_diagonal_gmm`."""

import numpy as np

from cm_zoo.layers.statreg import _streaming

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
    moments = (0, 0.0, 0.0)  # count, mean [D], m2 [D]
    sample = None
    keys = np.zeros((0,), "uint64")
    for batch in dataset.as_numpy_iterator():
        batch64 = batch.astype("float64")
        batch_mean = batch64.mean(axis=0)
        batch_keys = _row_keys(moments[0], batch.shape[0], seed)
        moments = _streaming.merge_moments(
            moments,
            (
                batch.shape[0],
                batch_mean,
                np.square(batch64 - batch_mean).sum(axis=0),
            ),
        )
        if sample is None:
            sample = batch[:0]
        if keys.size == sample_size:
            keep = batch_keys < keys.max()
            batch, batch_keys = batch[keep], batch_keys[keep]
        merged_keys = np.concatenate([keys, batch_keys])
        order = np.argsort(merged_keys, kind="stable")[:sample_size]
        sample = np.concatenate([sample, batch])[order]
        keys = merged_keys[order]
    count, mean, m2 = moments
    if count == 0:
        raise ValueError("`dataset` is empty. Received: 0 examples")
    return count, mean, m2 / count, sample


def _square_distances(points, square_norms, centers):
    """`[N, C]` squared distances by expansion, clipped at zero."""
    return np.maximum(
        square_norms[:, None]
        - 2.0 * points @ centers.T
        + np.square(centers).sum(axis=1),
        0.0,
    )


def kmeans_plus_plus(points, num_centers, rng):
    """Indices of `num_centers` rows of `points`, greedy k-means++ seeding.

    Each new center is the best of `2 + log(num_centers)` candidates drawn
    with probability proportional to the squared distance to the chosen
    centers (the greedy variant scikit-learn uses). Points should be roughly
    centered (the squared distances are expanded in float32).
    """
    points = points.astype("float32")
    num_points = points.shape[0]
    square_norms = np.square(points).sum(axis=1)
    num_trials = 2 + int(np.log(num_centers))
    chosen = [int(rng.integers(num_points))]
    closest = _square_distances(points, square_norms, points[chosen])[:, 0]
    for _ in range(1, num_centers):
        total = closest.sum(dtype="float64")
        if total > 0.0:
            candidates = rng.choice(
                num_points, num_trials, p=closest.astype("float64") / total
            )
        else:  # All points coincide with a center.
            candidates = rng.integers(num_points, size=num_trials)
        candidate_closest = np.minimum(
            closest[:, None],
            _square_distances(points, square_norms, points[candidates]),
        )  # [N, trials]
        best = int(np.argmin(candidate_closest.sum(axis=0)))
        chosen.append(int(candidates[best]))
        closest = candidate_closest[:, best]
    return np.array(chosen)


def lloyd(points, centers, num_iterations):
    """Refines `centers` by k-means (Lloyd) iterations on `points`.

    A center that loses all its points stays where it is.

    Returns:
        `(centers [K, D], assignment [N])`.
    """
    points = points.astype("float32")
    centers = centers.astype("float32")
    square_norms = np.square(points).sum(axis=1)
    assignment = None
    for _ in range(num_iterations):
        new_assignment = np.argmin(
            _square_distances(points, square_norms, centers), axis=1
        )
        if assignment is not None and np.array_equal(
            assignment, new_assignment
        ):
            break
        assignment = new_assignment
        for k in range(centers.shape[0]):
            members = points[assignment == k]
            if members.shape[0]:
                centers[k] = members.mean(axis=0, dtype="float64")
    return centers.astype("float64"), assignment
