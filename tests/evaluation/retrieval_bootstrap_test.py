"""Tests for the bootstrap interval of cross-modal retrieval mAP."""

import numpy as np
import pytest

from cm_zoo.evaluation import cross_modal_retrieval
from cm_zoo.evaluation import retrieval_interval

CLASSES = 5


def _noisy_features(
    rng, num_items, noise=1.5, modalities=("clipart", "sketch")
):
    labels = np.arange(num_items) % CLASSES
    return {
        m: (
            np.eye(CLASSES)[labels] + noise * rng.normal(size=(num_items, 5)),
            labels,
        )
        for m in modalities
    }


def _retrieval(features, **kwargs):
    return cross_modal_retrieval(
        features, protocol="full", within_modal=False, per_query=True, **kwargs
    )


def test_per_query_results_average_to_the_pair_scores():
    out = _retrieval(_noisy_features(np.random.default_rng(0), 40))
    for pair, scores in out["per_query"].items():
        assert len(scores["average_precision"]) == 40
        assert np.mean(scores["average_precision"]) == pytest.approx(
            out["pairs"][pair]["map"]
        )
        assert np.mean(scores["chance_average_precision"]) == pytest.approx(
            out["pairs"][pair]["chance_map"]
        )
    assert "per_query" not in cross_modal_retrieval(
        _noisy_features(np.random.default_rng(0), 40), protocol="full"
    )


def test_interval_holds_the_estimate_and_shrinks_with_more_items():
    rng = np.random.default_rng(1)
    widths = []
    for num_items in (40, 640):
        out = _retrieval(_noisy_features(rng, num_items))
        interval = retrieval_interval(out, resamples=400)
        low, high = interval["map"]
        assert low < out["mean"]["map"] < high
        ratio = out["mean"]["map"] / out["mean"]["chance_map"]
        assert interval["times_chance"][0] < ratio < interval["times_chance"][1]
        widths.append(high - low)
    # The standard error falls as 1/sqrt(items): 16x the items, ~1/4 the width.
    assert 0.15 < widths[1] / widths[0] < 0.4


def test_interval_matches_the_spread_over_fresh_query_sets():
    """The bootstrap of one query set vs. mAPs of many independent sets."""
    rng = np.random.default_rng(2)
    targets = _noisy_features(rng, 200, modalities=("sketch",))["sketch"]
    fresh_maps, widths = [], []
    for _ in range(30):
        features = {
            **_noisy_features(rng, 60, modalities=("clipart",)),
            "sketch": targets,
        }
        out = cross_modal_retrieval(
            features, protocol="full", within_modal=False, per_query=True
        )
        pair = out["per_query"][("clipart", "sketch")]
        # Only the a->b direction varies with the query set: score it alone.
        out["per_query"] = {("clipart", "sketch"): pair}
        fresh_maps.append(np.mean(pair["average_precision"]))
        low, high = retrieval_interval(out, resamples=300)["map"]
        widths.append(high - low)
    normal_width = 2 * 1.96 * np.std(fresh_maps, ddof=1)
    assert 0.6 < np.median(widths) / normal_width < 1.6


def test_interval_is_seeded_and_a_perfect_encoder_has_no_spread():
    out = _retrieval(_noisy_features(np.random.default_rng(3), 50))
    assert retrieval_interval(out, seed=4) == retrieval_interval(out, seed=4)
    assert retrieval_interval(out, seed=4) != retrieval_interval(out, seed=5)
    labels = np.arange(30) % CLASSES
    perfect = _retrieval(
        {m: (np.eye(CLASSES)[labels], labels) for m in ("clipart", "sketch")}
    )
    interval = retrieval_interval(perfect, resamples=50, confidence=0.9)
    assert interval["map"] == pytest.approx([1.0, 1.0])
    assert interval["confidence"] == 0.9 and interval["resamples"] == 50


def test_queries_without_relevant_targets_are_left_out_of_each_draw():
    labels = {
        "clipart": np.array([0, 0, 1, 1, 9]),
        "sketch": np.array([0, 1, 0, 1]),
    }
    features = {m: (np.eye(10)[y] + 0.01, y) for m, y in labels.items()}
    out = _retrieval(features, k=2)
    assert np.isnan(
        out["per_query"][("clipart", "sketch")]["average_precision"][4]
    )
    interval = retrieval_interval(out, resamples=200)
    assert np.isfinite(interval["map"]).all()
    assert interval["map"][1] <= 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"resamples": 1}, "resamples"),
        ({"resamples": 10.0}, "resamples"),
        ({"confidence": 1.0}, "confidence"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    out = _retrieval(_noisy_features(np.random.default_rng(0), 20))
    with pytest.raises(ValueError, match=message):
        retrieval_interval(out, **kwargs)


def test_results_without_per_query_scores_are_refused_with_the_fix():
    out = cross_modal_retrieval(
        _noisy_features(np.random.default_rng(0), 20), protocol="full"
    )
    with pytest.raises(ValueError, match="per_query=True"):
        retrieval_interval(out)
    within_only = {"per_query": {("clipart", "clipart"): {}}}
    with pytest.raises(ValueError, match="no cross-modal pair"):
        retrieval_interval(within_only)
