"""Tests for the assembled markdown report."""

import numpy as np

from cm_zoo.evaluation import report_writer
from cm_zoo.evaluation import retrieval


def _method(seed, zero_shot=False, figures=True):
    rng = np.random.default_rng(seed)
    labels = np.arange(40) % 4
    centers = rng.normal(size=(4, 6))
    features = {
        m: (centers[labels] + rng.normal(size=(40, 6)), labels)
        for m in ("clipart", "sketch")
    }
    by_layer = {
        layer: retrieval.cross_modal_retrieval(features, seed=seed)
        for layer in ("pool5", "fc6", "fc7")
    }
    result = {
        "retrieval": by_layer,
        "retrieval_full": {"fc7": by_layer["fc7"]},
        "accuracy": {"clipart": 0.5 + seed / 10, "sketch": 0.25},
        "invariance": {"accuracy": 0.75, "chance": 0.5},
        "units": {"units": [3, 7], "words": [["beach", "sand"], []]},
        "inversion": {"target": "clipart", "losses": [0.2, 0.05]},
    }
    if figures:
        result["figures"] = {
            kind: f"figures/{kind}_{seed}.png"
            for kind in ("tsne", "units", "inversion")
        }
    if zero_shot:
        result["zero_shot_retrieval"] = retrieval.cross_modal_retrieval(
            features, classes=[1, 2], k=5
        )
        result["zero_shot_accuracy"] = {"clipart": 0.125, "sketch": 0.0625}
    return result


def _cells(report, heading, row):
    section = report.split(heading, 1)[1]
    for line in section.splitlines():
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        if line.startswith("|") and cells[0] == row:
            return cells[1:]
    raise AssertionError(f"no row {row!r} after {heading!r}")


def test_report_sections_and_numbers():
    results = {"BL": _method(1), "C": _method(2)}
    report = report_writer.evaluation_report(
        results, title="T", notes=["Dev run."], chance=0.25
    )
    assert report.startswith("# T\n\nDev run.\n\n## Table 1")
    fc7 = results["C"]["retrieval"]["fc7"]
    table1 = _cells(report, "## Table 1", "C")
    assert (
        table1[0] == f"{100 * fc7['pairs'][('clipart', 'sketch')]['map']:.1f}"
    )
    assert table1[-1] == f"{100 * fc7['mean']['map']:.1f}"
    assert _cells(report, "## Scene classification", "C") == ["70.0", "25.0"]
    assert _cells(report, "## Scene classification", "Chance") == [
        "25.0",
        "25.0",
    ]
    assert _cells(report, "## Unit visualisation", "3") == ["beach, sand"]
    assert _cells(report, "## Unit visualisation", "7") == ["–"]
    assert "0.2000 (first epoch) → 0.0500 (epoch 2)" in report
    for seed in (1, 2):
        for kind in ("tsne", "units", "inversion"):
            assert f"(figures/{kind}_{seed}.png)" in report
    assert "Table 4" not in report and "Table 5" not in report


def test_zero_shot_tables_list_only_runs_with_held_out_categories():
    results = {"BL": _method(1), "C": _method(2, zero_shot=True)}
    report = report_writer.evaluation_report(results, title="T", chance=0.25)
    table4 = report.split("## Table 4", 1)[1].split("## Table 5")[0]
    assert "| BL |" not in table4
    assert _cells(report, "## Table 4", "C") == ["12.5", "6.2"]
    mean = results["C"]["zero_shot_retrieval"]["mean"]["map"]
    assert _cells(report, "## Table 5", "C")[-1] == f"{100 * mean:.1f}"
    assert "2 categories held out" in report


def test_figures_are_optional():
    report = report_writer.evaluation_report(
        {"BL": _method(1, figures=False)}, title="T"
    )
    assert "![" not in report
    assert "## Feature inversion (pool5)" in report
