"""recipes/run_alignment_demo.py: the loop over runs and its report."""

import json
import shutil

import pytest
import run_alignment_demo

from cm_zoo.export import available_models


@pytest.mark.large
def test_demo_runs_each_cell_once_and_writes_the_report(tmp_path, monkeypatch):
    ran = []

    def fake_run(command, check):
        args = dict(zip(command[2::2], command[3::2]))
        if "--add-alignment-state" in command:
            shipped = available_models()[args["--to"]]
            shutil.copytree(shipped, command[command.index("--output") + 1])
            return
        ran.append((args["--modality"], args["--method"], args["--seed"]))
        manifest = command[command.index("--to") + 1] / "manifest.json"
        saved = json.loads(manifest.read_text())
        metrics = {"mean_map": 0.3, "mean_chance_map": 0.1}
        metrics.update(map_over_chance=3.0, pairs={"a->b": {"map": 0.3}})
        saved["aligned_modalities"] = {
            args["--modality"]: {"method": args["--method"], "metrics": metrics}
        }
        manifest.write_text(json.dumps(saved))

    monkeypatch.setattr(run_alignment_demo.subprocess, "run", fake_run)
    argv = ["--work", str(tmp_path / "work"), "--output", str(tmp_path)]
    argv += ["--modalities", "chalk", "--methods", "A,C", "--seeds", "0"]
    run_alignment_demo.main(argv)
    assert ran == [("chalk", "A", "0"), ("chalk", "C", "0")]
    report = json.loads((tmp_path / "align_modality.json").read_text())
    assert sorted(report["runs"]) == ["chalk_A_0", "chalk_C_0"]
    assert report["reference_shipped_sketch"]["map_over_chance"] > 1
    table = (tmp_path / "align_modality.md").read_text()
    assert "| chalk | C | 1 | 0.300 (0.300) | 0.100 | 3.00 |" in table
    assert "Reference: the shipped `sketch` encoder" in table
    ran.clear()
    run_alignment_demo.main(argv)
    assert ran == []  # finished runs are skipped
