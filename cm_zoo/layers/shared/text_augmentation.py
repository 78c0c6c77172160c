"""Random rephrasing of short texts (titles, descriptions), in training."""

import types

import keras
import tensorflow as tf

from cm_zoo.layers.shared._training_only_augmentation import (
    TrainingOnlyAugmentation,
)
from cm_zoo.layers.shared._training_only_augmentation import check_rate
from cm_zoo.layers.shared._training_only_augmentation import check_static_shape

DEFAULT_TEMPLATES = (
    "a drawing of {}",
    "a picture of {}",
    "an image of {}",
    "a sketch of {}",
    "clip art of {}",
    "this is {}",
    "{}, drawn",
    "illustration: {}",
)
_PUNCTUATION = r"\pP+"
# Cases a changed text gets, uniformly: lower, UPPER, Title, Sentence.
_NUM_CASES = 4
# A substring length past any word's end: `substr` stops at the end.
_LONGEST = 2**30


@keras.saving.register_keras_serializable(package="cm_zoo")
class TextAugmentation(TrainingOnlyAugmentation):
    """Rephrases texts as users phrase them, only when training.

    Each text of the batch is split on whitespace and gets its own draws,
    in this order: words found in `synonyms` (ignoring case and
    punctuation) replaced by one of their alternatives; a crop to a random
    run of words (a long description becomes a short title); word dropout
    (at least one word stays); the word order shuffled; a case change
    (lower, UPPER, Title or Sentence case); punctuation removed; a
    template wrapped around it ("a drawing of {}"). Words are joined by
    single spaces. Empty texts stay empty.

    With `training=False` or no `training` argument the input is returned
    unchanged, so an exported encoder never augments. Runs in the graph
    with `tf.strings` and a `tf.lookup` table (TensorFlow backend only).

    Args:
        word_dropout: float. Probability of dropping each word. Defaults to
            `0.1`.
        crop_rate: float. Probability of keeping only a random run of
            words (any length from one word). Defaults to `0.2`.
        shuffle_rate: float. Probability of shuffling the word order.
            Defaults to `0.1`.
        case_rate: float. Probability of a case change. Defaults to `0.3`.
        punctuation_rate: float. Probability of removing punctuation.
            Defaults to `0.3`.
        template_rate: float. Probability of wrapping in a template.
            Defaults to `0.3`.
        templates: list of str. Templates, each with one `{}` where the
            text goes, drawn uniformly. Defaults to `DEFAULT_TEMPLATES`.
        synonyms: dict or None. Maps a word (matched case-insensitively,
            punctuation ignored) to a list of replacements, each a word or a
            phrase. Defaults to `None`, no substitution.
        synonym_rate: float. Probability of replacing each word found in
            `synonyms`. Defaults to `0.5`.
        seed: int or None. Seed of the random draws. Defaults to `None`.

    Call arguments:
        text: `tf.string` tensor.
        training: bool. Augment only if `True`. Defaults to `None`.

    Input shape:
        `(batch_size,)` strings.

    Output shape:
        `(batch_size,)` strings.

    Example:
    >>> from cm_zoo.layers.shared import TextAugmentation
    >>> layer = TextAugmentation(
    ...     case_rate=1.0, synonyms={"bird": ["fowl"]}, synonym_rate=1.0,
    ...     word_dropout=0.0, crop_rate=0.0, template_rate=0.0, seed=0)
    >>> layer(np.array(["A bird."])).numpy()
    array([b'A bird.'], dtype=object)
    >>> out = layer(np.array(["A bird."]), training=True).numpy()[0].decode()
    >>> out.lower().rstrip(".")
    'a fowl'
    """

    VARIATIONS_OFF = types.MappingProxyType(
        {
            "word_dropout": 0.0,
            "crop_rate": 0.0,
            "shuffle_rate": 0.0,
            "case_rate": 0.0,
            "punctuation_rate": 0.0,
            "template_rate": 0.0,
        }
    )

    def __init__(
        self,
        word_dropout=0.1,
        crop_rate=0.2,
        shuffle_rate=0.1,
        case_rate=0.3,
        punctuation_rate=0.3,
        template_rate=0.3,
        templates=DEFAULT_TEMPLATES,
        synonyms=None,
        synonym_rate=0.5,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.word_dropout = check_rate("word_dropout", word_dropout)
        self.crop_rate = check_rate("crop_rate", crop_rate)
        self.shuffle_rate = check_rate("shuffle_rate", shuffle_rate)
        self.case_rate = check_rate("case_rate", case_rate)
        self.punctuation_rate = check_rate("punctuation_rate", punctuation_rate)
        self.template_rate = check_rate("template_rate", template_rate)
        self.templates = _checked_templates(templates)
        self.synonyms = _checked_synonyms(synonyms)
        self.synonym_rate = check_rate("synonym_rate", synonym_rate)
        self._synonym_table = None
        if self.synonyms:
            self._synonym_table = _SynonymTable(self.synonyms)

    def _check_input(self, text):
        check_static_shape(self, text, 1, "strings of shape (batch_size,)")
        if tf.as_dtype(text.dtype) != tf.string:
            raise ValueError(
                f"Layer {self.name!r} expects strings of shape (batch_size,)."
                f" Received: dtype={tf.as_dtype(text.dtype).name}"
            )

    def _augment(self, text):
        words = tf.strings.split(tf.strings.strip(text))  # [B, None]
        if self._synonym_table is not None:
            words = self._substitute(words)
        words = self._crop(words)
        words = self._drop(words)
        words = self._shuffle(words)
        words = self._change_case(words)
        text = tf.strings.reduce_join(words, axis=1, separator=" ")
        text = self._remove_punctuation(text)
        return self._wrap_in_template(text)

    def _per_row(self, rows):
        """One uniform draw per text of `rows`, a ragged or dense batch."""
        if isinstance(rows, tf.RaggedTensor):
            return self._uniform(tf.reshape(rows.nrows(out_type="int32"), [1]))
        return self._uniform(tf.shape(rows)[:1])

    def _per_word(self, words):
        return self._uniform(tf.shape(words.flat_values))

    def _substitute(self, words):
        flat = words.flat_values
        key = tf.strings.lower(
            tf.strings.regex_replace(flat, _PUNCTUATION, ""), encoding="utf-8"
        )
        replacement, found = self._synonym_table.pick(
            key, self._per_word(words)
        )
        chosen = found & (self._per_word(words) < self.synonym_rate)
        return words.with_flat_values(tf.where(chosen, replacement, flat))

    def _crop(self, words):
        """Keeps a run of `1..n` words at a random start, in chosen rows."""
        length = tf.cast(words.row_lengths(), "float32")
        kept = tf.minimum(tf.floor(self._per_row(words) * length) + 1.0, length)
        chosen = self._per_row(words) < self.crop_rate
        kept = tf.where(chosen, kept, length)
        start = tf.floor(self._per_row(words) * (length - kept + 1.0))
        position = tf.cast(_positions(words), "float32")
        row = words.value_rowids()
        keep = (position >= tf.gather(start, row)) & (
            position < tf.gather(start + kept, row)
        )
        return tf.ragged.boolean_mask(words, words.with_flat_values(keep))

    def _drop(self, words):
        """Drops each word with `word_dropout`; the likeliest word stays."""
        draw = self._per_word(words)
        row = words.value_rowids()
        best = tf.math.unsorted_segment_max(draw, row, words.nrows())
        keep = (draw >= self.word_dropout) | (draw >= tf.gather(best, row))
        return tf.ragged.boolean_mask(words, words.with_flat_values(keep))

    def _shuffle(self, words):
        """Sorts chosen rows' words by random keys, others by position."""
        row = words.value_rowids()
        chosen = tf.gather(self._per_row(words) < self.shuffle_rate, row)
        key = tf.where(
            chosen,
            self._per_word(words),
            tf.cast(_positions(words), "float32"),
        )
        by_key = tf.argsort(key, stable=True)
        by_row = tf.argsort(tf.gather(row, by_key), stable=True)
        order = tf.gather(by_key, by_row)
        return words.with_flat_values(tf.gather(words.flat_values, order))

    def _change_case(self, words):
        flat = words.flat_values
        row = words.value_rowids()
        case = tf.cast(self._per_row(words) * _NUM_CASES, "int32")
        case = tf.where(self._per_row(words) < self.case_rate, case, -1)
        case = tf.gather(case, row)
        lower = tf.strings.lower(flat, encoding="utf-8")
        upper = tf.strings.upper(flat, encoding="utf-8")
        title = tf.strings.join(
            [
                tf.strings.substr(upper, 0, 1, unit="UTF8_CHAR"),
                tf.strings.substr(lower, 1, _LONGEST, unit="UTF8_CHAR"),
            ]
        )
        first = tf.equal(_positions(words), 0)
        sentence = tf.where(first, title, lower)
        flat = tf.where(case == 0, lower, flat)
        flat = tf.where(case == 1, upper, flat)
        flat = tf.where(case == 2, title, flat)
        flat = tf.where(case >= 3, sentence, flat)
        return words.with_flat_values(flat)

    def _remove_punctuation(self, text):
        bare = tf.strings.regex_replace(text, _PUNCTUATION, " ")
        bare = tf.strings.strip(tf.strings.regex_replace(bare, r"\s+", " "))
        return tf.where(self._per_row(text) < self.punctuation_rate, bare, text)

    def _wrap_in_template(self, text):
        prefixes, suffixes = zip(*(t.split("{}") for t in self.templates))
        pick = tf.cast(self._per_row(text) * len(self.templates), "int32")
        pick = tf.minimum(pick, len(self.templates) - 1)
        wrapped = tf.strings.join(
            [
                tf.gather(tf.constant(prefixes), pick),
                text,
                tf.gather(tf.constant(suffixes), pick),
            ]
        )
        chosen = (self._per_row(text) < self.template_rate) & tf.not_equal(
            text, ""
        )
        return tf.where(chosen, wrapped, text)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "word_dropout": self.word_dropout,
                "crop_rate": self.crop_rate,
                "shuffle_rate": self.shuffle_rate,
                "case_rate": self.case_rate,
                "punctuation_rate": self.punctuation_rate,
                "template_rate": self.template_rate,
                "templates": list(self.templates),
                "synonyms": self.synonyms,
                "synonym_rate": self.synonym_rate,
            }
        )
        return config


