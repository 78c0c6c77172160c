"""See-Hear-Read: the student data (spoken lexicon) and the student task."""

import shutil

import numpy as np
import pytest

from cm_zoo.data import clipart_benchmark
from cm_zoo.data import spoken_lexicon
from cm_zoo.presets import get
from cm_zoo.runs import SeeHearReadJob
from cm_zoo.runs import see_hear_read_experiment as experiment
from cm_zoo.runs import see_hear_read_student_data as student_data
from cm_zoo.runs import see_hear_read_training as training

PRESET = "see_hear_read_alexnet_tiny"


def _job(**kwargs):
    return SeeHearReadJob(
        preset=PRESET, training=get(PRESET).training, **kwargs
    )


needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng"
)


@pytest.fixture(scope="module")
def bench():
    return clipart_benchmark.load()


def _student_pairs(job, bench, cache, monkeypatch):
    """The pair sets `student_dataset` batches, with few distinct texts
    spoken (so that few renders are made)."""
    lexicon = (np.array(["parrot", "oak"], dtype=object), np.array([0, 10]))
    monkeypatch.setattr(
        spoken_lexicon, "spoken_texts", lambda b, s, pool_titles: lexicon
    )
    transcripts = np.array(["tux"] * len(bench.paired_triplets()["label"]))
    monkeypatch.setattr(
        spoken_lexicon, "paired_transcripts", lambda b: transcripts
    )
    seen = {}
    real = experiment.paired_dataset

    def spy(pairs, batch_size, seed):
        seen.update(pairs)
        return real(pairs, batch_size, seed)

    monkeypatch.setattr(experiment, "paired_dataset", spy)
    student_data.student_dataset(job, bench, spoken_cache=cache)
    return seen


@needs_espeak
def test_spoken_lexicon_adds_voiced_pairs_to_the_student_data(
    bench, tmp_path, monkeypatch
):
    job = _job(spoken_lexicon=2, class_pairs=True)
    seen = _student_pairs(job, bench, tmp_path, monkeypatch)

    items = bench.paired_triplets()
    train = np.flatnonzero(items["split"] == "train")
    without = experiment.joined_pairs(
        experiment.training_pairs(bench), experiment.class_pairs(bench)
    )
    plain = without["image_sound"]
    bundle = seen["image_sound"]
    start, stop = len(plain["label"]), len(plain["label"]) + 2 * len(train)
    assert len(bundle["label"]) == stop + 2 * 2  # "parrot", "oak"
    np.testing.assert_array_equal(
        bundle["clipart"][start:stop:2], items["clipart"][train]
    )
    np.testing.assert_array_equal(
        bundle["label"][start:stop], np.repeat(items["label"][train], 2)
    )
    np.testing.assert_array_equal(bundle["label"][stop:], [0, 0, 10, 10])
    assert np.abs(bundle["sound"][start:]).max(axis=1).min() > 0.1
    assert len(list(tmp_path.rglob("*.npy"))) == 2 * 3
    np.testing.assert_array_equal(
        seen["image_text"]["label"], without["image_text"]["label"]
    )


@needs_espeak
def test_spoken_lexicon_on_train_and_val_speaks_the_val_triplets_too(
    bench, tmp_path, monkeypatch
):
    job = _job(spoken_lexicon=1, train_splits="train+val")
    seen = _student_pairs(job, bench, tmp_path, monkeypatch)
    items = bench.paired_triplets()
    spoken = np.isin(items["split"], ["train", "val"])
    plain = experiment.training_pairs(bench, "train+val")["image_sound"]
    assert len(seen["image_sound"]["label"]) == len(plain["label"]) + sum(
        spoken
    )
    np.testing.assert_array_equal(
        seen["image_sound"]["label"][len(plain["label"]) :],
        items["label"][spoken],
    )


def test_spoken_lexicon_is_refused_where_it_cannot_apply(bench, tmp_path):
    with pytest.raises(ValueError, match="spoken_lexicon"):
        _job(spoken_lexicon=len(spoken_lexicon.TRAIN_VOICES) + 1)
    with pytest.raises(ValueError, match="`spoken_pool_titles` adds texts"):
        _job(spoken_pool_titles=True)
    with pytest.raises(ValueError, match="stored split"):
        student_data.student_dataset(
            _job(spoken_lexicon=1),
            bench,
            pairs=experiment.training_pairs(bench),
            spoken_cache=tmp_path,
        )


def test_init_from_teacher_copies_image_tower_and_shared_layers():
    import tensorflow as tf

    from cm_zoo.models import cmplaces

    config = get(PRESET).config()
    source = cmplaces.build_source_network(config, "clipart", num_classes=5)
    teacher = source.encoder("clipart")
    strategy = tf.distribute.get_strategy()
    task = training.build_task(_job(init_from_teacher=True), teacher, strategy)
    student = task.backbone
    for mine, theirs in [
        (student.towers["clipart"], source.towers["clipart"]),
        *zip(
            student.upper_layers_for("clipart"),
            source.upper_layers_for("clipart"),
        ),
    ]:
        for a, b in zip(mine.get_weights(), theirs.get_weights()):
            np.testing.assert_array_equal(a, b)
    fresh = training.build_task(_job(), teacher, strategy).backbone
    assert not np.array_equal(
        fresh.towers["clipart"].get_weights()[0],
        source.towers["clipart"].get_weights()[0],
    )
    other = cmplaces.build_source_network(
        {**config, "hidden_dim": 8}, "clipart", num_classes=5
    )
    with pytest.raises(ValueError, match="student's image architecture"):
        training.build_task(
            _job(init_from_teacher=True), other.encoder("clipart"), strategy
        )
