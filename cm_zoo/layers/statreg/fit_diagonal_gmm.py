"""Streaming EM fit of the diagonal GMM prior of StatReg (CMPlaces, B-GMM)."""

import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf

from cm_zoo.layers.statreg import _densities
from cm_zoo.layers.statreg import _em_state
from cm_zoo.layers.statreg import _initialization
from cm_zoo.layers.statreg import _streaming
from cm_zoo.layers.statreg import diagonal_gmm_prior

_INITS = ("kmeans++", "random")
# Rows kept for seeding, per component (at least _MIN_SAMPLE_SIZE).
_SAMPLE_SIZE_PER_COMPONENT = 20
_MIN_SAMPLE_SIZE = 1000
# Lloyd iterations on the sample after k-means++ seeding (at most).
_LLOYD_ITERATIONS = 20


def fit_diagonal_gmm(
    dataset,
    num_components,
    *,
    max_iterations=100,
    tolerance=1e-3,
    variance_floor=1e-6,
    seed=0,
    init="kmeans++",
    checkpoint_dir=None,
    callback=None,
    verbose=0,
):
    """Fits a diagonal-covariance GMM by EM, streaming over the data.

    A first pass counts the examples, takes their mean and variance and keeps
    a uniform sample of `max(1000, 20 * num_components)` rows (chosen by a
    hash of `seed` and the row index, so independent of batching). The means
    start at the k-means clusters of the sample (greedy k-means++ seeding,
    then Lloyd iterations), with their variances and sizes; with
    `init="random"` at `num_components` random sample rows, the data
    variance and uniform weights. Each EM iteration is one pass: a
    `tf.function` reduces every batch to the sufficient statistics `N_k`,
    `sum_k x`, `sum_k x^2` (float32 per batch on data centered by its mean,
    float64 across batches); memory is `O(batch * K + K * D)`. The M-step
    floors variances at `variance_floor`; a component with less than one
    example of responsibility is re-seeded at the sample row least likely
    under the mixture, with the data variance and weight `1 / num_examples`.

    EM stops when the mean log-likelihood per example changes by less than
    `tolerance` (scikit-learn's criterion) or after `max_iterations`
    M-steps. The data must be iterated in the same order on every pass.

    Args:
        dataset: `tf.data.Dataset` of float `(batch, dim)` tensors, or a NumPy
            array `(num_examples, dim)`.
        num_components: int. Number of mixture components `K`.
        max_iterations: int. Maximum number of M-steps. Defaults to `100`.
        tolerance: float. Convergence threshold on the change of the mean
            log-likelihood per example. Defaults to `1e-3`.
        variance_floor: float. Lower bound on every variance. Defaults to
            `1e-6`.
        seed: int. Seed of the sample and of the initialization; the fit is
            deterministic given the data order. Defaults to `0`.
        init: str. `"kmeans++"` or `"random"`. Defaults to `"kmeans++"`.
        checkpoint_dir: str or None. If set, the state is saved there
            (`em_state.npz`, written atomically, the previous state kept as
            `em_state.previous.npz`) after every M-step, and a call finding
            a checkpoint resumes from it, ending where an uninterrupted call
            would. A torn newest file falls back to the previous one, and
            with none readable EM starts afresh; both warn, naming the
            file. Defaults to `None`.
        callback: callable or None. Called as `callback(iteration,
            mean_log_likelihood)` after every pass. Defaults to `None`.
        verbose: int. `1` shows a `keras.utils.Progbar` over iterations.
            Defaults to `0`.

    Returns:
        A `DiagonalGMMPrior` with `mean_log_likelihood` of the data under the
        returned parameters.

    Raises:
        ValueError: for invalid arguments, `num_components` larger than the
            number of examples, elements not shaped `(batch, dim)`, or a
            checkpoint of another fit.
        TypeError: for a `dataset` of another type.

    Example:
    >>> from cm_zoo.layers.statreg import fit_diagonal_gmm
    >>> rng = np.random.default_rng(0)
    >>> data = np.concatenate([rng.normal(-5, 1, (500, 2)),
    ...                        rng.normal(5, 1, (500, 2))]).astype("float32")
    >>> prior = fit_diagonal_gmm(data, num_components=2, seed=1)
    >>> np.sort(np.round(prior.means[:, 0]))
    array([-5.,  5.])
    >>> prior.converged, bool(np.all(prior.variances >= 1e-6))
    (True, True)
    """
    _check_arguments(
        num_components, max_iterations, tolerance, variance_floor, seed, init
    )
    data = _first_pass(dataset, num_components, variance_floor, seed)
    checkpoint = None
    if checkpoint_dir is not None:
        fingerprint = (
            f"K={num_components},D={data.dim},N={data.num_examples},seed={seed}"
        )
        checkpoint = _em_state.EMCheckpoint(checkpoint_dir, fingerprint)
    state = _starting_state(
        data,
        num_components,
        init=init,
        seed=seed,
        variance_floor=variance_floor,
        checkpoint=checkpoint,
    )
    mean_log_likelihood, converged = _run_em(
        state,
        data,
        max_iterations=max_iterations,
        tolerance=tolerance,
        variance_floor=variance_floor,
        checkpoint=checkpoint,
        report=_reporter(max_iterations, verbose, callback),
    )
    return diagonal_gmm_prior.DiagonalGMMPrior(
        logits=state.logits.numpy(),
        means=state.centered_means.numpy().astype("float64")
        + state.center.numpy(),
        variances=state.variances.numpy(),
        mean_log_likelihood=float(mean_log_likelihood),
        num_iterations=int(state.iteration.numpy()),
        converged=bool(converged),
    )


