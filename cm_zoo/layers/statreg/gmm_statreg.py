"""StatReg with a diagonal-covariance GMM prior (CMPlaces, Method B-GMM)."""

import keras
import numpy as np

from cm_zoo.layers.statreg import _statreg_base
from cm_zoo.layers.statreg import diagonal_gmm_prior


@keras.saving.register_keras_serializable(package="cm_zoo")
@_statreg_base.expand_shared_docs
class GMMStatReg(_statreg_base.StatRegBase):
    """Method B-GMM: penalizes activations unlikely under a fixed diagonal GMM.

    Returns its input unchanged (in the compute dtype, as Keras autocasts float
    inputs). When called with `training=True` it adds `weight *
    mean_over_batch(-log p(x))` to the layer's losses (paper eq. 4); at
    inference (`training` false or `None`) it adds nothing. `p` is a mixture of
    diagonal Gaussians fitted on source-modality activations
    (`fit_diagonal_gmm`); `-log p(x)` is the true negative log-density, constant
    `D/2 log(2 pi)` included. The prior (`logits`, `means`, `variances`) lives
    in non-trainable float32 weights that are saved with the model; the density
    is computed in float32 even under a `mixed_float16` policy, and the loss is
    float32. Until `set_prior` is called the prior is `K` standard normals at
    the origin. The layer also caches, in non-trainable weights of their own,
    the prior-only terms of the density (precisions, scaled means,
    normalizers), which `set_prior` and loading refresh: write the prior
    through `set_prior`, not into its weights.

    The density is `prior_distribution()` (a `tfd.MixtureSameFamily`), but is
    computed without its `[batch, K, dim]` broadcast: the quadratic forms are
    expanded into matmuls about the mixture mean, and the two dominant
    components per row are recomputed exactly, so the value stays accurate
    near and far from the components. One XLA-compiled call returns the
    loss and its analytic input gradient (a `tf.custom_gradient`), so a
    training step adds a few graph ops per StatReg call
    (`regularize_together` evaluates several calls in one); the prior
    weights get no gradient.

    ${distribution}

    Args:
        num_components: int. Number of mixture components `K`.
        ${weight_and_kwargs}

    ${call_and_shapes}

    Example:
    >>> from cm_zoo.layers.statreg import DiagonalGMMPrior, GMMStatReg
    >>> prior = DiagonalGMMPrior(
    ...     logits=np.zeros(3),
    ...     means=np.zeros((3, 8)),
    ...     variances=np.ones((3, 8)),
    ... )
    >>> reg = GMMStatReg.from_prior(prior, weight=0.1)
    >>> x = np.zeros((4, 8), "float32")
    >>> y = reg(x, training=True)
    >>> tuple(y.shape), len(reg.losses)
    ((4, 8), 1)
    >>> round(float(reg.losses[0]), 3)  # 0.1 * 8/2 * log(2 pi)
    0.735
    >>> _ = reg(x, training=False)
    >>> len(reg.losses)
    0

    References:
        Aytar et al., "Cross-Modal Scene Networks", TPAMI 2017, section 4.3.
    """

    def __init__(self, num_components, weight=1.0, **kwargs):
        if (
            isinstance(num_components, bool)
            or not isinstance(num_components, (int, np.integer))
            or num_components < 1
        ):
            raise ValueError(
                "`num_components` must be a positive int. "
                f"Received: num_components={num_components!r}"
            )
        super().__init__(weight=weight, **kwargs)
        self.num_components = int(num_components)

    PRIOR_CLASS = diagonal_gmm_prior.DiagonalGMMPrior

    @classmethod
    def _arguments_for(cls, prior):
        return {"num_components": prior.num_components}

    def _prior_weight_specs(self, dim):
        components = self.num_components
        return {
            "logits": ((components,), "zeros"),
            "means": ((components, dim), "zeros"),
            "variances": ((components, dim), "ones"),
        }

    def _check_prior_shape(self, prior):
        expected = tuple(self.means.shape)
        if prior.means.shape != expected:
            raise ValueError(
                f"GMMStatReg `{self.name}` holds (num_components, dim)="
                f"{expected}. Received: a prior with "
                f"(num_components, dim)={prior.means.shape}"
            )

    def get_config(self):
        config = super().get_config()
        config.update({"num_components": self.num_components})
        return config
