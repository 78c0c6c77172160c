"""Private log-density kernels and reference TFP distributions for StatReg.

The kernels are the hot path of the StatReg layers and of the EM fitter. They
avoid TFP's `[batch, components, dim]` broadcast by expanding the quadratic
form into matmuls, after centering everything on a reference point so that
float32 cancellation stays small near and far from the components. They work
in the dtype of their arguments (float32 in the layers, float64 in the priors).
"""

import math

import tensorflow as tf
from tensorflow_probability import distributions as tfd


def diagonal_gmm_component_log_prob(x, logits, means, variances):
    """Per-component joint log-densities `log w_k + log N(x; mu_k, var_k)`.

    Args:
        x: `[B, D]` points.
        logits: `[K]` unnormalized mixture log-weights.
        means: `[K, D]` component means.
        variances: `[K, D]` positive component variances.

    Returns:
        `[B, K]` tensor; `reduce_logsumexp` over the last axis is `log p(x)`.
    """
    dim = tf.cast(tf.shape(means)[-1], x.dtype)
    log_weights = tf.nn.log_softmax(logits)  # [K]
    # Reference point: the mixture mean. Centering both x and the means on it
    # keeps the expanded terms of the order of the true squared distances.
    center = tf.linalg.matvec(means, tf.exp(log_weights), transpose_a=True)
    centered_means = means - center  # [K, D]
    centered_x = x - center  # [B, D]
    precisions = tf.math.reciprocal(variances)  # [K, D]
    # sum_d (x_d - mu_kd)^2 / var_kd
    #   = x^2 . (1/var)^T - 2 x . (mu/var)^T + sum_d mu_kd^2 / var_kd
    quadratic = (
        tf.matmul(tf.square(centered_x), precisions, transpose_b=True)
        - 2.0
        * tf.matmul(centered_x, centered_means * precisions, transpose_b=True)
        + tf.reduce_sum(tf.square(centered_means) * precisions, axis=-1)
    )  # [B, K]
    # The expansion can round to slightly negative values; the true form can't.
    quadratic = tf.maximum(quadratic, 0.0)
    log_normalizer = -0.5 * (
        dim * math.log(2.0 * math.pi)
        + tf.reduce_sum(tf.math.log(variances), axis=-1)
    )  # [K]
    return log_weights + log_normalizer - 0.5 * quadratic  # [B, K]


def diagonal_gmm_log_prob(x, logits, means, variances, num_exact=2):
    """`log p(x)` under a diagonal-covariance Gaussian mixture, shape `[B]`.

    The expanded quadratic form loses accuracy when the components sit many
    standard deviations from the mixture mean. The `num_exact` components
    with the largest approximate log-density per row (those that dominate the
    sum) are therefore recomputed in the direct `sum((x - mu)^2 / var)` form
    from gathered `[B, num_exact, D]` slices.
    """
    num_components = tf.shape(logits)[0]
    approximate = diagonal_gmm_component_log_prob(
        x, logits, means, variances
    )  # [B, K]
    num_exact = tf.minimum(num_exact, num_components)
    top = tf.math.top_k(tf.stop_gradient(approximate), k=num_exact).indices
    top_means = tf.gather(means, top)  # [B, m, D]
    top_variances = tf.gather(variances, top)  # [B, m, D]
    dim = tf.cast(tf.shape(means)[-1], x.dtype)
    exact = (
        tf.gather(tf.nn.log_softmax(logits), top)
        - 0.5
        * tf.reduce_sum(
            tf.square(x[:, None, :] - top_means) / top_variances
            + tf.math.log(top_variances),
            axis=-1,
        )
        - 0.5 * dim * math.log(2.0 * math.pi)
    )  # [B, m]
    is_top = tf.reduce_any(
        tf.equal(top[:, :, None], tf.range(num_components)), axis=1
    )  # [B, K]
    rest = tf.where(
        is_top, tf.constant(-math.inf, x.dtype), approximate
    )  # [B, K]
    return tf.reduce_logsumexp(tf.concat([exact, rest], axis=-1), axis=-1)


def gaussian_log_prob(x, mean, precision_cholesky):
    """`log N(x; mean, P^-1)` with `P = W W^T`, W = `precision_cholesky`.

    `W` is the upper-triangular factor `inverse(cholesky(covariance))^T` (the
    scikit-learn convention), so `||(x - mean) W||^2` is the Mahalanobis form
    and `log det P = 2 sum log |diag W|`.

    Returns:
        `[B]` tensor.
    """
    dim = tf.cast(tf.shape(mean)[-1], x.dtype)
    whitened = tf.matmul(x - mean, precision_cholesky)  # [B, D]
    quadratic = tf.reduce_sum(tf.square(whitened), axis=-1)  # [B]
    half_log_det_precision = tf.reduce_sum(
        tf.math.log(tf.abs(tf.linalg.diag_part(precision_cholesky)))
    )
    return (
        -0.5 * (dim * math.log(2.0 * math.pi) + quadratic)
        + half_log_det_precision
    )


def diagonal_gmm_distribution(logits, means, variances):
    """The reference `tfd.MixtureSameFamily` of diagonal Gaussians."""
    return tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(logits=logits),
        components_distribution=tfd.MultivariateNormalDiag(
            loc=means, scale_diag=tf.sqrt(variances)
        ),
    )


def gaussian_distribution(mean, precision_cholesky):
    """The reference `tfd.MultivariateNormalTriL` for `gaussian_log_prob`."""
    dim = tf.shape(precision_cholesky)[-1]
    # W = L^-T with L = cholesky(covariance), so L = (W^-1)^T.
    inverse = tf.linalg.triangular_solve(
        precision_cholesky,
        tf.eye(dim, dtype=precision_cholesky.dtype),
        lower=False,
    )
    return tfd.MultivariateNormalTriL(
        loc=mean, scale_tril=tf.linalg.matrix_transpose(inverse)
    )
