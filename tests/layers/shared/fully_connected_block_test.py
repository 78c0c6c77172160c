import numpy as np
import pytest

from cm_zoo.layers.shared import FullyConnectedBlock
from cm_zoo.layers.shared import ImagePreprocessing
from tests import test_case


def test_fully_connected_block_contract():
    out = test_case.run_layer_test(
        FullyConnectedBlock,
        {"hidden_dim": 5, "dropout": 0.5},
        np.random.default_rng(0).normal(size=(4, 3)).astype("float32"),
        (4, 5),
        expected_num_trainable_weights=2,
    )
    assert (out.numpy() >= 0).all()


def test_dropout_only_in_training():
    block = FullyConnectedBlock(64, dropout=0.5)
    x = np.ones((8, 16), "float32")
    np.testing.assert_array_equal(block(x), block(x))
    assert (block(x, training=True).numpy() == 0).mean() > 0.2


def test_image_preprocessing_contract_and_range():
    images = np.random.default_rng(0).integers(0, 256, (2, 9, 7, 3), "uint8")
    out = test_case.run_layer_test(
        ImagePreprocessing, {"image_size": 5}, images, (2, 5, 5, 3)
    ).numpy()
    assert out.min() >= -1.0 and out.max() <= 1.0


@pytest.mark.parametrize("bad", [{"hidden_dim": 0}, {"dropout": 1.0}])
def test_bad_block_config(bad):
    with pytest.raises(ValueError, match=list(bad)[0]):
        FullyConnectedBlock(**{"hidden_dim": 3, **bad})
