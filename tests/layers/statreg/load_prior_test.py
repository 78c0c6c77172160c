import numpy as np
import pytest

from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.layers.statreg import GaussianPrior
from cm_zoo.layers.statreg import load_prior


def test_diagonal_gmm_prior_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    prior = DiagonalGMMPrior(
        logits=np.log([0.2, 0.8]),
        means=rng.normal(size=(2, 3)),
        variances=rng.uniform(0.1, 1.0, size=(2, 3)),
        mean_log_likelihood=-4.5,
        num_iterations=12,
        converged=True,
    )

    path = prior.save(tmp_path / "pool5_prior")
    loaded = load_prior(path)

    assert path.endswith("pool5_prior.npz")
    assert isinstance(loaded, DiagonalGMMPrior)
    for name in ("logits", "means", "variances"):
        np.testing.assert_array_equal(
            getattr(loaded, name), getattr(prior, name)
        )
    assert (loaded.mean_log_likelihood, loaded.num_iterations) == (-4.5, 12)
    assert loaded.converged is True


def test_gaussian_prior_round_trips(tmp_path):
    prior = GaussianPrior(
        mean=np.arange(2.0), covariance=np.array([[2.0, 0.5], [0.5, 1.0]])
    )

    loaded = load_prior(prior.save(str(tmp_path / "fc7_prior.npz")))

    assert isinstance(loaded, GaussianPrior)
    np.testing.assert_array_equal(loaded.covariance, prior.covariance)
    assert np.isnan(loaded.mean_log_likelihood)
    # W W^T is the precision.
    w = loaded.precision_cholesky
    np.testing.assert_allclose(w @ w.T, np.linalg.inv(prior.covariance))
    np.testing.assert_array_equal(w, np.triu(w))


def test_rejects_unknown_kind_and_missing_fields(tmp_path):
    unknown = tmp_path / "unknown.npz"
    np.savez(unknown, kind=np.array("student_t"), loc=np.zeros(2))
    missing = tmp_path / "missing.npz"
    np.savez(missing, kind=np.array("gaussian"), mean=np.zeros(2))
    plain = tmp_path / "plain.npz"
    np.savez(plain, mean=np.zeros(2))

    with pytest.raises(ValueError, match="unknown prior kind.*student_t"):
        load_prior(unknown)
    with pytest.raises(ValueError, match=r"missing.npz.*\['covariance'\]"):
        load_prior(missing)
    with pytest.raises(ValueError, match="no `kind` field"):
        load_prior(plain)


def test_priors_validate_shapes_and_variances():
    with pytest.raises(ValueError, match="`variances` must be positive"):
        DiagonalGMMPrior(
            logits=np.zeros(1),
            means=np.zeros((1, 2)),
            variances=np.zeros((1, 2)),
        )
    with pytest.raises(ValueError, match="logits.shape=\\(3,\\)"):
        DiagonalGMMPrior(
            logits=np.zeros(3),
            means=np.zeros((1, 2)),
            variances=np.ones((1, 2)),
        )
    with pytest.raises(ValueError, match="covariance.shape=\\(3, 3\\)"):
        GaussianPrior(mean=np.zeros(2), covariance=np.eye(3))


def _gaussian(scale):
    return GaussianPrior(mean=np.zeros(2), covariance=scale * np.eye(2))


def test_torn_prior_falls_back_to_the_previous_copy_with_a_warning(
    tmp_path,
):
    path = _gaussian(1.0).save(tmp_path / "fc7_prior.npz")
    _gaussian(2.0).save(path)
    with open(path, "r+b") as f:
        f.truncate(40)

    with pytest.warns(RuntimeWarning, match=r"fc7_prior\.npz.*previous"):
        loaded = load_prior(path)

    np.testing.assert_array_equal(loaded.covariance, np.eye(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fc7_prior.npz",
        "fc7_prior.previous.npz",
    ]


def test_torn_prior_without_a_previous_copy_names_the_file(tmp_path):
    path = _gaussian(1.0).save(tmp_path / "fc6_prior")
    open(path, "wb").close()

    with pytest.raises(ValueError, match=r"fc6_prior\.npz.*an empty file"):
        load_prior(path)
    with pytest.raises(FileNotFoundError):
        load_prior(tmp_path / "never_written.npz")


def test_a_torn_file_never_replaces_the_previous_copy(tmp_path):
    path = _gaussian(1.0).save(tmp_path / "pool5_prior")
    _gaussian(2.0).save(path)
    with open(path, "r+b") as f:
        f.truncate(40)

    _gaussian(3.0).save(path)  # The torn newest is not kept as previous.
    with open(path, "r+b") as f:
        f.truncate(40)

    with pytest.warns(RuntimeWarning):
        np.testing.assert_array_equal(load_prior(path).covariance, np.eye(2))
