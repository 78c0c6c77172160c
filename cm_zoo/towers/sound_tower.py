"""Raw waveform to the shared pool5 space: 1-D convs over a spectrogram."""

import keras

from cm_zoo.layers.shared.spectrogram import Spectrogram
from cm_zoo.towers.tower import Tower


@keras.saving.register_keras_serializable(package="cm_zoo")
class SoundTower(Tower):
    """The See-Hear-Read sound network, from a mono waveform to pool5.

    Section 3.5 of See, Hear, and Read: the spectrogram (computed in the
    graph by `Spectrogram`, `num_frames` time steps x `frame_length//2+1`
    frequency channels) goes through three 1-D convolutions over time
    (`same` padding, ReLU), each followed by a max-pooling of `pool_size`;
    the resulting map (4x256 in the paper) is flattened and projected by a
    fully connected ReLU layer to `output_dim` (9216, the width of the
    image tower's pool5), which feeds the shared upper layers.

    Args:
        output_dim: int. Width of pool5 (9216 in the paper).
        num_frames: int. Spectrogram time steps (500 in the paper).
        frame_length: int. STFT window in samples at 16 kHz. Defaults to
            `512` (257 frequency bins).
        frame_step: int. STFT hop in samples. Defaults to `160`.
        conv_filters: list of 3 ints. Filters of the convolutions. Defaults
            to `[128, 256, 256]`.
        kernel_sizes: list of 3 ints. Kernel sizes. Defaults to
            `[11, 5, 3]`.
        pool_size: int. Max-pooling factor after each convolution.
            Defaults to `5`.
        use_batch_norm: bool. Batch-normalise each convolution (not in the
            paper; helps small models trained from scratch). Defaults to
            `False`.
        dtype: string or `keras.DTypePolicy`. Layer dtype policy.

    Input shape:
        `(batch_size, samples)`, float32 mono waveform at 16 kHz, any
        length (padded or cropped to the spectrogram's span).

    Output shape:
        `(batch_size, output_dim)`.

    Example:
    >>> from cm_zoo.towers.sound_tower import SoundTower
    >>> tower = SoundTower(output_dim=6, num_frames=27, frame_length=32,
    ...                    frame_step=16, conv_filters=[4, 4, 4],
    ...                    pool_size=3)
    >>> tower(np.zeros((2, 300), "float32")).shape
    TensorShape([2, 6])
    """

    def __init__(
        self,
        output_dim,
        num_frames,
        frame_length=512,
        frame_step=160,
        conv_filters=(128, 256, 256),
        kernel_sizes=(11, 5, 3),
        pool_size=5,
        use_batch_norm=False,
        dtype=None,
        **kwargs,
    ):
        conv_filters = _three_positive_ints(conv_filters, "conv_filters")
        kernel_sizes = _three_positive_ints(kernel_sizes, "kernel_sizes")
        if int(pool_size) < 1:
            raise ValueError(
                "`pool_size` must be a positive int. "
                f"Received: pool_size={pool_size}"
            )
        if int(num_frames) // int(pool_size) ** 3 < 1:
            raise ValueError(
                f"Tower {kwargs.get('name')!r}: `num_frames`={num_frames} is "
                f"too short for three max-poolings of {pool_size}; the "
                "convolution output would be empty."
            )

        # === Layers ===
        stages = [
            Spectrogram(
                num_frames,
                frame_length=frame_length,
                frame_step=frame_step,
                dtype=dtype,
                name="spectrogram",
            )
        ]
        for index, (filters, size) in enumerate(
            zip(conv_filters, kernel_sizes)
        ):
            stages += _conv_stage(
                filters, size, use_batch_norm, dtype, f"conv{index + 1}"
            )
            stages.append(
                keras.layers.MaxPooling1D(
                    pool_size, dtype=dtype, name=f"pool{index + 1}"
                )
            )
        stages.append(keras.layers.Flatten(dtype=dtype, name="flatten"))
        stages.append(
            keras.layers.Dense(
                output_dim, activation="relu", dtype=dtype, name="to_pool5"
            )
        )

        # === Functional model ===
        waveform = keras.Input(shape=(None,), dtype="float32", name="waveform")
        x = waveform
        for stage in stages:
            x = stage(x)
        super().__init__(inputs=waveform, outputs=x, dtype=dtype, **kwargs)

        # === Config ===
        self.num_frames = int(num_frames)
        self.frame_length = int(frame_length)
        self.frame_step = int(frame_step)
        self.conv_filters = conv_filters
        self.kernel_sizes = kernel_sizes
        self.pool_size = int(pool_size)
        self.use_batch_norm = bool(use_batch_norm)

    _config_keys = (
        "output_dim",
        "num_frames",
        "frame_length",
        "frame_step",
        "conv_filters",
        "kernel_sizes",
        "pool_size",
        "use_batch_norm",
    )

    def call(self, inputs, training=None, mask=None):
        if len(inputs.shape) == 3:
            raise ValueError(
                f"Modality 'sound': tower {self.name!r} expects mono "
                "waveforms of shape (batch_size, samples); received shape "
                f"{tuple(inputs.shape)}. Mix stereo audio down to mono."
            )
        self.check_input(inputs, "sound")
        return super().call(inputs, training=training, mask=mask)


def _conv_stage(filters, kernel_size, use_batch_norm, dtype, name):
    """Conv1D + ReLU (optionally with batch norm in between)."""
    conv = keras.layers.Conv1D(
        filters,
        kernel_size,
        padding="same",
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


def _three_positive_ints(values, arg):
    values = [int(v) for v in values]
    if len(values) != 3 or min(values) < 1:
        raise ValueError(
            f"`{arg}` must be 3 positive ints. Received: {arg}={values}"
        )
    return values
