import numpy as np
import pytest
import tensorflow as tf
from sklearn.mixture import GaussianMixture

from cm_zoo.layers.statreg import fit_diagonal_gmm
from cm_zoo.layers.statreg._em_state import EMState
from cm_zoo.layers.statreg.fit_diagonal_gmm import _m_step
from tests.layers.statreg import statreg_reference


def _blobs(num_examples=3000, dim=16, num_components=5, seed=0):
    rng = np.random.default_rng(seed)
    centers = 4.0 * rng.normal(size=(num_components, dim))
    scales = rng.uniform(0.5, 2.0, size=(num_components, dim))
    labels = rng.integers(num_components, size=num_examples)
    x = centers[labels] + scales[labels] * rng.normal(size=(num_examples, dim))
    return x.astype("float32")


def _mean_log_likelihood(prior, x):
    return np.mean(
        statreg_reference.gmm_log_prob(
            x, prior.logits, prior.means, prior.variances
        )
    )


def test_log_likelihood_matches_sklearn_and_is_reported_exactly():
    x = _blobs()
    sklearn_gmm = GaussianMixture(
        5, covariance_type="diag", tol=1e-6, reg_covar=1e-6, random_state=0
    ).fit(x)

    prior = fit_diagonal_gmm(x, 5, tolerance=1e-6, seed=0)

    assert prior.converged
    sklearn_score = sklearn_gmm.score(x)
    assert abs(prior.mean_log_likelihood - sklearn_score) < 1e-4 * abs(
        sklearn_score
    )
    np.testing.assert_allclose(
        prior.mean_log_likelihood, _mean_log_likelihood(prior, x), rtol=1e-5
    )
    np.testing.assert_allclose(prior.weights.sum(), 1.0)


def test_streaming_batches_give_the_one_batch_result():
    x = _blobs(seed=1)
    one_batch = tf.data.Dataset.from_tensors(x)
    # Uneven batches, float64 elements (cast by the fitter).
    streamed = tf.data.Dataset.from_tensor_slices(x.astype("float64")).batch(97)

    whole = fit_diagonal_gmm(one_batch, 5, max_iterations=20, seed=3)
    batched = fit_diagonal_gmm(streamed, 5, max_iterations=20, seed=3)

    assert whole.num_iterations == batched.num_iterations
    np.testing.assert_allclose(batched.means, whole.means, atol=1e-4)
    np.testing.assert_allclose(
        batched.variances, whole.variances, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        batched.mean_log_likelihood, whole.mean_log_likelihood, rtol=1e-6
    )


def test_same_seed_same_fit_and_random_init_works():
    x = _blobs(num_examples=600, dim=4, num_components=3, seed=2)

    first = fit_diagonal_gmm(x, 3, max_iterations=5, seed=7, init="random")
    second = fit_diagonal_gmm(x, 3, max_iterations=5, seed=7, init="random")

    np.testing.assert_array_equal(first.means, second.means)
    assert np.isfinite(first.mean_log_likelihood)


def test_variance_floor_is_respected():
    x = _blobs(num_examples=500, dim=4, num_components=2, seed=3)
    x[:, 0] = 1.5  # A dead unit: zero variance in every component.

    prior = fit_diagonal_gmm(x, 2, max_iterations=10, variance_floor=1e-2)

    assert np.all(prior.variances >= 1e-2 * (1 - 1e-6))
    np.testing.assert_allclose(prior.variances[:, 0], 1e-2, rtol=1e-6)
    assert np.all(np.isfinite(prior.log_prob(x)))


