import shutil
import subprocess

import numpy as np
import pytest

from cm_zoo.data import clipart_benchmark
from cm_zoo.data import spoken_lexicon
from cm_zoo.data.clipart_build import speech

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng"
)


def _variant(voice):
    return voice.split("+")[1] if "+" in voice else None


def test_training_voices_are_neither_ood_nor_the_benchmark_voice():
    voices = set(spoken_lexicon.TRAIN_VOICES)
    assert not voices & set(speech.OOD_VOICES)
    assert speech.VOICE[0] not in voices
    ood_variants = {_variant(v) for v in speech.OOD_VOICES} - {None}
    assert not {_variant(v) for v in voices} & ood_variants
    ood_accents = {v.split("+")[0] for v in speech.OOD_VOICES}
    assert not {v.split("+")[0] for v in voices} & ood_accents
    for train, ood in (
        (spoken_lexicon.TRAIN_SPEEDS, speech.OOD_SPEEDS),
        (spoken_lexicon.TRAIN_PITCHES, speech.OOD_PITCHES),
    ):
        assert ood[0] < train[0] < train[1] < ood[1]


@needs_espeak
def test_every_training_voice_sounds_different():
    # espeak-ng falls back to its default voice, silently, on a name it
    # does not know (and ignores a variant on "en-gb").
    renders = [
        speech.speak("parrot", (voice, 170, 50))
        for voice in (speech.VOICE[0],) + spoken_lexicon.TRAIN_VOICES
    ]
    for i, first in enumerate(renders):
        for second in renders[i + 1 :]:
            assert first.shape != second.shape or not np.allclose(first, second)


def test_renders_of_a_text_take_different_voices():
    voices = {
        spoken_lexicon.training_voice("parrot", k)[0]
        for k in range(len(spoken_lexicon.TRAIN_VOICES))
    }
    assert voices == set(spoken_lexicon.TRAIN_VOICES)


@needs_espeak
def test_renders_are_deterministic_and_read_back_from_the_cache(
    tmp_path, monkeypatch
):
    texts = ["parrot", "oak tree"]
    first = spoken_lexicon.speak_texts(
        texts, 2, tmp_path / "a", num_samples=32000
    )
    again = spoken_lexicon.speak_texts(
        texts, 2, tmp_path / "b", num_samples=32000
    )
    np.testing.assert_array_equal(first, again)
    assert first.shape == (4, 32000) and first.dtype == np.float32
    assert not np.allclose(first[0], first[1])  # two voices of "parrot"
    assert len(list((tmp_path / "a").rglob("*.npy"))) == 4

    def no_espeak(text, voice):
        raise AssertionError(f"rendered {text!r} again")

    monkeypatch.setattr(speech, "speak", no_espeak)
    cached = spoken_lexicon.speak_texts(
        texts, 2, tmp_path / "a", num_samples=32000
    )
    np.testing.assert_array_equal(first, cached)
    assert not list((tmp_path / "a").rglob("*.partial*"))


@needs_espeak
def test_a_failing_espeak_names_the_text(tmp_path, monkeypatch):
    def failing(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, b"", b"error")

    monkeypatch.setattr(speech.subprocess, "run", failing)
    with pytest.raises(ValueError, match="'zebra crossing'"):
        spoken_lexicon.speak_texts(
            ["zebra crossing"], 1, tmp_path, num_samples=100
        )
    assert not list(tmp_path.rglob("*.npy"))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"voices_per_text": 0}, "voices_per_text"),
        ({"voices_per_text": 7}, "voices_per_text"),
        ({"voices_per_text": 1, "voices": ("en-029",)}, "OOD"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        spoken_lexicon.speak_texts(
            ["parrot"], cache_dir=tmp_path, num_samples=100, **kwargs
        )


@needs_espeak
def test_paired_transcripts_follow_the_paired_triplets():
    bench = clipart_benchmark.load()
    transcripts = spoken_lexicon.paired_transcripts(bench)
    triplets = bench.paired_triplets()
    assert len(transcripts) == len(triplets["label"])
    # The benchmark's own speech of row i is transcript i, in its voice.
    for row in (0, len(transcripts) - 1):
        said = speech.speak(transcripts[row], speech.VOICE)
        heard = triplets["sound"][row][::2][: said.size]
        assert np.corrcoef(said[: heard.size], heard)[0, 1] > 0.9


def test_spoken_texts_are_the_training_transcripts_titles_and_lemmas():
    bench = clipart_benchmark.load()
    texts, labels = spoken_lexicon.spoken_texts(bench)
    said = set(zip(labels.tolist(), texts.tolist()))
    items = bench.manifest["items"]
    assert {
        (i["label"], i["spoken_text"])
        for i in items
        if i["role"] == "sound" and i["split"] == "train"
    } <= said
    lexicon, lexicon_labels = bench.lexicon()
    assert (lexicon_labels[0], lexicon[0].split(":")[0]) in said
    descriptions, _ = bench.arrays("description", "train")
    assert descriptions[0].split(". ")[0] in set(texts)
    assert not [t for t in texts if ":" in t or not t.strip()]
    val_sounds = {
        (i["label"], i["spoken_text"])
        for i in items
        if i["role"] == "sound" and i["split"] == "val"
    }
    with_val = spoken_lexicon.spoken_texts(bench, "train+val")
    assert val_sounds - said
    assert val_sounds <= set(zip(with_val[1].tolist(), with_val[0].tolist()))


def test_pool_titles_add_the_source_pools_titles_without_giveaways():
    bench = clipart_benchmark.load()
    texts, labels = spoken_lexicon.spoken_texts(bench)
    more, more_labels = spoken_lexicon.spoken_texts(bench, pool_titles=True)
    said = set(zip(more_labels.tolist(), more.tolist()))
    assert set(zip(labels.tolist(), texts.tolist())) < said
    items = bench.manifest["items"]
    pool = [i for i in items if i["role"] == "source" and i["split"] == "train"]
    wing = next(i for i in pool if i["title"] == "Wing")
    assert (wing["label"], "Wing") in said
    # A title holding its category's name is said without it.
    named = next(i for i in pool if "bird" in i["title"].lower().split())
    bird_texts = more[more_labels == named["label"]]
    assert not [t for t in bird_texts if "bird" in t.lower().split()]
    evaluation = {
        i["title"]
        for i in items
        if i["split"] in ("val", "test", "ood") and i["title"]
    }
    added = set(more) - set(texts)
    pool_titles = {i["title"] for i in pool}
    assert added - evaluation  # mostly titles no evaluation item has
    assert not added & (evaluation - pool_titles)
