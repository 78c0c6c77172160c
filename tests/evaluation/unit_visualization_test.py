"""Tests for top-activating items, tf-idf words and the unit grid."""

import numpy as np
import pytest

from cm_zoo.evaluation import unit_visualization


def test_top_activating_items_are_sorted_per_unit_and_modality():
    rng = np.random.default_rng(0)
    activations = {
        "natural": rng.random((50, 8)),
        "description": rng.random((30, 8)),
    }
    top = unit_visualization.top_activating_items(activations, [2, 5], k=4)
    for modality, values in activations.items():
        assert top[modality].shape == (2, 4)
        for row, unit in enumerate([2, 5]):
            expected = np.argsort(-values[:, unit])[:4]
            np.testing.assert_array_equal(top[modality][row], expected)


def test_distinctive_words_match_a_direct_tfidf():
    texts = [
        "The beach has sand and waves and sand",
        "Waves crash on the beach",
        "A kitchen with a stove",
        "The kitchen table and chairs",
        "A bedroom with a bed",
    ]
    words = unit_visualization.distinctive_words(texts, [[0, 1]], num_words=3)
    # Direct computation: tf over docs 0-1, smooth idf over all five.
    n = len(texts)
    df = {"beach": 2, "sand": 1, "waves": 2, "crash": 1}
    tf = {"beach": 2, "sand": 2, "waves": 2, "crash": 1}
    score = {w: tf[w] * (np.log((1 + n) / (1 + df[w])) + 1) for w in tf}
    expected = sorted(score, key=lambda w: (-score[w], w))[:3]
    assert words == [expected]
    assert expected[0] == "sand"


def test_stop_words_are_dropped():
    words = unit_visualization.distinctive_words(
        ["the the the of and lake"], [[0]], num_words=5
    )
    assert words == [["lake"]]


def test_draw_unit_grid_writes_png(tmp_path):
    rng = np.random.default_rng(1)
    images = {
        "natural": rng.integers(0, 255, (2, 3, 16, 16, 3), dtype=np.uint8),
        "sketch": rng.integers(0, 255, (2, 3, 16, 16), dtype=np.uint8),
    }
    texts = {"description": [["a long description " * 5] * 3, ["short"] * 3]}
    path = tmp_path / "grid.png"
    unit_visualization.draw_unit_grid(
        path,
        [10, 42],
        images=images,
        texts=texts,
        words=[["beach"], ["kitchen"]],
    )
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert path.stat().st_size > 5000


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match=r"`units` must lie in \[0, 3\)"):
        unit_visualization.top_activating_items(
            {"natural": np.ones((4, 3))}, [3]
        )
    with pytest.raises(ValueError, match=r"`k` must be in \[1, 4\]"):
        unit_visualization.top_activating_items(
            {"natural": np.ones((4, 3))}, [0], k=9
        )
    with pytest.raises(ValueError, match="must index into 2 descriptions"):
        unit_visualization.distinctive_words(["a", "b"], [[0, 2]])
    with pytest.raises(ValueError, match="must be uint8"):
        unit_visualization.draw_unit_grid(
            tmp_path / "x.png",
            [0],
            images={"natural": np.zeros((1, 1, 4, 4, 3))},
        )
    with pytest.raises(ValueError, match="needs 2 units x 1"):
        unit_visualization.draw_unit_grid(
            tmp_path / "x.png",
            [0, 1],
            images={"natural": np.zeros((2, 1, 4, 4, 3), np.uint8)},
            texts={"description": [["a"]]},
        )
