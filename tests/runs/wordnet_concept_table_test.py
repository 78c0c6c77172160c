import os

import pytest

from cm_zoo.layers.shared import wordnet_concepts
from cm_zoo.runs import wordnet_concept_table


@pytest.mark.skipif(
    not os.path.isdir(wordnet_concept_table.WORDNET_ROOT),
    reason="wordnet-base is not installed",
)
def test_shipped_table_is_rebuilt_byte_for_byte(tmp_path):
    built = wordnet_concept_table.build_concept_table()
    path = tmp_path / "concepts.tsv.gz"
    wordnet_concepts.write_concept_table(built, str(path))
    with open(wordnet_concepts.CONCEPT_FILE, "rb") as shipped:
        assert path.read_bytes() == shipped.read()
    assert built.num_concepts == 4974
    assert min(map(len, built.words)) > 0
