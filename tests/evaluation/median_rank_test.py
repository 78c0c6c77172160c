"""Tests for paired ranks and average median rank."""

import numpy as np
import pytest

from cm_zoo.evaluation import median_rank


def _brute_force_ranks(queries, targets):
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    t = targets / np.linalg.norm(targets, axis=1, keepdims=True)
    scores = (q @ t.T).astype(np.float32)
    return np.array(
        [
            int(np.flatnonzero(np.argsort(-scores[i], kind="stable") == i)[0])
            + 1
            for i in range(len(q))
        ]
    )


@pytest.mark.parametrize("chunk_size", [1, 13, 1000])
def test_paired_ranks_match_brute_force(chunk_size):
    rng = np.random.default_rng(0)
    queries = rng.normal(size=(150, 12))
    targets = queries + 2.0 * rng.normal(size=(150, 12))
    ranks = median_rank.paired_ranks(queries, targets, chunk_size=chunk_size)
    np.testing.assert_array_equal(ranks, _brute_force_ranks(queries, targets))


def test_average_median_rank_over_disjoint_splits():
    rng = np.random.default_rng(1)
    queries = rng.normal(size=(500, 8))
    targets = queries + rng.normal(size=(500, 8))
    out = median_rank.average_median_rank(
        queries, targets, num_splits=3, split_size=100, seed=5
    )
    order = np.random.default_rng(5).permutation(500)
    expected = [
        np.median(_brute_force_ranks(queries[s], targets[s]))
        for s in np.split(order[:300], 3)
    ]
    assert out["split_medians"] == pytest.approx(expected)
    assert out["median_rank"] == pytest.approx(np.mean(expected))
    assert (out["num_splits"], out["split_size"], out["chance"]) == (
        3,
        100,
        50.5,
    )


def test_fewer_splits_when_data_is_small():
    x = np.random.default_rng(2).normal(size=(250, 4))
    out = median_rank.average_median_rank(x, x, num_splits=5, split_size=100)
    assert (out["num_splits"], out["split_size"]) == (2, 100)
    out = median_rank.average_median_rank(x[:40], x[:40], split_size=100)
    assert (out["num_splits"], out["split_size"], out["median_rank"]) == (
        1,
        40,
        1.0,
    )


def test_random_embeddings_give_chance_median_rank():
    rng = np.random.default_rng(3)
    out = median_rank.average_median_rank(
        rng.normal(size=(1000, 32)),
        rng.normal(size=(1000, 32)),
        split_size=1000,
    )
    assert out["median_rank"] == pytest.approx(out["chance"], rel=0.1)


def test_cross_modal_median_rank_covers_ordered_pairs():
    rng = np.random.default_rng(4)
    base = rng.normal(size=(60, 6))
    embeddings = {
        "natural": base,
        "sound": base + 0.1 * rng.normal(size=base.shape),
        "description": rng.normal(size=base.shape),
    }
    out = median_rank.cross_modal_median_rank(embeddings, split_size=30)
    assert len(out) == 6
    assert out[("natural", "sound")]["median_rank"] == 1.0
    assert out[("natural", "description")]["median_rank"] > 5
    only = median_rank.cross_modal_median_rank(
        embeddings, pairs=[("sound", "natural")], split_size=30
    )
    assert list(only) == [("sound", "natural")]


def test_errors_name_the_problem():
    x = np.zeros((5, 3))
    with pytest.raises(ValueError, match="as many queries as targets"):
        median_rank.paired_ranks(x, x[:4])
    with pytest.raises(ValueError, match="share one dimension"):
        median_rank.paired_ranks(x, np.zeros((5, 4)))
    with pytest.raises(ValueError, match="`split_size` must be a positive"):
        median_rank.average_median_rank(x, x, split_size=0)
    with pytest.raises(ValueError, match="names 'sound'.*not in"):
        median_rank.cross_modal_median_rank(
            {"natural": x}, pairs=[("natural", "sound")]
        )
