"""Tests for the NumPy linear probe and classifier transfer."""

import numpy as np
import pytest
from sklearn import linear_model

from cm_zoo.evaluation import classifier_transfer
from cm_zoo.evaluation import linear_probe

_NUM_CLASSES = 6
_DIM = 24


def _modality(centers, labels, rng, noise=0.8, shift=None):
    x = centers[labels] + noise * rng.normal(size=(len(labels), _DIM))
    return (x if shift is None else x + shift), labels


def test_probe_matches_sklearn_logistic_regression():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(_NUM_CLASSES, _DIM))
    x, y = _modality(centers, rng.integers(0, _NUM_CLASSES, 300), rng, 1.5)
    xt, yt = _modality(centers, rng.integers(0, _NUM_CLASSES, 300), rng, 1.5)
    probe = linear_probe.fit_linear_probe(x, y, l2=1e-2, num_iterations=500)
    ours = linear_probe.predict_linear_probe(probe, xt)
    normalize = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    reference = linear_model.LogisticRegression(
        C=1.0 / (1e-2 * len(y)), max_iter=5000
    ).fit(normalize(x), y)
    # Same objective: predictions nearly identical, accuracy alike.
    assert np.mean(ours == reference.predict(normalize(xt))) > 0.95
    assert np.mean(ours == yt) > 0.6


def test_transfer_recovers_planted_alignment():
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(_NUM_CLASSES, _DIM))
    other_centers = rng.normal(size=(_NUM_CLASSES, _DIM))

    def split():
        labels = np.repeat(np.arange(_NUM_CLASSES), 25)
        return {
            "natural": _modality(centers, labels, rng),
            "sound": _modality(centers, labels, rng),  # aligned
            "description": _modality(other_centers, labels, rng),  # not
        }

    out = classifier_transfer.classifier_transfer_accuracy(
        split(), split(), train_modalities=["natural", "description"]
    )
    accuracy = out["accuracy"]
    assert out["chance"] == pytest.approx(1 / _NUM_CLASSES)
    assert accuracy[("natural", "natural")] > 0.9
    assert accuracy[("natural", "sound")] > 0.9
    assert accuracy[("natural", "description")] < 0.45
    assert accuracy[("description", "description")] > 0.9
    assert len(accuracy) == 6
    assert out["num_test"]["sound"] == 150


def test_classes_restrict_the_scored_test_items():
    rng = np.random.default_rng(2)
    centers = rng.normal(size=(_NUM_CLASSES, _DIM))
    labels = np.repeat(np.arange(_NUM_CLASSES), 10)
    train = {"natural": _modality(centers, labels, rng)}
    test = {"clipart": _modality(centers, labels, rng)}
    out = classifier_transfer.classifier_transfer_accuracy(
        train, test, classes=[0, 3]
    )
    assert out["num_test"] == {"clipart": 20}
    assert out["chance"] == 0.5
    assert out["majority"] == {"clipart": 0.5}


def test_errors_name_the_problem():
    x = (np.eye(4), np.arange(4))
    with pytest.raises(ValueError, match="not in `train_features`"):
        classifier_transfer.classifier_transfer_accuracy(
            {"natural": x}, {"natural": x}, train_modalities=["sound"]
        )
    with pytest.raises(ValueError, match="share one dimension"):
        classifier_transfer.classifier_transfer_accuracy(
            {"natural": x}, {"natural": (np.eye(5), np.arange(5))}
        )
    with pytest.raises(ValueError, match="No 'natural' item of `test_f"):
        classifier_transfer.classifier_transfer_accuracy(
            {"natural": x}, {"natural": x}, classes=[9]
        )
    with pytest.raises(ValueError, match="at least 2 classes"):
        linear_probe.fit_linear_probe(np.eye(3), [1, 1, 1])
    with pytest.raises(ValueError, match="`l2` must be >= 0"):
        linear_probe.fit_linear_probe(np.eye(3), [0, 1, 2], l2=-1.0)
