"""Random speed, shift, gain and background noise of speech, in training."""

import types

import keras

from cm_zoo.layers.shared._training_only_augmentation import (
    TrainingOnlyAugmentation,
)
from cm_zoo.layers.shared._training_only_augmentation import check_range
from cm_zoo.layers.shared._training_only_augmentation import check_rate
from cm_zoo.layers.shared._training_only_augmentation import check_static_shape

# Spectral slope of each noise colour: power falls as 1 / f**exponent.
NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}
# Coloured noise is high-passed here so its power stays audible.
_NOISE_LOW_CUT_HZ = 20.0
# Samples quieter than this do not count as signal when measuring its power.
_SILENCE = 1e-4


@keras.saving.register_keras_serializable(package="cm_zoo")
class WaveformAugmentation(TrainingOnlyAugmentation):
    """Varies recorded speech as users' recordings vary, only when training.

    Each example of the batch gets its own draw of: a speed change by
    resampling (a faster clip is also higher-pitched, as a tape played
    faster), a time shift (silence before the speech, or its start cut),
    background noise at a random signal-to-noise ratio (white, pink or
    brown), and a gain. Clips keep their length: resampled speech running
    past the end is cut, and what it leaves is silence. The result is
    clipped to `[-1, 1]`. The signal power behind the SNR is measured over
    non-silent samples, so zero padding does not make the noise quieter.

    With `training=False` or no `training` argument the input is returned
    unchanged, so an exported encoder never augments.

    Args:
        sample_rate: int. Samples per second of the waveforms. Defaults to
            `16000`.
        speed_range: pair of floats. Playback speed factor, drawn uniformly;
            `(1, 1)` disables. Defaults to `(0.85, 1.15)`.
        shift_range: pair of floats. Shift in seconds, drawn uniformly;
            positive delays the speech (silence before it), negative cuts
            its start. Defaults to `(-0.1, 0.4)`.
        gain_range: pair of floats. Gain in dB, drawn uniformly. Defaults to
            `(-10., 6.)`.
        noise_rate: float. Probability of adding noise to an example.
            Defaults to `0.5`.
        snr_range: pair of floats. Signal-to-noise ratio in dB, drawn
            uniformly. Defaults to `(5., 30.)`.
        noise_colors: tuple of str. Noise colours drawn from, uniformly:
            any of `"white"`, `"pink"`, `"brown"`. Defaults to all three.
        seed: int or None. Seed of the random draws. Defaults to `None`.

    Call arguments:
        waveforms: float tensor of samples in `[-1, 1]`.
        training: bool. Augment only if `True`. Defaults to `None`.

    Input shape:
        `(batch_size, samples)`, float.

    Output shape:
        Same as the input, same dtype.

    Example:
    >>> from cm_zoo.layers.shared import WaveformAugmentation
    >>> t = np.arange(16000, dtype="float32") / 16000
    >>> speech = 0.5 * np.sin(2 * np.pi * 220 * t)[None]
    >>> layer = WaveformAugmentation(noise_rate=1.0, seed=0)
    >>> bool(np.array_equal(layer(speech), speech))
    True
    >>> heard = layer(speech, training=True).numpy()
    >>> heard.shape, heard.dtype, bool(np.abs(heard).max() <= 1)
    ((1, 16000), dtype('float32'), True)
    >>> bool(np.array_equal(heard, speech))
    False
    """

    VARIATIONS_OFF = types.MappingProxyType(
        {
            "speed_range": (1.0, 1.0),
            "shift_range": (0.0, 0.0),
            "gain_range": (0.0, 0.0),
            "noise_rate": 0.0,
        }
    )

    def __init__(
        self,
        sample_rate=16000,
        speed_range=(0.85, 1.15),
        shift_range=(-0.1, 0.4),
        gain_range=(-10.0, 6.0),
        noise_rate=0.5,
        snr_range=(5.0, 30.0),
        noise_colors=tuple(NOISE_EXPONENTS),
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        if isinstance(sample_rate, bool) or not int(sample_rate) > 0:
            raise ValueError(
                "`sample_rate` must be a positive int. "
                f"Received: sample_rate={sample_rate!r}"
            )
        unknown = [c for c in noise_colors if c not in NOISE_EXPONENTS]
        if isinstance(noise_colors, str) or unknown or not noise_colors:
            raise ValueError(
                "`noise_colors` must be a non-empty list of "
                f"{list(NOISE_EXPONENTS)}. Received: "
                f"noise_colors={noise_colors!r}"
            )
        self.sample_rate = int(sample_rate)
        self.speed_range = check_range("speed_range", speed_range, low=0.1)
        self.shift_range = check_range("shift_range", shift_range)
        self.gain_range = check_range("gain_range", gain_range)
        self.noise_rate = check_rate("noise_rate", noise_rate)
        self.snr_range = check_range("snr_range", snr_range)
        self.noise_colors = tuple(noise_colors)

    def _check_input(self, waveforms):
        check_static_shape(
            self, waveforms, 2, "float waveforms of shape (batch_size, samples)"
        )
        dtype = keras.backend.standardize_dtype(waveforms.dtype)
        if not keras.backend.is_float_dtype(dtype):
            raise ValueError(
                f"Layer {self.name!r} expects float waveforms in [-1, 1]. "
                f"Received: dtype={dtype}"
            )

    def _augment(self, waveforms):
        x = keras.ops.cast(waveforms, "float32")
        x = self._resample(x)
        x = self._on_chosen(x, self.noise_rate, self._add_noise)
        batch = keras.ops.shape(x)[0]
        gain_db = self._uniform((batch, 1), *self.gain_range)
        x = x * keras.ops.power(10.0, gain_db / 20.0)
        return keras.ops.cast(keras.ops.clip(x, -1.0, 1.0), waveforms.dtype)

    def _resample(self, x):
        """Output sample `t` reads input `(t - shift) * speed`, linearly."""
        batch = keras.ops.shape(x)[0]
        speed = self._uniform((batch,), *self.speed_range)
        shift = self._uniform((batch,), *self.shift_range) * self.sample_rate
        zeros = keras.ops.zeros_like(speed)
        ones = keras.ops.ones_like(speed)
        transform = keras.ops.stack(
            [speed, zeros, -shift * speed, zeros, ones, zeros, zeros, zeros],
            axis=1,
        )
        # The clips as one-row images: one fused op reads and interpolates
        # (a third of the time of two gathers), silence outside the clip.
        # It refuses empty images, which empty clips would be.
        return keras.ops.cond(
            keras.ops.shape(x)[1] > 0,
            lambda: keras.ops.image.affine_transform(
                x[:, None, :, None], transform, fill_mode="constant"
            )[:, 0, :, 0],
            lambda: x,
        )

    def _add_noise(self, x):
        """Adds coloured noise at a drawn SNR to each clip."""
        batch, samples = keras.ops.shape(x)[0], keras.ops.shape(x)[1]
        noise = self._colored_noise(batch, samples)
        noise_power = keras.ops.mean(noise * noise, axis=1, keepdims=True)
        active = keras.ops.cast(keras.ops.abs(x) > _SILENCE, "float32")
        signal_power = keras.ops.sum(x * x, axis=1, keepdims=True) / (
            keras.ops.maximum(keras.ops.sum(active, axis=1, keepdims=True), 1.0)
        )
        snr_db = self._uniform((batch, 1), *self.snr_range)
        scale = keras.ops.sqrt(
            signal_power
            / keras.ops.maximum(noise_power, 1e-12)
            / keras.ops.power(10.0, snr_db / 10.0)
        )
        return x + scale * noise

    def _colored_noise(self, batch, samples):
        """Noise shaped in the frequency domain, `[B, N]`, of any scale."""
        # A power-of-two FFT length >= N: prime lengths (32002 for 2 s at
        # 16 kHz) take several times as long.
        n = keras.ops.cast(keras.ops.maximum(samples, 2), "float32")
        length = keras.ops.power(2.0, keras.ops.ceil(keras.ops.log2(n)))
        length = keras.ops.where(length < n, 2.0 * length, length)
        bins = keras.ops.cast(length, "int32") // 2 + 1
        # Uniform, not normal, spectra: 10x cheaper to draw on CPU, and each
        # time sample, a sum over all bins, is Gaussian all the same.
        real = self._uniform((batch, bins), -1.0, 1.0)
        imag = self._uniform((batch, bins), -1.0, 1.0)
        hertz = keras.ops.cast(keras.ops.arange(bins), "float32") * (
            self.sample_rate / length
        )
        relative = keras.ops.maximum(hertz / _NOISE_LOW_CUT_HZ, 1.0)
        audible = keras.ops.cast(hertz >= _NOISE_LOW_CUT_HZ, "float32")
        curves = keras.ops.stack(
            [
                audible * keras.ops.power(relative, -NOISE_EXPONENTS[c] / 2.0)
                for c in self.noise_colors
            ]
        )  # [colours, F], one amplitude curve per colour
        pick = self._uniform((batch,), 0.0, float(len(self.noise_colors)))
        pick = keras.ops.minimum(
            keras.ops.cast(pick, "int32"), len(self.noise_colors) - 1
        )
        amplitude = keras.ops.take(curves, pick, axis=0)  # [B, F]
        noise = keras.ops.irfft((real * amplitude, imag * amplitude))
        return noise[:, :samples]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sample_rate": self.sample_rate,
                "speed_range": self.speed_range,
                "shift_range": self.shift_range,
                "gain_range": self.gain_range,
                "noise_rate": self.noise_rate,
                "snr_range": self.snr_range,
                "noise_colors": self.noise_colors,
            }
        )
        return config
