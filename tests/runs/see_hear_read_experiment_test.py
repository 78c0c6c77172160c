"""See-Hear-Read training data: pool pairs and joined pair sets."""

import numpy as np
import pytest

from cm_zoo.data import clipart_benchmark
from cm_zoo.runs import see_hear_read_experiment as experiment


@pytest.fixture(scope="module")
def bench():
    return clipart_benchmark.load()


def test_pool_pairs_give_each_item_a_pool_drawing_of_its_class(bench):
    pool, pool_labels = bench.source_pool("train")
    absent = int(pool_labels.max()) + 1  # a class the pool lacks
    labels = np.array([0, 3, 3, absent, 5])
    sounds = np.arange(5, dtype="float32")[:, None] * np.ones((1, 8))
    pairs = experiment.pool_pairs(bench, "sound", sounds, labels, seed=1)
    assert list(pairs) == ["image_sound"]
    bundle = pairs["image_sound"]
    np.testing.assert_array_equal(bundle["label"], [0, 3, 3, 5])
    np.testing.assert_array_equal(bundle["sound"][:, 0], [0, 1, 2, 4])
    for image, label in zip(bundle["clipart"], bundle["label"]):
        matches = np.flatnonzero((pool == image).all(axis=(1, 2, 3)))
        assert label in pool_labels[matches]
    again = experiment.pool_pairs(bench, "sound", sounds, labels, seed=1)
    np.testing.assert_array_equal(
        again["image_sound"]["clipart"], bundle["clipart"]
    )
    texts = experiment.pool_pairs(
        bench, "description", np.array(["oak"]), np.array([5])
    )
    assert list(texts) == ["image_text"]


def test_joined_pairs_add_a_set_to_the_pairs_that_have_it(bench):
    pairs = experiment.training_pairs(bench)
    extra = experiment.pool_pairs(
        bench, "sound", np.zeros((3, 32000), "float32"), np.array([0, 1, 2])
    )
    joined = experiment.joined_pairs(pairs, extra)
    assert (
        len(joined["image_sound"]["label"])
        == len(pairs["image_sound"]["label"]) + 3
    )
    np.testing.assert_array_equal(
        joined["image_text"]["label"], pairs["image_text"]["label"]
    )
