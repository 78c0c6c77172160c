import numpy as np
import pytest

from cm_zoo import data


def test_tokenize_lowercases_and_splits_punctuation():
    tokens = data.tokenize(["The BED, by a window.", "sea"])
    assert [[t.decode() for t in row] for row in tokens.to_list()] == [
        ["the", "bed", ",", "by", "a", "window", "."],
        ["sea"],
    ]


def test_empty_description_raises_or_is_skipped():
    with pytest.raises(ValueError, match="description 1 is empty"):
        data.check_descriptions(["a barn", ""])
    texts, kept = data.check_descriptions(
        ["a barn", "", "sea"], on_empty="skip"
    )
    assert texts.tolist() == ["a barn", "sea"] and kept.tolist() == [0, 2]
    with pytest.raises(ValueError, match="on_empty"):
        data.check_descriptions(["a"], on_empty="drop")


def test_sentence_vectors_checked_against_expected_shape(tmp_path):
    path = str(tmp_path / "skip.npy")
    np.save(path, np.ones((3, 4800), "float64"))
    vectors = data.load_sentence_vectors(path, num_rows=3, dim=4800)
    assert vectors.dtype == np.float32 and vectors.shape == (3, 4800)
    with pytest.raises(ValueError, match="expected rows=5, found rows=3"):
        data.load_sentence_vectors(path, num_rows=5)
    np.save(path, np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        data.load_sentence_vectors(path)
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        data.load_sentence_vectors(path)


def test_word2vec_header_and_glove_formats(tmp_path):
    word2vec = tmp_path / "w2v.txt"
    word2vec.write_text("3 2\nbarn 1 2\nsea 3 4\nbarn 9 9\n")
    vocab, matrix = data.load_word_vectors(str(word2vec))
    assert vocab == ["barn", "sea"]
    np.testing.assert_array_equal(matrix, [[1, 2], [3, 4]])
    glove = tmp_path / "glove.txt"
    glove.write_text("the 0.5 0.25 1\nof 1 1 1\nand 2 2 2\n")
    vocab, matrix = data.load_word_vectors(str(glove), max_words=2)
    assert vocab == ["the", "of"] and matrix.shape == (2, 3)


def test_word_vectors_with_ragged_width_raise(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("barn 1 2\nsea 3\n")
    with pytest.raises(ValueError, match="bad.txt:2: expected 2 values"):
        data.load_word_vectors(str(path))
    path.write_text("")
    with pytest.raises(ValueError, match="found none"):
        data.load_word_vectors(str(path))
