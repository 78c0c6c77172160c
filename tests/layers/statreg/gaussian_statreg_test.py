import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_probability import distributions as tfd

from cm_zoo.layers.statreg import GaussianPrior
from cm_zoo.layers.statreg import GaussianStatReg
from tests import test_case
from tests.layers.statreg import statreg_reference


def _random_prior(rng, dim, offset=0.0):
    # Correlated, with variances spanning two orders of magnitude.
    factor = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    scales = np.exp(rng.uniform(-1.0, 1.0, size=dim))
    correlation = factor @ factor.T + 0.1 * np.eye(dim)
    covariance = scales[:, None] * correlation * scales[None, :]
    return GaussianPrior(
        mean=offset + rng.normal(size=dim), covariance=covariance
    )


def _points(rng, prior, stds, num_points=64):
    """Points at Mahalanobis distance `stds * sqrt(dim)` from the mean."""
    white = rng.choice([-1.0, 1.0], size=(num_points, prior.dim))
    scale_tril = np.linalg.cholesky(prior.covariance)
    return (prior.mean + stds * white @ scale_tril.T).astype("float32")


def _added_loss(layer, x):
    layer(x, training=True)
    (loss,) = layer.losses
    return loss


@pytest.mark.parametrize("stds", [0.5, 50.0], ids=["near", "far"])
@pytest.mark.parametrize("offset", [0.0, 100.0], ids=["centered", "offset"])
def test_loss_matches_float64_numpy_and_tfp(stds, offset):
    rng = np.random.default_rng(0)
    prior = _random_prior(rng, 512, offset=offset)
    x = _points(rng, prior, stds)
    layer = GaussianStatReg.from_prior(prior, weight=2.0)

    loss = _added_loss(layer, x)

    assert loss.dtype == tf.float32
    assert np.isfinite(loss.numpy())
    expected = -2.0 * np.mean(
        statreg_reference.gaussian_log_prob(x, prior.mean, prior.covariance)
    )
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-5)
    reference = tfd.MultivariateNormalTriL(
        loc=prior.mean, scale_tril=np.linalg.cholesky(prior.covariance)
    )
    tfp_loss = -2.0 * np.mean(reference.log_prob(x.astype("float64")))
    np.testing.assert_allclose(loss.numpy(), tfp_loss, rtol=1e-5)
    layer_reference = layer.prior_distribution().log_prob(x)
    np.testing.assert_allclose(
        loss.numpy(), -2.0 * np.mean(layer_reference), rtol=1e-4
    )


@pytest.mark.parametrize("stds", [0.5, 50.0], ids=["near", "far"])
def test_input_gradient_is_finite_and_matches_tfp_and_numpy(stds):
    rng = np.random.default_rng(1)
    prior = _random_prior(rng, 64)
    x = tf.Variable(_points(rng, prior, stds))
    layer = GaussianStatReg.from_prior(prior)
    reference = tfd.MultivariateNormalTriL(
        loc=prior.mean.astype("float32"),
        scale_tril=np.linalg.cholesky(prior.covariance).astype("float32"),
    )

    with tf.GradientTape() as tape:
        loss = _added_loss(layer, x)
    gradient = tape.gradient(loss, x).numpy()
    with tf.GradientTape() as tape:
        tfp_loss = -tf.reduce_mean(reference.log_prob(x))
    tfp_gradient = tape.gradient(tfp_loss, x).numpy()

    assert np.all(np.isfinite(gradient))
    scale = np.abs(tfp_gradient).max()
    np.testing.assert_allclose(gradient, tfp_gradient, atol=1e-4 * scale)
    expected = (
        np.linalg.solve(prior.covariance, (x.numpy() - prior.mean).T).T
        / x.shape[0]
    )
    np.testing.assert_allclose(gradient, expected, atol=1e-4 * scale)


def test_inference_adds_no_loss_and_returns_input():
    layer = GaussianStatReg.from_prior(
        _random_prior(np.random.default_rng(2), 8)
    )
    x = np.random.default_rng(3).normal(size=(3, 8)).astype("float32")

    y = layer(x, training=False)

    assert layer.losses == []
    np.testing.assert_array_equal(y.numpy(), x)


def test_config_and_keras_file_round_trip_keep_the_prior(tmp_path):
    rng = np.random.default_rng(4)
    prior = _random_prior(rng, 6, offset=3.0)
    inputs = keras.Input((6,))
    statreg = GaussianStatReg(weight=0.7, name="fc7_statreg")
    model = keras.Model(inputs, statreg(inputs))
    statreg.set_prior(prior)
    x = rng.normal(size=(5, 6)).astype("float32")
    path = str(tmp_path / "gaussian_statreg.keras")

    clone = GaussianStatReg.from_config(statreg.get_config())
    model.save(path)
    loaded = keras.models.load_model(path)

    assert clone.get_config() == statreg.get_config()
    assert clone.weight == 0.7
    assert isinstance(loaded.get_layer("fc7_statreg"), GaussianStatReg)
    loaded(x, training=True)
    expected = -0.7 * np.mean(
        statreg_reference.gaussian_log_prob(x, prior.mean, prior.covariance)
    )
    np.testing.assert_allclose(loaded.losses[0].numpy(), expected, rtol=1e-5)


def test_mixed_float16_layer_computes_loss_in_float32():
    rng = np.random.default_rng(5)
    prior = _random_prior(rng, 16, offset=100.3)
    layer = GaussianStatReg.from_prior(prior, dtype="mixed_float16")
    x16 = tf.constant(_points(rng, prior, 0.5), "float16")

    loss = _added_loss(layer, x16)

    assert loss.dtype == tf.float32
    assert layer.precision_cholesky.dtype == "float32"
    expected = -np.mean(
        statreg_reference.gaussian_log_prob(
            x16.numpy().astype("float64"), prior.mean, prior.covariance
        )
    )
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-4)


def test_rejects_bad_arguments_and_priors():
    with pytest.raises(ValueError, match="`weight` must be"):
        GaussianStatReg(weight=-0.1)
    layer = GaussianStatReg(name="fc6_statreg")
    layer.build((None, 4))
    with pytest.raises(ValueError, match="dim=4.*dim=3"):
        layer.set_prior(GaussianPrior(mean=np.zeros(3), covariance=np.eye(3)))
    with pytest.raises(TypeError, match="GaussianPrior"):
        layer.set_prior(np.eye(4))
    with pytest.raises(ValueError, match="positive definite"):
        layer.set_prior(
            GaussianPrior(mean=np.zeros(4), covariance=np.zeros((4, 4)))
        )
    with pytest.raises(ValueError, match=r"fc6_statreg.*\(batch_size, dim\)"):
        GaussianStatReg(name="fc6_statreg")(np.zeros((4,), "float32"))


def test_shared_layer_checks():
    output = test_case.run_layer_test(
        GaussianStatReg,
        {"weight": 0.5},
        np.ones((4, 8), "float32"),
        (4, 8),
        expected_num_trainable_weights=0,
    )
    np.testing.assert_array_equal(output, np.ones((4, 8)))
