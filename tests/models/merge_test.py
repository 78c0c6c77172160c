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
from tests.export.export_fixtures import build_tiny_backbone

TEXTS = np.array(["a red bird", "", "two boats on the sea", "bird bird"])


def member(seed, use_batch_norm=True, share_upper=True):
    """A small trained-looking backbone: every weight random, BN included."""
    keras.utils.set_random_seed(seed)
    towers = {
        "clipart": ImageTower(
            image_size=32,
            conv_filters=[3, 4, 5, 4, 6],
            conv1_kernel_size=3,
            conv1_strides=1,
            use_batch_norm=use_batch_norm,
            name="clipart_tower",
        ),
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


def features(backbone, modality, x):
    return {
        k: keras.ops.convert_to_numpy(v)
        for k, v in backbone.encode(modality, x).items()
    }


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
    pixels = np.random.default_rng(0).integers(
        0, 256, (3, 40, 36, 3), dtype="uint8"
    )
    blocks = _pool5_blocks(members[0], 2)
    for modality, x in (("clipart", pixels), ("description", TEXTS)):
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
    with pytest.raises(ValueError, match="SoundTower"):
        merge_backbones([build_tiny_backbone(), build_tiny_backbone()])


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
