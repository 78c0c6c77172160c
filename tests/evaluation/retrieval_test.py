"""Tests for chunked AP / PR@k and the retrieval protocols."""

import numpy as np
import pytest
from sklearn import metrics

from cm_zoo.evaluation import average_precision
from cm_zoo.evaluation import retrieval


def _cosine(queries, targets):
    """float64 reference cosine similarities. [n, N]"""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    t = targets / np.linalg.norm(targets, axis=1, keepdims=True)
    return q @ t.T


def _reference(queries, q_labels, targets, t_labels, k=10, exclude=None):
    """Per-query sklearn AP and brute-force PR@k on float32 cosines."""
    scores = _cosine(queries, targets).astype(np.float32)
    aps, prs = [], []
    for i in range(queries.shape[0]):
        keep = np.ones(targets.shape[0], bool)
        if exclude is not None:
            keep[exclude[i]] = False
        relevant = t_labels[keep] == q_labels[i]
        row = scores[i, keep]
        aps.append(metrics.average_precision_score(relevant, row))
        prs.append(relevant[np.argsort(-row)[:k]].mean())
    return np.array(aps), np.array(prs)


def _random_problem(seed, num_queries=120, num_targets=300, dim=16, classes=7):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(num_queries, dim)),
        rng.integers(0, classes, num_queries),
        rng.normal(size=(num_targets, dim)),
        rng.integers(0, classes, num_targets),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ap_and_pr_at_10_match_sklearn_and_brute_force(dtype):
    q, ql, t, tl = _random_problem(0)
    out = average_precision.query_average_precision(
        q.astype(dtype), ql, t.astype(dtype), tl, chunk_size=32
    )
    ref_ap, ref_pr = _reference(q, ql, t, tl)
    np.testing.assert_allclose(out["average_precision"], ref_ap, atol=1e-6)
    np.testing.assert_allclose(out["precision_at_k"], ref_pr, atol=1e-12)
    np.testing.assert_array_equal(
        out["num_relevant"], (ql[:, None] == tl[None, :]).sum(axis=1)
    )


def test_within_modal_leaves_the_query_out():
    _, _, t, tl = _random_problem(1)
    index = np.arange(0, 300, 3)
    out = average_precision.query_average_precision(
        t[index], tl[index], t, tl, self_indices=index, chunk_size=17
    )
    ref_ap, ref_pr = _reference(t[index], tl[index], t, tl, exclude=index)
    np.testing.assert_allclose(out["average_precision"], ref_ap, atol=1e-6)
    np.testing.assert_allclose(out["precision_at_k"], ref_pr, atol=1e-12)
    assert np.all(out["num_targets"] == 299)
    # Without exclusion the query finds itself first: AP must be higher.
    plain = average_precision.query_average_precision(
        t[index], tl[index], t, tl
    )
    assert np.all(plain["average_precision"] > out["average_precision"])


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 10_000])
def test_chunked_equals_unchunked(chunk_size):
    q, ql, t, tl = _random_problem(2)
    whole = average_precision.query_average_precision(
        q, ql, t, tl, chunk_size=10_000
    )
    chunked = average_precision.query_average_precision(
        q, ql, t, tl, chunk_size=chunk_size
    )
    for key in whole:
        np.testing.assert_array_equal(whole[key], chunked[key])


@pytest.mark.parametrize("workers", [2, 3, 40])
def test_rows_split_over_threads_equal_one_thread(monkeypatch, workers):
    _, _, t, tl = _random_problem(5)
    index = np.arange(0, 300, 9)  # 34 queries, chunks of 16: ragged blocks

    def run():
        return average_precision.query_average_precision(
            t[index], tl[index], t, tl, self_indices=index, chunk_size=16
        )

    monkeypatch.setattr(average_precision.os, "cpu_count", lambda: 1)
    single = run()
    monkeypatch.setattr(average_precision.os, "cpu_count", lambda: workers)
    split = run()
    for key in single:
        np.testing.assert_array_equal(single[key], split[key])


