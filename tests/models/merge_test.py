import keras
import numpy as np
import pytest

from cm_zoo.models import CrossModalBackbone
from cm_zoo.models import merge_backbones
from cm_zoo.models.merge import _pool5_blocks
from cm_zoo.runs import RunDirectory
from cm_zoo.runs import merge_runs
from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower
from cm_zoo.towers import SoundTower
from cm_zoo.towers import TextTower

TEXTS = np.array(["a red bird", "", "two boats on the sea", "bird bird"])


def image_tower(use_batch_norm=True):
    """pool5: 2x2 positions x 6 channels = 24."""
    return ImageTower(
        image_size=32,
        conv_filters=[3, 4, 5, 4, 6],
        conv1_kernel_size=3,
        conv1_strides=1,
        use_batch_norm=use_batch_norm,
        name="clipart_tower",
    )


def randomized(backbone, seed):
    """Every weight random, BN statistics included (trained-looking)."""
    rng = np.random.default_rng(seed)
    backbone.set_weights(
        [
            np.abs(rng.normal(size=w.shape)) + 0.5
            if "variance" in w.path
            else rng.normal(size=w.shape)
            for w in backbone.weights
        ]
    )
    return backbone


def member(seed, use_batch_norm=True, share_upper=True):
    """A small CMPlaces backbone: clip art and a description MLP."""
    keras.utils.set_random_seed(seed)
    towers = {
        "clipart": image_tower(use_batch_norm),
        "description": DescriptionTower(
            output_dim=24,
            hidden_dim=5,
            num_buckets=64,
            embedding_dim=7,
            kernel_init_stddev=None,
            name="description_tower",
        ),
    }
    backbone = CrossModalBackbone(
        towers, num_classes=3, hidden_dim=8, share_upper=share_upper
    )
    return randomized(backbone, seed)


def see_hear_read_member(seed):
    """A small See-Hear-Read backbone: clip art, sound and text convolutions,
    the last two flattening several positions into their `to_pool5`."""
    keras.utils.set_random_seed(seed)
    towers = {
        "clipart": image_tower(),
        "sound": SoundTower(
            output_dim=24,
            num_frames=81,
            frame_length=32,
            frame_step=16,
            conv_filters=[3, 4, 5],
            kernel_sizes=[3, 3, 3],
            pool_size=2,
            use_batch_norm=True,
            name="sound_tower",
        ),
        "description": TextTower(
            output_dim=24,
            num_buckets=64,
            embedding_dim=5,
            conv_filters=4,
            use_batch_norm=True,
            name="description_tower",
        ),
    }
    backbone = CrossModalBackbone(towers, num_classes=3, hidden_dim=8)
    return randomized(backbone, seed)


def features(backbone, modality, x):
    return {
        k: keras.ops.convert_to_numpy(v)
        for k, v in backbone.encode(modality, x).items()
    }


def assert_side_by_side(merged, members, inputs):
    """pool5 in its blocks, fc6/fc7 concatenated, logits averaged."""
    blocks = _pool5_blocks(members[0], len(members))
    for modality, x in inputs.items():
        got = features(merged, modality, x)
        parts = [features(m, modality, x) for m in members]
        for m, part in enumerate(parts):
            np.testing.assert_allclose(
                got["pool5"][:, blocks[m]], part["pool5"], rtol=1e-4, atol=1e-4
            )
        for layer in ("fc6", "fc7"):
            np.testing.assert_allclose(
                got[layer],
                np.concatenate([p[layer] for p in parts], axis=1),
                rtol=1e-4,
                atol=1e-3,
            )
        np.testing.assert_allclose(
            got["logits"],
            np.mean([p["logits"] for p in parts], axis=0),
            rtol=1e-4,
            atol=1e-3,
        )


PIXELS = np.random.default_rng(0).integers(0, 256, (3, 40, 36, 3), "uint8")


@pytest.mark.parametrize("use_batch_norm", [True, False])
@pytest.mark.parametrize("share_upper", [True, False])
def test_merged_features_are_the_members_side_by_side(
    use_batch_norm, share_upper
):
    members = [member(s, use_batch_norm, share_upper) for s in (1, 2)]
    merged = merge_backbones(members)
    assert merged.layer_widths == {
        "pool5": 48,
        "fc6": 16,
        "fc7": 16,
        "logits": 3,
    }
    assert_side_by_side(
        merged, members, {"clipart": PIXELS, "description": TEXTS}
    )


