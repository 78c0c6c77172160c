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


@pytest.mark.parametrize(
    "output_mode, shape", [("mean", (2, 4)), ("sequence", (2, 16, 4))]
)
def test_layer_contract_with_wordnet_concepts(output_mode, shape):
    output = test_case.run_layer_test(
        HashedWordEmbedding,
        {
            "num_buckets": 32,
            "embedding_dim": 4,
            "output_mode": output_mode,
            "wordnet_concepts": True,
        },
        np.array(["a red bird", "ice cream"], dtype=object),
        shape,
        expected_num_trainable_weights=2,
    )
    assert np.isfinite(output.numpy()).all()


@pytest.mark.parametrize("output_mode", ["mean", "sequence"])
def test_zero_concept_table_changes_nothing(output_mode):
    kwargs = {"output_mode": output_mode, "use_char_ngrams": False}
    plain = HashedWordEmbedding(64, 4, **kwargs)
    concepts = HashedWordEmbedding(64, 4, wordnet_concepts=True, **kwargs)
    text = np.array(["two sparrows", "", "🐦"], dtype=object)
    plain.build((None,))
    concepts.build((None,))
    concepts.embeddings.assign(plain.embeddings)
    np.testing.assert_array_equal(concepts(text), plain(text))


def _concept_layer(output_mode):
    """Concept vectors random, word vectors zero: only concepts speak."""
    layer = HashedWordEmbedding(
        64,
        8,
        output_mode=output_mode,
        use_char_ngrams=False,
        wordnet_concepts=True,
    )
    layer.build((None,))
    layer.embeddings.assign(np.zeros(layer.embeddings.shape, "float32"))
    rng = np.random.default_rng(0)
    layer.concept_embeddings.assign(
        rng.normal(size=layer.concept_embeddings.shape).astype("float32")
    )
    return layer


def _cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_unseen_word_lands_near_words_of_its_kind():
    layer = _concept_layer("mean")
    kestrel, sparrow, mandolin, guitar = layer(
        np.array(["a kestrel", "sparrows", "mandolin", "Guitars!"])
    ).numpy()
    assert _cosine(kestrel, sparrow) > _cosine(kestrel, guitar) + 0.2
    assert _cosine(mandolin, guitar) > _cosine(mandolin, sparrow) + 0.2


def test_sequence_mode_adds_concepts_per_position():
    layer = _concept_layer("sequence")
    out = layer(np.array(["zqx kestrel", "kestrel"])).numpy()
    np.testing.assert_array_equal(out[0, 0], 0.0)  # "zqx": no concept
    np.testing.assert_allclose(out[0, 1], out[1, 0], rtol=1e-6)
    np.testing.assert_array_equal(out[:, 2:], 0.0)


def test_two_word_nouns_carry_their_concepts():
    layer = _concept_layer("mean")
    pair, ice, cream = layer(np.array(["ice cream", "ice", "cream"])).numpy()
    assert not np.allclose(pair, (ice + cream) / 2)


def test_concepts_survive_export(tmp_path):
    import keras
    import tensorflow as tf

    layer = _concept_layer("mean")
    text = keras.Input(shape=(), dtype="string")
    model = keras.Model(text, layer(text))
    model.export(str(tmp_path), verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path))
    batch = np.array(["a kestrel", "", "ice cream"])
    np.testing.assert_allclose(
        reloaded.serve(tf.constant(batch)).numpy(), model(batch), rtol=1e-6
    )
    assert reloaded.serve(tf.constant([], tf.string)).shape == (0, 8)


def test_the_last_kept_word_still_starts_its_two_word_noun():
    layer = _concept_layer("sequence")
    fillers = " ".join(["zqx"] * 15)
    cut, whole = layer(np.array([f"{fillers} ice cream", "ice cream"])).numpy()
    np.testing.assert_allclose(cut[15], whole[0], rtol=1e-6)