def test_norms_once_per_modality_and_pairs_equal_one_by_one(monkeypatch):
    rng = np.random.default_rng(10)
    features = {
        m: (rng.normal(size=(90, 8)), rng.integers(0, 4, 90))
        for m in ("natural", "clipart", "sketch")
    }
    calls = []
    norms = average_precision._checks.inverse_norms
    monkeypatch.setattr(
        average_precision._checks,
        "inverse_norms",
        lambda x: calls.append(x.shape) or norms(x),
    )
    out = retrieval.cross_modal_retrieval(
        features, num_queries=40, chunk_size=16
    )
    assert calls == [(90, 8)] * 3  # not once per pair
    for (query, target), result in {**out["pairs"], **out["within"]}.items():
        index = np.sort(
            np.random.default_rng(
                [0, retrieval.modalities.ALL_MODALITIES.index(query)]
            ).choice(90, size=40, replace=False)
        )
        (q, ql), (t, tl) = features[query], features[target]
        alone = average_precision.query_average_precision(
            q[index],
            ql[index],
            t,
            tl,
            self_indices=index if query == target else None,
        )
        assert result["map"] == np.mean(alone["average_precision"])


def test_block_ranker_finishes_each_block_before_the_next_one_returns():
    q, ql, t, tl = _random_problem(11, num_queries=30)
    q, t = q.astype(np.float32), t.astype(np.float32)
    inverse = [average_precision._checks.inverse_norms(x) for x in (q, t)]
    out = {
        key: np.full(30, np.nan)
        for key in ("average_precision", "precision_at_k", "num_relevant")
    }
    with average_precision._BlockRanker() as ranker:
        for rows in (slice(0, 10), slice(10, 20), slice(20, 30)):
            ranker.rank(
                out,
                rows,
                q[rows] @ t.T,
                (inverse[0][rows], inverse[1]),
                (ql[rows], tl),
                None,
                10,
            )
            # Two blocks at most: the one before this is done.
            assert not np.isnan(out["precision_at_k"][: rows.start]).any()
            assert np.isnan(out["precision_at_k"][rows]).all()
    whole = average_precision.query_average_precision(q, ql, t, tl)
    np.testing.assert_array_equal(
        out["average_precision"], whole["average_precision"]
    )


def test_ties_are_ranked_irrelevant_first():
    # Both targets identical to the query: the relevant one ranks second.
    out = average_precision.query_average_precision(
        [[1.0, 0.0]], [0], [[1.0, 0.0], [2.0, 0.0]], [0, 1], k=1
    )
    assert out["average_precision"][0] == 0.5
    assert out["precision_at_k"][0] == 0.0


def test_query_without_relevant_target_gets_nan_and_is_skipped():
    rng = np.random.default_rng(3)
    features = {
        "natural": (rng.normal(size=(20, 4)), np.r_[np.zeros(19, int), 9]),
        "clipart": (rng.normal(size=(20, 4)), np.zeros(20, int)),
    }
    out = retrieval.cross_modal_retrieval(
        features, protocol="full", within_modal=False
    )
    pair = out["pairs"][("natural", "clipart")]
    assert (pair["num_queries"], pair["num_skipped"]) == (19, 1)
    assert pair["map"] == pytest.approx(1.0)  # every target is relevant


def test_chance_average_precision_matches_monte_carlo():
    rng = np.random.default_rng(4)
    for relevant, total in [(1, 30), (4, 25), (10, 12), (5, 400)]:
        # Ranks of the relevant items under 20k uniformly random rankings.
        ranks = np.sort(
            np.argsort(rng.random((20_000, total)), axis=1)[:, :relevant] + 1,
            axis=1,
        )
        simulated = np.mean(np.arange(1, relevant + 1) / ranks)
        exact = average_precision.chance_average_precision(relevant, total)
        assert exact == pytest.approx(simulated, rel=0.02)
    # The naive R / N underestimates it.
    assert average_precision.chance_average_precision(1, 100) > 0.04
    # The harmonic table and its asymptotic tail agree at the seam.
    n = np.array([9_999.0, 10_000.0, 20_000.0])
    exact = [np.sum(1.0 / np.arange(1, int(m) + 1)) for m in n]
    np.testing.assert_allclose(average_precision._harmonic(n), exact)


def test_paper_protocol_chance_matches_random_embeddings():
    # With random embeddings the measured mAP sits at the chance level.
    rng = np.random.default_rng(5)
    features = {
        m: (rng.normal(size=(400, 64)), rng.integers(0, 8, 400))
        for m in ("natural", "sketch")
    }
    out = retrieval.cross_modal_retrieval(features, num_queries=300, seed=1)
    mean = out["mean"]
    assert mean["map"] == pytest.approx(mean["chance_map"], abs=0.01)
    assert mean["pr_at_k"] == pytest.approx(mean["chance_pr_at_k"], abs=0.02)


