import gc
import weakref

import numpy as np

from cm_zoo.models import extract_features
from tests.models.cross_modal_backbone_test import batch
from tests.models.cross_modal_backbone_test import small_backbone


def test_encoders_are_made_once_and_follow_the_weights(monkeypatch):
    backbone = small_backbone()
    made = []
    make = backbone.encoder
    monkeypatch.setattr(
        backbone, "encoder", lambda m: made.append(m) or make(m)
    )
    x = batch(5)
    first = extract_features(backbone, x, batch_size=2)
    kernel = backbone.upper_layers_for("sketch")[1].trainable_weights[0]
    kernel.assign(kernel * 2.0)
    second = extract_features(backbone, x, batch_size=2)
    assert sorted(made) == ["clipart", "description", "sketch"]
    for modality in x:
        expected = backbone.encode(modality, x[modality], training=False)
        np.testing.assert_allclose(
            second["fc7"][modality], expected["fc7"], atol=1e-5
        )
        assert not np.allclose(first["fc7"][modality], second["fc7"][modality])


def test_cached_encoders_do_not_keep_the_backbone_alive():
    backbone = small_backbone()
    extract_features(backbone, {"sketch": batch()["sketch"]})
    alive = weakref.ref(backbone)
    del backbone
    gc.collect()
    assert alive() is None
