"""Streaming fit of the full-covariance Gaussian prior (CMPlaces, B-Single)."""

import math

import numpy as np
import tensorflow as tf

from cm_zoo.layers.statreg import _streaming
from cm_zoo.layers.statreg import gaussian_prior


def fit_gaussian(dataset, *, shrinkage=0.0, diagonal_loading=1e-6):
    """Fits a full-covariance Gaussian in one streaming pass.

    Each batch contributes its mean and centered scatter matrix (float32
    matmul), merged into float64 totals with the pairwise update of Chan et
    al., inside `tf.data.Dataset.reduce`; memory is `O(batch * D + D^2)`. The
    maximum-likelihood covariance `S` is then shrunk towards the scaled
    identity and loaded on the diagonal:
    `Sigma = (1 - shrinkage) S + shrinkage tr(S)/D I + diagonal_loading I`.

    Args:
        dataset: `tf.data.Dataset` of float `(batch, dim)` tensors, or a NumPy
            array `(num_examples, dim)`.
        shrinkage: float in `[0, 1]`. Weight of `tr(S)/D I`. Defaults to `0.`.
        diagonal_loading: float. Non-negative value added to the diagonal, so
            that a rank-deficient `S` (fewer examples than `dim`) stays
            invertible. Defaults to `1e-6`.

    Returns:
        A `GaussianPrior` whose `mean_log_likelihood` is the exact mean
        log-density of the data, `-1/2 (D log 2 pi + log det Sigma +
        tr(Sigma^-1 S))`.

    Raises:
        ValueError: for invalid arguments, fewer than 2 examples or elements
            not shaped `(batch, dim)`.
        TypeError: for a `dataset` of another type.

    Example:
    >>> from cm_zoo.layers.statreg import fit_gaussian
    >>> data = np.random.default_rng(0).normal(size=(5000, 2)) * [1.0, 3.0]
    >>> prior = fit_gaussian(data)
    >>> np.round(np.diag(prior.covariance))
    array([1., 9.])
    """
    if not 0.0 <= shrinkage <= 1.0:
        raise ValueError(
            f"`shrinkage` must be in [0, 1]. Received: shrinkage={shrinkage!r}"
        )
    if not diagonal_loading >= 0.0:
        raise ValueError(
            "`diagonal_loading` must be >= 0. "
            f"Received: diagonal_loading={diagonal_loading!r}"
        )
    dataset, dim = _streaming.as_batched_dataset(dataset)
    count, mean, scatter = (t.numpy() for t in _moments(dataset, dim))
    if count < 2:
        raise ValueError(
            "`dataset` must hold at least 2 examples to fit a covariance. "
            f"Received: {int(count)} examples"
        )
    sample_covariance = scatter / count
    sample_covariance = 0.5 * (sample_covariance + sample_covariance.T)
    average_variance = np.trace(sample_covariance) / dim
    covariance = (1.0 - shrinkage) * sample_covariance + (
        shrinkage * average_variance + diagonal_loading
    ) * np.eye(dim)
    prior = gaussian_prior.GaussianPrior(mean=mean, covariance=covariance)
    # W W^T = Sigma^-1, so tr(Sigma^-1 S) = ||W^T S^(1/2)||^2 = tr(W^T S W).
    precision_cholesky = prior.precision_cholesky
    trace_term = np.sum(
        precision_cholesky * (sample_covariance @ precision_cholesky)
    )
    log_det = -2.0 * np.sum(np.log(np.diag(precision_cholesky)))
    mean_log_likelihood = -0.5 * (
        dim * math.log(2.0 * math.pi) + log_det + trace_term
    )
    return gaussian_prior.GaussianPrior(
        mean=mean,
        covariance=covariance,
        mean_log_likelihood=float(mean_log_likelihood),
    )


@tf.function
def _moments(dataset, dim):
    """Float64 `(count, mean [D], scatter [D, D])` of all rows."""

    def merge(totals, x):
        batch_mean = tf.reduce_mean(x, axis=0)  # [D]
        centered = x - batch_mean  # [B, D]
        return _streaming.merge_moments(
            totals,
            (
                tf.cast(tf.shape(x)[0], "float64"),
                tf.cast(batch_mean, "float64"),
                tf.cast(
                    tf.matmul(centered, centered, transpose_a=True), "float64"
                ),  # [D, D]
            ),
            outer=lambda a, b: tf.tensordot(a, b, axes=0),
        )

    initial = (
        tf.zeros([], "float64"),
        tf.zeros([dim], "float64"),
        tf.zeros([dim, dim], "float64"),
    )
    return dataset.reduce(initial, merge)
