"""Train See, Hear, and Read (sound, text aligned via images) and evaluate.

With no arguments: the `see_hear_read_alexnet_tiny` preset on the embedded
clip-art benchmark (clip art + titles + espeak-ng speech; image-sound and
image-text pairs from disjoint items), on CPU in minutes. A clip-art
classifier is trained first as the teacher unless `--teacher` names one.

    python recipes/train_see_hear_read.py
    python recipes/train_see_hear_read.py --loss transfer \
        --output runs/see_hear_read_transfer
    python recipes/train_see_hear_read.py \
        --teacher runs/cmplaces/source/backbone.keras
    python recipes/train_see_hear_read.py --teacher-data pool \
        --teacher-labels folders    # teacher over openclipart sub-folders
    python recipes/train_see_hear_read.py --spoken-lexicon 3  # 3 more voices
    python recipes/train_see_hear_read.py --spoken-lexicon 3 \
        --sound-text-pairs    # and spoken texts paired with what they say

Five splits with mean +- 95% CI: `recipes/run_see_hear_read_table.py`.

The shipped `saved_models/see_hear_read_both` (issue 16) comes from one
command, listed with how its settings were chosen in
docs/results/shipped_generalisation.md.

`--output` is a run directory (`cm_zoo.runs.RunDirectory`): `teacher/`,
`backbone.keras`, `metrics.json` (median ranks in six directions with
chance, classifier transfer), `report.md`, `run_config.json`, `logs/`;
rerun the same command to resume a killed run. Unset flags take the
preset's defaults. Scaling out: docs/RUNBOOK.md (`--jit-compile` is
refused: the text tower hashes strings, which XLA cannot compile).
"""

import argparse
import pathlib
import sys

import recipe_arguments as flags


