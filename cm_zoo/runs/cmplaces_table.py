"""The CMPlaces Table 1 over seeds: finished cells, 95% intervals, files.

A table is a directory of training runs, one per seed (`seed<S>/`, each
holding one run per method, as `train_cmplaces` writes it); a cell is one
(method, seed) run whose `metrics.json` exists. `collect_cells` keeps what
the table reports of each cell and `write_table` writes `cmplaces.json`
(the values per seed and their 95% t intervals) and `cmplaces.md` (every
table of that JSON, mean ± 95% interval over seeds), both generated.
"""

import pathlib

from cm_zoo import atomic_files
from cm_zoo.evaluation import intervals_disjoint
from cm_zoo.evaluation import mean_confidence_interval
from cm_zoo.evaluation import seed_table
from cm_zoo.models.cmplaces import METHODS
from cm_zoo.models.cmplaces import get_method
from cm_zoo.runs.run_directory import RunDirectory

METRICS_FILE = "{method}/metrics.json"
METRICS_KEY = "retrieval.fc7.mean.map"
LAYERS = ("pool5", "fc6", "fc7")


def cell_run(output, method, seed):
    """The run directory of the cell (`method`, `seed`) under `output`.

    Example:
    >>> from cm_zoo.runs.cmplaces_table import cell_run
    >>> run = cell_run("runs/table", "C", 2)
    >>> run.path.as_posix(), run.has_metrics()
    ('runs/table/seed2/C', False)
    """
    return RunDirectory(pathlib.Path(output) / f"seed{seed}").child(method)


def collect_cells(methods, seeds, output):
    """`{method: {seed: cell}}` of the finished cells under `output`.

    A cell keeps, of its run's `metrics.json`: `value` (`METRICS_KEY`),
    the mAP per layer, chance, the pairs with and without descriptions,
    each head's drift and the StatReg terms at the best epoch, the
    modality probe, early stopping and the training time.

    Example:
    >>> import tempfile
    >>> from cm_zoo.runs.cmplaces_table import collect_cells
    >>> collect_cells(["C"], [0, 1], tempfile.mkdtemp())
    {}
    """
    cells = {}
    for method in methods:
        for seed in seeds:
            run = cell_run(output, method, seed)
            if run.has_metrics():
                cell = _cell_summary(run.read_metrics())
                cells.setdefault(method, {})[seed] = cell
    return cells


def _dotted(tree, key):
    for part in key.split("."):
        tree = tree[part]
    return tree


def _at_best_epoch(metrics, prefix):
    """History entries starting with `prefix` at the restored epoch."""
    best = metrics["early_stopping"]["best_epoch"]
    return {
        key: values[best]
        for key, values in metrics["history"].items()
        if key.startswith(prefix) and best < len(values)
    }


def _cell_summary(metrics):
    """What the table keeps of one cell's `metrics.json`."""
    return {
        "value": _dotted(metrics, METRICS_KEY),
        "layers": {
            layer: metrics["retrieval"][layer]["mean"]["map"]
            for layer in LAYERS
        },
        "chance_map_fc7": metrics["retrieval"]["fc7"]["mean"]["chance_map"],
        "pairs_fc7": metrics["description_split_fc7"],
        "drift": _at_best_epoch(metrics, "drift_"),
        "statreg": _at_best_epoch(metrics, "statreg_"),
        "modality_probe_fc7": metrics["modality_probe_fc7"]["accuracy"],
        "best_epoch": metrics["early_stopping"]["best_epoch"],
        "epochs_run": len(metrics["early_stopping"]["scores"]),
        "val_map_fc7": max(metrics["early_stopping"]["scores"]),
        "source_val_balanced_accuracy": metrics["source"][
            "val_balanced_accuracy"
        ],
        "train_seconds": metrics["train_seconds"],
        "eval_split": metrics["eval_split"],
    }


def _per_seed(cells, pick):
    """`{method: [pick(cell) for each finished seed]}`."""
    return {
        method: [pick(cell) for _, cell in sorted(by_seed.items())]
        for method, by_seed in cells.items()
    }