def _starting_state(
    data, num_components, *, init, seed, variance_floor, checkpoint
):
    """The EM state restored from `checkpoint`, else freshly initialized."""
    state = _em_state.EMState(num_components, data.dim, data.mean)
    if checkpoint is None or not checkpoint.restore(state):
        state.assign(
            *_initial_parameters(
                data,
                num_components,
                init=init,
                rng=np.random.default_rng(seed),
                variance_floor=variance_floor,
            )
        )
    return state


def _reporter(max_iterations, verbose, callback):
    """`report(iteration, mean_log_likelihood)`: progress bar and callback."""
    progbar = keras.utils.Progbar(
        max_iterations,
        verbose=verbose,
        stateful_metrics=["mean_log_likelihood"],
        unit_name="iteration",
    )

    def report(iteration, mean_log_likelihood):
        progbar.update(
            iteration, [("mean_log_likelihood", mean_log_likelihood)]
        )
        if callback is not None:
            callback(iteration, mean_log_likelihood)

    return report


def _check_arguments(
    num_components, max_iterations, tolerance, variance_floor, seed, init
):
    _streaming.check_int("num_components", num_components, 1)
    _streaming.check_int("max_iterations", max_iterations, 0)
    _streaming.check_int("seed", seed, 0)
    if not tolerance >= 0.0:
        raise ValueError(
            f"`tolerance` must be >= 0. Received: tolerance={tolerance!r}"
        )
    if not variance_floor > 0.0:
        raise ValueError(
            "`variance_floor` must be > 0. "
            f"Received: variance_floor={variance_floor!r}"
        )
    if init not in _INITS:
        raise ValueError(
            f"`init` must be one of {list(_INITS)}. Received: init={init!r}"
        )


@dataclasses.dataclass(frozen=True)
class _Data:
    """What EM needs to know of the data, from the first pass."""

    dataset: tf.data.Dataset  # float32 (batch, dim), non-empty batches
    dim: int
    num_examples: int
    mean: np.ndarray  # [D] float64
    variance: np.ndarray  # [D] float64, floored
    centered_sample: np.ndarray  # [M, D] float32 rows minus the mean


def _first_pass(dataset, num_components, variance_floor, seed):
    dataset, dim = _streaming.as_batched_dataset(dataset)
    sample_size = max(
        _MIN_SAMPLE_SIZE, _SAMPLE_SIZE_PER_COMPONENT * num_components
    )
    num_examples, mean, variance, sample = _initialization.first_pass(
        dataset, sample_size, seed
    )
    if num_components > num_examples:
        raise ValueError(
            "`num_components` must not exceed the number of examples. "
            f"Received: num_components={num_components} for "
            f"{num_examples} examples"
        )
    return _Data(
        dataset=dataset,
        dim=dim,
        num_examples=num_examples,
        mean=mean,
        variance=np.maximum(variance, variance_floor),
        centered_sample=sample - mean.astype("float32"),
    )


