"""Raw mono waveforms to mean-subtracted log spectrograms, in the graph."""

import keras
import tensorflow as tf

# Waveforms are 16 kHz; the mel bands span most of the speech band.
_SAMPLE_RATE = 16000
_MEL_LOW_HZ = 125.0
_MEL_HIGH_HZ = 7600.0


@keras.saving.register_keras_serializable(package="cm_zoo")
class Spectrogram(keras.layers.Layer):
    """Computes a fixed-size log-magnitude spectrogram from a raw waveform.

    The See-Hear-Read sound input (section 2 and 3.5): each waveform is
    zero-padded at the end or cropped to exactly
    `(num_frames - 1) * frame_step + frame_length` samples, framed with a
    periodic Hann window, transformed with `tf.signal.stft` (FFT size
    `frame_length`, so `frame_length // 2 + 1` bins: 257 at 512), mapped to
    `log(1 + |X|)`, and the mean of each example's spectrogram (over time
    and frequency) is subtracted. All of it runs in float32 inside the
    graph, so an exported sound encoder takes a waveform; the output is cast
    to the compute dtype.

    Two options, not in the paper, make the features depend less on who
    speaks: `mel_bins` sums the magnitudes into that many mel bands
    (`tf.signal.linear_to_mel_weight_matrix`, 125 Hz to 7.6 kHz at 16 kHz)
    before the log, so pitch harmonics blur into the formant envelope;
    `centring="channel"` subtracts each band's own mean over time (cepstral
    mean normalisation), which removes the speaker's and the microphone's
    average spectrum instead of one loudness offset.

    Input checks: a batch of stereo or otherwise non-`(batch, samples)`
    audio raises `ValueError` when the layer is called (mix down to mono
    first); a waveform holding NaN or Inf, or with a peak amplitude above
    1 (e.g. int16 samples given as floats: divide them by 32768), raises
    `tf.errors.InvalidArgumentError` at run time, naming the sound input
    and the peak found. An empty waveform (0 samples) is padded to silence
    and gives an all-zero spectrogram (no error). A waveform longer than
    `num_samples` is cropped here; `cm_zoo.towers.SoundTower` instead cuts
    it into windows of `num_samples` and averages them.

    Args:
        num_frames: int. Time steps of the output (500 in the paper).
        frame_length: int. Window and FFT length in samples. Defaults to
            `512`.
        frame_step: int. Hop between frames in samples. Defaults to `160`
            (10 ms at 16 kHz).
        mel_bins: int or None. Mel bands of the output; `None` keeps the
            `frame_length // 2 + 1` linear bins (the paper). Defaults to
            `None`.
        centring: string. `"utterance"`: subtract the example's mean over
            time and frequency (the paper); `"channel"`: subtract each
            frequency channel's mean over time. Defaults to `"utterance"`.
        dtype: string or `keras.DTypePolicy`. Layer dtype policy.

    Input shape:
        `(batch_size, samples)`, float waveform in `[-1, 1]` at 16 kHz, any
        number of samples.

    Output shape:
        `(batch_size, num_frames, num_bins)`: `mel_bins`, or
        `frame_length // 2 + 1` without them.

    Example:
    >>> from cm_zoo.layers.shared.spectrogram import Spectrogram
    >>> layer = Spectrogram(num_frames=10, frame_length=64, frame_step=32)
    >>> y = layer(np.random.default_rng(0).uniform(-1, 1, size=(2, 100)))
    >>> tuple(y.shape), round(float(np.mean(y[0])), 5)
    ((2, 10, 33), 0.0)
    >>> mel = Spectrogram(num_frames=10, frame_length=64, frame_step=32,
    ...                   mel_bins=8, centring="channel")
    >>> z = mel(np.random.default_rng(0).uniform(-1, 1, size=(2, 100)))
    >>> tuple(z.shape), bool(np.allclose(np.mean(z[0], axis=0), 0, atol=1e-5))
    ((2, 10, 8), True)
    """

    CENTRINGS = ("utterance", "channel")

    def __init__(
        self,
        num_frames,
        frame_length=512,
        frame_step=160,
        mel_bins=None,
        centring="utterance",
        **kwargs,
    ):
        super().__init__(**kwargs)
        checked = [
            ("num_frames", num_frames),
            ("frame_length", frame_length),
            ("frame_step", frame_step),
        ]
        if mel_bins is not None:
            checked.append(("mel_bins", mel_bins))
        for arg, value in checked:
            if int(value) < 1:
                raise ValueError(
                    f"`{arg}` must be a positive int. Received: {arg}={value}"
                )
        self.num_frames = int(num_frames)
        self.frame_length = int(frame_length)
        self.frame_step = int(frame_step)
        if centring not in self.CENTRINGS:
            raise ValueError(
                f"`centring` must be one of {self.CENTRINGS}. Received: "
                f"centring={centring!r}"
            )
        self.mel_bins = None if mel_bins is None else int(mel_bins)
        self.centring = centring
        self._mel_weights = (
            _mel_weights(self.mel_bins, self.frame_length // 2 + 1)
            if self.mel_bins
            else None
        )
        self.built = True

    @property
    def num_samples(self):
        """int. Samples of waveform the `num_frames` frames cover."""
        return (self.num_frames - 1) * self.frame_step + self.frame_length

    @property
    def num_bins(self):
        """int. Frequency channels: `mel_bins`, or `frame_length // 2 + 1`."""
        return self.mel_bins or self.frame_length // 2 + 1

    def call(self, waveform):
        waveform = tf.convert_to_tensor(waveform)
        if waveform.shape.rank != 2:
            hint = (
                " Stereo or multi-channel audio must be mixed down to mono."
                if waveform.shape.rank == 3
                else ""
            )
            raise ValueError(
                f"Layer {self.name!r} (sound input) expects mono waveforms of "
                f"shape (batch_size, samples). Received: shape="
                f"{tuple(waveform.shape)}.{hint}"
            )
        if not (waveform.dtype.is_floating or waveform.dtype.is_integer):
            raise TypeError(
                f"Layer {self.name!r} (sound input) expects a float "
                f"waveform. Received: dtype={waveform.dtype.name}"
            )
        waveform = tf.cast(waveform, "float32")
        waveform = self._check_values(waveform)
        waveform = _fit_length(waveform, self.num_samples)  # [B, samples]
        stft = tf.signal.stft(
            waveform,
            frame_length=self.frame_length,
            frame_step=self.frame_step,
            fft_length=self.frame_length,
            window_fn=tf.signal.hann_window,
        )  # [B, T, F]
        magnitude = tf.abs(stft)
        if self.mel_bins:
            magnitude = tf.matmul(magnitude, self._mel_weights)
        log_magnitude = tf.math.log1p(magnitude)
        mean_axes = [1, 2] if self.centring == "utterance" else [1]
        centred = log_magnitude - tf.reduce_mean(
            log_magnitude, axis=mean_axes, keepdims=True
        )
        return tf.cast(centred, self.compute_dtype)

    def _check_values(self, waveform):
        """Adds the run-time checks: finite samples, peak within [-1, 1]."""
        waveform = tf.debugging.check_numerics(
            waveform,
            f"Layer {self.name!r}: the sound input (waveform) contains NaN or "
            "Inf",
        )
        peak = tf.reduce_max(tf.abs(waveform))  # -inf for an empty batch
        in_range = tf.debugging.assert_less_equal(
            peak,
            1.0,
            message=(
                f"Layer {self.name!r}: the sound input (waveform) must lie "
                "in [-1, 1]; found the peak amplitude below. Scale int16 "
                "audio by 1/32768 (or normalise it) first."
            ),
            summarize=1,
        )
        with tf.control_dependencies([in_range]):
            return tf.identity(waveform)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_frames, self.num_bins)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_frames": self.num_frames,
                "frame_length": self.frame_length,
                "frame_step": self.frame_step,
                "mel_bins": self.mel_bins,
                "centring": self.centring,
            }
        )
        return config


def _mel_weights(mel_bins, num_bins):
    """`[num_bins, mel_bins]` triangular mel filters, a numpy constant."""
    return tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins=mel_bins,
        num_spectrogram_bins=num_bins,
        sample_rate=_SAMPLE_RATE,
        lower_edge_hertz=_MEL_LOW_HZ,
        upper_edge_hertz=_MEL_HIGH_HZ,
    ).numpy()


def _fit_length(waveform, num_samples):
    """Crops or zero-pads `[B, samples]` at the end to `num_samples`."""
    waveform = waveform[:, :num_samples]
    missing = num_samples - tf.shape(waveform)[1]
    padded = tf.pad(waveform, [[0, 0], [0, missing]])
    return tf.ensure_shape(padded, [None, num_samples])
