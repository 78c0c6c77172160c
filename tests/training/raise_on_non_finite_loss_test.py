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


def test_nan_in_data_stops_custom_loop_naming_last_checkpoint(tmp_path):
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
            loop="custom",
        )


def test_nan_in_data_stops_fit_naming_the_backup(tmp_path):
    with pytest.raises(
        training.NonFiniteLossError,
        match=r"Last good checkpoint: .*backup[/\\]latest\.weights\.h5",
    ):
        training.train_task(
            _model(),
            _data_with_nan_at(5),
            strategy=tf.distribute.get_strategy(),
            run_dir=tmp_path,
            epochs=3,
            steps_per_epoch=2,
            loop="fit",
            verbose=0,
        )
    # The NaN weights were never saved over the backup of epoch 1.
    backup = _model()
    backup.load_weights(tmp_path / "backup" / "latest.weights.h5")
    assert all(np.isfinite(w).all() for w in backup.get_weights())
