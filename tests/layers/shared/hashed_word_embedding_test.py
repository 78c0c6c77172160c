import numpy as np
import pytest

from cm_zoo.layers.shared import HashedWordEmbedding
from cm_zoo.layers.shared.hashed_word_embedding import tokenize
from tests import test_case


def test_layer_contract_mean_mode():
    output = test_case.run_layer_test(
        HashedWordEmbedding,
        {"num_buckets": 32, "embedding_dim": 4},
        np.array(["a b", "c d e"], dtype=object),
        (2, 4),
        expected_num_trainable_weights=1,
    )
    assert np.isfinite(output.numpy()).all()


def test_mean_is_average_of_token_rows_without_ngrams():
    layer = HashedWordEmbedding(1000, 3, use_char_ngrams=False)
    layer.build((None,))
    table = np.arange(3000, dtype="float32").reshape(1000, 3)
    layer.embeddings.assign(table)
    both = layer(np.array(["red bird"])).numpy()
    red = layer(np.array(["red"])).numpy()
    bird = layer(np.array(["Bird!"])).numpy()
    np.testing.assert_allclose(both, (red + bird) / 2)


def test_sequence_mode_pads_and_crops():
    layer = HashedWordEmbedding(
        16, 2, output_mode="sequence", sequence_length=3
    )
    out = layer(np.array(["one two three four", "one", ""])).numpy()
    assert out.shape == (3, 3, 2)
    np.testing.assert_array_equal(out[1, 1:], 0.0)
    np.testing.assert_array_equal(out[2], 0.0)
    np.testing.assert_array_equal(out[0, 0], out[1, 0])


def test_wrong_input_is_reported():
    layer = HashedWordEmbedding(16, 2)
    with pytest.raises(ValueError, match="batch of strings"):
        layer(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="output_mode"):
        HashedWordEmbedding(16, 2, output_mode="max")


@pytest.mark.parametrize("output_mode", ["mean", "sequence"])
def test_symbol_only_text_is_not_the_empty_text(output_mode):
    layer = HashedWordEmbedding(64, 4, output_mode=output_mode)
    out = layer(np.array(["🐦", "", "!?"], dtype=object)).numpy()
    assert not np.allclose(out[0], out[1])
    np.testing.assert_array_equal(out[2], out[1])  # punctuation: no token
    np.testing.assert_array_equal(out[1], 0.0)


def test_invalid_utf8_is_replaced_not_dropped():
    layer = HashedWordEmbedding(64, 4)
    damaged, clean, replaced = layer(
        np.array([b"\xff\xfe\xc3\x28 bird", b"bird", "��� bird"], dtype=object)
    ).numpy()
    assert not np.allclose(damaged, clean)
    # Each invalid byte became U+FFFD, then "(" only separates tokens.
    np.testing.assert_allclose(damaged, replaced, atol=1e-6)
    tokens = tokenize([b"\xff\xfe\xc3\x28 bird"]).to_list()[0]
    assert [t.decode() for t in tokens] == ["\ufffd"] * 3 + ["bird"]
