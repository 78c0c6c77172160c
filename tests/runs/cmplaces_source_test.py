import dataclasses

import numpy as np
import pytest
import tensorflow as tf

import cm_zoo
from cm_zoo.runs import CMPlacesJob
from cm_zoo.runs import RunDirectory
from cm_zoo.runs._cmplaces_stage import Stage
from cm_zoo.runs.cmplaces_source import balanced_accuracy
from cm_zoo.runs.cmplaces_source import load_or_train_source


class StopTraining(Exception):
    pass


def test_source_network_trains_on_the_source_pool_not_target_items(
    tmp_path, monkeypatch
):
    bench = cm_zoo.data.clipart_benchmark.load()
    seen = {}

    def spy_fit(stage, task, arrays, epochs, run_dir, callbacks=(), **data):
        seen.update(arrays=arrays, data=data, callbacks=callbacks)
        raise StopTraining

    monkeypatch.setattr(Stage, "fit", spy_fit)
    training = dataclasses.replace(
        cm_zoo.presets.get("cmplaces_alexnet_tiny").training, source_views=2
    )
    the_job = CMPlacesJob(preset="cmplaces_alexnet_tiny", training=training)
    stage = Stage(
        the_job,
        tf.distribute.get_strategy(),
        RunDirectory(tmp_path),
        RunDirectory(tmp_path),
        bench,
    )
    with pytest.raises(StopTraining):
        load_or_train_source(stage)
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
    labels = np.array([0, 0, 0, 1])
    logits = np.eye(2)[[0, 0, 0, 0]]  # always class 0: 75% plain accuracy
    assert balanced_accuracy(logits, labels) == 0.5


def test_stage_renders_the_source_pool_once(tmp_path, monkeypatch):
    bench = cm_zoo.data.clipart_benchmark.load()
    calls = []
    render = bench.source_pool
    monkeypatch.setattr(
        bench, "source_pool", lambda *a, **k: calls.append(a) or render(*a, **k)
    )
    training = cm_zoo.presets.get("cmplaces_alexnet_tiny").training
    stage = Stage(
        CMPlacesJob(preset="cmplaces_alexnet_tiny", training=training),
        tf.distribute.get_strategy(),
        RunDirectory(tmp_path),
        RunDirectory(tmp_path),
        bench,
    )
    first = stage.source_pool
    assert stage.source_pool is first
    assert len(calls) == 1
    np.testing.assert_array_equal(
        first[1], render("train", views=training.source_views, seed=0)[1]
    )
