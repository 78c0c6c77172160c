"""Tests for the markdown tables and JSON conversion."""

import json

import numpy as np
import pytest

from cm_zoo.evaluation import median_rank
from cm_zoo.evaluation import report
from cm_zoo.evaluation import retrieval


def _retrieval_result(seed):
    rng = np.random.default_rng(seed)
    labels = np.arange(60) % 5
    centers = rng.normal(size=(5, 8))
    features = {
        m: (centers[labels] + rng.normal(size=(60, 8)), labels)
        for m in ("natural", "clipart", "description")
    }
    return retrieval.cross_modal_retrieval(features, protocol="full")


def _cells(table, row_name):
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == row_name:
            return [c.strip("*") for c in cells[1:]]
    raise AssertionError(f"no row {row_name!r} in\n{table}")


def test_retrieval_table_holds_the_numbers_in_paper_layout():
    results = {
        "BL-Individual": _retrieval_result(0),
        "C: Tune": _retrieval_result(1),
    }
    table = report.retrieval_table(results)
    header = table.splitlines()[0]
    assert header.startswith("| Method | NAT→CLP | NAT→DSC | CLP→NAT |")
    assert header.endswith("| DSC→CLP | Mean |")
    for method, result in results.items():
        cells = _cells(table, method)
        assert len(cells) == 7
        assert (
            cells[0]
            == f"{100 * result['pairs'][('natural', 'clipart')]['map']:.1f}"
        )
        assert cells[-1] == f"{100 * result['mean']['map']:.1f}"
    chance = results["BL-Individual"]["mean"]["chance_map"]
    assert _cells(table, "Chance")[-1] == f"{100 * chance:.1f}"
    pr_table = report.retrieval_table(results, metric="pr_at_k")
    assert _cells(pr_table, "C: Tune")[-1] == (
        f"{100 * results['C: Tune']['mean']['pr_at_k']:.1f}"
    )
    within = report.retrieval_table(results, within=True)
    assert "| NAT→NAT | CLP→CLP | DSC→DSC | Mean |" in within


def test_best_value_per_column_is_bold():
    results = {"a": _retrieval_result(0), "b": _retrieval_result(1)}
    table = report.retrieval_table(results)
    best = max(results, key=lambda m: results[m]["mean"]["map"])
    assert _row_line(table, best).endswith("** |")
    worst = ({"a", "b"} - {best}).pop()
    assert not _row_line(table, worst).endswith("** |")


def _row_line(table, name):
    return next(
        line for line in table.splitlines() if line.startswith(f"| {name} |")
    )


def test_layer_table_rows_are_methods_columns_layers():
    layers = {
        "pool5": _retrieval_result(2),
        "fc6": _retrieval_result(3),
        "fc7": _retrieval_result(4),
    }
    table = report.layer_table({"A: Tune": layers})
    assert table.splitlines()[0] == "| Method | pool5 | fc6 | fc7 |"
    assert _cells(table, "A: Tune") == [
        f"{100 * layers[name]['mean']['map']:.1f}"
        for name in ("pool5", "fc6", "fc7")
    ]


def test_accuracy_table_marks_the_best_per_column():
    table = report.accuracy_table(
        {"A": {"clipart": 0.5, "sketch": 0.1}, "B": {"clipart": 0.25}},
        chance=0.125,
    )
    lines = table.splitlines()
    assert lines[0] == "| Method | CLP | LDR |"
    assert lines[2] == "| A | **50.0** | **10.0** |"
    assert lines[3] == "| B | 25.0 | – |"
    assert lines[4] == "| Chance | 12.5 | 12.5 |"


def test_median_rank_table_marks_lowest_and_random_row():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(100, 6))
    good = median_rank.cross_modal_median_rank(
        {"natural": x, "sound": x + 0.1 * rng.normal(size=x.shape)},
        split_size=50,
    )
    bad = median_rank.cross_modal_median_rank(
        {"natural": x, "sound": rng.normal(size=x.shape)}, split_size=50
    )
    table = report.median_rank_table({"Ours": good, "Linear Reg.": bad})
    assert table.splitlines()[0] == "| Method | NAT→SND | SND→NAT |"
    assert _row_line(table, "Ours").startswith("| Ours | **1.0** |")
    assert _cells(table, "Random") == ["25.5", "25.5"]


def test_classifier_and_invariance_tables():
    transfer = {
        "accuracy": {("natural", "sound"): 0.326, ("sound", "natural"): 0.128},
        "chance": 1 / 42,
    }
    table = report.classifier_transfer_table({"Ours: Both": transfer})
    assert _cells(table, "Ours: Both") == ["32.6", "12.8"]
    assert _cells(table, "Chance") == ["2.4", "2.4"]
    table = report.invariance_table(
        {
            "BL": {"accuracy": 0.95, "chance": 0.2},
            "C": {"accuracy": 0.5, "chance": 0.2},
        }
    )
    assert _row_line(table, "C") == "| C | **50.0** |"


def test_json_safe_round_trips_through_json():
    result = _retrieval_result(6)
    safe = report.to_json_safe(result)
    assert json.loads(json.dumps(safe, allow_nan=False)) == safe
    assert safe["pairs"]["natural->clipart"]["map"] == pytest.approx(
        result["pairs"][("natural", "clipart")]["map"]
    )
    assert report.to_json_safe({"x": float("nan")}) == {"x": None}


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="`metric` must be one of"):
        report.retrieval_table({"a": _retrieval_result(0)}, metric="ndcg")
    with pytest.raises(ValueError, match="non-empty dict"):
        report.median_rank_table({})