def write_table(directory, cells, seeds, *, command, output, wall_seconds):
    """Writes `cmplaces.json` and `cmplaces.md` into `directory`.

    Args:
        directory: str or `pathlib.Path`. Where the two files go.
        cells: dict. `collect_cells`' result (not empty).
        seeds: list of int. The seeds the table asks for.
        command: str. Each cell's training command, with `{method}`,
            `{seed}` and `{output}` left to fill.
        output: str. The table's runs directory (`seed<S>/` inside).
        wall_seconds: dict. Wall time per cell (`"<method>/seed<S>"`).

    Returns:
        The dict written to `cmplaces.json`: the command, the metric's
        file and key, the seeds, `methods` (one value per seed),
        `confidence_95` (methods with 2 or more seeds), `cells` (by method,
        then seed as a string) and `cell_wall_seconds`.

    Example:
    >>> import tempfile
    >>> from cm_zoo.runs.cmplaces_table import write_table
    >>> cell = {"value": 0.4, "layers": dict.fromkeys(["pool5", "fc6",
    ...     "fc7"], 0.4), "chance_map_fc7": 0.1, "pairs_fc7": {},
    ...     "drift": {}, "statreg": {}, "modality_probe_fc7": 0.5,
    ...     "val_map_fc7": 0.3, "best_epoch": 2, "epochs_run": 4,
    ...     "train_seconds": 9.0}
    >>> results = write_table(tempfile.mkdtemp(), {"C": {0: cell}}, [0],
    ...     command="train {method} {seed} {output}", output="runs",
    ...     wall_seconds={})
    >>> results["methods"], results["output"]
    ({'C': [0.4]}, 'runs/seed{seed}')
    """
    values = _per_seed(cells, lambda cell: cell["value"])
    results = {
        "command": command,
        "output": str(pathlib.Path(output) / "seed{seed}"),
        "metrics_file": METRICS_FILE,
        "metrics_key": METRICS_KEY,
        "seeds": seeds,
        "seeds_done": {m: sorted(by_seed) for m, by_seed in cells.items()},
        "methods": values,
        "confidence_95": {
            m: mean_confidence_interval(v)
            for m, v in values.items()
            if len(v) >= 2
        },
        "cells": {
            m: {str(s): cell for s, cell in by_seed.items()}
            for m, by_seed in cells.items()
        },
        "cell_wall_seconds": wall_seconds,
    }
    directory = pathlib.Path(directory)
    atomic_files.atomic_write_json(directory / "cmplaces.json", results)
    atomic_files.atomic_write_text(
        directory / "cmplaces.md", _markdown(results)
    )
    return results


def _cells_and_column(results):
    """The JSON's cells by int seed, methods in Table 1's order (the JSON
    sorts its keys), and `column(pick)`: `{method label: [pick(cell) per
    seed]}`."""
    order = list(METHODS)
    cells = {
        m: dict(sorted((int(s), c) for s, c in results["cells"][m].items()))
        for m in sorted(results["cells"], key=order.index)
    }
    label = {m: get_method(m).label for m in cells}

    def column(pick):
        return {label[m]: v for m, v in _per_seed(cells, pick).items()}

    return cells, label, column


def summary_table(results):
    """The README's table: test mAP at fc7, pool5, fc6, the split pairs
    with descriptions / other pairs, and the fc7 modality probe, each
    mean ± 95% CI over seeds (percent).

    Args:
        results: dict. The content of `cmplaces.json` (`write_table`).

    Returns:
        A markdown table, one row per method.

    Example:
    >>> cell = {"layers": {"pool5": 0.2, "fc6": 0.3, "fc7": 0.4},
    ...     "pairs_fc7": {"with_description": 0.35, "other_pairs": 0.45},
    ...     "modality_probe_fc7": 0.9}
    >>> table = summary_table({"cells": {"C": {"0": cell, "1": cell}}})
    >>> table.splitlines()[0].split(" | ")[1:4]
    ['fc7', 'pool5', 'fc6']
    >>> table.splitlines()[2].split(" | ")[:3]
    ['| C: Tune + StatReg (GMM)', '40.0 ± 0.0 (n=2)', '20.0 ± 0.0 (n=2)']
    """
    _, _, column = _cells_and_column(results)
    pairs = {
        "pairs with descriptions": "with_description",
        "other pairs": "other_pairs",
    }
    columns = {
        layer: column(lambda c, layer=layer: c["layers"][layer])
        for layer in ("fc7", "pool5", "fc6")
    }
    for title, name in pairs.items():
        columns[title] = column(lambda c, n=name: c["pairs_fc7"].get(n, 0.0))
    columns["modality probe (fc7, lower = more invariant)"] = column(
        lambda c: c["modality_probe_fc7"]
    )
    return seed_table(columns)


