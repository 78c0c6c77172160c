import keras
import numpy as np

from cm_zoo.models.cmplaces import HeadDrift
from cm_zoo.models.cmplaces import build_method
from cm_zoo.models.cmplaces import build_source_network
from cm_zoo.models.cmplaces import head_drift
from cm_zoo.models.cmplaces import source_head_weights
from tests.models.small_models import SMALL_CONFIG

MODALITIES = ["clipart", "sketch"]


def train(name, epochs=2):
    keras.utils.set_random_seed(0)
    source = build_source_network(SMALL_CONFIG, "clipart", num_classes=3)
    task, callbacks = build_method(
        name, SMALL_CONFIG, MODALITIES, num_classes=3, source=source
    )
    task.compile(optimizer=keras.optimizers.SGD(0.1))
    rng = np.random.default_rng(0)
    x = {
        m: rng.integers(0, 255, (8, 24, 24, 3), dtype="uint8")
        for m in MODALITIES
    }
    y = {m: rng.integers(0, 3, 8) for m in x}
    history = task.fit(
        x,
        y,
        epochs=epochs,
        batch_size=4,
        verbose=0,
        callbacks=[*callbacks, HeadDrift(source)],
    )
    return task, source, history.history


def test_individual_heads_drift_from_the_source_and_are_logged():
    task, source, history = train("bl_individual")
    names = sorted(k for k in history if k.startswith("drift_"))
    assert names == sorted(
        f"drift_{layer}_{m}"
        for layer in ("fc6", "fc7", "classifier")
        for m in MODALITIES
    )
    assert all(min(history[name]) > 0.0 for name in names)
    final = head_drift(task.backbone, source_head_weights(source))
    for name in names:
        assert history[name][-1] == final[name]


def test_frozen_shared_heads_do_not_drift():
    _, _, history = train("A_tune", epochs=1)
    assert {k: v for k, v in history.items() if k.startswith("drift_")} == {
        "drift_fc6_shared": [0.0],
        "drift_fc7_shared": [0.0],
        "drift_classifier_shared": [0.0],
    }