class _SynonymTable(tf.Module):
    """A word -> alternatives table, looked up in the graph.

    A `tf.Module`, so the layer tracks its lookup table for SavedModels.
    """

    def __init__(self, synonyms):
        super().__init__(name="synonym_table")
        words = list(synonyms)
        counts = [len(synonyms[w]) for w in words]
        self.starts = tf.constant(
            [sum(counts[:i]) for i in range(len(counts))], "int64"
        )
        self.counts = tf.constant(counts, "float32")
        self.alternatives = tf.constant(
            [a for w in words for a in synonyms[w]], tf.string
        )
        self.rows = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(words, tf.string),
                tf.range(len(words), dtype="int64"),
            ),
            default_value=-1,
        )

    def pick(self, keys, draws):
        """Returns one alternative per key (drawn by `draws` in [0, 1)) and
        whether the key was in the table."""
        row = self.rows.lookup(keys)
        found = row >= 0
        row = tf.maximum(row, 0)
        count = tf.gather(self.counts, row)
        offset = tf.cast(
            tf.minimum(tf.floor(draws * count), count - 1.0), "int64"
        )
        return tf.gather(
            self.alternatives, tf.gather(self.starts, row) + offset
        ), found


def _positions(words):
    """Index of each word within its row, flat, int64."""
    return tf.ragged.range(words.row_lengths()).flat_values


def _checked_templates(templates):
    if (
        isinstance(templates, str)
        or not templates
        or not all(isinstance(t, str) and t.count("{}") == 1 for t in templates)
    ):
        raise ValueError(
            "`templates` must be a non-empty list of strings, each with "
            f"one '{{}}' where the text goes. Received: templates={templates!r}"
        )
    return tuple(templates)


def _checked_synonyms(synonyms):
    """Returns `{lowercase word: [alternatives]}` (sorted keys) or None."""
    if synonyms is None:
        return None
    valid = isinstance(synonyms, dict) and all(
        isinstance(word, str)
        and len(word.split()) == 1
        and isinstance(alternatives, (list, tuple))
        and alternatives
        and all(isinstance(a, str) and a.strip() for a in alternatives)
        for word, alternatives in synonyms.items()
    )
    if not valid:
        raise ValueError(
            "`synonyms` must be None or a dict mapping each single word to a "
            "non-empty list of non-empty replacement strings. Received: "
            f"synonyms={synonyms!r}"
        )
    table = {}
    for word in sorted(synonyms):
        table.setdefault(word.lower(), []).extend(synonyms[word])
    return table
