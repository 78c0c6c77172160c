"""The benchmark's labelled texts spoken in training voices (issue 16).

The benchmark's `sound` items are one espeak-ng voice (`speech.VOICE`), and
its out-of-distribution split speaks in six others (`speech.OOD_VOICES`) at
speeds and pitches drawn over `speech.OOD_SPEEDS` and `OOD_PITCHES`. A sound
encoder trained on one voice does not map another voice's words to the same
place. This module makes more labelled speech at training time: the
texts the benchmark already labels (`paired_transcripts`, `spoken_texts`)
said (`speak_texts`) in `TRAIN_VOICES`, none of them an OOD accent or
variant, at speeds and pitches inside the OOD ranges but away from their
ends, so the OOD split stays out of distribution. Renders are stored as
the benchmark stores its sounds (8 kHz 8-bit mu-law) and loaded as its
sounds load (`bench.arrays`).

Every render is cached, one file per text and voice, named by the sha256 of
what was said how, and written atomically (`cm_zoo.atomic_files`): a killed
build resumes, a second one reads the cache, and the same texts always give
the same speech.
"""

import hashlib
import json
import pathlib
import shutil
import zlib

import numpy as np

from cm_zoo import modalities
from cm_zoo.atomic_files import atomic_path
from cm_zoo.data import clipart_benchmark
from cm_zoo.data._clipart_files import decode_sound
from cm_zoo.data.clipart_build import speech
from cm_zoo.data.clipart_build.giveaway import Giveaway

# espeak-ng voices of the training renders: neither the accents (voice
# files) nor the variants of the OOD split (`speech.OOD_VOICES`: Scottish,
# RP, Caribbean, New York, Lancaster, and "en" with klatt; variants f2, f3,
# m3, klatt), nor the benchmark's own `speech.VOICE` (plain en-us):
# American and West Midlands English, three variants each, alternating.
# (espeak-ng falls back to its default voice, silently, on an unknown name,
# and ignores a variant on "en-gb".)
TRAIN_VOICES = (
    "en-us+m1",
    "en-gb-x-gbcwmd+f1",
    "en-us+f4",
    "en-gb-x-gbcwmd+m2",
    "en-us+m7",
    "en-gb-x-gbcwmd+f4",
)
# Words per minute and pitch, drawn uniformly from these half-open ranges:
# inside `speech.OOD_SPEEDS` (120, 220) and `OOD_PITCHES` (20, 85), away
# from their ends.
TRAIN_SPEEDS = (140, 200)
TRAIN_PITCHES = (30, 70)


def training_voice(text, index, voices=TRAIN_VOICES):
    """`(voice, words per minute, pitch)` of render `index` of `text`.

    A function of the text and the index alone: renders `0 .. n - 1` of a
    text take `n` different voices of `voices` (for `n <= len(voices)`).

    Example:
    >>> from cm_zoo.data import spoken_lexicon
    >>> voice, speed, pitch = spoken_lexicon.training_voice("parrot", 0)
    >>> voice in spoken_lexicon.TRAIN_VOICES, 140 <= speed < 200
    (True, True)
    >>> spoken_lexicon.training_voice("parrot", 0) == (voice, speed, pitch)
    True
    """
    digest = zlib.crc32(text.encode("utf-8"))
    rng = np.random.default_rng([digest, index])
    return (
        voices[(digest + index) % len(voices)],
        int(rng.integers(*TRAIN_SPEEDS)),
        int(rng.integers(*TRAIN_PITCHES)),
    )


def spoken_texts(bench, splits="train", pool_titles=False):
    """The weakly aligned labelled texts worth saying: `(texts, labels)`.

    The transcripts (manifest `spoken_text`) of the `sound` items of
    `splits`, the title part of the descriptions of `splits` (before the
    first `". "`) and the lemmas of the WordNet lexicon (before the
    `":"`), once per text and label, sorted. Every one is scrubbed of its
    category's giveaway words, as the benchmark's texts are. (The paired
    items' transcripts are `paired_transcripts`.) With `pool_titles`, also
    the openclipart titles of the source pool's drawings of `splits`
    (none of them an evaluation item), scrubbed the same way.

    Args:
        bench: `ClipartBenchmark`.
        splits: str. `"train"` or `"train+val"`. Defaults to `"train"`.
        pool_titles: bool. Add the source pool's titles. Defaults to
            `False`.

    Returns:
        `texts`: object array of python `str`; `labels`: int64 array.

    Example:
    >>> from cm_zoo.data import spoken_lexicon
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> texts, labels = spoken_lexicon.spoken_texts(bench)
    >>> "parrot" in set(texts), len(texts) == len(labels)
    (True, True)
    >>> more, _ = spoken_lexicon.spoken_texts(bench, pool_titles=True)
    >>> "Wing" in set(more) - set(texts)
    True
    """
    names = splits.split("+")
    pairs = {
        (item["label"], item["spoken_text"])
        for item in bench.manifest["items"]
        if item["role"] == modalities.SOUND and item["split"] in names
    }
    for split in names:
        texts, labels = bench.arrays(modalities.DESCRIPTION, split)
        pairs.update(zip(labels.tolist(), (t.split(". ")[0] for t in texts)))
    if clipart_benchmark.LEXICON_FILE in bench.manifest["files"]:
        texts, labels = bench.lexicon()
        pairs.update(zip(labels.tolist(), (t.split(":")[0] for t in texts)))
    if pool_titles:
        pairs.update(_pool_titles(bench, names))
    pairs = sorted((label, text.strip()) for label, text in pairs)
    pairs = [(label, text) for label, text in pairs if text]
    return (
        np.array([text for _, text in pairs], dtype=object),
        np.array([label for label, _ in pairs], np.int64),
    )


