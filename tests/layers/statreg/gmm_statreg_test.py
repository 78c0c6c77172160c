import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.layers.statreg import GMMStatReg
from tests import test_case
from tests.layers.statreg import statreg_reference


def _random_prior(rng, num_components, dim, spread=3.0, offset=0.0):
    return DiagonalGMMPrior(
        logits=rng.normal(size=num_components),
        means=offset + spread * rng.normal(size=(num_components, dim)),
        variances=rng.uniform(0.5, 2.0, size=(num_components, dim)),
    )


def _points(rng, prior, stds, num_points=64):
    """Points `stds` standard deviations from a random component, per axis."""
    index = rng.integers(prior.num_components, size=num_points)
    signs = rng.choice([-1.0, 1.0], size=(num_points, prior.dim))
    x = prior.means[index] + stds * np.sqrt(prior.variances[index]) * signs
    return x.astype("float32")


def _reference_loss(prior, x, weight):
    log_prob = statreg_reference.gmm_log_prob(
        x, prior.logits, prior.means, prior.variances
    )
    return weight * -np.mean(log_prob)


def _added_loss(layer, x):
    layer(x, training=True)
    (loss,) = layer.losses
    return loss


@pytest.mark.parametrize("stds", [0.5, 50.0], ids=["near", "far"])
@pytest.mark.parametrize(
    "spread,offset",
    [(3.0, 0.0), (30.0, 0.0), (3.0, 1e3)],
    ids=["overlapping", "separated", "offset"],
)
def test_loss_matches_float64_numpy_and_tfp(stds, spread, offset):
    rng = np.random.default_rng(0)
    prior = _random_prior(rng, 256, 512, spread=spread, offset=offset)
    x = _points(rng, prior, stds)
    layer = GMMStatReg.from_prior(prior, weight=0.5)

    loss = _added_loss(layer, x)

    assert loss.dtype == tf.float32
    assert np.isfinite(loss.numpy())
    expected = _reference_loss(prior, x, 0.5)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=2e-6)
    tfp_loss = -0.5 * tf.reduce_mean(layer.prior_distribution().log_prob(x))
    np.testing.assert_allclose(loss.numpy(), tfp_loss.numpy(), rtol=1e-5)


@pytest.mark.parametrize("stds", [0.5, 50.0], ids=["near", "far"])
def test_input_gradient_is_finite_and_matches_tfp_and_numpy(stds):
    rng = np.random.default_rng(1)
    # Close components, so that several share the responsibility for a point.
    prior = _random_prior(rng, 64, 128, spread=0.5)
    x = tf.Variable(_points(rng, prior, stds))
    layer = GMMStatReg.from_prior(prior, weight=1.0)

    with tf.GradientTape() as tape:
        loss = _added_loss(layer, x)
    gradient = tape.gradient(loss, x).numpy()
    with tf.GradientTape() as tape:
        tfp_loss = -tf.reduce_mean(layer.prior_distribution().log_prob(x))
    tfp_gradient = tape.gradient(tfp_loss, x).numpy()

    assert np.all(np.isfinite(gradient))
    scale = np.abs(tfp_gradient).max()
    np.testing.assert_allclose(gradient, tfp_gradient, atol=1e-4 * scale)
    expected = statreg_reference.gmm_nll_gradient(
        x.numpy(), prior.logits, prior.means, prior.variances
    )
    np.testing.assert_allclose(gradient, expected, atol=1e-4 * scale)


def test_inference_adds_no_loss_and_returns_input():
    rng = np.random.default_rng(2)
    layer = GMMStatReg.from_prior(_random_prior(rng, 4, 8))
    x = tf.constant(rng.normal(size=(3, 8)), "float32")

    for training in (False, None):
        y = layer(x, training=training)
        assert layer.losses == []
        np.testing.assert_array_equal(y.numpy(), x.numpy())
    y = layer(x, training=True)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert len(layer.losses) == 1


def test_prior_weights_are_non_trainable_float32():
    layer = GMMStatReg.from_prior(
        _random_prior(np.random.default_rng(3), 4, 8),
        dtype="mixed_float16",
    )

    assert layer.trainable_weights == []
    assert [w.path.split("/")[-1] for w in layer.non_trainable_weights] == [
        "logits",
        "means",
        "variances",
        # The prior-only terms the layer caches (`DENSITY.terms`).
        "center",
        "precisions",
        "scaled_means",
        "log_normalized_weights",
        "mean_terms",
    ]
    assert all(w.dtype == "float32" for w in layer.weights)


