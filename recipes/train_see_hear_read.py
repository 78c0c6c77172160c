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

The shipped `saved_models/see_hear_read_both` (issue 16: inputs varied as
users bring them, the teacher on the source pool, settings chosen on val
and the OOD split, then trained on train+val; resumes after a kill):

    python recipes/train_see_hear_read.py --augment users \
        --teacher-data pool --teacher-views 2 --teacher-epochs 16 \
        --epochs 16 --train-splits train+val \
        --output runs/ship_see_hear_read_both && \
    python recipes/export.py runs/ship_see_hear_read_both \
        --name see_hear_read_both --overwrite

`--output` is a run directory (`cm_zoo.runs.RunDirectory`): `teacher/`,
`backbone.keras`, `metrics.json` (median ranks in six directions with
chance, classifier transfer), `report.md`, `run_config.json`, `logs/`;
rerun the same command to resume a killed run. Unset flags take the
preset's defaults. Scaling out: docs/RUNBOOK.md (`--jit-compile` is
refused: the text tower hashes strings, which XLA cannot compile).
"""

import argparse
import dataclasses
import pathlib
import sys
import time

import recipe_arguments as flags

# The rows of the paper's Table 1 that `--loss` selects: label and the
# weights of the model-transfer and ranking losses.
LOSSES = {
    "transfer": ("See-Hear-Read: model transfer", 1.0, 0.0),
    "ranking": ("See-Hear-Read: ranking", 0.0, 1.0),
    "both": ("See-Hear-Read: model transfer + ranking", 1.0, 1.0),
}


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
    add("--loss", default="both", choices=list(LOSSES))
    flags.add_augment_flag(add)
    add(
        "--teacher-data",
        default="clipart",
        choices=["clipart", "pool"],
        help="teacher's drawings: the clip-art target or the source pool",
    )
    add("--teacher-views", type=flags.positive_int, default=1, help="pool")
    add(
        "--class-pairs",
        action="store_true",
        help="also pair every weakly aligned sound and description and "
        "every WordNet lexicon text with a source-pool drawing of its "
        "category",
    )
    add(
        "--train-splits",
        default="train",
        choices=["train", "train+val"],
        help="train+val once settings are chosen on val and OOD",
    )
    add("--margin", type=flags.non_negative_float, help="ranking loss")
    add("--learning-rate", type=flags.positive_float, help="Adam")
    flags.add_scaling_flags(parser, jit_help="refused: text tower")
    add("--seed", type=flags.non_negative_int, default=0)
    add("--verbose", type=int, default=1, choices=[0, 1, 2])
    args = parser.parse_args(argv)
    if args.teacher and not pathlib.Path(args.teacher).is_file():
        parser.error(f"argument --teacher: no such file {args.teacher!r}")
    if args.jit_compile:
        parser.error(
            "argument --jit-compile: the text tower hashes strings in the "
            "graph (tf.strings ops), which XLA cannot compile"
        )
    return parser, args


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
    return flags.with_flags(cm_zoo.presets.get(args.preset).training, args)


def train(args, training, task, dataset, epochs, strategy, run_dir):
    """Resumable training (`cm_zoo.training.train_task`); the history dict."""
    return cm_zoo.training.train_task(
        task,
        dataset,
        strategy=strategy,
        run_dir=run_dir,
        epochs=epochs,
        steps_per_epoch=training.steps_per_epoch,
        save_every_steps=args.save_every_steps,
        verbose=args.verbose,
    )


def load_or_train_teacher(args, training, bench, strategy, runs):
    """A model from clip art to class logits, frozen by the task."""
    root, out = runs
    image = cm_zoo.modalities.CLIPART
    if args.teacher:
        teacher = keras.saving.load_model(args.teacher)
    else:
        teacher = root.child("teacher").load_backbone_if_saved()
    if teacher is None:
        config = cm_zoo.presets.get(args.preset).config()
        with strategy.scope():
            teacher = cm_zoo.models.cmplaces.build_source_network(
                config, image, num_classes=len(bench.class_names)
            )
            task = cm_zoo.models.CrossModalClassifier(teacher, name="teacher")
            task.compile(
                optimizer=keras.optimizers.Adam(training.learning_rate)
            )
        dataset = cm_zoo.runs.augmented_dataset(
            cm_zoo.data.make_multimodal_dataset(
                {image: teacher_items(args, bench)},
                training.batch_size,
                seed=args.seed,
                balance_classes=args.teacher_data == "pool",
            ),
            bench,
            args.augment,
            args.seed,
        )
        epochs = training.teacher_epochs
        teacher_dir = root.child("teacher").path
        train(args, training, task, dataset, epochs, strategy, teacher_dir)
        out.child("teacher").save_backbone(teacher)
    if isinstance(teacher, cm_zoo.models.CrossModalBackbone):
        teacher = teacher.encoder(image)
    return teacher


def teacher_items(args, bench):
    return cm_zoo.runs.teacher_items(
        bench,
        args.teacher_data,
        args.train_splits,
        views=args.teacher_views,
        seed=args.seed,
    )


def encoder_names():
    m = cm_zoo.modalities
    return [m.CLIPART, m.SOUND, m.DESCRIPTION]


def student_dataset(args, training, bench):
    """The pairs of `--train-splits`, varied as `--augment` says."""
    pairs = cm_zoo.runs.training_pairs(bench, args.train_splits)
    if args.class_pairs:
        pairs = cm_zoo.runs.joined_pairs(
            pairs,
            cm_zoo.runs.class_pairs(bench, args.train_splits, seed=args.seed),
        )
    pairs = cm_zoo.runs.paired_dataset(pairs, training.batch_size, args.seed)
    return cm_zoo.runs.augmented_dataset(pairs, bench, args.augment, args.seed)


def evaluate(backbone, bench):
    """Median ranks and classifier transfer on the test triplets, and
    mean cross-modal mAP on val, test and OOD (`generalisation`)."""
    metrics = cm_zoo.runs.evaluate_see_hear_read(backbone, bench)
    metrics["generalisation"] = cm_zoo.runs.generalisation_metrics(
        cm_zoo.runs.backbone_encoder(backbone),
        bench,
        encoder_names(),
        splits=("val", "test", "ood"),
    )
    return metrics


def build_task(args, training, teacher, strategy):
    _, transfer_weight, ranking_weight = LOSSES[args.loss]
    logits = teacher.output
    logits = logits["logits"] if isinstance(logits, dict) else logits
    with strategy.scope():
        backbone = cm_zoo.models.see_hear_read.build_see_hear_read_backbone(
            cm_zoo.presets.get(args.preset).config(),
            num_classes=int(logits.shape[-1]),
        )
        task = cm_zoo.models.see_hear_read.SeeHearReadModel(
            backbone,
            teacher,
            transfer_weight=transfer_weight,
            ranking_weight=ranking_weight,
            margin=training.margin,
            name="see_hear_read",
        )
        task.compile(optimizer=keras.optimizers.Adam(training.learning_rate))
    return task


def run_config(args, training, bench):
    return {
        "model_name": f"see_hear_read_{args.loss}",
        "method": LOSSES[args.loss][0],
        "preset": args.preset,
        "class_names": bench.class_names,
        "data_manifest_sha256": bench.manifest_sha256,
        "args": {**vars(args), **dataclasses.asdict(training)},
    }


def main(argv=None):
    parser, args = parse_args(sys.argv[1:] if argv is None else argv)
    import_library()
    training = resolve_args(parser, args)
    keras.utils.set_random_seed(args.seed)
    bench = cm_zoo.data.clipart_benchmark.load(args.data)
    strategy = cm_zoo.training.strategy_from_arguments(
        argparse.Namespace(**{**vars(args), "batch_size": training.batch_size})
    )
    root = cm_zoo.runs.RunDirectory(args.output)
    out = cm_zoo.runs.RunDirectory(
        cm_zoo.training.worker_directory(args.output, strategy)
    )
    started = time.time()
    teacher = load_or_train_teacher(
        args, training, bench, strategy, (root, out)
    )
    teacher_seconds = time.time() - started
    keras.utils.set_random_seed(args.seed)
    task = build_task(args, training, teacher, strategy)
    started = time.time()
    dataset = student_dataset(args, training, bench)
    history = train(
        args, training, task, dataset, training.epochs, strategy, root.path
    )
    train_seconds = time.time() - started
    cm_zoo.training.remove_worker_directory(out.path, strategy)
    if not cm_zoo.training.is_chief(strategy):
        return {"history": history}
    metrics = evaluate(task.backbone, bench)
    metrics.update(
        teacher_seconds=teacher_seconds,
        train_seconds=train_seconds,
        history=history,
    )
    report = cm_zoo.evaluation.see_hear_read_report(
        metrics, title="See, Hear, and Read", method=LOSSES[args.loss][0]
    )
    root.write_run(
        task.backbone,
        metrics,
        run_config(args, training, bench),
        report=report,
    )
    print(report.split("\n## Classifier")[0])
    return metrics


if __name__ == "__main__":
    main()
