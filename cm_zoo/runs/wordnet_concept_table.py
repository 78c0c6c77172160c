"""Builds the WordNet concept table of `HashedWordEmbedding` from WordNet.

    python -m cm_zoo.runs.wordnet_concept_table [WORDNET_DIR]

Reads Debian's `wordnet-base` nouns (`cm_zoo.data.clipart_build.wordnet`)
and writes `cm_zoo/layers/shared/wordnet_concepts.tsv.gz`
(`cm_zoo.layers.shared.wordnet_concepts`), byte for byte the same on every
run: for each noun lemma of one or two words, the hypernym closure of its
first sense, kept to the concepts covering at least `MIN_LEMMAS` lemmas,
numbered by how many lemmas they cover (most first, ties by offset);
irregular plurals get their singular's row.
"""

import collections
import sys

from cm_zoo.data.clipart_build.wordnet import HYPERNYMS
from cm_zoo.data.clipart_build.wordnet import WordNet
from cm_zoo.layers.shared import wordnet_concepts

WORDNET_ROOT = "/usr/share/wordnet"
# A concept is kept when at least this many lemmas fall under it: broad
# enough to carry over to unseen words, few enough for a small table.
MIN_LEMMAS = 10


def _closures(wordnet):
    """`{lemma: hypernym closure of its first sense}` for 1-2 word lemmas."""
    cache = {}

    def closure(offset):
        if offset not in cache:
            found = {offset}
            for parent in wordnet.related(offset, HYPERNYMS):
                found |= closure(parent)
            cache[offset] = frozenset(found)
        return cache[offset]

    return {
        lemma: closure(offsets[0])
        for lemma, offsets in sorted(wordnet.offsets.items())
        if offsets and lemma.count("_") <= 1
    }


def build_concept_table(wordnet_root=WORDNET_ROOT):
    """Returns the `ConceptTable` of a `wordnet-base` directory.

    Example:
    >>> from cm_zoo.runs import wordnet_concept_table
    >>> built = wordnet_concept_table.build_concept_table()
    >>> built == wordnet_concepts.load_concept_table()  # the shipped file
    True
    """
    wordnet = WordNet(wordnet_root)
    closures = _closures(wordnet)
    counts = collections.Counter(c for cs in closures.values() for c in cs)
    kept = sorted(
        (c for c, n in counts.items() if n >= MIN_LEMMAS),
        key=lambda c: (-counts[c], c),
    )
    number = {offset: i for i, offset in enumerate(kept)}
    rows = {}
    for lemma, closure in closures.items():
        ids = sorted(number[c] for c in closure if c in number)
        if ids:
            rows[lemma] = " ".join(map(str, ids))
    for singular, plurals in sorted(wordnet.plurals.items()):
        for plural in plurals:
            if singular in rows and plural not in rows:
                rows[plural] = rows[singular]
    words = tuple(sorted(rows))
    return wordnet_concepts.ConceptTable(
        words,
        tuple(rows[w] for w in words),
        tuple(wordnet.read(offset)[0][0] for offset in kept),
    )


if __name__ == "__main__":
    table = build_concept_table(*sys.argv[1:])
    wordnet_concepts.write_concept_table(table)
    print(
        f"{wordnet_concepts.CONCEPT_FILE}: {len(table.words)} words, "
        f"{table.num_concepts} concepts"
    )