def test_config_round_trip():
    layer = GMMStatReg(num_components=7, weight=0.25, name="fc7_statreg")

    clone = GMMStatReg.from_config(layer.get_config())

    assert clone.get_config() == layer.get_config()
    assert (clone.num_components, clone.weight, clone.name) == (
        7,
        0.25,
        "fc7_statreg",
    )


def _model_with_statreg(prior):
    inputs = keras.Input((prior.dim,))
    hidden = keras.layers.Dense(prior.dim, name="fc7")(inputs)
    statreg = GMMStatReg(prior.num_components, weight=0.3, name="statreg")
    outputs = statreg(hidden)
    statreg.set_prior(prior)
    return keras.Model(inputs, outputs)


def test_keras_file_round_trip_keeps_the_prior(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(4)
    prior = _random_prior(rng, 5, 16, offset=2.0)
    model = _model_with_statreg(prior)
    x = rng.normal(size=(6, 16)).astype("float32")
    path = str(tmp_path / "statreg.keras")

    model.save(path)
    loaded = keras.models.load_model(path)

    statreg = loaded.get_layer("statreg")
    assert isinstance(statreg, GMMStatReg)
    np.testing.assert_array_equal(
        statreg.means.numpy(), prior.means.astype("float32")
    )
    model(x, training=True)
    loaded(x, training=True)
    np.testing.assert_allclose(
        loaded.losses[0].numpy(), model.losses[0].numpy(), rtol=1e-6
    )
    hidden = loaded.get_layer("fc7")(x).numpy()
    np.testing.assert_allclose(
        loaded.losses[0].numpy(),
        _reference_loss(prior, hidden, 0.3),
        rtol=1e-5,
    )


@pytest.fixture
def mixed_float16_policy():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    yield
    keras.config.set_dtype_policy(previous)


def test_mixed_float16_policy_computes_loss_in_float32(mixed_float16_policy):
    rng = np.random.default_rng(5)
    # Offset means that float16 rounds badly: a float16 prior would show.
    prior = _random_prior(rng, 8, 32, offset=100.3)
    layer = GMMStatReg.from_prior(prior, weight=0.5)
    x16 = tf.constant(_points(rng, prior, 0.5), "float16")

    loss = _added_loss(layer, x16)

    assert layer.dtype_policy.name == "mixed_float16"
    assert loss.dtype == tf.float32
    expected = _reference_loss(prior, x16.numpy().astype("float64"), 0.5)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-5)


def test_mixed_float16_train_step_is_finite(mixed_float16_policy):
    keras.utils.set_random_seed(0)
    prior = _random_prior(np.random.default_rng(6), 4, 8)
    model = _model_with_statreg(prior)
    model.compile(optimizer=keras.optimizers.SGD(1e-3))

    history = model.fit(
        np.ones((8, 8), "float32"), epochs=1, batch_size=8, verbose=0
    )

    assert np.isfinite(history.history["loss"][0])
    assert history.history["loss"][0] > 0.0


@pytest.mark.parametrize("num_components", [0, -3, 2.5, True])
def test_rejects_bad_num_components(num_components):
    with pytest.raises(ValueError, match="`num_components` must be"):
        GMMStatReg(num_components=num_components)


@pytest.mark.parametrize("weight", [-1.0, "1", float("nan")])
def test_rejects_bad_weight(weight):
    with pytest.raises(ValueError, match="`weight` must be"):
        GMMStatReg(num_components=2, weight=weight)


def test_rejects_inputs_not_of_rank_two():
    layer = GMMStatReg(num_components=2, name="pool5_statreg")
    with pytest.raises(ValueError, match=r"pool5_statreg.*\(batch_size, dim\)"):
        layer(np.zeros((2, 3, 4), "float32"))


def test_set_prior_rejects_other_shapes_and_types():
    layer = GMMStatReg(num_components=3)
    layer.build((None, 4))
    prior = _random_prior(np.random.default_rng(7), 2, 4)

    with pytest.raises(ValueError, match="num_components, dim"):
        layer.set_prior(prior)
    with pytest.raises(TypeError, match="DiagonalGMMPrior"):
        layer.set_prior({"means": prior.means})
    with pytest.raises(ValueError, match="must be built"):
        GMMStatReg(num_components=2).set_prior(prior)


def test_shared_layer_checks():
    output = test_case.run_layer_test(
        GMMStatReg,
        {"num_components": 3, "weight": 0.5},
        np.ones((4, 8), "float32"),
        (4, 8),
        expected_num_trainable_weights=0,
    )
    np.testing.assert_array_equal(output, np.ones((4, 8)))
