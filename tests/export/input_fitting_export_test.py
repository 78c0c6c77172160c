"""Encoders that frame drawings and read WordNet concepts export whole."""

import keras
import numpy as np
import tensorflow as tf

from cm_zoo.export import export_encoders
from cm_zoo.export import load_encoder
from cm_zoo.models import CrossModalBackbone
from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower
from tests.export.export_fixtures import CLASS_NAMES


def test_framing_and_concepts_survive_export(tmp_path):
    keras.utils.set_random_seed(0)
    towers = {
        "sketch": ImageTower(
            image_size=32,
            conv_filters=[4] * 5,
            conv1_kernel_size=3,
            conv1_strides=1,
            fit_drawing=True,
            name="sketch_tower",
        ),
        "description": DescriptionTower(
            output_dim=16,
            hidden_dim=8,
            num_buckets=64,
            embedding_dim=5,
            wordnet_concepts=True,
            name="description_tower",
        ),
    }
    words = towers["description"].get_layer("words")
    words.concept_embeddings.assign(
        np.random.default_rng(0).normal(size=words.concept_embeddings.shape)
    )
    backbone = CrossModalBackbone(towers, num_classes=3, hidden_dim=8)
    model_dir = export_encoders(
        backbone,
        tmp_path,
        model_name="fitted",
        method="test",
        class_names=CLASS_NAMES,
        training_data={"name": "synthetic", "data_manifest_sha256": "ab" * 32},
    )
    page = np.zeros((2, 50, 70, 3), "uint8")  # black pages, small drawings
    page[:, 10:25, 40:55] = (200, 40, 40)
    inputs = {
        "sketch": page,
        "description": np.array(["a kestrel", "two mandolins", ""]),
    }
    for modality, x in inputs.items():
        encoder = load_encoder(model_dir, modality)
        expected = backbone.encode(modality, x, training=False)["fc7"]
        np.testing.assert_allclose(
            encoder(tf.constant(x))["embedding"], expected, atol=1e-5
        )