def test_see_hear_read_towers_merge_side_by_side():
    members = [see_hear_read_member(s) for s in (1, 2)]
    for tower in members[0].towers.values():  # the Flatten has positions
        if not isinstance(tower, ImageTower):
            flat = tower.get_layer("flatten").output.shape[-1]
            assert flat > tower.get_layer("conv3").output.shape[-1]
    merged = merge_backbones(members)
    assert merged.towers["sound"].conv_filters == [6, 8, 10]
    assert merged.towers["description"].embedding_dim == 10
    waveforms = np.random.default_rng(1).uniform(-1, 1, (3, 2000))
    assert_side_by_side(
        merged,
        members,
        {"clipart": PIXELS, "sound": waveforms, "description": TEXTS},
    )


def test_pool5_blocks_interleave_channels_per_position():
    blocks = _pool5_blocks(member(1), 2)  # pool5: 2x2 positions x 6 channels
    assert blocks[0][:7].tolist() == [0, 1, 2, 3, 4, 5, 12]
    assert blocks[1][:7].tolist() == [6, 7, 8, 9, 10, 11, 18]
    assert sorted(np.concatenate(blocks).tolist()) == list(range(48))


def test_merged_backbone_saves_and_reloads(tmp_path):
    merged = merge_backbones([member(1), member(2), member(3)])
    assert merged.layer_widths["fc7"] == 24
    merged.save(tmp_path / "merged.keras")
    reloaded = keras.saving.load_model(tmp_path / "merged.keras")
    np.testing.assert_array_equal(
        features(reloaded, "description", TEXTS)["fc7"],
        features(merged, "description", TEXTS)["fc7"],
    )


def test_members_must_match():
    with pytest.raises(ValueError, match="at least two"):
        merge_backbones([member(1)])
    wider = member(2)
    narrow = CrossModalBackbone(
        {"clipart": wider.towers["clipart"]}, num_classes=3, hidden_dim=8
    )
    with pytest.raises(ValueError, match="share their modalities"):
        merge_backbones([wider, narrow])

    class OtherTower(ImageTower):
        """A tower class the merge does not know how to widen."""

    other = CrossModalBackbone(
        {
            "clipart": OtherTower(
                image_size=32,
                conv_filters=[4] * 5,
                conv1_kernel_size=3,
                conv1_strides=1,
            )
        },
        num_classes=3,
        hidden_dim=8,
    )
    with pytest.raises(ValueError, match="OtherTower is not one of"):
        merge_backbones([other, other])


def test_merge_runs_names_the_run_that_differs(tmp_path):
    paths = []
    for seed, method in ((1, "C"), (2, "A")):
        run = RunDirectory(tmp_path / f"run{seed}")
        run.write_run(member(seed), {}, {"method": method, "args": {}})
        paths.append(run.path)
    with pytest.raises(ValueError, match=r"run2.*`method` differ"):
        merge_runs(paths, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


def test_a_tower_shared_by_two_modalities_stays_shared():
    members = []
    for seed in (1, 2):
        tower = member(seed).towers["clipart"]
        members.append(
            CrossModalBackbone(
                {"clipart": tower, "sketch": tower}, num_classes=3, hidden_dim=8
            )
        )
    merged = merge_backbones(members)
    assert merged.towers["clipart"] is merged.towers["sketch"]
    pixels = np.full((2, 32, 32, 3), 90, "uint8")
    np.testing.assert_allclose(
        features(merged, "sketch", pixels)["fc7"],
        np.concatenate(
            [features(m, "sketch", pixels)["fc7"] for m in members], axis=1
        ),
        rtol=1e-4,
        atol=1e-3,
    )


def test_merge_runs_scores_see_hear_read_runs_with_their_suite(tmp_path):
    paths = []
    for seed in (1, 2):
        run = RunDirectory(tmp_path / f"run{seed}")
        config = {"preset": "see_hear_read_alexnet_tiny", "args": {}}
        run.write_run(see_hear_read_member(seed), {}, config)
        paths.append(run.path)
    merged = merge_runs(paths, tmp_path / "merged")
    metrics = merged.read_metrics()
    assert {"median_rank", "classifier_transfer"} <= set(metrics)
    scores = metrics["generalisation"]
    assert set(scores["ood"]["pairs"]) == {
        f"{q}->{t}"
        for q in ("clipart", "sound", "description")
        for t in ("clipart", "sound", "description")
        if q != t
    }
    assert len(scores["members"]) == 2
    config = merged.read_run_config()
    assert config["args"]["architecture"]["sound_conv_filters"] == [
        64,
        128,
        128,
    ]
