import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.layers.shared import TextAugmentation
from tests.layers.shared.augmentation_contract import (
    check_augmentation_contract,
)

SENTENCES = [
    "A bird: any warm-blooded egg-laying vertebrate with wings.",
    "Red bird",
    "the quick brown fox jumps over the lazy dog",
    "Émile's café, open!",
]


def only(seed=0, **variation):
    return TextAugmentation.only(seed=seed, **variation)


def texts(sentences=SENTENCES, repeat=1):
    return np.array([s.encode() for s in sentences] * repeat, dtype=object)


def run(layer, batch):
    return [t.decode() for t in layer(batch, training=True).numpy()]


def test_layer_contract(tmp_path):
    check_augmentation_contract(
        TextAugmentation,
        {"template_rate": 1.0, "templates": ["a drawing of {}"]},
        texts(),
        tmp_path,
    )


def test_everything_off_only_normalises_spaces():
    batch = texts([*SENTENCES, "  two   spaces ", ""])
    out = run(only(), batch)
    assert out == [*SENTENCES, "two spaces", ""]


def test_defaults_vary_texts_but_keep_batch():
    out = run(TextAugmentation(seed=0), texts(repeat=8))
    assert len(out) == 32
    assert len(set(out)) > 8
    assert sum(o in SENTENCES for o in out) < 24


def test_synonyms_replace_words_ignoring_case_and_punctuation():
    layer = only(
        synonyms={"Bird": ["fowl", "winged creature"], "dog": ["hound"]},
        synonym_rate=1.0,
    )
    out = run(layer, texts(repeat=8))
    assert {o.split()[1] for o in out[0::4]} == {"fowl", "winged"}
    assert all(o.endswith("lazy hound") for o in out[2::4])
    assert all("bird" not in o.lower() for o in out)
    assert out[3] == SENTENCES[3]


def test_crop_keeps_a_run_of_words():
    sentence = SENTENCES[2]
    out = run(only(crop_rate=1.0), texts([sentence], repeat=64))
    assert all(o and o in sentence for o in out)
    lengths = {len(o.split()) for o in out}
    assert 1 in lengths and len(lengths) > 4


def test_word_dropout_keeps_order_and_at_least_one_word():
    sentence = SENTENCES[2]
    out = run(only(word_dropout=0.9), texts([sentence, "one"], repeat=16))
    words = sentence.split()
    for o in out[0::2]:
        kept = o.split()
        assert kept and len(kept) < len(words)
        positions = [words.index(w, i) for i, w in zip(range(9), kept)]
        assert positions == sorted(positions)
    assert set(out[1::2]) == {"one"}


def test_shuffle_permutes_words():
    sentence = SENTENCES[2]
    out = run(only(shuffle_rate=1.0), texts([sentence], repeat=8))
    assert all(sorted(o.split()) == sorted(sentence.split()) for o in out)
    assert len(set(out)) > 4


def test_case_changes_cover_all_four_cases():
    out = run(only(case_rate=1.0), texts(["Red BIRD"], repeat=32))
    assert set(out) == {"red bird", "RED BIRD", "Red Bird", "Red bird"}
    assert run(only(case_rate=1.0), texts(["émile"]))[0] in (
        "émile",
        "ÉMILE",
        "Émile",
    )


def test_punctuation_is_removed():
    out = run(only(punctuation_rate=1.0), texts())
    assert out[0] == (
        "A bird any warm blooded egg laying vertebrate with wings"
    )
    assert out[3] == "Émile s café open"
    assert not any(re.search(r"[^\w\s]", o) for o in out)


def test_templates_wrap_non_empty_texts():
    layer = only(template_rate=1.0, templates=["a drawing of {}", "{}!"])
    out = run(layer, texts(["red bird", ""], repeat=16))
    assert set(out[0::2]) == {"a drawing of red bird", "red bird!"}
    assert set(out[1::2]) == {""}


def test_synonym_table_survives_a_saved_model(tmp_path):
    layer = only(synonyms={"bird": ["fowl"]}, synonym_rate=1.0)
    module = tf.Module()  # as cm_zoo.export does: the layer, its variables
    module.layer = layer
    module.state = list(layer.variables)  # the seed generator's state
    module.augment = tf.function(
        lambda text: layer(text, training=True),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    tf.saved_model.save(module, str(tmp_path / "augment"))
    reloaded = tf.saved_model.load(str(tmp_path / "augment"))
    out = reloaded.augment(tf.constant(["a bird"])).numpy()
    assert out.tolist() == [b"a fowl"]


def test_config_round_trips_synonyms_through_json():
    layer = TextAugmentation(synonyms={"Bird": ["fowl"], "bird": ["avian"]})
    assert layer.get_config()["synonyms"] == {"bird": ["fowl", "avian"]}
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert revived.get_config() == layer.get_config()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"crop_rate": 2}, r"`crop_rate` must be a probability"),
        ({"templates": ["a drawing of"]}, r"`templates` must be"),
        ({"templates": "a {}"}, r"`templates` must be"),
        ({"synonyms": {"bird": "fowl"}}, r"`synonyms` must be"),
        ({"synonyms": {"red bird": ["x"]}}, r"each single word"),
        ({"synonyms": {"bird": []}}, r"non-empty list"),
    ],
)
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TextAugmentation(**kwargs)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (np.array([["a"]], dtype=object), r"shape=\(1, 1\)"),
        (np.zeros((2,), "float32"), r"dtype=float32"),
    ],
)
def test_wrong_inputs_raise(text, match):
    with pytest.raises(ValueError, match=match):
        TextAugmentation()(text)
