import json
import re

import keras
import pytest

import cm_zoo
from cm_zoo import modalities
from cm_zoo.models import CrossModalBackbone
from cm_zoo.towers import DescriptionTower
from cm_zoo.towers import ImageTower
from tests.recipes.recipe_loader import load_recipe

pytestmark = pytest.mark.large  # evaluates fake runs end to end

MODALITIES = ["clipart", "sketch", "description"]
FAST_FLAGS = [
    "--inversion-epochs",
    "2",
    "--inversion-size",
    "16",
    "--inversion-items",
    "3",
    "--tsne-per-modality",
    "40",
    "--num-units",
    "2",
    "--items-per-unit",
    "3",
]


def write_fake_run(run_dir, method, seed, holdout=()):
    """A tiny untrained backbone plus the run_config the trainer writes."""
    bench = cm_zoo.data.clipart_benchmark.load()
    keras.utils.set_random_seed(seed)
    towers = {
        m: ImageTower(
            image_size=32,
            conv_filters=[4] * 5,
            conv1_kernel_size=3,
            conv1_strides=1,
            name=f"{m}_tower",
        )
        for m in ("clipart", "sketch")
    }
    towers["description"] = DescriptionTower(
        output_dim=16,
        hidden_dim=8,
        num_buckets=256,
        embedding_dim=8,
        name="description_tower",
    )
    backbone = CrossModalBackbone(
        towers, num_classes=len(bench.class_names), hidden_dim=16
    )
    run_dir.mkdir(parents=True)
    backbone.save(run_dir / "backbone.keras")
    config = {
        "model_name": f"cmplaces_{method}",
        "method": method,
        "method_label": cm_zoo.models.cmplaces.get_method(method).label,
        "preset": "test_tiny",
        "modalities": MODALITIES,
        "class_names": bench.class_names,
        "holdout_categories": list(holdout),
        "data_manifest_sha256": bench.manifest_sha256,
    }
    (run_dir / "run_config.json").write_text(json.dumps(config))


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """Two fake runs (C holds categories out) under one parent, evaluated."""
    root = tmp_path_factory.mktemp("runs")
    holdout = cm_zoo.data.clipart_benchmark.load().holdout_categories
    # Created in reverse order: the report must still follow the paper's.
    write_fake_run(root / "C", "C", seed=1, holdout=holdout)
    write_fake_run(root / "bl_shared_upper", "bl_shared_upper", seed=2)
    (root / "source").mkdir()  # no run_config.json: not a run
    output = root / "report"
    load_recipe("evaluate").main(
        [str(root), "--output", str(output)] + FAST_FLAGS
    )
    return {
        "root": root,
        "report": (output / "report.md").read_text(),
        "metrics": json.loads((output / "metrics.json").read_text()),
        "output": output,
    }


def first_table(report, heading):
    """`{row name: {column: cell without bold}}` of the first table after
    `heading`."""
    lines = []
    for line in report.split(heading, 1)[1].splitlines():
        if line.startswith("|"):
            lines.append(
                [c.strip().strip("*") for c in line.strip("|").split("|")]
            )
        elif lines:
            break
    header = lines[0]
    return {cells[0]: dict(zip(header[1:], cells[1:])) for cells in lines[2:]}


def percent(value):
    return "–" if value is None else f"{100 * value:.1f}"


def test_report_has_the_papers_tables_in_row_order(evaluated):
    report = evaluated["report"]
    headings = re.findall(r"^## (.*)$", report, flags=re.M)
    assert headings[:6] == [
        "Table 1: cross-modal retrieval mAP (fc7)",
        "Table 2: cross-modal retrieval PR@10 (fc7)",
        "Table 3: mean cross-modal mAP across layers",
        "Within-modal retrieval mAP (fc7)",
        "Scene classification accuracy (test)",
        "Table 4: zero-shot scene classification (held-out categories)",
    ]
    assert "Modality invariance (fc7)" in headings
    assert "Feature inversion (pool5)" in headings
    rows = list(first_table(report, "## Table 1"))
    assert rows == ["BL-Shared-Upper", "C: Tune + StatReg (GMM)", "Chance"]
    assert list(evaluated["metrics"]["methods"]) == ["bl_shared_upper", "C"]