def test_empty_component_is_reseeded_at_least_likely_sample_row():
    rng = np.random.default_rng(4)
    sample = rng.normal(size=(50, 3)).astype("float32")
    sample[17] = 40.0  # The outlier.
    state = EMState(2, 3, np.zeros(3))
    state.assign(np.log([0.5, 0.5]), np.zeros((2, 3)), np.ones((2, 3)))
    counts = np.array([100.0, 0.0])
    sum_x = np.array([[10.0, 20.0, 30.0], [0.0, 0.0, 0.0]])
    sum_x2 = np.array([[200.0, 500.0, 1000.0], [0.0, 0.0, 0.0]])

    _m_step(
        state,
        counts,
        sum_x,
        sum_x2,
        num_examples=100,
        variance_floor=1e-6,
        data_variance=np.full(3, 2.0),
        centered_sample=sample,
    )

    np.testing.assert_allclose(state.centered_means.numpy()[1], sample[17])
    np.testing.assert_allclose(state.centered_means.numpy()[0], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(state.variances.numpy()[1], 2.0)
    np.testing.assert_allclose(
        np.exp(state.logits.numpy()), [100 / 101, 1 / 101], rtol=1e-6
    )


def test_interrupted_fit_resumes_to_the_uninterrupted_result(tmp_path):
    x = _blobs(num_examples=800, dim=6, num_components=4, seed=5)
    kwargs = dict(max_iterations=8, tolerance=0.0, seed=1)
    uninterrupted = fit_diagonal_gmm(x, 4, **kwargs)

    def interrupt(iteration, mean_log_likelihood):
        if iteration == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_diagonal_gmm(
            x, 4, checkpoint_dir=tmp_path, callback=interrupt, **kwargs
        )
    seen = []
    resumed = fit_diagonal_gmm(
        x,
        4,
        checkpoint_dir=tmp_path,
        callback=lambda i, _: seen.append(i),
        **kwargs,
    )

    assert seen == [3, 4, 5, 6, 7, 8]
    assert resumed.num_iterations == uninterrupted.num_iterations == 8
    np.testing.assert_array_equal(resumed.means, uninterrupted.means)
    np.testing.assert_array_equal(resumed.variances, uninterrupted.variances)
    np.testing.assert_array_equal(resumed.logits, uninterrupted.logits)
    with pytest.raises(ValueError, match="holds a different fit"):
        fit_diagonal_gmm(x, 3, checkpoint_dir=tmp_path, **kwargs)


def test_verbose_shows_a_progress_bar(capsys):
    x = _blobs(num_examples=200, dim=2, num_components=2, seed=6)

    fit_diagonal_gmm(x, 2, max_iterations=2, tolerance=0.0, verbose=1)

    assert "mean_log_likelihood" in capsys.readouterr().out


def test_rejects_more_components_than_examples():
    with pytest.raises(ValueError, match="num_components=20 for 10 examples"):
        fit_diagonal_gmm(np.zeros((10, 3), "float32"), 20)


@pytest.mark.parametrize(
    "data",
    [
        np.zeros((10,), "float32"),
        tf.data.Dataset.from_tensor_slices(np.zeros((10,), "float32")),
        tf.data.Dataset.from_tensors(np.zeros((2, 3, 4), "float32")),
    ],
    ids=["numpy_rank_1", "dataset_rank_0", "dataset_rank_3"],
)
def test_rejects_elements_not_of_rank_two(data):
    with pytest.raises(ValueError, match=r"\(.*, dim\)"):
        fit_diagonal_gmm(data, 2)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(num_components=0), "`num_components` must be"),
        (dict(init="kmeans"), "`init` must be one of"),
        (dict(variance_floor=0.0), "`variance_floor` must be > 0"),
        (dict(tolerance=-1.0), "`tolerance` must be >= 0"),
        (dict(max_iterations=-1), "`max_iterations` must be"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    arguments = dict(num_components=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit_diagonal_gmm(np.zeros((10, 3), "float32"), **arguments)


def test_rejects_other_dataset_types():
    with pytest.raises(TypeError, match="tf.data.Dataset"):
        fit_diagonal_gmm([[0.0, 1.0]], 1)
    with pytest.raises(TypeError, match="map away labels"):
        fit_diagonal_gmm(
            tf.data.Dataset.from_tensors((np.zeros((4, 2)), np.zeros(4))), 1
        )


def _interrupt_at(stop):
    def callback(iteration, mean_log_likelihood):
        if iteration == stop:
            raise KeyboardInterrupt

    return callback


@pytest.mark.parametrize("torn", ["newest", "both"])
def test_kill_plus_torn_checkpoint_still_resumes_to_the_same_fit(
    tmp_path, torn
):
    x = _blobs(num_examples=600, dim=4, num_components=3, seed=7)
    kwargs = dict(max_iterations=6, tolerance=0.0, seed=2)
    uninterrupted = fit_diagonal_gmm(x, 3, **kwargs)
    with pytest.raises(KeyboardInterrupt):
        fit_diagonal_gmm(
            x, 3, checkpoint_dir=tmp_path, callback=_interrupt_at(4), **kwargs
        )
    names = ["em_state.npz"] + (["em_state.previous.npz"] * (torn == "both"))
    for name in names:
        with open(tmp_path / name, "r+b") as f:
            f.truncate(100)

    expected = "previous copy" if torn == "newest" else "EM afresh"
    with pytest.warns(RuntimeWarning, match=rf"em_state\.npz.*{expected}"):
        resumed = fit_diagonal_gmm(x, 3, checkpoint_dir=tmp_path, **kwargs)

    np.testing.assert_array_equal(resumed.means, uninterrupted.means)
    np.testing.assert_array_equal(resumed.variances, uninterrupted.variances)
    assert resumed.num_iterations == uninterrupted.num_iterations
