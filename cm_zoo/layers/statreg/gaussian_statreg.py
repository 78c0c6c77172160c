"""StatReg with a full-covariance Gaussian prior (CMPlaces, Method B-Single)."""

import keras

from cm_zoo.layers.statreg import _statreg_base
from cm_zoo.layers.statreg import gaussian_prior


@keras.saving.register_keras_serializable(package="cm_zoo")
@_statreg_base.expand_shared_docs
class GaussianStatReg(_statreg_base.StatRegBase):
    """Method B-Single: penalizes activations unlikely under a fixed Gaussian.

    Returns its input unchanged (in the compute dtype, as Keras autocasts float
    inputs). When called with `training=True` it adds `weight *
    mean_over_batch(-log N(x; mu, Sigma))` to the layer's losses; at inference
    (`training` false or `None`) it adds nothing. This is the paper's eq. 3 plus
    the constant it omits (`D/2 log(2 pi) + 1/2 log det Sigma`), so the value is
    a true negative log-density; gradients are the same. The prior lives in
    non-trainable float32 weights saved with the model: `mean` and
    `precision_cholesky`, the upper-triangular `W = inverse(cholesky(Sigma))^T`
    with `W W^T = Sigma^-1`, so the Mahalanobis term is one matmul `||(x - mu)
    W||^2`. The density is computed in float32 even under a `mixed_float16`
    policy. Until `set_prior` is called the prior is the standard normal.
    The layer also caches the log normalizer of the density in a weight of
    its own, which `set_prior` and loading refresh: write the prior through
    `set_prior`, not into its weights.

    ${distribution}

    Args:
        ${weight_and_kwargs}

    ${call_and_shapes}

    Example:
    >>> from cm_zoo.layers.statreg import GaussianPrior, GaussianStatReg
    >>> prior = GaussianPrior(mean=np.zeros(2), covariance=4.0 * np.eye(2))
    >>> reg = GaussianStatReg.from_prior(prior, weight=1.0)
    >>> y = reg(np.array([[2.0, 0.0]], "float32"), training=True)
    >>> round(float(reg.losses[0]), 4)  # 1/2 + log(2 pi) + log(4)
    3.7242

    References:
        Aytar et al., "Cross-Modal Scene Networks", TPAMI 2017, section 4.3.
    """

    PRIOR_CLASS = gaussian_prior.GaussianPrior

    def _prior_weight_specs(self, dim):
        return {
            "mean": ((dim,), "zeros"),
            "precision_cholesky": ((dim, dim), "identity"),
        }

    def _check_prior_shape(self, prior):
        if prior.dim != self.mean.shape[0]:
            raise ValueError(
                f"GaussianStatReg `{self.name}` holds dim={self.mean.shape[0]}."
                f" Received: a prior with dim={prior.dim}"
            )
