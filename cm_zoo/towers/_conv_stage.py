"""One convolution stage of a tower: conv, then ReLU or batch norm + ReLU."""

import keras


def conv_stage(
    conv_class,
    filters,
    kernel_size,
    *,
    use_batch_norm,
    dtype,
    name,
    strides=1,
    padding="same",
):
    """Returns the layers of one stage, named `name`, `name_bn`, `name_relu`.

    Without batch norm the convolution has a bias and a ReLU activation;
    with it, the convolution has no bias and is followed by
    `BatchNormalization` and a `ReLU` layer.

    Args:
        conv_class: `keras.layers.Conv1D` or `keras.layers.Conv2D`.
        filters: int. Output channels.
        kernel_size: int. Kernel side.
        use_batch_norm: bool. Insert batch norm before the ReLU.
        dtype: string or `keras.DTypePolicy`. Dtype policy of every layer.
        name: str. Name of the convolution.
        strides: int. Convolution stride. Defaults to `1`.
        padding: str. Convolution padding. Defaults to `"same"`.

    Example:
    >>> from cm_zoo.towers._conv_stage import conv_stage
    >>> layers = conv_stage(keras.layers.Conv1D, 4, 3, use_batch_norm=True,
    ...                     dtype=None, name="conv1")
    >>> [layer.name for layer in layers]
    ['conv1', 'conv1_bn', 'conv1_relu']
    """
    conv = conv_class(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=not use_batch_norm,
        activation=None if use_batch_norm else "relu",
        dtype=dtype,
        name=name,
    )
    if not use_batch_norm:
        return [conv]
    return [
        conv,
        keras.layers.BatchNormalization(dtype=dtype, name=f"{name}_bn"),
        keras.layers.ReLU(dtype=dtype, name=f"{name}_relu"),
    ]
