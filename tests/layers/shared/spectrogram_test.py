import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo.layers.shared.spectrogram import Spectrogram


def _numpy_spectrogram(waveform, num_frames, frame_length, frame_step):
    """Reference: periodic Hann frames, rfft, log1p |X|, minus the mean."""
    num_samples = (num_frames - 1) * frame_step + frame_length
    x = np.zeros(num_samples)
    x[: min(len(waveform), num_samples)] = waveform[:num_samples]
    n = np.arange(frame_length)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length)
    frames = np.stack(
        [
            x[t * frame_step : t * frame_step + frame_length]
            for t in range(num_frames)
        ]
    )
    log_magnitude = np.log1p(np.abs(np.fft.rfft(frames * window, axis=-1)))
    return log_magnitude - log_magnitude.mean()


@pytest.mark.parametrize("num_samples", [1000, 530, 37])
def test_matches_numpy_stft_reference(num_samples):
    rng = np.random.default_rng(0)
    waveforms = rng.uniform(-1, 1, size=(2, num_samples)).astype("float32")
    layer = Spectrogram(num_frames=12, frame_length=64, frame_step=40)
    got = layer(waveforms).numpy()
    assert got.shape == (2, 12, 33)
    for row in range(2):
        expected = _numpy_spectrogram(waveforms[row], 12, 64, 40)
        np.testing.assert_allclose(got[row], expected, atol=1e-4)


def test_paper_size_has_257_bins_and_fixed_frames():
    layer = Spectrogram(num_frames=500, frame_length=512, frame_step=160)
    out = layer(np.zeros((1, 16000 * 7), "float32"))
    assert tuple(out.shape) == (1, 500, 257)


def test_per_example_mean_is_subtracted():
    rng = np.random.default_rng(1)
    loud = rng.uniform(-1, 1, size=(1, 400)).astype("float32")
    out = Spectrogram(num_frames=8, frame_length=32, frame_step=16)(
        np.concatenate([loud, 0.01 * loud])
    ).numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2)), [0.0, 0.0], atol=1e-5)
    assert out[0].std() > 0


def test_empty_waveform_is_silence():
    out = Spectrogram(num_frames=4, frame_length=16, frame_step=8)(
        np.zeros((3, 0), "float32")
    )
    assert tuple(out.shape) == (3, 4, 9)
    assert float(np.abs(out).max()) == 0.0


@pytest.mark.parametrize("shape", [(2, 100, 2), (100,), (2, 1, 1, 100)])
def test_wrong_rank_or_stereo_raises(shape):
    layer = Spectrogram(num_frames=4, frame_length=16, frame_step=8)
    match = r"sound input.*\(batch_size, samples\)"
    with pytest.raises(ValueError, match=match):
        layer(np.zeros(shape, "float32"))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_waveform_raises(bad):
    waveform = np.zeros((2, 100), "float32")
    waveform[1, 7] = bad
    layer = Spectrogram(num_frames=4, frame_length=16, frame_step=8)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sound input"):
        layer(waveform)


def test_non_finite_waveform_raises_inside_tf_function():
    layer = Spectrogram(num_frames=4, frame_length=16, frame_step=8)
    run = tf.function(layer)
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or Inf"):
        run(tf.constant([[0.0, np.nan] * 20]))


def test_invalid_config_raises():
    with pytest.raises(ValueError, match="`frame_step` must be a positive"):
        Spectrogram(num_frames=4, frame_step=0)


def test_config_round_trip_and_mixed_precision():
    layer = Spectrogram(num_frames=5, frame_length=32, frame_step=8)
    clone = Spectrogram.from_config(layer.get_config())
    x = np.random.default_rng(2).uniform(-1, 1, size=(2, 90)).astype("float32")
    np.testing.assert_array_equal(layer(x), clone(x))
    half = Spectrogram(
        num_frames=5, frame_length=32, frame_step=8, dtype="mixed_float16"
    )
    out = half(x)
    assert out.dtype == "float16"
    np.testing.assert_allclose(out, layer(x), atol=1e-2)
    assert layer.compute_output_shape((None, None)) == (None, 5, 17)
    assert keras.ops.shape(layer(x)) == (2, 5, 17)