def test_paper_protocol_draws_seeded_query_subsets():
    rng = np.random.default_rng(6)
    features = {
        m: (rng.normal(size=(200, 8)), rng.integers(0, 5, 200))
        for m in ("natural", "clipart", "description")
    }
    a = retrieval.cross_modal_retrieval(features, num_queries=50, seed=3)
    b = retrieval.cross_modal_retrieval(features, num_queries=50, seed=3)
    c = retrieval.cross_modal_retrieval(features, num_queries=50, seed=4)
    full = retrieval.cross_modal_retrieval(features, protocol="full")
    pair = ("natural", "clipart")
    assert a["pairs"][pair] == b["pairs"][pair]
    assert a["pairs"][pair]["map"] != c["pairs"][pair]["map"]
    assert a["pairs"][pair]["num_queries"] == 50
    assert full["pairs"][pair]["num_queries"] == 200
    assert len(a["pairs"]) == 6 and len(a["within"]) == 3
    assert a["mean"]["map"] == pytest.approx(
        np.mean([r["map"] for r in a["pairs"].values()])
    )


def test_full_protocol_equals_per_query_reference():
    q, ql, t, tl = _random_problem(7, num_queries=80, num_targets=90)
    out = retrieval.cross_modal_retrieval(
        {"natural": (q, ql), "clipart": (t, tl)}, protocol="full"
    )
    ref_ap, ref_pr = _reference(q, ql, t, tl)
    pair = out["pairs"][("natural", "clipart")]
    assert pair["map"] == pytest.approx(ref_ap.mean(), abs=1e-6)
    assert pair["pr_at_k"] == pytest.approx(ref_pr.mean())
    ref_within, _ = _reference(t, tl, t, tl, exclude=np.arange(90))
    assert out["within"][("clipart", "clipart")]["map"] == pytest.approx(
        ref_within.mean(), abs=1e-6
    )


def test_zero_shot_restricts_queries_and_targets_to_classes():
    q, ql, t, tl = _random_problem(8, classes=6)
    held_out = [1, 4]
    out = retrieval.cross_modal_retrieval(
        {"natural": (q, ql), "clipart": (t, tl)},
        protocol="full",
        classes=held_out,
    )
    keep_q, keep_t = np.isin(ql, held_out), np.isin(tl, held_out)
    ref_ap, _ = _reference(q[keep_q], ql[keep_q], t[keep_t], tl[keep_t])
    pair = out["pairs"][("natural", "clipart")]
    assert pair["map"] == pytest.approx(ref_ap.mean(), abs=1e-6)
    assert pair["num_queries"] == keep_q.sum()
    assert pair["num_targets"] == keep_t.sum()
    assert out["classes"] == held_out


def test_errors_name_the_problem():
    rng = np.random.default_rng(9)
    good = (rng.normal(size=(12, 4)), np.arange(12) % 3)
    with pytest.raises(ValueError, match="share one dimension.*'sketch'"):
        retrieval.cross_modal_retrieval(
            {"natural": good, "sketch": (rng.normal(size=(12, 5)), good[1])}
        )
    with pytest.raises(ValueError, match=r"labels must have shape \[12\]"):
        retrieval.cross_modal_retrieval({"natural": (good[0], good[1][:5])})
    with pytest.raises(ValueError, match="Unknown modality 'photo'"):
        retrieval.cross_modal_retrieval({"photo": good})
    with pytest.raises(ValueError, match="`protocol` must be one of"):
        retrieval.cross_modal_retrieval({"natural": good}, protocol="all")
    with pytest.raises(ValueError, match="NaN or inf"):
        bad = good[0].copy()
        bad[0, 0] = np.nan
        retrieval.cross_modal_retrieval({"natural": (bad, good[1])})
    with pytest.raises(
        ValueError, match=r"No 'natural' item of `features`.*there: \[0, 1, 2\]"
    ):
        retrieval.cross_modal_retrieval({"natural": good}, classes=[7])
    with pytest.raises(ValueError, match="at least k=10 targets"):
        average_precision.query_average_precision(
            good[0], good[1], good[0][:5], good[1][:5]
        )
