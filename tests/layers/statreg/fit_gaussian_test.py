import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.layers.statreg import fit_gaussian
from tests.layers.statreg import statreg_reference


def _correlated(num_examples, dim, offset=0.0, seed=0):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(dim, dim))
    return (offset + rng.normal(size=(num_examples, dim)) @ mixing).astype(
        "float32"
    )


def test_streamed_moments_match_numpy():
    x = _correlated(2000, 8, offset=100.0)
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(128)

    prior = fit_gaussian(dataset, diagonal_loading=0.0)

    x64 = x.astype("float64")
    np.testing.assert_allclose(prior.mean, x64.mean(axis=0), rtol=1e-6)
    expected = np.cov(x64, rowvar=False, bias=True)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(prior.covariance, expected, atol=1e-5 * scale)


def test_mean_log_likelihood_is_exact():
    x = _correlated(500, 6, seed=1)

    prior = fit_gaussian(x, shrinkage=0.2, diagonal_loading=0.1)

    expected = np.mean(
        statreg_reference.gaussian_log_prob(x, prior.mean, prior.covariance)
    )
    np.testing.assert_allclose(prior.mean_log_likelihood, expected, rtol=1e-7)


def test_shrinkage_and_loading_regularize_rank_deficient_data():
    x = _correlated(5, 10, seed=2)  # Fewer examples than dimensions.
    sample = np.cov(x.astype("float64"), rowvar=False, bias=True)

    prior = fit_gaussian(x, shrinkage=0.5, diagonal_loading=1e-3)

    expected = 0.5 * sample + (0.5 * np.trace(sample) / 10 + 1e-3) * np.eye(10)
    np.testing.assert_allclose(
        prior.covariance, expected, atol=1e-5 * np.abs(expected).max()
    )
    assert np.all(np.isfinite(prior.log_prob(x)))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(shrinkage=1.5), "`shrinkage` must be in"),
        (dict(diagonal_loading=-1.0), "`diagonal_loading` must be"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_gaussian(np.zeros((4, 2), "float32"), **kwargs)


def test_rejects_too_few_examples_and_wrong_rank():
    with pytest.raises(ValueError, match="at least 2 examples"):
        fit_gaussian(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(batch, dim\)"):
        fit_gaussian(tf.data.Dataset.from_tensors(np.zeros(3, "float32")))
