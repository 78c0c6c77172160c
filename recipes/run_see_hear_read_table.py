"""See, Hear, and Read in its regime: five splits, mean +- 95% CI.

The teacher learns openclipart sub-folders of the source pool (a label
space other than the 28 evaluation categories, as the paper's ImageNet
teacher's is) once; then, for each split of the paired items, a student
learns from image-sound and image-text pairs (never sound-text), its
epoch chosen on the split's val triplets, and is scored on its test
triplets: median rank in six directions, and classifier transfer with a
linear SVM on a class set held apart from all training (the categories of
the weakly aligned items). Writes `<results>.json` and `<results>.md`,
generated, never edited by hand:

    python recipes/run_see_hear_read_table.py

Resumable: each split is a run directory `<output>/split<k>`, skipped on
rerun once it has its `metrics.json`; the teacher is `<output>/teacher`.
A split takes a few minutes on 2 CPU cores.
"""

import argparse
import dataclasses
import sys

import recipe_arguments as flags

RESULTS = "docs/results/see_hear_read"
# The regime's settings (the preset's, where a flag leaves them unset),
# chosen on validation, never on test: the teacher's epochs on its
# source-pool val accuracy (12 epochs: 0.54, 30: 0.47) and the student's
# val score (split 0: -0.52 with the 12-epoch teacher, -0.61 with the
# 30-epoch one); at most `epochs` student epochs, stopped `patience`
# epochs after the best val score (the val curves stall for 5 epochs and
# more before they improve again).
DEFAULTS = {
    "teacher_epochs": 12,
    "epochs": 40,
    "steps_per_epoch": 40,
    "teacher_views": 2,
    "patience": 10,
}


def parse_args(argv):
    """Flags and their ranges; cm_zoo (TensorFlow) is not imported yet."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--splits", type=flags.positive_int, default=5)
    add("--output", default="runs/see_hear_read_regime")
    add("--results", default=RESULTS, help="path of the result files, no ext")
    add("--data", default=None, help="benchmark directory (default: embedded)")
    add("--preset", default="see_hear_read_alexnet_tiny")
    for name in ("teacher-epochs", "epochs", "steps-per-epoch"):
        key = name.replace("-", "_")
        add(f"--{name}", type=flags.positive_int, default=DEFAULTS[key])
    add(
        "--teacher-views",
        type=flags.positive_int,
        default=DEFAULTS["teacher_views"],
    )
    add("--patience", type=flags.positive_int, default=DEFAULTS["patience"])
    add("--batch-size", type=flags.positive_int, help="default: preset")
    add("--learning-rate", type=flags.positive_float, help="default: preset")
    add("--loss", default="both", choices=["transfer", "ranking", "both"])
    add("--seed", type=flags.non_negative_int, default=0)
    add("--verbose", type=int, default=0, choices=[0, 1, 2])
    return parser, parser.parse_args(argv)


def job_and_settings(args, cm_zoo, bench):
    """The student's `SeeHearReadJob` and the settings the files record."""
    training = flags.with_flags(cm_zoo.presets.get(args.preset).training, args)
    job = cm_zoo.runs.SeeHearReadJob(
        preset=args.preset,
        training=training,
        loss=args.loss,
        teacher_data="pool",
        teacher_views=args.teacher_views,
        teacher_labels="folders",
        seed=args.seed,
        verbose=args.verbose,
    )
    settings = {
        "preset": args.preset,
        "loss": args.loss,
        "patience": args.patience,
        "seed": args.seed,
        "teacher_views": args.teacher_views,
        "data_manifest_sha256": bench.manifest_sha256,
        **dataclasses.asdict(training),
    }
    if not settings["architecture"]:  # the preset's, as the files predate it
        del settings["architecture"]
    return job, settings


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    _, args = parse_args(argv)
    (cm_zoo,) = flags.import_library("cm_zoo")
    regime = cm_zoo.runs.see_hear_read_regime
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    job, settings = job_and_settings(args, cm_zoo, bench)
    result = regime.run_regime(
        job,
        bench,
        num_splits=args.splits,
        strategy=cm_zoo.training.make_strategy("default"),
        output=args.output,
        patience=args.patience,
    )
    command = " ".join(["python recipes/run_see_hear_read_table.py", *argv])
    summary = regime.summarize(result, command=command, settings=settings)
    cm_zoo.atomic_files.atomic_write_json(f"{args.results}.json", summary)
    markdown = regime.regime_markdown(summary)
    cm_zoo.atomic_files.atomic_write_text(f"{args.results}.md", markdown)
    print(markdown)
    return summary


if __name__ == "__main__":
    main()
