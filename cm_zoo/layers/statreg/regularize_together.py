"""Several StatReg calls evaluated together, in one XLA call."""

import tensorflow as tf

from cm_zoo.layers.statreg import _densities


def regularize_together(calls):
    """Adds the losses of several StatReg calls, evaluated in one XLA call.

    Each `(layer, x)` of `calls` adds to `layer.losses` exactly what
    `layer(x, training=True)` adds (`weight * mean NLL` of `x`, float32), in
    the order of `calls`. Instead of one XLA call per layer call, every
    density and its input gradient come from one XLA call, and the inputs
    of a layer listed several times (e.g. one per modality) are evaluated
    as one batch, so that its prior-only terms are computed once.
    `CrossModalClassifier` regularizes a training step this way.

    Args:
        calls: list of `(layer, x)`: a `GaussianStatReg` or `GMMStatReg` and
            its `(batch_size, dim)` input. Unbuilt layers are built on `x`.

    Returns:
        The added losses, in the order of `calls`. (As with any
        `add_loss`, a layer's list is cleared when it or a model holding it
        is next called.)

    Example:
    >>> from cm_zoo.layers.statreg import (
    ...     DiagonalGMMPrior, GMMStatReg, regularize_together)
    >>> prior = DiagonalGMMPrior(
    ...     logits=np.zeros(2), means=np.zeros((2, 4)),
    ...     variances=np.ones((2, 4)))
    >>> reg = GMMStatReg.from_prior(prior, weight=0.5)
    >>> x, z = np.zeros((3, 4), "float32"), np.ones((5, 4), "float32")
    >>> added = regularize_together([(reg, x), (reg, z)])
    >>> [round(float(loss), 4) for loss in added]
    [1.8379, 2.8379]
    >>> len(reg.losses)
    2
    >>> _ = reg(z, training=True)  # the same loss as one call on its own
    >>> round(float(reg.losses[0]), 4)
    2.8379
    """
    groups = {}  # id(layer) -> (layer, positions of its calls in order)
    inputs = []
    for position, (layer, x) in enumerate(calls):
        if not layer.built:
            layer(x)  # builds it; outside training it adds no loss
        # As `layer.__call__` casts a float input to the compute dtype.
        policy = layer.dtype_policy
        x = policy.convert_input(x, layer.autocast, layer.input_dtype)
        inputs.append(tf.cast(x, "float32"))
        groups.setdefault(id(layer), (layer, []))[1].append(position)
    losses = iter(
        _densities.mean_negative_log_likelihoods(
            [
                (
                    layer.PRIOR_CLASS.DENSITY,
                    [inputs[p] for p in positions],
                    layer.prior_tensors(),
                    layer.prior_term_tensors(),
                    layer.weight,
                )
                for layer, positions in groups.values()
            ]
        )
    )
    added = [None] * len(calls)
    for layer, positions in groups.values():
        for position in positions:
            added[position] = next(losses)
            layer.add_loss(added[position])
    return added
