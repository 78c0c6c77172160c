import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo import presets
from cm_zoo.data import clipart_benchmark
from cm_zoo.layers.shared import DrawingAugmentation
from cm_zoo.layers.shared import ImageAugmentation
from cm_zoo.layers.shared._training_only_augmentation import (
    TrainingOnlyAugmentation,
)
from cm_zoo.models.see_hear_read import build_see_hear_read_backbone
from cm_zoo.runs import input_augmentation


def _drawings(n=4, side=32):
    images = np.full((n, side, side, 3), 255, np.uint8)
    images[:, 8:24, 14:18] = 0
    return images


def _dataset(structure):
    return tf.data.Dataset.from_tensors(structure).repeat()


def _batches(dataset, count):
    return [element for _, element in zip(range(count), dataset)]


def test_users_level_varies_features_not_labels():
    images = _drawings()
    labels = np.arange(4)
    layers = input_augmentation.make_augmentations("users", ["clipart"], seed=0)
    dataset = input_augmentation.augment_dataset(
        _dataset(({"clipart": images}, {"clipart": labels})), layers, seed=0
    )
    features, y = _batches(dataset, 1)[0]
    assert features["clipart"].dtype == tf.uint8
    assert not np.array_equal(features["clipart"], images)
    np.testing.assert_array_equal(y["clipart"], labels)


def test_nested_pair_sets_vary_every_set_and_keep_other_keys():
    element = {
        "image_sound": {"clipart": _drawings(), "sound": np.zeros((4, 800))},
        "image_text": {
            "clipart": _drawings(),
            "description": np.array(["a red eagle"] * 4),
        },
    }
    layers = input_augmentation.make_augmentations(
        "basic", ["clipart", "sound", "description"], seed=1
    )
    assert list(layers) == ["clipart"]
    varied = _batches(
        input_augmentation.augment_dataset(_dataset(element), layers, 1), 1
    )[0]
    for pair_set in element:
        assert not np.array_equal(varied[pair_set]["clipart"], _drawings())
    np.testing.assert_array_equal(varied["image_sound"]["sound"], 0.0)
    assert varied["image_text"]["description"][0] == b"a red eagle"


def test_draws_depend_on_seed_and_step_only():
    """A resumed run (dataset skipped to its step) sees the same batches."""
    texts = np.array(["a red eagle on a tall tree with leaves"] * 8)

    def run(skip, seed=3):
        layers = input_augmentation.make_augmentations(
            "users",
            ["clipart", "description"],
            seed=seed,
            synonyms={"eagle": ["parrot"]},
        )
        element = ({"clipart": _drawings(8), "description": texts}, {})
        dataset = input_augmentation.augment_dataset(
            _dataset(element), layers, seed
        )
        return [x for x, _ in _batches(dataset.skip(skip), 2)]

    fresh, resumed, other = run(0), run(1), run(0, seed=4)
    for key in ("clipart", "description"):
        np.testing.assert_array_equal(fresh[1][key], resumed[0][key])
        assert not np.array_equal(fresh[0][key], fresh[1][key])
        assert not np.array_equal(fresh[0][key], other[0][key])


def test_level_none_returns_the_dataset_and_unknown_level_raises():
    dataset = _dataset({"clipart": _drawings()})
    layers = input_augmentation.make_augmentations("none", ["clipart"], seed=0)
    assert input_augmentation.augment_dataset(dataset, layers, 0) is dataset
    with pytest.raises(ValueError, match="`level` must be one of"):
        input_augmentation.make_augmentations("all", ["clipart"], seed=0)


def test_towers_hold_no_augmentation_and_train_mode_is_deterministic():
    """Fine-tuning users call towers with training=True: nothing random."""
    keras.utils.set_random_seed(0)
    config = presets.get("see_hear_read_alexnet_tiny").config()
    backbone = build_see_hear_read_backbone(config, num_classes=28)
    inputs = {
        "clipart": _drawings(2, 64),
        "sound": np.linspace(-0.5, 0.5, 2 * 16000, dtype="float32").reshape(
            2, 16000
        ),
        "description": tf.constant(["a red eagle", "blue boat"]),
    }
    for modality, x in inputs.items():
        encoder = backbone.encoder(modality)
        kinds = (TrainingOnlyAugmentation, ImageAugmentation)
        assert not [
            layer
            for layer in encoder._flatten_layers()
            if isinstance(layer, kinds)
        ]
        first, again = encoder(x, training=True), encoder(x, training=True)
        # pool5, the tower's output: the shared fc layers' dropout is the
        # one randomness a fine-tuning user gets.
        np.testing.assert_array_equal(first["pool5"], again["pool5"])


def test_lexicon_synonyms_swap_within_a_category_only():
    texts = [
        "eagle, bird of jove: large",
        "parrot: talks",
        "lemon: sour",
        "orange: sweet",
        "jack: a card or a tool",
        "jack, jackscrew: lifts cars",
    ]
    table = input_augmentation.lexicon_synonyms(texts, [0, 0, 1, 1, 2, 3])
    assert table == {
        "eagle": ["bird of jove", "parrot"],
        "jackscrew": ["jack"],
        "lemon": ["orange"],
        "orange": ["lemon"],
        "parrot": ["bird of jove", "eagle"],
    }


def test_drawings_vary_in_tf_data_when_no_image_is_jpeg_coded():
    """map_fn over zero images of unknown size failed inside a graph."""
    layer = DrawingAugmentation(jpeg_rate=1e-9, seed=0)
    dataset = (
        tf.data.Dataset.from_tensor_slices(_drawings(2))
        .batch(2)
        .map(lambda x: layer(x, training=True))
    )
    assert next(iter(dataset)).shape == (2, 32, 32, 3)


def test_augmented_dataset_finds_modalities_and_lexicon_words():
    bench = clipart_benchmark.load()
    element = (
        {"sketch": _drawings(), "description": np.array(["eagle"] * 4)},
        {"sketch": np.zeros(4), "description": np.zeros(4)},
    )
    dataset = input_augmentation.augmented_dataset(
        _dataset(element), bench, "users", seed=0
    )
    texts = {
        t for x, _ in _batches(dataset, 8) for t in x["description"].numpy()
    }
    assert len(texts) > 2
    assert not np.array_equal(next(iter(dataset))[0]["sketch"], _drawings())
