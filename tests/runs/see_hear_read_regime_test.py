"""The See-Hear-Read regime's splits, teacher data and summary."""

import numpy as np
import pytest

from cm_zoo import modalities
from cm_zoo.data import clipart_benchmark
from cm_zoo.runs import see_hear_read_experiment as experiment
from cm_zoo.runs import see_hear_read_regime as regime

CLIPART, SOUND, TEXT = regime.IMAGE, regime.SOUND, regime.TEXT


@pytest.fixture(scope="module")
def bench():
    return clipart_benchmark.load()


def _clips(bundle):
    """Each row's clip art as bytes, to follow items across bundles."""
    return [row.tobytes() for row in bundle[CLIPART]]


def test_split_zero_is_the_stored_split(bench):
    split = regime.paired_split(bench, 0)
    for name in ("val", "test"):
        np.testing.assert_array_equal(
            split[name]["label"], bench.paired(name)["label"]
        )
    assert _clips(split["train"]["image_sound"]) == _clips(
        bench.paired("train")["image_sound"]
    )


def test_other_splits_redeal_items_per_category(bench):
    stored = regime.paired_split(bench, 0)
    items = bench.paired_triplets()
    one = regime.paired_split(bench, 1, triplets=items)
    again = regime.paired_split(bench, 1, triplets=items)
    two = regime.paired_split(bench, 2, triplets=items)
    assert _clips(one["test"]) == _clips(again["test"])
    assert _clips(one["test"]) != _clips(two["test"])
    assert _clips(one["test"]) != _clips(stored["test"])
    parts = {
        "val": one["val"],
        "test": one["test"],
        **one["train"],
    }
    seen = [clip for bundle in parts.values() for clip in _clips(bundle)]
    # Every paired item exactly once: the parts are disjoint and complete.
    assert sorted(seen) == sorted(_clips(items))
    for name in ("val", "test"):
        np.testing.assert_array_equal(
            np.bincount(one[name]["label"], minlength=28),
            np.bincount(stored[name]["label"], minlength=28),
        )
        assert set(one[name]) == {CLIPART, SOUND, TEXT, "label"}
    assert set(one["train"]["image_sound"]) == {CLIPART, SOUND, "label"}
    assert set(one["train"]["image_text"]) == {CLIPART, TEXT, "label"}
    # Row i of a triplet is one item: its sound is that item's sound.
    row = {clip: n for n, clip in enumerate(_clips(items))}
    for n, clip in enumerate(_clips(one["test"])):
        assert one["test"][TEXT][n] == items[TEXT][row[clip]]


def test_pool_teacher_items_take_folder_labels(bench):
    x, y = experiment.teacher_items(bench, "pool", "val", labels="folders")
    names = experiment.teacher_class_names(bench, "folders")
    assert len(x) == len(y) and y.min() >= 0 and y.max() < len(names)
    _, categories = experiment.teacher_items(bench, "pool", "val")
    assert len(categories) >= len(y)
    assert experiment.teacher_class_names(bench) == bench.class_names
    with pytest.raises(ValueError, match='"folders" needs data="pool"'):
        experiment.teacher_items(bench, "clipart", labels="folders")


def _split_metrics(rank, accuracy):
    cell = {"median_rank": rank, "chance": 50.5}
    return {
        "median_rank": {
            "fc7": {f"{a}->{b}": cell for a, b in regime.DIRECTIONS}
        },
        "classifier_transfer": {
            "accuracy": {"sound->description": accuracy},
            "chance": 1 / 28,
            "num_test": {modalities.SOUND: 32},
        },
        "num_test_triplets": 100,
        "best_epoch": 3,
        "train_seconds": 10.0,
    }


def test_summary_gives_mean_interval_and_goal():
    result = {
        "teacher": {"num_classes": 46, "val_accuracy": 0.3},
        "splits": [_split_metrics(r, a) for r, a in ((8.0, 0.2), (12.0, 0.4))],
    }
    summary = regime.summarize(result, command="python x.py", settings={})
    cell = summary["median_rank"]["sound->description"]
    assert cell["values"] == [8.0, 12.0] and cell["mean"] == 10.0
    # t_0.975(df=1) * std / sqrt(n), std = 2 * sqrt(2), n = 2.
    assert cell["half_width"] == pytest.approx(12.7062 * 2.0)
    assert cell["ratio_to_chance"] == pytest.approx(10.0 / 50.5)
    assert summary["sound_text"]["goal_met"] is True
    transfer = summary["classifier_transfer"]["accuracy"]["sound->description"]
    assert transfer["mean"] == pytest.approx(0.3)
    assert summary["splits"] == [0, 1]
    assert summary["metrics_file"].format(split=1) == "split1/metrics.json"
    result["splits"][0] = _split_metrics(20.0, 0.2)
    assert not regime.summarize(result, command="", settings={})["sound_text"][
        "goal_met"
    ]
    text = regime.regime_markdown(summary)
    assert "| sound->description | 10.0 +- 25.4 | 50.5 | 0.20x |" in text
    assert "goal <= 0.2x chance: met" in text
