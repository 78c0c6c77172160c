"""Behaviour every tower inherits from `Tower`: empty batches."""

import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower
from cm_zoo.towers import SoundTower
from cm_zoo.towers import TextTower


def _image_tower():
    return ImageTower(
        image_size=32,
        conv_filters=[4] * 5,
        conv1_kernel_size=3,
        conv1_strides=1,
        use_batch_norm=True,
    )


def _sound_tower():
    return SoundTower(
        output_dim=6,
        num_frames=27,
        frame_length=32,
        frame_step=16,
        conv_filters=[4, 4, 4],
        pool_size=3,
        use_batch_norm=True,
    )


def _text_tower():
    return TextTower(
        output_dim=6,
        num_buckets=32,
        embedding_dim=5,
        conv_filters=4,
        use_batch_norm=True,
    )


def _description_tower():
    return DescriptionTower(
        output_dim=6, hidden_dim=4, num_buckets=32, embedding_dim=5
    )


# (tower factory, an empty batch, the input signature with unknown batch)
CASES = {
    "image": (
        _image_tower,
        np.zeros((0, 41, 53, 3), "uint8"),
        tf.TensorSpec((None, None, None, 3), tf.uint8),
    ),
    "sound": (
        _sound_tower,
        np.zeros((0, 900), "float32"),
        tf.TensorSpec((None, None), tf.float32),
    ),
    "text": (
        _text_tower,
        np.array([], dtype=str),
        tf.TensorSpec((None,), tf.string),
    ),
    "description": (
        _description_tower,
        np.array([], dtype=str),
        tf.TensorSpec((None,), tf.string),
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_empty_batch_gives_zero_rows_eagerly_and_in_a_graph(kind):
    build, empty, spec = CASES[kind]
    tower = build()
    assert tuple(tower(empty).shape) == (0, tower.output_dim)
    traced = tf.function(tower.__call__, input_signature=[spec])
    assert tuple(traced(empty).shape) == (0, tower.output_dim)
