"""The See-Hear-Read result files and the command that regenerates them."""

import json
import pathlib
import shlex

import pytest

import cm_zoo
from tests.recipes.recipe_loader import load_recipe

ROOT = pathlib.Path(__file__).parents[2]
RESULTS = ROOT / "docs" / "results" / "see_hear_read"


def _recipe():
    return load_recipe("run_see_hear_read_table")


def _check_schema(summary, num_splits):
    assert summary["command"].startswith(
        "python recipes/run_see_hear_read_table.py"
    )
    assert summary["splits"] == list(range(num_splits))
    assert summary["metrics_key"] == "median_rank.fc7"
    directions = {
        f"{a}->{b}" for a, b in cm_zoo.runs.see_hear_read_regime.DIRECTIONS
    }
    assert set(summary["median_rank"]) == directions
    for cell in summary["median_rank"].values():
        assert len(cell["values"]) == num_splits
        assert cell["ratio_to_chance"] == cell["mean"] / cell["chance"]
    assert len(summary["classifier_transfer"]["accuracy"]) == 9
    assert summary["teacher"]["label_space"] == "folders"
    assert summary["teacher"]["num_classes"] > 28


def test_committed_files_match_their_command():
    summary = json.loads(RESULTS.with_suffix(".json").read_text())
    _check_schema(summary, 5)
    recipe = _recipe()
    argv = shlex.split(summary["command"])[2:]
    _, args = recipe.parse_args(argv)
    assert args.splits == 5 and args.results == recipe.RESULTS
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    _, settings = recipe.job_and_settings(args, cm_zoo, bench)
    # The files were made by this command on this data, and the markdown
    # is generated from the JSON, not edited by hand.
    assert summary["settings"] == json.loads(json.dumps(settings))
    markdown = cm_zoo.runs.see_hear_read_regime.regime_markdown(summary)
    assert RESULTS.with_suffix(".md").read_text() == markdown


def test_readme_median_rank_table_is_the_result_files():
    summary = json.loads(RESULTS.with_suffix(".json").read_text())
    markdown = cm_zoo.runs.see_hear_read_regime.regime_markdown(summary)
    start = markdown.index("| direction |")
    table = markdown[start : markdown.index("\n\n", start)]
    assert len(table.splitlines()) == 2 + 6
    assert table in (ROOT / "README.md").read_text()


@pytest.mark.large
def test_tiny_regime_writes_files_and_skips_finished_splits(tmp_path):
    recipe = _recipe()
    flags = [
        "--splits",
        "2",
        "--teacher-epochs",
        "1",
        "--epochs",
        "2",
        "--steps-per-epoch",
        "2",
        "--batch-size",
        "8",
        "--output",
        str(tmp_path / "runs"),
        "--results",
        str(tmp_path / "shr"),
    ]
    summary = recipe.main(flags)
    _check_schema(summary, 2)
    saved = json.loads((tmp_path / "shr.json").read_text())
    assert saved == json.loads(json.dumps(summary))
    split = tmp_path / "runs" / summary["metrics_file"].format(split=1)
    metrics = json.loads(split.read_text())
    fc7 = summary["median_rank"]["sound->description"]
    assert (
        fc7["values"][1]
        == (metrics["median_rank"]["fc7"]["sound->description"]["median_rank"])
    )
    assert metrics["best_epoch"] in (0, 1)
    # A rerun reads every finished split back instead of training it.
    before = split.stat().st_mtime_ns
    assert recipe.main(flags)["median_rank"] == summary["median_rank"]
    assert split.stat().st_mtime_ns == before
