import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo import training


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _data_with_nan_at(step):
    x = np.ones((8, 4, 2), "float32")
    x[step] = np.nan
    return tf.data.Dataset.from_tensor_slices((x, np.ones((8, 4, 1)))).repeat()


def test_nan_in_data_stops_training_naming_last_checkpoint(tmp_path):
    with pytest.raises(
        training.NonFiniteLossError,
        match=r"Loss is nan at epoch 2, batch 0.*Last good checkpoint: "
        r".*checkpoints[/\\]ckpt-4",
    ):
        training.train_task(
            _model(),
            _data_with_nan_at(4),
            strategy=tf.distribute.get_strategy(),
            run_dir=tmp_path,
            epochs=3,
            steps_per_epoch=2,
            verbose=0,
        )
    # The NaN step was never checkpointed, nor any final weights written.
    assert tf.train.latest_checkpoint(tmp_path / "checkpoints").endswith(
        "ckpt-4"
    )
    assert not (tmp_path / "task.weights.h5").exists()
    restored = _model()
    restored.optimizer.build(restored.trainable_variables)
    training.RunCheckpoint(restored, tmp_path / "checkpoints").restore()
    assert all(np.isfinite(w).all() for w in restored.get_weights())
