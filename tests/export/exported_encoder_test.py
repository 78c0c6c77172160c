"""Unusual inputs to exported encoders: empty, long, loud, damaged text."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.export import load_encoder
from cm_zoo.export.exported_encoder import has_token
from cm_zoo.layers.shared.hashed_word_embedding import tokenize
from tests.export.export_fixtures import sample_inputs

EMPTY = {
    "sketch": np.zeros((0, 41, 53, 3), "uint8"),
    "description": np.array([], dtype=str),
    "sound": np.zeros((0, 900), "float32"),
}


@pytest.mark.parametrize("modality", sorted(EMPTY))
def test_empty_batch_gives_zero_rows_through_hub_load_and_load_encoder(
    exported, modality
):
    _, model_dir = exported
    reloaded = tf.saved_model.load(str(model_dir / modality))
    encoder = load_encoder(model_dir / modality)
    width = encoder.manifest["embedding"]["width"]
    for outputs in (
        reloaded(tf.constant(EMPTY[modality])),
        reloaded.signatures["serving_default"](
            **{modality: tf.constant(EMPTY[modality])}
        ),
        encoder(EMPTY[modality]),
        encoder([]),  # a plain empty list, whatever the modality
    ):
        assert tuple(outputs["embedding"].shape) == (0, width)
        assert tuple(outputs["logits"].shape) == (0, 3)


def test_long_sound_is_embedded_whole(exported, backbone):
    _, model_dir = exported
    encoder = load_encoder(model_dir / "sound")
    window = encoder.manifest["inputs"]["sound"]["window_samples"]
    long_sound = np.random.default_rng(5).uniform(-1, 1, (2, 10 * window))
    long_sound = long_sound.astype("float32")
    whole = encoder(long_sound)["embedding"].numpy()
    first_window = encoder(long_sound[:, :window])["embedding"].numpy()
    assert not np.allclose(whole, first_window, atol=1e-4)
    expected = backbone.encode("sound", long_sound, training=False)["fc7"]
    np.testing.assert_allclose(whole, expected, atol=1e-5)


def test_int16_scale_sound_is_refused(exported):
    _, model_dir = exported
    reloaded = tf.saved_model.load(str(model_dir / "sound"))
    loud = sample_inputs("sound", 2) * 32767.0
    with pytest.raises(tf.errors.InvalidArgumentError, match="32768"):
        reloaded(tf.constant(loud))


def test_emoji_and_invalid_utf8_embed_visibly_and_are_reported(exported):
    _, model_dir = exported
    encoder = load_encoder(model_dir / "description")
    texts = np.array(
        ["🐦", "", b"\xff\xfe\xc3\x28 bird", "bird", "!!!"], dtype=object
    )
    with pytest.warns(UserWarning) as caught:
        emoji, empty, damaged, clean, punctuation = encoder(texts)["fc7"]
    message = str(caught[0].message)
    assert "rows [2] are not valid UTF-8" in message
    assert "U+FFFD" in message
    assert "rows [4] hold no word" in message
    assert not np.allclose(emoji, empty)
    assert not np.allclose(damaged, clean)
    np.testing.assert_array_equal(punctuation, empty)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder(["a red bird", ""])  # clean text: no warning


@pytest.mark.parametrize(
    "text",
    [
        "bird",
        "",
        "!!! ...",
        "🐦",
        "°",
        "½",
        "٣",
        "ß",
        "日本",
        "\u0301",
        "a\u200db",
    ],
)
def test_warning_rule_agrees_with_the_tokenizer(text):
    tokens = tokenize([text]).row_lengths().numpy()[0]
    assert has_token(text) == (tokens > 0)
