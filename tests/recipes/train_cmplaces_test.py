import importlib.util
import json
import pathlib

import pytest

RECIPE = pathlib.Path(__file__).parents[2] / "recipes" / "train_cmplaces.py"


def load_recipe():
    spec = importlib.util.spec_from_file_location("train_cmplaces", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.large
def test_every_method_runs_end_to_end_on_embedded_data(tmp_path):
    recipe = load_recipe()
    results = recipe.main(
        [
            "--method",
            "all",
            "--output",
            str(tmp_path),
            "--source-epochs",
            "1",
            "--epochs",
            "2",
            "--freeze-epochs",
            "1",
            "--steps-per-epoch",
            "2",
            "--batch-size",
            "4",
            "--num-components",
            "2",
            "--holdout-categories",
            "default",
            "--verbose",
            "0",
        ]
    )
    methods = set(recipe.cm_zoo.models.cmplaces.METHODS)
    assert set(results) == methods
    for method in methods:
        run = tmp_path / method
        metrics = json.loads((run / "metrics.json").read_text())
        mean = metrics["retrieval"]["fc7"]["mean"]
        assert 0.0 < mean["map"] <= 1.0
        assert set(metrics["retrieval"]) == {"pool5", "fc6", "fc7"}
        assert "zero_shot_retrieval" in metrics
        config = json.loads((run / "run_config.json").read_text())
        assert config["holdout_categories"]
        assert (run / "backbone.keras").exists()
        assert any((run / "logs").rglob("*.v2"))
    assert (tmp_path / "priors" / "gmm_fc7.npz").exists()
    assert (tmp_path / "priors" / "gaussian_pool5.npz").exists()
    summary = (tmp_path / "summary.md").read_text()
    assert "C: Tune + StatReg (GMM)" in summary and "BL-ShAll" in summary


def test_unknown_holdout_category_is_reported(tmp_path):
    recipe = load_recipe()
    with pytest.raises(SystemExit, match="unknown categories"):
        recipe.main(
            ["--holdout-categories", "unicorn", "--output", str(tmp_path)]
        )


def test_include_paired_adds_the_pairs_items_to_training():
    import argparse

    recipe = load_recipe()
    bench = recipe.cm_zoo.data.clipart_benchmark.load()
    plain = argparse.Namespace(include_paired=False, include_lexicon=False)
    more = argparse.Namespace(include_paired=True, include_lexicon=False)
    x, y = recipe.training_items(bench, "description", plain)
    x_more, y_more = recipe.training_items(bench, "description", more)
    extra = len(bench.paired("train")["image_text"]["label"])
    assert len(x_more) == len(y_more) == len(x) + extra
    clipart, _ = recipe.training_items(bench, "clipart", more)
    pairs = bench.paired("train")
    assert len(clipart) == len(bench.arrays("clipart", "train")[1]) + len(
        pairs["image_sound"]["label"]
    ) + len(pairs["image_text"]["label"])
    sketch, _ = recipe.training_items(bench, "sketch", more)
    assert len(sketch) == len(bench.arrays("sketch", "train")[1])


def test_include_lexicon_adds_wordnet_texts_to_descriptions_only():
    import argparse

    recipe = load_recipe()
    bench = recipe.cm_zoo.data.clipart_benchmark.load()
    args = argparse.Namespace(include_paired=False, include_lexicon=True)
    texts, labels = recipe.training_items(bench, "description", args)
    lexicon_texts, _ = bench.lexicon()
    base = len(bench.arrays("description", "train")[1])
    assert len(texts) == len(labels) == base + len(lexicon_texts)
    sketch, _ = recipe.training_items(bench, "sketch", args)
    assert len(sketch) == len(bench.arrays("sketch", "train")[1])
