"""The task base: presets, default compile, config, replica scaling."""

import warnings

import keras
import numpy as np
import pytest

from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import CrossModalClassifier
from cm_zoo.models import SeeHearReadModel
from cm_zoo.models import Task
from tests.fresh_process import run_json_script
from tests.models.small_models import image_tower


def test_tasks_share_the_base():
    assert issubclass(CrossModalClassifier, Task)
    assert issubclass(SeeHearReadModel, Task)


def test_classifier_from_preset_splits_task_and_backbone_arguments():
    task = CrossModalClassifier.from_preset(
        "cmplaces_alexnet_tiny",
        modalities=["sketch"],
        num_classes=4,
        name="sketch_classifier",
    )
    assert task.name == "sketch_classifier"
    assert task.backbone.modalities == ("sketch",)
    assert task.backbone.num_classes == 4
    with pytest.raises(ValueError, match="Available presets"):
        CrossModalClassifier.from_preset("no_such_preset")


def test_default_compile_is_each_papers_optimizer():
    keras.utils.set_random_seed(0)
    backbone = CrossModalBackbone(
        {"sketch": image_tower("sketch_tower")}, 3, hidden_dim=8
    )
    classifier = CrossModalClassifier(backbone)
    classifier.compile()
    assert isinstance(classifier.optimizer, keras.optimizers.SGD)
    assert float(classifier.optimizer.learning_rate) == pytest.approx(1e-3)
    assert classifier.optimizer.momentum == 0.9
    assert classifier.jit_compile is False
    x = keras.Input((None, None, 3), dtype="uint8")
    teacher = keras.Model(
        x, keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(x))
    )
    shr = SeeHearReadModel.from_preset("see_hear_read_alexnet_tiny", teacher)
    shr.compile()
    assert isinstance(shr.optimizer, keras.optimizers.Adam)
    assert float(shr.optimizer.learning_rate) == pytest.approx(1e-4)


def test_saved_task_comes_back_compiled(tmp_path):
    keras.utils.set_random_seed(0)
    backbone = CrossModalBackbone(
        {"sketch": image_tower("sketch_tower")}, 3, hidden_dim=8
    )
    task = CrossModalClassifier(backbone)
    task.compile(optimizer=keras.optimizers.Adam(0.01))
    x = {"sketch": np.zeros((4, 24, 24, 3), "uint8")}
    task.fit(x, {"sketch": np.array([0, 1, 2, 0])}, verbose=0)
    task.save(tmp_path / "task.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        restored = keras.saving.load_model(tmp_path / "task.keras")
    assert isinstance(restored.optimizer, keras.optimizers.Adam)
    assert float(restored.optimizer.learning_rate) == pytest.approx(0.01)
    assert int(restored.optimizer.iterations) == 1


_TWO_REPLICAS = r"""
import json

import numpy as np
import tensorflow as tf

(cpu,) = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
import keras

from cm_zoo.layers.statreg import GaussianPrior, GaussianStatReg
from cm_zoo.models import CrossModalBackbone, CrossModalClassifier
from cm_zoo.towers import ImageTower


def make_task():
    keras.utils.set_random_seed(0)
    tower = ImageTower(image_size=24, conv_filters=[4] * 5,
                       conv1_kernel_size=3, conv1_strides=1, name="t")
    prior = GaussianPrior(mean=np.zeros(8), covariance=np.eye(8))
    return CrossModalClassifier(
        CrossModalBackbone({"sketch": tower}, 3, hidden_dim=8, dropout=0.0),
        regularizers={"fc7": GaussianStatReg.from_prior(prior)})


def loss(task, x, y):
    return task.compute_loss(x, y, task(x, training=True))


x = {"sketch": np.random.default_rng(0).integers(0, 255, (4, 24, 24, 3),
                                                 dtype="uint8")}
y = {"sketch": np.array([0, 1, 2, 0])}
single = float(loss(make_task(), x, y))
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    task = make_task()
per_replica = strategy.run(lambda: loss(task, x, y))
values = [float(v) for v in strategy.experimental_local_results(per_replica)]
print(json.dumps({"single": single, "replicas": values}))
"""


def test_every_loss_term_is_divided_by_the_replicas():
    result = run_json_script(_TWO_REPLICAS)
    # Each replica saw the whole batch: its share is half the single loss.
    for value in result["replicas"]:
        assert value == pytest.approx(result["single"] / 2, rel=1e-5)
