import keras
import numpy as np
import pytest
import tensorflow as tf

import cm_zoo
from cm_zoo import training


@pytest.fixture
def mixed_float16():
    keras.config.set_dtype_policy("mixed_float16")
    yield
    keras.config.set_dtype_policy("float32")


class _StepLosses(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


def test_training_loop_keeps_statreg_and_loss_float32(mixed_float16, tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, name="fc7")(inputs)
    regularizer = cm_zoo.layers.GMMStatReg(num_components=2, weight=0.1)
    hidden = regularizer(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.get_layer("fc7").compute_dtype == "float16"

    x = np.random.default_rng(0).normal(size=(4, 4)).astype("float32")
    model(x, training=True)
    assert [loss.dtype for loss in model.losses] == [tf.float32]

    data = tf.data.Dataset.from_tensors((x, x[:, :1])).repeat()
    step_losses = _StepLosses()
    loop = training.TrainingLoop(
        model, tf.distribute.get_strategy(), str(tmp_path)
    )
    loop.fit(data, epochs=1, steps_per_epoch=2, callbacks=[step_losses])
    # Float32 losses stay finite where float16 gradients overflow (the
    # loss-scale optimizer then skips the step and lowers its scale).
    assert len(step_losses.losses) == 2
    assert np.isfinite(step_losses.losses).all()
    assert float(model.optimizer.dynamic_scale) < 2.0**15