def parse_args(argv):
    """Flags and their ranges; cm_zoo (TensorFlow) is not imported yet."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--preset", default="see_hear_read_alexnet_tiny")
    add("--data", default=None, help="benchmark directory (default: embedded)")
    add("--output", default="runs/see_hear_read")
    add(
        "--teacher",
        default=None,
        help="saved teacher .keras: a CrossModalBackbone with a clipart "
        "tower, or a model from images to logits (default: train one)",
    )
    for name in ("teacher-epochs", "epochs", "steps-per-epoch"):
        add(f"--{name}", type=flags.positive_int, help="default: preset")
    add("--batch-size", type=flags.positive_int, help="pairs per set, global")
    add("--loss", default="both", choices=["transfer", "ranking", "both"])
    flags.add_augment_flag(add)
    flags.add_input_flags(add, sound=True)
    add(
        "--teacher-data",
        default="clipart",
        choices=["clipart", "pool"],
        help="teacher's drawings: the clip-art target or the source pool",
    )
    add("--teacher-views", type=flags.positive_int, default=1, help="pool")
    add(
        "--teacher-labels",
        default="categories",
        choices=["categories", "folders"],
        help="teacher's classes: the categories or, for the pool, "
        "openclipart sub-folders (cm_zoo.data.teacher_labels)",
    )
    add_student_data_flags(add)
    add("--margin", type=flags.non_negative_float, help="ranking loss")
    add("--learning-rate", type=flags.positive_float, help="Adam")
    flags.add_scaling_flags(parser, jit_help="refused: text tower")
    add("--seed", type=flags.non_negative_int, default=0)
    add("--verbose", type=int, default=1, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    check_args(parser, args)
    return parser, args


def add_student_data_flags(add):
    """Flags of what the student trains on besides the paired items."""
    add(
        "--class-pairs",
        action="store_true",
        help="also pair every weakly aligned sound and description and "
        "every WordNet lexicon text with a source-pool drawing of its "
        "category",
    )
    add(
        "--spoken-lexicon",
        type=flags.non_negative_int,
        default=0,
        metavar="VOICES_PER_TEXT",
        help="also say each training paired item's transcript in this "
        "many espeak-ng training voices (none of the OOD split's), paired "
        "with the item's drawing; with --class-pairs also the weakly "
        "aligned transcripts, description titles and WordNet lexicon "
        "lemmas, paired with source-pool drawings of their category; "
        "renders cached in OUTPUT/spoken_lexicon (default 0: off)",
    )
    add(
        "--sound-text-pairs",
        action="store_true",
        help="also pair the training paired items' transcripts and the "
        "weakly aligned texts and WordNet lemmas, said in the "
        "--spoken-lexicon voices, with what they say: the sound tower is "
        "pulled to the text tower's embedding of the same words "
        "(needs --spoken-lexicon)",
    )
    add(
        "--spoken-pool-titles",
        action="store_true",
        help="the spoken texts (--class-pairs, --sound-text-pairs) also "
        "hold the source pool's openclipart titles (needs --spoken-lexicon)",
    )
    add(
        "--init-from-teacher",
        action="store_true",
        help="start the student's image tower and shared layers from the "
        "teacher's (same shapes)",
    )
    add(
        "--train-splits",
        default="train",
        choices=["train", "train+val"],
        help="train+val once settings are chosen on val and OOD",
    )


def check_args(parser, args):
    """Refuses flags that cannot go together, naming the flag."""
    if args.teacher and not pathlib.Path(args.teacher).is_file():
        parser.error(f"argument --teacher: no such file {args.teacher!r}")
    if args.teacher_labels == "folders" and args.teacher_data != "pool":
        parser.error(
            "argument --teacher-labels: folders label the source pool's "
            "drawings; add --teacher-data pool"
        )
    for flag in ("sound_text_pairs", "spoken_pool_titles"):
        if getattr(args, flag) and not args.spoken_lexicon:
            parser.error(
                f"argument --{flag.replace('_', '-')}: texts are said in "
                "the --spoken-lexicon voices; add --spoken-lexicon N (N >= 1)"
            )
    if args.jit_compile:
        parser.error(
            "argument --jit-compile: the text tower hashes strings in the "
            "graph (tf.strings ops), which XLA cannot compile"
        )


def import_library():
    """Imports cm_zoo (and so TensorFlow) once the flags are known."""
    global cm_zoo, keras
    cm_zoo, keras = flags.import_library("cm_zoo", "keras")


def resolve_args(parser, args):
    """Checks names against cm_zoo; the training settings with defaults."""
    if args.preset not in cm_zoo.presets.names("see_hear_read"):
        parser.error(
            "argument --preset: expected one of "
            f"{cm_zoo.presets.names('see_hear_read')}, got {args.preset!r}"
        )
    flags.check_scaling_flags(parser, args, cm_zoo.training.STRATEGIES)
    training = cm_zoo.presets.get(args.preset).training
    return flags.with_flags(flags.with_input_flags(training, args), args)


def job_from_args(parser, args, training):
    """The library's description of the run (`SeeHearReadJob`); a value
    it refuses (`--spoken-lexicon` above its voices) is a usage error."""
    try:
        return cm_zoo.runs.SeeHearReadJob(
            preset=args.preset,
            training=training,
            **flags.pick(args, "loss", "augment", "train_splits", "seed"),
            **flags.pick(args, "teacher_data", "teacher_views"),
            **flags.pick(args, "teacher_labels", "class_pairs"),
            **flags.pick(args, "spoken_lexicon", "sound_text_pairs"),
            **flags.pick(args, "spoken_pool_titles"),
            **flags.pick(args, "init_from_teacher", "save_every_steps"),
            **flags.pick(args, "verbose"),
        )
    except ValueError as error:
        parser.error(f"argument --spoken-lexicon: {error}")


def main(argv=None):
    parser, args = parse_args(sys.argv[1:] if argv is None else argv)
    import_library()
    training = resolve_args(parser, args)
    job = job_from_args(parser, args, training)
    keras.utils.set_random_seed(args.seed)
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    strategy = cm_zoo.training.strategy_from_arguments(
        argparse.Namespace(**{**vars(args), "batch_size": training.batch_size})
    )
    metrics, report = cm_zoo.runs.train_see_hear_read(
        job,
        bench,
        strategy=strategy,
        output=args.output,
        run_args=vars(args),
        teacher_path=args.teacher,
    )
    if report is not None:
        print(report.split("\n## Classifier")[0])
    return metrics


if __name__ == "__main__":
    main()
