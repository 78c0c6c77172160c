import dataclasses

import numpy as np
import pytest
import tensorflow as tf

import cm_zoo
from cm_zoo.runs import CMPlacesJob
from cm_zoo.runs import RunDirectory
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


class StopTraining(Exception):
    pass


def test_source_network_trains_on_the_source_pool_not_target_items(
    bench, tmp_path, monkeypatch
):
    from cm_zoo.runs import cmplaces_experiment

    seen = {}

    def spy_fit(context, task, arrays, epochs, run_dir, callbacks=(), **data):
        seen.update(arrays=arrays, data=data, callbacks=callbacks)
        raise StopTraining

    monkeypatch.setattr(cmplaces_experiment, "_fit", spy_fit)
    training = dataclasses.replace(
        cm_zoo.presets.get("cmplaces_alexnet_tiny").training, source_views=2
    )
    the_job = CMPlacesJob(preset="cmplaces_alexnet_tiny", training=training)
    context = cmplaces_experiment._Context(
        the_job,
        tf.distribute.get_strategy(),
        RunDirectory(tmp_path),
        RunDirectory(tmp_path),
        bench,
    )
    with pytest.raises(StopTraining):
        cmplaces_experiment._train_source(context)
    x, y = seen["arrays"]["clipart"]
    pool_x, pool_y = bench.source_pool("train", views=2, seed=0)
    np.testing.assert_array_equal(y, pool_y)
    np.testing.assert_array_equal(x[::97], pool_x[::97])
    target = bench.arrays("clipart", "train")[0]
    assert len(y) == 2 * 2406 and len(y) != len(target)
    assert seen["data"] == {"balance_classes": True}
    [early_stopping] = seen["callbacks"]
    assert early_stopping.name == "val_balanced_accuracy"


def test_balanced_accuracy_weighs_every_class_alike():
    from cm_zoo.runs.cmplaces_experiment import balanced_accuracy

    labels = np.array([0, 0, 0, 1])
    logits = np.eye(2)[[0, 0, 0, 0]]  # always class 0: 75% plain accuracy
    assert balanced_accuracy(logits, labels) == 0.5
