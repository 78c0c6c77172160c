"""Tests for the NumPy linear probe and classifier transfer."""

import numpy as np
import pytest
from sklearn import linear_model
from sklearn import svm as svm_module

from cm_zoo.evaluation import classifier_transfer
from cm_zoo.evaluation import linear_probe

_NUM_CLASSES = 6
_DIM = 24


def _modality(centers, labels, rng, noise=0.8, shift=None):
    x = centers[labels] + noise * rng.normal(size=(len(labels), _DIM))
    return (x if shift is None else x + shift), labels


@pytest.mark.parametrize(
    "fit, reference",
    [
        (
            linear_probe.fit_linear_probe,
            lambda c: linear_model.LogisticRegression(C=c, max_iter=5000),
        ),
        # sklearn penalises the bias; a large intercept scaling makes that
        # penalty negligible, as ours has none.
        (
            linear_probe.fit_linear_svm,
            lambda c: svm_module.LinearSVC(
                C=c, intercept_scaling=100.0, max_iter=20000
            ),
        ),
    ],
)
def test_classifiers_match_sklearn(fit, reference):
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(_NUM_CLASSES, _DIM))
    x, y = _modality(centers, rng.integers(0, _NUM_CLASSES, 300), rng, 1.5)
    xt, yt = _modality(centers, rng.integers(0, _NUM_CLASSES, 300), rng, 1.5)
    ours = linear_probe.predict_linear_probe(
        fit(x, y, l2=1e-2, num_iterations=1000), xt
    )
    normalize = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    theirs = reference(1.0 / (1e-2 * len(y))).fit(normalize(x), y)
    # Same objective: predictions nearly identical, accuracy alike.
    assert np.mean(ours == theirs.predict(normalize(xt))) > 0.95
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


def test_l2_is_chosen_by_two_fold_cross_validation():
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(_NUM_CLASSES, _DIM))
    x, y = _modality(centers, np.repeat(np.arange(_NUM_CLASSES), 20), rng)
    sizes = []

    def fit(x, y, *, l2, num_iterations):
        sizes.append(len(y))
        model = linear_probe.fit_linear_svm(x, y, num_iterations=50)
        # Only l2 == 0.1 gives a classifier; the others are inverted.
        sign = 1.0 if l2 == 0.1 else -1.0
        return {**model, "weights": sign * model["weights"]}

    chosen = classifier_transfer.choose_l2(fit, x, y, [1.0, 0.1, 10.0])
    assert chosen == 0.1
    # Two folds per candidate, each fitted on half of the items.
    assert sizes == [len(y) // 2] * 6
    assert classifier_transfer.choose_l2(None, x, y, 0.5) == 0.5
    out = classifier_transfer.classifier_transfer_accuracy(
        {"natural": (x, y)},
        {"natural": (x, y)},
        classifier="svm",
        l2=[1e-3, 1e-2],
    )
    assert out["l2"]["natural"] in (1e-3, 1e-2)
    assert out["accuracy"][("natural", "natural")] > 0.9
    with pytest.raises(ValueError, match="`classifier` must be one of"):
        classifier_transfer.classifier_transfer_accuracy(
            {"natural": (x, y)}, {"natural": (x, y)}, classifier="tree"
        )


def test_svm_puts_its_support_vectors_on_the_margin():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    x = rng.normal(size=(3, 8))[labels] + 0.3 * rng.normal(size=(60, 8))
    svm = linear_probe.fit_linear_svm(x, labels, l2=1e-4, num_iterations=3000)
    scores = linear_probe.normalize_rows(x) @ svm["weights"] + svm["bias"]
    margins = np.where(np.eye(3)[labels] > 0, 1.0, -1.0) * scores  # [N, C]
    # Separable data, tiny l2: every one-vs-all margin >= 1, the closest
    # points on it (softmax regression pushes them all further out).
    assert 0.95 < margins.min() < 1.01
    assert np.percentile(margins, 5) < 1.05