def test_amplitude_above_one_is_refused_naming_the_peak():
    layer = Spectrogram(num_frames=4, frame_length=16, frame_step=8)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"(?s)\[-1, 1\].*\[1\.5\]"
    ):
        layer(np.full((1, 50), -1.5, "float32"))
    run = tf.function(layer)
    with pytest.raises(tf.errors.InvalidArgumentError, match="32768"):
        run(tf.constant([[0.0, 2.0] * 20]))
    assert tuple(layer(np.ones((1, 50), "float32")).shape) == (1, 4, 9)


def _numpy_mel_channel_spectrogram(waveform, layer):
    """Reference: mel-summed |X|, log1p, each band minus its time mean."""
    num_samples = layer.num_samples
    x = np.zeros(num_samples)
    x[: min(len(waveform), num_samples)] = waveform[:num_samples]
    n = np.arange(layer.frame_length)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / layer.frame_length)
    starts = range(0, layer.num_frames * layer.frame_step, layer.frame_step)
    frames = np.stack([x[s : s + layer.frame_length] for s in starts])
    magnitude = np.abs(np.fft.rfft(frames * window, axis=-1))
    mel = tf.signal.linear_to_mel_weight_matrix(
        layer.mel_bins, layer.frame_length // 2 + 1, 16000, 125.0, 7600.0
    ).numpy()
    log_mel = np.log1p(magnitude @ mel)
    return log_mel - log_mel.mean(axis=0, keepdims=True)


def _speech_layer(**overrides):
    """A small mel, channel-centred `Spectrogram`."""
    arguments = dict(
        num_frames=10,
        frame_length=128,
        frame_step=64,
        mel_bins=12,
        centring="channel",
    )
    return Spectrogram(**{**arguments, **overrides})


def test_mel_bands_with_channel_centring_match_numpy_reference():
    rng = np.random.default_rng(5)
    waveforms = rng.uniform(-1, 1, size=(2, 700)).astype("float32")
    layer = _speech_layer()
    got = layer(waveforms).numpy()
    assert got.shape == (2, 10, 12) == (2, 10, layer.num_bins)
    for row in range(2):
        expected = _numpy_mel_channel_spectrogram(waveforms[row], layer)
        np.testing.assert_allclose(got[row], expected, atol=1e-4)


def test_channel_centring_removes_a_fixed_filter_of_the_voice():
    """A constant gain per band (a voice's or microphone's colouring) is
    gone after channel centring in the log domain: louder or tilted
    versions of the same sound give closer features than with the
    paper's utterance centring."""
    rng = np.random.default_rng(6)
    speech = rng.uniform(-0.3, 0.3, size=(1, 4000)).astype("float32")
    tilted = np.diff(speech, prepend=0.0).astype("float32")  # high-passed

    def distance(centring):
        layer = _speech_layer(
            num_frames=30, frame_step=128, mel_bins=16, centring=centring
        )
        return float(np.abs(layer(speech) - layer(tilted)).mean())

    assert distance("channel") < 0.5 * distance("utterance")


def test_mel_and_centring_config_round_trip_and_errors():
    layer = _speech_layer(
        num_frames=5, frame_length=64, frame_step=8, mel_bins=6
    )
    clone = Spectrogram.from_config(layer.get_config())
    assert (clone.mel_bins, clone.centring) == (6, "channel")
    x = np.random.default_rng(7).uniform(-1, 1, size=(2, 90)).astype("float32")
    np.testing.assert_array_equal(layer(x), clone(x))
    assert layer.compute_output_shape((None, None)) == (None, 5, 6)
    with pytest.raises(ValueError, match="`centring` must be one of"):
        Spectrogram(num_frames=4, centring="speaker")
    with pytest.raises(ValueError, match="`mel_bins` must be a positive"):
        Spectrogram(num_frames=4, mel_bins=0)
