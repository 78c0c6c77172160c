"""Encoders that frame drawings and read WordNet concepts export whole."""

import numpy as np
import tensorflow as tf

from cm_zoo.export import load_encoder
from tests.export.export_fixtures import build_tiny_backbone
from tests.export.export_fixtures import export_tiny


def test_framing_and_concepts_survive_export(tmp_path):
    backbone = build_tiny_backbone(fit_drawing=True, wordnet_concepts=True)
    words = backbone.towers["description"].get_layer("words")
    words.concept_embeddings.assign(
        np.random.default_rng(0).normal(size=words.concept_embeddings.shape)
    )
    model_dir = export_tiny(backbone, tmp_path)
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
