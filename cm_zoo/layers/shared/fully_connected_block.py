"""Dense + ReLU + dropout: the fc6/fc7 block of AlexNet-style upper layers."""

import math

import keras

# Kernel size (elements) from which `undropped_inputs` share the inputs'
# matmul. On 2 CPU cores the shared matmul saved 3-6% of a Method B
# training step with the paper's 4096 x 4096 fc7 (the kernel, 64 MB, read
# once instead of twice), and cost 1.5% with the tiny preset's 256 x 256
# one (the concatenation and slicing outweigh a cached kernel's read).
_ONE_MATMUL_MIN_KERNEL = 2**20


@keras.saving.register_keras_serializable(package="cm_zoo")
class FullyConnectedBlock(keras.layers.Layer):
    """A fully connected layer with ReLU and dropout, as AlexNet's fc6/fc7.

    The output is the post-ReLU activation (the feature the papers call
    fc6/fc7) after dropout, which applies only with `training=True`. With
    `return_activation=True` the call also returns the activation before
    dropout: the feature a StatReg prior, fitted in inference mode, models.

    Args:
        hidden_dim: int. Output units.
        dropout: float. Dropout rate in `[0, 1)`. Defaults to `0.5`.
        kernel_initializer: initializer for the kernel. Defaults to
            `"glorot_uniform"`.

    Call arguments:
        inputs: float tensor.
        training: bool. Applies dropout when true.
        return_activation: bool. Return `(activation, output)`: the
            activation before dropout, and the output. Defaults to `False`.
        undropped_inputs: optional float tensor `(batch_size_2,
            input_dim)`. Also return, last, its activation without
            dropout, e.g. StatReg's view of a layer during training. With
            a kernel of 2**20 elements or more it shares the matmul of
            `inputs` (the kernel is read once). Defaults to `None`.
        row_groups: optional list of int. `inputs` is these consecutive
            groups of rows (e.g. one per modality): dropout draws one mask
            per group, in order, exactly as one call per group would, so
            that joining the groups into one matmul leaves the training
            randomness unchanged. Defaults to `None` (one group).

    Input shape:
        `(batch_size, input_dim)`.

    Output shape:
        `(batch_size, hidden_dim)`, or two of them with
        `return_activation=True`, and `(batch_size_2, hidden_dim)` last
        with `undropped_inputs`.

    Example:
    >>> from cm_zoo.layers.shared import FullyConnectedBlock
    >>> FullyConnectedBlock(hidden_dim=3)(np.ones((2, 5), "float32")).shape
    TensorShape([2, 3])
    >>> block = FullyConnectedBlock(hidden_dim=3, dropout=0.5)
    >>> x = np.ones((2, 5), "float32")
    >>> activation, output = block(x, training=True, return_activation=True)
    >>> bool(np.array_equal(activation, block(x)))
    True
    """

    def __init__(
        self,
        hidden_dim,
        dropout=0.5,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(hidden_dim) < 1:
            raise ValueError(
                "`hidden_dim` must be a positive int. "
                f"Received: hidden_dim={hidden_dim}"
            )
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(
                f"`dropout` must be in [0, 1). Received: dropout={dropout}"
            )
        self.hidden_dim = int(hidden_dim)
        self.dropout = float(dropout)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self._dense = keras.layers.Dense(
            self.hidden_dim,
            activation="relu",
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="dense",
        )
        self._dropout = keras.layers.Dropout(
            self.dropout, dtype=self.dtype_policy, name="dropout"
        )

    def build(self, input_shape):
        self._dense.build(input_shape)

    def call(
        self,
        inputs,
        training=None,
        return_activation=False,
        undropped_inputs=None,
        row_groups=None,
    ):
        if undropped_inputs is None:
            activation = self._dense(inputs)
        elif math.prod(self._dense.kernel.shape) < _ONE_MATMUL_MIN_KERNEL:
            activation = self._dense(inputs)
            undropped = self._dense(undropped_inputs)
        else:
            # One matmul for both batches: the kernel is read once, forward
            # and backward, instead of once per batch.
            sizes = [keras.ops.shape(x)[0] for x in (inputs, undropped_inputs)]
            both = self._dense(join_rows([inputs, undropped_inputs]))
            activation, undropped = split_rows(both, sizes)
        if row_groups is None or not training:
            output = self._dropout(activation, training=training)
        else:  # masks drawn group by group, as separate calls draw them
            output = join_rows(
                [
                    self._dropout(rows, training=training)
                    for rows in split_rows(activation, row_groups)
                ]
            )
        outputs = (activation, output) if return_activation else (output,)
        if undropped_inputs is not None:
            outputs += (undropped,)
        return outputs if len(outputs) > 1 else output

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.hidden_dim)

    def compute_output_spec(
        self,
        inputs,
        training=None,
        return_activation=False,
        undropped_inputs=None,
        row_groups=None,
    ):
        output = keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype=self.compute_dtype
        )
        outputs = (output, output) if return_activation else (output,)
        if undropped_inputs is not None:
            outputs += (
                keras.KerasTensor(
                    self.compute_output_shape(undropped_inputs.shape),
                    dtype=self.compute_dtype,
                ),
            )
        return outputs if len(outputs) > 1 else output

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "dropout": self.dropout,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
            }
        )
        return config


def join_rows(batches):
    """The batches as one, along the rows (the batch itself if alone)."""
    if len(batches) == 1:
        return batches[0]
    return keras.ops.concatenate(batches, axis=0)


def split_rows(batch, sizes):
    """`join_rows`' inverse: consecutive groups of `sizes` rows each."""
    if len(sizes) == 1:
        return [batch]
    groups, start = [], 0
    for size in sizes:
        groups.append(batch[start : start + size])
        start = start + size
    return groups
