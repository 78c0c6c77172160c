import numpy as np
import pytest

from cm_zoo.layers.shared import WaveformAugmentation
from tests.layers.shared.augmentation_contract import (
    check_augmentation_contract,
)

RATE = 1000


def only(seed=0, **variation):
    return WaveformAugmentation.only(seed=seed, sample_rate=RATE, **variation)


def speech(batch=3, samples=2000):
    """Tones of different pitch with silence after them, as padded clips."""
    t = np.arange(samples) / RATE
    clips = np.zeros((batch, samples), "float32")
    for row in range(batch):
        clips[row, : samples // 2] = 0.5 * np.sin(
            2 * np.pi * (50 + 30 * row) * t[: samples // 2] + 0.3
        )
    return clips


def band_power(noise, low, high):
    spectrum = np.abs(np.fft.rfft(noise)) ** 2
    hertz = np.fft.rfftfreq(noise.shape[-1], 1 / RATE)
    return spectrum[..., (hertz >= low) & (hertz < high)].mean()


def test_layer_contract(tmp_path):
    check_augmentation_contract(
        WaveformAugmentation,
        {"sample_rate": RATE, "noise_rate": 1.0},
        speech(),
        tmp_path,
    )


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_everything_off_is_identity_in_any_float_dtype(dtype):
    clips = speech().astype(dtype)
    out = only()(clips, training=True).numpy()
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, clips)


def test_defaults_keep_shape_dtype_and_range():
    clips = np.random.default_rng(0).uniform(-1, 1, (4, 32000))
    out = WaveformAugmentation(seed=0)(clips.astype("float32"), training=True)
    assert out.dtype == "float32" and tuple(out.shape) == (4, 32000)
    assert float(np.abs(out).max()) <= 1.0


def test_speed_resamples_and_leaves_silence():
    clips = speech()
    out = only(speed_range=(2.0, 2.0))(clips, training=True).numpy()
    np.testing.assert_allclose(out[:, :1000], clips[:, ::2], atol=1e-6)
    np.testing.assert_array_equal(out[:, 1000:], 0.0)


def test_slower_speed_interpolates_linearly():
    clips = speech(batch=1)
    out = only(speed_range=(0.5, 0.5))(clips, training=True).numpy()
    np.testing.assert_allclose(out[0, 0:20:2], clips[0, :10], atol=1e-6)
    np.testing.assert_allclose(
        out[0, 1:20:2], (clips[0, :10] + clips[0, 1:11]) / 2, atol=1e-6
    )


@pytest.mark.parametrize("seconds", [0.25, -0.1])
def test_shift_delays_or_cuts_the_start(seconds):
    clips = speech()
    out = only(shift_range=(seconds, seconds))(clips, training=True).numpy()
    shift = round(seconds * RATE)
    expected = np.zeros_like(clips)
    if shift > 0:
        expected[:, shift:] = clips[:, :-shift]
    else:
        expected[:, :shift] = clips[:, -shift:]
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_gain_scales_and_clips():
    clips = speech()
    half = only(gain_range=(-6.0206, -6.0206))(clips, training=True).numpy()
    np.testing.assert_allclose(half, clips / 2, atol=1e-5)
    loud = only(gain_range=(20.0, 20.0))(clips, training=True).numpy()
    assert np.abs(loud).max() == 1.0


def test_noise_has_the_drawn_snr_over_the_speech():
    clips = speech()
    out = only(noise_rate=1.0, snr_range=(10.0, 10.0))(clips, training=True)
    noise = out.numpy() - clips
    speech_power = (clips[:, :1000] ** 2).mean(axis=1)
    snr = 10 * np.log10(speech_power / (noise**2).mean(axis=1))
    np.testing.assert_allclose(snr, 10.0, atol=0.3)
    assert (np.abs(noise[:, 1000:]).mean(axis=1) > 0).all()


def test_noise_colours_have_their_spectral_slopes():
    silence = np.zeros((8, 4000), "float32")
    silence[:, 0] = 0.5  # one click, so the clips have a signal power
    slopes = {}
    for color in ("white", "pink", "brown"):
        layer = only(noise_rate=1.0, noise_colors=(color,))
        noise = layer(silence, training=True).numpy() - silence
        slopes[color] = band_power(noise, 25, 50) / band_power(noise, 200, 400)
    assert 0.5 < slopes["white"] < 2.0
    assert 4.0 < slopes["pink"] < 16.0  # 1/f over 8x the frequency
    assert 30.0 < slopes["brown"] < 130.0  # 1/f^2


def test_noise_rate_chooses_clips():
    clips = np.tile(speech(batch=1), (64, 1))
    out = only(noise_rate=0.5)(clips, training=True).numpy()
    noisy = (out != clips).any(axis=1).sum()
    assert 16 < noisy < 48


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"noise_rate": -0.1}, r"`noise_rate` must be a probability"),
        ({"speed_range": (0.0, 1.0)}, r"`speed_range` must be a pair"),
        ({"noise_colors": ("blue",)}, r"`noise_colors` must be.*blue"),
        ({"noise_colors": "white"}, r"`noise_colors` must be"),
        ({"sample_rate": 0}, r"`sample_rate` must be a positive int"),
    ],
)
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WaveformAugmentation(**kwargs)


@pytest.mark.parametrize(
    ("clips", "match"),
    [
        (np.zeros((2, 10, 2), "float32"), r"\(batch_size, samples\)"),
        (np.zeros((2, 10), "int16"), r"float waveforms.*int16"),
    ],
)
def test_wrong_inputs_raise(clips, match):
    with pytest.raises(ValueError, match=match):
        WaveformAugmentation()(clips)


@pytest.mark.parametrize("samples", [0, 1, 7])
def test_clips_of_any_length_keep_it(samples):
    clips = np.full((3, samples), 0.3, "float32")
    out = WaveformAugmentation(noise_rate=1.0, seed=0)(clips, training=True)
    assert tuple(out.shape) == (3, samples)
    assert np.isfinite(out.numpy()).all()
