"""Float64 NumPy references for the StatReg tests (direct, unexpanded forms)."""

import numpy as np


def logsumexp(values, axis=-1):
    """`log(sum(exp(values)))` along `axis`, shifted by the maximum."""
    peak = np.max(values, axis=axis, keepdims=True)
    return np.squeeze(
        peak + np.log(np.sum(np.exp(values - peak), axis=axis, keepdims=True)),
        axis=axis,
    )


def gmm_component_log_prob(x, logits, means, variances):
    """`[N, K]` log w_k + log N(x; mu_k, diag(var_k)), broadcast over K."""
    x, means, variances = (
        np.asarray(a, "float64") for a in (x, means, variances)
    )
    log_weights = logits - logsumexp(np.asarray(logits, "float64"))
    squared = np.square(x[:, None, :] - means[None]) / variances[None]
    return log_weights - 0.5 * (
        x.shape[-1] * np.log(2.0 * np.pi)
        + np.log(variances).sum(-1)
        + squared.sum(-1)
    )


def gmm_log_prob(x, logits, means, variances):
    """`[N]` log-density of a diagonal GMM."""
    return logsumexp(gmm_component_log_prob(x, logits, means, variances))


def gmm_nll_gradient(x, logits, means, variances):
    """Gradient of `mean_n(-log p(x_n))` with respect to `x`, `[N, D]`."""
    log_joint = gmm_component_log_prob(x, logits, means, variances)
    resp = np.exp(log_joint - logsumexp(log_joint)[:, None])  # [N, K]
    per_component = (np.asarray(x, "float64")[:, None, :] - means[None]) / (
        variances[None]
    )  # [N, K, D]
    return np.einsum("nk,nkd->nd", resp, per_component) / x.shape[0]


def gaussian_log_prob(x, mean, covariance):
    """`[N]` log N(x; mean, covariance) by solve and slogdet."""
    centered = np.asarray(x, "float64") - mean
    solved = np.linalg.solve(covariance, centered.T).T
    _, log_det = np.linalg.slogdet(covariance)
    return -0.5 * (
        mean.shape[0] * np.log(2.0 * np.pi)
        + log_det
        + np.sum(centered * solved, axis=-1)
    )
