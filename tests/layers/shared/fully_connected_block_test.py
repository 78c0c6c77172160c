import keras
import numpy as np
import pytest

from cm_zoo.layers.shared import FullyConnectedBlock
from cm_zoo.layers.shared import ImagePreprocessing
from tests import test_case


def test_fully_connected_block_contract():
    # Seeded: with 4 x 5 units after ReLU and dropout 0.5, an unlucky draw
    # (~0.3%) zeroes every output and the train-step check sees no update.
    keras.utils.set_random_seed(0)
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


def test_activation_before_dropout_is_the_inference_output():
    block = FullyConnectedBlock(64, dropout=0.5)
    x = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
    activation, output = block(x, training=True, return_activation=True)
    np.testing.assert_array_equal(activation, block(x, training=False))
    dropped = output.numpy() == 0
    assert dropped.mean() > (activation.numpy() == 0).mean() + 0.2
    kept = ~dropped
    np.testing.assert_allclose(
        output.numpy()[kept], 2.0 * activation.numpy()[kept], rtol=1e-6
    )


def test_symbolic_call_returns_both_shapes():
    x = keras.Input((16,))
    activation, output = FullyConnectedBlock(4)(x, return_activation=True)
    assert tuple(activation.shape) == tuple(output.shape) == (None, 4)


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


@pytest.mark.parametrize("input_dim, units", [(16, 64), (1024, 1024)])
def test_undropped_inputs_get_the_activation_without_dropout(input_dim, units):
    """Small kernels take two matmuls, from 2**20 elements one is shared."""
    block = FullyConnectedBlock(units, dropout=0.5)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, input_dim)).astype("float32")
    clean = rng.normal(size=(5, input_dim)).astype("float32")
    activation, output, undropped = block(
        x, training=True, return_activation=True, undropped_inputs=clean
    )
    np.testing.assert_allclose(activation, block(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(undropped, block(clean), rtol=1e-5, atol=1e-5)
    assert (output.numpy() == 0).mean() > (activation.numpy() == 0).mean() + 0.2
    output, undropped = block(x, training=True, undropped_inputs=clean)
    assert tuple(output.shape) == (8, units)
    assert tuple(undropped.shape) == (5, units)
    inputs = keras.Input((input_dim,))
    symbolic = block(inputs, undropped_inputs=keras.Input((input_dim,)))
    assert [tuple(t.shape) for t in symbolic] == [(None, units)] * 2


def test_row_groups_draw_the_masks_of_one_call_per_group():
    blocks = []
    for _ in range(2):  # same weights and dropout seed
        keras.utils.set_random_seed(5)
        block = FullyConnectedBlock(32, dropout=0.5)
        block.build((None, 8))
        blocks.append(block)
    x = np.random.default_rng(2).normal(size=(10, 8)).astype("float32")
    joined = blocks[0](x, training=True, row_groups=[4, 6])
    separate = [
        blocks[1](x[:4], training=True),
        blocks[1](x[4:], training=True),
    ]
    np.testing.assert_allclose(joined, np.concatenate(separate), rtol=1e-6)
