"""WordNet concepts of English nouns: what a word *is*, for unseen words.

A text tower trained on a few hundred texts knows the words it has read
("eagle", "guitar") and nothing of words it has not ("kestrel",
"mandolin"). WordNet knows what both are. `wordnet_concepts.tsv.gz`, next
to this module, lists for every noun lemma of Debian's `wordnet-base` (one
or two words, and the irregular plurals of `noun.exc`) the hypernym
closure of its *first* (most frequent) sense, restricted to the 4974
concepts that cover at least 10 lemmas ("bird", "passerine", "stringed
instrument", "baked goods"). `HashedWordEmbedding(wordnet_concepts=True)`
looks tokens up in it inside the graph (`concept_ids`), so an exported
encoder carries the table and needs no WordNet.

The file is rebuilt byte for byte from `/usr/share/wordnet` by
`python -m cm_zoo.runs.wordnet_concept_table`.

Example:
>>> from cm_zoo.layers.shared import wordnet_concepts
>>> table = wordnet_concepts.load_concept_table()
>>> table.num_concepts
4974
>>> sparrow, guitar = table.concepts_of("sparrow"), table.concepts_of("guitar")
>>> "bird" in table.names_of(sparrow), "bird" in table.names_of(guitar)
(True, False)
"""

import dataclasses
import functools
import gzip
import os

import tensorflow as tf

from cm_zoo import atomic_files

CONCEPT_FILE = os.path.join(
    os.path.dirname(__file__), "wordnet_concepts.tsv.gz"
)
_HEADER = "#wordnet_concepts"
# Regular plurals to try, in order, for a word WordNet does not list.
_SINGULAR_RULES = ((r"ies$", "y"), (r"s$", ""), (r"es$", ""))


@dataclasses.dataclass(frozen=True)
class ConceptTable:
    """Lemmas, their concept ids (space-separated) and the concepts' names.

    Attributes:
        words: tuple of str. Lower-case lemmas, two words joined by `_`.
        concept_ids: tuple of str. Per word, its concept ids in `[0,
            num_concepts)`, space-separated, ascending.
        concept_names: tuple of str. The first lemma of each concept.
    """

    words: tuple
    concept_ids: tuple
    concept_names: tuple

    @property
    def num_concepts(self):
        return len(self.concept_names)

    def concepts_of(self, word):
        """Concept ids (ints) of one lemma; `[]` for an unknown word."""
        index = _word_index(self).get(word)
        if index is None:
            return []
        return [int(i) for i in self.concept_ids[index].split()]

    def names_of(self, ids):
        """Names of concept ids, e.g. for reading a model's features."""
        return [self.concept_names[i] for i in ids]

    def lookup(self):
        """A `tf.lookup.StaticHashTable` from word to its ids string."""
        return tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(self.words), tf.constant(self.concept_ids)
            ),
            default_value="",
        )


@functools.lru_cache(maxsize=4)
def _word_index(table):
    return {word: i for i, word in enumerate(table.words)}


def write_concept_table(table, path=CONCEPT_FILE):
    """Writes `table` to `path` as a gzip TSV (atomically, no timestamp)."""
    lines = [f"{_HEADER}\t{'|'.join(table.concept_names)}"]
    lines += [f"{w}\t{i}" for w, i in zip(table.words, table.concept_ids)]
    payload = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    atomic_files.atomic_write_bytes(path, payload)


@functools.lru_cache(maxsize=4)
def load_concept_table(path=CONCEPT_FILE):
    """Reads a table written by `write_concept_table` (cached).

    Raises:
        ValueError: naming `path` when it is not such a table.
    """
    rebuild = "Rebuild it: python -m cm_zoo.runs.wordnet_concept_table"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            header, *rows = f.read().splitlines()
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(
            f"{path}: not a readable WordNet concept table ({error}). {rebuild}"
        ) from error
    tag, _, names = header.partition("\t")
    if tag != _HEADER or not all(row.count("\t") == 1 for row in rows):
        raise ValueError(
            f"{path}: expected a header {_HEADER!r} and `word<TAB>ids` "
            f"rows. {rebuild}"
        )
    words, ids = zip(*(row.split("\t") for row in rows))
    return ConceptTable(tuple(words), tuple(ids), tuple(names.split("|")))


def concept_ids(lookup, words):
    """WordNet concept ids of each token of `[batch, None]` ragged `words`.

    A token's ids are those of its noun (as is, else singularised by
    `_SINGULAR_RULES`) and of the two-word noun it starts with the next
    token (`"ice_cream"`).

    Args:
        lookup: `tf.lookup.StaticHashTable` from word to space-separated
            ids (`ConceptTable.lookup`).
        words: `tf.RaggedTensor` of tokens, `[batch, None]`.

    Returns:
        `tf.RaggedTensor` of int32 ids, `[number of tokens, None]`.

    Example:
    >>> from cm_zoo.layers.shared import wordnet_concepts
    >>> from cm_zoo.layers.shared.hashed_word_embedding import tokenize
    >>> lookup = wordnet_concepts.load_concept_table().lookup()
    >>> words = tokenize(["sparrows", "zqx"])
    >>> ids = wordnet_concepts.concept_ids(lookup, words)
    >>> ids.row_lengths().numpy().tolist()  # "zqx" is no noun
    [11, 0]
    """
    flat = words.flat_values
    found = _lookup_noun(lookup, flat)
    rows = words.value_rowids()
    same_row = tf.equal(rows[:-1], rows[1:])
    following = tf.concat(
        [tf.where(same_row, flat[1:], ""), tf.constant([""])[: tf.size(flat)]],
        axis=0,
    )
    pairs = lookup.lookup(tf.strings.join([flat, following], "_"))
    ids = tf.strings.split(tf.strings.join([found, pairs], " "))
    return tf.strings.to_number(ids, tf.int32)


def _lookup_noun(lookup, flat):
    found = lookup.lookup(flat)
    for pattern, replacement in _SINGULAR_RULES:
        singular = tf.strings.regex_replace(flat, pattern, replacement)
        found = tf.where(found == "", lookup.lookup(singular), found)
    return found
