"""Raw strings to word-vector features by hashing, entirely in the graph."""

import keras
import tensorflow as tf

from cm_zoo.layers.shared import wordnet_concepts

_OUTPUT_MODES = ("mean", "sequence")
_REPLACEMENT_CHARACTER = 0xFFFD  # "�", what invalid UTF-8 bytes become


@keras.saving.register_keras_serializable(package="cm_zoo")
class HashedWordEmbedding(keras.layers.Layer):
    """Embeds raw text with hashed word (and character 3-gram) vectors.

    Text is lower-cased and split into tokens (see `tokenize`): runs of
    letters and digits are words, and each "other symbol" character
    (Unicode category So: emoji, pictographs, `°`, `©`) is a token of its
    own, so `"🐦"` is not read as empty text. Bytes that are not valid
    UTF-8 are replaced by U+FFFD `"�"` (itself a symbol token), so damaged
    text embeds visibly differently from the clean text, never silently
    like it. Punctuation and spaces only separate tokens. Each token is
    hashed into one of `num_buckets` rows of a trainable table, so the
    layer needs no vocabulary file and an exported encoder takes
    `tf.string` directly. Unseen words still get a vector, and with
    `use_char_ngrams` they share subword rows with seen words.

    `output_mode="mean"` averages the vectors of all tokens (and their
    character 3-grams) into one sentence vector; text with no token (`""`,
    `"!!"`) gives zeros, the empty-text vector. `output_mode="sequence"`
    returns the first `sequence_length` token vectors, zero-padded, as the
    See-Hear-Read text network expects.

    Args:
        num_buckets: int. Rows of the hashed embedding table.
        embedding_dim: int. Width of each word vector.
        output_mode: str. `"mean"` or `"sequence"`. Defaults to `"mean"`.
        sequence_length: int. Words kept in `"sequence"` mode. Defaults
            to `16`.
        use_char_ngrams: bool. Add character 3-grams of each word in
            `"mean"` mode. Defaults to `True`.
        embeddings_initializer: initializer for the table. Defaults to
            `"uniform"`.
        wordnet_concepts: bool. Add WordNet concept vectors (above).
            Defaults to `False`.

    Input shape:
        `(batch_size,)` strings.

    Output shape:
        `(batch_size, embedding_dim)` in `"mean"` mode,
        `(batch_size, sequence_length, embedding_dim)` in `"sequence"` mode.

    Example:
    >>> from cm_zoo.layers.shared import HashedWordEmbedding
    >>> layer = HashedWordEmbedding(num_buckets=64, embedding_dim=8)
    >>> layer(np.array(["A red bird!", ""])).shape
    TensorShape([2, 8])
    """

    def __init__(
        self,
        num_buckets,
        embedding_dim,
        output_mode="mean",
        sequence_length=16,
        use_char_ngrams=True,
        embeddings_initializer="uniform",
        wordnet_concepts=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"`output_mode` must be one of {list(_OUTPUT_MODES)}. "
                f"Received: output_mode={output_mode!r}"
            )
        for arg, value in (
            ("num_buckets", num_buckets),
            ("embedding_dim", embedding_dim),
            ("sequence_length", sequence_length),
        ):
            if int(value) < 1:
                raise ValueError(
                    f"`{arg}` must be a positive int. Received: {arg}={value}"
                )
        self.num_buckets = int(num_buckets)
        self.embedding_dim = int(embedding_dim)
        self.output_mode = output_mode
        self.sequence_length = int(sequence_length)
        self.use_char_ngrams = bool(use_char_ngrams)
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer
        )
        self.wordnet_concepts = bool(wordnet_concepts)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.num_buckets, self.embedding_dim),
            initializer=self.embeddings_initializer,
        )
        if self.wordnet_concepts:
            self._build_concepts()

    def _build_concepts(self):
        table = wordnet_concepts.load_concept_table()
        self.concept_embeddings = self.add_weight(
            name="concept_embeddings",
            shape=(table.num_concepts, self.embedding_dim),
            initializer="zeros",
        )
        self.concept_lookup = table.lookup()

    def call(self, text):
        text = tf.convert_to_tensor(text)
        if text.dtype != tf.string or text.shape.rank != 1:
            raise ValueError(
                f"Layer {self.name!r} expects a batch of strings of shape "
                f"(batch_size,). Received: dtype={text.dtype.name}, "
                f"shape={text.shape}"
            )
        words = tokenize(text)
        if self.output_mode == "sequence":
            return self._sequence(words)
        return self._mean(words, batch_size=tf.shape(text)[0])

    def _sequence(self, words):
        ids = self._hash(words[:, : self.sequence_length]) + 1
        ids = ids.to_tensor(default_value=0, shape=[None, self.sequence_length])
        table = keras.ops.concatenate(
            [
                keras.ops.zeros((1, self.embedding_dim), self.embeddings.dtype),
                self.embeddings,
            ],
            axis=0,
        )
        vectors = keras.ops.take(table, ids, axis=0)
        if self.wordnet_concepts:
            # One word past the kept ones: the last may start a two-word noun.
            words = words[:, : self.sequence_length + 1]
            sums, counts = self._concept_sums(words)
            means = sums / tf.maximum(counts, 1.0)[:, None]
            means = words.with_flat_values(means)[:, : self.sequence_length]
            vectors += means.to_tensor(
                shape=[None, self.sequence_length, self.embedding_dim]
            )
        return keras.ops.cast(vectors, self.compute_dtype)

    def _mean(self, words, batch_size):
        features = words
        if self.use_char_ngrams:
            marked = tf.strings.join(["<", words.flat_values, ">"])
            chars = tf.strings.unicode_split(marked, "UTF-8")
            trigrams = tf.strings.ngrams(chars, 3, separator="")
            trigrams = words.with_flat_values(trigrams).merge_dims(1, 2)
            features = tf.concat([words, trigrams], axis=1)
        ids = self._hash(features)
        vectors = tf.gather(self.embeddings, ids.flat_values)
        rows = ids.value_rowids()
        sums = tf.math.unsorted_segment_sum(vectors, rows, batch_size)
        counts = tf.cast(ids.row_lengths(), sums.dtype)[:, None]
        mean = sums / tf.maximum(counts, 1.0)
        if self.wordnet_concepts:
            token_sums, token_counts = self._concept_sums(words)
            rows = words.value_rowids()
            concept_sums = tf.math.unsorted_segment_sum(
                token_sums, rows, batch_size
            )
            concept_counts = tf.math.unsorted_segment_sum(
                token_counts, rows, batch_size
            )[:, None]
            mean += concept_sums / tf.maximum(concept_counts, 1.0)
        return keras.ops.cast(mean, self.compute_dtype)

    def _concept_sums(self, words):
        """Per token: the sum of its concept vectors and their count."""
        ids = wordnet_concepts.concept_ids(self.concept_lookup, words)
        vectors = tf.gather(self.concept_embeddings, ids.flat_values)
        sums = tf.math.unsorted_segment_sum(
            vectors, ids.value_rowids(), ids.nrows()
        )
        return sums, tf.cast(ids.row_lengths(), sums.dtype)

    def _hash(self, tokens):
        return tf.ragged.map_flat_values(
            tf.strings.to_hash_bucket_fast, tokens, self.num_buckets
        )

    def compute_output_shape(self, input_shape):
        if self.output_mode == "sequence":
            return (input_shape[0], self.sequence_length, self.embedding_dim)
        return (input_shape[0], self.embedding_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_buckets": self.num_buckets,
                "embedding_dim": self.embedding_dim,
                "output_mode": self.output_mode,
                "sequence_length": self.sequence_length,
                "use_char_ngrams": self.use_char_ngrams,
                "embeddings_initializer": keras.initializers.serialize(
                    self.embeddings_initializer
                ),
                "wordnet_concepts": self.wordnet_concepts,
            }
        )
        return config


def tokenize(text):
    """Splits a `[batch]` string tensor into a `[batch, None]` ragged tensor.

    Invalid UTF-8 becomes U+FFFD, text is lower-cased, each So-category
    symbol (emoji, U+FFFD) becomes its own token, and anything that is not
    a letter, digit or such symbol separates tokens.

    Example:
    >>> from cm_zoo.layers.shared.hashed_word_embedding import tokenize
    >>> text = ["Red BIRD!", "🐦🐦", b"\\xff bird", "..."]
    >>> [[t.decode() for t in row] for row in tokenize(text).to_list()]
    [['red', 'bird'], ['🐦', '🐦'], ['�', 'bird'], []]
    """
    text = tf.strings.unicode_transcode(
        text,
        input_encoding="UTF-8",
        output_encoding="UTF-8",
        errors="replace",
        replacement_char=_REPLACEMENT_CHARACTER,
    )
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, r"(\p{So})", r" \1 ")
    text = tf.strings.regex_replace(text, r"[^\pL\pN\p{So}]+", " ")
    return tf.strings.split(tf.strings.strip(text))
