import keras
import numpy as np
import pytest
import tensorflow as tf

from cm_zoo import presets
from cm_zoo.towers import registry
from cm_zoo.towers.sound_tower import SoundTower


def _tower(**overrides):
    kwargs = dict(
        output_dim=6,
        num_frames=27,
        frame_length=32,
        frame_step=16,
        conv_filters=[4, 5, 3],
        pool_size=3,
    )
    kwargs.update(overrides)
    return SoundTower(**kwargs)


def test_paper_layout_gives_a_4x256_map_before_pool5():
    tower = SoundTower(output_dim=9216, num_frames=500)
    assert tower.get_layer("spectrogram").compute_output_shape(
        (None, None)
    ) == (None, 500, 257)
    assert tuple(tower.get_layer("flatten").input.shape) == (None, 4, 256)
    assert [tower.get_layer(f"conv{i}").kernel.shape[0] for i in (1, 2, 3)] == [
        11,
        5,
        3,
    ]
    assert tower.output_dim == 9216


def test_any_waveform_length_gives_the_same_width():
    tower = _tower()
    for samples in (0, 50, 448, 5000):
        out = tower(
            np.random.default_rng(0)
            .uniform(-1, 1, size=(2, samples))
            .astype("float32")
        )
        assert tuple(out.shape) == (2, 6)


def test_registered_builder_matches_image_pool5():
    config = presets.get("see_hear_read_alexnet_tiny").config()
    tower = registry.build_tower("sound", config)
    assert isinstance(tower, SoundTower)
    assert tower.name == "sound_tower"
    assert tower.output_dim == registry.pool5_dim(config)


@pytest.mark.parametrize(
    "shape, match",
    [((2, 300, 2), "mono.*Mix stereo"), ((300,), "expects input of shape")],
)
def test_bad_rank_raises_naming_the_modality(shape, match):
    with pytest.raises(ValueError, match=f"Modality 'sound'.*{match}"):
        _tower()(np.zeros(shape, "float32"))


def test_nan_waveform_raises():
    waveform = np.zeros((2, 300), "float32")
    waveform[0, 10] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="sound input"):
        _tower()(waveform)


def test_invalid_config_raises():
    with pytest.raises(ValueError, match="`conv_filters` must be 3"):
        _tower(conv_filters=[4, 4])
    with pytest.raises(ValueError, match="`num_frames`=8 is too short"):
        _tower(num_frames=8)


def test_config_round_trip_and_keras_save(tmp_path):
    tower = _tower(use_batch_norm=True, name="sound_tower")
    x = np.random.default_rng(1).uniform(-1, 1, size=(3, 400)).astype("float32")
    clone = SoundTower.from_config(tower.get_config())
    assert clone.get_config() == tower.get_config()
    path = tmp_path / "sound.keras"
    tower.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, SoundTower)
    np.testing.assert_allclose(loaded(x), tower(x), atol=1e-6)


def test_a_train_step_changes_the_convolutions():
    keras.utils.set_random_seed(0)
    tower = _tower()
    model = keras.Sequential([tower, keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    before = tower.get_layer("conv1").kernel.numpy().copy()
    x = np.random.default_rng(2).uniform(-1, 1, size=(4, 400)).astype("float32")
    model.fit(x, np.ones((4, 2)), epochs=1, verbose=0)
    assert not np.allclose(before, tower.get_layer("conv1").kernel.numpy())


def test_long_waveform_is_the_mean_of_its_full_windows():
    tower = _tower(use_batch_norm=True)
    window = tower.window_samples  # 448
    waveform = np.random.default_rng(3).uniform(-1, 1, (2, 1000))
    waveform = waveform.astype("float32")
    # ceil(1000 / 448) = 3 windows, starting at 0, 448 and 1000 - 448.
    expected = np.mean(
        [tower(waveform[:, s : s + window]) for s in (0, 448, 552)], axis=0
    )
    np.testing.assert_allclose(tower(waveform), expected, atol=1e-6)
    first_window_only = tower(waveform[:, :window])
    assert not np.allclose(tower(waveform), first_window_only, atol=1e-3)


def test_one_window_or_shorter_is_a_single_padded_window():
    tower = _tower()
    waveform = np.random.default_rng(4).uniform(-1, 1, (1, 300))
    padded = np.pad(waveform, [(0, 0), (0, tower.window_samples - 300)])
    np.testing.assert_allclose(
        tower(waveform.astype("float32")),
        tower(padded.astype("float32")),
        atol=1e-6,
    )


def test_int16_scale_waveform_is_refused():
    waveform = np.zeros((2, 300), "float32")
    waveform[1, 5] = 32767.0
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"must lie in \[-1, 1\]"
    ):
        _tower()(waveform)
    _tower()(np.clip(waveform, -1.0, 1.0))  # full scale is accepted


def test_max_over_time_hears_a_sound_wherever_it_is_said():
    """With `pooling="max"` a burst moved within the window changes the
    output much less than with the paper's flatten (3 time steps left
    after the convolutions here)."""
    rng = np.random.default_rng(8)
    burst = rng.uniform(-0.5, 0.5, size=200).astype("float32")
    early = np.zeros((1, 1312), "float32")
    late = np.zeros((1, 1312), "float32")
    early[0, 100:300] = burst
    late[0, 1000:1200] = burst

    def moved(pooling):
        keras.utils.set_random_seed(0)
        tower = _tower(
            pooling=pooling,
            num_frames=81,
            output_dim=32,
            mel_bins=8,
            conv_filters=[8, 8, 8],
        )
        a, b = tower(early).numpy(), tower(late).numpy()
        return np.abs(a - b).sum() / (np.abs(a).sum() + 1e-9)

    assert moved("max") < 0.5 * moved("flatten")


def test_speech_options_round_trip_and_reach_the_spectrogram(tmp_path):
    tower = _tower(mel_bins=8, centring="channel", pooling="max")
    spectrogram = tower.get_layer("spectrogram")
    assert (spectrogram.mel_bins, spectrogram.centring) == (8, "channel")
    assert tuple(tower.get_layer("max_time").output.shape) == (None, 3)
    clone = SoundTower.from_config(tower.get_config())
    assert clone.get_config() == tower.get_config()
    path = tmp_path / "speech.keras"
    tower.save(path)
    x = np.random.default_rng(9).uniform(-1, 1, size=(2, 500)).astype("float32")
    np.testing.assert_allclose(
        keras.saving.load_model(path)(x), tower(x), atol=1e-6
    )
    with pytest.raises(ValueError, match="`pooling` must be one of"):
        _tower(pooling="mean")


def test_registered_builder_passes_the_speech_preset_fields():
    config = dict(presets.get("see_hear_read_alexnet_tiny").config())
    config.update(
        sound_mel_bins=40, sound_centring="channel", sound_pooling="max"
    )
    tower = registry.build_tower("sound", config)
    assert tower.get_layer("spectrogram").num_bins == 40
    assert tower.pooling == "max"
