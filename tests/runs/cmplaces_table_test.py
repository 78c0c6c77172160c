import json
import pathlib

import pytest

from cm_zoo.runs import cmplaces_table
from tests.runs.table_cells import write_cell


def test_cells_keep_the_best_epoch_and_skip_unfinished_runs(tmp_path):
    write_cell(tmp_path, "C", 0, 0.4)
    write_cell(tmp_path, "C", 2, 0.5)
    cells = cmplaces_table.collect_cells(["C", "A_tune"], [0, 1, 2], tmp_path)
    assert list(cells) == ["C"] and sorted(cells["C"]) == [0, 2]
    cell = cells["C"][2]
    assert cell["value"] == 0.5
    assert cell["drift"] == {"drift_fc7_description": 0.2}
    assert cell["statreg"] == {"statreg_fc7_sketch": 0.4}
    assert (cell["best_epoch"], cell["epochs_run"]) == (1, 3)
    assert cell["val_map_fc7"] == 0.3
    assert cmplaces_table.cell_run(tmp_path, "C", 2).has_metrics()


def test_table_holds_intervals_over_seeds_and_the_ratio_to_baseline(
    tmp_path,
):
    for seed, value in enumerate([0.4, 0.42, 0.44]):
        write_cell(tmp_path / "runs", "C", seed, value)
        write_cell(tmp_path / "runs", "bl_individual", seed, value / 2)
    write_cell(tmp_path / "runs", "A_tune", 0, 0.3)
    cells = cmplaces_table.collect_cells(
        ["bl_individual", "A_tune", "C"], [0, 1, 2], tmp_path / "runs"
    )
    results = cmplaces_table.write_table(
        tmp_path / "out",
        cells,
        [0, 1, 2],
        command="train {method} {seed} {output}",
        output=str(tmp_path / "runs"),
        wall_seconds={"C/seed0": 5.0},
    )
    assert json.loads((tmp_path / "out" / "cmplaces.json").read_text()) == (
        json.loads(json.dumps(results))
    )
    assert set(results["confidence_95"]) == {"C", "bl_individual"}
    assert results["confidence_95"]["C"]["mean"] == pytest.approx(0.42)
    assert results["confidence_95"]["C"]["half_width"] == pytest.approx(
        4.3027 * 0.02 / 3**0.5, rel=1e-4
    )
    assert results["seeds_done"]["A_tune"] == [0]
    table = (tmp_path / "out" / "cmplaces.md").read_text()
    assert "| C: Tune + StatReg (GMM) | 42.0 ± 5.0 (n=3) |" in table
    assert "C / BL-Individual = 2.00x (95% intervals disjoint)." in table
    assert "| A: Tune | 30.0 (n=1) |" in table
    assert "A: Tune - BL-Individual" not in table  # one seed: no interval


def test_committed_table_and_readme_are_generated_from_the_json():
    """docs/results/cmplaces.md is `_markdown` of the committed JSON (not
    edited by hand), every method of Table 1 has 5 seeds, and the README's
    CMPlaces table is the JSON's summary table verbatim."""
    root = pathlib.Path(__file__).resolve().parents[2]
    results = json.loads((root / "docs/results/cmplaces.json").read_text())
    markdown = (root / "docs/results/cmplaces.md").read_text()
    assert markdown == cmplaces_table._markdown(results)
    assert results["seeds"] == [0, 1, 2, 3, 4]
    assert all(len(values) == 5 for values in results["methods"].values())
    assert len(results["methods"]) == 9
    readme = (root / "README.md").read_text()
    assert cmplaces_table.summary_table(results) in readme