def _run_em(
    state,
    data,
    *,
    max_iterations,
    tolerance,
    variance_floor,
    checkpoint,
    report,
):
    """E-passes and M-steps until convergence; returns `(ll, converged)`."""
    e_pass = _make_e_pass(data.dataset, state)
    while True:
        iteration = int(state.iteration.numpy())
        counts, sum_x, sum_x2, sum_log_prob = (t.numpy() for t in e_pass())
        mean_log_likelihood = sum_log_prob / data.num_examples
        previous = float(state.previous_log_likelihood.numpy())
        converged = (
            iteration > 0 and abs(mean_log_likelihood - previous) < tolerance
        )
        report(iteration, mean_log_likelihood)
        if converged or iteration >= max_iterations:
            return mean_log_likelihood, converged
        _m_step(
            state,
            counts,
            sum_x,
            sum_x2,
            num_examples=data.num_examples,
            variance_floor=variance_floor,
            data_variance=data.variance,
            centered_sample=data.centered_sample,
        )
        state.previous_log_likelihood.assign(mean_log_likelihood)
        state.iteration.assign_add(1)
        if checkpoint is not None:
            checkpoint.save(state)


def _initial_parameters(data, num_components, *, init, rng, variance_floor):
    """`(logits, centered_means, variances)` to start EM from."""
    centered_sample = data.centered_sample
    data_variance = data.variance
    if init == "random":
        chosen = rng.choice(
            centered_sample.shape[0], num_components, replace=False
        )
        return (
            np.full(num_components, -math.log(num_components)),
            centered_sample[chosen],
            np.tile(data_variance, (num_components, 1)),
        )
    chosen = _initialization.kmeans_plus_plus(
        centered_sample, num_components, rng
    )
    means, assignment = _initialization.lloyd(
        centered_sample, centered_sample[chosen], _LLOYD_ITERATIONS
    )
    sizes = np.bincount(assignment, minlength=num_components)
    variances = np.tile(data_variance, (num_components, 1))
    for k in np.flatnonzero(sizes >= 2):
        variances[k] = np.maximum(
            centered_sample[assignment == k].var(axis=0), variance_floor
        )
    weights = np.maximum(sizes, 1) / np.maximum(sizes, 1).sum()
    return np.log(weights), means, variances


def _make_e_pass(dataset, state):
    """A `tf.function` reducing the dataset to float64 EM statistics."""
    num_components, dim = state.centered_means.shape

    @tf.function
    def e_pass():
        def accumulate(totals, x):
            counts, sum_x, sum_x2, sum_log_prob = totals
            centered_x = x - state.center  # [B, D]
            log_joint = _densities.diagonal_gmm_component_log_prob(
                centered_x, state.logits, state.centered_means, state.variances
            )  # [B, K]
            log_prob = tf.reduce_logsumexp(log_joint, axis=-1)  # [B]
            resp = tf.exp(log_joint - log_prob[:, None])  # [B, K]
            return (
                counts + tf.cast(tf.reduce_sum(resp, axis=0), "float64"),
                sum_x
                + tf.cast(
                    tf.matmul(resp, centered_x, transpose_a=True), "float64"
                ),  # [K, D]
                sum_x2
                + tf.cast(
                    tf.matmul(resp, tf.square(centered_x), transpose_a=True),
                    "float64",
                ),  # [K, D]
                sum_log_prob + tf.cast(tf.reduce_sum(log_prob), "float64"),
            )

        initial = (
            tf.zeros([num_components], "float64"),
            tf.zeros([num_components, dim], "float64"),
            tf.zeros([num_components, dim], "float64"),
            tf.zeros([], "float64"),
        )
        return dataset.reduce(initial, accumulate)

    return e_pass


def _m_step(
    state,
    counts,
    sum_x,
    sum_x2,
    *,
    num_examples,
    variance_floor,
    data_variance,
    centered_sample,
):
    """Float64 M-step from the statistics; re-seeds empty components."""
    empty = counts < 1.0
    safe_counts = np.maximum(counts, 1.0)[:, None]
    means = sum_x / safe_counts
    variances = np.maximum(
        sum_x2 / safe_counts - np.square(means), variance_floor
    )
    weights = counts / num_examples
    if np.any(empty):
        # The sample rows least likely under the current mixture.
        log_prob = _densities.diagonal_gmm_log_prob(
            tf.constant(centered_sample),
            state.logits,
            state.centered_means,
            state.variances,
        ).numpy()
        reseed = np.argsort(log_prob, kind="stable")[: int(empty.sum())]
        means[empty] = centered_sample[reseed]
        variances[empty] = data_variance
        weights[empty] = 1.0 / num_examples
    state.assign(
        logits=np.log(weights / weights.sum()),
        centered_means=means,
        variances=variances,
    )