def _pool_titles(bench, splits):
    """`(label, title)` of the source pool's drawings of `splits`, each
    title without its category's giveaway words."""
    manifest = bench.manifest
    giveaways = {
        name: Giveaway(**lists) for name, lists in manifest["giveaway"].items()
    }
    return {
        (item["label"], giveaways[item["category"]].scrub(item["title"]))
        for item in manifest["items"]
        if item["role"] == clipart_benchmark.SOURCE_ROLE
        and item["split"] in splits
        and item["title"]
    }


def paired_transcripts(bench):
    """What the paired items say: row `i` is the transcript (manifest
    `spoken_text`) of row `i` of `bench.paired_triplets()`.

    Example:
    >>> from cm_zoo.data import spoken_lexicon
    >>> bench = cm_zoo.data.clipart_benchmark.load()
    >>> texts = spoken_lexicon.paired_transcripts(bench)
    >>> len(texts) == len(bench.paired_triplets()["label"]), texts.dtype
    (True, dtype('O'))
    """
    return np.array(
        [
            item["spoken_text"]
            for item in bench.manifest["items"]
            if item["role"] == "paired"
        ],
        dtype=object,
    )


def _render(text, voice, cache_dir):
    """Mu-law bytes of `text` in `voice`, from the cache or espeak-ng."""
    key = json.dumps([text, list(voice), speech.SOUND_RATE])
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    path = pathlib.Path(cache_dir) / digest[:2] / f"{digest}.npy"
    if path.is_file():
        return np.load(path)
    audio = speech.speak(text, voice)
    if audio is None:
        raise ValueError(
            f"espeak-ng made no speech of text {text!r} in voice {voice!r} "
            "(it failed, or said nothing audible). Check the text, or run "
            f"`espeak-ng -v {voice[0]} {text!r}`."
        )
    mulaw = speech.mulaw_encode(audio)
    with atomic_path(path) as temporary:
        np.save(temporary, mulaw)
    return mulaw


def speak_texts(
    texts, voices_per_text, cache_dir, *, num_samples, voices=TRAIN_VOICES
):
    """Each text said in `voices_per_text` voices (`training_voice`).

    Args:
        texts: sequence of str.
        voices_per_text: int. Renders per text, `1 .. len(voices)`.
        cache_dir: str or path. Where renders are cached.
        num_samples: int. Samples per row (`bench.arrays("sound", ...)`'s
            width); longer clips are cut.
        voices: tuple of str. espeak-ng voices, none of
            `speech.OOD_VOICES`. Defaults to `TRAIN_VOICES`.

    Returns:
        float32 `[len(texts) * voices_per_text, num_samples]` in [-1, 1]
        at 16 kHz (as the benchmark loads its sounds), zero-padded; render
        `k` of text `i` in row `i * voices_per_text + k`.

    Raises:
        ValueError: for a bad `voices_per_text`, an OOD voice in `voices`,
            or a text espeak-ng does not say (naming it).
        ImportError: without espeak-ng or scipy.

    Example:
    >>> import tempfile
    >>> from cm_zoo.data import spoken_lexicon
    >>> sounds = spoken_lexicon.speak_texts(
    ...     ["parrot", "oak"], 2, tempfile.mkdtemp(), num_samples=32000)
    >>> sounds.shape, sounds.dtype
    ((4, 32000), dtype('float32'))
    """
    leaks = sorted(set(voices) & set(speech.OOD_VOICES))
    if leaks:
        raise ValueError(
            f"`voices` must not hold the OOD split's voices "
            f"(speech.OOD_VOICES). Received: {leaks}"
        )
    if not 1 <= voices_per_text <= len(voices):
        raise ValueError(
            f"`voices_per_text` must be in 1..{len(voices)}. Received: "
            f"voices_per_text={voices_per_text!r}"
        )
    if shutil.which("espeak-ng") is None:
        raise ImportError(
            "Speaking the lexicon needs espeak-ng: `apt-get install -y "
            "espeak-ng`."
        )
    clips = [
        _render(text, training_voice(text, k, voices), cache_dir)
        for text in texts
        for k in range(voices_per_text)
    ]
    offsets = np.cumsum([0] + [clip.size for clip in clips])
    sounds = decode_sound(np.concatenate(clips), offsets, speech.SOUND_RATE)
    padded = np.zeros((len(sounds), num_samples), np.float32)
    width = min(num_samples, sounds.shape[1])
    padded[:, :width] = sounds[:, :width]
    return padded
