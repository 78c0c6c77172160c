"""Evaluate trained CMPlaces runs: the paper's tables and figures, one report.

    python recipes/evaluate.py runs/cmplaces
    python recipes/evaluate.py runs/cmplaces/C runs/cmplaces/A_tune \
        --output docs/report

Each RUN_DIR is one method's run directory (`backbone.keras` and
`run_config.json`, as written by `recipes/train_cmplaces.py`) or a directory
holding several. The test split is embedded once per run and every analysis
reuses those features (`cm_zoo.runs.evaluate_run`): retrieval (Tables 1-3,
within-modal, chance), zero-shot (Tables 4-5, when the run held categories
out), modality invariance (probe + t-SNE), fc7 unit visualisation and pool5
feature inversion. Writes `report.md`, `metrics.json` and `figures/*.png`
to `--output`, by default `evaluation/` inside the first RUN_DIR: never
over a run's training output.
"""

import argparse
import pathlib
import sys
import time

import recipe_arguments as flags


def parse_args(argv):
    """Flags and their ranges; cm_zoo (TensorFlow) is not imported yet."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("run_dirs", nargs="+", type=pathlib.Path)
    add("--output", type=pathlib.Path, help="default: RUN_DIR/evaluation")
    add("--data", default=None, help="benchmark directory (default: embedded)")
    add("--title", default="Cross-Modal Scene Networks")
    add("--note", action="append", default=[], help="paragraph (repeatable)")
    for name, default in (
        ("num-queries", 1000),
        ("num-units", 3),
        ("items-per-unit", 4),
        ("tsne-per-modality", 1000),
        ("inversion-items", 6),
        ("inversion-epochs", 20),
        ("inversion-size", 32),
    ):
        add(f"--{name}", type=flags.positive_int, default=default)
    add("--seed", type=flags.non_negative_int, default=0)
    args = parser.parse_args(argv)
    for path in args.run_dirs:
        if not path.is_dir():
            parser.error(f"argument run_dirs: {path} is not a directory")
    return parser, args


def output_directory(parser, args):
    """`--output`, or `evaluation/` in the first RUN_DIR; never a run."""
    if args.output is None:
        return cm_zoo.runs.RunDirectory(args.run_dirs[0]).evaluation_dir
    target = cm_zoo.runs.RunDirectory(args.output)
    if target.is_run() or target.has_metrics():
        parser.error(
            f"argument --output: {args.output} holds a training run's "
            "metrics.json; write the report elsewhere (default: "
            f"{target.evaluation_dir})"
        )
    return args.output


def find_runs(parser, paths):
    order = list(cm_zoo.models.cmplaces.METHODS)
    try:
        return cm_zoo.runs.find_runs(paths, order=order)
    except ValueError as error:
        parser.error(f"argument run_dirs: {error}")


def evaluate_all(runs, bench, settings, output):
    """`{name: result}` and `{name: label}` of every run, in row order."""
    results, labels = {}, {}
    for run in runs:
        keras.utils.set_random_seed(settings.seed)
        name, label, result = cm_zoo.runs.evaluate_run(
            run, bench, settings, output / "figures"
        )
        if name in results:  # the same method from two parents
            parent = run.path.parent.name
            name, label = f"{parent}/{name}", f"{label} ({parent})"
        result["figures"] = {
            k: p.relative_to(output).as_posix()
            for k, p in result["figures"].items()
        }
        results[name], labels[name] = result, label
        keras.backend.clear_session()
        mean = result["retrieval"]["fc7"]["mean"]
        print(
            f"{label}: mean cross-modal mAP (fc7) {100 * mean['map']:.1f} "
            f"(chance {100 * mean['chance_map']:.1f}); "
            f"{sum(result['timing_seconds'].values()):.0f} s"
        )
    return results, labels


def main(argv=None):
    global cm_zoo, keras
    parser, args = parse_args(sys.argv[1:] if argv is None else argv)
    cm_zoo, keras = flags.import_library("cm_zoo", "keras")
    started = time.time()
    output = pathlib.Path(output_directory(parser, args))
    runs = find_runs(parser, args.run_dirs)
    settings = cm_zoo.runs.EvaluationSettings(
        **{
            name: getattr(args, name)
            for name in cm_zoo.runs.EvaluationSettings.__dataclass_fields__
        }
    )
    (output / "figures").mkdir(parents=True, exist_ok=True)
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    results, labels = evaluate_all(runs, bench, settings, output)
    seconds = time.time() - started
    notes = args.note + cm_zoo.runs.report_notes(
        runs, bench, args.seed, seconds
    )
    report = cm_zoo.evaluation.evaluation_report(
        {labels[n]: r for n, r in results.items()},
        title=args.title,
        notes=notes,
        chance=1.0 / len(bench.class_names),
    )
    destination = cm_zoo.runs.RunDirectory(output)
    destination.write_text("report.md", report)
    destination.write_json(
        "metrics.json",
        {"title": args.title, "notes": notes, "methods": results},
        sort_keys=False,
    )
    print(f"wrote {output / 'report.md'} in {seconds:.0f} s")
    return results


if __name__ == "__main__":
    main()
