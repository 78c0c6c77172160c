"""See-Hear-Read's student data: the pair sets a job trains on.

`student_dataset` batches the paired items of the training splits and,
as the job asks, the class pairs, the spoken-lexicon pairs (the
benchmark's texts said in training voices, `cm_zoo.data.spoken_lexicon`)
and the sound-text pair set, varied as the job's `augment` says.
"""

import functools

import numpy as np

from cm_zoo import modalities
from cm_zoo.data import spoken_lexicon
from cm_zoo.models import see_hear_read
from cm_zoo.runs import see_hear_read_experiment as experiment
from cm_zoo.runs.input_augmentation import augmented_dataset


def student_dataset(job, bench, pairs=None, spoken_cache=None):
    """Batches of the pairs of `job.train_splits` (or of `pairs`), with
    `class_pairs`, spoken-lexicon and sound-text pairs (renders cached in
    `spoken_cache`) if the job asks, varied as `job.augment` says."""
    given_pairs = pairs is not None
    if pairs is None:
        pairs = experiment.training_pairs(bench, job.train_splits)
    if job.class_pairs:
        pairs = experiment.joined_pairs(
            pairs,
            experiment.class_pairs(bench, job.train_splits, seed=job.seed),
        )
    if job.spoken_lexicon:
        if given_pairs or spoken_cache is None:
            raise ValueError(
                "Spoken-lexicon pairs follow the stored split and need a "
                "render cache: pass no `pairs` and a `spoken_cache`. "
                f"Received: pairs given={given_pairs}, "
                f"spoken_cache={spoken_cache!r}"
            )
        pairs = experiment.joined_pairs(
            pairs, _spoken_pairs(job, bench, spoken_cache)
        )
    if job.sound_text_pairs:
        pairs = {
            **pairs,
            see_hear_read.SOUND_TEXT: _sound_text_pairs(
                job, bench, spoken_cache
            ),
        }
    pairs = experiment.paired_dataset(pairs, job.training.batch_size, job.seed)
    return augmented_dataset(pairs, bench, job.augment, job.seed)


def _spoken_pairs(job, bench, cache_dir):
    """Pairs of the benchmark's texts in `job.spoken_lexicon` training
    voices (`cm_zoo.data.spoken_lexicon`): each training paired item's
    transcript with the item's drawing, and, with `job.class_pairs`, the
    weakly aligned texts with pool drawings (`experiment.pool_pairs`)."""
    voices = job.spoken_lexicon
    speak = _speaker(job, bench, cache_dir)
    items, rows = _training_items(job, bench)
    image = modalities.CLIPART
    pairs = {
        "image_sound": {
            image: np.repeat(items[image][rows], voices, axis=0),
            modalities.SOUND: speak(
                spoken_lexicon.paired_transcripts(bench)[rows]
            ),
            "label": np.repeat(items["label"][rows], voices),
        }
    }
    if job.class_pairs:
        texts, labels = spoken_lexicon.spoken_texts(
            bench, job.train_splits, pool_titles=job.spoken_pool_titles
        )
        sounds = speak(texts)
        labels = np.repeat(labels, voices)
        pairs = experiment.joined_pairs(
            pairs,
            experiment.pool_pairs(
                bench, modalities.SOUND, sounds, labels, seed=job.seed
            ),
        )
    return pairs


def _sound_text_pairs(job, bench, cache_dir):
    """The `"sound_text"` pair set: the training paired items' transcripts,
    then `spoken_lexicon.spoken_texts`, each said in `job.spoken_lexicon`
    training voices (rows `i * voices + k`) next to what it says."""
    items, rows = _training_items(job, bench)
    texts, labels = spoken_lexicon.spoken_texts(
        bench, job.train_splits, pool_titles=job.spoken_pool_titles
    )
    texts = np.concatenate(
        [spoken_lexicon.paired_transcripts(bench)[rows], texts]
    )
    labels = np.concatenate([items["label"][rows], labels])
    voices = job.spoken_lexicon
    return {
        modalities.SOUND: _speaker(job, bench, cache_dir)(texts),
        modalities.DESCRIPTION: np.repeat(texts, voices),
        "label": np.repeat(labels, voices),
    }


def _speaker(job, bench, cache_dir):
    """`speak_texts` in `job.spoken_lexicon` voices, cached in
    `cache_dir`, as wide as the benchmark's sounds."""
    return functools.partial(
        spoken_lexicon.speak_texts,
        voices_per_text=job.spoken_lexicon,
        cache_dir=cache_dir,
        num_samples=bench.arrays(modalities.SOUND, "train")[0].shape[1],
    )


def _training_items(job, bench):
    """The paired triplets and which of them are in `job.train_splits`."""
    items = bench.paired_triplets()
    return items, np.isin(items["split"], job.train_splits.split("+"))
