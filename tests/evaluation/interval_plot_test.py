"""Tests for the bar chart of multiples of chance with intervals."""

import pytest
from PIL import Image

from cm_zoo.evaluation import plot_times_chance


def _summary(value):
    return {
        "times_chance": value,
        "interval": {"times_chance": [value - 0.4, value + 0.4]},
    }


def test_writes_a_palette_png_with_every_split(tmp_path):
    path = tmp_path / "bars.png"
    splits = plot_times_chance(
        {
            "a": {"test": _summary(3.0), "ood": _summary(3.5)},
            "b": {"ood": _summary(2.0), "debian_png": _summary(1.8)},
        },
        path,
        goal=4.0,
        title="t",
    )
    assert splits == ["test", "ood", "debian_png"]
    with Image.open(path) as image:
        assert image.mode == "P"
        assert image.width > image.height > 100


def test_summaries_without_intervals_are_named():
    with pytest.raises(ValueError, match="'b' 'ood': no `interval`"):
        plot_times_chance(
            {"a": {"ood": _summary(2.0)}, "b": {"ood": {"times_chance": 2.0}}},
            "unused.png",
        )
    with pytest.raises(ValueError, match="empty"):
        plot_times_chance({}, "unused.png")
