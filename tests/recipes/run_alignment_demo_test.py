"""recipes/run_alignment_demo.py: the loop over runs and its report."""

import json
import shutil

import pytest
import run_alignment_demo

from cm_zoo.export import available_models


def fake_recipe(ran, score):
    """Stands in for `align_modality.py`: records each run's flags and
    writes the metrics `score(flags)` into the run's manifest."""

    def fake_run(command, check):
        args = dict(zip(command[2::2], command[3::2]))
        args["--eval-shipped"] = [
            str(value).split("=")[0]
            for flag, value in zip(command, command[1:])
            if flag == "--eval-shipped"
        ]
        if "--add-alignment-state" in command:
            shipped = available_models()[args["--to"]]
            shutil.copytree(shipped, command[command.index("--output") + 1])
            return
        ran.append(args)
        manifest = command[command.index("--to") + 1] / "manifest.json"
        saved = json.loads(manifest.read_text())
        metrics = {"mean_map": score(args), "mean_chance_map": 0.1}
        metrics.update(map_over_chance=3.0, pairs={"a->b": {"map": 0.3}})
        saved["aligned_modalities"] = {
            args["--modality"]: {"method": args["--method"], "metrics": metrics}
        }
        manifest.write_text(json.dumps(saved))

    return fake_run


@pytest.mark.large
def test_demo_runs_each_cell_once_and_writes_the_report(tmp_path, monkeypatch):
    ran = []
    fake_run = fake_recipe(ran, lambda args: 0.3)
    monkeypatch.setattr(run_alignment_demo.subprocess, "run", fake_run)
    argv = ["--work", str(tmp_path / "work"), "--output", str(tmp_path)]
    argv += ["--modalities", "chalk", "--methods", "A,C", "--seeds", "0"]
    run_alignment_demo.main(argv)
    cells = [(a["--modality"], a["--method"], a["--seed"]) for a in ran]
    assert cells == [("chalk", "A", "0"), ("chalk", "C", "0")]
    assert all("--learning-rate" not in a for a in ran)  # the defaults
    report = json.loads((tmp_path / "align_modality.json").read_text())
    assert sorted(report["runs"]) == ["chalk_A_0", "chalk_C_0"]
    assert report["reference_shipped_sketch"]["map_over_chance"] > 1
    table = (tmp_path / "align_modality.md").read_text()
    assert "| chalk | C | 1 | 0.300 (0.300) | 0.100 | 3.00 |" in table
    assert "Reference: the shipped `sketch` encoder" in table
    ran.clear()
    run_alignment_demo.main(argv)
    assert ran == []  # finished runs are skipped


def val_score(args):
    """Best at the middle learning rate and the largest StatReg weight."""
    rate = float(args["--learning-rate"])
    weight = float(args.get("--statreg-weight", 0))
    return 0.5 - abs(rate - 0.001) + weight / 10 + int(args["--seed"]) / 100


@pytest.mark.large
def test_selection_on_val_chooses_each_methods_test_setting(
    tmp_path, monkeypatch
):
    ran = []
    monkeypatch.setattr(
        run_alignment_demo.subprocess, "run", fake_recipe(ran, val_score)
    )
    argv = ["--work", str(tmp_path / "work"), "--output", str(tmp_path)]
    argv += ["--modalities", "chalk", "--methods", "A,C", "--seeds", "0,1"]
    run_alignment_demo.main(argv + ["--select", "--selection-seeds", "0"])
    selecting, testing = ran[:20], ran[20:]
    assert len(selecting) == 4 + 16  # A: 4 rates; C: 4 rates x 4 weights
    for args in selecting:  # new val items against shipped ood items
        assert str(args["--eval-data"]).endswith("chalk_val/list.txt")
        assert args["--eval-shipped"] == ["clipart", "sketch", "description"]
    assert [(a["--method"], a["--seed"]) for a in testing] == [
        ("A", "0"), ("C", "0"), ("A", "1"), ("C", "1"),
    ]  # fmt: skip
    for args in testing:  # the benchmark's test items, the default
        assert str(args["--eval-data"]).endswith("chalk_test/list.txt")
        assert args["--eval-shipped"] == []
    chosen = {
        a["--method"]: (a["--learning-rate"], a.get("--statreg-weight"))
        for a in testing
    }
    assert chosen == {"A": ("0.001", None), "C": ("0.001", "1.0")}
    report = json.loads((tmp_path / "align_modality.json").read_text())
    grid = report["selection"]["chalk"]["C"]["grid"]
    assert len(grid) == 16 and grid[0]["val_mean_map"]["0"] == pytest.approx(
        0.4994
    )
    table = (tmp_path / "align_modality.md").read_text()
    chosen_row = "| chalk | C: Tune + StatReg (GMM) | 0.001 | 1 | 0.600 |"
    assert chosen_row in table
    assert "| chalk | A: Tune (frozen shared layers) | 0.003 | - " in table
    ran.clear()
    run_alignment_demo.main(argv + ["--select", "--selection-seeds", "0"])
    assert ran == []  # finished selection and test runs are skipped
