"""Raw waveform to the shared pool5 space: 1-D convs over a spectrogram."""

import keras
import tensorflow as tf

from cm_zoo.layers.shared.spectrogram import Spectrogram
from cm_zoo.towers._conv_stage import conv_stage
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

    The spectrogram spans `window_samples` samples, e.g. 2.0 s at 16 kHz
    for 125 frames of 256. A shorter waveform is zero-padded at the end. A
    longer one is embedded whole: it is cut into `ceil(samples /
    window_samples)` full windows, consecutive from its start with the last
    one ending at its end (overlapping the one before where the length is
    not a multiple), and the pool5 outputs of the windows are averaged. A
    waveform of exactly one window length is one window. Amplitudes must
    lie in `[-1, 1]`; a peak above 1 (e.g. int16 samples given as floats)
    raises at run time (see `Spectrogram`).

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
        mel_bins: int or None. Mel bands instead of linear bins (see
            `Spectrogram`; not in the paper). Defaults to `None`.
        centring: string. `"utterance"` (the paper) or `"channel"` (see
            `Spectrogram`). Defaults to `"utterance"`.
        pooling: string. How the last convolution's time steps reach the
            projection: `"flatten"` keeps their order (the paper);
            `"max"` takes each filter's maximum over time, so a word
            counts wherever in the window it is said. Defaults to
            `"flatten"`.
        dtype: string or `keras.DTypePolicy`. Layer dtype policy.

    Input shape:
        `(batch_size, samples)`, float32 mono waveform at 16 kHz in
        `[-1, 1]`, any length (see above).

    Output shape:
        `(batch_size, output_dim)`.

    Example:
    >>> from cm_zoo.towers.sound_tower import SoundTower
    >>> tower = SoundTower(output_dim=6, num_frames=27, frame_length=32,
    ...                    frame_step=16, conv_filters=[4, 4, 4],
    ...                    pool_size=3)
    >>> tower.window_samples
    448
    >>> tower(np.zeros((2, 300), "float32")).shape
    TensorShape([2, 6])
    >>> tower(np.zeros((2, 5000), "float32")).shape  # 12 windows, averaged
    TensorShape([2, 6])
    >>> speech = SoundTower(output_dim=6, num_frames=27, frame_length=32,
    ...                     frame_step=16, conv_filters=[4, 4, 4],
    ...                     pool_size=3, mel_bins=8, centring="channel",
    ...                     pooling="max")
    >>> speech(np.zeros((2, 300), "float32")).shape
    TensorShape([2, 6])
    """

    POOLINGS = ("flatten", "max")

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
        mel_bins=None,
        centring="utterance",
        pooling="flatten",
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
        if pooling not in self.POOLINGS:
            raise ValueError(
                f"`pooling` must be one of {self.POOLINGS}. Received: "
                f"pooling={pooling!r}"
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
                mel_bins=mel_bins,
                centring=centring,
                dtype=dtype,
                name="spectrogram",
            ),
            *_conv_layers(
                conv_filters, kernel_sizes, pool_size, use_batch_norm, dtype
            ),
            _over_time(pooling, dtype),
            keras.layers.Dense(
                output_dim, activation="relu", dtype=dtype, name="to_pool5"
            ),
        ]

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
        self.mel_bins = None if mel_bins is None else int(mel_bins)
        self.centring = centring
        self.pooling = pooling

    _config_keys = (
        "output_dim",
        "num_frames",
        "frame_length",
        "frame_step",
        "conv_filters",
        "kernel_sizes",
        "pool_size",
        "use_batch_norm",
        "mel_bins",
        "centring",
        "pooling",
    )

    @property
    def window_samples(self):
        """int. Samples one spectrogram spans (the tower's window)."""
        return self.get_layer("spectrogram").num_samples

    def call(self, inputs, training=None, mask=None):
        if len(inputs.shape) == 3:
            raise ValueError(
                f"Modality 'sound': tower {self.name!r} expects mono "
                "waveforms of shape (batch_size, samples); received shape "
                f"{tuple(inputs.shape)}. Mix stereo audio down to mono."
            )
        self.check_input(inputs, "sound")
        windows = _windows(inputs, self.window_samples)  # [B, W, S]
        batch_size = inputs.shape[0] or tf.shape(windows)[0]
        pool5 = super().call(
            tf.reshape(windows, [-1, self.window_samples]),
            training=training,
            mask=mask,
        )  # [B * W, D]
        pool5 = tf.reshape(
            pool5, [batch_size, tf.shape(windows)[1], self.output_dim]
        )
        return tf.reduce_mean(pool5, axis=1)  # [B, D]


def _conv_layers(conv_filters, kernel_sizes, pool_size, use_batch_norm, dtype):
    """conv1..conv3, each followed by a max-pooling of `pool_size`."""
    layers = []
    for index, (filters, size) in enumerate(zip(conv_filters, kernel_sizes)):
        layers += conv_stage(
            keras.layers.Conv1D,
            filters,
            size,
            use_batch_norm=use_batch_norm,
            dtype=dtype,
            name=f"conv{index + 1}",
        )
        layers.append(
            keras.layers.MaxPooling1D(
                pool_size, dtype=dtype, name=f"pool{index + 1}"
            )
        )
    return layers


def _over_time(pooling, dtype):
    """The layer from the last convolution's `[T, C]` map to a vector."""
    if pooling == "max":
        return keras.layers.GlobalMaxPooling1D(dtype=dtype, name="max_time")
    return keras.layers.Flatten(dtype=dtype, name="flatten")


def _windows(waveform, window_samples):
    """Cuts `[B, samples]` into `[B, W, window_samples]` full windows.

    `W = max(1, ceil(samples / window_samples))`: consecutive windows from
    the start, the last one moved back to end at the last sample (so it
    overlaps the one before unless the length is a multiple). Together they
    cover the waveform and each is full. A waveform shorter than one window
    is zero-padded at the end to one window.
    """
    length = tf.shape(waveform)[1]
    waveform = tf.pad(
        waveform, [[0, 0], [0, tf.maximum(window_samples - length, 0)]]
    )
    span = tf.maximum(length, window_samples)
    count = (span + window_samples - 1) // window_samples
    # Slices and a reshape, not a gather: a gather of every sample costs
    # ~25x as much on CPU.
    head = tf.reshape(
        waveform[:, : (count - 1) * window_samples],
        [tf.shape(waveform)[0], count - 1, window_samples],
    )  # [B, W - 1, S]
    tail = waveform[:, None, span - window_samples : span]  # [B, 1, S]
    return tf.concat([head, tail], axis=1)


def _three_positive_ints(values, arg):
    values = [int(v) for v in values]
    if len(values) != 3 or min(values) < 1:
        raise ValueError(
            f"`{arg}` must be 3 positive ints. Received: {arg}={values}"
        )
    return values
