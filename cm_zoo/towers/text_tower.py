"""Raw sentences to the shared pool5 space: 1-D convolutions over 16 words."""

import keras
import numpy as np
import tensorflow as tf

from cm_zoo.layers.shared import HashedWordEmbedding
from cm_zoo.towers._conv_stage import conv_stage
from cm_zoo.towers.tower import Tower


@keras.saving.register_keras_serializable(package="cm_zoo")
class TextTower(Tower):
    """The See-Hear-Read text network, from a raw sentence to pool5.

    Section 3.5 of See, Hear, and Read: the first `sequence_length` (16)
    words of a sentence become a `sequence_length x embedding_dim` matrix
    (shorter sentences are zero-padded, longer ones cropped), followed by
    three 1-D convolutions of `conv_filters` filters and kernel size 3
    (`same` padding, ReLU), with a max-pooling by 2 after the second and
    the third, then a fully connected ReLU layer to `output_dim` (9216, the
    width of the image tower's pool5).

    Words are embedded in the graph from raw `tf.string` by a hashed table
    (`HashedWordEmbedding`), so no vocabulary file is needed. The paper
    uses fixed word2vec vectors; here the table is trainable, and
    `set_word_vectors` copies pretrained vectors (word2vec/GloVe, e.g. from
    `cm_zoo.data.load_word_vectors`) into the rows their words hash to.
    The paper also removes English stop words; this tower keeps them.

    Args:
        output_dim: int. Width of pool5 (9216 in the paper).
        num_buckets: int. Rows of the hashed word table.
        embedding_dim: int. Word-vector width. Defaults to `300`.
        sequence_length: int. Words kept per sentence. Defaults to `16`.
        conv_filters: int. Filters of each convolution. Defaults to `300`.
        use_batch_norm: bool. Batch-normalise each convolution (not in the
            paper; helps small models trained from scratch). Defaults to
            `False`.
        wordnet_concepts: bool. Each word vector also gets the mean of its
            WordNet concepts' vectors (`HashedWordEmbedding`; not in the
            paper). Defaults to `False`.
        dtype: string or `keras.DTypePolicy`. Layer dtype policy.

    Input shape:
        `(batch_size,)` strings.

    Output shape:
        `(batch_size, output_dim)`.

    Example:
    >>> from cm_zoo.towers.text_tower import TextTower
    >>> tower = TextTower(output_dim=6, num_buckets=32, embedding_dim=5,
    ...                   conv_filters=4)
    >>> tower(np.array(["a dog barks", "yellow boat"])).shape
    TensorShape([2, 6])
    """

    def __init__(
        self,
        output_dim,
        num_buckets,
        embedding_dim=300,
        sequence_length=16,
        conv_filters=300,
        use_batch_norm=False,
        wordnet_concepts=False,
        dtype=None,
        **kwargs,
    ):
        if int(sequence_length) < 4:
            raise ValueError(
                "`sequence_length` must be an int >= 4 (two max-poolings by "
                f"2). Received: sequence_length={sequence_length}"
            )
        if int(conv_filters) < 1:
            raise ValueError(
                "`conv_filters` must be a positive int. "
                f"Received: conv_filters={conv_filters}"
            )

        # === Layers ===
        stages = [
            HashedWordEmbedding(
                num_buckets,
                embedding_dim,
                output_mode="sequence",
                sequence_length=sequence_length,
                wordnet_concepts=wordnet_concepts,
                dtype=dtype,
                name="words",
            )
        ]
        stages += _conv_layers(conv_filters, use_batch_norm, dtype)
        stages.append(keras.layers.Flatten(dtype=dtype, name="flatten"))
        stages.append(
            keras.layers.Dense(
                output_dim, activation="relu", dtype=dtype, name="to_pool5"
            )
        )

        # === Functional model ===
        text = keras.Input(shape=(), dtype="string", name="text")
        x = text
        for stage in stages:
            x = stage(x)
        super().__init__(inputs=text, outputs=x, dtype=dtype, **kwargs)

        # === Config ===
        self.num_buckets = int(num_buckets)
        self.embedding_dim = int(embedding_dim)
        self.sequence_length = int(sequence_length)
        self.conv_filters = int(conv_filters)
        self.use_batch_norm = bool(use_batch_norm)
        self.wordnet_concepts = bool(wordnet_concepts)

    _config_keys = (
        "output_dim",
        "num_buckets",
        "embedding_dim",
        "sequence_length",
        "conv_filters",
        "use_batch_norm",
        "wordnet_concepts",
    )

    def set_word_vectors(self, words, vectors):
        """Copies pretrained word vectors into the hashed table.

        Each word is lower-cased and hashed as the tower hashes its input;
        words sharing a bucket get the mean of their vectors. Rows no word
        hashes to keep their current values.

        Args:
            words: list of str. Vocabulary of the vectors.
            vectors: float array `[len(words), embedding_dim]`.

        Returns:
            int. Number of table rows written.

        Raises:
            ValueError: if `vectors` is not `[len(words), embedding_dim]`.
        """
        vectors = np.asarray(vectors, dtype="float32")
        if vectors.shape != (len(words), self.embedding_dim):
            raise ValueError(
                f"Tower {self.name!r}: `vectors` must have shape "
                f"{(len(words), self.embedding_dim)} (words x embedding_dim)."
                f" Received: shape={vectors.shape}"
            )
        table_variable = self.get_layer("words").embeddings
        buckets = tf.strings.to_hash_bucket_fast(
            [w.lower() for w in words], self.num_buckets
        ).numpy()
        sums = np.zeros((self.num_buckets, self.embedding_dim), "float32")
        counts = np.zeros((self.num_buckets,), "float32")
        np.add.at(sums, buckets, vectors)
        np.add.at(counts, buckets, 1.0)
        written = counts > 0
        table = np.array(table_variable.numpy())
        table[written] = sums[written] / counts[written, None]
        table_variable.assign(table)
        return int(np.count_nonzero(written))


def _conv_layers(conv_filters, use_batch_norm, dtype):
    """conv1..conv3 of width 3 over words; conv2 and conv3 max-pooled by 2."""
    layers = []
    for index in range(3):
        layers += conv_stage(
            keras.layers.Conv1D,
            conv_filters,
            3,
            use_batch_norm=use_batch_norm,
            dtype=dtype,
            name=f"conv{index + 1}",
        )
        if index > 0:
            layers.append(
                keras.layers.MaxPooling1D(
                    2, dtype=dtype, name=f"pool{index + 1}"
                )
            )
    return layers