def _markdown(results):
    """`cmplaces.md`: every table of the JSON, mean ± 95% CI (n seeds)."""
    cells, label, column = _cells_and_column(results)
    layers = {
        layer: column(lambda c, layer=layer: c["layers"][layer])
        for layer in LAYERS
    }
    split = {
        name: column(lambda c, name=name: c["pairs_fc7"].get(name, 0.0))
        for name in ("with_description", "other_pairs")
    }
    sections = [
        "# CMPlaces Table 1 on the embedded benchmark, over seeds",
        _notes(results),
        "## Summary (the README's table)",
        summary_table(results),
        "## Mean cross-modal mAP (fc7), test split, mean ± 95% CI",
        seed_table(
            {
                "mAP (fc7)": layers["fc7"],
                "chance": column(lambda c: c["chance_map_fc7"]),
            }
        ),
        "## Mean mAP per layer",
        seed_table(layers),
        "## Pairs with descriptions / other pairs (fc7 mAP)",
        seed_table(split),
        "## Drift of each head from the source (relative L2, best epoch)",
        _layer_table(cells, label, "drift", ("fc6", "fc7", "classifier")),
        "## Modality probe on fc7 (accuracy; lower is more invariant)",
        seed_table({"probe": column(lambda c: c["modality_probe_fc7"])}),
        "## StatReg terms at the best epoch (loss units)",
        _layer_table(cells, label, "statreg", LAYERS),
        "## Early stopping (val split) and training time",
        seed_table({"val mAP (fc7)": column(lambda c: c["val_map_fc7"])}),
        seed_table(
            {
                "best epoch": column(lambda c: c["best_epoch"]),
                "epochs run": column(lambda c: c["epochs_run"]),
                "train seconds": column(lambda c: c["train_seconds"]),
            },
            scale=1.0,
        ),
    ]
    return "\n\n".join(sections) + "\n"


def _notes(results):
    ci = results["confidence_95"]
    lines = [
        f"Generated by `recipes/run_cmplaces_table.py` from "
        f"`{results['output']}/{results['metrics_file']}` "
        f"(`{results['metrics_key']}`); each cell: `{results['command']}`. "
        "Intervals: two-sided 95% Student t over seeds."
    ]
    if "C" in ci and "bl_individual" in ci:
        c, bl = ci["C"], ci["bl_individual"]
        disjoint = intervals_disjoint(c, bl)
        lines.append(
            f"C / BL-Individual = {c['mean'] / bl['mean']:.2f}x "
            f"(95% intervals {'disjoint' if disjoint else 'overlapping'})."
        )
    if "A_tune" in ci and "bl_individual" in ci:
        gain = ci["A_tune"]["mean"] - ci["bl_individual"]["mean"]
        lines.append(f"A: Tune - BL-Individual = {100 * gain:+.1f} mAP.")
    return " ".join(lines)


def _layer_table(cells, label, prefix, layers):
    """Per-layer values (`<prefix>_<layer>_<modality>` history entries),
    one row per method and modality, one column per layer."""
    rows = {}
    for method, by_seed in cells.items():
        for cell in by_seed.values():
            for key, value in cell[prefix].items():
                layer, _, modality = key[len(prefix) + 1 :].partition("_")
                row = rows.setdefault(f"{label[method]}, {modality}", {})
                row.setdefault(layer, []).append(value)
    if not rows:
        return "(none)"
    columns = {
        layer: {row: values.get(layer, []) for row, values in rows.items()}
        for layer in layers
    }
    return seed_table(columns, scale=1.0, digits=3)