def test_report_numbers_equal_metrics_json(evaluated):
    report = evaluated["report"]
    methods = evaluated["metrics"]["methods"]
    table1 = first_table(report, "## Table 1")
    table2 = first_table(report, "## Table 2")
    table3 = first_table(report, "## Table 3")
    within = first_table(report, "## Within-modal")
    invariance = first_table(report, "## Modality invariance")
    for name, result in methods.items():
        label = result["label"]
        fc7 = result["retrieval"]["fc7"]
        for key, leaf in fc7["pairs"].items():
            query, target = key.split("->")
            column = cm_zoo.evaluation.pair_label(query, target)
            assert table1[label][column] == percent(leaf["map"])
            assert table2[label][column] == percent(leaf["pr_at_k"])
        assert table1[label]["Mean"] == percent(fc7["mean"]["map"])
        for key, leaf in fc7["within"].items():
            column = cm_zoo.evaluation.pair_label(*key.split("->"))
            assert within[label][column] == percent(leaf["map"])
        for layer in ("pool5", "fc6", "fc7"):
            mean = result["retrieval"][layer]["mean"]["map"]
            assert table3[label][layer] == percent(mean)
        assert table3["Chance"]["fc7"] == percent(fc7["mean"]["chance_map"])
        probe = invariance[label]["Modality probe accuracy"]
        assert probe == percent(result["invariance"]["accuracy"])


def test_zero_shot_tables_only_for_runs_with_held_out_categories(
    evaluated, tmp_path
):
    report = evaluated["report"]
    result = evaluated["metrics"]["methods"]["C"]
    table4 = first_table(report, "## Table 4")
    assert list(table4) == ["C: Tune + StatReg (GMM)", "Chance"]
    for modality, accuracy in result["zero_shot_accuracy"].items():
        column = modalities.SHORT_NAMES[modality]
        assert table4["C: Tune + StatReg (GMM)"][column] == percent(accuracy)
    table5 = first_table(report, "## Table 5")
    mean = result["zero_shot_retrieval"]["mean"]["map"]
    assert table5["C: Tune + StatReg (GMM)"]["Mean"] == percent(mean)
    bench = cm_zoo.data.clipart_benchmark.load()
    held = sorted(bench.class_names.index(c) for c in bench.holdout_categories)
    assert result["zero_shot_retrieval"]["classes"] == held
    assert (
        "zero_shot_retrieval"
        not in (evaluated["metrics"]["methods"]["bl_shared_upper"])
    )

    # A single run dir without held-out categories: no zero-shot section.
    output = tmp_path / "single"
    load_recipe("evaluate").main(
        [
            str(evaluated["root"] / "bl_shared_upper"),
            "--output",
            str(output),
            "--note",
            "Short dev run.",
        ]
        + FAST_FLAGS
    )
    single = (output / "report.md").read_text()
    assert "Table 4" not in single and "Table 5" not in single
    assert single.splitlines()[2] == "Short dev run."


def test_figures_exist_are_small_and_linked(evaluated):
    output = evaluated["output"]
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", evaluated["report"])
    expected = {
        f"figures/{kind}_{name}.png"
        for kind in ("tsne", "units", "inversion")
        for name in ("bl_shared_upper", "C")
    }
    assert set(links) == expected
    for link in links:
        size = (output / link).stat().st_size
        assert 1000 < size < 300_000, link


def test_unit_words_come_from_descriptions(evaluated):
    units = evaluated["metrics"]["methods"]["C"]["units"]
    assert len(units["units"]) == 2
    assert all(len(words) > 0 for words in units["words"])
    assert set(units["top_items"]) == set(MODALITIES)


def test_directory_without_runs_is_reported(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_recipe("evaluate").main([str(tmp_path)])
    assert exit_info.value.code == 2
    assert "neither a run directory" in capsys.readouterr().err


def test_zero_shot_variants_restricted_to_held_out_and_targets(evaluated):
    """Issue 15 item 6: Table 4 among the held-out classes only (not 0% by
    construction), Table 5 without the source modality as well."""
    result = evaluated["metrics"]["methods"]["C"]
    among = result["zero_shot_accuracy_among_held_out"]
    assert set(among) == set(MODALITIES)
    without = result["zero_shot_retrieval_without_source"]
    pairs = {tuple(key.split("->")) for key in without["pairs"]}
    assert pairs and all("clipart" not in pair for pair in pairs)
    report = evaluated["report"]
    assert "Argmax over the held-out classes only" in report
    assert "Without the source modality" in report


def test_evaluate_without_output_never_overwrites_training_metrics(
    tmp_path, capsys
):
    """Issue 13 row 2: the report goes to RUN/evaluation/."""
    run_dir = tmp_path / "C"
    write_fake_run(run_dir, "C", seed=3)
    training = '{"history": {"loss": [1.0]}, "train_seconds": 5}'
    (run_dir / "metrics.json").write_text(training)
    recipe = load_recipe("evaluate")
    recipe.main([str(run_dir)] + FAST_FLAGS)
    assert (run_dir / "metrics.json").read_text() == training
    report = json.loads((run_dir / "evaluation" / "metrics.json").read_text())
    assert list(report["methods"]) == ["C"]
    assert (run_dir / "evaluation" / "report.md").is_file()
    with pytest.raises(SystemExit) as exit_info:
        recipe.main([str(run_dir), "--output", str(run_dir)])
    assert exit_info.value.code == 2
    assert "argument --output" in capsys.readouterr().err
    assert (run_dir / "metrics.json").read_text() == training
