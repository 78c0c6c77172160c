"""Run the CMPlaces Table 1 over seeds and write it with 95% intervals.

Each (method, seed) cell is one run of the documented regime,

    python recipes/train_cmplaces.py --method M --seed S --output OUT/seedS

(the `cmplaces_alexnet_tiny` preset's training defaults; every seed's
methods share that directory's source network and priors). A cell whose
`OUT/seedS/M/metrics.json` exists is skipped, so a killed table resumes
by rerunning the same command. After every cell the results so far go to
`--results` (`cmplaces.json`: the command, the metric's file and key, the
seeds, one value per seed and method, per-layer mAP, pairs with and
without descriptions, each head's drift from the source, the StatReg
terms, early stopping, timings) and `cmplaces.md` (mean ± 95% t interval
over seeds), both generated, never edited by hand.

    python recipes/run_cmplaces_table.py
    python recipes/run_cmplaces_table.py --methods all --seeds 0,1,2
    python recipes/run_cmplaces_table.py --methods all --collect-only
"""

import argparse
import json
import pathlib
import subprocess
import sys
import time

import recipe_arguments as flags

TRAIN = pathlib.Path(__file__).with_name("train_cmplaces.py")
COMMAND = (
    "python recipes/train_cmplaces.py --method {method} --seed {seed} "
    "--output {output}"
)
METRICS_FILE = "{method}/metrics.json"
METRICS_KEY = "retrieval.fc7.mean.map"
LAYERS = ("pool5", "fc6", "fc7")
FIRST_METHODS = "bl_individual,A_tune,B_gmm,C"
TABLE_ORDER = (
    "bl_individual",
    "bl_shared_upper_scratch",
    "bl_shared_upper",
    "bl_shall",
    "A_tune",
    "A_tune_free",
    "B_gaussian",
    "B_gmm",
    "C",
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--methods", default=FIRST_METHODS, help="comma-separated, or all")
    add("--seeds", default="0,1,2,3,4", help="comma-separated ints")
    add("--output", default="runs/cmplaces_table", help="OUT of the cells")
    add("--results", default="docs/results", help="cmplaces.json/.md here")
    add(
        "--train-flags",
        default="",
        help="extra flags for every cell (recorded in the command)",
    )
    add(
        "--collect-only",
        action="store_true",
        help="write the results of the finished cells; train nothing",
    )
    args = parser.parse_args(argv)
    methods = TABLE_ORDER if args.methods == "all" else args.methods.split(",")
    unknown = sorted(set(methods) - set(TABLE_ORDER))
    if unknown:
        parser.error(
            f"argument --methods: unknown {unknown}; expected some of "
            f"{list(TABLE_ORDER)} or 'all'"
        )
    try:
        seeds = [flags.non_negative_int(s) for s in args.seeds.split(",")]
    except argparse.ArgumentTypeError as error:
        parser.error(f"argument --seeds: {error}")
    return args, list(methods), sorted(set(seeds))


def cell_command(method, seed, output, train_flags):
    """The training command of one cell, as recorded and as run."""
    command = COMMAND.format(method=method, seed=seed, output=output)
    return f"{command} {train_flags}".strip()


def run_cell(method, seed, args):
    """Trains one cell unless its metrics exist; returns seconds or None."""
    output = pathlib.Path(args.output) / f"seed{seed}"
    if (output / METRICS_FILE.format(method=method)).is_file():
        return None
    command = cell_command(method, seed, output, args.train_flags).split()
    command[:2] = [sys.executable, str(TRAIN)]
    started = time.time()
    print(f"[table] {method} seed {seed} -> {output}", flush=True)
    subprocess.run(command + ["--verbose", "0"], check=True)
    return time.time() - started


def dotted(tree, key):
    for part in key.split("."):
        tree = tree[part]
    return tree


def at_best_epoch(metrics, prefix):
    """History entries starting with `prefix` at the restored epoch."""
    best = metrics["early_stopping"]["best_epoch"]
    return {
        key: values[best]
        for key, values in metrics["history"].items()
        if key.startswith(prefix) and best < len(values)
    }


def cell_summary(metrics):
    """What the table keeps of one cell's `metrics.json`."""
    return {
        "value": dotted(metrics, METRICS_KEY),
        "layers": {
            layer: metrics["retrieval"][layer]["mean"]["map"]
            for layer in LAYERS
        },
        "chance_map_fc7": metrics["retrieval"]["fc7"]["mean"]["chance_map"],
        "pairs_fc7": metrics["description_split_fc7"],
        "drift": at_best_epoch(metrics, "drift_"),
        "statreg": at_best_epoch(metrics, "statreg_"),
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


def collect(methods, seeds, output):
    """`{method: {seed: cell_summary}}` of the finished cells."""
    cells = {}
    for method in methods:
        for seed in seeds:
            path = pathlib.Path(output) / f"seed{seed}"
            path = path / METRICS_FILE.format(method=method)
            if path.is_file():
                metrics = json.loads(path.read_text())
                cells.setdefault(method, {})[seed] = cell_summary(metrics)
    return cells


def per_seed(cells, pick):
    """`{method: [pick(cell) for each finished seed]}`."""
    return {
        method: [pick(cell) for _, cell in sorted(by_seed.items())]
        for method, by_seed in cells.items()
    }


def results_json(cells, seeds, args, wall_seconds):
    """The schema of `docs/results/cmplaces.json`."""
    ci = cm_zoo.evaluation.mean_confidence_interval
    values = per_seed(cells, lambda cell: cell["value"])
    return {
        "command": cell_command(
            "{method}", "{seed}", "{output}", args.train_flags
        ),
        "output": str(pathlib.Path(args.output) / "seed{seed}"),
        "metrics_file": METRICS_FILE,
        "metrics_key": METRICS_KEY,
        "seeds": seeds,
        "seeds_done": {m: sorted(by_seed) for m, by_seed in cells.items()},
        "methods": values,
        "confidence_95": {m: ci(v) for m, v in values.items() if len(v) >= 2},
        "cells": {
            m: {str(s): cell for s, cell in by_seed.items()}
            for m, by_seed in cells.items()
        },
        "cell_wall_seconds": wall_seconds,
    }


def markdown(results):
    """`cmplaces.md`: every table of the JSON, mean ± 95% CI (n seeds)."""
    cells = {
        m: dict(sorted((int(s), c) for s, c in by_seed.items()))
        for m, by_seed in results["cells"].items()
    }
    label = {m: cm_zoo.models.cmplaces.get_method(m).label for m in cells}
    table = cm_zoo.evaluation.seed_table

    def column(pick):
        return {label[m]: v for m, v in per_seed(cells, pick).items()}

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
        _notes(results, cells),
        "## Mean cross-modal mAP (fc7), test split, mean ± 95% CI",
        table(
            {
                "mAP (fc7)": layers["fc7"],
                "chance": column(lambda c: c["chance_map_fc7"]),
            }
        ),
        "## Mean mAP per layer",
        table(layers),
        "## Pairs with descriptions / other pairs (fc7 mAP)",
        table(split),
        "## Drift of each head from the source (relative L2, best epoch)",
        _layer_table(cells, label, "drift", ("fc6", "fc7", "classifier")),
        "## Modality probe on fc7 (accuracy; lower is more invariant)",
        table({"probe": column(lambda c: c["modality_probe_fc7"])}),
        "## StatReg terms at the best epoch (loss units)",
        _layer_table(cells, label, "statreg", LAYERS),
        "## Early stopping (val split) and training time",
        table({"val mAP (fc7)": column(lambda c: c["val_map_fc7"])}),
        table(
            {
                "best epoch": column(lambda c: c["best_epoch"]),
                "epochs run": column(lambda c: c["epochs_run"]),
                "train seconds": column(lambda c: c["train_seconds"]),
            },
            scale=1.0,
        ),
    ]
    return "\n\n".join(sections) + "\n"


def _notes(results, cells):
    ci = results["confidence_95"]
    lines = [
        f"Generated by `recipes/run_cmplaces_table.py` from "
        f"`{results['output']}/{results['metrics_file']}` "
        f"(`{results['metrics_key']}`); each cell: `{results['command']}`. "
        "Intervals: two-sided 95% Student t over seeds."
    ]
    if "C" in ci and "bl_individual" in ci:
        c, bl = ci["C"], ci["bl_individual"]
        disjoint = cm_zoo.evaluation.intervals_disjoint(c, bl)
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
    return cm_zoo.evaluation.seed_table(columns, scale=1.0, digits=3)


def write_results(seeds, args, wall_seconds):
    """Writes `cmplaces.json` and `cmplaces.md` from the finished cells."""
    cells = collect(TABLE_ORDER, seeds, args.output)
    if not cells:
        return None
    results = results_json(cells, seeds, args, wall_seconds)
    directory = pathlib.Path(args.results)
    cm_zoo.atomic_files.atomic_write_json(directory / "cmplaces.json", results)
    cm_zoo.atomic_files.atomic_write_text(
        directory / "cmplaces.md", markdown(results)
    )
    return results


def main(argv=None):
    args, methods, seeds = parse_args(sys.argv[1:] if argv is None else argv)
    global cm_zoo
    with flags.quiet_tensorflow_import():
        import cm_zoo
    wall_path = pathlib.Path(args.output) / "cell_wall_seconds.json"
    if args.collect_only:
        return write_results(seeds, args, _read_wall(wall_path))
    for seed in seeds:
        for method in methods:
            seconds = run_cell(method, seed, args)
            if seconds is not None:  # reread: runners may share the file
                wall = _read_wall(wall_path)
                wall[f"{method}/seed{seed}"] = seconds
                cm_zoo.atomic_files.atomic_write_json(wall_path, wall)
            write_results(seeds, args, _read_wall(wall_path))
    return write_results(seeds, args, _read_wall(wall_path))


def _read_wall(path):
    return json.loads(path.read_text()) if path.is_file() else {}


if __name__ == "__main__":
    main()
