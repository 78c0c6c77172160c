import keras
import numpy as np
import pytest

from cm_zoo.curricula import ModalityTuning
from cm_zoo.curricula import StatRegSchedule
from cm_zoo.layers.statreg import DiagonalGMMPrior
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import CrossModalClassifier
from cm_zoo.models.cmplaces import METHODS
from cm_zoo.models.cmplaces import build_method
from cm_zoo.models.cmplaces import build_source_network
from tests.models.small_models import SMALL_CONFIG
from tests.models.small_models import image_tower

MODALITIES = ["clipart", "sketch"]


def method_c(freeze_epochs):
    keras.utils.set_random_seed(0)
    source = build_source_network(SMALL_CONFIG, "clipart", num_classes=3)
    rng = np.random.default_rng(0)
    prior = DiagonalGMMPrior(
        logits=np.zeros(2),
        means=rng.normal(size=(2, 8)),
        variances=np.ones((2, 8)),
    )
    task, callbacks = build_method(
        "C",
        SMALL_CONFIG,
        MODALITIES,
        num_classes=3,
        source=source,
        priors={"fc7": prior},
        freeze_epochs=freeze_epochs,
    )
    task.compile(optimizer=keras.optimizers.SGD(0.01))
    return task, callbacks


def data():
    rng = np.random.default_rng(0)
    x = {
        m: rng.integers(0, 255, (8, 24, 24, 3), dtype="uint8")
        for m in MODALITIES
    }
    return x, {m: rng.integers(0, 3, 8) for m in x}


def test_method_c_adds_statreg_at_the_release():
    task, callbacks = method_c(freeze_epochs=2)
    assert [type(c) for c in callbacks] == [ModalityTuning, StatRegSchedule]
    assert callbacks[1].start_epoch == callbacks[0].release_epoch == 2
    assert not any(
        isinstance(c, StatRegSchedule)
        for name in ("B_gmm", "A_tune_free")
        for c in _callbacks_of(name)
    )
    x, y = data()
    history = task.fit(
        x, y, epochs=4, batch_size=8, verbose=0, callbacks=callbacks
    ).history
    terms = history["statreg_fc7_sketch"]
    assert terms[:2] == [0.0, 0.0]
    assert min(terms[2:]) > 0.0


def test_resumed_run_lands_in_the_same_phase():
    def resume(initial_epoch):
        task, callbacks = method_c(freeze_epochs=2)
        x, y = data()
        return task.fit(
            x,
            y,
            initial_epoch=initial_epoch,
            epochs=initial_epoch + 1,
            batch_size=8,
            verbose=0,
            callbacks=callbacks,
        ).history["statreg_fc7_sketch"]

    assert resume(3)[0] > 0.0
    assert resume(1) == [0.0]


def test_switching_statreg_on_does_not_retrace():
    task, _ = method_c(freeze_epochs=1)
    traces, per_epoch = [], []
    compute_loss = task.compute_loss

    def counting_compute_loss(*args, **kwargs):
        traces.append(1)  # Python runs only while tracing
        return compute_loss(*args, **kwargs)

    task.compute_loss = counting_compute_loss

    class CountTraces(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            per_epoch.append(len(traces))

    x, y = data()
    task.fit(
        x,
        y,
        epochs=3,
        batch_size=4,
        verbose=0,
        callbacks=[StatRegSchedule(start_epoch=1), CountTraces()],
    )
    assert per_epoch[0] >= 1
    assert per_epoch == per_epoch[:1] * 3


def test_schedule_needs_a_task_with_statreg():
    keras.utils.set_random_seed(0)
    task = CrossModalClassifier(
        CrossModalBackbone({"sketch": image_tower("t")}, 3, 8)
    )
    task.compile()
    x, y = data()
    with pytest.raises(ValueError, match="needs a task with StatReg"):
        task.fit(
            {"sketch": x["sketch"]},
            {"sketch": y["sketch"]},
            verbose=0,
            callbacks=[StatRegSchedule(start_epoch=1)],
        )
    with pytest.raises(ValueError, match="start_epoch"):
        StatRegSchedule(start_epoch=-1)


def _callbacks_of(name):
    keras.utils.set_random_seed(0)
    source = build_source_network(SMALL_CONFIG, "clipart", num_classes=3)
    priors = None
    if METHODS[name].prior:
        priors = {
            "fc7": DiagonalGMMPrior(
                logits=np.zeros(1),
                means=np.zeros((1, 8)),
                variances=np.ones((1, 8)),
            )
        }
    _, callbacks = build_method(
        name,
        SMALL_CONFIG,
        MODALITIES,
        num_classes=3,
        source=source,
        priors=priors,
    )
    return callbacks
