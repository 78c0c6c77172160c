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
    if cm_zoo.runs.cmplaces_table.cell_run(
        args.output, method, seed
    ).has_metrics():
        return None
    output = pathlib.Path(args.output) / f"seed{seed}"
    command = cell_command(method, seed, output, args.train_flags).split()
    command[:2] = [sys.executable, str(TRAIN)]
    started = time.time()
    print(f"[table] {method} seed {seed} -> {output}", flush=True)
    subprocess.run(command + ["--verbose", "0"], check=True)
    return time.time() - started


def write_results(seeds, args, wall_seconds):
    """Writes `cmplaces.json` and `cmplaces.md` from the finished cells."""
    table = cm_zoo.runs.cmplaces_table
    cells = table.collect_cells(TABLE_ORDER, seeds, args.output)
    if not cells:
        return None
    return table.write_table(
        args.results,
        cells,
        seeds,
        command=cell_command(
            "{method}", "{seed}", "{output}", args.train_flags
        ),
        output=args.output,
        wall_seconds=wall_seconds,
    )


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
