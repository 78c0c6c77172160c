import gzip

import numpy as np
import pytest

from cm_zoo.layers.shared import wordnet_concepts
from cm_zoo.layers.shared.hashed_word_embedding import tokenize


@pytest.fixture(scope="module")
def table():
    return wordnet_concepts.load_concept_table()


@pytest.mark.parametrize(
    "word, concept",
    [
        ("kestrel", "bird"),
        ("mandolin", "stringed instrument"),
        ("ice_cream", "dessert"),
        ("geese", "bird"),  # an irregular plural of noun.exc
        ("cupcake", "baked goods"),
    ],
)
def test_words_carry_their_kind(table, word, concept):
    assert concept in table.names_of(table.concepts_of(word))


def test_first_sense_only_and_unknown_words(table):
    assert "bird" not in table.names_of(table.concepts_of("guitar"))
    assert table.concepts_of("zqx") == []


def _ids(table, texts):
    ids = wordnet_concepts.concept_ids(table.lookup(), tokenize(texts))
    return [sorted(row) for row in ids.to_list()]


def test_regular_plurals_are_singularised(table):
    boxes, box, ponies, pony = _ids(table, ["boxes", "box", "ponies", "pony"])
    assert boxes == box and ponies == pony and box


def test_a_token_carries_the_two_word_noun_it_starts(table):
    ice, cream = _ids(table, ["ice cream"])
    alone, _ = _ids(table, ["ice", "cream"])
    assert set(table.concepts_of("ice_cream")) <= set(ice)
    assert set(alone) < set(ice)
    assert cream == table.concepts_of("cream")


def test_empty_batch_and_empty_texts(table):
    assert _ids(table, []) == []
    assert _ids(table, ["", "kestrel"])[0] == sorted(
        table.concepts_of("kestrel")
    )


def test_written_table_reads_back(table, tmp_path):
    path = str(tmp_path / "concepts.tsv.gz")
    small = wordnet_concepts.ConceptTable(("bird",), ("0 1",), ("a", "b"))
    wordnet_concepts.write_concept_table(small, path)
    assert wordnet_concepts.load_concept_table(path) == small


@pytest.mark.parametrize(
    "payload",
    # mtime=0: the gzip header holds the time, and pytest-xdist's workers
    # must collect the same test ids.
    [b"not gzip", gzip.compress(b"header\nword\tids\n", mtime=0)],
    ids=["not gzip", "gzip of a bad table"],
)
def test_damaged_file_is_named(tmp_path, payload):
    path = tmp_path / "concepts.tsv.gz"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="concepts.tsv.gz.*Rebuild"):
        wordnet_concepts.load_concept_table(str(path))


def test_lookup_table_matches_python(table):
    words = np.array(["sparrow", "mandolin"])
    ids = wordnet_concepts.concept_ids(table.lookup(), tokenize(words))
    assert ids.to_list()[1] == table.concepts_of("mandolin")
