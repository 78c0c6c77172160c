import json
import pathlib

import numpy as np
import pytest
from PIL import Image

from cm_zoo.data import clipart_benchmark
from cm_zoo.data import read_list_file
from cm_zoo.data.file_readers import read_wav_file
from cm_zoo.runs import alignment_demo
from cm_zoo.runs import alignment_selection


def test_chalk_draws_thick_light_strokes_on_a_dark_board():
    sketch = np.full((16, 16, 3), 255, "uint8")
    sketch[:, 8] = 0  # a one-pixel dark stroke
    board = alignment_demo.chalk(sketch, seed=0).mean(axis=-1)
    assert board[:, 6:11].mean() > 180  # thickened to 5 pixels, light
    assert board[:, :4].mean() < 60 and board[:, 13:].mean() < 60
    again = alignment_demo.chalk(sketch, seed=0)
    np.testing.assert_array_equal(again, alignment_demo.chalk(sketch, 0))
    assert not np.array_equal(again, alignment_demo.chalk(sketch, seed=1))


def test_wav_at_22khz_reads_back_as_the_16khz_samples(tmp_path):
    t = np.arange(16000) / 16000
    samples = (0.5 * np.sin(2 * np.pi * 440 * t)).astype("float32")
    alignment_demo.write_wav(tmp_path / "a.wav", samples)
    back = read_wav_file(str(tmp_path / "a.wav"))
    assert abs(len(back) - len(samples)) <= 1
    np.testing.assert_allclose(back[100:-100], samples[100:-100], atol=0.02)


@pytest.mark.large
def test_demo_data_is_a_class_folder_tree_and_val_and_test_lists(tmp_path):
    data = alignment_demo.write_demo_data(tmp_path, ["chalk"])
    train, val, test = data["chalk"]
    bench = clipart_benchmark.load()
    for split, listed in (("val", val), ("test", test)):
        x, y = bench.arrays("sketch", split)
        paths, labels = read_list_file(str(listed))
        assert len(paths) == len(y) and list(labels) == list(y)
        first = np.asarray(Image.open(listed.parent / paths[0]))
        np.testing.assert_array_equal(first, alignment_demo.chalk(x[0], 0))
    folders = sorted(p.name for p in train.iterdir())
    assert set(folders) <= set(bench.class_names)
    stamp = test.stat().st_mtime_ns
    assert alignment_demo.write_demo_data(tmp_path, ["chalk"]) == data
    assert test.stat().st_mtime_ns == stamp  # written once


@pytest.mark.large
def test_shipped_items_are_the_benchmark_split_as_list_files(tmp_path):
    partial = tmp_path / "data" / "shipped" / "description_ood.partial"
    partial.mkdir(parents=True)  # left by a killed write: written afresh
    lists = alignment_demo.write_shipped_items(
        tmp_path, ["description", "thermal"]
    )
    assert list(lists) == ["description"]  # not in the benchmark: left out
    texts, y = clipart_benchmark.load().arrays("description", "ood")
    paths, labels = read_list_file(str(lists["description"]))
    assert list(labels) == list(y)
    folder = lists["description"].parent
    assert [(folder / p).read_text() for p in paths] == list(texts)
    assert not partial.exists()


def test_summary_averages_seeds_per_modality_and_method():
    def entry(value):
        pairs = {"sound->clipart": {"map": value}}
        metrics = {"mean_map": value, "mean_chance_map": 0.1}
        metrics.update(map_over_chance=value / 0.1, pairs=pairs)
        return {"method": "B: StatReg (GMM)", "metrics": metrics}

    table = alignment_demo.summary_table(
        {"sound_B_0": entry(0.2), "sound_B_1": entry(0.4)}
    ).splitlines()
    assert table[2] == (
        "| sound | B: StatReg (GMM) | 2 | 0.300 ± 1.271 (0.200, 0.400) "
        "| 0.100 | 3.00 |"
    )
    assert table[-1] == (
        "| sound | B: StatReg (GMM) | 1 | 0.400 | 0.100 | 4.00 "
        "| sound->clipart 0.400 |"
    )


def test_summary_pairs_c_with_bl_individual_by_seed():
    def entry(method, value):
        pairs = {"chalk->sketch": {"map": value}}
        metrics = {"mean_map": value, "mean_chance_map": 0.1}
        metrics.update(map_over_chance=value / 0.1, pairs=pairs)
        return {"method": method, "metrics": metrics}

    c, bl = "C: Tune + StatReg (GMM)", "BL-Individual"
    results = {
        "chalk_C_0": entry(c, 0.50),
        "chalk_C_1": entry(c, 0.42),
        "chalk_C_2": entry(c, 0.61),
        "chalk_bl_individual_0": entry(bl, 0.48),
        "chalk_bl_individual_1": entry(bl, 0.41),
        "chalk_bl_individual_2": entry(bl, 0.58),
        "chalk_bl_individual_3": entry(bl, 0.99),  # unpaired: left out
    }
    ci = alignment_demo.paired_differences(results, c, bl)["chalk"]
    assert ci["n"] == 3
    np.testing.assert_allclose(ci["mean"], (0.02 + 0.01 + 0.03) / 3)
    line = next(
        row
        for row in alignment_demo.summary_table(results).splitlines()
        if row.startswith("C minus BL-Individual")
    )
    assert line.startswith(
        "C minus BL-Individual on chalk, paired by seed: +0.020"
    )
    assert line.endswith("(95% t, 3 seeds).")


def test_readme_table_is_the_committed_demo_result():
    root = pathlib.Path(__file__).parents[2]
    results = root / "docs" / "results" / "align_modality.json"
    runs = json.loads(results.read_text())["runs"]
    table = alignment_demo.method_table(runs)
    assert table in (root / "README.md").read_text()
    assert table in results.with_suffix(".md").read_text()
    report = results.with_suffix(".md").read_text()
    assert alignment_demo.summary_table(runs) in report
    selection = json.loads(results.read_text())["selection"]
    assert alignment_selection.selection_table(selection) in report


def test_method_table_marks_methods_not_run():
    metrics = {"mean_map": 0.3, "mean_chance_map": 0.1, "map_over_chance": 3}
    c = "C: Tune + StatReg (GMM)"
    table = alignment_demo.method_table(
        {"sound_C_0": {"method": c, "metrics": metrics}}
    )
    assert table.splitlines()[2] == (
        "| sound | - | - | 0.300 (3.00x) | - | 0.100 | - |"
    )
