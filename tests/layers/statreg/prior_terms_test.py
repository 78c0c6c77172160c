"""A StatReg layer's cached prior-only terms follow every write of its prior."""

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.layers.statreg import GaussianStatReg
from cm_zoo.layers.statreg import GMMStatReg
from cm_zoo.layers.statreg import fit_gaussian


def _gmm_prior(rng, dim):
    return DiagonalGMMPrior(
        logits=rng.normal(size=4),
        means=3.0 * rng.normal(size=(4, dim)),
        variances=rng.uniform(0.5, 2.0, size=(4, dim)),
    )


def _gaussian_prior(rng, dim):
    return fit_gaussian(rng.normal(size=(50, dim)) * rng.uniform(1, 3, dim))


LAYERS = {
    "gmm": (lambda: GMMStatReg(4, weight=0.5, name="statreg"), _gmm_prior),
    "gaussian": (
        lambda: GaussianStatReg(weight=0.5, name="statreg"),
        _gaussian_prior,
    ),
}


def _assert_terms_follow_prior(layer):
    density = layer.PRIOR_CLASS.DENSITY
    expected = density.prior_terms(*layer.prior_tensors())
    cached = layer.prior_term_tensors()
    assert len(cached) == len(density.terms) > 0
    for name, ours, theirs in zip(density.terms, cached, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, err_msg=name)


def _model(make_layer, dim):
    inputs = keras.Input((dim,))
    hidden = keras.layers.Dense(dim, name="fc7")(inputs)
    return keras.Model(inputs, make_layer()(hidden))


@pytest.mark.parametrize("family", LAYERS)
def test_terms_follow_build_and_set_prior(family):
    make_layer, make_prior = LAYERS[family]
    layer = make_layer()
    layer.build((None, 6))
    _assert_terms_follow_prior(layer)  # the default prior

    layer.set_prior(make_prior(np.random.default_rng(0), 6))

    _assert_terms_follow_prior(layer)


@pytest.mark.parametrize("family", LAYERS)
def test_terms_of_a_layer_built_inside_a_trace(family):
    make_layer, _ = LAYERS[family]
    layer = make_layer()

    @tf.function
    def step(x):
        return layer(x, training=True)

    step(tf.ones((3, 5)))

    _assert_terms_follow_prior(layer)


@pytest.mark.parametrize("family", LAYERS)
def test_loading_weights_refreshes_the_terms_and_the_loss(family, tmp_path):
    make_layer, make_prior = LAYERS[family]
    rng = np.random.default_rng(1)
    saved = _model(make_layer, 6)
    saved.get_layer("statreg").set_prior(make_prior(rng, 6))
    path = str(tmp_path / "model.weights.h5")
    saved.save_weights(path)
    loaded = _model(make_layer, 6)  # the default prior

    loaded.load_weights(path)

    _assert_terms_follow_prior(loaded.get_layer("statreg"))
    x = rng.normal(size=(4, 6)).astype("float32")
    saved(x, training=True)
    loaded(x, training=True)
    np.testing.assert_allclose(loaded.losses[0], saved.losses[0], rtol=1e-6)


@pytest.mark.parametrize("family", LAYERS)
def test_keras_files_hold_the_prior_alone(family, tmp_path):
    # Files keep the format they had before the layer cached its terms.
    make_layer, make_prior = LAYERS[family]
    model = _model(make_layer, 6)
    layer = model.get_layer("statreg")
    layer.set_prior(make_prior(np.random.default_rng(2), 6))
    path = str(tmp_path / "model.weights.h5")

    model.save_weights(path)

    with h5py.File(path) as file:
        (group,) = [g for g in file["layers"] if g.endswith("stat_reg")]
        stored = file["layers"][group]["vars"]
        parameters = layer.PRIOR_CLASS.DENSITY.parameters
        assert sorted(stored) == [str(i) for i in range(len(parameters))]
        for index, name in enumerate(parameters):
            np.testing.assert_array_equal(
                stored[str(index)], getattr(layer, name).numpy()
            )


@pytest.mark.parametrize("family", LAYERS)
def test_set_weights_carries_prior_and_terms_together(family):
    make_layer, make_prior = LAYERS[family]
    source, target = make_layer(), make_layer()
    source.build((None, 6))
    target.build((None, 6))
    source.set_prior(make_prior(np.random.default_rng(3), 6))

    target.set_weights(source.get_weights())

    _assert_terms_follow_prior(target)


def test_loading_a_store_of_another_size_names_the_layer():
    layer = GMMStatReg(4, name="fc7_statreg")
    layer.build((None, 6))

    with pytest.raises(ValueError, match="fc7_statreg.*expected 3 variables"):
        layer.load_own_variables({"0": np.zeros(4)})
