import json

import pytest

from tests.recipes.recipe_loader import load_recipe
from tests.runs.table_cells import write_cell


def test_runner_skips_finished_cells_and_writes_the_schema(
    tmp_path, monkeypatch
):
    recipe = load_recipe("run_cmplaces_table")
    runs, results = tmp_path / "runs", tmp_path / "results"
    write_cell(runs, "bl_individual", 0, 0.2)
    write_cell(runs, "C", 1, 0.41)
    ran = []

    def fake_run(command, check):
        method = command[command.index("--method") + 1]
        seed = int(command[command.index("--seed") + 1])
        assert command[command.index("--output") + 1] == str(
            runs / f"seed{seed}"
        )
        ran.append((method, seed))
        write_cell(
            runs,
            method,
            seed,
            {"C": 0.4, "bl_individual": 0.21}[method] + 0.01 * seed,
        )

    monkeypatch.setattr(recipe.subprocess, "run", fake_run)
    out = recipe.main(
        ["--methods", "bl_individual,C", "--seeds", "0,1,2"]
        + ["--output", str(runs), "--results", str(results)]
    )
    assert ran == [
        ("C", 0),
        ("bl_individual", 1),
        ("bl_individual", 2),
        ("C", 2),
    ]
    saved = json.loads((results / "cmplaces.json").read_text())
    assert saved == json.loads(json.dumps(out))
    assert saved["command"] == (
        "python recipes/train_cmplaces.py --method {method} --seed {seed} "
        "--output {output}"
    )
    assert saved["metrics_file"] == "{method}/metrics.json"
    assert saved["metrics_key"] == "retrieval.fc7.mean.map"
    assert saved["seeds"] == [0, 1, 2]
    assert saved["methods"]["bl_individual"] == pytest.approx([0.2, 0.22, 0.23])
    assert saved["methods"]["C"] == pytest.approx([0.4, 0.41, 0.42])
    assert saved["confidence_95"]["C"]["mean"] == pytest.approx(0.41)
    cell = saved["cells"]["C"]["1"]
    assert cell["drift"] == {"drift_fc7_description": 0.2}  # best epoch
    assert cell["pairs_fc7"] == pytest.approx(
        {"with_description": 0.31, "other_pairs": 0.51}
    )
    table = (results / "cmplaces.md").read_text()
    assert "| C: Tune + StatReg (GMM) | 41.0 ± 2.5 (n=3) |" in table
    assert "C / BL-Individual = 1.89x (95% intervals disjoint)" in table
    assert (
        "| BL-Individual, description | - | 0.200 ± 0.000 (n=3) | - |" in table
    )
    assert (
        "| C: Tune + StatReg (GMM), sketch | - | - | 0.400 ± 0.000 (n=3) |"
        in (table)
    )
    ran.clear()
    recipe.main(
        ["--methods", "C", "--seeds", "7", "--collect-only"]
        + ["--output", str(runs), "--results", str(results)]
    )
    assert ran == []  # seed 7 is missing, but nothing trains
    recipe.main(
        ["--methods", "bl_individual,C", "--seeds", "0,1,2"]
        + ["--output", str(runs), "--results", str(results)]
    )
    assert ran == []


def test_unknown_method_is_refused_naming_the_flag(capsys):
    with pytest.raises(SystemExit):
        load_recipe("run_cmplaces_table").main(["--methods", "C,D"])
    assert "argument --methods: unknown ['D']" in capsys.readouterr().err
