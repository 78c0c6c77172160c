import keras
import numpy as np
import pytest

from cm_zoo import presets
from cm_zoo.towers import registry
from cm_zoo.towers.text_tower import TextTower

SENTENCES = np.array(["a dog barks at the red boat", "yellow", ""])


def _tower(**overrides):
    kwargs = dict(output_dim=6, num_buckets=64, embedding_dim=5, conv_filters=4)
    kwargs.update(overrides)
    return TextTower(**kwargs)


def test_paper_layout_gives_a_4x300_map_before_pool5():
    tower = TextTower(output_dim=9216, num_buckets=128)
    assert tuple(tower.get_layer("words").output.shape) == (None, 16, 300)
    assert tuple(tower.get_layer("flatten").input.shape) == (None, 4, 300)
    assert tower.output_dim == 9216


def test_words_after_the_sixteenth_are_ignored():
    keras.utils.set_random_seed(0)
    tower = _tower()
    words = " ".join(f"w{i}" for i in range(16))
    out = tower(np.array([words, words + " extra words here"])).numpy()
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)


def test_builder_and_preset_widths():
    config = presets.get("see_hear_read_alexnet_tiny").config()
    tower = registry.build_text_tower(config, "description_tower")
    assert tower.output_dim == registry.pool5_dim(config)
    assert tower.sequence_length == config["text_sequence_length"]


def test_preset_switch_turns_on_wordnet_concepts():
    config = presets.get("see_hear_read_alexnet_tiny").config()
    config["text_wordnet_concepts"] = True
    tower = registry.build_text_tower(config, "text_tower")
    assert tower.get_layer("words").wordnet_concepts
    assert TextTower.from_config(tower.get_config()).wordnet_concepts
    assert tower(SENTENCES).shape == (3, tower.output_dim)


def test_set_word_vectors_fills_the_hashed_rows():
    tower = _tower()
    vectors = np.arange(10, dtype="float32").reshape(2, 5)
    written = tower.set_word_vectors(["Dog", "boat"], vectors)
    assert written == 2
    embedded = tower.get_layer("words")(np.array(["dog boat"])).numpy()
    np.testing.assert_allclose(embedded[0, :2], vectors)
    with pytest.raises(ValueError, match=r"shape \(2, 5\)"):
        tower.set_word_vectors(["dog", "boat"], np.zeros((2, 3)))


def test_non_string_input_raises():
    with pytest.raises(ValueError):
        _tower()(np.zeros((2, 3), "float32"))


def test_invalid_config_raises():
    with pytest.raises(ValueError, match="`sequence_length` must be"):
        _tower(sequence_length=2)


def test_config_round_trip_and_keras_save(tmp_path):
    tower = _tower(use_batch_norm=True, name="description_tower")
    clone = TextTower.from_config(tower.get_config())
    assert clone.get_config() == tower.get_config()
    path = tmp_path / "text.keras"
    tower.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, TextTower)
    np.testing.assert_allclose(loaded(SENTENCES), tower(SENTENCES), atol=1e-6)
