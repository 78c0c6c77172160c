"""Tests for the modality-invariance probe and the t-SNE figure."""

import numpy as np
import pytest

from cm_zoo.evaluation import invariance


def _features(shift, seed=0):
    """Three modalities, each offset by `shift` along its own axis."""
    rng = np.random.default_rng(seed)
    axes = np.eye(16)
    return {
        m: (
            rng.normal(size=(120, 16)) + shift * axes[i],
            rng.integers(0, 4, 120),
        )
        for i, m in enumerate(("natural", "clipart", "sketch"))
    }


def test_probe_is_at_chance_for_identically_distributed_modalities():
    out = invariance.modality_invariance(_features(shift=0.0), num_folds=3)
    assert out["chance"] == pytest.approx(1 / 3)
    assert abs(out["accuracy"] - out["chance"]) < 0.12
    assert len(out["fold_accuracies"]) == 3
    assert out["num_items"] == 360


def test_probe_is_near_one_for_shifted_modalities():
    out = invariance.modality_invariance(_features(shift=3.0), num_folds=3)
    assert out["accuracy"] > 0.97


def test_max_per_modality_subsamples():
    out = invariance.modality_invariance(
        _features(shift=0.0), num_folds=2, max_per_modality=40
    )
    assert out["num_items"] == 120


def test_plot_tsne_writes_png(tmp_path):
    path = tmp_path / "tsne.png"
    out = invariance.plot_tsne(
        _features(shift=2.0), path, max_per_modality=50, title="fc7"
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5000
    assert out["coordinates"].shape == (150, 2)
    assert out["modalities"].count("sketch") == 50


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="at least 2 modalities"):
        invariance.modality_invariance({"natural": (np.eye(3), [0, 1, 2])})
    with pytest.raises(ValueError, match=r"`num_folds` must be in \[2, 3\]"):
        invariance.modality_invariance(
            {
                "natural": (np.eye(3), [0, 1, 2]),
                "sound": (np.eye(3), [0, 1, 2]),
            },
            num_folds=5,
        )
