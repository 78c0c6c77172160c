import pytest

from cm_zoo.data import clipart_benchmark
from cm_zoo.models import CrossModalBackbone
from cm_zoo.runs import RunDirectory
from tests.recipes.recipe_loader import load_recipe

NAMES = ["clipart", "description"]


def trained_run(path, seed):
    bench = clipart_benchmark.load()
    backbone = CrossModalBackbone.from_preset(
        "cmplaces_alexnet_tiny", modalities=NAMES, num_classes=28
    )
    run = RunDirectory(path)
    run.write_run(
        backbone,
        {},
        {
            "method": "C",
            "preset": "cmplaces_alexnet_tiny",
            "class_names": bench.class_names,
            "modalities": NAMES,
            "data_manifest_sha256": "x",
            "holdout_categories": [],
            "model_name": "cmplaces_C",
            "args": {"seed": seed, "eval_split": "val"},
        },
    )
    return str(path)


def test_writes_a_merged_run_and_prints_members(tmp_path, capsys):
    members = [trained_run(tmp_path / f"seed{s}", s) for s in (0, 1)]
    load_recipe("merge_runs").main([*members, "--output", str(tmp_path / "m")])
    printed = capsys.readouterr().out
    assert "ood: merged" in printed and "(members " in printed
    merged = RunDirectory(tmp_path / "m")
    assert merged.is_run()
    assert merged.load_backbone().layer_widths["fc7"] == 512
    config = merged.read_run_config()
    assert [m["seed"] for m in config["members"]] == [0, 1]
    assert config["args"]["architecture"]["text_embedding_dim"] == 128


def test_one_member_or_a_bad_member_is_a_clear_error(tmp_path, capsys):
    recipe = load_recipe("merge_runs")
    with pytest.raises(SystemExit):
        recipe.main([str(tmp_path), "--output", str(tmp_path / "m")])
    assert "at least two" in capsys.readouterr().err
    member = trained_run(tmp_path / "seed0", 0)
    with pytest.raises(SystemExit, match="missing: no trained run"):
        recipe.main([member, str(tmp_path / "missing"), "--output", "m"])
