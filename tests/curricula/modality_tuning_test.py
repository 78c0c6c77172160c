import keras
import numpy as np
import pytest

from cm_zoo.curricula import ModalityTuning
from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import CrossModalClassifier
from cm_zoo.towers import ImageTower

SHARED = ("fc6", "fc7", "classifier")


def make_task(seed=0):
    keras.utils.set_random_seed(seed)
    towers = {
        m: ImageTower(
            image_size=24,
            conv_filters=[4] * 5,
            conv1_kernel_size=3,
            conv1_strides=1,
            name=f"{m}_tower",
        )
        for m in ("clipart", "sketch")
    }
    return CrossModalClassifier(
        CrossModalBackbone(towers, num_classes=3, hidden_dim=8, dropout=0.0)
    )


def data():
    rng = np.random.default_rng(0)
    x = {
        m: rng.integers(0, 255, (8, 24, 24, 3), dtype="uint8")
        for m in ("clipart", "sketch")
    }
    y = {m: rng.integers(0, 3, 8) for m in x}
    return x, y


class WeightLog(keras.callbacks.Callback):
    """Records the shared and tower weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.shared, self.tower = [], []

    def on_epoch_end(self, epoch, logs=None):
        backbone = self.model.backbone
        self.shared.append(
            [
                w.numpy().copy()
                for name in SHARED
                for w in backbone.get_layer(name).weights
            ]
        )
        self.tower.append(backbone.towers["sketch"].weights[0].numpy().copy())


class Preempt(keras.callbacks.Callback):
    """Kills training when `epoch` begins, as a preemption would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError(f"preempted at epoch {epoch}")


def initial_weights(task):
    return [
        w.numpy().copy()
        for name in SHARED
        for w in task.backbone.get_layer(name).weights
    ]


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda: keras.optimizers.SGD(0.05, momentum=0.9),
        lambda: keras.optimizers.Adam(1e-2),
    ],
    ids=["sgd_momentum", "adam"],
)
def test_shared_frozen_bitwise_until_release_then_trained(optimizer):
    task = make_task()
    task.compile(optimizer=optimizer())
    start = initial_weights(task)
    log = WeightLog()
    x, y = data()
    task.fit(
        x,
        y,
        epochs=4,
        batch_size=4,
        verbose=0,
        callbacks=[ModalityTuning(release_epoch=2), log],
    )
    for epoch in (0, 1):
        for frozen, initial in zip(log.shared[epoch], start):
            np.testing.assert_array_equal(frozen, initial)
    assert not np.array_equal(log.tower[0], log.tower[1])
    changed = [not np.array_equal(a, b) for a, b in zip(log.shared[3], start)]
    assert all(changed)
    assert all(task.backbone.get_layer(n).trainable for n in SHARED)


def test_never_released_keeps_shared_layers_fixed():
    task = make_task()
    task.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9))
    start = initial_weights(task)
    x, y = data()
    task.fit(
        x,
        y,
        epochs=2,
        batch_size=4,
        verbose=0,
        callbacks=[ModalityTuning(release_epoch=None)],
    )
    for now, initial in zip(initial_weights(task), start):
        np.testing.assert_array_equal(now, initial)


@pytest.mark.parametrize("interrupt_epoch", [1, 3], ids=["frozen", "released"])
def test_resume_from_backup_lands_in_the_same_phase(tmp_path, interrupt_epoch):
    x, y = data()

    def run(epochs, callbacks, seed=0):
        task = make_task(seed)
        task.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9))
        task.fit(
            x,
            y,
            epochs=epochs,
            batch_size=4,
            verbose=0,
            shuffle=False,
            callbacks=callbacks + [ModalityTuning(release_epoch=2)],
        )
        return task

    straight = run(4, [])
    backup_dir = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="preempted"):
        run(
            4,
            [
                keras.callbacks.BackupAndRestore(backup_dir),
                Preempt(interrupt_epoch),
            ],
        )
    # A different seed: only a real restore can reproduce `straight`.
    resumed = run(4, [keras.callbacks.BackupAndRestore(backup_dir)], seed=1)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_missing_layer_is_named():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="fc6")(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"\['fc7'\] not found"):
        model.fit(
            np.ones((2, 3)),
            np.ones((2, 2)),
            verbose=0,
            callbacks=[ModalityTuning(layer_names=["fc6", "fc7"])],
        )


def test_phase_is_a_function_of_the_epoch():
    tuning = ModalityTuning(release_epoch=3)
    assert [tuning.is_frozen(e) for e in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert ModalityTuning().is_frozen(100)
    with pytest.raises(ValueError, match="release_epoch"):
        ModalityTuning(release_epoch=-1)
