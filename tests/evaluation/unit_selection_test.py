"""Tests for the choice of units to visualise."""

import numpy as np
import pytest

from cm_zoo.evaluation import unit_selection


def _features(seed):
    """Unit 2 tracks the label in both modalities; unit 4 only in sketch."""
    rng = np.random.default_rng(seed)
    features = {}
    for modality in ("clipart", "sketch"):
        labels = np.arange(60) % 3
        x = rng.normal(size=(60, 6))
        x[:, 2] += 3.0 * labels
        if modality == "sketch":
            x[:, 4] += 3.0 * labels
        features[modality] = (x, labels)
    return features


def test_units_selective_in_every_modality_rank_first():
    out = unit_selection.selective_units(
        _features(0), 2, distinct_categories=False
    )
    assert out["units"].tolist() == [2, 4]
    scores = out["scores"]
    assert scores[2] > scores[4] > max(np.delete(scores, [2, 4]))
    assert 0.0 <= scores.min() and scores.max() <= 1.0


def test_distinct_categories_skip_a_second_unit_of_the_same_concept():
    features = _features(0)
    for x, labels in features.values():
        x[:, 5] += 1.0 * (labels == 0)  # weaker, but prefers category 0
    same = unit_selection.selective_units(
        features, 2, distinct_categories=False
    )
    assert same["units"].tolist() == [2, 4]
    assert same["categories"].tolist() == [2, 2]
    distinct = unit_selection.selective_units(features, 2)
    assert distinct["units"].tolist() == [2, 5]
    assert distinct["categories"].tolist() == [2, 0]


def test_score_matches_between_class_variance_share():
    labels = np.array([0, 0, 1, 1, 1])
    x = np.array([[0.0], [2.0], [5.0], [6.0], [7.0]])
    out = unit_selection.selective_units({"sketch": (x, labels)}, 1)
    means = np.array([1.0, 6.0])
    between = (
        2 * (means[0] - x.mean()) ** 2 + 3 * (means[1] - x.mean()) ** 2
    ) / 5
    np.testing.assert_allclose(out["scores"], [between / x.var()])


def test_constant_units_score_zero():
    x = np.ones((4, 2))
    out = unit_selection.selective_units(
        {"clipart": (x, np.array([0, 0, 1, 1]))}, 2
    )
    np.testing.assert_array_equal(out["scores"], [0.0, 0.0])
    assert out["units"].tolist() == [0, 1]


def test_too_many_units_is_an_error():
    with pytest.raises(ValueError, match="at most the feature width 6"):
        unit_selection.selective_units(_features(0), 7)
