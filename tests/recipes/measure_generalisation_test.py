import json
import os
import pathlib

import pytest

from tests.recipes.recipe_loader import load_recipe
from tests.runs.tiny_export import write_export

ROOT = pathlib.Path(__file__).parents[2]
RESULTS = ROOT / "docs" / "results" / "shipped_generalisation.json"


def _recipe():
    return load_recipe("measure_generalisation")


def test_readme_table_is_the_committed_measurement():
    recipe = _recipe()
    measured = json.loads(RESULTS.read_text())
    table = recipe.table(measured["models"], measured["splits"])
    assert table in (ROOT / "README.md").read_text()
    assert table in (RESULTS.with_suffix(".md")).read_text()


@pytest.mark.large
def test_measures_an_export_on_every_split(tmp_path):
    write_export(tmp_path / "export")
    model_dir = tmp_path / "export" / "tiny"
    output = tmp_path / "measured.json"
    recipe = _recipe()
    recipe.main(
        [str(model_dir), "--splits", "val", "ood", "debian_png"]
        + ["--output", str(output), "--transcript-ceiling"]
        + ["--plot", str(tmp_path / "measured.png")]
    )
    assert (tmp_path / "measured.png").stat().st_size > 0
    measured = json.loads(output.read_text())
    assert measured["splits"] == ["val", "ood", "debian_png"]
    (result,) = measured["models"].values()
    assert 0.0 < result["ood"]["map"] <= 1.0
    low, high = result["ood"]["interval"]["times_chance"]
    assert low <= result["ood"]["times_chance"] <= high
    assert result["ood_over_val"] == pytest.approx(
        result["ood"]["map"] / result["val"]["map"]
    )
    ceiling = result["transcript_ceiling"]
    assert set(ceiling["ood"]["pairs"]) == {
        f"{q}->{t}"
        for q in ("clipart", "description", "sound")
        for t in ("clipart", "description", "sound")
        if q != t
    }
    assert "transcript" in recipe.table(measured["models"], ["val", "ood"])
    if os.path.isdir("/usr/share/openclipart/png"):
        assert result["debian_png"]["num_items"]["clipart"] > 0
