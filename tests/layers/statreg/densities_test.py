"""The fused GMM kernel against TFP's `MixtureSameFamily` (the definition)."""

import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.layers.statreg import GMMStatReg
from cm_zoo.layers.statreg import _densities
from cm_zoo.layers.statreg import fit_gaussian
from tests.layers.statreg import statreg_reference


def _prior(rng, num_components, dim, spread, offset=0.0):
    return DiagonalGMMPrior(
        logits=rng.normal(size=num_components),
        means=offset + spread * rng.normal(size=(num_components, dim)),
        variances=rng.uniform(0.5, 2.0, size=(num_components, dim)),
    )


def _points(rng, prior, stds, num_points=32):
    index = rng.integers(prior.num_components, size=num_points)
    signs = rng.choice([-1.0, 1.0], size=(num_points, prior.dim))
    return prior.means[index] + stds * np.sqrt(prior.variances[index]) * signs


def _value_and_gradient(nll, x):
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        value = nll(x)
    return value.numpy(), tape.gradient(value, x).numpy()


def _kernel(prior, dtype):
    """The fused mean NLL (one XLA call, analytic gradient)."""
    parameters = [
        tf.constant(value, dtype)
        for value in prior.density_parameters().values()
    ]

    def nll(x):
        (loss,) = _densities.mean_negative_log_likelihoods(
            [(_densities.DIAGONAL_GMM, [x], parameters, None, 1.0)]
        )
        return loss

    return nll


def _tfp(prior, dtype):
    """The mean NLL by the definition, TFP's `MixtureSameFamily`."""
    distribution = prior.distribution(dtype)
    return lambda x: -tf.reduce_mean(distribution.log_prob(x))


CASES = [(0.5, 3.0, 0.0), (50.0, 3.0, 0.0), (0.5, 30.0, 0.0), (50.0, 3.0, 1e3)]
CASE_IDS = ["near", "far", "separated", "far_offset"]


@pytest.mark.parametrize("stds,spread,offset", CASES, ids=CASE_IDS)
def test_float64_nll_and_gradient_equal_tfp(stds, spread, offset):
    rng = np.random.default_rng(0)
    prior = _prior(rng, 16, 64, spread, offset)
    x = _points(rng, prior, stds)

    ours = _value_and_gradient(_kernel(prior, "float64"), x)
    tfp = _value_and_gradient(_tfp(prior, "float64"), x)

    np.testing.assert_allclose(ours[0], tfp[0], rtol=1e-12)
    scale = np.abs(tfp[1]).max()
    np.testing.assert_allclose(ours[1], tfp[1], rtol=0, atol=1e-9 * scale)


@pytest.mark.parametrize("stds,spread,offset", CASES, ids=CASE_IDS)
def test_float32_nll_and_gradient_equal_float64_reference(stds, spread, offset):
    rng = np.random.default_rng(1)
    prior = _prior(rng, 64, 256, spread, offset)
    x = _points(rng, prior, stds).astype("float32")

    value, gradient = _value_and_gradient(_kernel(prior, "float32"), x)

    expected = -np.mean(
        statreg_reference.gmm_log_prob(
            x, prior.logits, prior.means, prior.variances
        )
    )
    np.testing.assert_allclose(value, expected, rtol=2e-6)
    expected_gradient = statreg_reference.gmm_nll_gradient(
        x, prior.logits, prior.means, prior.variances
    )
    scale = np.abs(expected_gradient).max()
    np.testing.assert_allclose(
        gradient, expected_gradient, rtol=0, atol=2e-5 * scale
    )


def test_one_component_mixture_is_the_gaussian():
    rng = np.random.default_rng(2)
    prior = _prior(rng, 1, 8, spread=1.0)
    x = _points(rng, prior, 2.0)

    ours = _value_and_gradient(_kernel(prior, "float64"), x)
    tfp = _value_and_gradient(_tfp(prior, "float64"), x)

    np.testing.assert_allclose(ours[0], tfp[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], tfp[1], atol=1e-12)


def test_statreg_nll_and_gradient_are_a_few_graph_ops():
    # Autodiff of the expanded form took ~216 ops per evaluation; the fused
    # kernel is one XLA call with its analytic gradient.
    rng = np.random.default_rng(3)
    layer = GMMStatReg.from_prior(_prior(rng, 10, 32, spread=1.0))
    x = tf.constant(rng.normal(size=(4, 32)), "float32")

    @tf.function
    def nll_and_gradient():
        with tf.GradientTape() as tape:
            tape.watch(x)
            layer(x, training=True)
            loss = layer.losses[0]
        return loss, tape.gradient(loss, x)

    graph = nll_and_gradient.get_concrete_function().graph
    ops = [op for op in graph.get_operations() if op.type != "Const"]
    assert len(ops) <= 40, sorted(op.type for op in ops)
    value, gradient = nll_and_gradient()
    assert np.isfinite(value.numpy()) and np.all(np.isfinite(gradient))


def test_inputs_evaluated_together_equal_one_by_one():
    rng = np.random.default_rng(4)
    gmm = _prior(rng, 8, 16, spread=3.0)
    gaussian = fit_gaussian(rng.normal(size=(200, 6)))
    xs = [tf.Variable(_points(rng, gmm, 2.0, n)) for n in (3, 5)]
    z = tf.Variable(rng.normal(size=(4, 6)))
    weights = [1.0, 1.0, 3.0]
    with tf.GradientTape(persistent=True) as tape:
        together = _densities.mean_negative_log_likelihoods(
            [
                (
                    _densities.DIAGONAL_GMM,
                    xs,
                    list(gmm.density_parameters().values()),
                    None,
                    1.0,
                ),
                (
                    _densities.GAUSSIAN,
                    [z],
                    list(gaussian.density_parameters().values()),
                    None,
                    3.0,
                ),
            ]
        )
        nlls = [_tfp(gmm, "float64")] * 2 + [_tfp(gaussian, "float64")]
        alone = [w * nll(x) for w, nll, x in zip(weights, nlls, [*xs, z])]
    for ours, tfp, x in zip(together, alone, [*xs, z], strict=True):
        np.testing.assert_allclose(ours, tfp, rtol=1e-12)
        np.testing.assert_allclose(
            tape.gradient(ours, x), tape.gradient(tfp, x), rtol=1e-9
        )
