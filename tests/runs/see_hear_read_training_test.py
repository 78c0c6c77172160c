"""See-Hear-Read's student data with the spoken lexicon."""

import shutil

import numpy as np
import pytest

from cm_zoo.data import clipart_benchmark
from cm_zoo.data import spoken_lexicon
from cm_zoo.presets import get
from cm_zoo.runs import SeeHearReadJob
from cm_zoo.runs import see_hear_read_experiment as experiment
from cm_zoo.runs import see_hear_read_training as training

PRESET = "see_hear_read_alexnet_tiny"


def _job(**kwargs):
    return SeeHearReadJob(
        preset=PRESET, training=get(PRESET).training, **kwargs
    )


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng")
def test_spoken_lexicon_adds_voiced_pairs_to_the_student_data(
    tmp_path, monkeypatch
):
    bench = clipart_benchmark.load()
    # Few distinct texts, so that few renders are made.
    lexicon = (np.array(["parrot", "oak"], dtype=object), np.array([0, 10]))
    monkeypatch.setattr(spoken_lexicon, "spoken_texts", lambda b, s: lexicon)
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
    job = _job(spoken_lexicon=2, class_pairs=True)
    training.student_dataset(job, bench, spoken_cache=tmp_path)

    items = bench.paired_triplets()
    train = np.flatnonzero(items["split"] == "train")
    without = experiment.joined_pairs(
        experiment.training_pairs(bench), experiment.class_pairs(bench)
    )
    plain = without["image_sound"]
    bundle = seen["image_sound"]
    start, stop = len(plain["label"]), len(plain["label"]) + 2 * len(train)
    assert len(bundle["label"]) == stop + 2 * len(lexicon[0])
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


def test_spoken_lexicon_is_refused_where_it_cannot_apply(tmp_path):
    with pytest.raises(ValueError, match="spoken_lexicon"):
        _job(spoken_lexicon=len(spoken_lexicon.TRAIN_VOICES) + 1)
    bench = clipart_benchmark.load()
    with pytest.raises(ValueError, match="stored split"):
        training.student_dataset(
            _job(spoken_lexicon=1),
            bench,
            pairs=experiment.training_pairs(bench),
            spoken_cache=tmp_path,
        )
