import numpy as np
import pytest

import cm_zoo
from cm_zoo.runs import CMPlacesJob
from cm_zoo.runs import training_arrays
from cm_zoo.runs import training_items


@pytest.fixture(scope="module")
def bench():
    return cm_zoo.data.clipart_benchmark.load()


def job(**options):
    training = cm_zoo.presets.get("cmplaces_alexnet_tiny").training
    return CMPlacesJob(
        preset="cmplaces_alexnet_tiny", training=training, **options
    )


def test_include_paired_adds_the_pairs_items_to_training(bench):
    x, y = training_items(bench, "description", job())
    x_more, y_more = training_items(
        bench, "description", job(include_paired=True)
    )
    pairs = bench.paired("train")
    assert (
        len(x_more) == len(y_more) == len(x) + len(pairs["image_text"]["label"])
    )
    clipart, _ = training_items(bench, "clipart", job(include_paired=True))
    assert len(clipart) == len(bench.arrays("clipart", "train")[1]) + sum(
        len(pairs[s]["label"]) for s in pairs
    )
    sketch, _ = training_items(bench, "sketch", job(include_paired=True))
    assert len(sketch) == len(bench.arrays("sketch", "train")[1])


def test_include_lexicon_adds_wordnet_texts_to_descriptions_only(bench):
    texts, labels = training_items(
        bench, "description", job(include_lexicon=True)
    )
    base = len(bench.arrays("description", "train")[1])
    assert len(texts) == len(labels) == base + len(bench.lexicon()[0])
    sketch, _ = training_items(bench, "sketch", job(include_lexicon=True))
    assert len(sketch) == len(bench.arrays("sketch", "train")[1])


def test_held_out_classes_leave_the_targets_not_the_source(bench):
    held = (bench.class_names.index(bench.holdout_categories[0]),)
    arrays = training_arrays(bench, ["clipart", "sketch"], job(holdout=held))
    assert not np.isin(arrays["sketch"][1], held).any()
    assert np.isin(arrays["clipart"][1], held).any()
